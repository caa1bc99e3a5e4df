"""Where every number comes from: source cards and the provenance of scenario parameters.

Source cards (``seeds/*.yaml``) hold each source's claims in our own words, and each claim
says which parameters it speaks about (``about:``, path patterns such as
``actors.*.trust.RUS``). A claim cited with ``source:`` on a mapping supports only the values
under that mapping that it speaks about. A value rests on the nearest mapping (its own, else
the closest enclosing one, up to the document itself) that cites a claim speaking about it or
states an ``assumption:``; it takes that mapping's matching claims and its assumption.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from negsim.errors import Problem, ScenarioError
from negsim.paths import seeds_dir
from negsim.scenario.params import KINDS
from negsim.scenario.schema import scale_text

SKIP = {
    "name", "title", "question", "expected", "label", "meaning", "source", "assumption", "extends", "profile", "period",
    "profiles",
}  # fmt: skip
#: mappings of issue levels (on each issue's 0-1 scale): explain shows the scale next to them
LEVELS = ("positions", "red_lines")
#: an ``about`` pattern: keys joined by dots; ``*`` is any one key, ``a|b`` either of two
_PATTERN = re.compile(r"[A-Za-z0-9_*|]+(\.[A-Za-z0-9_*|]+)*")


class Claim(BaseModel):
    """One claim of a source document, paraphrased, and the parameters it speaks about."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    paraphrase: str
    paragraph: int | str
    actors: list[str] = Field(default_factory=list)
    issues: list[str] = Field(default_factory=list)
    about: list[str] = Field(default_factory=list)
    implies: str = ""
    also_in: list[str] = Field(default_factory=list)
    opinion: bool = False

    @field_validator("about")
    @classmethod
    def _patterns(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if not _PATTERN.fullmatch(p)]
        if bad:
            raise ValueError(f"about: {bad[0]!r} is not a path pattern such as actors.*.trust.RUS")
        return v

    @field_validator("about")
    @classmethod
    def _known_parameters(cls, v: list[str]) -> list[str]:
        for p in v:
            err = _pattern_error(p)
            if err:
                raise ValueError(f"about: {p!r} names no parameter ({err})")
        return v

    def speaks_about(self, key: tuple) -> bool:
        """Whether one of the ``about`` patterns matches the value at ``key`` (or a mapping above it)."""
        flat = _flat(key)
        return any(_matches_flat(_segments(p), flat) for p in self.about)


class Card(BaseModel):
    """A source card: one source (a document in ../shared/seeds, or a public statistic) and its claims."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    file: str = ""
    title: str
    author: str = "unknown"
    date: str | int | dt.date = "unknown"
    kind: Literal["analysis", "commentary", "reader_comments", "paraphrase", "compilation", "public_statistics", "public_record"]
    weight: Literal["primary", "secondary", "opinion"] = "primary"
    duplicates: list[str] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)

    def cite(self, claim: Claim) -> str:
        """Where a claim can be checked: file and paragraph, or a public source's title."""
        also = f"; also {', '.join(claim.also_in)}" if claim.also_in else ""
        if self.kind == "public_statistics":
            return f"{self.title}, {claim.paragraph}{also}; public source, paraphrased"
        if self.kind == "public_record":  # a treaty text, a roll call, an announcement: the claim's paragraph is its reference
            return f"{claim.paragraph}{also}; public record, paraphrased"
        return f"{self.file} para {claim.paragraph}{also}"


