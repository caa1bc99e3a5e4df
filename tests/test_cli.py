"""End-to-end CLI tests on the bundled scenarios and the fixtures."""

import csv
import json
import re
import subprocess
import sys

import pytest
from conftest import FIXTURES, ROOT, SCENARIOS, negsim_cmd

BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


def run(*args, cwd=ROOT):
    return subprocess.run(negsim_cmd(*args), capture_output=True, text=True, cwd=cwd, timeout=300)


def test_help_teaches():
    r = run("--help")
    assert r.returncode == 0
    for word in ("run", "validate", "trace", "list", "examples"):
        assert word in r.stdout
    r = run("run", "--help")
    assert "--runs" in r.stdout and "--seed" in r.stdout and "--jobs" in r.stdout and "--set" in r.stdout


def test_there_are_bundled_scenarios():
    names = {p.stem for p in BUNDLED}
    assert {"us_drawdown", "polish_belarusian_limits", "draft_treaty_2021"} <= names


def test_list_names_every_bundled_scenario():
    r = run("list")
    assert r.returncode == 0
    for p in BUNDLED:
        assert p.stem in r.stdout


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_validates_and_runs(path, tmp_path):
    r = run("validate", path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out"
    r = run("run", path, "--runs", 40, "--seed", 3, "--jobs", 2, "--out", out, "-q")
    assert r.returncode == 0, r.stderr
    assert "P(agreement)" in r.stdout and "95% CI" in r.stdout
    rows = list(csv.DictReader(open(out / "outcomes.csv")))
    assert [int(x["replicate"]) for x in rows] == list(range(40))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replicates"] == 40 and summary["complete"] is True
    for key in ("reached", "ratified", "in_force", "survived"):
        p = summary["probabilities"][key]
        assert 0 <= p["lo"] <= p["p"] <= p["hi"] <= 1
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 3 and manifest["runs_completed"] == 40 and manifest["negsim_version"]
    assert (out / "scenario.resolved.yaml").read_text().strip()
    # every failed replicate says why
    for row in rows:
        if row["reached"] != "True":
            assert row["end_cause"] in ("veto", "deadlock", "walkout")
            assert row["veto_actor"] or row["end_cause"] == "deadlock"
        elif row["in_force"] == "True" and row["survived"] != "True":
            assert row["breakdown_cause"] and row["breakdown_actor"] and row["breakdown_period"]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_trace_tells_the_story(path):
    r = run("trace", path, "--seed", 2, "--replicate", 1)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^Round 1:", r.stdout, re.M) and "Outcome:" in r.stdout  # every round is told, parallel talks' too
    assert not re.search(r"conceding toward.* 0%", r.stdout)  # a small step is shown as 0.4% or <0.1%, never 0%


def test_trace_matches_the_run_row(tmp_path):
    mini = FIXTURES / "mini.yaml"
    out = tmp_path / "o"
    assert run("run", mini, "--runs", 8, "--seed", 5, "--out", out, "-q").returncode == 0
    rows = list(csv.DictReader(open(out / "outcomes.csv")))
    r = run("trace", mini, "--seed", 5, "--replicate", 7)
    row = rows[7]
    if row["reached"] == "True":
        assert f"after {row['rounds']} rounds" in r.stdout
    else:
        assert row["veto_actor"] in r.stdout


NO_SPOILERS = ["actors.AAA.spoiler=0", "actors.BBB.spoiler=0", "actors.CCC.spoiler=0"]
PATIENT_NATO = ["actors.AAA.walkout.after=1000", "actors.BBB.walkout.after=1000", "actors.CCC.walkout.after=1000"]


@pytest.mark.parametrize("spoiler", [0, 1])
def test_walkout_cause_says_why_a_state_walked_out(spoiler):
    # defect 16: outcomes.csv could not tell why a state walked out; a spoiler trait no longer makes a state walk out
    # whatever the text (it acts through hold-ups): a walk-out is on substance, with a spoiler or without
    from negsim.api import load
    from negsim.montecarlo.runner import run_many

    walk = ["actors.RUS.walkout.after=1", "actors.RUS.walkout.hazard=1", "actors.AAA.red_lines.cap=0.3"]
    walk += ["actors.RUS.red_lines.cap=0.9", "actors.AAA.concession.shape=categorical", f"actors.RUS.spoiler={spoiler}"]
    rows = run_many(load(FIXTURES / "mini.yaml", NO_SPOILERS + PATIENT_NATO + walk), 10, 1)
    assert {(r["end_cause"], r["walkout_actor"], r["walkout_cause"]) for r in rows} == {("walkout", "RUS", "substance")}
    assert list(rows[0]).index("walkout_cause") == list(rows[0]).index("walkout_actor") + 1
    from negsim.cli import _verdict  # trace's last line says it too

    assert "RUS walked out (on substance" in _verdict(rows[0])
    agreed = run_many(load(FIXTURES / "mini.yaml", NO_SPOILERS + ["actors.RUS.spoiler=0"]), 10, 1)
    assert all(r["walkout_cause"] == "" for r in agreed if not r["walkout_actor"])


def test_run_refuses_to_overwrite_results(tmp_path):
    mini = FIXTURES / "mini.yaml"
    out = tmp_path / "o"
    assert run("run", mini, "--runs", 5, "--out", out, "-q").returncode == 0
    r = run("run", mini, "--runs", 5, "--out", out, "-q")
    assert r.returncode == 2 and "--force" in r.stderr and "Traceback" not in r.stderr
    assert run("run", mini, "--runs", 5, "--out", out, "-q", "--force").returncode == 0


def test_unwritable_output_is_a_clean_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run("run", FIXTURES / "mini.yaml", "--runs", 5, "--out", blocker / "sub", "-q")
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args,needle", [(["--runs", "0"], "--runs"), (["--jobs", "0"], "--jobs"), (["--seed", "-1"], "--seed")])
def test_bad_options_are_clean_errors(args, needle, tmp_path):
    r = run("run", FIXTURES / "mini.yaml", *args, "--out", tmp_path / "o", "-q")
    assert r.returncode == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_missing_file_is_a_clean_error():
    r = run("run", "no_such_scenario.yaml")
    assert r.returncode == 2 and "no such file" in r.stderr and "Traceback" not in r.stderr


def test_run_by_bundled_name(tmp_path):
    if not BUNDLED:
        pytest.skip("no bundled scenarios")
    r = run("run", BUNDLED[0].stem, "--runs", 5, "--out", tmp_path / "o", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr


def test_code_is_lint_clean():
    ruff = pytest.importorskip("ruff")
    import os
    import sys

    exe = os.path.join(os.path.dirname(sys.executable), "ruff")
    if not os.path.exists(exe):
        pytest.skip("ruff executable not found next to python")
    r = subprocess.run([exe, "check", "negsim", "tests", "benchmarks"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout
    r = subprocess.run([exe, "format", "--check", "negsim", "tests", "benchmarks"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout
    assert ruff


def test_trace_outcome_line_when_entry_falls_after_the_horizon():
    ov = ["--set", "actors.BBB.ratification={required: true, threshold: 0.1, support: 0.9, delay: 40}", "--set", "pact.horizon=3"]
    for i in range(6):
        r = run("trace", FIXTURES / "mini.yaml", "--replicate", i, *ov)
        assert r.returncode == 0, r.stderr
        last = r.stdout.strip().splitlines()[-1]
        assert "period ," not in last and "( by )" not in last, last
        if "after the horizon" in last:
            return
    raise AssertionError("no replicate entered into force after the horizon")


def test_broken_pipe_is_quiet():
    import subprocess as sp

    p = sp.run(
        f"{sys.executable} -m negsim explain polish_belarusian_limits | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert "Traceback" not in p.stderr and p.stdout.strip()


def test_compare_shows_a_progress_bar_unless_quiet(capsys):
    # defect 20: compare ran its two sets of replicates without a progress bar
    from negsim.cli import main

    args = ["compare", str(FIXTURES / "mini.yaml"), "--set", "actors.AAA.spoiler=0", "--runs", "12"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "compare mini" in err and "24/24" in err
    assert main([*args, "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "P(agreement)" in captured.out


def test_table_takes_quiet(capsys):
    # defect 20: `table -q` was refused although run and sweep take it
    from negsim.cli import main

    assert main(["table", str(FIXTURES / "mini.yaml"), "--runs", "5", "-q"]) == 0
    assert "| `mini` |" in capsys.readouterr().out


# every NATO state ratifies after about two periods; incidents are frequent and defections end the pact
EVENTFUL = """\
extends: {mini}
name: eventful
actors:
  AAA: {{ratification: {{required: true, threshold: 0.1, support: 0.9, delay: 2}}, spoiler: 0, opportunism: 1}}
  BBB: {{ratification: {{required: true, threshold: 0.1, support: 0.9, delay: 2}}, spoiler: 0, opportunism: 1}}
  CCC: {{ratification: {{required: true, threshold: 0.1, support: 0.9, delay: 2}}, spoiler: 0, opportunism: 1}}
  RUS: {{spoiler: 0, opportunism: 1}}
compliance: {{base_hazard: 0.4, major_share: 1.0, incident_escalation: 0.0}}
pact: {{horizon: 12}}
events:
  - {{hazard: 0.7, incident: {{between: [AAA, RUS], severity: 1.0}}, label: incident AAA-RUS}}
"""


def _period_of(line: str) -> int | None:
    m = re.match(r"Period (\d+)", line)
    return int(m.group(1)) if m else None


def test_trace_is_told_in_time_order(tmp_path):
    # defect 18: "Entry into force ... from period 5" came before "Period 4: incident ...", and an
    # incident came after "the pact breaks down"
    from negsim.api import trace

    path = tmp_path / "eventful.yaml"
    path.write_text(EVENTFUL.format(mini=FIXTURES / "mini.yaml"))
    before_entry = after_breakdown = 0
    for i in range(12):
        lines, row = trace(path, 1, i, allow_outside=True)
        periods = [p for p in map(_period_of, lines) if p is not None]
        assert periods == sorted(periods), "\n".join(lines)
        if row["in_force"]:
            entry = next(j for j, line in enumerate(lines) if "into force" in line)
            early = [j for j, line in enumerate(lines) if "incident" in line and (_period_of(line) or 0) <= row["entry_period"]]
            assert all(j < entry for j in early), "\n".join(lines)
            before_entry += bool(early)
        if row["breakdown_period"] != "":
            end = next(j for j, line in enumerate(lines) if "breaks down" in line)
            later = lines[end + 1 :]
            assert all("after the pact broke down" in line for line in later), "\n".join(lines)
            same = [line for line in lines[:end] if _period_of(line) == row["breakdown_period"] and "incident" in line]
            after_breakdown += bool(same)
    assert before_entry and after_breakdown  # both cases were met


def test_trace_and_explain_say_what_issue_levels_mean():
    # defect 18: issue levels (poland_force_cap=0.30) carried no meaning
    from negsim.api import explain, load, trace

    comp = load("polish_belarusian_limits")
    assert all(issue.meaning.keys() == {0, 1} for issue in comp.scenario.issues.values())
    lines, _ = trace("polish_belarusian_limits", 0, 0)
    assert "  poland_force_cap: 0 = no limit on Poland's military build-up, 1 = " in "\n".join(lines)
    said = explain("polish_belarusian_limits", "actors.POL.positions.poland_force_cap")
    assert said[0].endswith(
        "(0 = no limit on Poland's military build-up, 1 = the tightest cap on Poland's armed forces on the table)"
    )
    assert explain("polish_belarusian_limits", "issues.belarus_oreshnik")[0].startswith(
        "issues.belarus_oreshnik: levels 0 = Russia's Oreshnik missiles stay in Belarus, 1 = "
    )
