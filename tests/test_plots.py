"""Plots of run and sweep results: the figures hold the data of the result files."""

import csv
import json
from collections import Counter

import numpy as np
import pytest
from conftest import FIXTURES

from negsim.errors import UsageError
from negsim.montecarlo.stats import wilson
from negsim.report import plots

PROBS = ("reached", "ratified", "in_force", "survived", "complete")
# a 3 x 2 grid over the mini scenario: a high no-deal value makes AAA veto, the hazard breaks pacts
SWEEP = {"actors.AAA.reservation": (0.0, 0.4, 0.8), "compliance.base_hazard": (0.05, 1.0)}
SWEEP_RUNS = 60


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from negsim.api import run

    out = tmp_path_factory.mktemp("run") / "us_drawdown"
    run("us_drawdown", runs=120, seed=3, out=out)
    return out


def _write_sweep(out, params: dict, runs: int) -> None:
    """A sweep folder in the documented format, from real rows of each point."""
    import itertools

    import yaml

    from negsim.api import load
    from negsim.montecarlo.runner import run_many

    out.mkdir(parents=True)
    names = list(params)
    points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*params.values())]
    base = load(FIXTURES / "mini.yaml")
    (out / "scenario.resolved.yaml").write_text(yaml.safe_dump(base.document, sort_keys=False))
    table, summary = [], []
    for p, point in enumerate(points):
        fixed_text = ["talks.anticipate=false"]  # the compromise stands, so AAA's no-deal value decides
        rows = run_many(load(FIXTURES / "mini.yaml", fixed_text + [f"{k}={v}" for k, v in point.items()]), runs, 1)
        table += [{"point": p, **point, **r} for r in rows]
        cells = []
        for k in PROBS:
            hits = sum(str(r[k]) == "True" for r in rows)
            lo, hi = wilson(hits, len(rows))
            cells += [round(hits / len(rows), 6), round(lo, 6), round(hi, 6)]
        summary.append([p, *point.values(), len(rows), *cells])
    with open(out / "rows.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(table[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(table)
    with open(out / "points.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["point", *names, "n", *[f"{s}_{k}" for k in PROBS for s in ("p", "lo", "hi")]])
        w.writerows(summary)
    manifest = {"kind": "sweep", "scenario": str(FIXTURES / "mini.yaml"), "scenario_name": "mini", "seed": 1, "runs": runs}
    manifest |= {"design": "grid", "params": names, "points": points, "complete": True, "rows": len(table)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "mini-sweep"
    _write_sweep(out, SWEEP, SWEEP_RUNS)
    return out


@pytest.fixture(scope="module")
def sweep1_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep1") / "mini-sweep1"
    _write_sweep(out, {"compliance.base_hazard": (0.05, 0.5, 1.0)}, 40)
    return out


def _outcomes(run_dir):
    with open(run_dir / "outcomes.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _points(sweep_dir):
    with open(sweep_dir / "points.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _bar_labels(ax):
    return [t.get_text() for t in ax.get_yticklabels()]


def _bar_widths(ax):
    return [p.get_width() for p in ax.patches]


def test_outcomes_bars_are_the_summary_probabilities(run_dir):
    fig = plots._fig_outcomes(run_dir)
    bars_ax, hist_ax = fig.axes[:2]
    summary = json.loads((run_dir / "summary.json").read_text())["probabilities"]
    heights = [p.get_height() for p in bars_ax.patches]
    assert heights == pytest.approx([summary[k]["p"] for k in ("complete", "reached", "ratified", "in_force", "survived")])
    # error bars span the Wilson interval
    bars = next(c for c in bars_ax.containers if hasattr(c, "errorbar"))
    segments = bars.errorbar.lines[2][0].get_segments()
    assert [(s[0][1], s[1][1]) for s in segments] == [
        pytest.approx((summary[k]["lo"], summary[k]["hi"])) for k in ("complete", "reached", "ratified", "in_force", "survived")
    ]
    assert "us_drawdown" in fig._suptitle.get_text() and "120 replicates" in fig._suptitle.get_text()
    assert bars_ax.get_ylabel() and hist_ax.get_ylabel()
    # the histogram counts each broken pact's time in force (breakdown minus entry), the survival plot's time axis
    rows = _outcomes(run_dir)
    broke = Counter(
        float(r["breakdown_period"]) - float(r["entry_period"] or 0)
        for r in rows
        if r["in_force"] == "True" and r["survived"] == "False" and r["breakdown_period"]
    )
    hist = {p.get_x() + p.get_width() / 2: p.get_height() for p in hist_ax.patches if p.get_height() > 0}
    assert hist == pytest.approx(dict(broke))
    assert hist_ax.get_xlabel() == "Years since entry into force" == plots._fig_survival(run_dir).axes[0].get_xlabel()


def test_survival_curve_is_kaplan_meier(run_dir):
    fig = plots._fig_survival(run_dir)
    ax = fig.axes[0]
    (curve,) = [ln for ln in ax.get_lines() if ln.get_label() == "Kaplan-Meier estimate"]
    y = np.asarray(curve.get_ydata(), dtype=float)
    assert y[0] == 1.0
    assert np.all(np.diff(y) <= 1e-12)
    # the final value equals the product-limit estimate computed by hand
    rows = [r for r in _outcomes(run_dir) if r["in_force"] == "True"]
    durations = []
    for r in rows:
        broke = r["survived"] == "False" and r["breakdown_period"] != ""
        end = float(r["breakdown_period"]) if broke else 20.0
        durations.append((end - float(r["entry_period"]), broke))
    s = 1.0
    for t in sorted({d for d, b in durations if b}):
        at_risk = sum(d >= t for d, _ in durations)
        s *= 1 - sum(d == t and b for d, b in durations) / at_risk
    assert y[-1] == pytest.approx(s)
    assert "120 replicates" in ax.get_title()
    assert ax.get_xlabel() == "Years since entry into force"


def test_heatmap_is_the_points_pivot(sweep_dir):
    fig = plots._fig_sweep_heatmap(sweep_dir, prob="survived")
    ax = fig.axes[0]
    grid = np.asarray(ax.images[0].get_array(), dtype=float)
    want = np.full((2, 3), np.nan)
    xs, ys = SWEEP["actors.AAA.reservation"], SWEEP["compliance.base_hazard"]
    for r in _points(sweep_dir):
        want[ys.index(float(r["compliance.base_hazard"])), xs.index(float(r["actors.AAA.reservation"]))] = float(r["p_survived"])
    np.testing.assert_allclose(grid, want)
    assert ax.get_xlabel() == "AAA's reservation\n(actors.AAA.reservation)"  # in words, the path beneath
    assert ax.get_ylabel().startswith("base hazard (compliance)\n(compliance.base_hazard")
    lo, hi = fig.axes[1].get_ylim()  # the colour scale spans the data, and its label says so
    assert lo == pytest.approx(min(want.ravel()), abs=0.051) and hi == pytest.approx(max(want.ravel()), abs=0.051)
    assert "colours span the data" in fig.axes[1].get_ylabel()
    assert fig.axes[1].get_ylabel().startswith("P(survives to horizon)")  # the colourbar
    assert "mini" in fig._suptitle.get_text() and f"{SWEEP_RUNS} replicates each" in fig._suptitle.get_text()
    crosses = np.nanmin(want) < 0.5 < np.nanmax(want)
    assert bool(ax.collections) == crosses  # the 0.5 contour exactly when the field crosses it


def _series(ax):
    """The plotted series of a line panel (not the caps and bars of their intervals)."""
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def test_sweep_line_has_one_line_per_level_with_intervals(sweep_dir):
    fig = plots._fig_sweep_line(sweep_dir, x="actors.AAA.reservation", by="compliance.base_hazard", probs=("reached", "survived"))
    axes = [a for a in fig.axes if a.get_lines()]
    assert len(axes) == 2
    pts = _points(sweep_dir)
    for ax, prob in zip(axes, ("reached", "survived"), strict=True):
        lines = _series(ax)
        assert len(lines) == 2
        assert len({str(ln.get_linestyle()) for ln in lines}) == 2 and len({ln.get_marker() for ln in lines}) == 2
        for ln, level in zip(lines, SWEEP["compliance.base_hazard"], strict=True):
            assert ln.get_label() == f"compliance.base_hazard = {level}"
            want = sorted(
                (float(r["actors.AAA.reservation"]), float(r[f"p_{prob}"]))
                for r in pts
                if float(r["compliance.base_hazard"]) == level
            )
            assert list(ln.get_xdata()) == [x for x, _ in want]
            assert list(ln.get_ydata()) == pytest.approx([p for _, p in want])
        assert len(ax.containers) == 2 and not ax.collections[2:]  # one capped 95% interval per line, no overlapping bands


def test_sweep_line_one_parameter(sweep1_dir, tmp_path):
    fig = plots._fig_sweep_line(sweep1_dir)
    (ax,) = fig.axes
    assert [ln.get_label() for ln in _series(ax)] == ["P(agreement)", "P(survives to horizon)"]
    pts = _points(sweep1_dir)
    assert list(_series(ax)[1].get_ydata()) == pytest.approx([float(r["p_survived"]) for r in pts])
    with pytest.raises(UsageError, match="two parameters"):
        plots.plot_sweep_heatmap(sweep1_dir, tmp_path / "h.png")
    assert [f.name for f in plots.plot(sweep1_dir, out=tmp_path)] == ["line.png", "blockers.png"]


def _expected_blockers(rows):
    vetoes_actor, vetoes_issue, by_actor, not_ratified = Counter(), Counter(), Counter(), Counter()
    for r in rows:
        if r["end_cause"] != "agreement":
            vetoes_actor[r["veto_actor"]] += bool(r["veto_actor"])
            vetoes_issue[r["veto_issue"]] += bool(r["veto_issue"])
        if r["in_force"] == "True" and r["survived"] == "False" and r["breakdown_period"]:
            by_actor[r["breakdown_actor"]] += 1
        not_ratified[r["ratification_failed_actor"]] += bool(r["ratification_failed_actor"])
    return [+c for c in (vetoes_actor, vetoes_issue, by_actor, not_ratified)]


def _stacked(ax) -> dict:
    """Each bar label's segments of a stacked panel: {label: {segment label: width}}."""
    labels = _bar_labels(ax)
    out: dict = {}
    for bars in ax.containers:
        for p in bars:
            if p.get_width():
                out.setdefault(labels[round(p.get_y() + p.get_height() / 2)], {})[bars.get_label()] = p.get_width()
    return out


def _check_blockers(fig, rows):
    want = _expected_blockers(rows)
    for ax, counts in zip(fig.axes, want, strict=True):
        if not counts:
            assert not ax.patches
            continue
        top = dict(counts.most_common(10))
        if ax is fig.axes[3]:
            got = dict(zip(_bar_labels(ax), _bar_widths(ax), strict=False))
        else:  # bars stacked by how the talks ended, or by cause: sum the segments per bar
            got = {k: sum(v.values()) for k, v in _stacked(ax).items()}
        assert got == top


def test_blockers_of_a_run_are_the_outcome_counts(run_dir):
    rows = _outcomes(run_dir)
    fig = plots._fig_blockers(run_dir)
    _check_blockers(fig, rows)
    summary = json.loads((run_dir / "summary.json").read_text())
    assert {k: sum(v.values()) for k, v in _stacked(fig.axes[0]).items()} == summary["talks"]["blocked_by_actor"]
    assert sum(sum(v.values()) for v in _stacked(fig.axes[2]).values()) == summary["breakdown"]["count"]
    failed = summary["ratification"]["failed_by_actor"]
    assert dict(zip(_bar_labels(fig.axes[3]), _bar_widths(fig.axes[3]), strict=False)) == dict(Counter(failed).most_common(10))


WALKOUT_ROWS = [  # (veto_actor, veto_issue, end_cause, walkout_cause) x count
    (("RUS", "withdraw", "walkout", "substance"), 5),
    (("RUS", "withdraw", "walkout", "spoiler"), 2),
    (("RUS", "cap", "veto", ""), 1),
    (("POL", "cap", "veto", ""), 4),
    (("BLR", "withdraw", "deadlock", ""), 3),
    (("", "", "agreement", ""), 6),
]


def test_blockers_tell_vetoes_from_walkouts(tmp_path):
    # defect 16: the panel titled "Vetoes by actor" counted walk-outs as vetoes; now each bar is
    # split by how the talks ended, walk-outs by their walkout_cause
    cols = ["replicate", "seed", "reached", "end_cause", "veto_actor", "veto_issue", "walkout_actor", "walkout_cause"]
    cols += ["in_force", "survived", "breakdown_period", "breakdown_cause", "breakdown_actor"]
    rows = []
    for (actor, issue, end, why), k in WALKOUT_ROWS:
        walker = actor if end == "walkout" else ""
        rows += [
            [len(rows) + i, 0, end == "agreement", end, actor, issue, walker, why, False, False, "", "", ""] for i in range(k)
        ]
    out = tmp_path / "run"
    out.mkdir()
    with open(out / "outcomes.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        w.writerows(rows)
    fig = plots._fig_blockers(out)
    veto, deadlock, spoiler, substance = (label for label, _, _ in plots.ENDINGS[:4])
    assert _stacked(fig.axes[0]) == {"RUS": {substance: 5, spoiler: 2, veto: 1}, "POL": {veto: 4}, "BLR": {deadlock: 3}}
    assert _stacked(fig.axes[1]) == {"withdraw": {substance: 5, spoiler: 2, deadlock: 3}, "cap": {veto: 5}}
    assert all("Vetoes" not in ax.get_title() for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [veto, deadlock, spoiler, substance]


def test_blockers_of_a_sweep_pool_every_point(sweep_dir):
    with open(sweep_dir / "rows.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fig = plots._fig_blockers(sweep_dir)
    _check_blockers(fig, rows)
    assert _bar_labels(fig.axes[0]) == ["AAA"]
    assert f"{len(rows):,} replicates" in fig._suptitle.get_text()


def test_plot_dispatch_and_formats(run_dir, sweep_dir, tmp_path):
    written = plots.plot(run_dir, formats=("png", "svg", "pdf"))
    assert [f.name for f in written] == [f"{k}.{s}" for k in ("outcomes", "survival", "blockers") for s in ("png", "svg", "pdf")]
    assert all(f.parent == run_dir / "plots" and f.stat().st_size > 1000 for f in written)
    assert (run_dir / "plots" / "outcomes.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (run_dir / "plots" / "outcomes.pdf").read_bytes()[:5] == b"%PDF-"
    assert b"<svg" in (run_dir / "plots" / "outcomes.svg").read_bytes()[:2000]
    assert [f.name for f in plots.plot(sweep_dir)] == ["heatmap.png", "blockers.png"]
    assert [f.name for f in plots.plot(sweep_dir, kind="all", out=tmp_path / "all")] == [
        "line.png",
        "heatmap.png",
        "blockers.png",
    ]
    one = plots.plot(sweep_dir, kind="heatmap", out=tmp_path / "h.svg", prob="reached")
    assert one == [tmp_path / "h.svg"] and one[0].stat().st_size > 1000
    assert plots.plot_outcomes(run_dir, tmp_path / "o.pdf") == tmp_path / "o.pdf"


def test_run_without_pacts_in_force(tmp_path):
    from negsim.api import run

    run("draft_treaty_2021", runs=30, seed=1, out=tmp_path / "dt")
    assert run_summary(tmp_path / "dt")["in_force"]["k"] == 0
    ax = plots._fig_survival(tmp_path / "dt").axes[0]
    assert not ax.get_lines() and "No pact entered into force" in ax.texts[0].get_text()
    hist_ax = plots._fig_outcomes(tmp_path / "dt").axes[1]
    assert not hist_ax.patches and hist_ax.texts[0].get_text() == "No pact entered into force"
    assert len(plots.plot(tmp_path / "dt")) == 3


def run_summary(run_dir):
    return json.loads((run_dir / "summary.json").read_text())["probabilities"]


def test_usage_errors(run_dir, sweep_dir, tmp_path):
    with pytest.raises(UsageError, match="not a negsim result folder"):
        plots.plot(tmp_path)
    with pytest.raises(UsageError, match="no such folder"):
        plots.plot_outcomes(tmp_path / "missing", tmp_path / "x.png")
    with pytest.raises(UsageError, match="needs a sweep result"):
        plots.plot_sweep_line(run_dir, tmp_path / "x.png")
    with pytest.raises(UsageError, match="needs a sweep result"):
        plots.plot(run_dir, kind="heatmap")
    with pytest.raises(UsageError, match="needs a run result"):
        plots.plot_survival(sweep_dir, tmp_path / "x.png")
    with pytest.raises(UsageError, match="unknown plot kind"):
        plots.plot(run_dir, kind="pie")
    with pytest.raises(UsageError, match=r"\.png, \.svg or \.pdf"):
        plots.plot_outcomes(run_dir, tmp_path / "x.jpg")
    with pytest.raises(UsageError, match="one file"):
        plots.plot(run_dir, out=tmp_path / "x.png")
    with pytest.raises(UsageError, match="not a parameter of this sweep"):
        plots.plot_sweep_heatmap(sweep_dir, tmp_path / "x.png", x="pact.horizon")
    with pytest.raises(UsageError, match="unknown probability"):
        plots.plot_sweep_line(sweep_dir, tmp_path / "x.png", probs=("agreed",))


def test_cli_plot_and_run_plot_flag(tmp_path):
    import subprocess

    from conftest import FIXTURES, ROOT, negsim_cmd

    out = tmp_path / "r"
    r = subprocess.run(
        negsim_cmd("run", FIXTURES / "mini.yaml", "--runs", 60, "--out", out, "-q", "--plot"),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert (out / "plots" / "outcomes.png").stat().st_size > 1000
    r = subprocess.run(
        negsim_cmd("plot", out, "--kind", "survival", "--out", tmp_path / "s.svg"), capture_output=True, text=True, cwd=ROOT
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "s.svg").read_text().lstrip().startswith("<?xml")
    r = subprocess.run(negsim_cmd("plot", tmp_path), capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_compare_plot_shows_the_paired_differences(tmp_path):
    from conftest import FIXTURES

    from negsim.api import compare

    result, _, out = compare(FIXTURES / "mini.yaml", overrides_b=["actors.CCC.red_lines.cap=0.05", "actors.CCC.positions.cap=0"],
                             runs=60, seed=1, out=tmp_path / "c")  # fmt: skip
    png = out / "comparison.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    from negsim.report import plots

    fig_path = plots.plot_compare(result, tmp_path / "c.svg")
    svg = fig_path.read_text()
    assert "paired replicates" in svg


# --------------------------------------------------------------------------- one style


def _drawn_colours(fig) -> tuple[set, set]:
    """The RGB colours (rounded, fully transparent ones left out) every artist of ``fig`` draws with, and its colour maps."""
    from matplotlib.collections import Collection
    from matplotlib.colors import to_rgba_array
    from matplotlib.contour import ContourSet  # drawn in given colours (checked), its map is a list of them
    from matplotlib.image import AxesImage
    from matplotlib.lines import Line2D
    from matplotlib.markers import MarkerStyle
    from matplotlib.patches import Patch
    from matplotlib.text import Text

    fig.draw_without_rendering()  # scatter colours and colour-bar solids are set at draw time
    colours, cmaps = set(), set()

    def add(*specs):
        for spec in specs:
            for rgba in to_rgba_array(spec):
                if rgba[3] > 0:
                    colours.add(tuple(float(round(v, 3)) for v in rgba[:3]))

    for a in fig.findobj(lambda a: a.get_visible()):
        if isinstance(a, Line2D):  # what it draws: the line if it has a style, the marker's face if filled, its edge
            marker = MarkerStyle(a.get_marker())
            add(*([a.get_color()] if a.get_linestyle() not in ("None", "none", "") else []))
            add(*([a.get_markerfacecolor()] if marker.is_filled() and a.get_marker() not in ("None", "none", "") else []))
            add(*([a.get_markeredgecolor()] if a.get_marker() not in ("None", "none", "") else []))
        elif isinstance(a, Patch):
            add(a.get_facecolor(), a.get_edgecolor(), *([a.get_hatchcolor()] if a.get_hatch() else []))
        elif isinstance(a, Text) and a.get_text():
            add(a.get_color())
            if a.get_bbox_patch() is not None:
                add(a.get_bbox_patch().get_facecolor(), a.get_bbox_patch().get_edgecolor())
        elif isinstance(a, Collection):
            add(a.get_facecolor(), a.get_edgecolor())
        if isinstance(a, AxesImage | Collection) and not isinstance(a, ContourSet) and a.get_array() is not None:
            cmaps.add(a.get_cmap().name)
    return colours, cmaps


def _off_palette(colours: set) -> list:
    """The colours that are neither in the house palette nor on its sequential colour map."""
    import matplotlib
    from matplotlib.colors import to_rgb

    from negsim.report import style

    fixed = np.array([to_rgb(c) for c in style.PALETTE])
    ramp = matplotlib.colormaps[style.SEQUENTIAL](np.linspace(0, 1, 256))[:, :3]
    known = np.vstack([fixed, ramp])
    return sorted(c for c in colours if np.abs(known - np.array(c)).max(axis=1).min() > 0.006)


def _sensitivity_rows(index_pairs) -> list[dict]:
    from negsim.montecarlo.sensitivity import NOISE

    rows = []
    for outcome in ("complete", "survived"):
        for j, parameter in enumerate(("actors.RUS.reservation", "pact.verification", "dummy", NOISE)):
            for index in index_pairs:
                est = 0.02 if parameter in ("dummy", NOISE) else 0.4 / (j + 1)
                rows.append({"outcome": outcome, "parameter": parameter, "index": index, "estimate": est, "lo": est / 2,
                             "hi": est * 1.5, "sigma": est / 3})  # fmt: skip
    return rows


def _planted_sweep(tmp_path):
    """A finished sweep folder for PRIM: P(survives) high where a >= 0.6 and b <= 0.4."""
    rng = np.random.default_rng(7)
    x = rng.random((120, 2))
    out = tmp_path / "planted"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kind": "sweep", "complete": True, "params": ["a", "b"], "files": {}}))
    with open(out / "points.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["point", "a", "b", "n", "p_survived"])
        w.writerows([i, a, b, 200, 0.9 if a >= 0.6 and b <= 0.4 else 0.1] for i, (a, b) in enumerate(x))
    return out


def test_every_figure_kind_draws_only_in_the_house_palette(run_dir, sweep_dir, sweep1_dir, tmp_path):
    from negsim import api
    from negsim.report.sensitivity_plots import fig_morris, fig_prim, fig_sobol

    meta = {"points": 12, "runs": 10, "seed": 0}
    diff = {"diff": 0.05, "lo": -0.01, "hi": 0.11, "a": 0.4, "b": 0.45}
    comparison = {"differences": {k: diff for k in PROBS}, "a": "a.yaml", "b": "b.yaml", "runs": 60, "seed": 1}
    figures = {kind: plots.figure_for(run_dir, kind) for kind in ("outcomes", "survival", "blockers")}
    figures |= {f"sweep {kind}": plots.figure_for(sweep_dir, kind) for kind in ("line", "heatmap", "blockers")}
    figures["one-parameter line"] = plots.figure_for(sweep1_dir, "line")
    figures["compare"] = plots.fig_compare(comparison)
    figures["morris"] = fig_morris(meta, _sensitivity_rows(["mu_star"]))
    figures["sobol"] = fig_sobol(meta, _sensitivity_rows(["S1", "ST"]))
    figures["prim"] = fig_prim(api.discover(_planted_sweep(tmp_path), outcome="survived", threshold=0.5))
    for kind, fig in figures.items():
        colours, cmaps = _drawn_colours(fig)
        assert len(colours) >= 3, kind  # the figure was inspected, not empty
        assert _off_palette(colours) == [], kind
        assert cmaps <= {"viridis"}, (kind, cmaps)


def test_the_palette_check_catches_a_colour_of_its_own():
    from negsim.report.style import ACCENT, figure, styled

    @styled
    def rogue():
        fig = figure(3, 2)
        ax = fig.subplots()
        ax.bar([0, 1], [0.3, 0.6], color=ACCENT)
        ax.plot([0, 1], [0.2, 0.5], color="crimson")
        return fig

    assert _off_palette(_drawn_colours(rogue())[0]) == [pytest.approx((0.863, 0.078, 0.235), abs=1e-3)]


def test_plotting_code_names_its_colours_from_the_style_module():
    """No colour literal in the plotting modules: every colour comes from negsim.report.style, defined there once."""
    import ast
    import inspect

    from matplotlib.colors import is_color_like

    from negsim.report import html, plots, sensitivity_plots

    keywords = {"color", "colors", "c", "fc", "ec", "ecolor", "facecolor", "facecolors", "edgecolor", "edgecolors",
                "markerfacecolor", "markeredgecolor", "cmap"}  # fmt: skip
    found = []
    for module in (plots, sensitivity_plots, html):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.keyword) and node.arg in keywords:
                for const in ast.walk(node.value):
                    if isinstance(const, ast.Constant) and isinstance(const.value, str) and const.value != "none":
                        if is_color_like(const.value) or node.arg == "cmap":
                            found.append((module.__name__, node.arg, const.value))
    assert found == []
