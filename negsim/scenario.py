"""Loading a scenario file: YAML -> overrides -> profiles -> validation -> :class:`Scenario`.

Every problem is collected with its file, path and line, and raised together as one
:class:`~negsim.errors.ScenarioError`; nothing here raises a bare traceback for bad input.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from negsim.errors import Problem, ScenarioError
from negsim.schema import Scenario, all_field_names
from negsim.targets import parse_target
from negsim.yamlio import MAX_DEPTH, Locs, format_path, load_with_extends, parse_yaml, short_text


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the resolved document it came from."""

    scenario: Scenario
    document: dict
    path: Path
    locs: dict | None = None


def _line(locs: Locs, path: tuple, default_file: str) -> tuple[str, int | None]:
    for n in range(len(path), -1, -1):
        if path[:n] in locs:
            return locs[path[:n]]
    return default_file, None


#: top-level mappings keyed by names: --set may change their entries but not invent new ones
NAMED_MAPS = ("actors", "issues", "bodies", "us_presence", "profiles")


def apply_overrides(doc: dict, locs: Locs, overrides: list[str]) -> list[Problem]:
    """Apply ``--set path=value`` overrides in place; values are parsed as YAML scalars/flows."""
    problems = []
    for item in overrides:
        if "=" not in item:
            problems.append(Problem("--set", item, "expected PATH=VALUE, e.g. actors.POL.trust.RUS=0.3"))
            continue
        key, _, text = item.partition("=")
        parts = [p for p in key.strip().split(".")]
        if not all(parts):
            problems.append(Problem("--set", short_text(key), "empty path segment"))
            continue
        if len(parts) > MAX_DEPTH:
            problems.append(
                Problem("--set", short_text(key), f"a path of {len(parts):,} segments; scenarios nest at most {MAX_DEPTH} levels")
            )
            continue
        value, problem = _override_value(key, text, len(parts))
        if problem:
            problems.append(problem)
            continue
        bad_star = [q for q in parts if "*" in q and q != "*"]
        if bad_star:
            problems.append(Problem("--set", key, f"* must be a whole path segment (actors.*.spoiler), not {bad_star[0]!r}"))
            continue
        if len(parts) >= 2 and parts[0] in NAMED_MAPS and parts[1] != "*" and isinstance(doc.get(parts[0]), dict):
            if parts[1] not in doc[parts[0]]:
                known = list(doc[parts[0]])
                problems.append(
                    Problem(
                        "--set",
                        key,
                        f"{parts[0]} has no {parts[1]!r}{_hint(parts[1], known)} (--set changes values; it does not add new entries)",
                    )
                )
                continue
        if "*" in parts:
            concrete = _expand_wildcards(doc, parts)
            if not concrete:
                problems.append(
                    Problem(
                        "--set",
                        key,
                        "the * matches nothing (it stands for every key of an existing mapping, e.g. actors.*.spoiler)",
                    )
                )
                continue
            problems += apply_overrides(doc, locs, [".".join(c) + "=" + text for c in concrete])
            continue
        node = doc
        for i, p in enumerate(parts[:-1]):
            if isinstance(node, list):
                try:
                    node = node[int(p)]
                    continue
                except (ValueError, IndexError):
                    problems.append(Problem("--set", key, f"{'.'.join(parts[: i + 1])} is not an index of a list"))
                    break
            if not isinstance(node, dict):
                problems.append(Problem("--set", key, f"{'.'.join(parts[:i])} is not a mapping"))
                break
            if not isinstance(node.get(p), dict | list):
                node[p] = {}
            node = node[p]
        else:
            if isinstance(node, dict):
                node[parts[-1]] = value
                locs[tuple(parts)] = ("--set", None)
            else:
                problems.append(Problem("--set", key, "cannot set inside a list"))
    return problems


