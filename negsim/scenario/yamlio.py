"""Reading scenario YAML safely, keeping where every value came from.

Files are parsed with a subclass of PyYAML's ``SafeLoader`` (no Python tags, no ``eval``),
then turned into plain dicts and lists while recording ``(file, line)`` for every path, so
errors can point at a line. ``extends:`` chains are resolved here: mappings merge key by key,
other values replace.
"""

from __future__ import annotations

import copy
import errno
import os
import stat
from pathlib import Path

import yaml

from negsim.errors import Problem, ScenarioError

MAX_BYTES = 2_000_000  # a scenario is a few KB; refuse megabytes of YAML early
MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")
MAX_DEPTH = 60
MAX_NAME = 255  # the longest file name (one path component) most file systems allow

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
        return self.scalar(node, path)

    def scalar(self, node, path: tuple):
        """A scalar's value; one the constructor cannot make (a 5,000-digit integer, 2021-02-30) is a problem."""
        try:
            return self.loader.construct_object(node)
        except (ValueError, OverflowError) as e:
            self.problems.append(
                Problem(self.fname, _fmt_path(path), _scalar_problem(node.value, node.tag, e), node.start_mark.line + 1)
            )
            return None


def _scalar_problem(text: str, tag: str, e: Exception) -> str:
    """Why a plain scalar could not be read, in one sentence."""
    if tag == "tag:yaml.org,2002:int":
        return f"an integer of {sum(c.isdigit() for c in text):,} digits is too large a number"
    shown = text if len(text) <= 40 else text[:37] + "..."
    return f"cannot read {shown!r} ({e})"


