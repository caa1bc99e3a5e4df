"""Sweeps: designs, common random numbers, kill-and-resume, executors, paired comparison."""

import csv
import json
import os
import signal
import subprocess
import time

import pytest
from conftest import FIXTURES, ROOT, negsim_cmd

from negsim.errors import UsageError
from negsim.montecarlo.sweep import design_points, parse_spec, parse_spec_value, read_rows, sweep

MINI = FIXTURES / "mini.yaml"


def test_specs_and_grid():
    assert parse_spec("a.b=0:1:5").levels == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_spec("a.b=0.1,0.3").levels == (0.1, 0.3)
    assert parse_spec("a.b=0:1").dist.kind == "uniform"
    assert parse_spec("a.b={beta: {mean: 0.3, sd: 0.1}}").dist.kind == "beta"
    pts = design_points([parse_spec("a=1,2,3"), parse_spec("b=x,y")])
    assert len(pts) == 6 and {"a": 3, "b": "y"} in pts
    with pytest.raises(UsageError):
        design_points([parse_spec("a=0:1")])  # a distribution needs --design lhs
    assert parse_spec("a.b=0.5:0.5:1").levels == (0.5,)
    for bad in ("a", "a=1:0", "a=0:1:2.5", "a=0:1:1", "a={beta: {mean: 2, sd: 0.1}}"):
        with pytest.raises(UsageError):
            design_points([parse_spec(bad)])
    # an empty entry, a repeated level, a 0-point range, an empty list: each named, none silently run
    for bad, says in (("a=0.1,,0.3", "empty entry"), ("a=0.1,0.1", "twice"), ("a=1,1.0", "twice"), ("a=0:1:0", "POINTS >= 2"),
                      ("a=0.5:0.5:3", "one value")):  # fmt: skip
        with pytest.raises(UsageError, match=says):
            parse_spec(bad)
    with pytest.raises(UsageError, match="no values"):
        parse_spec_value("a", [])
    with pytest.raises(UsageError, match="a.b is swept twice"):
        design_points([parse_spec("a.b=1,2"), parse_spec("a.b=3,4")])


def test_latin_hypercube_stratifies_each_parameter():
    pts = design_points([parse_spec("a=0:1"), parse_spec("b={uniform: [10, 20]}")], design="lhs", samples=50, seed=3)
    a = sorted(p["a"] for p in pts)
    # one sample in each of the 50 strata of [0, 1]
    assert [int(v * 50) for v in a] == list(range(50))
    assert all(10 <= p["b"] <= 20 for p in pts)
    assert pts == design_points([parse_spec("a=0:1"), parse_spec("b={uniform: [10, 20]}")], design="lhs", samples=50, seed=3)


def test_grid_sweep_tables_and_common_random_numbers(tmp_path):
    # pact.horizon beyond what matters? no: sweep a parameter that cannot change the talks
    # (the verification of a pact under a 1-period horizon still matters), so use two levels
    # of an irrelevant parameter (salience of an issue not in play does not exist); use the
    # walkout hazard of an actor that never walks out (after: 1000 rounds)
    res = sweep(
        MINI,
        [parse_spec("actors.CCC.walkout.hazard=0,0.5"), parse_spec("actors.AAA.trust.RUS=0.2,0.6")],
        runs=60,
        seed=4,
        out=tmp_path / "s",
    )
    assert res.complete and res.rows == 4 * 60
    rows = read_rows(tmp_path / "s")
    assert len(rows) == 240
    by_point = {}
    for r in rows:
        by_point.setdefault(int(r["point"]), []).append(r)
    # every point has replicates 0..59 with the same seeds
    for rs in by_point.values():
        assert [int(r["replicate"]) for r in rs] == list(range(60))
    # CRN: the walkout hazard of a state that is never past its patience changes nothing, so
    # those two points give identical outcome rows, replicate by replicate
    pts = res.points
    same = [i for i, p in enumerate(pts) if p["actors.AAA.trust.RUS"] == 0.2]
    outcome = lambda r: {k: v for k, v in r.items() if k not in ("point", "actors.CCC.walkout.hazard")}  # noqa: E731
    assert [outcome(r) for r in by_point[same[0]]] == [outcome(r) for r in by_point[same[1]]]
    with open(tmp_path / "s" / "points.csv") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 4
    for t in table:
        k = sum(r["reached"] == "True" for r in by_point[int(t["point"])])
        assert abs(float(t["p_reached"]) - k / 60) < 1e-6
        assert float(t["lo_reached"]) <= float(t["p_reached"]) <= float(t["hi_reached"])
    man = json.loads((tmp_path / "s" / "manifest.json").read_text())
    assert man["complete"] and man["rows"] == 240 and man["common_random_numbers"]
    assert not (tmp_path / "s" / "parts").exists()


def test_sweep_rows_do_not_depend_on_jobs(tmp_path):
    a = sweep(MINI, [parse_spec("actors.AAA.trust.RUS=0.2,0.6")], runs=60, seed=1, jobs=1, out=tmp_path / "a")
    b = sweep(MINI, [parse_spec("actors.AAA.trust.RUS=0.2,0.6")], runs=60, seed=1, jobs=2, out=tmp_path / "b")
    assert read_rows(a.out_dir) == read_rows(b.out_dir)


