"""Golden tests: one small fixed-seed run per bundled scenario, compared with a stored summary.

Each scenario in ``scenarios/*.yaml`` (not ``scenarios/base/``) is run for 60 replicates with
seed 7 in one process; its summary (:func:`negsim.montecarlo.stats.summarise`, floats rounded to 12
digits) must equal ``tests/golden/<name>.json`` exactly. Any change in model behaviour, even
one replicate ending differently, shows up here as a failing test.

After an *intended* change in model behaviour, regenerate every golden file with::

    python -m tests.test_golden --regenerate

(from the repository root; add scenario names to regenerate only those, e.g.
``python -m tests.test_golden --regenerate us_drawdown``), review the diff of
``tests/golden/`` and commit it with the change that caused it.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
GOLDEN = ROOT / "tests" / "golden"
RUNS, SEED = 60, 7
REGENERATE = "python -m tests.test_golden --regenerate"


def scenario_files() -> list[Path]:
    """The bundled scenarios (bases under scenarios/base/ are not run on their own)."""
    return sorted(SCENARIOS.glob("*.yaml"))


def normalise(value):
    """A JSON-stable copy: floats rounded to 12 significant digits, NaN/inf as strings, tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return repr(value)
        return float(f"{value:.12g}")
    if isinstance(value, dict):
        return {str(k): normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return normalise(value.item())
    raise TypeError(f"cannot normalise {type(value).__name__} for a golden file")


def golden_summary(path: Path) -> dict:
    """The summary the golden file of scenario ``path`` stores (run fresh)."""
    from negsim.api import load
    from negsim.montecarlo.runner import run_many
    from negsim.montecarlo.stats import summarise

    rows = run_many(load(path), RUNS, SEED)
    out = {"scenario": path.stem, "runs": RUNS, "seed": SEED, "summary": summarise(rows)}
    # a JSON round trip makes key types and float formatting identical to what is read back
    return json.loads(json.dumps(normalise(out)))


def write_golden(path: Path) -> Path:
    """(Re)write the golden file of one scenario."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    target = GOLDEN / f"{path.stem}.json"
    target.write_text(json.dumps(golden_summary(path), indent=2, sort_keys=True) + "\n")
    return target


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_golden_summary(path):
    target = GOLDEN / f"{path.stem}.json"
    if not target.exists():
        pytest.fail(
            f"no golden file {target.relative_to(ROOT)} for scenario {path.name}; create it with: {REGENERATE} {path.stem}"
        )
    expected = json.loads(target.read_text())
    got = golden_summary(path)
    if got != expected:
        diffs = _diff(expected, got)
        shown = "\n  ".join(diffs[:15]) + ("\n  ..." if len(diffs) > 15 else "")
        pytest.fail(
            f"scenario {path.stem}: the {RUNS}-replicate run (seed {SEED}) no longer matches {target.relative_to(ROOT)}:\n  {shown}\n"
            f"If the change in model behaviour is intended, regenerate with: {REGENERATE}",
            pytrace=False,
        )


def test_no_orphan_golden_files():
    names = {p.stem for p in scenario_files()}
    orphans = sorted(p.name for p in GOLDEN.glob("*.json") if p.stem not in names)
    assert not orphans, f"golden files without a scenario (delete them): {orphans}"


def _diff(a, b, path: str = "") -> list[str]:
    """Human-readable differences between two JSON values."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            sub = f"{path}.{k}" if path else k
            if k not in a:
                out.append(f"{sub}: new ({b[k]!r})")
            elif k not in b:
                out.append(f"{sub}: missing (was {a[k]!r})")
            else:
                out += _diff(a[k], b[k], sub)
        return out
    return [] if a == b else [f"{path}: expected {a!r}, got {b!r}"]


def main(argv: list[str]) -> int:
    """``python -m tests.test_golden --regenerate [NAME ...]``."""
    if not argv or argv[0] != "--regenerate":
        print(__doc__)
        print(f"usage: {REGENERATE} [SCENARIO_NAME ...]", file=sys.stderr)
        return 2
    wanted = set(argv[1:])
    files = [p for p in scenario_files() if not wanted or p.stem in wanted]
    unknown = wanted - {p.stem for p in files}
    if unknown:
        print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for p in files:
        print(f"wrote {write_golden(p).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