def parse_yaml(text: str | bytes, fname: str, *, depth: int = 0, empty_ok: bool = False) -> tuple[object, Locs]:
    """Parse one YAML document into plain data and a map from path to (file, line).

    ``depth`` is how deep in a scenario the document will sit (a ``--set`` value's path
    length), so that value and path together stay within MAX_DEPTH. An empty document is an
    error unless ``empty_ok`` (then it reads as ``None``).
    """
    text = _checked_text(text, fname)
    loader = None
    try:
        loader = ScenarioLoader(text)  # the reader checks characters here (ReaderError)
        node = loader.get_single_node()
        if node is None:
            if empty_ok:
                return None, {}
            raise ScenarioError([Problem(fname, "", "the file is empty")])
        if _expanded_size(node, {}, depth) > MAX_NODES:  # counted on the node graph first: a bomb is refused in ms
            raise ScenarioError([Problem(fname, "", f"the document expands to more than {MAX_NODES:,} values (an alias bomb?)")])
        b = _Builder(loader, fname)
        data = b.build(node, (), depth)
    except yaml.MarkedYAMLError as e:
        _raise_too_deep(text, fname)  # PyYAML's own nesting limit (libyaml's, 1,000 levels) speaks in its words
        mark = e.problem_mark or e.context_mark
        msg = (e.problem or e.context or "invalid YAML").strip()
        if "could not determine a constructor" in str(e):
            msg = f"tag {node_tag(e)} is not allowed (scenarios are data; only plain YAML types)"
        raise ScenarioError([Problem(fname, "", f"invalid YAML: {msg}", mark.line + 1 if mark else None)]) from None
    except yaml.YAMLError as e:
        _raise_too_deep(text, fname)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ScenarioError([Problem(fname, "", f"invalid YAML: {first}")]) from None
    except RecursionError:
        _raise_too_deep(text, fname)
        raise ScenarioError([Problem(fname, "", f"nested deeper than {MAX_DEPTH} levels")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if b.problems:
        raise ScenarioError(b.problems)
    return data, b.locs


def _expanded_size(node, memo: dict, depth: int) -> int:
    """How many values ``node`` becomes once aliases are expanded (shared nodes are counted once per use, computed once).

    Stops below MAX_DEPTH (the builder reports the depth) and once past MAX_NODES.
    """
    if id(node) in memo:
        return memo[id(node)]
    size = 1
    if depth <= MAX_DEPTH and isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        for child in children:
            size += _expanded_size(child, memo, depth + 1)
            if size > MAX_NODES:
                break
    memo[id(node)] = size
    return size


def _checked_text(text: str | bytes, fname: str) -> str:
    """The document as text: at most MAX_BYTES, UTF-8, no NUL characters."""
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
    return text


_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODE = (yaml.ScalarEvent, yaml.AliasEvent, *_OPEN)


def _raise_too_deep(text: str, fname: str) -> None:
    """Raise negsim's "nested deeper" problem if the text nests deeper than MAX_DEPTH before its first error.

    The builder enforces MAX_DEPTH on the composed document; this covers documents that PyYAML
    itself gives up on first (libyaml stops at 1,000 flow levels, in words that change between
    versions), so the user reads the same message on any PyYAML. It reads the event stream with
    PyYAML's pure-Python parser, which has no depth limit of its own and stops at the limit here,
    so it costs little and runs only when parsing has already failed.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, _NODE) and depth > MAX_DEPTH:
                line = event.start_mark.line + 1
                raise ScenarioError([Problem(fname, "", f"nested deeper than {MAX_DEPTH} levels", line)])
            depth += isinstance(event, _OPEN) - isinstance(event, _CLOSE)
    except yaml.YAMLError:
        return


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


class FileRefused(Exception):
    """A scenario file that negsim will not read; the message completes "the file ..." (``missing`` if absent)."""

    def __init__(self, reason: str, missing: bool = False):
        super().__init__(reason)
        self.missing = missing


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))  # fmt: skip


def read_limited(path: str | Path, limit: int | None = None, what: str = "scenario file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; raise :class:`FileRefused` for anything else.

    Opens without blocking (a FIFO with no writer would wait for ever), refuses what is not a
    regular file (FIFOs, devices such as ``/dev/zero``, directories) and never reads more than
    ``limit`` + 1 bytes (MAX_BYTES unless given), whatever the file claims its size is. ``what``
    names the file in messages (a scenario file, a sweep file, a README, a manifest).
    """
    limit = MAX_BYTES if limit is None else limit
    name = os.fspath(path)
    if "\x00" in name:
        raise FileRefused("has a NUL character in its name")
    if any(len(part.encode("utf-8", "surrogateescape")) > MAX_NAME for part in Path(name).parts):
        raise FileRefused(f"has a name longer than {MAX_NAME} bytes, which no file can have")
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as e:
        raise _refusal(e) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = next((k for test, k in _KINDS if test(st.st_mode)), "not a regular file")
            raise FileRefused(f"is {kind}, not a {what}")
        if st.st_size > limit:
            raise FileRefused(f"is {st.st_size:,} bytes; {_plural(what)} are limited to {limit:,}")
        return _read_at_most(fd, limit, what)
    except OSError as e:
        raise _refusal(e, what) from None
    finally:
        os.close(fd)


def _plural(what: str) -> str:
    """``scenario file`` -> ``scenarios`` (the wording the loader always used), else ``what`` + s."""
    return "scenarios" if what == "scenario file" else what + "s"


def _read_at_most(fd: int, limit: int, what: str = "scenario file") -> bytes:
    """Up to ``limit`` bytes from ``fd``, or FileRefused when there are more (a file that grew, /proc)."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise FileRefused(f"has more than {limit:,} bytes; {_plural(what)} are limited to {limit:,}")


def _refusal(e: OSError, what: str = "scenario file") -> FileRefused:
    if e.errno in (errno.ENOENT, errno.ENOTDIR):
        return FileRefused("does not exist", missing=True)
    if e.errno == errno.ELOOP:
        return FileRefused("is a symbolic link that leads to itself (a symlink loop)")
    if e.errno == errno.ENAMETOOLONG:
        return FileRefused("has a name too long for the file system")
    if e.errno == errno.EISDIR:
        return FileRefused(f"is a directory, not a {what}")
    if e.errno == errno.ENXIO:
        return FileRefused(f"is a socket or device, not a {what}")
    return FileRefused(f"cannot be read ({e.strerror or e})")


def _resolve(path: Path) -> Path:
    """``path.resolve()``, with symlink loops and impossible names as :class:`FileRefused`."""
    try:
        return path.resolve()
    except RuntimeError:  # Python < 3.13: "Symlink loop from ..."
        raise FileRefused("is a symbolic link that leads to itself (a symlink loop)") from None
    except ValueError:  # an embedded NUL
        raise FileRefused("has a NUL character in its name") from None
    except OSError as e:
        raise _refusal(e) from None


def load_with_extends(
    path: Path, *, root: Path | None = None, allow_outside: bool = False, _chain: tuple = ()
) -> tuple[dict, Locs]:
    """Load a scenario file, resolving its ``extends:`` chain.

    ``root`` is the directory tree ``extends`` may read from (the top file's directory unless
    ``allow_outside``).
    """
    path = Path(path)
    fname = str(path)
    try:
        resolved = _resolve(path)
        raw = read_limited(resolved)
    except FileRefused as e:
        raise ScenarioError([Problem(fname, "", "no such file" if e.missing else f"the file {e}")]) from None
    return _load_chain(fname, resolved, raw, root or resolved.parent, allow_outside, _chain)


def _load_chain(fname: str, resolved: Path, raw: bytes, root: Path, allow_outside: bool, chain: tuple) -> tuple[dict, Locs]:
    """Parse one file of an ``extends`` chain and lay it over its base (read here, with the same rules)."""
    data, locs = parse_yaml(raw, fname)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(fname, "", f"a scenario must be a mapping of keys, not a {type(data).__name__}", 1)])
    ext = data.pop("extends", None)
    if ext is None:
        return data, locs
    line = locs.get(("extends",), (fname, None))[1]

    def refuse(message: str):
        return ScenarioError([Problem(fname, "extends", message, line)])

    if not isinstance(ext, str) or not ext.strip():
        raise refuse("extends must be a relative file path")
    try:
        base_path = _resolve(resolved.parent / ext)
    except FileRefused as e:
        raise refuse(f"base file {short_text(ext)} {e}") from None
    if not allow_outside and not base_path.is_relative_to(root):
        raise refuse(f"{short_text(ext)} lies outside the scenario's directory ({root}); pass --allow-outside to permit it")
    if base_path in chain + (resolved,):
        raise refuse("extends forms a cycle: " + " -> ".join(str(p.name) for p in chain + (resolved, base_path)))
    try:
        base_raw = read_limited(base_path)
    except FileRefused as e:
        if e.missing:
            raise refuse(f"base file {short_text(ext)} does not exist (looked in {resolved.parent})") from None
        raise refuse(f"base file {short_text(ext)} {e}") from None
    base, base_locs = _load_chain(str(base_path), base_path, base_raw, root, allow_outside, chain + (resolved,))
    locs = {k: v for k, v in locs.items() if k[:1] != ("extends",)}
    return deep_merge(base, data, base_locs, locs)


def short_text(text: str, limit: int = 60) -> str:
    """A user's string shown in a message: NULs and newlines escaped, long ones cut."""
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def dump(doc) -> str:
    """YAML text of a plain document (safe dumper; libyaml's when present)."""
    return yaml.dump(doc, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False, allow_unicode=True)
