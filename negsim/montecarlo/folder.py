"""Result folders: what negsim wrote there, what is in the way, one writer at a time, safe writes.

A result folder's ``manifest.json`` (``"layout": 2``) lists every file negsim wrote there with
its sha256 (``files``): each file's checksum is recorded while it is still its temporary (the
same name with ``.tmp`` appended), before the rename that puts it into place, so a command
killed at any moment leaves no file of negsim's unlisted. While a command is still writing,
``writing`` names the files it is about to write: it claims only their ``.tmp`` temporaries,
never a file at the final name. A sweep's manifest also has ``parts``: the ``parts/`` folder is
negsim's, and its finished chunk files are listed with their sha256 in ``parts/SHA256SUMS`` as
they are written.

negsim only ever removes or replaces its own files: a listed file whose checksum still
matches, or a temporary of a listed or announced file. A listed file whose checksum no longer
matches was edited: it is the user's now and is kept. Any other file that a command would need
to write is "in the way" and the command refuses, even with ``--force``.

A manifest of the older layout (neither ``layout`` nor ``writing``) is read by what that negsim
wrote: a run's listed files with matching checksums; a sweep's listed files, its
``scenario.resolved.yaml`` if that parses as YAML, and the ``parts/`` files named like parts
whose content is a CSV of outcome rows.

Every write goes through a temporary file created with ``O_EXCL | O_NOFOLLOW`` (it never opens
an existing file or follows a symlink planted at its name) and ``os.replace``; a command holds
an exclusive ``flock`` on the folder while it writes, so two commands never write one folder.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from negsim.errors import UsageError

MANIFEST = "manifest.json"
LAYOUT = 2  # manifests that record each file before its rename; older ones have neither "layout" nor "writing"
KINDS = ("run", "sweep", "compare")
PARTS = "parts"
PART_SUMS = "parts/SHA256SUMS"
PART_RE = re.compile(r"p\d{6}_r\d{8}_\d{8}\.csv")
PLOTS = "plots"
SUBFOLDERS = (PARTS, PLOTS)  # the only folders negsim writes into inside a result folder
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (p\d{6}_r\d{8}_\d{8}\.csv)\n")
_SUM_LINE_LEN = 64 + 2 + len("p000000_r00000000_00000000.csv") + 1  # a whole line, its newline included
# the folder itself may not be one of these: results would be scattered among the system's or other users' files
SYSTEM_DIRS = (
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt", "/opt",
    "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/usr/local", "/var", "/var/tmp",
)  # fmt: skip
# nor anywhere below these: they belong to the system (a folder of one's own under /home, /tmp, /opt or /srv is fine)
SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin", "/sys", "/usr")


def tmp_name(name: str) -> str:
    """The temporary a file is written to before it is renamed into place."""
    return name + ".tmp"


def sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _is_file(path: Path) -> bool:
    """A regular file, not a symlink (negsim never writes symlinks)."""
    st = _lstat(path)
    return st is not None and stat.S_ISREG(st.st_mode)


def _is_dir(path: Path) -> bool:
    """A real folder, not a symlink to one."""
    st = _lstat(path)
    return st is not None and stat.S_ISDIR(st.st_mode)


def safe_name(name: object) -> bool:
    """True for a name negsim may write in a result folder: ``NAME`` or ``plots/NAME``/``parts/NAME``, nothing above it."""
    if not isinstance(name, str) or not name or "\0" in name or "\\" in name:
        return False
    parts = PurePosixPath(name).parts
    if PurePosixPath(name).is_absolute() or any(p in ("", ".", "..") for p in parts):
        return False
    return len(parts) == 1 or (len(parts) == 2 and parts[0] in SUBFOLDERS)


def read_manifest(out: Path) -> dict | None:
    """The folder's negsim manifest, or None if there is none (a user's manifest.json is not negsim's)."""
    path = out / MANIFEST
    if not _is_file(path):
        return None
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(man, dict) or man.get("kind") not in KINDS or "negsim_version" not in man:
        return None
    return man


