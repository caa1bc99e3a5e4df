"""negsim from Python: typed DataFrames for run, sweep and compare, warnings, and a Mesa model that behaves like one."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import negsim
from negsim.errors import NegsimWarning

MINI = ROOT / "tests" / "fixtures" / "mini.yaml"
DOCUMENTED = {
    "replicate": "Int64",
    "complete": "boolean",
    "survived": "boolean",
    "central_agreed": "boolean",
    "issues_agreed": "Int64",
    "entry_period": "Int64",
    "breakdown_period": "Int64",
    "final_trust": "Float64",
    "entry_month": "Float64",
    "end_cause": "category",
    "breakdown_cause": "category",
    "veto_actor": "string",
    "events_fired": "string",
}


def _check_dtypes(frame):
    for col, want in DOCUMENTED.items():
        assert str(frame.dtypes[col]) == want, (col, frame.dtypes[col])


def test_run_returns_typed_rows_the_summary_and_writes_nothing_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = negsim.run("us_drawdown", runs=40, jobs=2)
    assert len(res.rows) == 40 and list(res.rows.replicate) == list(range(40))
    _check_dtypes(res.rows)
    assert res.rows.entry_period.isna().any() and not res.rows.entry_period.isna().all()  # <NA>, never "" or NaN floats
    p = res.summary["probabilities"]["complete"]["p"]
    assert p == pytest.approx(res.rows.complete.mean())
    assert res.out_dir is None and res.manifest is None and not (tmp_path / "results").exists()
    assert "P(agreement)" in res._repr_html_()


def test_run_with_out_writes_typed_parquet_that_reads_back_with_its_types(tmp_path):
    res = negsim.run(MINI, runs=20, out=tmp_path / "r", draws=True)
    assert res.manifest["files"]["outcomes.parquet"]["rows"] == 20
    back = negsim.read_outcomes(tmp_path / "r" / "outcomes.parquet")
    _check_dtypes(back)
    csv = negsim.read_outcomes(tmp_path / "r" / "outcomes.csv")
    pd.testing.assert_frame_equal(back.astype(str), csv.astype(str))
    assert res.draws is not None and len(res.draws) == 20 and (tmp_path / "r" / "draws.csv").exists()


def test_run_reports_its_progress_to_a_function_replicate_by_chunk(capsys):
    seen = []
    res = negsim.run(MINI, runs=200, jobs=2, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 200) and seen[-1] == (200, 200) == (len(res.rows), 200)
    assert len(seen) > 3  # it moves chunk by chunk, not only at the end
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and {t for _, t in seen} == {200}
    assert capsys.readouterr().err == ""  # a function replaces the bar: nothing drawn on stderr


def test_a_run_to_a_precision_reports_its_growing_total():
    seen = []
    negsim.run(MINI, runs=100, precision=0.02, max_runs=400, progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 100) and seen[-1][0] == seen[-1][1] > 100  # more replicates than asked first, and it says so
    assert all(d <= t for d, t in seen)


def test_compare_gives_the_differences_and_both_sides_rows():
    cmp = negsim.compare(MINI, set=["actors.RUS.reservation=0.5"], runs=30)
    assert list(cmp.differences.outcome) == ["complete", "reached", "ratified", "in_force", "survived"]
    row = cmp.differences.set_index("outcome").loc["complete"]
    assert row["diff"] == pytest.approx(cmp.b.complete.mean() - cmp.a.complete.mean())
    assert row["lo"] <= row["diff"] <= row["hi"]
    _check_dtypes(cmp.a)


def test_sweep_from_a_dict_or_from_points_reads_its_parquet_back_typed(tmp_path):
    sw = negsim.sweep(MINI, {"actors.RUS.reservation": "0:0.5:3"}, runs=20, out=tmp_path / "g")
    assert len(sw.points) == 3 and len(sw.rows) == 60
    assert str(sw.rows.dtypes["point"]) == "Int64" and str(sw.rows.dtypes["complete"]) == "boolean"
    assert sorted(sw.rows["actors.RUS.reservation"].unique()) == [0.0, 0.25, 0.5]
    design = pd.DataFrame({"actors.RUS.reservation": [0.0, 0.5]})
    pts = negsim.sweep(MINI, points=design.to_dict("records"), runs=20, out=tmp_path / "d")
    assert list(pts.points["actors.RUS.reservation"]) == [0.0, 0.5]
    both = sw.points.set_index("actors.RUS.reservation").p_complete
    assert list(pts.points.p_complete) == [both[0.0], both[0.5]]  # the same replicate seeds at every point


def test_negsims_warnings_go_through_warnings_in_python():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        negsim.run(MINI, runs=2, jobs=1, set=[])  # nothing odd: no warning
        assert not [w for w in caught if issubclass(w.category, NegsimWarning)]
        negsim.run("us_drawdown", runs=2, set=["us_presence.CEE=0.3"])  # an event sets it at period 0
    msgs = [str(w.message) for w in caught if issubclass(w.category, NegsimWarning)]
    assert any("us_presence.CEE is also set by event" in m for m in msgs), msgs


def test_the_mesa_model_steps_collects_and_plays_the_same_replicate_as_a_run():
    from negsim.montecarlo.runner import run_replicate

    model = negsim.NegotiationModel(scenario="us_drawdown", seed=0, replicate=5, collect=True)
    phases = []
    while model.running:
        model.step()
        phases.append(model.phase)
    assert phases[0] == "talks" and phases[-1] == "done" and "compliance" in phases
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.steps + 1  # the start and every step
    assert frame.trust_between_sides.between(0, 1).all()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert {"trust_in_other_side", "position_mean", "legislature_support"} <= set(agents.columns)
    row = run_replicate(negsim.load("us_drawdown"), 0, 5)
    assert {"replicate": 5, "seed": 0, **model.outcome} == row


def test_mesa_batch_run_works_on_the_model():
    import mesa

    results = mesa.batch_run(
        negsim.NegotiationModel,
        {"scenario": str(MINI), "seed": 0, "replicate": range(3), "collect": True},
        number_processes=1,
        display_progress=False,
    )
    last = pd.DataFrame(results).groupby("replicate").Step.max()
    assert list(last.index) == [0, 1, 2] and (last > 0).all()


def test_a_monte_carlo_run_makes_no_collector():
    model = negsim.NegotiationModel(negsim.load(MINI), np.random.default_rng(0))
    assert model.datacollector is None
    model.run()
    assert model.datacollector is None


def test_importing_negsim_stays_light():
    code = "import sys, negsim; print(sorted(m for m in ('pandas', 'mesa', 'scipy', 'pyarrow') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


@pytest.mark.parametrize("name", ["mini", "us_drawdown"])
def test_each_dashboard_slider_starts_on_a_step_at_the_scenarios_value(name):
    """A slider snaps to its steps: a value off them reads as a change and starts a second run (it did for mini's 0)."""
    from negsim.dashboard import main_parameters

    path = ROOT / ("tests/fixtures/mini.yaml" if name == "mini" else f"scenarios/{name}.yaml")
    params = main_parameters(str(path))
    assert any(p["path"].endswith(".reservation") for p in params)
    spans = {"pact.verification": (0.0, 1.0), "compliance.sanction": (0.0, 0.5), "actors.RUS.reservation": (-0.2, 1.0)}
    for p in params:
        lo, hi = spans.get(p["path"], (-np.inf, np.inf))
        assert lo - 1e-9 <= p["lo"] and p["hi"] <= max(hi, p["value"]) + 1e-9, p  # never outside the parameter's span
        k = (p["value"] - p["lo"]) / p["step"]
        assert p["lo"] <= p["value"] <= p["hi"] and abs(k - round(k)) < 1e-6, p
        assert 150 <= (p["hi"] - p["lo"]) / p["step"] <= 260, p  # still about 200 steps
