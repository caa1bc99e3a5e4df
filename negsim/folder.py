"""Result folders: what negsim wrote there, what is in the way, one writer at a time, safe writes.

A result folder's ``manifest.json`` lists every file negsim wrote there with its sha256
(``files``), and while a command is still writing, the files it is about to write
(``writing``; their temporaries are the same names with ``.tmp`` appended). A sweep's
manifest also has ``parts``: the ``parts/`` folder is negsim's, and its finished chunk files
are listed with their sha256 in ``parts/SHA256SUMS`` as they are written.

negsim only ever removes or replaces its own files: a listed file whose checksum still
matches, a listed file still being written, or a temporary of one of them. A listed file whose
checksum no longer matches was edited: it is the user's now and is kept. Any other file that a
command would need to write is "in the way" and the command refuses, even with ``--force``.

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
KINDS = ("run", "sweep", "compare")
PARTS = "parts"
PART_SUMS = "parts/SHA256SUMS"
PART_RE = re.compile(r"p\d{6}_r\d{8}_\d{8}\.csv")
PLOTS = "plots"
SUBFOLDERS = (PARTS, PLOTS)  # the only folders negsim writes into inside a result folder
_SUM_LINE = re.compile(r"([0-9a-f]{64})  (p\d{6}_r\d{8}_\d{8}\.csv)\n")
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

    def results(self) -> list[str]:
        """Owned names other than the manifest: the results a new command would replace."""
        return [n for n in self.owned if n != MANIFEST]


def holdings(out: Path) -> Holdings:
    """What in ``out`` negsim wrote and may remove, and what it wrote but the user has changed since."""
    man = read_manifest(out)
    h = Holdings()
    if man is None:
        return h
    h.owned.append(MANIFEST)
    files, writing = _file_entries(man), _writing(man)
    for name, info in files.items():
        if not _in_real_subfolder(out, name) or _lstat(out / name) is None:
            continue
        same = _is_file(out / name) and info.get("sha256") == sha256(out / name)
        (h.owned if same else h.edited).append(name)
    for name in writing:  # being written when the manifest was made: no checksum yet
        if name not in files and _in_real_subfolder(out, name) and _is_file(out / name):
            h.owned.append(name)
    for name in dict.fromkeys([*files, *writing]):
        if _in_real_subfolder(out, name) and _is_file(out / tmp_name(name)):
            h.owned.append(tmp_name(name))
    if man.get("kind") == "sweep" and isinstance(man.get("parts"), dict) and _is_dir(out / PARTS):
        h.parts_folder = True
        _part_holdings(out, h)
    return h


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
    """Remove negsim's own files (``h.owned``), then the subfolders they were in if that leaves them empty."""
    for name in h.owned:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out / name)
    for sub in dict.fromkeys(str(PurePosixPath(n).parent) for n in h.owned):
        if sub != "." and _is_dir(out / sub):
            with contextlib.suppress(OSError):  # not empty: it holds the user's files, which stay
                os.rmdir(out / sub)


def _list(names: list[str], out: Path, limit: int = 4) -> str:
    shown = ", ".join(str(out / n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def refuse_in_the_way(out: Path, way: list[str]) -> None:
    """Raise the one-line error for files negsim would have to overwrite but did not write."""
    if way:
        it = "it" if len(way) == 1 else "them"
        why = "" if MANIFEST in way else f" (not in {out / MANIFEST})"
        raise UsageError(
            f"{_list(way, out)} {'is' if len(way) == 1 else 'are'} in the way: negsim did not write {it}{why} and never "
            f"overwrites a file of yours, even with --force; move or rename {it}, or choose another --out"
        )


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


def write_atomic(path: Path, fill: Callable, mode: str = "w", **kw) -> None:
    """Write ``path`` via ``path.tmp`` (created fresh, fsynced, renamed); ``fill(fh)`` writes the content.

    On any error the temporary is removed and nothing replaces ``path``.
    """
    path = Path(path)
    tmp = path.with_name(tmp_name(path.name))
    try:
        with create_new(tmp, mode, **kw) as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
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


def record(out: Path, names: Iterable[str]) -> None:
    """Add files just written (e.g. plots) to the folder's manifest with their sha256."""
    man = read_manifest(out)
    if man is None:
        return
    files = man.get("files") if isinstance(man.get("files"), dict) else {}
    for name in names:
        files[name] = {"sha256": sha256(out / name)}
    man["files"] = files
    write_manifest(out, man)


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
