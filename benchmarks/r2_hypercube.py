"""Does one parameter decide a consensus scenario? Rerun with ``python benchmarks/r2_hypercube.py``.

Issue 15 asks that over a Latin hypercube of at least 60 points x 200 replicates and at least
8 parameters (spoiler traits, drawdown depth, trust, verification, reservation values...) the
largest R^2 of P(agreement) on any one parameter stay below 0.5 in us_drawdown and
polish_belarusian_limits. This runs ``negsim sweep --design lhs`` on each (common random
numbers: the same replicate seeds at every point; the scenario's dated drawdown events are
removed, so the swept US presence in CEE is the drawdown's depth), then regresses each point's P(agreement)
(the package agreed in full) on each parameter alone and prints R^2 = corr^2, largest first.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]

#: the hypercube's ranges: the roster's plausible spans (the bundled values lie inside each)
PARAMS = {
    "actors.RUS.spoiler": "0:0.6",
    "actors.POL.spoiler": "0:0.6",
    "actors.HUN.spoiler": "0:0.6",
    "us_presence.CEE": "0.2:1",
    "actors.POL.trust.RUS": "0:0.6",
    "actors.RUS.trust.USA": "0:0.6",
    "pact.verification": "0.2:0.9",
    "actors.POL.reservation": "0:0.3",
    "actors.RUS.reservation": "0:0.3",
    "actors.LTU.cohesion": "0:0.3",
    "compliance.sanction": "0.05:0.3",  # unsourced (docs/model.md 3.9): what a seen breach costs, deterring at the table
}


def r2_table(scenario: str, samples: int, runs: int, jobs: int, seed: int) -> list[tuple[str, float, float]]:
    """(parameter, R^2, slope) of P(agreement) on each parameter alone, over the points of one LHS sweep."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sweep"
        cmd = [sys.executable, "-m", "negsim", "sweep", scenario, "--design", "lhs", "--samples", str(samples),
               "--runs", str(runs), "--jobs", str(jobs), "--seed", str(seed), "--out", str(out), "-q"]  # fmt: skip
        for path, spec in PARAMS.items():
            cmd += ["--param", f"{path}={spec}"]
        cmd += ["--set", "events=[]"]  # the drawdown is the swept US presence, not the scenario's dated events
        subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        with open(out / "points.csv", newline="") as fh:
            points = list(csv.DictReader(fh))
    y = np.array([float(p["p_complete"]) for p in points])
    table = []
    for path in PARAMS:
        x = np.array([float(p[path]) for p in points])
        r = np.corrcoef(x, y)[0, 1] if y.std() > 0 and x.std() > 0 else 0.0
        slope = np.polyfit(x, y, 1)[0] if y.std() > 0 else 0.0
        table.append((path, float(r * r), float(slope)))
    return sorted(table, key=lambda t: -t[1]), float(y.mean()), float(y.min()), float(y.max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=60)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("scenarios", nargs="*", default=["us_drawdown", "polish_belarusian_limits"])
    a = ap.parse_args()
    for sc in a.scenarios:
        table, mean, lo, hi = r2_table(sc, a.samples, a.runs, a.jobs, a.seed)
        print(f"{sc}: {a.samples} LHS points x {a.runs} replicates, {len(PARAMS)} parameters; "
              f"P(agreement) over the points: mean {mean:.1%}, range {lo:.1%} - {hi:.1%}")  # fmt: skip
        for path, r2, slope in table:
            print(f"  R^2 {r2:5.3f}  slope {slope:+.3f}  {path}")
        if hi == lo:
            print(f"  P(agreement) is {lo:.1%} at every point: no parameter moves it (R^2 undefined)")
        else:
            print(f"  largest R^2: {table[0][1]:.3f} ({table[0][0]}): {'below' if table[0][1] < 0.5 else 'NOT below'} 0.5")


if __name__ == "__main__":
    main()