def _pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` names no parameter of the scenario language (a misspelt field), or None."""
    from negsim.scenario.schema import Scenario

    node = Scenario
    for seg in pattern.split("."):
        node = _inner(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            fields = {(f.alias or n): n for n, f in node.model_fields.items() if n not in ("source", "assumption")}
            if seg == "*":
                return None
            bad = [a for a in seg.split("|") if a not in fields]
            if bad:
                return f"{node.__name__} has no {bad[0]!r}"
            node = node.model_fields[fields[seg]].annotation if "|" not in seg else None
        elif get_origin(node) in (dict, list):
            node = get_args(node)[-1]  # a name or an index
        else:
            return None  # a value, or keys the language leaves free (event set/shift paths)
    return None


def _inner(tp):
    """The model, dict or list inside ``Annotated[...]`` or ``X | None``, else ``tp``."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if get_origin(tp) in (Union, UnionType):
        args = get_args(tp)
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if models else next((a for a in args if get_origin(a) in (dict, list)), tp)
    return tp


def _matches(pattern: str, key: tuple) -> bool:
    """Whether ``pattern`` (e.g. ``actors.*.trust``) matches ``key`` (e.g. ``("actors", "POL", "trust", "RUS")``) or a key above it.

    ``*`` is any one key, ``POL|LTU`` either key; a key ``*`` (a profile's value, as any actor's) matches any segment.
    """
    return _matches_flat(_segments(pattern), _flat(key))


@functools.lru_cache(maxsize=4096)
def _segments(pattern: str) -> tuple[frozenset | None, ...]:
    return tuple(None if s == "*" else frozenset(s.split("|")) for s in pattern.split("."))


def _flat(key: tuple) -> tuple[str, ...]:
    return tuple(part for k in key for part in str(k).split("."))  # event set keys such as us_presence.CEE


def _matches_flat(segs: tuple, flat: tuple) -> bool:
    return len(segs) <= len(flat) and all(s is None or k == "*" or k in s for s, k in zip(segs, flat, strict=False))


def load_cards(directory: Path | None = None) -> dict[str, Card]:
    """All cards by name (file stem); raises :class:`ScenarioError` on a malformed card."""
    directory = directory or seeds_dir()
    cards, problems = {}, []
    for f in sorted(directory.glob("*.yaml")):
        try:
            # the C safe loader when libyaml is there (4x faster on the cards; still only plain data)
            doc = yaml.load(f.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            cards[f.stem] = Card.model_validate(doc)
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(k) for k in err["loc"])
            problems.append(Problem(str(f), where, f"not a valid source card: {err['msg'].removeprefix('Value error, ')}"))
            continue
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            problems.append(Problem(str(f), "", f"not a valid source card: {str(e).splitlines()[0]}"))
            continue
        if not cards[f.stem].file and cards[f.stem].kind not in ("public_statistics", "public_record"):
            problems.append(
                Problem(
                    str(f),
                    "file",
                    "a card of a source document names its file (only public_statistics and public_record cards have none)",
                )
            )
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
    origin: str  # the path of the mapping that gave the provenance ("" for the document itself)
    key: tuple = ()  # the path as a tuple of document keys
    origin_key: tuple | None = None  # the same for the origin (None: nothing gave provenance)

    @property
    def covered(self) -> bool:
        """Has a source or an assumption."""
        return bool(self.source) or bool(self.assumption)

    @property
    def via(self) -> str:
        """`` (via PATH)`` when the provenance comes from an enclosing mapping, else ``""``."""
        if self.origin_key is None or self.origin_key == self.key:
            return ""
        return f" (via {self.origin or 'the top level'})"


@dataclass(frozen=True)
class Citation:
    """The provenance written on one mapping: its claim ids and its assumption."""

    path: str
    key: tuple
    source: tuple[str, ...]
    assumption: str | None


def _is_param_mapping(v) -> bool:
    return isinstance(v, dict) and any(k in v for k in KINDS)


def _prov(v: dict) -> tuple[tuple[str, ...], str | None]:
    """A mapping's claim ids and assumption (their shapes are checked by :func:`shape_problems`)."""
    src = v.get("source") or ()
    src = (src,) if isinstance(src, str) else tuple(src)
    return src, v.get("assumption") or None


def _shape_error(node: dict) -> str | None:
    """Why a mapping's ``source``/``assumption`` cannot be read, or None."""
    src = node.get("source")
    if src is not None and not isinstance(src, str) and not (isinstance(src, list) and all(isinstance(s, str) for s in src)):
        return f"source must be a claim id or a list of claim ids, not {src!r}"
    asm = node.get("assumption")
    if asm is not None and not isinstance(asm, str):
        return f"assumption must be a sentence in quotes, not {asm!r}"
    return None


def shape_problems(document: dict, fname: str = "", locs: dict | None = None) -> list[Problem]:
    """Every ``source:`` that is not claim ids and every ``assumption:`` that is not text, with its line."""
    problems = []

    def walk(node, key: tuple):
        if isinstance(node, dict):
            msg = _shape_error(node)
            if msg:
                bad = key + ("source" if "source" in msg.split()[0] else "assumption",)
                file, line = _where(locs, bad, fname)
                problems.append(Problem(file, _path(bad), msg, line))
            for k, v in node.items():
                walk(v, key + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, key + (i,))

    walk(document, ())
    return problems


def _path(key: tuple) -> str:
    out = ""
    for k in key:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out


def _where(locs: dict | None, key: tuple, fname: str) -> tuple[str, int | None]:
    """The (file, line) of ``key``, else of the nearest enclosing key the loader located."""
    for n in range(len(key), -1, -1):
        if locs and key[:n] in locs:
            return locs[key[:n]]
    return fname, None


def _walk(document: dict, known: dict) -> tuple[list[Entry], list[Citation], set]:
    """Every value with its provenance; every mapping's citations; the (mapping key, claim id) pairs that speak about a value."""
    out: list[Entry] = []
    cites: list[Citation] = []
    used: set = set()

    def level(node: dict, path: str, key: tuple, levels: tuple) -> tuple:
        src, asm = _prov(node)
        if not (src or asm):
            return levels
        cites.append(Citation(path, key, src, asm))
        return levels + (cites[-1],)

    def walk(node, path: str, key: tuple, levels: tuple):
        if isinstance(node, dict) and not _is_param_mapping(node):
            levels = level(node, path, key, levels)
            for k, v in node.items():
                if k not in SKIP:
                    walk(v, f"{path}.{k}" if path else str(k), key + (k,), levels)
            return
        if isinstance(node, list) and node and all(isinstance(x, dict) for x in node):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]", key + (i,), levels)
            return
        if _is_param_mapping(node):
            levels = level(node, path, key, levels)
        out.append(_resolve(path, key, node, levels, known, used))

    walk(document, "", (), ())
    return out, cites, used


def _resolve(path: str, key: tuple, value, levels: tuple, known: dict, used: set) -> Entry:
    """The nearest level that has a claim speaking about ``key`` or an assumption gives the provenance."""
    found = None
    for lv in reversed(levels):
        speaking = []
        for s in lv.source:
            if s in known and known[s][1].speaks_about(key):
                speaking.append(s)
                used.add((lv.key, s))
            elif s not in known and lv.key == key:
                speaking.append(s)  # an unknown id on the value's own mapping: shown, and reported there
        if found is None and (speaking or lv.assumption):
            found = Entry(path, value, tuple(speaking), lv.assumption, lv.path, key, lv.key)
    return found or Entry(path, value, (), None, "", key, None)


def _known_or_cards(known: dict | None) -> dict:
    return claims_by_id(load_cards()) if known is None else known


def entries(document: dict, known: dict[str, tuple[str, Claim]] | None = None) -> list[Entry]:
    """Every parameter of a resolved scenario document with its provenance (``known``: claims by id, default the cards)."""
    bad = shape_problems(document)
    if bad:
        raise ScenarioError(bad)
    return _walk(document, _known_or_cards(known))[0]


def check_document(
    document: dict, known: dict[str, tuple[str, Claim]], fname: str, locs: dict | None = None, citations_only: bool = False
) -> list[Problem]:
    """Malformed provenance and citations of unknown claims, and (unless ``citations_only``) uncovered values and idle citations.

    Uncovered: a value with neither a claim speaking about it nor an assumption. Idle: a claim
    cited on a mapping that speaks about no value under it.

    With ``locs`` (path -> (file, line) from the loader), a value that a file overrides without
    giving its own source or assumption is flagged too: the provenance it would inherit was
    written, in another file, for the value it replaced.
    """
    problems = shape_problems(document, fname, locs)
    if problems:
        return problems
    ents, cites, used = _walk(document, known)
    for c in cites:
        file, line = _where(locs, c.key + ("source",), fname)
        for s in c.source:
            if s not in known:
                problems.append(Problem(file, c.path, f"cites unknown claim {s!r}", line))
            elif not citations_only and (c.key, s) not in used and not _copied_from_profile(c, document):
                problems.append(Problem(file, c.path, _speaks_about_nothing(s, known), line))
    if not citations_only:
        problems += _profile_problems(document, known, fname, locs)
        for e in ents:
            problems += _value_problems(e, fname, locs)
    return problems


def _copied_from_profile(c: Citation, document: dict) -> bool:
    """Whether an actor's citation is a profile's, copied into the actor (those are checked at the profile)."""
    if c.key[:1] != ("actors",) or len(c.key) < 3:
        return False
    profiles = document.get("profiles")
    for prof in profiles.values() if isinstance(profiles, dict) else ():
        node = prof
        for k in c.key[2:]:
            node = node.get(k) if isinstance(node, dict) else None
        if (isinstance(prof, dict) and _prov(prof)[0] == c.source) or (isinstance(node, dict) and _prov(node)[0] == c.source):
            return True
    return False


def _value_problems(e: Entry, fname: str, locs: dict | None) -> list[Problem]:
    where = locs.get(e.key) if locs else None
    file, line = where if where else (fname, None)
    if not e.covered:
        return [Problem(file, e.path, "no source that speaks about it and no assumption", line)]
    if locs and where and e.origin_key is not None:
        keys = ("source",) if e.source else ("assumption",)
        prov_file = next((locs[e.origin_key + (k,)][0] for k in keys if e.origin_key + (k,) in locs), None)
        if prov_file is not None and prov_file != file:
            what = f"the {keys[0]} on {e.origin or 'the top level'}"
            msg = f"set in {file}, but {what} was written in {prov_file} for other values; give it its own source or assumption"
            return [Problem(file, e.path, msg, line)]
    return []


def _profile_problems(document: dict, known: dict, fname: str, locs: dict | None) -> list[Problem]:
    """A claim cited in a profile must speak about some value below it, as the value of any actor (``actors.*``)."""
    problems = []
    profiles = document.get("profiles")
    for name, prof in profiles.items() if isinstance(profiles, dict) else ():
        for key, node in _mappings(prof, ("profiles", name)):
            leaves = [("actors", "*") + k[2:] for k in _leaf_keys(node, key)]
            for s in _prov(node)[0]:
                if s in known and not any(known[s][1].speaks_about(k) for k in leaves):
                    file, line = _where(locs, key + ("source",), fname)
                    problems.append(Problem(file, _path(key), _speaks_about_nothing(s, known), line))
    return problems


def _speaks_about_nothing(claim_id: str, known: dict) -> str:
    about = ", ".join(known[claim_id][1].about) or "nothing"
    return f"cites {claim_id!r}, which speaks about no value here (it is about: {about})"


def _mappings(node, key: tuple):
    """Every mapping at or below ``node`` (parameters written as mappings included), with its key."""
    if isinstance(node, dict):
        yield key, node
        for k, v in node.items():
            if k not in SKIP:
                yield from _mappings(v, key + (k,))


def _leaf_keys(node, key: tuple) -> list[tuple]:
    if isinstance(node, dict) and not _is_param_mapping(node):
        return [leaf for k, v in node.items() if k not in SKIP for leaf in _leaf_keys(v, key + (k,))]
    return [key]


def describe_value(v) -> str:
    """A parameter value as text (distributions in words)."""
    from negsim.scenario.params import parse_param

    if _is_param_mapping(v):
        try:
            return parse_param(v, -1e18, 1e18).describe()
        except ValueError:
            return str(v)
    if isinstance(v, float | int) and not isinstance(v, bool):
        return f"{v:g}"
    return str(v)


def explain(
    document: dict, prefix: str = "", cards: dict[str, Card] | None = None, fname: str = "", locs: dict | None = None
) -> list[str]:
    """Lines telling, for each parameter (under ``prefix``), its value and the claims that speak about it or its assumption."""
    bad = shape_problems(document, fname, locs)
    if bad:
        raise ScenarioError(bad)
    cards = cards if cards is not None else load_cards()
    known = claims_by_id(cards)
    scales = issue_scales(document)
    lines, shown = [], set()
    for e in _walk(document, known)[0]:
        if prefix and not (e.path == prefix or e.path.startswith(prefix + ".") or e.path.startswith(prefix + "[")):
            continue
        if e.key[:1] == ("issues",) and len(e.key) > 1 and e.key[1] in scales and e.key[1] not in shown:
            shown.add(e.key[1])
            lines.append(f"issues.{e.key[1]}: levels {scales[e.key[1]]}")
        level = len(e.key) > 1 and e.key[-2] in LEVELS and e.key[-1] in scales
        lines.append(f"{e.path} = {describe_value(e.value)}" + (f"  ({scales[e.key[-1]]})" if level else ""))
        for s in e.source:
            if s in known:
                card, c = known[s]
                tag = " [reader opinion]" if c.opinion else ""
                lines.append(f"    {s}{e.via}: {c.paraphrase} [{cards[card].cite(c)}]{tag}")
            else:
                lines.append(f"    {s}{e.via}: UNKNOWN CLAIM ID")
        if e.assumption:
            lines.append(f"    ASSUMPTION{e.via}: {e.assumption}")
        if not e.covered:
            lines.append("    NO SOURCE, NO ASSUMPTION")
    return lines


def issue_scales(document: dict) -> dict[str, str]:
    """Each issue's ``meaning`` as text, ``0 = ..., 1 = ...`` (issues without one are left out)."""
    issues = (document.get("issues") or {}).items()
    scales = {iid: scale_text(issue.get("meaning")) for iid, issue in issues if isinstance(issue, dict)}
    return {iid: text for iid, text in scales.items() if text}


def support_counts(documents: list[dict], known: dict[str, tuple[str, Claim]] | None = None) -> dict[str, int]:
    """How many distinct parameters (paths, over the given documents) each claim supports."""
    known = _known_or_cards(known)
    paths: dict[str, set] = {}
    for doc in documents:
        for e in _walk(doc, known)[0]:
            for s in e.source:
                paths.setdefault(s, set()).add(e.path)
    return {s: len(p) for s, p in paths.items()}


def push_provenance(node, source, assumption):
    """Give every value under ``node`` the provenance ``source``/``assumption`` unless it has its own.

    Used when a profile's values are copied into an actor, so they keep the profile's sources
    (each claim still supports only the values it speaks about). The provenance goes onto each
    number and distribution, not onto the mapping that holds them, so a value the actor sets
    itself in that mapping rests on the actor's provenance, not on the profile's; only a
    mapping holding a value that cannot carry its own (a shape, a list) keeps it too.
    ``source`` is copied as it is: a malformed one is reported by :func:`shape_problems`.
    """
    if not source and not assumption:
        return node
    prov = {}
    if source:
        prov["source"] = list(source) if isinstance(source, list) else source
    if assumption:
        prov["assumption"] = assumption
    return _push(node, prov)


def _push(node, prov: dict):
    if isinstance(node, bool) or node is None or isinstance(node, str | list):
        return node
    if isinstance(node, int | float):
        return {"value": node, **prov}
    if not isinstance(node, dict) or "source" in node or "assumption" in node:
        return node
    if _is_param_mapping(node):
        return {**node, **prov}
    out = {k: _push(v, prov) for k, v in node.items()}
    if any(v is None or isinstance(v, bool | str | list) for v in node.values()):
        out.update(prov)
    return out


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'").replace("'", ""))


def copied_runs(text: str, documents: dict[str, str], n: int = 9) -> list[tuple[str, str]]:
    """Runs of ``n`` or more words that ``text`` shares with a source document: (document name, run).

    Words are compared in lower case without punctuation. A document's title (its first
    non-empty line) may be quoted, so runs inside it are not reported.
    """
    grams: dict[tuple, str] = {}
    for name, doc in documents.items():
        title = next((ln for ln in doc.splitlines() if ln.strip()), "")
        allowed = _ngrams(_words(title), n)
        for g in _ngrams(_words(doc), n) - allowed:
            grams.setdefault(g, name)
    words = _words(text)
    runs, i = [], 0
    while i <= len(words) - n:
        name = grams.get(tuple(words[i : i + n]))
        if name is None:
            i += 1
            continue
        j = i + 1
        while j <= len(words) - n and tuple(words[j : j + n]) in grams:
            j += 1
        runs.append((name, " ".join(words[i : j + n - 1])))
        i = j + n - 1
    return runs


def _ngrams(words: list[str], n: int) -> set[tuple]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}
