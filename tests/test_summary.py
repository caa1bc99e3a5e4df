"""The summary answers "why?": each blocking state-issue pair with its reason, and how the talks ended."""

from conftest import SCENARIOS, compile_file

from negsim.montecarlo.runner import run_many
from negsim.montecarlo.stats import summarise
from negsim.report.summary import format_summary


def test_blockers_carry_their_reasons():
    rows = run_many(compile_file(SCENARIOS / "polish_belarusian_limits.yaml"), 150, 1)
    s = summarise(rows)
    talks = s["talks"]
    assert talks["blocked_by_actor_issue"], "the headline scenario fails often enough to have blockers"
    for pair, n in talks["blocked_by_actor_issue"].items():
        reasons = talks["blocked_by_actor_issue_reason"][pair]
        assert sum(reasons.values()) == n
        want = {
            r["veto_reason"] for r in rows if r["end_cause"] != "agreement" and f"{r['veto_actor']} on {r['veto_issue']}" == pair
        }
        assert set(reasons) == want
    text = format_summary(s, "t")
    top, n = next(iter(talks["blocked_by_actor_issue"].items()))
    why = next(iter(talks["blocked_by_actor_issue_reason"][top])).replace("_", " ")
    assert f"{top} ({n / len(rows):.0%}, " in text and why in text
    assert "Why blocked:" in text


def test_a_failed_later_package_is_not_read_as_failed_talks():
    rows = run_many(compile_file(SCENARIOS / "baby_steps_vs_grand_bargain.yaml"), 60, 0)
    s = summarise(rows)
    assert s["probabilities"]["reached"]["k"] > s["talks"]["end_cause"].get("agreement", 0)
    assert "packages agreed before it stand" in format_summary(s, "t")
