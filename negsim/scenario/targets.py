"""Parameter paths that events (and sweeps) may set or shift, e.g. ``actors.POL.trust.RUS``."""

from __future__ import annotations

from dataclasses import dataclass

#: actor scalars an event may change, mapped to the model's array names
ACTOR_SCALARS = {
    "capability": "cap",
    "threat": "threat",
    "us_reliance": "us_reliance",
    "drawdown_softening": "softening",
    "reservation": "reserve",
    "spoiler": "spoiler",
    "opportunism": "opportunism",
    "cohesion": "cohesion",
}
#: an actor's legislature parameters an event may change (an election that changes a legislature)
RATIFICATION_SCALARS = {"support": "rat_support", "threshold": "rat_threshold", "sensitivity": "rat_sens"}


@dataclass(frozen=True)
class Target:
    """A named place in the model state: ``array`` and the names that index it."""

    array: str
    actor: str | None = None
    key: str | None = None  # other actor, issue or region; "*" for every actor (trust)
    # actor may be "*" too: the change applies to every actor


def parse_target(path: str, sc) -> Target:
    """Resolve a dotted path against a scenario, raising ``ValueError`` with a clear message."""
    parts = path.split(".")
    if parts[0] == "us_presence" and len(parts) == 2:
        regions = set(sc.us_presence) | {a.region for a in sc.actors.values()}
        if parts[1] not in regions:
            raise ValueError(f"unknown region {parts[1]!r} (known: {', '.join(sorted(regions))})")
        return Target("us_presence", key=parts[1])
    if parts == ["pact", "verification"]:
        return Target("verification")
    if parts[0] != "actors" or len(parts) < 3:
        raise ValueError(
            f"cannot set {path!r}: settable paths are us_presence.REGION, pact.verification, "
            "actors.A.trust.B, actors.A.positions.ISSUE, actors.A.salience.ISSUE, "
            "actors.A.{" + ",".join(ACTOR_SCALARS) + "}, actors.A.ratification.{" + ",".join(RATIFICATION_SCALARS) + "}"
        )
    actor = parts[1]
    if actor != "*" and actor not in sc.actors:
        raise ValueError(f"actor {actor!r} is not defined (use * for every actor)")
    if len(parts) == 3 and parts[2] in ACTOR_SCALARS:
        return Target(ACTOR_SCALARS[parts[2]], actor)
    if len(parts) == 4 and parts[2] == "ratification" and parts[3] in RATIFICATION_SCALARS:
        return Target(RATIFICATION_SCALARS[parts[3]], actor)
    if len(parts) == 4 and parts[2] == "trust":
        if parts[3] != "*" and parts[3] not in sc.actors:
            raise ValueError(f"actor {parts[3]!r} is not defined")
        return Target("trust", actor, parts[3])
    if len(parts) == 4 and parts[2] in ("positions", "salience"):
        if parts[3] not in sc.issues:
            raise ValueError(f"issue {parts[3]!r} is not defined")
        return Target("pos" if parts[2] == "positions" else "sal", actor, parts[3])
    raise ValueError(
        f"cannot set {path!r}: an actor's settable parameters are trust.B, positions.ISSUE, "
        "salience.ISSUE, ratification.{" + ",".join(RATIFICATION_SCALARS) + "}, " + ", ".join(ACTOR_SCALARS)
    )
