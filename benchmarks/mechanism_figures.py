"""The figures issue 15 asks for, from the bundled scenarios: rerun with ``python benchmarks/mechanism_figures.py``.

For each scenario: P(agreement) (every issue agreed), the share of agreements reached in the
first round, P(ratified | agreed), and who held out and how they were bought off; then the
paired comparisons (common random numbers: the same seed, replicate by replicate) of a deeper
US drawdown in us_drawdown (as the scenario reads its legislatures, and with every executive
foreseeing its own: there agreement is not saturated) and of option_a_elections without its
election events.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from negsim import api  # noqa: E402
from negsim.montecarlo.runner import run_many  # noqa: E402
from negsim.montecarlo.stats import Z95, paired_difference, wilson  # noqa: E402

SCENARIOS = [
    "us_drawdown", "new_start_linkage", "polish_belarusian_limits", "draft_treaty_2021", "option_a_elections",
    "option_b_us_withdrawal", "baby_steps_vs_grand_bargain", "parallel_pacts", "individual_offers",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[1]


def _rows(name: str, overrides=(), runs: int = 1000, seed: int = 0) -> list[dict]:
    return run_many(api.load(REPO / "scenarios" / f"{name}.yaml", list(overrides)), runs, seed)


def _pct(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k / n:6.1%} [{lo:.1%}, {hi:.1%}]" if n else "   n/a"


def scenario_table(runs: int, seed: int) -> None:
    """Per scenario: agreement, first-round share, ratified given agreed, hold-ups."""
    print(f"{'scenario':28} {'P(agreement in full)':24} {'P(any part agreed)':24} {'round-1 share':22} "
          f"{'P(ratified | any part)':24} {'legislature hold-up':22} hold-ups at the table")  # fmt: skip
    for name in SCENARIOS:
        rows = _rows(name, runs=runs, seed=seed)
        full = [r for r in rows if r["complete"]]
        agreed = [r for r in rows if r["reached"]]
        first = sum(r["rounds"] == 1 for r in agreed)
        ratified = sum(r["ratified"] for r in agreed)
        leg = sum(bool(r["ratification_holdout_actor"]) for r in agreed)
        held = collections.Counter((r["holdout_actor"], r["holdout_how"] or "not bought off") for r in rows if r["holdout_actor"])
        top = ", ".join(f"{a} {how} {n / len(rows):.0%}" for (a, how), n in held.most_common(3)) or "-"
        print(f"{name:28} {_pct(len(full), len(rows)):24} {_pct(len(agreed), len(rows)):24} {_pct(first, len(agreed)):22} "
              f"{_pct(ratified, len(agreed)):24} {_pct(leg, len(agreed)):22} {top}")  # fmt: skip


def paired(name: str, a: list[str], b: list[str], runs: int, seed: int, label: str) -> None:
    """Each headline probability under b minus under a, paired by replicate (the same draws up to the changed parameters)."""
    ra, rb = _rows(name, a, runs, seed), _rows(name, b, runs, seed)
    print(label + ":")
    for key, what in (("complete", "P(agreement)"), ("reached", "P(any part agreed)"), ("ratified", "P(ratified)"),
                      ("survived", "P(survives)")):  # fmt: skip
        d = paired_difference([bool(r[key]) for r in ra], [bool(r[key]) for r in rb])
        print(f"  {what:20} {d['a']:.1%} -> {d['b']:.1%}, paired difference {d['diff'] * 100:+.1f} pp "
              f"[{d['lo'] * 100:+.1f}, {d['hi'] * 100:+.1f}] ({d['discordant']} discordant pairs)")  # fmt: skip
    diff = [int(y["pacts_signed"]) - int(x["pacts_signed"]) for x, y in zip(ra, rb, strict=True)]
    mean = sum(diff) / len(diff)
    sd = (sum((v - mean) ** 2 for v in diff) / max(len(diff) - 1, 1)) ** 0.5
    half = Z95 * sd / len(diff) ** 0.5
    mean_a = sum(int(x["pacts_signed"]) for x in ra) / len(ra)
    print(
        f"  {'pacts signed (mean)':20} {mean_a:.2f} -> {mean_a + mean:.2f}, paired difference {mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}]"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000, help="replicates per scenario (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    args = ap.parse_args(argv)
    scenario_table(args.runs, args.seed)
    print()
    paired("us_drawdown", ["events=[]"], ["events=[]", "us_presence.CEE=0.2", "us_presence.nordic_baltic=0.2"],
           args.runs, args.seed, "us_drawdown, US presence 1.0 -> 0.2 in CEE and the Nordic-Baltic region (no events)")  # fmt: skip
    seen = ["actors.*.ratification.foresight=1"]  # executives that see their legislatures refuse at the table instead
    paired("us_drawdown", ["events=[]"] + seen, ["events=[]", "us_presence.CEE=0.2", "us_presence.nordic_baltic=0.2"] + seen,
           args.runs, args.seed, "the same with every executive foreseeing its legislature (ratification.foresight 1)")  # fmt: skip
    paired("option_a_elections", [], ["events=[]"], args.runs, args.seed, "option_a_elections, with -> without its events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
