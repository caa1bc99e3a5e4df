"""Synthetic scenarios of any size: N actors and K issues, valid and reproducible from a seed.

The generated roster has the structure of the bundled scenarios: a counterpart state (the role
Russia plays), its ally (Belarus), and N - 2 members of a consensus body (``ALLIANCE``, the role
NATO plays), one of which is a leading power that mediates (the United States). Members come in
three kinds, like the profiles of ``scenarios/base/europe_2025.yaml``: frontline states (hard-line,
boulware, red lines on what they owe), core states (reciprocal) and southern states (linear).
The K issues are spread over the three fronts (the first is a mutual pledge on every front) and
are owed in turn by every party (mutual), by the counterpart, or by one frontline member.

Positions, salience, trust, red lines and concession shapes are drawn from
``numpy.random.default_rng(seed)``; many parameters are distributions, as in the real
scenarios, so each replicate draws its own. Every actor, issue, body and section carries
``assumption: "synthetic"``, so ``negsim validate --strict`` passes.

>>> from negsim.scenario.synth import synthetic_scenario
>>> doc = synthetic_scenario(35, 10, seed=1)
>>> len(doc["actors"]), len(doc["talks"]["issues"])
(35, 10)

Used by the benchmarks (``benchmarks/bench.py``: scaling to 300 actors) and useful to test a
model change on rosters larger than Europe's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ASSUMPTION = "synthetic"
FRONT_CYCLE = ("central", "arctic_baltic", "black_sea_caucasus")
MAX_ACTORS, MAX_ISSUES = 1000, 200
COUNTERPART, ALLY, LEADER, BODY = "CPT", "ALY", "M001", "ALLIANCE"
REGION_OF = {"frontline": "east", "core": "west", "south": "south"}


def _r(x: float, nd: int = 3) -> float:
    return round(float(x), nd)


def _beta(rng: np.random.Generator, mean: float, sd: float, lo: float = 0.02, hi: float = 0.98) -> dict:
    """A ``{beta: {mean, sd}}`` parameter with mean jittered around ``mean`` and a feasible sd."""
    m = _r(np.clip(mean + rng.normal(0.0, 0.03), lo, hi))
    s = _r(min(sd, 0.9 * (m * (1 - m)) ** 0.5))
    return {"beta": {"mean": m, "sd": s}} if s > 0 else m


def _check_sizes(n_actors: int, n_issues: int) -> None:
    """Raise ``ValueError`` unless the roster and the agenda have a size a synthetic scenario supports."""
    if n_actors < 4:
        raise ValueError(f"a synthetic scenario needs at least 4 actors, got {n_actors}")
    if n_issues < 1:
        raise ValueError(f"a synthetic scenario needs at least 1 issue, got {n_issues}")
    if n_actors > MAX_ACTORS or n_issues > MAX_ISSUES:
        raise ValueError(
            f"a synthetic scenario has at most {MAX_ACTORS} actors and {MAX_ISSUES} issues "
            f"(the trust matrix alone has N x N entries), got {n_actors} and {n_issues}"
        )


def _members(rng: np.random.Generator, n_members: int) -> tuple[list[str], list[str]]:
    """The members' codes and kinds (the leader is "core"; at least one is "frontline")."""
    width = max(3, len(str(n_members)))
    members = [f"M{i + 1:0{width}d}" for i in range(n_members)]
    # member kinds: the leader is "core"; of the rest ~25% frontline, ~40% core, ~35% south
    kinds = ["core"] + list(rng.choice(["frontline", "core", "south"], size=n_members - 1, p=[0.25, 0.4, 0.35]))
    if "frontline" not in kinds:
        kinds[-1] = "frontline"
    return members, kinds


