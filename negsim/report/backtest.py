"""Historical back-tests: judge a measured outcome against a case's expected direction, and print the table.

Pure functions over what :func:`negsim.api.backtest` measured: a probability with its 95% Wilson
interval for a bound (``expect: below`` / ``above``), or a paired difference with its 95% interval
for a comparison with a variant (``expect: lower`` / ``higher``). A check passes only when the whole
interval lies on the expected side, so a pass says the direction holds at 95%, not just the point estimate.

>>> row = judge_bound("ctbt", "ratified", "below", 0.5, {"p": 0.02, "lo": 0.005, "hi": 0.07})
>>> row.expected, row.measured, row.passed
('P(ratified) < 50%', '2.0% [0.5%, 7.0%]', True)
>>> row = judge_paired("abm", "survived", "lower", "without the 1999 NMD Act", {"a": 0.1, "b": 0.6, "lo": -0.58, "hi": -0.42})
>>> row.expected, row.passed
('P(survives) lower than without the 1999 NMD Act', True)
"""

from __future__ import annotations

from dataclasses import dataclass

from negsim.montecarlo.stats import SHORT_LABELS

#: short names of the outcomes a check may measure (the headline probabilities of a run)
OUTCOME_NAMES = SHORT_LABELS


@dataclass(frozen=True)
class BacktestRow:
    """One line of the back-test table: a case's check, what was measured, and whether it passed."""

    case: str
    expected: str
    measured: str
    passed: bool
    estimate: float
    lo: float
    hi: float


def judge_bound(case: str, outcome: str, expect: str, bound: float, prob: dict) -> BacktestRow:
    """A check against a bound: ``prob`` is a run's ``{p, lo, hi}``; it passes when the interval is wholly on the expected side."""
    sign = "<" if expect == "below" else ">"
    passed = prob["hi"] < bound if expect == "below" else prob["lo"] > bound
    measured = f"{prob['p']:.1%} [{prob['lo']:.1%}, {prob['hi']:.1%}]"
    return BacktestRow(case, f"{OUTCOME_NAMES[outcome]} {sign} {bound:.0%}", measured, passed, prob["p"], prob["lo"], prob["hi"])


def judge_paired(case: str, outcome: str, expect: str, label: str, diff: dict) -> BacktestRow:
    """A paired check: ``diff`` is the case minus its variant on common random numbers (``a``, ``b``, ``lo``, ``hi``).

    ``a`` is the case's probability, ``b`` the variant's; it passes when the difference's interval excludes 0 on the expected side.
    """
    d = diff["a"] - diff["b"]
    passed = diff["hi"] < 0 if expect == "lower" else diff["lo"] > 0
    measured = f"{diff['a']:.1%} vs {diff['b']:.1%}: {d * 100:+.1f} pp [{diff['lo'] * 100:+.1f}, {diff['hi'] * 100:+.1f}]"
    return BacktestRow(case, f"{OUTCOME_NAMES[outcome]} {expect} than {label}", measured, passed, d, diff["lo"], diff["hi"])


def format_table(rows: list[BacktestRow], runs: int, seed: int) -> str:
    """The back-test table (case, expected, measured with its 95% interval, pass) and a last line counting the passes."""
    head = ("case", "expected", "measured (95% interval)", "pass")
    cells = [(r.case, r.expected, r.measured, "PASS" if r.passed else "FAIL") for r in rows]
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(3)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head[:3], widths, strict=True)) + "  " + head[3]]
    lines.append("  ".join("-" * w for w in widths) + "  ----")
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell[:3], widths, strict=True)) + "  " + cell[3] for cell in cells]
    passed = sum(r.passed for r in rows)
    cases = len({r.case for r in rows})
    lines.append("")
    lines.append(
        f"{passed} of {len(rows)} checks pass ({cases} cases; {runs:,} replicates per run, seed {seed}; "
        "paired checks: the case minus its variant on common random numbers)"
    )
    return "\n".join(lines)
