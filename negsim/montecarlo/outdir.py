"""A command's output folder: created fresh or checked, locked, and cleared only of negsim's own files.

Every command that writes results (run, sweep, compare) opens its folder here before any
work starts, so a bad ``--out`` costs nothing; :mod:`negsim.montecarlo.folder` holds the
manifest and checksum rules these functions follow.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sys
from pathlib import Path

from negsim import __version__
from negsim.errors import UsageError, warn

# what each command writes into its folder (besides manifest.json, and their .tmp temporaries)
RUN_FILES = ("outcomes.csv", "outcomes.parquet", "summary.json", "scenario.resolved.yaml", "draws.csv")
COMPARE_FILES = ("outcomes_a.csv", "outcomes_b.csv", "comparison.json", "comparison.png")


def new_out_dir(name: str) -> Path:
    """A fresh folder results/NAME-TIMESTAMP, created here so two runs started in the same second never share one."""
    import re

    # a scenario's name is checked by the schema; this guards any caller: results/NAME-..., never elsewhere
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}", name):
        raise UsageError(f"the name {name!r} cannot name a folder in results/ (letters, digits, '-', '_', '.'); pass --out")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("results") / f"{name}-{stamp}"
    for k in range(1, 1000):
        out = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            out.mkdir(parents=True, exist_ok=False)
            return out
        except FileExistsError:
            continue
        except OSError as e:
            raise UsageError(f"cannot create {out}: {e.strerror or e}") from None
    raise UsageError(f"cannot find a free folder name like {base}; pass --out")


def open_out_dir(out: str | Path | None, name: str, writes=(), folders=()):
    """Create and lock the output folder; refuse a system folder, a file, or files of the user's in the way.

    Returns (folder, :class:`~negsim.montecarlo.folder.Holdings`): what negsim already wrote there.
    """
    from negsim.montecarlo.folder import MANIFEST, check_not_system, holdings, in_the_way, lock, refuse_in_the_way

    out = new_out_dir(name) if out is None else Path(out)
    check_not_system(out)
    if os.path.lexists(out) and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write to {out}: cannot create it ({e.strerror or e})") from None
    lock(out)
    h = holdings(out)
    refuse_in_the_way(out, in_the_way(out, [*writes, MANIFEST], h, folders), h)
    return out, h


def prepare_out_dir(out: str | Path | None, name: str, force: bool = False, kind: str = "run", writes: tuple = RUN_FILES) -> Path:
    """Create, lock and check the output folder before any work starts; write its provisional manifest.

    A folder that holds negsim results (of any command, finished or interrupted, by its manifest)
    is refused unless ``force``, which removes those results first. A file of the user's where
    negsim would write is refused even with ``force``.
    """
    out, h = open_out_dir(out, name, writes)
    held = h.results()
    if held and not force:
        raise UsageError(
            f"{out} already holds negsim results ({', '.join(held[:4])}{', ...' if len(held) > 4 else ''}); "
            "choose another --out or pass --force to replace them"
        )
    ready_out_dir(out, h if force else None, provisional_manifest(kind, writes))
    return out


def provisional_manifest(kind: str, writes, **extra) -> dict:
    """The manifest written before anything else: what the command will write, so a killed one can be cleared."""
    from negsim.montecarlo.folder import LAYOUT

    return {
        "kind": kind,
        "negsim_version": __version__,
        "complete": False,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": command_line(),
        **extra,
        "layout": LAYOUT,
        "files": {},
        "writing": list(writes),
    }


def command_line() -> str:
    """The command that is running, as a shell would read it back (for manifests)."""
    return " ".join(shlex.quote(a) for a in sys.argv) if sys.argv and sys.argv[0] else ""


def ready_out_dir(out: Path, clear, manifest: dict, sub: str | None = None) -> None:
    """Remove negsim's earlier results (``clear``: their Holdings, or None), create ``out/sub``, write ``manifest``.

    Writing the manifest is also the check that the folder can be written.
    """
    from negsim.montecarlo.folder import LAYOUT, edited_note, write_manifest
    from negsim.montecarlo.folder import clear as clear_files

    try:
        if clear:
            clear_files(out, clear)
            if note := edited_note(out, clear):
                warn(note)
        if sub:
            (out / sub).mkdir(exist_ok=True)
        write_manifest(out, {"layout": LAYOUT, **manifest})
    except OSError as e:
        raise UsageError(f"cannot write to {out}: {e.strerror or e}") from None