def _file_entries(man: dict) -> dict:
    files = man.get("files")
    return {n: i for n, i in files.items() if safe_name(n) and isinstance(i, dict)} if isinstance(files, dict) else {}


def _writing(man: dict) -> list[str]:
    names = man.get("writing")
    return [n for n in names if safe_name(n)] if isinstance(names, list) else []


def part_sums(out: Path) -> dict[str, str]:
    """Finished sweep parts and their sha256, from ``parts/SHA256SUMS`` (a torn last line is ignored)."""
    path = out / PART_SUMS
    if not _is_file(path):
        return {}
    sums = {}
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for line in fh:
            m = _SUM_LINE.fullmatch(line)
            if m:
                sums[m.group(2)] = m.group(1)
    return sums


@dataclass
class Holdings:
    """What a folder holds of negsim's: ``owned`` may be removed or replaced, ``edited`` were changed by the user."""

    owned: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    parts_folder: bool = False  # parts/ is negsim's (a sweep made it)
    manifest: bool = False  # the folder has a negsim manifest

    def results(self) -> list[str]:
        """Owned names other than the manifest: the results a new command would replace."""
        return [n for n in self.owned if n != MANIFEST]


def is_old_layout(man: dict) -> bool:
    """True for a manifest written by a negsim that did not record files before their rename."""
    return "layout" not in man and "writing" not in man


def holdings(out: Path) -> Holdings:
    """What in ``out`` negsim wrote and may remove, and what it wrote but the user has changed since."""
    man = read_manifest(out)
    h = Holdings()
    if man is None:
        return h
    h.manifest = True
    h.owned.append(MANIFEST)
    files, writing = _file_entries(man), _writing(man)
    for name, info in files.items():
        if not _in_real_subfolder(out, name) or _lstat(out / name) is None:
            continue
        same = _is_file(out / name) and info.get("sha256") == sha256(out / name)
        (h.owned if same else h.edited).append(name)
    for name in dict.fromkeys([*files, *writing]):  # a file being written is only ever its temporary
        if _in_real_subfolder(out, name) and _is_file(out / tmp_name(name)):
            h.owned.append(tmp_name(name))
    if man.get("kind") == "sweep" and is_old_layout(man):
        _old_sweep_holdings(out, files, h)
    elif man.get("kind") == "sweep" and isinstance(man.get("parts"), dict) and _is_dir(out / PARTS):
        h.parts_folder = True
        _part_holdings(out, h)
    return h


def _old_sweep_holdings(out: Path, files: dict, h: Holdings) -> None:
    """An older negsim's sweep: its scenario.resolved.yaml if it parses, and the parts that read as outcome rows."""
    name = "scenario.resolved.yaml"
    if name not in files and _is_file(out / name) and _parses_as_yaml(out / name):
        h.owned.append(name)
    if not _is_dir(out / PARTS):
        return
    h.parts_folder = True
    for f in sorted((out / PARTS).iterdir()):
        if PART_RE.fullmatch(f.name.removesuffix(".tmp")) and _is_file(f) and _reads_as_part(f):
            h.owned.append(f"{PARTS}/{f.name}")
    if _is_file(out / PART_SUMS) and _is_sum_list(out / PART_SUMS):  # written by this negsim resuming the old sweep
        h.owned.append(PART_SUMS)


def _is_sum_list(path: Path) -> bool:
    """True if every line of the file is a part's checksum line as negsim appends them (a torn last one aside)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        lines = fh.read().split("\n")
    return all(_SUM_LINE.fullmatch(line + "\n") for line in lines[:-1]) and len(lines[-1]) < _SUM_LINE_LEN


def _parses_as_yaml(path: Path) -> bool:
    """True if the file is a YAML mapping by negsim's own bounded loader."""
    from negsim.scenario.yamlio import parse_yaml, read_limited

    try:
        doc, _ = parse_yaml(read_limited(path), str(path))
    except Exception:  # noqa: BLE001 - any failure to read or parse means: not the file negsim wrote
        return False
    return isinstance(doc, dict)


