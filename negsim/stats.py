"""Summary statistics over an outcome table (pure functions over rows)."""

from __future__ import annotations

import math
from collections import Counter

from negsim.schema import FRONTS

Z95 = 1.959963984540054
HEADLINE = (
    ("reached", "P(agreement)"),
    ("ratified", "P(ratified)"),
    ("in_force", "P(in force)"),
    ("survived", "P(survives to horizon)"),
)


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (95% by default).

    >>> [round(v, 3) for v in wilson(50, 100)]
    [0.404, 0.596]
    """
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def _truthy(v) -> bool:
    return v is True or v in ("True", "true", "1", 1)


def proportion(rows: list[dict], key: str) -> dict:
    """Estimate, 95% interval and counts for a boolean column."""
    n = len(rows)
    k = sum(_truthy(r.get(key)) for r in rows)
    lo, hi = wilson(k, n)
    return {"p": k / n if n else float("nan"), "lo": lo, "hi": hi, "k": k, "n": n}


def median(values: list[float]) -> float | None:
    """The median, or None for no values."""
    v = sorted(values)
    if not v:
        return None
    mid = len(v) // 2
    return float(v[mid]) if len(v) % 2 else (v[mid - 1] + v[mid]) / 2


def summarise(rows: list[dict]) -> dict:
    """The run's summary: headline probabilities with 95% intervals, causes, per-front results."""
    n = len(rows)
    out: dict = {"replicates": n}
    out["probabilities"] = {key: proportion(rows, key) for key, _ in HEADLINE}
    out["probabilities"]["complete"] = proportion(rows, "complete")
    broke = [
        r
        for r in rows
        if _truthy(r.get("in_force")) and not _truthy(r.get("survived")) and r.get("breakdown_period") not in ("", None)
    ]
    periods = [float(r["breakdown_period"]) for r in broke]
    out["breakdown"] = {
        "count": len(broke),
        "median_period": median(periods),
        "by_cause": dict(Counter(r["breakdown_cause"] for r in broke).most_common()),
        "by_reason": dict(Counter(r.get("breakdown_reason", "") for r in broke if r.get("breakdown_reason")).most_common()),
        "by_actor": dict(Counter(r["breakdown_actor"] for r in broke).most_common(10)),
        "by_issue": dict(Counter(r["breakdown_issue"] for r in broke if r["breakdown_issue"]).most_common(10)),
    }
    failed = [r for r in rows if r.get("end_cause") != "agreement"]
    out["talks"] = {
        "end_cause": dict(Counter(r["end_cause"] for r in rows).most_common()),
        "median_rounds": median([float(r["rounds"]) for r in rows]),
        "blocked_by_actor": dict(Counter(r["veto_actor"] for r in failed if r["veto_actor"]).most_common(10)),
        "blocked_on_issue": dict(Counter(r["veto_issue"] for r in failed if r["veto_issue"]).most_common(10)),
        "blocked_by_rule": dict(Counter(r["veto_rule"] for r in failed if r["veto_rule"]).most_common()),
        "blocked_by_reason": dict(Counter(r["veto_reason"] for r in failed if r["veto_reason"]).most_common()),
        "blocked_by_actor_issue": dict(
            Counter(f"{r['veto_actor']} on {r['veto_issue']}" for r in failed if r["veto_actor"]).most_common(10)
        ),
    }
    signed = [r for r in rows if _truthy(r.get("reached"))]
    out["ratification"] = {
        "failed_by_actor": dict(
            Counter(r["ratification_failed_actor"] for r in signed if r.get("ratification_failed_actor")).most_common(10)
        ),
    }
    fronts = {}
    for f in FRONTS:
        vals = [r for r in rows if r.get(f"{f}_agreed") not in ("", None)]
        if vals:
            fronts[f] = {"agreed": proportion(vals, f"{f}_agreed"), "survived": proportion(vals, f"{f}_survived")}
    out["fronts"] = fronts
    trust = [float(r["final_trust"]) for r in rows if r.get("final_trust") not in ("", None)]
    out["final_trust_median"] = median(trust)
    return out


def format_summary(s: dict, title: str = "", horizon: int | None = None, period: str = "period") -> str:
    """The summary as the plain text ``negsim run`` prints."""
    n = s["replicates"]
    lines = [f"{title} — {n:,} replicates" if title else f"{n:,} replicates", ""]
    for key, label in HEADLINE + (("complete", "P(every issue agreed)"),):
        p = s["probabilities"][key]
        lines.append(f"  {label:<24} {p['p']:6.1%}   95% CI [{p['lo']:.1%}, {p['hi']:.1%}]")
    b = s["breakdown"]
    if b["count"]:
        lines.append(
            f"  {'Median breakdown':<24} period {b['median_period']:g} ({period}s after signature; {b['count']:,} pacts broke)"
        )
    elif horizon:
        lines.append(f"  {'Median breakdown':<24} none broke within {horizon} {period}s")
    t = s["talks"]
    lines += ["", "How talks ended: " + ", ".join(f"{k} {v / n:.0%}" for k, v in t["end_cause"].items())]
    if t["blocked_by_actor_issue"]:
        lines.append(
            "Blocked most by:  " + ", ".join(f"{k} ({v / n:.0%})" for k, v in list(t["blocked_by_actor_issue"].items())[:5])
        )
    if t["blocked_by_rule"]:
        lines.append("Under the rule:   " + ", ".join(f"{k} ({v / n:.0%})" for k, v in t["blocked_by_rule"].items()))
    if s["ratification"]["failed_by_actor"]:
        lines.append(
            "Ratification failed in: " + ", ".join(f"{k} ({v})" for k, v in s["ratification"]["failed_by_actor"].items())
        )
    if b["count"]:
        lines.append("Why pacts broke:  " + ", ".join(f"{k} ({v})" for k, v in b["by_cause"].items()))
        lines.append("  in detail:      " + ", ".join(f"{k.replace('_', ' ')} ({v})" for k, v in b["by_reason"].items()))
        lines.append("Broken most by:   " + ", ".join(f"{k} ({v})" for k, v in list(b["by_actor"].items())[:5]))
    if s["fronts"]:
        lines += ["", "Per front:            agreed                 survived"]
        for f, v in s["fronts"].items():
            a, sv = v["agreed"], v["survived"]
            lines.append(
                f"  {f:<19} {a['p']:6.1%} [{a['lo']:.1%}, {a['hi']:.1%}]   {sv['p']:6.1%} [{sv['lo']:.1%}, {sv['hi']:.1%}]"
            )
    return "\n".join(lines)
