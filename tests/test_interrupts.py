"""Nothing hangs, nothing is lost: Ctrl-C twice, a SIGKILLed parent, memory that does not grow with --runs.

The CLI tests start negsim in its own session and signal its whole process group, as a
terminal does on Ctrl-C (the workers get the signal too).
"""

import csv
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import pytest
from conftest import FIXTURES, ROOT, SCENARIOS, children, compile_file, negsim_cmd

from negsim.montecarlo.pool import WorkerDied, WorkerPool, _watch_parent, die_with_parent
from negsim.montecarlo.runner import LocalExecutor, StopOnce, chunks, interrupts_deferred
from negsim.montecarlo.stats import Summary, ValueCounts, median

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
HEADLINE = SCENARIOS / "polish_belarusian_limits.yaml"  # slow enough per replicate that a Ctrl-C lands mid-chunk


def _start(*args, pipe=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(negsim_cmd(*args), cwd=ROOT, start_new_session=True, stdout=pipe, stderr=pipe, text=True)


def _wait_for(what, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while not what():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"negsim ended or stalled before the test could interrupt it: {(proc.communicate()[1] or '')[-2000:]}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie, dead but not yet reaped by whoever adopted it, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _ctrl_c_twice(proc: subprocess.Popen, gap: float = 0.1, limit: float = 5.0) -> tuple[str, str, float]:
    """SIGINT to the process group twice, ``gap`` s apart; (stdout, stderr, seconds from the first to the exit)."""
    t0 = time.time()
    for _ in range(2):
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:  # already gone: the first one stopped it
            break
        time.sleep(gap)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"negsim still running {limit} s after a double Ctrl-C")
    return out, err, time.time() - t0


@linux_only
def test_a_double_ctrl_c_stops_a_run_at_once_and_keeps_the_finished_rows_whole(tmp_path):
    out = tmp_path / "D"
    proc = _start("run", HEADLINE, "--runs", 500_000, "--jobs", 2, "-q", "--out", out)
    tmp = out / "outcomes.csv.tmp"
    _wait_for(lambda: tmp.exists() and tmp.stat().st_size > 20_000 and len(children(proc.pid)) >= 2, proc)
    workers = children(proc.pid)
    stdout, stderr, took = _ctrl_c_twice(proc)
    assert proc.returncode == 130, stderr
    assert took < 5 and "Traceback" not in stderr and "interrupted" in stderr
    assert not tmp.exists()
    man = json.loads((out / "manifest.json").read_text())
    with open(out / "outcomes.csv", newline="") as fh:
        lines = fh.read().splitlines()
    header, rows = lines[0].split(","), list(csv.reader(lines[1:]))
    assert man["complete"] is False and man["runs_completed"] == len(rows) > 0
    assert all(len(r) == len(header) for r in rows)
    assert [int(r[header.index("replicate")]) for r in rows] == list(range(len(rows)))
    assert json.loads((out / "summary.json").read_text())["replicates"] == len(rows)
    assert "INTERRUPTED" in stdout
    assert not any(_alive(w) for w in workers)


@linux_only
def test_a_double_ctrl_c_stops_a_sweep_at_once_with_every_part_whole(tmp_path):
    out = tmp_path / "S"
    proc = _start("sweep", HEADLINE, "-p", "actors.POL.reservation=0,0.1", "--runs", 100_000, "--jobs", 2, "-q", "--out", out)
    _wait_for(lambda: len(list((out / "parts").glob("*.csv"))) >= 2, proc)
    _, stderr, took = _ctrl_c_twice(proc)
    assert proc.returncode == 130, stderr
    assert took < 5 and "Traceback" not in stderr and "--resume" in stderr
    parts = sorted(
        p for p in (out / "parts").iterdir() if p.name != "SHA256SUMS"
    )  # the parts' checksums (negsim.montecarlo.folder)
    assert parts and all(p.suffix == ".csv" for p in parts)  # no half-written .tmp part
    for part in parts:
        _, start, end = part.stem.split("_")
        with open(part, newline="") as fh:
            reps = [int(r["replicate"]) for r in csv.DictReader(fh)]
        assert reps == list(range(int(start[1:]), int(end))), part.name
    assert json.loads((out / "manifest.json").read_text())["complete"] is False


@linux_only
def test_a_double_ctrl_c_stops_a_compare_at_once(tmp_path):
    proc = _start("compare", HEADLINE, "--set", "actors.POL.reservation=0.1", "--runs", 100_000, "--jobs", 2)
    _wait_for(lambda: len(children(proc.pid)) >= 2, proc)
    time.sleep(0.5)  # the workers are busy with their first chunks
    workers = children(proc.pid)
    _, stderr, took = _ctrl_c_twice(proc)
    assert proc.returncode == 130, stderr
    assert took < 5 and "Traceback" not in stderr and "interrupted" in stderr
    assert not any(_alive(w) for w in workers)


@linux_only
def test_workers_die_with_a_sigkilled_parent(tmp_path):
    out = tmp_path / "S"
    args = ("sweep", HEADLINE, "-p", "actors.POL.reservation=0,0.1", "--runs", 100_000, "--jobs", 2, "-q", "--out", out)
    proc = _start(*args, pipe=subprocess.DEVNULL)  # no pipes: workers that outlive it would hold them open
    _wait_for(lambda: len(children(proc.pid)) >= 2 and any((out / "parts").glob("*.csv")), proc)
    workers = children(proc.pid)
    proc.kill()
    proc.wait()
    deadline = time.time() + 2
    while any(_alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.02)
    left = [w for w in workers if _alive(w)]
    for w in left:  # do not leave them running if the test fails
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers {left} outlived their parent by 2 s"


def _exit_code_of(target, *args) -> int:
    import multiprocessing as mp

    p = mp.get_context("fork").Process(target=target, args=args)
    p.start()
    p.join(10)
    return p.exitcode


@linux_only
def test_a_worker_whose_parent_died_before_it_was_ready_exits():
    # a parent pid that is not ours: as when the parent was killed between the fork and the prctl
    assert _exit_code_of(die_with_parent, 2**22 + 12345) == 1
    assert _exit_code_of(_watch_parent, 2**22 + 12345, 0.01) == 1  # the fallback where prctl is missing


def test_tasks_are_taken_only_as_workers_come_free():
    comp = compile_file(FIXTURES / "mini.yaml")
    taken = []

    def tasks():
        for ch in chunks(range(400), 2, max_size=10):
            taken.append(ch)
            yield 0, ch

    ex = LocalExecutor({0: comp}, 1, jobs=2)
    got = 0
    try:
        for _, rows in ex.map(tasks()):
            got += 1
            assert len(rows) == 10
            assert len(taken) - got <= 2 * 2, "more than two chunks per worker in flight"
    finally:
        ex.close()
    assert got == len(taken) == 40


def _sleep_or_die(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_a_worker_killed_from_outside_is_an_error_not_a_hang():
    pool = WorkerPool(2, _sleep_or_die, lambda: None)
    results = pool.imap_unordered([(0.01,), (30,), (30,), (30,)])
    try:
        assert next(results) == 0.01
        pool.workers[0].process.kill()
        with pytest.raises(WorkerDied, match="killed by signal 9"):
            next(results)
    finally:
        t0 = time.time()
        pool.close()
        assert time.time() - t0 < 5
    assert pool.workers == []


def test_a_task_error_is_raised_in_the_parent_with_the_workers_traceback():
    pool = WorkerPool(2, int, lambda: None)
    try:
        with pytest.raises(ValueError) as e:
            list(pool.imap_unordered([("1",), ("x",)]))
        assert "Traceback" in str(e.value.__cause__)
    finally:
        pool.close()


def test_only_the_first_interrupt_stops_and_the_handlers_come_back():
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with StopOnce() as stop:
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
            os.kill(os.getpid(), signal.SIGINT)  # ignored: the run is already stopping
            time.sleep(0.05)
            assert stop.stopping
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with StopOnce() as stop:
            with interrupts_deferred():  # a held interrupt reaches the guard, and stops once
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
            pytest.fail("the held interrupt was not raised")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, before)


def test_in_the_command_a_stopped_block_keeps_ignoring_interrupts_to_the_exit(monkeypatch):
    """CI once sent the second Ctrl-C just after a sweep's workers were gone: a bare "interrupted", no --resume."""
    from negsim.montecarlo import pool

    monkeypatch.setattr(pool, "STOPPED_FOR_GOOD", True)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with StopOnce():  # a block that ends without an interrupt gives the handlers back
            pass
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with StopOnce():
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)
        os.kill(os.getpid(), signal.SIGINT)  # after the block: noted and ignored, not raised
        time.sleep(0.05)
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def _rows(n: int, seed: int = 0) -> list[dict]:
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        broke = bool(rng.random() < 0.3)
        rows.append({"replicate": i, "reached": True, "ratified": True, "in_force": True, "survived": not broke,
                     "complete": True, "end_cause": "agreement", "rounds": int(rng.integers(1, 30)),
                     "breakdown_period": int(rng.integers(1, 40)) if broke else "", "breakdown_cause": "defection",
                     "breakdown_actor": "RUS", "breakdown_issue": "cap", "veto_actor": "", "veto_issue": "",
                     "veto_rule": "", "veto_reason": "", "final_trust": round(float(rng.random()), 6), "pacts_signed": 1})  # fmt: skip
    return rows


