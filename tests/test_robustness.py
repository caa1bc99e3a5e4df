"""Nothing lost: Ctrl-C flushes what finished; outputs are atomic and checksummed."""

import csv
import hashlib
import json
import signal
import subprocess
import time

import pytest
from conftest import FIXTURES, ROOT, compile_file, negsim_cmd

from negsim.montecarlo.runner import run_many


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_ctrl_c_flushes_finished_replicates_and_marks_the_run_incomplete(tmp_path, sig):
    out = tmp_path / "o"
    proc = subprocess.Popen(negsim_cmd("run", FIXTURES / "mini.yaml", "--runs", 200000, "--jobs", 2, "--out", out, "-q"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)  # fmt: skip
    # wait until rows reach the file (its buffer is flushed every few dozen rows), whatever the machine's speed
    tmp, deadline = out / "outcomes.csv.tmp", time.time() + 120
    while time.time() < deadline and not (tmp.exists() and tmp.stat().st_size > 40_000):
        time.sleep(0.1)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    man = json.loads((out / "manifest.json").read_text())
    assert man["complete"] is False and 0 < man["runs_completed"] < 200000
    rows = list(csv.DictReader(open(out / "outcomes.csv")))
    assert [int(r["replicate"]) for r in rows] == list(range(man["runs_completed"]))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replicates"] == man["runs_completed"] and summary["complete"] is False
    assert "P(agreement)" in stdout
    # the rows that were written are exactly the rows of an uninterrupted run
    want = run_many(compile_file(FIXTURES / "mini.yaml"), 50, 0)
    assert [r["end_cause"] for r in rows[:50]] == [r["end_cause"] for r in want]


def test_manifest_checksums_match_the_files(tmp_path):
    out = tmp_path / "o"
    r = subprocess.run(
        negsim_cmd("run", FIXTURES / "mini.yaml", "--runs", 30, "--out", out, "-q"), capture_output=True, text=True, cwd=ROOT
    )
    assert r.returncode == 0, r.stderr
    man = json.loads((out / "manifest.json").read_text())
    for name, info in man["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"], name
    assert man["files"]["outcomes.csv"]["rows"] == 30
    assert not list(out.glob("*.tmp"))


def test_jobs_1_2_4_give_byte_identical_tables(tmp_path):
    tables = []
    for jobs in (1, 2, 4):
        out = tmp_path / f"j{jobs}"
        r = subprocess.run(negsim_cmd("run", FIXTURES / "mini.yaml", "--runs", 120, "--seed", 8, "--jobs", jobs, "--out", out, "-q"),
                           capture_output=True, text=True, cwd=ROOT)  # fmt: skip
        assert r.returncode == 0, r.stderr
        tables.append((out / "outcomes.csv").read_bytes())
    assert tables[0] == tables[1] == tables[2]


def test_run_on_dask_matches_local(tmp_path):
    import pytest

    distributed = pytest.importorskip("dask.distributed")
    from negsim.api import run

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run(FIXTURES / "mini.yaml", runs=80, seed=3, out=tmp_path / "d", scheduler=cluster.scheduler_address)
    run(FIXTURES / "mini.yaml", runs=80, seed=3, out=tmp_path / "l")
    assert (tmp_path / "d" / "outcomes.csv").read_bytes() == (tmp_path / "l" / "outcomes.csv").read_bytes()


def test_disk_full_mid_run_is_a_clean_error_that_keeps_what_was_written(tmp_path, monkeypatch):
    import errno

    import pytest

    from negsim.api import run
    from negsim.errors import UsageError
    from negsim.montecarlo import runner

    real = runner.CSVRows.write

    def write(self, row):
        if self.count >= 25:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, row)

    monkeypatch.setattr(runner.CSVRows, "write", write)
    with pytest.raises(UsageError, match="No space left"):
        run(FIXTURES / "mini.yaml", runs=100, seed=1, out=tmp_path / "o")
    kept = list(csv.DictReader(open(next((tmp_path / "o").glob("outcomes.csv*")))))
    assert [int(r["replicate"]) for r in kept] == list(range(25))


def test_an_interrupt_inside_a_deferred_block_is_raised_after_it():
    import os

    from negsim.montecarlo.runner import interrupts_deferred

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in `negsim run` (test runners may differ)
    try:
        done = []
        with pytest.raises(KeyboardInterrupt):
            with interrupts_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # the signal is delivered here, but held
                done.append(True)
        assert done == [True]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
