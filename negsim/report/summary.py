"""The summary of a run as the plain text ``negsim run`` prints (from :class:`~negsim.montecarlo.stats.Summary`'s dict)."""

from __future__ import annotations

from negsim.montecarlo.stats import HEADLINE


def format_summary(s: dict, title: str = "", horizon: int | None = None, period: str = "period") -> str:
    """The summary as the plain text ``negsim run`` prints."""
    n = s["replicates"]
    lines = [f"{title} — {n:,} replicates" if title else f"{n:,} replicates", ""]
    for key, label in HEADLINE:
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
    ended = "How talks ended: " + ", ".join(f"{k} {v / n:.0%}" for k, v in t["end_cause"].items())
    if s["probabilities"]["reached"]["k"] > t["end_cause"].get("agreement", 0):  # some agreed packages, then a failure
        ended += "  (how the last package tried ended; packages agreed before it stand)"
    lines += ["", ended]
    if s.get("ratified_after_horizon"):
        lines.append(f"Ratified, but entering into force only after the horizon: {s['ratified_after_horizon']:,} replicates")
    if t["blocked_by_actor_issue"]:
        lines.append(
            "Blocked most by:  "
            + ", ".join(f"{k} ({v / n:.0%}{_why(t, k, v)})" for k, v in list(t["blocked_by_actor_issue"].items())[:5])
            + "  (share of all replicates; a walk-out counts for the state that walked out)"
        )
    if t.get("blocked_by_reason"):
        lines.append(
            "Why blocked:      " + ", ".join(f"{k.replace('_', ' ')} ({v / n:.0%})" for k, v in t["blocked_by_reason"].items())
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
    if s.get("holdouts_when_signed") and s.get("pacts_signed_mean", 0) > 1:
        lines.append(f"Pacts signed:     {s['pacts_signed_mean']:.1f} on average; stayed out most: "
                     + ", ".join(f"{k} ({v / n:.0%})" for k, v in list(s["holdouts_when_signed"].items())[:8]))  # fmt: skip
    if s["fronts"]:
        lines += ["", "Per front:            agreed                 survived"]
        for f, v in s["fronts"].items():
            a, sv = v["agreed"], v["survived"]
            lines.append(
                f"  {f:<19} {a['p']:6.1%} [{a['lo']:.1%}, {a['hi']:.1%}]   {sv['p']:6.1%} [{sv['lo']:.1%}, {sv['hi']:.1%}]"
            )
    return "\n".join(lines)


def _why(talks: dict, pair: str, count: int) -> str:
    """The reason text after a blocking pair's share: ', red line' or ', mostly red line'."""
    reasons = (talks.get("blocked_by_actor_issue_reason") or {}).get(pair) or {}
    if not reasons:
        return ""
    why, k = next(iter(reasons.items()))
    if not why:
        return ""
    return f", {'' if k == count else 'mostly '}{why.replace('_', ' ')}"