def test_the_summary_does_not_grow_with_the_replicates():
    rows = _rows(2_000)
    acc = Summary()
    acc.add_many(rows)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            acc.add_many(rows)  # 20,000 more
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 20_000, f"the summary grew by {grown:,} bytes over 20,000 rows"
    assert acc.result()["replicates"] == 22_000


@pytest.mark.parametrize("n", [1, 2, 999, 1000])
def test_streamed_medians_are_the_medians_of_all_the_values(n):
    rows = _rows(n, seed=n)
    s = Summary().add_many(rows).result()
    broke = [float(r["breakdown_period"]) for r in rows if r["breakdown_period"] != ""]
    assert s["talks"]["median_rounds"] == median([float(r["rounds"]) for r in rows])
    assert s["breakdown"]["median_period"] == median(broke) and s["breakdown"]["count"] == len(broke)
    assert s["final_trust_median"] == median([r["final_trust"] for r in rows])


def test_value_counts_keep_values_off_the_grid_exactly():
    values = [0.1234567, -2.5, 0.5, 1.0, 0.0, 3.0, 0.25, 1e-7]
    c = ValueCounts(10**6)
    for v in values:
        c.add(v)
    assert c.median() == median(values) and len(c) == len(values)
    assert ValueCounts().median() is None


def test_the_sweep_progress_bar_prints_its_first_line_once(tmp_path, capsys):
    from negsim.montecarlo.sweep import parse_spec, sweep

    sweep(FIXTURES / "mini.yaml", [parse_spec("actors.AAA.trust.RUS=0.2,0.6")], runs=50, out=tmp_path / "s", progress=True)
    err = capsys.readouterr().err
    assert err.count("  0%|") == 1, err
    assert "100%|" in err