def _override_value(key: str, text: str, depth: int) -> tuple[object, Problem | None]:
    """A ``--set`` value read as a scenario file is (tags, aliases, depth and sizes limited), or the problem."""
    try:
        value, _ = parse_yaml(text, "--set", depth=depth, empty_ok=True)
    except ScenarioError as e:
        return None, Problem("--set", key, f"cannot read value {short_text(text)!r}: {e.problems[0].message}")
    return value, None


def _expand_wildcards(doc, parts: list[str]) -> list[list[str]]:
    """Concrete paths for a path with ``*`` segments (each ``*`` = every key of that mapping)."""
    out = [[]]
    for seg in parts:
        nxt = []
        for prefix in out:
            node = doc
            for q in prefix:
                node = node.get(q) if isinstance(node, dict) else None
            if seg == "*":
                if isinstance(node, dict):
                    nxt += [prefix + [k] for k in node if k not in ("source", "assumption")]
            else:
                nxt.append(prefix + [seg])
        out = nxt
    return out


def expand_profiles(doc: dict, locs: Locs, fname: str) -> list[Problem]:
    """Replace ``profile: NAME`` in each actor by the profile's keys (the actor's own win)."""
    from negsim.yamlio import deep_merge

    problems = []
    profiles = doc.get("profiles") or {}
    actors = doc.get("actors")
    if not isinstance(actors, dict) or not isinstance(profiles, dict):
        return problems
    by_owner: dict[tuple, Locs] = {}  # locs grouped by (section, name) once, not scanned per actor
    for k, v in locs.items():
        by_owner.setdefault(k[:2], {})[k] = v
    for code, actor in actors.items():
        if not isinstance(actor, dict) or "profile" not in actor:
            continue
        name = actor.pop("profile")
        path = ("actors", code, "profile")
        if not isinstance(name, str) or name not in profiles or not isinstance(profiles[name], dict):
            hint = _hint(str(name), list(profiles))
            f, line = _line(locs, path, fname)
            problems.append(Problem(f, format_path(path), f"unknown profile {name!r}{hint}", line))
            continue
        base = copy.deepcopy(profiles[name])
        src, asm = base.pop("source", None), base.pop("assumption", None)
        if src or asm:
            from negsim.provenance import push_provenance

            base = {k: push_provenance(v, src, asm) for k, v in base.items()}
        base_locs = by_owner.get(("profiles", name), {})
        own_locs = by_owner.get(("actors", code), {})
        merged, mlocs = deep_merge(base, actor, {k[2:]: v for k, v in base_locs.items()}, {k[2:]: v for k, v in own_locs.items()})
        actors[code] = merged
        for k in own_locs:
            locs.pop(k, None)
        locs.update({("actors", code) + k: v for k, v in mlocs.items()})
    return problems


