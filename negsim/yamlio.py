"""Reading scenario YAML safely, keeping where every value came from.

Files are parsed with a subclass of PyYAML's ``SafeLoader`` (no Python tags, no ``eval``),
then turned into plain dicts and lists while recording ``(file, line)`` for every path, so
errors can point at a line. ``extends:`` chains are resolved here: mappings merge key by key,
other values replace.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from negsim.errors import Problem, ScenarioError

MAX_BYTES = 2_000_000  # a scenario is a few KB; refuse megabytes of YAML early
MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")
MAX_DEPTH = 60

Locs = dict[tuple, tuple[str, int]]


_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when present (4x faster)


class ScenarioLoader(_SafeBase):
    """PyYAML's safe loader (libyaml's when present); we refuse every non-standard tag and duplicate keys."""


_PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def _fmt_path(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


def format_path(path: tuple) -> str:
    """``('actors', 'POL', 'trust', 'RUS')`` -> ``actors.POL.trust.RUS``."""
    return _fmt_path(path)


class _Builder:
    def __init__(self, loader: ScenarioLoader, fname: str):
        self.loader = loader
        self.fname = fname
        self.nodes = 0
        self.locs: Locs = {}
        self.problems: list[Problem] = []

    def build(self, node, path: tuple, depth: int = 0):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ScenarioError(
                [Problem(self.fname, "", f"the document expands to more than {MAX_NODES:,} values (an alias bomb?)")]
            )
        if depth > MAX_DEPTH:
            raise ScenarioError(
                [Problem(self.fname, _fmt_path(path), f"nested deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)]
            )
        self.locs[path] = (self.fname, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN_TAGS:
            self.problems.append(
                Problem(
                    self.fname,
                    _fmt_path(path),
                    f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')!r} is not allowed (scenarios are data; only plain YAML types)",
                    node.start_mark.line + 1,
                )
            )
            return None
        if isinstance(node, yaml.MappingNode):
            # merge keys (<<) are resolved here, not by PyYAML's flatten_mapping, so merged
            # values count toward MAX_NODES (a chain of merges can double at every level)
            # and the mapping's own keys override merged ones, as YAML specifies.
            out = {}
            merged: dict = {}
            for knode, vnode in node.value:
                if knode.tag == "tag:yaml.org,2002:merge":
                    sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                    for src in reversed(sources):  # earlier sources win
                        saved = self.locs.get(path)
                        value = self.build(src, path, depth + 1)
                        self.locs[path] = saved
                        if isinstance(value, dict):
                            merged.update(value)
                        else:
                            self.problems.append(
                                Problem(
                                    self.fname,
                                    _fmt_path(path),
                                    "a merge (<<) needs a mapping or a list of mappings",
                                    knode.start_mark.line + 1,
                                )
                            )
                    continue
                if not isinstance(knode, yaml.ScalarNode):
                    self.problems.append(
                        Problem(self.fname, _fmt_path(path), "mapping keys must be plain names", knode.start_mark.line + 1)
                    )
                    continue
                key = self.loader.construct_object(knode)
                if not isinstance(key, str | int | float | bool) or key is None:
                    key = str(key)
                if isinstance(key, bool | float):
                    key = str(knode.value)
                if key in out:
                    self.problems.append(
                        Problem(self.fname, _fmt_path(path + (key,)), "duplicate key", knode.start_mark.line + 1)
                    )
                out[key] = self.build(vnode, path + (key,), depth + 1)
                self.locs[path + (key,)] = (self.fname, knode.start_mark.line + 1)  # the key's line, not its value's
            return {**{k: v for k, v in merged.items() if k not in out}, **out} if merged else out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self.loader.construct_object(node)


def parse_yaml(text: str | bytes, fname: str) -> tuple[object, Locs]:
    """Parse one YAML document into plain data and a map from path to (file, line)."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise ScenarioError([Problem(fname, "", f"file is {len(text):,} bytes; scenarios are limited to {MAX_BYTES:,}")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ScenarioError([Problem(fname, "", f"not UTF-8 text (byte {e.start}); is this a scenario file?")]) from None
    if len(text) > MAX_BYTES:
        raise ScenarioError([Problem(fname, "", f"file is {len(text):,} characters; scenarios are limited to {MAX_BYTES:,}")])
    if "\x00" in text:
        raise ScenarioError([Problem(fname, "", "file contains NUL bytes; is this a scenario file?")])
    loader = None
    try:
        loader = ScenarioLoader(text)  # the reader checks characters here (ReaderError)
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError([Problem(fname, "", "the file is empty")])
        b = _Builder(loader, fname)
        data = b.build(node, ())
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = (e.problem or e.context or "invalid YAML").strip()
        if "could not determine a constructor" in str(e):
            msg = f"tag {node_tag(e)} is not allowed (scenarios are data; only plain YAML types)"
        raise ScenarioError([Problem(fname, "", f"invalid YAML: {msg}", mark.line + 1 if mark else None)]) from None
    except yaml.YAMLError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ScenarioError([Problem(fname, "", f"invalid YAML: {first}")]) from None
    except RecursionError:
        raise ScenarioError([Problem(fname, "", f"nested deeper than {MAX_DEPTH} levels")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if b.problems:
        raise ScenarioError(b.problems)
    return data, b.locs


def node_tag(e: yaml.MarkedYAMLError) -> str:
    """The offending tag named in a constructor error, for a friendlier message."""
    text = str(e.problem or "")
    start = text.find("'")
    return text[start : text.rfind("'") + 1].replace("tag:yaml.org,2002:", "!!") if start >= 0 else "(custom tag)"


def deep_merge(base, over, base_locs: Locs, over_locs: Locs, path: tuple = ()) -> tuple[object, Locs]:
    """Merge ``over`` onto ``base``: mappings key by key; anything else replaces.

    A parameter written as a distribution mapping (``{beta: ...}``, ``{value: ...}``) is one
    value: it replaces, never merges.
    """
    if isinstance(base, dict) and isinstance(over, dict) and not _is_param(base) and not _is_param(over):
        out = dict(base)
        locs = {k: v for k, v in base_locs.items()}
        if path in over_locs:
            locs[path] = over_locs[path]
        for k, v in over.items():
            sub = path + (k,)
            if k in base:
                merged, mlocs = deep_merge(base[k], v, _sub_locs(base_locs, sub), _sub_locs(over_locs, sub), sub)
                for key in list(locs):
                    if key[: len(sub)] == sub:
                        del locs[key]
                out[k] = merged
                locs.update(mlocs)
            else:
                out[k] = copy.deepcopy(v)
                locs.update(_sub_locs(over_locs, sub))
        return out, locs
    return copy.deepcopy(over), dict(over_locs)


def _is_param(d: dict) -> bool:
    return any(k in d for k in ("value", "uniform", "normal", "beta", "choice"))


def _sub_locs(locs: Locs, prefix: tuple) -> Locs:
    n = len(prefix)
    return {k: v for k, v in locs.items() if k[:n] == prefix}


def load_with_extends(
    path: Path, *, root: Path | None = None, allow_outside: bool = False, _chain: tuple = ()
) -> tuple[dict, Locs]:
    """Load a scenario file, resolving its ``extends:`` chain.

    ``root`` is the directory tree ``extends`` may read from (the top file's directory unless
    ``allow_outside``).
    """
    path = Path(path)
    fname = str(path)
    resolved = path.resolve()
    root = root or resolved.parent
    if resolved in _chain:
        cycle = " -> ".join(str(p.name) for p in _chain + (resolved,))
        raise ScenarioError([Problem(fname, "extends", f"extends forms a cycle: {cycle}")])
    try:
        raw = resolved.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(fname, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(fname, "", "is a directory, not a scenario file")]) from None
    except OSError as e:
        raise ScenarioError([Problem(fname, "", f"cannot read the file ({e.strerror})")]) from None
    data, locs = parse_yaml(raw, fname)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(fname, "", f"a scenario must be a mapping of keys, not a {type(data).__name__}", 1)])
    ext = data.pop("extends", None)
    if ext is None:
        return data, locs
    line = locs.get(("extends",), (fname, None))[1]
    if not isinstance(ext, str) or not ext.strip():
        raise ScenarioError([Problem(fname, "extends", "extends must be a relative file path", line)])
    base_path = (resolved.parent / ext).resolve()
    if not allow_outside and not base_path.is_relative_to(root):
        raise ScenarioError(
            [
                Problem(
                    fname,
                    "extends",
                    f"{ext} lies outside the scenario's directory ({root}); pass --allow-outside to permit it",
                    line,
                )
            ]
        )
    if not base_path.exists():
        raise ScenarioError([Problem(fname, "extends", f"base file {ext} does not exist (looked in {resolved.parent})", line)])
    if base_path in _chain + (resolved,):
        cycle = " -> ".join(str(p.name) for p in _chain + (resolved, base_path))
        raise ScenarioError([Problem(fname, "extends", f"extends forms a cycle: {cycle}", line)])
    base, base_locs = load_with_extends(base_path, root=root, allow_outside=allow_outside, _chain=_chain + (resolved,))
    locs = {k: v for k, v in locs.items() if k[:1] != ("extends",)}
    return deep_merge(base, data, base_locs, locs)


def dump(doc) -> str:
    """YAML text of a plain document (safe dumper; libyaml's when present)."""
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, allow_unicode=True)
