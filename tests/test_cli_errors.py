"""Bad input and clashing output folders end in a clear message (exit 2), never a traceback or lost results.

The commands run in this process (``negsim.cli.main``), not as subprocesses: an uncaught
exception fails the test just as a traceback would, and the suite saves a Python start-up
per call. End-to-end subprocess runs are in test_cli.py.
"""

import contextlib
import io
import json
import os
from dataclasses import dataclass

import pytest
from conftest import FIXTURES, ROOT

from negsim.cli import main

MINI = FIXTURES / "mini.yaml"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run(*args, cwd=ROOT) -> Result:
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as e:  # argparse's own usage errors
                code = e.code if isinstance(e.code, int) else 2
    finally:
        os.chdir(here)
    return Result(code, out.getvalue(), err.getvalue())


def clean_error(r, needle: str) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_no_command_prints_help_and_is_a_usage_error():
    r = run()
    assert r.returncode == 2 and "COMMAND" in r.stderr


def test_results_of_any_command_are_not_overwritten_without_force(tmp_path):
    sweep, comp = tmp_path / "sweep", tmp_path / "cmp"
    assert run("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", sweep, "-q").returncode == 0
    manifest = (sweep / "manifest.json").read_text()
    clean_error(run("run", MINI, "--runs", 4, "--out", sweep, "-q"), "--force")
    assert (sweep / "manifest.json").read_text() == manifest  # the sweep's manifest survived
    assert run("compare", MINI, "--set", "pact.horizon=5", "--runs", 4, "--out", comp).returncode == 0
    r = run("compare", MINI, "--set", "pact.horizon=6", "--runs", 4, "--out", comp)
    clean_error(r, "--force")
    assert json.loads((comp / "comparison.json").read_text())["overrides_b"] == ["pact.horizon=5"]
    r = run("compare", MINI, "--set", "pact.horizon=6", "--runs", 4, "--out", comp, "--force")
    assert r.returncode == 0, r.stderr
    assert json.loads((comp / "comparison.json").read_text())["overrides_b"] == ["pact.horizon=6"]


def test_an_interrupted_runs_partial_table_counts_as_results(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "outcomes.csv.tmp").write_text("replicate\n0\n")
    clean_error(run("run", MINI, "--runs", 4, "--out", out, "-q"), "--force")
    assert (out / "outcomes.csv.tmp").exists()


def test_force_removes_only_negsims_own_files(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert run("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", out, "-q").returncode == 0
    r = run("sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", out, "-q", "--force")
    assert r.returncode == 0, r.stderr
    assert (out / "notes.txt").read_text() == "mine"
    r = run("run", MINI, "--runs", 4, "--out", out, "-q", "--force")
    assert r.returncode == 0, r.stderr
    assert (out / "notes.txt").read_text() == "mine" and not (out / "points.csv").exists()


def test_default_result_folders_never_collide(tmp_path, monkeypatch):
    from negsim.api import prepare_out_dir

    monkeypatch.chdir(tmp_path)
    folders = {prepare_out_dir(None, "same") for _ in range(5)}  # all within a second or two
    assert len(folders) == 5 and all(f.is_dir() for f in folders)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["compare", MINI, MINI, "--runs", "0"], "--runs"),
        (["compare", MINI, MINI, "--runs", "-5"], "--runs"),
        (["compare", MINI, MINI, "--seed", "-1"], "--seed"),
        (["compare", MINI, MINI, "--jobs", "0"], "--jobs"),
        (["run", MINI, "--runs", "5", "--max-runs", "50"], "--precision"),
        (["run", MINI, "--runs", "500", "--max-runs", "50", "--precision", "0.1"], "below --runs"),
        (["run", MINI, "--runs", "5", "--scheduler", "garbage"], "Dask scheduler"),
        (["sweep", MINI, "-p", "pact.horizon=5,10", "--resume", "--out", "no-such-sweep"], "no sweep folder"),
        (["synth", "100000", "3", "--out", "big.yaml"], "at most"),
        (["plot", "no-such-folder"], "no such folder"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_options_are_clean_errors(args, needle, tmp_path):
    clean_error(run(*args, cwd=tmp_path), needle)
    assert not (tmp_path / "results").exists()  # and nothing was left behind


def test_table_checks_the_readme_before_running(tmp_path):
    clean_error(run("table", MINI, "--runs", 4, "--update", tmp_path / "nope.md"), "no such file")
    clean_error(run("table", MINI, "--runs", 4, "--update", tmp_path), "is a folder")
    readme = tmp_path / "R.md"
    readme.write_text("no markers here\n")
    clean_error(run("table", MINI, "--runs", 4, "--update", readme), "markers")
    assert readme.read_text() == "no markers here\n"


def test_synth_into_a_folder_or_under_a_file_is_a_clean_error(tmp_path):
    (tmp_path / "f").write_text("x")
    clean_error(run("synth", 5, 2, "--out", tmp_path / "f" / "s.yaml"), "cannot write")
    clean_error(run("synth", 5, 2, "--out", tmp_path, "--force"), "cannot write")


def test_plot_errors_are_clean(tmp_path):
    out = tmp_path / "o"
    assert run("run", MINI, "--runs", 4, "--out", out, "-q").returncode == 0
    clean_error(run("plot", out, "--kind", "survival", "--format", "svg", "--out", tmp_path / "f.png"), "--format")
    (tmp_path / "file").write_text("x")
    clean_error(run("plot", out, "--kind", "survival", "--out", tmp_path / "file" / "s.png"), "cannot")
    # a run stopped before any replicate finished has nothing to plot
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "outcomes.csv").write_text("")
    (empty / "manifest.json").write_text(json.dumps({"kind": "run", "runs_completed": 0, "complete": False}))
    clean_error(run("plot", empty), "before any replicate finished")


def test_too_many_jobs_are_capped_with_a_warning(tmp_path):
    r = run("run", MINI, "--runs", 6, "--jobs", 10_000, "--out", tmp_path / "o", "-q")
    assert r.returncode == 0 and "more than the" in r.stderr, r.stderr


def test_a_sweep_file_may_name_a_bundled_scenario(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("scenario: polish_belarusian_limits\nparams:\n  pact.horizon: [5, 10]\nruns: 3\njobs: 1\n")
    r = run("sweep", f, "--out", tmp_path / "o", "-q")
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "o" / "manifest.json").read_text())["runs"] == 3


def test_resume_refuses_a_sweep_with_other_set_changes(tmp_path):
    out = tmp_path / "o"
    args = ["sweep", MINI, "-p", "pact.horizon=5,10", "--runs", 4, "--out", out, "-q"]
    assert run(*args, "--set", "talks.max_rounds=3").returncode == 0
    clean_error(run(*args, "--set", "talks.max_rounds=4", "--resume"), "different sweep")
    assert run(*args, "--set", "talks.max_rounds=3", "--resume").returncode == 0


def test_main_leaves_the_callers_sigterm_handler_alone_and_works_off_the_main_thread(capsys):
    import signal
    import threading

    from negsim.cli import main

    before = signal.getsignal(signal.SIGTERM)
    assert main(["list"]) == 0
    assert signal.getsignal(signal.SIGTERM) is before
    codes = []
    t = threading.Thread(target=lambda: codes.append(main(["list"])))
    t.start()
    t.join()
    assert codes == [0]