def _reads_as_part(path: Path) -> bool:
    """True if the file is a CSV of a sweep's outcome rows: a header with point and replicate, every row as wide."""
    import csv

    try:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    if not rows or rows[0][:1] != ["point"] or "replicate" not in rows[0]:
        return False
    return all(len(r) == len(rows[0]) and r[0].isdigit() for r in rows[1:])


def _in_real_subfolder(out: Path, name: str) -> bool:
    """False when ``name`` lies in a subfolder that is a symlink (or not a folder): never look or write through one."""
    parent = PurePosixPath(name).parent
    return str(parent) == "." or _is_dir(out / str(parent))


def _part_holdings(out: Path, h: Holdings) -> None:
    """The sweep parts negsim wrote (checksum listed and matching), its checksum list and its temporaries."""
    sums = part_sums(out)
    if _is_file(out / PART_SUMS):
        h.owned.append(PART_SUMS)
    for f in sorted((out / PARTS).iterdir()):
        name = f"{PARTS}/{f.name}"
        if PART_RE.fullmatch(f.name) and f.name in sums:
            (h.owned if _is_file(f) and sha256(f) == sums[f.name] else h.edited).append(name)
        elif f.name.endswith(".tmp") and PART_RE.fullmatch(f.name.removesuffix(".tmp")) and _is_file(f):
            h.owned.append(name)


def in_the_way(out: Path, names: Iterable[str], h: Holdings, folders: Iterable[str] = ()) -> list[str]:
    """The files (and folders) a command needs to write that are not negsim's: it must not touch them."""
    owned = set(h.owned)
    way = []
    for name in names:
        parent = str(PurePosixPath(name).parent)
        if parent != "." and _lstat(out / parent) is not None and not _is_dir(out / parent):
            way.append(parent)
            continue
        way += [n for n in (name, tmp_name(name)) if _lstat(out / n) is not None and n not in owned]
    for sub in folders:
        if _lstat(out / sub) is None:
            continue
        if not _is_dir(out / sub) or (sub == PARTS and not h.parts_folder):
            way.append(sub + "/")
        elif sub == PARTS:
            way += [f"{PARTS}/{f.name}" for f in sorted((out / PARTS).iterdir())
                    if PART_RE.fullmatch(f.name.removesuffix(".tmp")) and f"{PARTS}/{f.name}" not in owned]  # fmt: skip
    return list(dict.fromkeys(way))


def clear(out: Path, h: Holdings) -> None:
    """Remove negsim's own files (``h.owned``), then the subfolders they were in if that leaves them empty.

    The lists that say which files are negsim's (``parts/SHA256SUMS``, then ``manifest.json``) go last, so a
    command killed while it clears leaves every remaining file of negsim's listed as negsim's.
    """
    for name in sorted(h.owned, key=lambda n: (n == MANIFEST, n == PART_SUMS)):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out / name)
    for sub in dict.fromkeys(str(PurePosixPath(n).parent) for n in h.owned):
        if sub != "." and _is_dir(out / sub):
            with contextlib.suppress(OSError):  # not empty: it holds the user's files, which stay
                os.rmdir(out / sub)


