"""Historical back-tests: the cases in scenarios/history/ validate, `negsim backtest` prints its table and exit code."""

import contextlib
import io
import re

import pytest
from conftest import ROOT, SCENARIOS

from negsim.cli import main
from negsim.report.backtest import judge_bound, judge_paired

HISTORY = sorted((SCENARIOS / "history").glob("*.yaml"))
ROW = re.compile(r"^(\S+)\s{2,}(.+?)\s{2,}(.+?)\s{2,}(PASS|FAIL)$")


def _cli(*args):
    """Exit code, stdout and stderr of negsim run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def _rows(text: str) -> list[tuple[str, str, str, str]]:
    return [m.groups() for line in text.splitlines() if (m := ROW.match(line))]


def test_there_are_at_least_eight_cases_each_with_a_stated_direction():
    from negsim.scenario.load import load_scenario

    assert len(HISTORY) >= 8
    for f in HISTORY:
        sc = load_scenario(f).scenario
        assert sc.backtest, f"{f.name} has no backtest: block"
        assert "Expected direction" in f.read_text(encoding="utf-8"), f"{f.name}: the header must state the expected direction"


def test_every_history_case_validates_strictly():
    code, out, err = _cli("validate", "--strict", *HISTORY)
    assert code == 0, err
    assert out.count(": ok") == len(HISTORY)


def test_the_history_card_is_public_record_with_a_reference_for_every_claim():
    from negsim.scenario.provenance import load_cards

    card = load_cards()["history-record"]
    assert card.kind == "public_record" and not card.file
    assert len(card.claims) >= 30 and all(str(c.paragraph).strip() for c in card.claims)
    assert "public record" in card.cite(card.claims[0])


def test_backtest_end_to_end_prints_one_row_per_check_and_its_exit_code():
    from negsim.scenario.load import load_scenario

    code, out, err = _cli("backtest", "-q", "--runs", 60, "--seed", 0)
    assert "Traceback" not in err
    assert out.splitlines()[0].split() == ["case", "expected", "measured", "(95%", "interval)", "pass"]
    rows = _rows(out)
    checks = [(load_scenario(f).scenario.name, c) for f in HISTORY for c in load_scenario(f).scenario.backtest]
    assert len(rows) == len(checks)
    assert [r[0] for r in rows] == [name for name, _ in checks]
    for (_, expected, measured, _), (_, check) in zip(rows, checks, strict=True):
        assert re.search(r"\[[-+0-9.]+%?, [-+0-9.]+%?\]", measured), measured  # the 95% interval is printed
        assert (" than " in expected) == (check.variant is not None)
    passed = sum(r[3] == "PASS" for r in rows)
    assert f"{passed} of {len(rows)} checks pass ({len(HISTORY)} cases; 60 replicates" in out
    assert code == (0 if passed == len(rows) else 1)


def _case(tmp_path, backtest: str):
    f = tmp_path / "case.yaml"
    src = (SCENARIOS / "history" / "north_macedonia_nato.yaml").read_text(encoding="utf-8")
    f.write_text(src.split("\nbacktest:\n")[0] + "\nbacktest:\n" + backtest, encoding="utf-8")
    return f


def test_exit_code_is_0_when_every_check_passes_and_1_when_one_fails(tmp_path):
    # 2008: Greece's red line and Skopje's meet on nothing, so no replicate agrees
    ok = _case(tmp_path, "  - {outcome: complete, expect: below, bound: 0.5}\n")
    code, out, _ = _cli("backtest", "-q", "--runs", 30, ok)
    assert code == 0 and _rows(out)[0][3] == "PASS" and "0.0% [0.0%," in out
    bad = _case(tmp_path, "  - {outcome: complete, expect: above, bound: 0.5}\n")
    code, out, _ = _cli("backtest", "-q", "--runs", 30, bad)
    assert code == 1 and _rows(out)[0][3] == "FAIL"


def test_a_paired_check_is_the_case_minus_its_variant(tmp_path):
    f = _case(
        tmp_path,
        "  - outcome: complete\n    expect: higher\n    variant: {label: with Prespa, set: ["
        "'actors.MKD.positions.name_change=1.0', 'actors.MKD.red_lines.name_change=1.0']}\n",
    )
    code, out, _ = _cli("backtest", "-q", "--runs", 30, f)
    (row,) = _rows(out)
    assert code == 1 and row[3] == "FAIL"  # the case (2008) is lower than Prespa, not higher
    assert row[1] == "P(agreement) higher than with Prespa"
    assert row[2].startswith("0.0% vs 100.0%: -100.0 pp [")


@pytest.mark.parametrize(
    "block, needle",
    [
        ("  - {outcome: complete, expect: below}\n", "give bound:"),
        ("  - {outcome: complete, expect: lower, bound: 0.5}\n", "give variant:"),
        ("  - {outcome: agreed, expect: below, bound: 0.5}\n", "outcome: Input should be 'complete'"),
        ("  - {outcome: complete, expect: below, bound: 1.5}\n", "less than 1"),
        ("  - {outcome: complete, expect: lower, variant: {label: x, set: [nonsense]}}\n", "is not PATH=VALUE"),
        ("  - {outcome: complete, expect: below, bound: 0.5, wager: 3}\n", "unknown key 'wager'"),
    ],
)
def test_a_malformed_backtest_block_is_a_one_line_error_with_its_line(tmp_path, block, needle):
    f = _case(tmp_path, block)
    code, _, err = _cli("validate", f)
    assert code == 2 and needle in err and "Traceback" not in err
    assert re.search(r"case\.yaml:\d+: backtest", err), err


def test_a_variant_that_does_not_apply_is_a_clear_error(tmp_path):
    f = _case(tmp_path, "  - {outcome: complete, expect: lower, variant: {label: x, set: ['actors.XXX.threat=0.1']}}\n")
    code, _, err = _cli("backtest", "-q", "--runs", 10, f)
    assert code == 2 and "backtest variant" in err and "XXX" in err and "Traceback" not in err


def test_a_case_without_a_backtest_block_is_refused(tmp_path):
    f = tmp_path / "plain.yaml"
    f.write_text((ROOT / "tests" / "fixtures" / "mini.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = _cli("backtest", "-q", "--runs", 10, f)
    assert code == 2 and "has no backtest: block" in err


def test_help_teaches_the_block_and_the_exit_codes():
    with pytest.raises(SystemExit) as e, contextlib.redirect_stdout(io.StringIO()) as out:
        main(["backtest", "--help"])
    assert e.value.code == 0
    text = out.getvalue()
    for needle in ("backtest:", "expect: below", "variant:", "0 every check passes, 1 some check fails", "--runs"):
        assert needle in text


def test_judging_needs_the_whole_interval_on_the_expected_side():
    assert judge_bound("c", "survived", "below", 0.5, {"p": 0.45, "lo": 0.40, "hi": 0.51}).passed is False
    assert judge_bound("c", "survived", "above", 0.5, {"p": 0.6, "lo": 0.52, "hi": 0.68}).passed is True
    near = {"a": 0.40, "b": 0.45, "lo": -0.10, "hi": 0.01}
    assert judge_paired("c", "survived", "lower", "v", near).passed is False
    assert judge_paired("c", "survived", "lower", "v", near | {"hi": -0.01}).passed is True