def _issues(rng: np.random.Generator, n_issues: int, frontline: list[str]) -> tuple[dict[str, dict], dict[str, str]]:
    """The issues, and who owes each ("mutual", "counterpart" or "member")."""
    issues: dict[str, dict] = {}
    owner: dict[str, str] = {}  # "mutual" | "counterpart" | "member"
    for j in range(n_issues):
        kind = ("mutual", "counterpart", "member")[j % 3]
        front = "all" if j == 0 else FRONT_CYCLE[(j - 1) % 3]
        iid = f"i{j + 1:02d}_{kind}"
        if kind == "mutual":
            obligor = "mutual"
        elif kind == "counterpart":
            obligor = [COUNTERPART, ALLY] if j % 2 == 0 else [COUNTERPART]
        else:
            obligor = [frontline[(j // 3) % len(frontline)]]
        issues[iid] = {
            "label": f"Synthetic issue {j + 1} ({kind}, {front})",
            "front": front,
            "obligor": obligor,
            "difficulty": _beta(rng, float(rng.uniform(0.1, 0.8)), 0.1),
            "assumption": ASSUMPTION,
        }
        owner[iid] = kind
    return issues, owner


def _prefs(rng: np.random.Generator, owner: dict[str, str], want: dict[str, tuple[float, float]]) -> tuple[dict, dict]:
    """Positions and salience on every issue, the position drawn from the range ``want`` gives its owner."""
    pos, sal = {}, {}
    for iid in owner:
        lo, hi = want[owner[iid]]
        pos[iid] = _r(rng.uniform(lo, hi), 2)
        sal[iid] = _r(rng.uniform(0.2, 1.0), 2)
    return pos, sal


def _counterparts(rng: np.random.Generator, owner: dict[str, str]) -> dict[str, dict]:
    """The counterpart and its ally: they want what the members owe and give little of what they owe."""
    member_owed = [i for i in owner if owner[i] == "member"]
    counterpart_owed = [i for i in owner if owner[i] == "counterpart"]
    actors: dict[str, dict] = {}
    for code, name, cap, pop in ((COUNTERPART, "Counterpart", 0.17, 144.0), (ALLY, "Counterpart's ally", 0.005, 9.0)):
        pos, sal = _prefs(rng, owner, {"mutual": (0.8, 1.0), "counterpart": (0.1, 0.35), "member": (0.85, 1.0)})
        if counterpart_owed:
            # the withdrawals it might make are uncertain (as Russia's from Belarus)
            pos[counterpart_owed[0]] = _beta(rng, 0.25, 0.1)
        actor = {
            "name": name,
            "capability": cap,
            "population": pop,
            "blocs": ["CSTO", "UNION_STATE"],
            "region": "other",
            "positions": pos,
            "salience": sal,
            "concession": {"shape": "boulware", "rate": _r(rng.uniform(0.1, 0.25), 2)},
            "trust": {ALLY if code == COUNTERPART else COUNTERPART: _beta(rng, 0.9, 0.05), "default": _beta(rng, 0.22, 0.08)},
            "us_reliance": 0.0,
            "threat": _beta(rng, 0.7, 0.1),
            "reservation": _r(rng.uniform(0.02, 0.08)),
            "ratification": {"required": False},
            "spoiler": 0.0,
            "opportunism": _r(rng.uniform(0.1, 0.3), 2),
            "walkout": {"after": 8, "hazard": _r(rng.uniform(0.0, 0.1), 2)},
            "assumption": ASSUMPTION,
        }
        if code == COUNTERPART and member_owed:
            actor["red_lines"] = {member_owed[0]: _r(rng.uniform(0.1, 0.3), 2)}
        actors[code] = actor
    return actors


def _profile(kind: str, spoil: float) -> tuple[dict, str, tuple, float, tuple, float]:
    """A member kind's profile: wanted positions, concession shape and rate, trust, reservation, spoiler hazard."""
    if kind == "frontline":
        want = {"mutual": (0.2, 0.6), "counterpart": (0.9, 1.0), "member": (0.0, 0.1)}
        return want, "boulware", (0.2, 0.4), 0.1, (0.05, 0.1), 2 * spoil
    if kind == "core":
        want = {"mutual": (0.5, 0.9), "counterpart": (0.8, 1.0), "member": (0.05, 0.3)}
        return want, "reciprocal", (0.4, 0.6), 0.2, (0.02, 0.06), spoil
    want = {"mutual": (0.6, 1.0), "counterpart": (0.7, 1.0), "member": (0.2, 0.5)}
    return want, "linear", (0.4, 0.6), 0.25, (0.01, 0.04), spoil


def _frontline_red_lines(rng: np.random.Generator, member_owed: list[str], concession: dict) -> dict:
    """Red lines a frontline state draws on some of what it (or its neighbours) owes; may make it categorical."""
    red: dict = {}
    for iid in member_owed:
        if rng.random() < 0.15:
            red[iid] = _r(rng.uniform(0.3, 0.6), 2)
    if rng.random() < 0.2:
        concession["categorical_on"] = [member_owed[0]]
    return red


def _member(
    rng: np.random.Generator, i: int, kind: str, owner: dict[str, str], leads: bool, capability: float, spoil: float
) -> dict:
    """Member ``i`` of the body, of ``kind``; ``leads`` for the leading power (the mediator)."""
    member_owed = [iid for iid in owner if owner[iid] == "member"]
    want, shape, rate, trust_cp, reserve, spoiler = _profile(kind, spoil)
    pos, sal = _prefs(rng, owner, want)
    concession: dict = {"shape": shape, "rate": _r(rng.uniform(*rate), 2)}
    red: dict = {}
    if kind == "frontline" and member_owed:
        red = _frontline_red_lines(rng, member_owed, concession)
    actor = {
        "name": "Leading power" if leads else f"Member {i + 1}",
        "capability": capability,
        "population": 335.0 if leads else _r(rng.lognormal(2.0, 1.0), 1),
        "blocs": [BODY] + (["UNION"] if not leads and rng.random() < 0.7 else []),
        "region": "north_america" if leads else REGION_OF[kind],
        "positions": pos,
        "salience": sal,
        "concession": concession,
        "trust": {
            COUNTERPART: _beta(rng, trust_cp, 0.06),
            ALLY: _beta(rng, trust_cp, 0.06),
            "default": _beta(rng, 0.78, 0.07),
        },
        "us_reliance": 0.0 if leads else _r(rng.uniform(0.3, 0.9), 2),
        "threat": _beta(rng, {"frontline": 0.85, "core": 0.5, "south": 0.35}[kind], 0.1),
        "drawdown_softening": {"uniform": [0.5, 1.0]} if kind == "frontline" else 1.0,
        "reservation": _r(rng.uniform(*reserve)),
        "ratification": {
            "required": not leads or rng.random() < 0.5,
            "threshold": 0.5,
            "support": _beta(rng, 0.55, 0.1),
            "delay": 1.0,
        },
        "spoiler": spoiler,
        "opportunism": 0.05,
        "assumption": ASSUMPTION,
    }
    if red:
        actor["red_lines"] = red
    return actor


def _member_actors(rng: np.random.Generator, members: list[str], kinds: list[str], owner: dict[str, str], cap_rest) -> dict:
    """Every member of the body, the first the leading power; ``cap_rest`` the others' capabilities."""
    # obstruction: about a 15% chance that some member spoils the talks, whatever the roster size
    spoil = _r(0.15 / len(members), 5)
    actors: dict[str, dict] = {}
    for i, (code, kind) in enumerate(zip(members, kinds, strict=True)):
        leads = code == members[0]
        capability = 0.64 if leads else _r(cap_rest[i - 1], 5)
        actors[code] = _member(rng, i, kind, owner, leads, capability, spoil)
    return actors


def _bodies(actors: dict[str, dict], leader: str) -> dict:
    """The consensus body of the members and a QMV union of most of them."""
    return {
        BODY: {
            "label": "Consensus body of the members",
            "members": {"bloc": BODY},
            "rule": "consensus",
            "silence": True,
            "indifference": 0.02,
            "assumption": ASSUMPTION,
        },
        "UNION": {
            "label": "A QMV body of most members (not a pact party)",
            "members": {"bloc": "UNION"} if any("UNION" in a["blocs"] for a in actors.values()) else [leader],
            "rule": "qmv",
            "assumption": ASSUMPTION,
        },
    }


def _talks(ids: list[str], leader: str) -> dict:
    """Multilateral talks on every issue, mediated by the leading power, with a cascade from the central front."""
    talks = {
        "issues": ids,
        "mediator": leader,
        "proposal": "nash",
        "mediator_bias": 0.1,
        "sequencing": "multilateral",
        "agenda": "grand_bargain",
        "cascade": {"from": "central", "trust_gain": 0.1, "softening": 0.05},
        "max_rounds": 12,
        "assumption": ASSUMPTION,
    }
    if len(ids) == 1:
        del talks["cascade"]  # one mutual issue on every front: nothing to cascade to
    return talks


def _pact(rng: np.random.Generator) -> dict:
    """The pact between the counterpart, its ally and the body."""
    return {
        "parties": [COUNTERPART, ALLY, BODY],
        "entry_into_force": "all",
        "verification": _beta(rng, 0.6, 0.1),
        "horizon": 20,
        "period": "year",
        "assumption": ASSUMPTION,
    }


def _events(some_front: str) -> list[dict]:
    """A partial drawdown in the east and two incidents with a frontline state."""
    return [
        {"at": 0, "set": {"us_presence.east": 0.8}, "label": "partial drawdown in the east", "assumption": ASSUMPTION},
        {
            "hazard": 0.05,
            "incident": {"between": [ALLY, some_front], "severity": 0.5},
            "label": f"border incident {ALLY}-{some_front}",
            "assumption": ASSUMPTION,
        },
        {
            "hazard": 0.02,
            "incident": {"between": [COUNTERPART, some_front], "severity": 1.0},
            "label": f"military incident {COUNTERPART}-{some_front}",
            "assumption": ASSUMPTION,
        },
    ]


def synthetic_scenario(n_actors: int, n_issues: int, seed: int = 0) -> dict:
    """A valid scenario document (a plain dict, as read from YAML) with ``n_actors`` and ``n_issues``.

    ``n_actors >= 4`` (counterpart, ally and at least two members); ``n_issues >= 1``.
    The same arguments always give the same document.
    """
    _check_sizes(n_actors, n_issues)
    rng = np.random.default_rng(seed)
    # the draws come in this order: member kinds, issues, member capabilities, counterparts, members, pact
    members, kinds = _members(rng, n_actors - 2)
    leader = members[0]
    frontline = [m for m, k in zip(members, kinds, strict=True) if k == "frontline"]
    issues, owner = _issues(rng, n_issues, frontline)
    cap_rest = rng.lognormal(0.0, 1.0, size=len(members) - 1)
    cap_rest = 0.16 * cap_rest / cap_rest.sum()
    actors = _counterparts(rng, owner)
    actors |= _member_actors(rng, members, kinds, owner, cap_rest)
    return {
        "name": f"synthetic_{n_actors}x{n_issues}_s{seed}",
        "title": f"Synthetic scenario: {n_actors} actors, {n_issues} issues (seed {seed})",
        "question": "None: a generated roster for benchmarks and tests (negsim.scenario.synth).",
        "expected": "n/a",
        "issues": issues,
        "actors": actors,
        "bodies": _bodies(actors, leader),
        "us_presence": {r: 1.0 for r in ("north_america", "west", "east", "south", "other")} | {"assumption": ASSUMPTION},
        "talks": _talks(list(issues), leader),
        "pact": _pact(rng),
        "compliance": {"base_hazard": 0.1, "assumption": ASSUMPTION},
        "events": _events(frontline[0]),
    }


def validate_document(doc: dict):
    """Validate a scenario document in memory; returns the :class:`~negsim.scenario.schema.Scenario`.

    Raises :class:`~negsim.errors.ScenarioError` listing every problem (as ``negsim validate``).
    """
    from pydantic import ValidationError

    from negsim.errors import ScenarioError
    from negsim.scenario.load import cross_check, pydantic_problems
    from negsim.scenario.schema import Scenario

    fname = f"<{doc.get('name', 'synthetic')}>"
    try:
        sc = Scenario.model_validate(doc)
    except ValidationError as e:
        raise ScenarioError(pydantic_problems(e, doc, {}, fname)) from None
    problems = cross_check(doc, {}, fname)
    if problems:
        raise ScenarioError(problems)
    return sc


def compile_synthetic(n_actors: int, n_issues: int, seed: int = 0):
    """A validated, compiled synthetic scenario (:class:`~negsim.scenario.compile.CompiledScenario`), ready for ``run_many``."""
    from negsim.scenario.compile import CompiledScenario

    doc = synthetic_scenario(n_actors, n_issues, seed)
    return CompiledScenario(validate_document(doc), doc)


def to_yaml(doc: dict) -> str:
    """The document as YAML text (block style, keys in the generator's order)."""
    import yaml

    head = f"# {doc['title']}\n# Generated by negsim.scenario.synth (negsim synth); every value is an assumption, not a source.\n"
    return head + yaml.safe_dump(doc, sort_keys=False, default_flow_style=None, width=130, allow_unicode=True)


def write_synthetic(path: str | Path, n_actors: int, n_issues: int, seed: int = 0) -> Path:
    """Write a synthetic scenario of ``n_actors`` and ``n_issues`` to ``path`` as YAML; returns the path.

    Raises ``ValueError`` for bad sizes and ``OSError`` when the file cannot be written.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder, not a file", str(path))
    doc = synthetic_scenario(n_actors, n_issues, seed)
    validate_document(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_yaml(doc))
    return path
