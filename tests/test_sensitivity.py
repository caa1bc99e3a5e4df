"""Sensitivity analysis (SALib) and scenario discovery (PRIM): tests with known answers, the CLI, and design files."""

import contextlib
import csv
import io
import json
import re

import numpy as np
import pytest
from conftest import ROOT

from negsim import api
from negsim.cli import main
from negsim.errors import UsageError
from negsim.montecarlo.sweep import read_design

MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
DRIVER = "actors.RUS.reservation"  # what Russia needs from a deal: decides whether mini's package is agreed
SECOND = "actors.AAA.reservation"  # what AAA needs: decides whether it stays in
INERT = "actors.AAA.population"  # read by no mechanism of mini's (capability is given, population only describes)


def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def _idx(frame, outcome, parameter, index):
    row = frame[(frame.outcome == outcome) & (frame.parameter == parameter) & (frame["index"] == index)]
    assert len(row) == 1, (outcome, parameter, index)
    return row.iloc[0]


def test_morris_ranks_the_driver_first_and_the_inert_parameter_at_the_dummy(tmp_path):
    res = api.sensitivity(MINI, [f"{DRIVER}=0:0.6", f"{INERT}=10:100"], samples=8, runs=30, jobs=2, out=tmp_path / "m")
    f = res.indices
    drv, inert, dummy = (_idx(f, "complete", p, "mu_star") for p in (DRIVER, INERT, "dummy"))
    assert drv.separable and drv.lo > dummy.hi  # the driver stands out of the noise floor
    assert not inert.separable and inert.lo <= dummy.hi and inert.estimate <= dummy.hi  # the inert one sits in it
    assert "P(agreement) depends most on actors.RUS.reservation" in res.text
    assert "actors.AAA.population cannot be told from no effect" in res.text
    meta = json.loads((res.out_dir / "sensitivity.json").read_text())
    assert meta["method"] == "morris" and meta["points"] == 8 * 4 and meta["problem"]["names"][-1] == "dummy"
    assert {"indices.csv", "outputs.csv", "sensitivity.json"} <= set(
        json.loads((res.out_dir / "manifest.json").read_text())["files"]
    )