def _hint(name: str, options) -> str:
    close = difflib.get_close_matches(name, [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _clean_loc(loc: tuple, doc) -> tuple:
    """Drop pydantic's union/type tags from an error location, keeping real document keys."""
    out = []
    node = doc
    for seg in loc:
        if isinstance(node, dict) and seg in node:
            out.append(seg)
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int) and seg < len(node):
            out.append(seg)
            node = node[seg]
        elif seg == "from_front" and isinstance(node, dict):
            out.append("from")
            node = node.get("from")
        elif isinstance(node, dict) and not isinstance(seg, int) and seg not in node and not _is_tag(seg):
            out.append(seg)  # a missing or unknown key
            node = None
        else:
            continue
    return tuple(out)


def _is_tag(seg) -> bool:
    s = str(seg)
    return any(c in s for c in "[]()'") or s in {"str", "int", "float", "bool", "Members", "Cascade", "Incident"}


def _pydantic_problems(err: ValidationError, doc: dict, locs: Locs, fname: str) -> list[Problem]:
    known = sorted(all_field_names())
    by_path: dict[tuple, list[str]] = {}
    for e in err.errors():
        path = _clean_loc(e["loc"], doc)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {path[-1]!r}{_hint(str(path[-1]), known)}"
        elif e["type"] == "missing":
            msg = "required key is missing"
        elif e["type"] in ("dict_type", "model_type", "model_attributes_type"):
            msg = f"expected a mapping, got {type(e.get('input')).__name__}"
        elif e["type"] == "list_type":
            msg = f"expected a list, got {type(e.get('input')).__name__}"
        by_path.setdefault(path, [])
        if msg not in by_path[path]:
            by_path[path].append(msg)
    out = []
    for path, msgs in by_path.items():
        f, line = _line(locs, path, fname)
        out.append(Problem(f, format_path(path), "; or ".join(msgs) if len(msgs) > 1 else msgs[0], line))
    return out


def cross_check(sc: Scenario, locs: Locs, fname: str) -> list[Problem]:
    """References between parts of a valid-shaped scenario: actors, issues, bodies, paths."""
    problems: list[Problem] = []
    actors, issues, bodies = set(sc.actors), set(sc.issues), set(sc.bodies)
    names = actors | bodies

    def bad(path: tuple, message: str) -> None:
        f, line = _line(locs, path, fname)
        problems.append(Problem(f, format_path(path), message, line))

    def ref(path: tuple, name: str, pool: set, what: str) -> None:
        if name not in pool:
            bad(path, f"{what} {name!r} is not defined{_hint(name, pool)}")

    blocs = {b for a in sc.actors.values() for b in a.blocs}
    regions = set(sc.us_presence)
    for code, a in sc.actors.items():
        for k in a.trust:
            if k not in ("default", "*"):
                ref(("actors", code, "trust", k), k, actors, "actor")
        for part in ("positions", "salience", "red_lines"):
            for k in getattr(a, part):
                ref(("actors", code, part, k), k, issues, "issue")
        for j, k in enumerate(a.concession.categorical_on):
            ref(("actors", code, "concession", "categorical_on", j), k, issues, "issue")
        if regions and a.region not in regions:
            bad(("actors", code, "region"), f"region {a.region!r} has no entry in us_presence{_hint(a.region, regions)}")
    for name, b in sc.bodies.items():
        if isinstance(b.members, list):
            for i, m in enumerate(b.members):
                ref(("bodies", name, "members", i), m, actors, "actor")
                if m in b.members[:i]:
                    bad(("bodies", name, "members", i), f"{m} is listed more than once (a member has one vote)")
            if not b.members:
                bad(("bodies", name, "members"), "a body needs at least one member")
        elif b.members.bloc not in blocs:
            bad(("bodies", name, "members", "bloc"), f"no actor belongs to bloc {b.members.bloc!r}{_hint(b.members.bloc, blocs)}")
    for iid, iss in sc.issues.items():
        if isinstance(iss.obligor, list):
            for i, o in enumerate(iss.obligor):
                ref(("issues", iid, "obligor", i), o, names, "actor or body")
    t = sc.talks
    if not t.issues:
        bad(("talks", "issues"), "the talks need at least one issue")
    seen = set()
    for i, iid in enumerate(t.issues):
        ref(("talks", "issues", i), iid, issues, "issue")
        if iid in seen:
            bad(("talks", "issues", i), f"issue {iid!r} is listed twice")
        seen.add(iid)
    if t.mediator is not None:
        ref(("talks", "mediator"), t.mediator, actors, "actor")
    for i, p in enumerate(sc.pact.parties):
        ref(("pact", "parties", i), p, names, "actor or body")
    if len(set(sc.pact.parties)) != len(sc.pact.parties):
        bad(("pact", "parties"), "a party is listed twice")
    if t.sequencing == "shuttle" and not t.stages:
        bad(("talks", "stages"), "shuttle sequencing needs stages, e.g. [[USA, RUS], [NATO, RUS]]")
    for i, stage in enumerate(t.stages):
        for j, p in enumerate(stage):
            ref(("talks", "stages", i, j), p, names, "actor or body")
    if t.sequencing == "shuttle" and t.stages:
        staged = {p for st in t.stages for p in st}
        for i, p in enumerate(sc.pact.parties):
            if p not in staged:
                bad(
                    ("pact", "parties", i),
                    f"party {p!r} is in no shuttle stage, so it would never be asked; add it to talks.stages",
                )
    if t.sequencing == "parallel":
        if t.counterpart is None:
            bad(("talks", "counterpart"), "parallel sequencing needs a counterpart (who signs with each other party)")
        else:
            ref(("talks", "counterpart"), t.counterpart, actors, "actor")
    for i, ev in enumerate(sc.events):
        base = ("events", i)
        if sum(v is not None for v in (ev.at, ev.hazard, ev.round)) != 1:
            bad(
                base,
                "an event needs exactly one of 'at' (a period), 'round' (a round of the talks) or 'hazard' (a chance per period)",
            )
        if not ev.set and not ev.shift and ev.incident is None:
            bad(base, "an event must do something: set, shift or incident")
        for kind in ("set", "shift"):
            for path in getattr(ev, kind):
                try:
                    parse_target(path, sc)
                except ValueError as e:
                    bad(base + (kind, path), str(e))
        if ev.incident is not None:
            for j, a in enumerate(ev.incident.between):
                ref(base + ("incident", "between", j), a, actors, "actor")
    return problems


#: keys whose removal would make the cross-check report errors that are not there
_STRUCTURAL = {
    "blocs",
    "region",
    "members",
    "bloc",
    "sequencing",
    "stages",
    "counterpart",
    "parties",
    "issues",
    "mediator",
    "profile",
    "at",
    "hazard",
    "round",
    "set",
    "shift",
    "incident",
    "between",
    "categorical_on",
}


def _cross_check_pruned(doc: dict, err: ValidationError, locs: Locs, fname: str) -> list[Problem]:
    """Report reference errors in the same pass as shape errors ("all errors at once").

    Drops the values pydantic rejected (leaf parameters only, so no reference disappears)
    and cross-checks the rest; gives up (returns nothing) when that is not safe.
    """
    pruned = copy.deepcopy(doc)
    for _ in range(4):
        for e in err.errors():
            path = _clean_loc(e["loc"], pruned)
            keys = [seg for seg in path if not isinstance(seg, int)]
            if e["type"] == "missing" or len(path) < 3 or not keys or keys[-1] in _STRUCTURAL or path[0] == "us_presence":
                return []
            while path and isinstance(path[-1], int):  # drop the list, not one item (indices stay true)
                path = path[:-1]
            parent = pruned
            for seg in path[:-1]:
                parent = parent.get(seg) if isinstance(parent, dict) else None
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
        try:
            sc = Scenario.model_validate(pruned)
        except ValidationError as e2:
            err = e2
            continue
        except Exception:  # noqa: BLE001 - best effort only; the shape errors are already reported
            return []
        return cross_check(sc, locs, fname)
    return []


def load_scenario(path: str | Path, overrides: list[str] | None = None, *, allow_outside: bool = False) -> LoadedScenario:
    """Read, resolve and validate a scenario file; raise :class:`ScenarioError` listing every problem."""
    path = Path(path)
    fname = str(path)
    doc, locs = load_with_extends(path, allow_outside=allow_outside)
    problems = apply_overrides(doc, locs, list(overrides or []))
    problems += expand_profiles(doc, locs, fname)
    doc.setdefault("name", path.stem)
    try:
        sc = Scenario.model_validate(doc)
    except ValidationError as e:
        problems += _pydantic_problems(e, doc, locs, fname)
        problems += [p for p in _cross_check_pruned(doc, e, locs, fname) if p not in problems]
        raise ScenarioError(_sorted(problems)) from None
    problems += cross_check(sc, locs, fname)
    if problems:
        raise ScenarioError(_sorted(problems))
    return LoadedScenario(sc, doc, path, locs)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file != "--set", p.file, p.line or 0, p.path))