def test_existing_results_need_resume_or_force(tmp_path):
    spec = [parse_spec("actors.AAA.trust.RUS=0.2")]
    sweep(MINI, spec, runs=10, out=tmp_path / "s")
    with pytest.raises(UsageError, match="--resume"):
        sweep(MINI, spec, runs=10, out=tmp_path / "s")
    with pytest.raises(UsageError, match="different sweep"):
        sweep(MINI, spec, runs=20, out=tmp_path / "s", resume=True)
    assert sweep(MINI, spec, runs=10, out=tmp_path / "s", resume=True).complete
    assert sweep(MINI, spec, runs=10, out=tmp_path / "s", force=True).complete


def test_bad_point_value_fails_before_any_work(tmp_path):
    from negsim.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        sweep(MINI, [parse_spec("actors.AAA.trust.RUS=0.5,1.5")], runs=10, out=tmp_path / "s")
    assert "point 1" in str(info.value) and "actors.AAA.trust.RUS" in str(info.value)


def _kill_and_resume(tmp_path, kills, seed):
    import random

    out = tmp_path / "k"
    args = ["sweep", MINI, "-p", "actors.AAA.trust.RUS=0.1,0.3,0.5,0.7", "-p", "actors.RUS.trust.default=0.2,0.6",
            "--runs", 200, "--seed", 5, "--jobs", 2, "--out", out, "-q"]  # fmt: skip
    rnd = random.Random(seed)
    for k in range(kills):
        flag = ["--resume"] if k else []
        proc = subprocess.Popen(
            negsim_cmd(*args, *flag), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True
        )
        time.sleep(rnd.uniform(0.8, 3.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    r = subprocess.run(negsim_cmd(*args, "--resume"), capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    ref = subprocess.run(
        negsim_cmd(*args[:-3], "--out", tmp_path / "ref", "-q"), capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert ref.returncode == 0, ref.stderr
    got, want = read_rows(out), read_rows(tmp_path / "ref")
    assert len(got) == len(want) == 8 * 200
    assert got == want  # nothing lost, nothing duplicated, same order


def test_sigkill_at_random_moments_then_resume(tmp_path):
    _kill_and_resume(tmp_path, kills=5, seed=11)


@pytest.mark.slow
def test_sigkill_twenty_times_then_resume(tmp_path):
    _kill_and_resume(tmp_path, kills=20, seed=12)


def test_local_and_dask_give_identical_rows(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        a = sweep(
            MINI,
            [parse_spec("actors.AAA.trust.RUS=0.2,0.6")],
            runs=40,
            seed=2,
            out=tmp_path / "d",
            scheduler=cluster.scheduler_address,
        )
    b = sweep(MINI, [parse_spec("actors.AAA.trust.RUS=0.2,0.6")], runs=40, seed=2, out=tmp_path / "l")
    assert read_rows(a.out_dir) == read_rows(b.out_dir)


def test_sweep_cli_and_sweep_file(tmp_path):
    f = tmp_path / "sw.yaml"
    f.write_text(f"scenario: {MINI}\nparams:\n  actors.AAA.trust.RUS: [0.2, 0.6]\nruns: 20\nseed: 3\n")
    r = subprocess.run(negsim_cmd("sweep", f, "--out", tmp_path / "o", "-q"), capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "P(agreement)" in r.stdout and "2 points x 20 replicates" in r.stdout
    r = subprocess.run(
        negsim_cmd("sweep", MINI, "-p", "actors.AAA.trust.RUS=2", "--runs", 5, "--out", tmp_path / "b", "-q"),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr and "point 0" in r.stderr


def test_compare_is_paired(tmp_path):
    from negsim.api import compare

    same, _, _ = compare(MINI, overrides_b=["actors.CCC.walkout.after=1000", "actors.CCC.walkout.hazard=0.5"], runs=100, seed=1)
    for d in same["differences"].values():
        # no pair disagrees: the estimate is 0 and the (Agresti-Min) interval is narrow but not empty
        assert d["diff"] == 0 and d["discordant"] == 0 and -0.03 < d["lo"] < 0 < d["hi"] < 0.03
    red = ["actors.CCC.red_lines.cap=0.05", "actors.CCC.positions.cap=0", "actors.CCC.concession.shape=categorical"]
    diff, text, out = compare(MINI, overrides_b=red + ["talks.anticipate=false"], runs=100, seed=1, out=tmp_path / "c")
    d = diff["differences"]["reached"]
    assert d["b"] < d["a"] and d["hi"] < 0
    assert (out / "comparison.json").exists() and "B - A" in text


def test_sweep_precision_adds_replicates_per_point(tmp_path):
    res = sweep(
        MINI,
        [parse_spec("compliance.base_hazard=1.0"), parse_spec("actors.AAA.opportunism=0.5,1.0")],
        runs=50,
        seed=0,
        out=tmp_path / "p",
        precision=0.04,
        max_runs=2000,
    )
    with open(tmp_path / "p" / "points.csv") as fh:
        table = list(csv.DictReader(fh))
    for t in table:
        n = int(t["n"])
        assert n > 50
        for k in ("reached", "ratified", "in_force", "survived"):
            assert (float(t[f"hi_{k}"]) - float(t[f"lo_{k}"])) / 2 < 0.04
    assert res.rows == sum(int(t["n"]) for t in table)
