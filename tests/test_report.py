"""negsim report: one self-contained HTML file that holds the result's figures and refers to nothing outside it."""

import contextlib
import io
import json
import re
from html.parser import HTMLParser

import pytest
from conftest import ROOT

from negsim.cli import main

MINI = ROOT / "tests" / "fixtures" / "mini.yaml"


def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


class _Refs(HTMLParser):
    """Every URL-like attribute of the page (src, href, xlink:href, data, action) and whether it parsed."""

    def __init__(self):
        super().__init__()
        self.refs, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href", "xlink:href", "data", "action") and v]


def _external(html: str) -> list[str]:
    p = _Refs()
    p.feed(html)
    refs = [r for r in p.refs if not r.startswith("#")]
    refs += re.findall(r"url\((?!#)[^)]*\)", html) + re.findall(r"@import", html)
    assert "script" not in p.tags and "link" not in p.tags and "img" not in p.tags and "iframe" not in p.tags
    return refs


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("rep") / "run"
    assert _cli("run", "us_drawdown", "--runs", 60, "-q", "--out", d)[0] == 0
    return d


def test_a_run_report_holds_the_summary_its_plots_and_the_command(run_dir):
    code, text, err = _cli("report", run_dir)
    assert code == 0, err and "report.html" in text
    html = (run_dir / "report.html").read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    for key in ("complete", "ratified", "in_force", "survived"):
        p = summary["probabilities"][key]
        assert f"{p['p']:.1%}" in html and f"[{p['lo']:.1%}, {p['hi']:.1%}]" in html
    assert html.count("<svg") == 3  # outcomes, survival, blockers
    assert "Does a US drawdown" in html  # the scenario's question
    assert "Per front" in html and "Where the numbers that matter come from" in html
    # each section of causes is there exactly when the run has such causes (us_drawdown: failed ratifications)
    assert ("Who blocked, on what" in html) == bool(summary["talks"].get("blocked_by_actor_issue"))
    assert ("Ratification failed in" in html) == bool(summary["ratification"].get("failed_by_actor"))
    assert "Ratification failed in" in html or "Who blocked, on what" in html
    assert "negsim run us_drawdown --runs 60 --seed 0" in html
    # the provenance of the values behind a blocker, or behind the legislature that failed most
    top = max(summary["ratification"].get("failed_by_actor", {"": 0}).items(), key=lambda kv: kv[1])[0]
    assert f"actors.{top}.ratification.support = " in html if top else "actors.POL.reservation = " in html
    assert "ASSUMPTION" in html
    assert _external(html) == []
    assert "report.html" in json.loads((run_dir / "manifest.json").read_text())["files"]


def test_a_sweep_and_a_comparison_report_too(tmp_path):
    sw, cmp = tmp_path / "sw", tmp_path / "cmp"
    assert _cli("sweep", MINI, "-p", "actors.RUS.reservation=0:0.5:3", "--runs", 10, "-q", "--out", sw)[0] == 0
    assert _cli("compare", MINI, "--set", "actors.RUS.reservation=0.5", "--runs", 30, "-q", "--out", cmp)[0] == 0
    for d in (sw, cmp):
        code, _, err = _cli("report", d, "--out", tmp_path / f"{d.name}.html")
        assert code == 0, err
        html = (tmp_path / f"{d.name}.html").read_text()
        assert _external(html) == [] and "<svg" in html and "Reproduce" in html
    comparison = json.loads((cmp / "comparison.json").read_text())
    d = comparison["differences"]["complete"]
    assert f"{100 * d['diff']:+.1f} pp" in (tmp_path / "cmp.html").read_text()
    assert "actors.RUS.reservation" in (tmp_path / "sw.html").read_text()


def test_report_refuses_what_is_not_a_finished_result(tmp_path):
    code, _, err = _cli("report", tmp_path)
    assert code == 2 and "not a negsim result folder" in err and "Traceback" not in err
