"""Where every number comes from: source cards and the provenance of scenario parameters.

Source cards (``seeds/*.yaml``) hold each source document's claims in our own words. A scenario
parameter rests on the ``source:`` claim ids (or the ``assumption:``) of the nearest mapping
that encloses it: the parameter's own mapping, else its issue, actor, body or event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from negsim.errors import Problem, ScenarioError
from negsim.params import KINDS
from negsim.schema import MAP_FIELDS, scale_text

SKIP = {
    "name", "title", "question", "expected", "label", "meaning", "source", "assumption", "extends", "profile", "period",
    "profiles",
}  # fmt: skip
#: mappings of issue levels (on each issue's 0-1 scale): explain shows the scale next to them
LEVELS = ("positions", "red_lines")
#: mappings whose keys are names (actors, issues): they do not carry provenance for their children
CONTAINERS = (MAP_FIELDS - {"profiles"}) | {"events"}


class Claim(BaseModel):
    """One claim of a source document, paraphrased."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    paraphrase: str
    paragraph: int | str
    actors: list[str] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list)
    implies: str = ""
    also_in: list[str] = Field(default_factory=list)
    opinion: bool = False


class Card(BaseModel):
    """A source card: one source document and its claims."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str
    title: str
    author: str = "unknown"
    date: str | int | dt.date = "unknown"
    kind: Literal["analysis", "commentary", "reader_comments", "paraphrase", "compilation"]
    weight: Literal["primary", "secondary", "opinion"] = "primary"
    duplicates: list[str] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


REPO_SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seeds_dir() -> Path:
    """The project's source cards: ./seeds, else the source checkout's, else the installed copy (``pip install .``)."""
    local = Path.cwd() / "seeds"
    if local.is_dir() and any(local.glob("*.yaml")):
        return local
    if REPO_SEEDS.is_dir():
        return REPO_SEEDS
    from negsim.api import installed_data

    return installed_data("seeds") or REPO_SEEDS


def load_cards(directory: Path | None = None) -> dict[str, Card]:
    """All cards by name (file stem); raises :class:`ScenarioError` on a malformed card."""
    directory = directory or seeds_dir()
    cards, problems = {}, []
    for f in sorted(directory.glob("*.yaml")):
        try:
            # the C safe loader when libyaml is there (4x faster on the cards; still only plain data)
            doc = yaml.load(f.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            cards[f.stem] = Card.model_validate(doc)
        except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as e:
            problems.append(Problem(str(f), "", f"not a valid source card: {str(e).splitlines()[0]}"))
    seen: dict[str, str] = {}
    for name, card in cards.items():
        for c in card.claims:
            if c.id in seen:
                problems.append(Problem(str(directory / f"{name}.yaml"), c.id, f"claim id also used in {seen[c.id]}"))
            seen[c.id] = name
    if problems:
        raise ScenarioError(problems)
    return cards


def claims_by_id(cards: dict[str, Card]) -> dict[str, tuple[str, Claim]]:
    """Claim id -> (card name, claim)."""
    return {c.id: (name, c) for name, card in cards.items() for c in card.claims}


@dataclass(frozen=True)
class Entry:
    """One scenario parameter and what it rests on."""

    path: str
    value: object
    source: tuple[str, ...]
    assumption: str | None
    origin: str  # the path of the mapping that gave the provenance ("" if none)
    key: tuple = ()  # the path as a tuple of document keys
    origin_key: tuple = ()  # the same for the origin

    @property
    def covered(self) -> bool:
        """Has a source or an assumption."""
        return bool(self.source) or bool(self.assumption)


def _is_param_mapping(v) -> bool:
    return isinstance(v, dict) and any(k in v for k in KINDS)


def _prov(v: dict) -> tuple[tuple[str, ...], str | None]:
    src = v.get("source") or ()
    if isinstance(src, str):
        src = (src,)
    return tuple(str(s) for s in src), v.get("assumption")


def entries(document: dict) -> list[Entry]:
    """Every parameter of a resolved scenario document with its provenance."""
    out: list[Entry] = []

    def walk(node, path: str, key: tuple, inherited: tuple, origin: tuple):
        if isinstance(node, dict) and not _is_param_mapping(node):
            src, asm = _prov(node)
            if src or asm:
                inherited, origin = (src, asm), (path, key)
            for k, v in node.items():
                if k in SKIP:
                    continue
                walk(v, f"{path}.{k}" if path else str(k), key + (k,), inherited, origin)
            return
        if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", key + (i,), inherited, origin)
            return
        if _is_param_mapping(node):
            src, asm = _prov(node)
            if src or asm:
                inherited, origin = (src, asm), (path, key)
        out.append(Entry(path, node, inherited[0], inherited[1], origin[0], key, origin[1]))

    top = {k: v for k, v in document.items() if k not in SKIP}
    for k, v in top.items():
        walk(v, k, (k,), ((), None), ("", ()))
    return out


def check_document(
    document: dict, known: dict[str, tuple[str, Claim]], fname: str, locs: dict | None = None, citations_only: bool = False
) -> list[Problem]:
    """Parameters with neither source nor assumption, and citations of unknown claims (only those if ``citations_only``).

    With ``locs`` (path -> (file, line) from the loader), a value that a file overrides without
    giving its own source or assumption is flagged too: the provenance it would inherit was
    written, in another file, for the value it replaced.
    """
    problems = []
    for e in entries(document):
        where = locs.get(e.key) if locs else None
        file, line = where if where else (fname, None)
        if citations_only:
            pass
        elif not e.covered:
            problems.append(Problem(file, e.path, "no source and no assumption", line))
        elif locs and where and e.origin_key:
            prov_file = next(
                (locs[e.origin_key + (k,)][0] for k in ("source", "assumption") if e.origin_key + (k,) in locs), None
            )
            if prov_file is not None and prov_file != file:
                problems.append(
                    Problem(file, e.path, f"overrides a value of {prov_file} without its own source or assumption", line)
                )
        for s_ in e.source:
            if s_ not in known:
                problems.append(Problem(file, e.path, f"cites unknown claim {s_!r}", line))
    return problems


def describe_value(v) -> str:
    """A parameter value as text (distributions in words)."""
    from negsim.params import parse_param

    if _is_param_mapping(v):
        try:
            return parse_param(v, -1e18, 1e18).describe()
        except ValueError:
            return str(v)
    if isinstance(v, float | int) and not isinstance(v, bool):
        return f"{v:g}"
    return str(v)


def explain(document: dict, prefix: str = "", cards: dict[str, Card] | None = None) -> list[str]:
    """Lines telling, for each parameter (under ``prefix``), its value and what it rests on."""
    cards = cards if cards is not None else load_cards()
    known = claims_by_id(cards)
    scales = issue_scales(document)
    lines, shown = [], set()
    for e in entries(document):
        if prefix and not (e.path == prefix or e.path.startswith(prefix + ".") or e.path.startswith(prefix + "[")):
            continue
        if e.key[:1] == ("issues",) and len(e.key) > 1 and e.key[1] in scales and e.key[1] not in shown:
            shown.add(e.key[1])
            lines.append(f"issues.{e.key[1]}: levels {scales[e.key[1]]}")
        level = len(e.key) > 1 and e.key[-2] in LEVELS and e.key[-1] in scales
        lines.append(f"{e.path} = {describe_value(e.value)}" + (f"  ({scales[e.key[-1]]})" if level else ""))
        via = f" (via {e.origin})" if e.origin and e.origin != e.path else ""
        for s in e.source:
            if s in known:
                card, c = known[s]
                tag = " [reader opinion]" if c.opinion else ""
                also = f"; also {', '.join(c.also_in)}" if c.also_in else ""
                lines.append(f"    {s}{via}: {c.paraphrase} [{cards[card].file} para {c.paragraph}{also}]{tag}")
            else:
                lines.append(f"    {s}{via}: UNKNOWN CLAIM ID")
        if e.assumption:
            lines.append(f"    ASSUMPTION{via}: {e.assumption}")
        if not e.covered:
            lines.append("    NO SOURCE, NO ASSUMPTION")
    return lines


def issue_scales(document: dict) -> dict[str, str]:
    """Each issue's ``meaning`` as text, ``0 = ..., 1 = ...`` (issues without one are left out)."""
    issues = (document.get("issues") or {}).items()
    scales = {iid: scale_text(issue.get("meaning")) for iid, issue in issues if isinstance(issue, dict)}
    return {iid: text for iid, text in scales.items() if text}


def support_counts(documents: list[dict]) -> dict[str, int]:
    """How many scenario parameters (over the given documents) cite each claim."""
    counts: dict[str, int] = {}
    for doc in documents:
        for e in entries(doc):
            for s in e.source:
                counts[s] = counts.get(s, 0) + 1
    return counts


def push_provenance(node, source, assumption):
    """Give every value under ``node`` the provenance ``source``/``assumption`` unless it has its own.

    Used when a profile's values are copied into an actor, so they keep the profile's sources.
    """
    if not source and not assumption:
        return node
    prov = {}
    if source:
        prov["source"] = list(source) if not isinstance(source, str) else [source]
    if assumption:
        prov["assumption"] = assumption
    if isinstance(node, bool) or node is None or isinstance(node, str | list):
        return node
    if isinstance(node, int | float):
        return {"value": node, **prov}
    if isinstance(node, dict):
        if "source" in node or "assumption" in node:
            return node
        if _is_param_mapping(node):
            return {**node, **prov}
        return {**node, **prov}
    return node
