"""Loading a scenario file: YAML -> overrides -> profiles -> validation -> :class:`Scenario`.

Every problem is collected with its file, path and line, and raised together as one
:class:`~negsim.errors.ScenarioError`; nothing here raises a bare traceback for bad input.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from negsim.errors import Problem, ScenarioError
from negsim.scenario.references import cross_check, did_you_mean, line_of
from negsim.scenario.schema import Scenario, all_field_names
from negsim.scenario.yamlio import MAX_DEPTH, Locs, format_path, load_with_extends, parse_yaml, short_text


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the resolved document it came from."""

    scenario: Scenario
    document: dict
    path: Path
    locs: dict | None = None


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
                        f"{parts[0]} has no {parts[1]!r}{did_you_mean(parts[1], known)} (--set changes values; it does not add new entries)",
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
    from negsim.scenario.yamlio import deep_merge

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
            hint = did_you_mean(str(name), list(profiles))
            f, line = line_of(locs, path, fname)
            problems.append(Problem(f, format_path(path), f"unknown profile {name!r}{hint}", line))
            continue
        base = copy.deepcopy(profiles[name])
        src, asm = base.pop("source", None), base.pop("assumption", None)
        if src or asm:
            from negsim.scenario.provenance import push_provenance

            base = {k: push_provenance(v, src, asm) for k, v in base.items()}
        base_locs = by_owner.get(("profiles", name), {})
        own_locs = by_owner.get(("actors", code), {})
        merged, mlocs = deep_merge(base, actor, {k[2:]: v for k, v in base_locs.items()}, {k[2:]: v for k, v in own_locs.items()})
        actors[code] = merged
        for k in own_locs:
            locs.pop(k, None)
        locs.update({("actors", code) + k: v for k, v in mlocs.items()})
    return problems


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


def pydantic_problems(err: ValidationError, doc: dict, locs: Locs, fname: str) -> list[Problem]:
    """Each pydantic validation error as a Problem at its line, with a did-you-mean for unknown fields."""
    known = sorted(all_field_names())
    by_path: dict[tuple, list[str]] = {}
    for e in err.errors():
        path = _clean_loc(e["loc"], doc)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {path[-1]!r}{did_you_mean(str(path[-1]), known)}"
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
        f, line = line_of(locs, path, fname)
        out.append(Problem(f, format_path(path), "; or ".join(msgs) if len(msgs) > 1 else msgs[0], line))
    return out


def load_scenario(path: str | Path, overrides: list[str] | None = None, *, allow_outside: bool = False) -> LoadedScenario:
    """Read, resolve and validate a scenario file; raise :class:`ScenarioError` listing every problem."""
    path = Path(path)
    fname = str(path)
    doc, locs = load_with_extends(path, allow_outside=allow_outside)
    problems = apply_overrides(doc, locs, list(overrides or []))
    problems += expand_profiles(doc, locs, fname)
    doc.setdefault("name", path.stem)
    sc = None
    try:
        sc = Scenario.model_validate(doc)
    except ValidationError as e:
        problems += pydantic_problems(e, doc, locs, fname)
    problems += [p for p in cross_check(doc, locs, fname) if p not in problems]  # in the same pass, shape errors or not
    if problems or sc is None:
        raise ScenarioError(_sorted(problems))
    return LoadedScenario(sc, doc, path, locs)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file != "--set", p.file, p.line or 0, p.path))


def load_compiled(path: str | Path, overrides: list[str] | None = None, allow_outside: bool = False):
    """Load, validate and compile a scenario (a file path or a bundled name); raises :class:`ScenarioError` on bad input."""
    from negsim.paths import resolve_scenario_path
    from negsim.scenario.compile import CompiledScenario

    ls = load_scenario(resolve_scenario_path(str(path)), overrides, allow_outside=allow_outside)
    return CompiledScenario(ls.scenario, ls.document)


def shadowed_by_events(comp, paths: list[str]) -> list[str]:
    """Warnings for parameters that a scenario event sets again (so changing them may do little)."""
    out = []
    for i, ev in enumerate(comp.scenario.events):
        when = f"at period {ev.at}" if ev.at is not None else (f"at round {ev.round}" if ev.round is not None else "by chance")
        for path in ev.set:
            for p in paths:
                if p == path:
                    out.append(
                        f"{p} is also set by event {i} ('{ev.label or path}') {when}; the event's value replaces yours from then on"
                    )
    return out