def _list(names: list[str], out: Path, limit: int = 4) -> str:
    shown = ", ".join(str(out / n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def refuse_in_the_way(out: Path, way: list[str], h: Holdings | None = None, force: bool = True) -> None:
    """Raise the one-line error for files negsim would have to overwrite but may not (the user's, or edited since).

    ``force`` says whether the command has a --force option (the message says it does not help).
    """
    if not way:
        return
    edited = [n for n in way if h is not None and n in h.edited]
    others = [n for n in way if n not in edited]
    even = ", even with --force" if force else ""
    said = []
    if others:
        it, be = ("it", "is") if len(others) == 1 else ("them", "are")
        no_manifest = (h is not None and not h.manifest) or MANIFEST in others
        why = f"{out} has no negsim manifest" if no_manifest else f"not in {out / MANIFEST}"
        said.append(
            f"{_list(others, out)} {be} in the way: negsim did not write {it} ({why}) and never overwrites a file of yours{even}"
        )
    if edited:
        it, be = ("it", "was") if len(edited) == 1 else ("them", "were")
        said.append(
            f"{_list(edited, out)} {be} written by negsim and edited since (the checksum in {out / MANIFEST} no longer matches), "
            f"so negsim keeps {it}{even}"
        )
    it = "it" if len(way) == 1 else "them"
    raise UsageError("; ".join(said) + f"; move or rename {it}, or choose another --out")


def edited_note(out: Path, h: Holdings) -> str | None:
    """A warning naming the files negsim wrote that the user has changed since (they are kept)."""
    if not h.edited:
        return None
    return (
        f"kept {_list(h.edited, out)}: changed since negsim wrote {'it' if len(h.edited) == 1 else 'them'}, so no longer negsim's"
    )


def check_not_system(out: Path) -> None:
    """Refuse a system folder (``/``, ``/tmp``, anything under ``/usr`` or ``/etc``...) or the home folder itself.

    Both the path as given and where it leads are checked (``/bin`` leads to ``/usr/bin`` on
    most systems now).

    >>> check_not_system(Path("/usr/local/bin"))
    Traceback (most recent call last):
    negsim.errors.UsageError: --out /usr/local/bin is a system folder (/usr/local/bin); results need a folder of their own, e.g. --out results/mine
    """
    try:
        real = out.resolve()
    except (OSError, RuntimeError, ValueError):
        return
    home = None
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        home = Path.home().resolve()
    literal = Path(os.path.abspath(out))
    for p in (literal, real):
        if _is_system(p) or p == home:
            what = "your home folder" if p == home else "a system folder"
            raise UsageError(f"--out {out} is {what} ({p}); results need a folder of their own, e.g. --out results/mine")


def _is_system(p: Path) -> bool:
    """True for a folder in SYSTEM_DIRS, a root, or anything inside SYSTEM_TREES."""
    return str(p) in SYSTEM_DIRS or p.parent == p or any(p.is_relative_to(t) for t in SYSTEM_TREES)


# ---- one writer per folder -------------------------------------------------------------------

_held = threading.local()


def _fds() -> list[int]:
    """This thread's folder locks, innermost last."""
    if not hasattr(_held, "fds"):
        _held.fds = []
    return _held.fds


def lock(out: Path) -> None:
    """Take an exclusive lock on the folder until the command that took it returns (see :func:`releases_locks`)."""
    try:
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise UsageError(f"cannot open {out}: {e.strerror or e}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise UsageError(
            f"{out} is in use: another negsim command is writing there now; wait for it to finish or choose another --out"
        ) from None
    except OSError:  # a file system without flock: go on unlocked rather than refuse to work
        pass
    _fds().append(fd)


def releases_locks(func: Callable) -> Callable:
    """Decorator: the folder locks a command takes are released when it returns or raises."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        fds = _fds()
        mark = len(fds)
        try:
            return func(*args, **kwargs)
        finally:
            while len(fds) > mark:
                os.close(fds.pop())

    return wrapper


# ---- writing -----------------------------------------------------------------------------------


def create_new(path: Path, mode: str = "w", **kw):
    """Open a file that must not exist yet (never an existing file, never through a symlink)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    return os.fdopen(fd, mode, **kw)


def write_atomic(path: Path, fill: Callable, mode: str = "w", before_rename: Callable | None = None, **kw) -> None:
    """Write ``path`` via ``path.tmp`` (created fresh, fsynced, renamed); ``fill(fh)`` writes the content.

    ``before_rename(tmp)``, if given, runs on the finished temporary just before the rename.
    On any error the temporary is removed and nothing replaces ``path``.
    """
    path = Path(path)
    tmp = path.with_name(tmp_name(path.name))
    try:
        with create_new(tmp, mode, **kw) as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if before_rename is not None:
            before_rename(tmp)
        os.replace(tmp, path)
    except FileExistsError:
        raise OSError(17, f"{tmp} is in the way (negsim did not write it)") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda fh: fh.write(text), encoding="utf-8")


def write_manifest(out: Path, manifest: dict) -> None:
    """Write ``manifest.json`` atomically."""
    write_text(out / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")


def write_recorded(out: Path, name: str, fill: Callable, mode: str = "w", **kw) -> str:
    """Write the result file ``out/name`` atomically, its sha256 recorded in the manifest before the rename; returns it.

    A kill at any moment leaves the temporary (a temporary of a listed file) or the file with its
    checksum listed: never a file at a final name that the manifest does not vouch for.
    """
    digest = {}

    def note(tmp: Path) -> None:
        digest[name] = sha256(tmp)
        record_sums(out, digest)

    write_atomic(out / name, fill, mode, before_rename=note, **kw)
    return digest[name]


def record_sums(out: Path, sums: dict[str, str]) -> None:
    """List files with their sha256 in the folder's manifest (written atomically); no manifest, no record."""
    man = read_manifest(out)
    if man is None:
        return
    files = man.get("files") if isinstance(man.get("files"), dict) else {}
    for name, digest in sums.items():
        files[name] = {**(files.get(name) if isinstance(files.get(name), dict) else {}), "sha256": digest}
    man["files"] = files
    write_manifest(out, man)


def announced(out: Path, name: str) -> bool:
    """True if the folder's manifest says a command is writing ``name`` now."""
    man = read_manifest(out)
    return man is not None and name in _writing(man)


def append_part_sum(out: Path, part: Path) -> None:
    """Add a finished part file's sha256 to ``parts/SHA256SUMS`` (the ``sha256sum -c`` format), fsynced."""
    line = f"{sha256(part)}  {part.name.removesuffix('.tmp')}\n".encode()
    fd = os.open(out / PART_SUMS, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def whole_rows(path: Path) -> int:
    """Cut a CSV file after its last complete record (a full disk may have cut the last one); returns the data rows kept.

    A record ends at a newline outside quotes (an even number of quote characters before it).
    If not even the header is whole, the file is emptied.
    """
    import csv
    import io

    data = path.read_bytes()
    end = len(data)
    while end:
        end = data.rfind(b"\n", 0, end) + 1
        if end == 0 or data.count(b'"', 0, end) % 2 == 0:
            break
        end -= 1
    if end != len(data):
        os.truncate(path, end)
    records = sum(1 for _ in csv.reader(io.StringIO(data[:end].decode("utf-8", errors="replace"), newline="")))
    return max(records - 1, 0)


def mend_part_sums(out: Path) -> None:
    """Cut a torn last line off ``parts/SHA256SUMS`` (a kill or a full disk mid-append), so the next line starts clean."""
    path = out / PART_SUMS
    if _is_file(path):
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            os.truncate(path, data.rfind(b"\n") + 1)


def write_result(path: Path, text: str) -> None:
    """Write a file via a fresh temporary and a rename (never through a symlink; see this module's docstring).

    A result file that its folder's manifest announces (``writing``) has its sha256 recorded
    there before the rename, so it is negsim's however the command ends.
    """
    path = Path(path)
    if path.name != MANIFEST and announced(path.parent, path.name):
        write_recorded(path.parent, path.name, lambda fh: fh.write(text), encoding="utf-8")
    else:
        write_text(path, text)