def _brute_force(tmp_path, levels: int, runs: int) -> tuple[dict, dict]:
    """S1 and ST of DRIVER and SECOND for P(survives), from a full grid of cell midpoints (a --design file)."""
    mids_a = [0.6 * (i + 0.5) / levels for i in range(levels)]
    mids_b = [0.3 * (i + 0.5) / levels for i in range(levels)]
    design = tmp_path / "grid.csv"
    with open(design, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([DRIVER, SECOND])
        w.writerows([a, b] for a in mids_a for b in mids_b)
    code, _, err = _cli("sweep", MINI, "--design", design, "--runs", runs, "--jobs", 2, "-q", "--out", tmp_path / "grid")
    assert code == 0, err
    with open(tmp_path / "grid" / "points.csv", newline="") as fh:
        y = np.array([float(r["p_survived"]) for r in csv.DictReader(fh)]).reshape(levels, levels)  # [driver, second]
    var = y.var()
    s1 = {DRIVER: y.mean(1).var() / var, SECOND: y.mean(0).var() / var}
    st = {DRIVER: y.var(0).mean() / var, SECOND: y.var(1).mean() / var}
    return s1, st


@pytest.mark.slow
def test_sobol_indices_agree_with_a_brute_force_variance_decomposition(tmp_path):
    res = api.sensitivity(MINI, [f"{DRIVER}=0:0.6", f"{SECOND}=0:0.3", f"{INERT}=10:100"], method="sobol", samples=256,
                          runs=20, jobs=2, out=tmp_path / "s")  # fmt: skip
    s1, st = _brute_force(tmp_path, 12, 20)
    for p in (DRIVER, SECOND):
        for index, want in (("S1", s1[p]), ("ST", st[p])):
            got = _idx(res.indices, "survived", p, index)
            assert got.lo - 0.05 <= want <= got.hi + 0.05, (p, index, want, got.to_dict())  # 0.05: the grid's discretisation
    inert = _idx(res.indices, "survived", INERT, "ST")
    assert inert.estimate == pytest.approx(0, abs=1e-9) and not inert.separable


def test_sobol_runs_n_times_d_plus_2_points_and_needs_a_power_of_2(tmp_path):
    res = api.sensitivity(MINI, [f"{DRIVER}=0:0.6"], method="sobol", samples=8, runs=10, out=tmp_path / "s")
    assert res.complete and json.loads((res.out_dir / "sensitivity.json").read_text())["points"] == 8 * (2 + 2)
    assert {"S1", "ST"} == set(res.indices["index"])
    with pytest.raises(UsageError, match="power of 2"):
        api.sensitivity(MINI, [f"{DRIVER}=0:0.6"], method="sobol", samples=10, runs=10, out=tmp_path / "t")


def _planted(tmp_path, n=400):
    """A finished sweep folder whose P(survives) is 0.9 inside 0.6 <= a, b <= 0.4 and 0.1 elsewhere; c is idle."""
    rng = np.random.default_rng(7)
    x = rng.random((n, 3))
    inside = (x[:, 0] >= 0.6) & (x[:, 1] <= 0.4)
    out = tmp_path / "planted"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kind": "sweep", "complete": True, "params": ["a", "b", "c"], "files": {}}))
    with open(out / "points.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["point", "a", "b", "c", "n", "p_survived"])
        w.writerows([i, *row, 200, 0.9 if hit else 0.1] for i, (row, hit) in enumerate(zip(x, inside, strict=True)))
    return out


def test_prim_recovers_a_planted_box(tmp_path):
    res = api.discover(_planted(tmp_path), outcome="survived", threshold=0.5)
    box = {b["parameter"]: b for b in res.box}
    assert box["a"]["restricted"] and box["a"]["low"] == pytest.approx(0.6, abs=0.05)
    assert box["b"]["restricted"] and box["b"]["high"] == pytest.approx(0.4, abs=0.05)
    assert not box["c"]["restricted"]  # PRIM peels idle parameters too; the box drops what does not buy density
    chosen = res.tradeoff[res.chosen]
    assert chosen["coverage"] >= 0.9 and chosen["density"] >= 0.9
    assert re.search(r"P\(survives\) >= 0.5 when a >= 0\.[56]\d* and b <= 0\.[34]\d*: coverage 9\d%|coverage 100%", res.text), (
        res.text
    )
    tradeoff, limits = api.discover_frames(res)
    assert list(tradeoff.columns) == ["step", "coverage", "density", "mass", "restricted"] and len(limits) == 3
    assert tradeoff.coverage.iloc[0] == 1 and tradeoff.density.iloc[0] == pytest.approx(res.y.count(0.9) / len(res.y))


def test_discover_cli_prints_the_box_and_plots_the_tradeoff(tmp_path):
    out = _planted(tmp_path)
    code, text, err = _cli("discover", out, "--outcome", "survived", "--plot")
    assert code == 0, err
    assert re.search(r"when a >= 0\.[56]\d* and b <= 0\.[34]", text) and "Peeling trade-off" in text and "<- chosen" in text
    assert (out / "plots" / "prim.png").stat().st_size > 1000 and (out / "prim_box.csv").exists()


def test_discover_refuses_what_it_cannot_read(tmp_path):
    code, _, err = _cli("discover", tmp_path)
    assert code == 2 and "not a finished sweep" in err and "Traceback" not in err


def test_sensitivity_cli_end_to_end_resumes_and_plots(tmp_path):
    out = tmp_path / "cli"
    args = (
        "sensitivity",
        MINI,
        "-p",
        f"{DRIVER}=0:0.6",
        "-p",
        f"{INERT}=10:100",
        "--samples",
        4,
        "--runs",
        10,
        "-q",
        "--out",
        out,
    )
    code, text, err = _cli(*args, "--plot")
    assert code == 0, err
    assert "Morris sensitivity over 16 points x 10 replicates" in text and "mu*" in text
    assert (out / "plots" / "morris.png").stat().st_size > 1000
    first = (out / "indices.csv").read_text()
    code, again, err = _cli(*args, "--resume")
    assert code == 0, err
    assert (out / "indices.csv").read_text() == first  # the same design, rows and indices
    code, _, err = _cli(*args)
    assert code == 2 and "--resume" in err  # never over an existing result without --resume or --force


@pytest.mark.parametrize(
    "param, needle",
    [(f"{DRIVER}=0.1,0.2", "give a range LOW:HIGH"), ("dummy=0:1", "taken by the dummy"), ("actors.XXX.threat=0:1", "XXX")],
)
def test_sensitivity_bad_input_is_one_clear_line(tmp_path, param, needle):
    code, _, err = _cli("sensitivity", MINI, "-p", param, "--runs", 5, "-q", "--out", tmp_path / "bad")
    assert code == 2 and needle in err and "Traceback" not in err


def test_a_design_file_is_read_and_validated(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(f"point,{DRIVER},talks.proposal,_dummy\n0,0.1,nash,3\n1,0.25,compromise,4\n")
    specs, points = read_design(f)
    assert [s.path for s in specs] == [DRIVER, "talks.proposal"]
    assert points == [{DRIVER: 0.1, "talks.proposal": "nash"}, {DRIVER: 0.25, "talks.proposal": "compromise"}]
    code, text, err = _cli("sweep", MINI, "--design", f, "--runs", 5, "-q", "--out", tmp_path / "sw")
    assert code == 0, err and "2 points x 5 replicates" in text
    for body, needle in [
        (f"{DRIVER}\n", "at least one row"),
        (f"{DRIVER},{DRIVER}\n1,2\n", "appears twice"),
        (f"{DRIVER}\n0.1,0.2\n", "2 cells, the header has 1"),
        (f"{DRIVER},x\n,1\n", "is empty"),
    ]:
        f.write_text(body)
        code, _, err = _cli("sweep", MINI, "--design", f, "--runs", 5, "-q", "--out", tmp_path / "x")
        assert code == 2 and needle in err and "Traceback" not in err, (body, err)
    code, _, err = _cli("sweep", MINI, "--design", tmp_path / "none.csv", "-q")
    assert code == 2 and "no such file" in err
    f.write_text(f"{DRIVER}\n0.1\n")
    code, _, err = _cli("sweep", MINI, "--design", f, "-p", f"{DRIVER}=0:1:3", "-q")
    assert code == 2 and "give no --param" in err


def test_help_teaches_methods_dummy_and_resume():
    with pytest.raises(SystemExit), contextlib.redirect_stdout(io.StringIO()) as out:
        main(["sensitivity", "--help"])
    for needle in ("morris", "sobol", "dummy", "noise floor", "--resume", "power of 2", "negsim discover"):
        assert needle in out.getvalue()


def test_run_draws_writes_each_replicates_inputs_and_a_set_leaves_the_others_alone(tmp_path):
    import pandas as pd

    code, _, err = _cli("run", "us_drawdown", "--runs", 20, "-q", "--draws", "--out", tmp_path / "a")
    assert code == 0, err
    drawn = pd.read_csv(tmp_path / "a" / "draws.csv")
    assert list(drawn.replicate) == list(range(20)) and "actors.POL.trust.RUS" in drawn.columns
    assert "actors.USA.ratification.support" in drawn.columns  # named by scenario path, not by the stream's array
    man = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert man["files"]["draws.csv"]["rows"] == 20
    table = api.draw_table("us_drawdown", runs=20)
    assert str(table.replicate.dtype) == "Int64"
    assert np.allclose(table.drop(columns="replicate").to_numpy(float), drawn.drop(columns="replicate").to_numpy(), rtol=1e-9)
    fixed = api.draw_table("us_drawdown", runs=20, overrides=["actors.POL.trust.RUS=0.3"])
    assert "actors.POL.trust.RUS" not in fixed.columns  # a fixed value is no draw
    same = [c for c in fixed.columns if c != "replicate"]
    assert (fixed[same].to_numpy(float) == table[same].to_numpy(float)).all()  # every other draw is identical
    outcomes = pd.read_csv(tmp_path / "a" / "outcomes.csv")
    assert len(outcomes.merge(drawn, on="replicate")) == 20


def test_a_parameter_that_only_reshuffles_replicates_is_not_separable_from_the_noise_floor():
    """On common random numbers the dummy's index is 0 exactly, so the floor is the index of replicate noise alone."""
    from negsim.montecarlo import sensitivity as sa
    from negsim.montecarlo.sweep import parse_spec

    prob = sa.problem([parse_spec("a=0:1"), parse_spec("b=0:1")])
    x = sa.design(prob, "morris", 10, 0)
    u = np.random.default_rng(1).random(200)  # the same 200 replicate draws at every point
    y = np.array([np.mean((u + row[0]) % 1 < 0.5) for row in x])  # P = 0.5 whatever a is: a only changes which succeed
    ys = {k: y for k in sa.OUTCOMES} | {"_n": np.full(len(y), 200.0), "_var_periods_in_force": np.zeros(len(y))}
    rows = {i.parameter: i for i in sa.analyse(prob, x, ys, "morris", 0) if i.outcome == "survived"}
    assert rows["a"].estimate > 0 and rows["dummy"].estimate == 0  # a has a mu* of noise; the dummy none
    assert rows["a"].separable is False and rows["a"].hi < rows[sa.NOISE].estimate * 1.5
    assert rows[sa.NOISE].estimate == pytest.approx(np.sqrt(2 / np.pi) * np.sqrt(2 * 0.25 / 200) / (2 / 3), rel=0.05)
