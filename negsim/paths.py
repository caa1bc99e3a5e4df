"""Where negsim finds its bundled data: the scenarios and the source cards.

The source checkout's ``scenarios/`` and ``seeds/`` when negsim runs from one (an editable
install), else the copies ``pip install .`` puts in ``<prefix>/share/negsim/``. Low in the stack
(it imports nothing of negsim's), so both the scenario language and the API can ask.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: the checkout's folders (they exist only when negsim runs from a source checkout)
REPO = Path(__file__).resolve().parent.parent
REPO_SCENARIOS = REPO / "scenarios"
REPO_SEEDS = REPO / "seeds"


def installed_data(name: str) -> Path | None:
    """``share/negsim/<name>`` (scenarios, seeds) as ``pip install .`` puts it, under this Python's prefix or the user's base."""
    import site

    for base in filter(None, (sys.prefix, site.USER_BASE)):
        d = Path(base) / "share" / "negsim" / name
        if d.is_dir():
            return d
    return None


def bundled_dir() -> Path:
    """The bundled scenarios: the source checkout's scenarios/, else the installed copy (a non-editable install)."""
    if REPO_SCENARIOS.is_dir():
        return REPO_SCENARIOS
    return installed_data("scenarios") or REPO_SCENARIOS


def scenario_dirs() -> list[Path]:
    """Where bundled scenarios are looked for: ./scenarios, then the bundled ones (:func:`bundled_dir`)."""
    out = []
    for d in (Path.cwd() / "scenarios", bundled_dir()):
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


def resolve_scenario_path(name: str) -> Path:
    """A file path as given, or a bundled scenario by name (``polish_belarusian_limits``)."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or os.sep in name:
        return p
    # a bare name is a bundled scenario (the bundled ones first, so a local copy
    # with the same name cannot silently change what `negsim run NAME` means)
    for d in [bundled_dir(), *scenario_dirs()]:
        cand = d / f"{name}.yaml"
        if cand.exists():
            return cand
    return p


def seeds_dir() -> Path:
    """The project's source cards: ./seeds, else the source checkout's, else the installed copy (``pip install .``)."""
    local = Path.cwd() / "seeds"
    if local.is_dir() and any(local.glob("*.yaml")):
        return local
    if REPO_SEEDS.is_dir():
        return REPO_SEEDS
    return installed_data("seeds") or REPO_SEEDS
