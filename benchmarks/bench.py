"""negsim benchmarks: measured on the current machine, printed as a table and written as JSON.

    python benchmarks/bench.py                 # all sections
    python benchmarks/bench.py --only run      # one section
    python benchmarks/bench.py --runs 1000 --json results/bench.json

Sections:
  run      1,000 replicates of the Polish-Belarusian scenario through the CLI (`negsim run`),
           --jobs 1 and --jobs 2: wall time (process start to exit, including imports) and
           replicates/s. Target (issue 2): <= 5 s wall with --jobs 2 on a 2-core machine.
  phases   in-process split of one replicate's time: setup (draws + Mesa agents),
           negotiation, ratification, compliance.
  startup  `negsim --help` and `negsim validate` wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "polish_belarusian_limits.yaml"


def _negsim(*args) -> list[str]:
    return [sys.executable, "-m", "negsim", *map(str, args)]


def wall(cmd: list[str], repeat: int = 3) -> float:
    """Median wall time of a command over ``repeat`` runs (seconds)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{r.stderr}")
    return sorted(times)[len(times) // 2]


def bench_run(runs: int, repeat: int) -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            t = wall(
                _negsim(
                    "run", SCENARIO, "--runs", runs, "--jobs", jobs, "--seed", 1, "--out", Path(tmp) / f"j{jobs}", "--force", "-q"
                ),
                repeat,
            )
            out[f"jobs{jobs}"] = {"wall_s": round(t, 3), "replicates_per_s": round(runs / t, 1)}
    out["runs"] = runs
    out["target_jobs2_wall_s"] = 5.0
    out["meets_target"] = out["jobs2"]["wall_s"] <= 5.0
    return out


def bench_phases(n: int = 300) -> dict:
    sys.path.insert(0, str(ROOT))
    from negsim.api import load
    from negsim.compliance import comply
    from negsim.model import NegotiationModel
    from negsim.negotiation import negotiate
    from negsim.ratification import ratify
    from negsim.runner import replicate_rng

    comp = load(SCENARIO)
    acc = {"setup": 0.0, "negotiation": 0.0, "ratification": 0.0, "compliance": 0.0}
    for i in range(n):
        t0 = time.perf_counter()
        m = NegotiationModel(comp, replicate_rng(1, i))
        t1 = time.perf_counter()
        talks = negotiate(m)
        t2 = time.perf_counter()
        rat = ratify(m, talks) if talks.reached else None
        t3 = time.perf_counter()
        if rat is not None and rat.in_force.any():
            comply(m, talks, rat)
        t4 = time.perf_counter()
        acc["setup"] += t1 - t0
        acc["negotiation"] += t2 - t1
        acc["ratification"] += t3 - t2
        acc["compliance"] += t4 - t3
    return {k: round(v / n * 1000, 3) for k, v in acc.items()} | {"unit": "ms per replicate", "replicates": n}


def bench_startup(repeat: int) -> dict:
    return {
        "help_s": round(wall(_negsim("--help"), repeat), 3),
        "validate_s": round(wall(_negsim("validate", SCENARIO), repeat), 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=["run", "phases", "startup"], action="append")
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=str(ROOT / "results" / "bench.json"))
    a = ap.parse_args()
    sections = a.only or ["run", "phases", "startup"]
    res = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()}}
    if "run" in sections:
        res["run"] = bench_run(a.runs, a.repeat)
        r = res["run"]
        print(
            f"run      {a.runs} replicates: --jobs 1 {r['jobs1']['wall_s']:.2f} s ({r['jobs1']['replicates_per_s']:.0f}/s), "
            f"--jobs 2 {r['jobs2']['wall_s']:.2f} s ({r['jobs2']['replicates_per_s']:.0f}/s); target <= 5 s: {'met' if r['meets_target'] else 'MISSED'}"
        )
    if "phases" in sections:
        res["phases"] = bench_phases()
        print(
            "phases   "
            + ", ".join(f"{k} {v:.2f}" for k, v in res["phases"].items() if k not in ("unit", "replicates"))
            + " ms per replicate"
        )
    if "startup" in sections:
        res["startup"] = bench_startup(a.repeat)
        print(f"startup  negsim --help {res['startup']['help_s']:.2f} s, negsim validate {res['startup']['validate_s']:.2f} s")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=2) + "\n")
    print(f"written: {a.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
