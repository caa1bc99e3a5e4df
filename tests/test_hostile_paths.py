"""What a hostile or careless user reaches beyond scenario files: sweep files, --param values,
README targets, result folders' own files, system folders, and workers killed from outside.

Each case is one clear line with exit code 2 (or works), never a traceback or a hang.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, SCENARIOS, children, negsim_cmd

from negsim.cli import main
from negsim.errors import UsageError
from negsim.montecarlo.folder import check_not_system

MINI = FIXTURES / "mini.yaml"


def cli(*args) -> tuple[int, str]:
    """``negsim ARGS`` in this process, with a 20 s alarm so a hang fails the test instead of the suite."""
    err = io.StringIO()

    def hung(signum, frame):
        raise TimeoutError(f"negsim {' '.join(map(str, args))} hung")

    old = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, err.getvalue()


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("negsim: 1 problem found")]
    assert "Traceback" not in err and len(lines) == 1, err
    for n in needles:
        assert n in err, err


@pytest.fixture
def fifo(tmp_path) -> Path:
    f = tmp_path / "pipe.yaml"
    os.mkfifo(f)
    return f


# ---- sweep files and --param values -----------------------------------------------------------


def test_a_sweep_of_dev_zero_is_refused_at_once(tmp_path):
    one_line_error(*cli("sweep", "/dev/zero", "-p", "a=1", "-q", "--out", tmp_path / "S"), "device")


def test_a_fifo_as_sweep_file_is_refused_not_waited_on(fifo, tmp_path):
    one_line_error(*cli("sweep", fifo, "-p", "a=1", "-q", "--out", tmp_path / "S"), "FIFO")


def test_a_sweep_file_given_as_such_that_is_a_fifo_is_refused(fifo):
    from negsim.montecarlo.sweep import is_sweep_file, load_sweep_file

    assert not is_sweep_file(fifo)
    with pytest.raises(UsageError, match="FIFO"):
        load_sweep_file(fifo)


def test_a_sweep_file_nested_100000_deep_is_no_traceback(tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("scenario: x\nparams: " + "[" * 100_000 + "]" * 100_000 + "\n")
    code, err = cli("sweep", f, "-q", "--out", tmp_path / "S")
    assert code == 2 and "Traceback" not in err, err


@pytest.mark.parametrize(
    "value, needle",
    [
        ("[" * 2000 + "]" * 2000, "nested deeper"),
        ("{a: &a [1, 1], b: *a, c: !!python/name:os.system x}", "tag"),
        ("{a: 1, a: 2}", "duplicate key"),
    ],
    ids=["deep", "python tag", "duplicate key"],
)
def test_hostile_param_values_are_read_as_set_values_are(tmp_path, value, needle):
    code, err = cli("sweep", MINI, "-p", f"actors.AAA.threat={value}", "-q", "--out", tmp_path / "S")
    one_line_error(code, err, "--param", needle)


# ---- README targets and a result folder's own files ------------------------------------------------


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_table_update_of_a_device_or_fifo_is_refused(target, fifo):
    target = fifo if target == "fifo" else target
    one_line_error(*cli("table", MINI, "--runs", 2, "-q", "--update", target), "--update")


def test_plot_refuses_a_manifest_that_leads_to_dev_zero(tmp_path):
    d = tmp_path / "R"
    assert cli("run", MINI, "--runs", 5, "-q", "--out", d)[0] == 0
    (d / "manifest.json").unlink()
    (d / "manifest.json").symlink_to("/dev/zero")
    one_line_error(*cli("plot", d), "device")


# ---- system folders ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["/bin", "/usr/bin", "/usr/local/bin", "/etc/ssh", "/proc/self", "/tmp", "/home", "/var/tmp"])
def test_system_folders_and_their_subfolders_are_refused(where):
    with pytest.raises(UsageError, match="system folder"):
        check_not_system(Path(where))


def test_a_folder_of_ones_own_under_tmp_is_fine(tmp_path):
    check_not_system(tmp_path / "mine")  # raises nothing


def test_a_symlink_into_a_system_folder_is_refused(tmp_path):
    link = tmp_path / "out"
    link.symlink_to("/etc")
    with pytest.raises(UsageError, match="system folder"):
        check_not_system(link)


# ---- a sweep killed before it wrote its resolved scenario ------------------------------------------


def test_a_sweep_resumed_without_its_resolved_scenario_finishes(tmp_path):
    out = tmp_path / "S"
    assert cli("sweep", MINI, "-p", "actors.AAA.threat=0.2,0.4", "--runs", 4, "-q", "--out", out)[0] == 0
    manifest = json.loads((out / "manifest.json").read_text())
    # as a sweep killed between its manifest and its resolved scenario leaves it
    manifest["complete"] = False
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "scenario.resolved.yaml").unlink()
    code, err = cli("sweep", MINI, "-p", "actors.AAA.threat=0.2,0.4", "--runs", 4, "-q", "--out", out, "--resume")
    assert code == 0, err
    assert (out / "scenario.resolved.yaml").is_file()


# ---- a worker killed from outside ----------------------------------------------------------------


def test_a_worker_killed_from_outside_ends_the_run_with_its_rows_saved(tmp_path):
    out = tmp_path / "R"
    headline = SCENARIOS / "polish_belarusian_limits.yaml"
    cmd = negsim_cmd("run", headline, "--runs", 200_000, "--jobs", 2, "-q", "--out", out)
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        tmp = out / "outcomes.csv.tmp"
        while (len(children(proc.pid)) < 2 or not tmp.exists() or tmp.stat().st_size < 100_000) and time.time() < deadline:
            assert proc.poll() is None, proc.communicate()[1]
            time.sleep(0.05)
        os.kill(children(proc.pid)[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr and "worker process was killed" in stderr, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False
    with open(out / "outcomes.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == manifest["runs_completed"] > 0
    assert [int(r["replicate"]) for r in rows] == list(range(len(rows)))
