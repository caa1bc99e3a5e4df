"""Cross-references of a scenario document: actors, issues, bodies, blocs, regions, event paths.

:func:`cross_check` reads the document as loaded (after ``extends``, ``--set`` and profiles),
not the validated :class:`~negsim.scenario.schema.Scenario`, so that a file with shape errors (an unknown
key, a value out of range) gets its reference errors in the same pass. A check whose inputs are
malformed is skipped: pydantic already reports that shape error, and a guess would only add
errors that are not there.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from types import SimpleNamespace

from negsim.errors import Problem
from negsim.scenario.schema import Actor, Talks
from negsim.scenario.targets import parse_target
from negsim.scenario.yamlio import Locs, format_path

PROVENANCE = ("source", "assumption")


def _map(v) -> dict | None:
    """A mapping's entries without its provenance keys, or None if it is not a mapping."""
    return {k: x for k, x in v.items() if k not in PROVENANCE} if isinstance(v, dict) else None


def _names(v) -> list | None:
    """A list of names (strings), or None if it is anything else."""
    return v if isinstance(v, list) and all(isinstance(x, str) for x in v) else None


def did_you_mean(name: str, options) -> str:
    """The suffix "; did you mean X?" for the closest of ``options``, or nothing."""
    close = difflib.get_close_matches(str(name), [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


@functools.lru_cache(maxsize=1)
def base_roster() -> dict[str, tuple[str, str]]:
    """Actors and bodies of the bundled base rosters (``scenarios/base/*.yaml``): name -> (kind, roster file)."""
    from negsim.errors import ScenarioError
    from negsim.paths import bundled_dir
    from negsim.scenario.yamlio import parse_yaml, read_limited

    out: dict[str, tuple[str, str]] = {}
    for f in sorted((bundled_dir() / "base").glob("*.yaml")):
        try:
            doc, _ = parse_yaml(read_limited(f), str(f))
        except (ScenarioError, OSError, ValueError):
            continue
        shown = f"scenarios/base/{f.name}"
        for section, kind in (("actors", "actor"), ("bodies", "body")):
            for name in _map(doc.get(section) if isinstance(doc, dict) else None) or {}:
                out.setdefault(name, (kind, shown))
    return out


def missing_name(name: str, pool: set, what: str) -> str:
    """The message for a name that is not defined: left out of the base roster, or a did-you-mean."""
    kinds = {"actor"} if what == "actor" else {"actor", "body"}
    kind, roster = base_roster().get(name, (None, None))
    if kind in kinds:
        section, article = ("actors", "an actor") if kind == "actor" else ("bodies", "a body")
        return (
            f"{what} {name!r} is not defined: {name} is not {article} of this scenario (its roster omits it); "
            f"the base roster {roster} has it: add it under {section}: or extend a roster that includes it (extends:)"
        )
    return f"{what} {name!r} is not defined{did_you_mean(name, pool)}"


@dataclass
class _Checker:
    """Collects reference problems with their lines."""

    locs: Locs
    fname: str

    def __post_init__(self):
        self.problems: list[Problem] = []

    def bad(self, path: tuple, message: str) -> None:
        f, line = line_of(self.locs, path, self.fname)
        self.problems.append(Problem(f, format_path(path), message, line))

    def ref(self, path: tuple, name, pool: set | None, what: str) -> None:
        """``name`` must be in ``pool`` (skipped when the pool itself is malformed)."""
        if pool is not None and isinstance(name, str) and name not in pool:
            self.bad(path, missing_name(name, pool, what))


def line_of(locs: Locs, path: tuple, default_file: str) -> tuple[str, int | None]:
    """The file and line of ``path``, or of its nearest enclosing key that has one."""
    for n in range(len(path), -1, -1):
        if path[:n] in locs:
            return locs[path[:n]]
    return default_file, None


def cross_check(doc: dict, locs: Locs, fname: str) -> list[Problem]:
    """Every reference problem of a scenario document (as loaded: after extends, --set and profiles)."""
    c = _Checker(locs, fname)
    actors, issues, bodies = _map(doc.get("actors")), _map(doc.get("issues")), _map(doc.get("bodies", {}))
    pools = SimpleNamespace(
        actors=None if actors is None else set(actors),
        issues=None if issues is None else set(issues),
        names=None if actors is None or bodies is None else set(actors) | set(bodies),
    )
    _check_actors(c, actors or {}, pools, _map(doc.get("us_presence", {})))
    members = _check_bodies(c, bodies or {}, actors or {}, pools)
    _check_issues(c, issues or {}, pools)
    talks = doc.get("talks") if isinstance(doc.get("talks"), dict) else {}
    pact = doc.get("pact") if isinstance(doc.get("pact"), dict) else {}
    _check_talks(c, talks, pools)
    _check_parties(c, pact, talks, pools, members)
    _check_events(c, doc, actors or {}, pools)
    return c.problems


def _check_actors(c: _Checker, actors: dict, pools, us_presence: dict | None) -> None:
    """Trust keys name actors; positions, salience, red lines and categorical_on name issues; regions exist."""
    regions = set(us_presence) if us_presence else None
    for code, a in actors.items():
        if not isinstance(a, dict):
            continue
        for k in _map(a.get("trust")) or {}:
            if k not in ("default", "*"):
                c.ref(("actors", code, "trust", k), k, pools.actors, "actor")
        for part in ("positions", "salience", "red_lines"):
            for k in _map(a.get(part)) or {}:
                c.ref(("actors", code, part, k), k, pools.issues, "issue")
        rat = a.get("ratification") if isinstance(a.get("ratification"), dict) else {}
        for k in _map(rat.get("trust")) or {}:
            c.ref(("actors", code, "ratification", "trust", k), k, pools.actors, "actor")
        for part in ("positions", "salience"):
            for k in _map(rat.get(part)) or {}:
                c.ref(("actors", code, "ratification", part, k), k, pools.issues, "issue")
        concession = a.get("concession") if isinstance(a.get("concession"), dict) else {}
        for j, k in enumerate(_names(concession.get("categorical_on")) or []):
            c.ref(("actors", code, "concession", "categorical_on", j), k, pools.issues, "issue")
        region = _region(a)
        if regions and isinstance(region, str) and region not in regions:
            c.bad(("actors", code, "region"), f"region {region!r} has no entry in us_presence{did_you_mean(region, regions)}")


def _region(actor) -> object:
    """An actor's region as written, or the schema's default."""
    default = Actor.model_fields["region"].default
    return actor.get("region", default) if isinstance(actor, dict) else default


def _blocs(actors: dict) -> dict[str, list[str]] | None:
    """Bloc -> its member actors, or None if some actor's blocs are malformed (then bloc checks are skipped)."""
    out: dict[str, list[str]] = {}
    for code, a in actors.items():
        blocs = a.get("blocs", []) if isinstance(a, dict) else []
        if _names(blocs) is None:
            return None
        for b in blocs:
            out.setdefault(b, []).append(code)
    return out


def _check_bodies(c: _Checker, bodies: dict, actors: dict, pools) -> dict[str, list[str]]:
    """Members name actors, each once; a bloc has members. Returns each body's member list (as far as known)."""
    blocs = _blocs(actors)
    members: dict[str, list[str]] = {}
    for name, b in bodies.items():
        m = b.get("members") if isinstance(b, dict) else None
        if isinstance(m, list):
            for i, x in enumerate(m):
                c.ref(("bodies", name, "members", i), x, pools.actors, "actor")
                if isinstance(x, str) and x in m[:i]:
                    c.bad(("bodies", name, "members", i), f"{x} is listed more than once (a member has one vote)")
            if not m:
                c.bad(("bodies", name, "members"), "a body needs at least one member")
            members[name] = [x for x in m if isinstance(x, str)]
        elif isinstance(m, dict) and isinstance(m.get("bloc"), str) and blocs is not None:
            bloc = m["bloc"]
            if bloc not in blocs:
                c.bad(("bodies", name, "members", "bloc"), f"no actor belongs to bloc {bloc!r}{did_you_mean(bloc, blocs)}")
            members[name] = blocs.get(bloc, [])
    return members


def _check_issues(c: _Checker, issues: dict, pools) -> None:
    """An issue's obligors are actors or bodies."""
    for iid, iss in issues.items():
        obligor = iss.get("obligor") if isinstance(iss, dict) else None
        for i, o in enumerate(_names(obligor) or []):
            c.ref(("issues", iid, "obligor", i), o, pools.names, "actor or body")


def _check_talks(c: _Checker, t: dict, pools) -> None:
    """Issues on the table (each once), mediator, shuttle stages, parallel counterpart."""
    if "issues" in t:
        listed = _names(t["issues"])
        if listed == []:
            c.bad(("talks", "issues"), "the talks need at least one issue")
        for i, iid in enumerate(listed or []):
            c.ref(("talks", "issues", i), iid, pools.issues, "issue")
            if iid in listed[:i]:
                c.bad(("talks", "issues", i), f"issue {iid!r} is listed twice")
    if t.get("mediator") is not None:
        c.ref(("talks", "mediator"), t["mediator"], pools.actors, "actor")
    sequencing = t.get("sequencing", Talks.model_fields["sequencing"].default)
    stages = t.get("stages", [])
    if sequencing == "shuttle" and not stages:
        c.bad(("talks", "stages"), "shuttle sequencing needs stages, e.g. [[USA, RUS], [NATO, RUS]]")
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        for j, p in enumerate(_names(stage) or []):
            c.ref(("talks", "stages", i, j), p, pools.names, "actor or body")
    if sequencing == "parallel":
        if t.get("counterpart") is None:
            c.bad(("talks", "counterpart"), "parallel sequencing needs a counterpart (who signs with each other party)")
        else:
            c.ref(("talks", "counterpart"), t["counterpart"], pools.actors, "actor")


def _check_parties(c: _Checker, pact: dict, t: dict, pools, members: dict[str, list[str]]) -> None:
    """Parties are actors or bodies, each once, none also inside a party body, each in a shuttle stage."""
    parties = _names(pact.get("parties"))
    if parties is None:
        return
    for i, p in enumerate(parties):
        c.ref(("pact", "parties", i), p, pools.names, "actor or body")
    if len(set(parties)) != len(parties):
        c.bad(("pact", "parties"), "a party is listed twice")
    entry = pact.get("entry_into_force")
    if isinstance(entry, dict) and isinstance(entry.get("weights"), dict):
        for name in entry["weights"]:
            c.ref(("pact", "entry_into_force", "weights", name), name, pools.actors, "actor")
        signers = [a for q in parties for a in (members.get(q) or [q])]
        w = entry["weights"]
        nums = [v for v in w.values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
        share, count = entry.get("share"), entry.get("count", 2)
        if isinstance(count, int) and not isinstance(count, bool) and count > len(set(signers)):
            c.bad(("pact", "entry_into_force", "count"), f"count {count} is more than the pact's {len(set(signers))} "
                  "signatory states, so the pact could never enter into force")  # fmt: skip
        if isinstance(share, (int, float)) and len(nums) == len(w) and sum(nums) > 0:
            held = sum(v for a, v in w.items() if a in signers)
            if held < share * sum(nums) - 1e-12:
                c.bad(("pact", "entry_into_force", "share"), f"the signatories hold {held / sum(nums):.0%} of the weights, "
                      f"less than the share {share:g} needed, so the pact could never enter into force")  # fmt: skip
        if t.get("sequencing") == "parallel":
            c.bad(("pact", "entry_into_force"), "a weighted entry rule is for one multilateral pact; parallel talks sign "
                  "one bilateral pact per partner, each in force when both sides ratify: use all or ratifiers")  # fmt: skip
    for i, p in enumerate(parties):
        inside = [b for b in parties if b != p and p in members.get(b, [])]
        if p in (pools.actors or ()) and inside:
            c.bad(
                ("pact", "parties", i),
                f"{p} is a party and also a member of party {inside[0]}, so it would vote twice (alone and inside "
                f"{inside[0]}); list it once: drop it from parties, or give {inside[0]} a members list without it",
            )
    stages = t.get("stages")
    if t.get("sequencing") == "shuttle" and isinstance(stages, list) and stages and all(_names(s) is not None for s in stages):
        staged = {p for st in stages for p in st}
        for i, p in enumerate(parties):
            if p not in staged:
                c.bad(
                    ("pact", "parties", i),
                    f"party {p!r} is in no shuttle stage, so it would never be asked; add it to talks.stages",
                )


def _check_events(c: _Checker, doc: dict, actors: dict, pools) -> None:
    """Each event has one trigger and an effect; its paths are settable; its incident names actors."""
    events = doc.get("events")
    if not isinstance(events, list):
        return
    view = _target_view(doc, actors, pools)
    for i, ev in enumerate(events):
        if not isinstance(ev, dict):
            continue
        base = ("events", i)
        if sum(ev.get(k) is not None for k in ("at", "hazard", "round")) != 1:
            c.bad(
                base,
                "an event needs exactly one of 'at' (a period), 'round' (a round of the talks) or 'hazard' (a chance per period)",
            )
        if not ev.get("set") and not ev.get("shift") and ev.get("incident") is None:
            c.bad(base, "an event must do something: set, shift or incident")
        for kind in ("set", "shift"):
            for path in _map(ev.get(kind)) or {}:
                if view is not None and isinstance(path, str):
                    try:
                        parse_target(path, view)
                    except ValueError as e:
                        c.bad(base + (kind, path), str(e))
        incident = ev.get("incident") if isinstance(ev.get("incident"), dict) else {}
        for j, a in enumerate(_names(incident.get("between")) or []):
            c.ref(base + ("incident", "between", j), a, pools.actors, "actor")


def _target_view(doc: dict, actors: dict, pools):
    """What :func:`~negsim.scenario.targets.parse_target` reads of a scenario, or None if that is malformed."""
    us_presence = _map(doc.get("us_presence", {}))
    if pools.actors is None or pools.issues is None or us_presence is None:
        return None
    regions = {code: SimpleNamespace(region=_region(a)) for code, a in actors.items()}
    if not all(isinstance(r.region, str) for r in regions.values()):
        return None
    return SimpleNamespace(actors=regions, issues=pools.issues, us_presence=us_presence)
