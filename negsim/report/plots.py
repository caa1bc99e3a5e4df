"""Publication-quality plots of run and sweep results.

Every plot reads the result files of a finished run (``outcomes.csv``, ``summary.json``,
``scenario.resolved.yaml``, ``manifest.json``) or sweep (``points.csv``, ``rows.parquet`` or
``rows.csv``, ``manifest.json``), never a live model; see ``docs/results-format.md``.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot, no global state,
no window): the file format follows the output file's suffix (``.png`` at 150 dpi, ``.svg``,
``.pdf``). Every figure is drawn in the one house style of :mod:`negsim.report.style` (its
palette, fonts, capped intervals and axis labels) and stays readable in greyscale: stacked
categories are hatched, lines differ by style and marker, the heatmap's colour map is monotonic
in lightness and its cells are annotated.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from negsim.errors import UsageError
from negsim.montecarlo.folder import holdings, in_the_way, lock, refuse_in_the_way, releases_locks, write_atomic, write_recorded
from negsim.montecarlo.stats import LABELS, wilson
from negsim.report.style import (
    ACCENT,
    ERRORBAR,
    FILLS,
    HATCHES,
    INK,
    LINESTYLES,
    MARKERS,
    NOTE,
    SMALL,
    WHITE,
    figure,
    percent_axis,
    render,
    sequential,
    series_colours,
    styled,
)

PROBS = ("reached", "ratified", "in_force", "survived", "complete")
PROB_LABELS = dict(LABELS)
KINDS = ("outcomes", "survival", "line", "heatmap", "blockers", "morris", "sobol", "all")
FORMATS = (".png", ".svg", ".pdf")
TOP = 10  # bars per blockers panel

# the unit of a swept parameter, by path prefix (the first match wins)
_PARAM_UNITS = (
    ("us_presence.", "1 = today's US presence"),
    ("pact.horizon", "periods"),
    ("talks.max_rounds", "rounds"),
    ("compliance.base_hazard", "hazard per period"),
)


# --------------------------------------------------------------------------- reading results


def _read_small(path: Path, what: str) -> bytes:
    """A result folder's manifest or resolved scenario: a regular file of bounded size, never /dev/zero or a FIFO."""
    from negsim.scenario.yamlio import FileRefused, read_limited

    try:
        return read_limited(path, 50_000_000, what)
    except FileRefused as e:
        raise UsageError(f"{path}: the file {e}") from None


class _Result:
    """A result folder: its kind ("run" or "sweep"), manifest and scenario name."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        not_result = f"{self.path} is not a negsim result folder (expected outcomes.csv from 'negsim run' or points.csv from 'negsim sweep')"
        if not self.path.exists():
            raise UsageError(f"{self.path}: no such folder")
        if not self.path.is_dir():
            raise UsageError(not_result)
        self.manifest = {}
        if (self.path / "manifest.json").exists():
            try:
                self.manifest = json.loads(_read_small(self.path / "manifest.json", "manifest"))
            except ValueError:
                raise UsageError(f"{self.path / 'manifest.json'} cannot be read as JSON") from None
            if not isinstance(self.manifest, dict):
                raise UsageError(f"{self.path / 'manifest.json'} is not a negsim manifest (a JSON object)")
        kind = self.manifest.get("kind")  # a run's folder may hold a points.csv of the user's
        if kind == "sweep" or (kind != "run" and (self.path / "points.csv").exists()):
            self.kind = "sweep"
            if not (self.path / "points.csv").exists():
                raise UsageError(f"{self.path} holds an unfinished sweep (no points.csv yet): resume it before plotting")
        elif (self.path / "outcomes.csv").exists():
            self.kind = "run"
            if self.manifest.get("runs_completed") == 0 or (self.path / "outcomes.csv").stat().st_size == 0:
                raise UsageError(f"{self.path} holds a run that was stopped before any replicate finished: nothing to plot")
        else:
            raise UsageError(not_result)
        self._doc = None

    @property
    def doc(self) -> dict:
        """The resolved scenario (an empty mapping if the file is missing)."""
        if self._doc is None:
            from negsim.errors import ScenarioError
            from negsim.scenario.yamlio import parse_yaml

            f = self.path / "scenario.resolved.yaml"
            try:
                doc = parse_yaml(_read_small(f, "resolved scenario"), str(f))[0] if f.exists() else {}
            except ScenarioError as e:
                raise UsageError(f"{f} cannot be read: {e.problems[0].message}") from None
            self._doc = doc if isinstance(doc, dict) else {}
        return self._doc

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.manifest.get("scenario_name") or self.doc.get("name") or self.path.name)

    @property
    def period(self) -> str:
        """The unit of a compliance period (``pact.period``, a year by default)."""
        return str((self.doc.get("pact") or {}).get("period") or "year")

    @property
    def horizon(self) -> int:
        """The number of compliance periods simulated (``pact.horizon``, 20 by default)."""
        return int((self.doc.get("pact") or {}).get("horizon") or 20)

    def require(self, kind: str, plot: str) -> None:
        """Raise a UsageError unless this result is of ``kind``."""
        if self.kind != kind:
            other = "outcomes, survival or blockers" if kind == "sweep" else "line, heatmap or blockers"
            raise UsageError(
                f"the {plot} plot needs a {kind} result but {self.path} holds a {self.kind}; plot it as {other} instead"
            )

    def rows(self, columns: list[str]):
        """The outcome rows (a run's outcomes.csv or a sweep's tidy table) as a DataFrame of ``columns``."""
        import pandas as pd

        if self.kind == "run":
            f = self.path / "outcomes.csv"
            header = pd.read_csv(f, nrows=0).columns
            cols = [c for c in columns if c in header]
            return pd.read_csv(f, usecols=cols, dtype=str, keep_default_na=False).reindex(columns=columns, fill_value="")
        if (self.path / "rows.parquet").exists():
            import pyarrow.parquet as pq

            names = pq.read_schema(self.path / "rows.parquet").names
            df = pd.read_parquet(self.path / "rows.parquet", columns=[c for c in columns if c in names])
        elif (self.path / "rows.csv").exists():
            f = self.path / "rows.csv"
            header = pd.read_csv(f, nrows=0).columns
            df = pd.read_csv(f, usecols=[c for c in columns if c in header], dtype=str, keep_default_na=False)
        else:
            raise UsageError(f"{self.path} has no rows.parquet or rows.csv: the sweep's table is missing")
        return df.reindex(columns=columns, fill_value="")

    def replicates(self) -> int:
        """The number of replicates of a run (from the manifest, else counted)."""
        n = self.manifest.get("runs_completed")
        if n is None:
            n = len(self.rows(["replicate"]))
        return int(n)

    def points(self):
        """A sweep's points.csv as a DataFrame."""
        import pandas as pd

        return pd.read_csv(self.path / "points.csv")

    def params(self) -> list[str]:
        """The swept parameters' paths, in the sweep's order."""
        params = self.manifest.get("params") or self.manifest.get("parameters")
        if isinstance(params, dict):
            params = list(params)
        elif isinstance(params, list) and params and isinstance(params[0], dict):
            params = [p.get("path") or p.get("name") for p in params]
        if not params:
            cols = list(self.points().columns)
            params = [c for c in cols if c not in ("point", "n") and c.split("_", 1)[0] not in ("p", "lo", "hi")]
        return [str(p) for p in params]

    def runs_per_point(self) -> int:
        """Replicates per point of a sweep."""
        runs = self.manifest.get("runs")
        return int(runs) if runs is not None else int(self.points()["n"].iloc[0])


def _truthy(s) -> np.ndarray:
    """A column of booleans written True/False (strings from CSV, or bool from Parquet) as a bool array."""
    if s.dtype == bool:
        return s.to_numpy()
    return s.astype(str).isin(("True", "true", "1")).to_numpy()


def _numbers(s) -> np.ndarray:
    """A numeric column with blanks as NaN."""
    import pandas as pd

    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _text(s) -> list[str]:
    """A text column with blanks (or nulls) as empty strings."""
    return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in s]


def _probability(k: int, n: int) -> dict:
    lo, hi = wilson(k, n)
    return {"p": k / n if n else float("nan"), "lo": lo, "hi": hi, "k": k, "n": n}


# --------------------------------------------------------------------------- figure helpers


def save_figure(fig: Figure, out: str | Path, record_as: tuple[Path, str] | None = None) -> Path:
    """Write a figure to ``out``; ``record_as`` (result folder, name there): its checksum is recorded before the rename."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot write a plot to {out}: the file name must end in .png, .svg or .pdf")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create {out.parent}: {e.strerror or e}") from None
    data = render(fig, suffix[1:])

    def fill(fh):
        fh.write(data)

    try:  # via a fresh temporary and a rename: never through a symlink, never a half-written plot
        if record_as is None:
            write_atomic(out, fill, mode="wb")
        else:
            write_recorded(*record_as, fill, mode="wb")
    except OSError as e:
        raise UsageError(f"cannot write {out}: {e.strerror or e}") from None
    return out


def _empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, wrap=True, color=NOTE)
    ax.set_xticks([])
    ax.set_yticks([])


def _param_label(path: str, doc: dict | None = None) -> str:
    """A parameter in words, its path beneath: "Poland's trust in Russia" over ``actors.POL.trust.RUS``."""
    words = param_words(path, doc or {})
    unit = next((u for prefix, u in _PARAM_UNITS if path.startswith(prefix)), "")
    tail = f"{path}, {unit}" if unit else path
    return f"{words}\n({tail})" if words != path else (f"{path} ({unit})" if unit else path)


def param_words(path: str, doc: dict) -> str:
    """A parameter path in plain words, with the scenario's actor names (``actors.POL.trust.RUS`` -> "Poland's trust in Russia")."""
    actors = doc.get("actors") or {}

    def name(code: str) -> str:
        a = actors.get(code)
        return str(a.get("name") or code) if isinstance(a, dict) else code

    parts = path.split(".")
    if parts[0] == "actors" and len(parts) >= 3:
        who, what, rest = name(parts[1]), parts[2], parts[3:]
        if what == "trust" and rest:
            return f"{who}'s trust in {name(rest[0])}"
        if what in ("positions", "salience", "red_lines") and rest:
            return f"{who}'s {dict(positions='position', salience='salience', red_lines='red line')[what]} on {rest[0].replace('_', ' ')}"
        return f"{who}'s {'.'.join([what, *rest]).replace('_', ' ').replace('.', ' ')}"
    if parts[0] == "us_presence" and len(parts) == 2:
        return f"US presence in {parts[1]}"
    if parts[0] in ("pact", "compliance", "talks") and len(parts) == 2:
        return f"{parts[1].replace('_', ' ')} ({parts[0]})"
    return path


def _axis_values(values) -> tuple[np.ndarray, list | None]:
    """Numeric positions for a parameter's values, and tick labels when they are not numbers."""
    import pandas as pd

    num = pd.to_numeric(pd.Series(values), errors="coerce")
    if not num.isna().any():
        return num.to_numpy(dtype=float), None
    levels = list(dict.fromkeys(str(v) for v in values))
    return np.array([levels.index(str(v)) for v in values], dtype=float), levels


def _sort_key(values: list) -> list:
    """Levels of a parameter in order: numerically if they are numbers, else as first seen."""
    try:
        return sorted(values, key=float)
    except (TypeError, ValueError):
        return list(dict.fromkeys(values))


# --------------------------------------------------------------------------- outcomes


@styled
def _fig_outcomes(run_dir: str | Path) -> Figure:
    """The outcomes figure: headline probabilities with 95% intervals, and breakdown periods."""
    res = _Result(run_dir)
    res.require("run", "outcomes")
    df = res.rows(["complete", "reached", "ratified", "in_force", "survived", "breakdown_period"])
    n = len(df)
    summary = {}
    if (res.path / "summary.json").exists():
        summary = json.loads((res.path / "summary.json").read_text()).get("probabilities", {})
    keys = ("complete", "reached", "ratified", "in_force", "survived")
    probs = [summary.get(k) or _probability(int(_truthy(df[k]).sum()), n) for k in keys]
    p = np.array([q["p"] for q in probs])
    err = np.clip(
        np.array([p - [q["lo"] for q in probs], [q["hi"] for q in probs] - p]), 0.0, None
    )  # Wilson ends can sit a rounding error inside p

    fig = figure(9.0, 3.8)
    ax, hx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.25]})
    fig.suptitle(f"{res.name}: outcomes of {n:,} replicates")
    labels = ["Agreed\nin full", "Any part\nagreed", "Ratified", "In force", "Survived to\nhorizon"]
    ax.bar(range(len(keys)), p, yerr=err, color=ACCENT, edgecolor=INK, linewidth=0.8, error_kw=ERRORBAR, label="probability")
    for i, q in enumerate(probs):
        ax.annotate(f"{q['p']:.1%}", (i, q["hi"]), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                    fontsize=SMALL)  # fmt: skip
    ax.set_xticks(range(len(keys)), labels)
    top = max(q["hi"] for q in probs)
    ymax = 1.0 if top > 0.6 else max(0.05, float(np.ceil(top * 1.25 * 20) / 20))  # small shares are not squashed
    ax.set_ylim(0, ymax * 1.1)
    percent_axis(ax.yaxis)
    ax.set_ylabel("Probability (% of replicates)" + ("" if ymax == 1.0 else f"; axis to {ymax:.0%}"))
    ax.set_title("Probability with 95% Wilson interval")

    duration, broke_mask = _durations(res)  # the time axis of the survival plot: periods since entry into force
    periods = duration[broke_mask]
    hx.set_title(f"When pacts broke ({len(periods):,} of {int(_truthy(df['in_force']).sum()):,} in force)", pad=22)
    if len(periods):
        top = int(max(res.horizon, periods.max()))
        hx.hist(
            periods,
            bins=np.arange(-0.5, top + 1.5),
            color=ACCENT,
            edgecolor=INK,
            linewidth=0.8,
            label="pacts broken",
        )
        hx.set_xlim(-0.5, top + 0.5)
        hx.xaxis.get_major_locator().set_params(integer=True)
        hx.yaxis.get_major_locator().set_params(integer=True)
        med = float(np.median(periods))
        hx.axvline(med, color=INK, linestyle="--", linewidth=1, label=f"median: {med:g} {res.period}s in force")
        hx.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)  # above the bars, off the median line
    elif not _truthy(df["in_force"]).any():
        _empty(hx, "No pact entered into force")
    else:
        _empty(hx, f"No pact broke within the horizon of {res.horizon} {res.period}s")
    hx.set_xlabel(f"{res.period.capitalize()}s since entry into force")
    hx.set_ylabel("Pacts broken (count)")
    return fig


def plot_outcomes(run_dir: str | Path, out: str | Path) -> Path:
    """Plot a run's headline probabilities and the distribution of breakdown periods.

    The left panel shows P(reached), P(ratified), P(in force) and P(survived) as bars
    with 95% Wilson intervals (from ``summary.json``); the right panel is a histogram of the
    periods (in the scenario's ``pact.period`` unit) at which pacts in force broke.

    Args:
        run_dir: A folder written by ``negsim run``.
        out: The file to write; its suffix (.png, .svg or .pdf) picks the format.

    Returns:
        The path of the file written.

    Raises:
        UsageError: ``run_dir`` is not a run's result folder, or ``out`` has an unknown suffix.

    """
    return save_figure(_fig_outcomes(run_dir), out)


# --------------------------------------------------------------------------- survival


def _durations(res: _Result) -> tuple[np.ndarray, np.ndarray]:
    """Periods in force and whether the pact broke, for every replicate whose pact entered into force."""
    df = res.rows(["in_force", "survived", "entry_period", "breakdown_period"])
    keep = _truthy(df["in_force"])
    entry = _numbers(df["entry_period"])[keep]
    end = _numbers(df["breakdown_period"])[keep]
    broke = ~_truthy(df["survived"])[keep] & ~np.isnan(end)
    entry = np.where(np.isnan(entry), 0.0, entry)
    duration = np.where(broke, end - entry, res.horizon - entry)
    return np.maximum(duration, 0.0), broke


@styled
def _fig_survival(run_dir: str | Path) -> Figure:
    """The Kaplan-Meier figure of pacts in force over compliance periods."""
    res = _Result(run_dir)
    res.require("run", "survival")
    duration, broke = _durations(res)
    n = res.replicates()
    fig = figure(6.4, 4.2)
    ax = fig.subplots()
    ax.set_title(f"{res.name}: survival of pacts in force ({n:,} replicates)")
    ax.set_xlabel(f"{res.period.capitalize()}s since entry into force")
    ax.set_ylabel("Pacts still in force (% of those that entered)")
    percent_axis(ax.yaxis)
    if not len(duration):
        _empty(ax, "No pact entered into force, so there is no survival curve")
        return fig
    t, s, lo, hi, survival_at = kaplan_meier(duration, broke)
    ax.fill_between(t, lo, hi, step="post", facecolor=ACCENT, alpha=0.2, linewidth=0, label="95% confidence band")
    ax.step(t, s, where="post", color=INK, linewidth=1.6, label="Kaplan-Meier estimate")
    cens = np.sort(duration[~broke])
    if len(cens):
        ax.plot(
            cens,
            survival_at(cens),
            linestyle="none",
            marker="|",
            markersize=14,
            markeredgewidth=2.0,
            color=ACCENT,
            label=f"censored ({len(cens):,} still in force at the horizon)",
        )
    med = float(t[np.argmax(s <= 0.5)]) if (s <= 0.5).any() else np.inf  # the first time half have broken
    note = f"{len(duration):,} pacts in force, {int(broke.sum()):,} broke"
    if np.isfinite(med):
        note += f"; median survival {med:g} {res.period}s"
    ax.set_title(f"{res.name}: survival of pacts in force ({n:,} replicates)\n{note}")
    ax.set_xlim(0, max(float(t.max()), 1.0))
    ax.set_ylim(0, 1.03)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(frameon=True, framealpha=0.9, loc="best")
    return fig


def kaplan_meier(duration: np.ndarray, broke: np.ndarray):
    """The Kaplan-Meier survival curve of right-censored durations, with its 95% band (scipy.stats.ecdf).

    Returns the step times from 0, the survival at each, the band's low and high (log-log, the
    exponential Greenwood interval; where it is undefined, at a survival of 0 or 1, the band is the
    curve itself), and a function giving the survival at any times.

    >>> t, s, lo, hi, at = kaplan_meier(np.array([1.0, 2.0, 3.0, 3.0]), np.array([True, True, False, False]))
    >>> t.tolist(), s.tolist(), at(np.array([2.5])).tolist()
    ([0.0, 1.0, 2.0, 3.0], [1.0, 0.75, 0.5, 0.5], [0.5])
    """
    import warnings

    from scipy import stats

    sf = stats.ecdf(stats.CensoredData.right_censored(duration, ~broke)).sf
    with warnings.catch_warnings():  # the band is undefined where the curve is 0 or 1: filled below
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95, method="log-log")
    s = np.r_[1.0, sf.probabilities]
    lo, hi = np.r_[1.0, ci.low.probabilities], np.r_[1.0, ci.high.probabilities]
    return np.r_[0.0, sf.quantiles], s, np.where(np.isnan(lo), s, lo), np.where(np.isnan(hi), s, hi), sf.evaluate


def plot_survival(run_dir: str | Path, out: str | Path) -> Path:
    """Plot the Kaplan-Meier survival curve of pacts in force, with its 95% confidence band.

    A pact's duration is ``breakdown_period - entry_period`` if it broke, else it is censored
    at ``horizon - entry_period``; replicates without a pact in force are left out.

    Args:
        run_dir: A folder written by ``negsim run``.
        out: The file to write; its suffix (.png, .svg or .pdf) picks the format.

    Returns:
        The path of the file written.

    Raises:
        UsageError: ``run_dir`` is not a run's result folder, or ``out``
            has an unknown suffix.

    """
    return save_figure(_fig_survival(run_dir), out)


# --------------------------------------------------------------------------- sweeps


def _check_prob(prob: str) -> str:
    if prob not in PROBS:
        raise UsageError(f"unknown probability {prob!r}: choose from {', '.join(PROBS)}")
    return prob


def _check_param(res: _Result, name: str | None, role: str, default: str | None) -> str | None:
    params = res.params()
    if name is None:
        return default
    if name not in params:
        raise UsageError(f"{role} {name!r} is not a parameter of this sweep; it sweeps {', '.join(params)}")
    return name


def _grouped(points, keys: list[str], prob: str):
    """p, lo, hi of ``prob`` per combination of ``keys``, pooling the points that share it (k/n summed)."""
    import pandas as pd

    if not points.duplicated(subset=keys).any():
        return points[[*keys, f"p_{prob}", f"lo_{prob}", f"hi_{prob}"]].rename(
            columns={f"p_{prob}": "p", f"lo_{prob}": "lo", f"hi_{prob}": "hi"}
        )
    pts = points.assign(_k=(points[f"p_{prob}"] * points["n"]).round().astype(int))
    agg = pts.groupby(keys, sort=False, dropna=False).agg(_k=("_k", "sum"), n=("n", "sum")).reset_index()
    rows = []
    for _, r in agg.iterrows():
        q = _probability(int(r["_k"]), int(r["n"]))
        rows.append({**{k: r[k] for k in keys}, "p": q["p"], "lo": q["lo"], "hi": q["hi"]})
    return pd.DataFrame(rows)


def _sweep_title(res: _Result, what: str, pooled: list[str]) -> str:
    pts = res.points()
    title = f"{res.name} sweep: {what}\n({len(pts):,} points × {res.runs_per_point():,} replicates each)"
    if pooled and res.manifest.get("design") == "grid":
        title += f", averaged over {', '.join(pooled)}"
    elif pooled:  # a Latin hypercube or a design file: every point has its own value of the others
        title += f"; {', '.join(pooled)} also vary from point to point"
    return title


@styled
def _fig_sweep_line(sweep_dir: str | Path, x: str | None = None, by: str | None = None, probs=("complete", "survived")) -> Figure:
    """The line figure of probabilities against a swept parameter."""
    res = _Result(sweep_dir)
    res.require("sweep", "line")
    params = res.params()
    probs = [_check_prob(p) for p in ([probs] if isinstance(probs, str) else probs)]
    if not probs:
        raise UsageError("the line plot needs at least one probability to show")
    x = _check_param(res, x, "x", params[0])
    points = res.points()
    default_by = next((p for p in params if p != x), None)
    if by is None and default_by is not None and points[default_by].nunique() > len(LINESTYLES):
        default_by = None  # e.g. a Latin hypercube: too many levels for lines, so pool over it
    by = _check_param(res, by, "by", default_by)
    if by == x:
        raise UsageError(f"x and by must be different parameters; both are {x!r}")
    keys = [x] + ([by] if by else [])
    pooled = [p for p in params if p not in keys]
    levels = _sort_key(list(dict.fromkeys(points[by]))) if by else [None]
    if len(levels) > len(LINESTYLES):
        raise UsageError(
            f"by {by!r} has {len(levels)} levels, too many lines to tell apart (at most {len(LINESTYLES)}); use the heatmap"
        )
    panels = probs if by else [None]
    fig = figure(4.6 * len(panels) + 0.6, 3.9)
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True, squeeze=False)[0])
    fig.suptitle(_sweep_title(res, " and ".join(PROB_LABELS[p] for p in probs) + f" against {x}", pooled))
    colours = series_colours(max(len(levels), len(probs)))
    for ax, panel in zip(axes, panels, strict=True):
        series = [(prob, None) for prob in probs] if panel is None else [(panel, level) for level in levels]
        for i, (prob, level) in enumerate(series):
            g = _grouped(points, keys, prob)
            if level is not None:
                g = g[g[by].astype(str) == str(level)]
            xs, ticks = _axis_values(g[x].tolist())
            order = np.argsort(xs, kind="stable")
            xs = xs[order]
            p, lo, hi = (g[c].to_numpy(dtype=float)[order] for c in ("p", "lo", "hi"))
            label = PROB_LABELS[prob] if level is None else f"{by} = {level}"
            _line(ax, (xs, p, lo, hi), i, len(series), colours[i], label)
            if ticks is not None:
                ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlabel(_param_label(x, res.doc))
        ax.set_ylim(0, 1.02)
        percent_axis(ax.yaxis)
        ax.grid(True)
        ax.set_title(PROB_LABELS[panel] + " with 95% interval" if panel else "Probability with 95% interval")
        ax.legend(frameon=False, loc="best")
    axes[0].set_ylabel("Probability (% of replicates)")
    return fig


def _line(ax, data, i: int, count: int, colour: str, label: str) -> None:
    """Series ``i`` of ``count`` on a line panel: its line and marker, and capped 95% intervals nudged aside so they never overlap."""
    xs, p, lo, hi = data
    span = (xs.max() - xs.min()) if len(xs) > 1 else 1.0
    dx = (i - (count - 1) / 2) * 0.012 * span
    yerr = [np.clip(p - lo, 0, None), np.clip(hi - p, 0, None)]
    ax.errorbar(xs + dx, p, yerr=yerr, fmt="none", **(ERRORBAR | {"ecolor": colour}))
    ax.plot(xs, p, color=colour, linestyle=LINESTYLES[i % len(LINESTYLES)], marker=MARKERS[i % len(MARKERS)], markersize=5,
            markerfacecolor=WHITE if i % 2 else colour, linewidth=1.5, label=label)  # fmt: skip


def plot_sweep_line(
    sweep_dir: str | Path, out: str | Path, x: str | None = None, by: str | None = None, probs=("complete", "survived")
) -> Path:
    """Plot probabilities against a swept parameter, with capped 95% intervals.

    With one parameter (or ``by`` unset and nothing else swept) each probability is one line on
    one panel. With a second parameter ``by`` there is one panel per probability and one line
    per level of ``by``. Any other swept parameter is pooled (replicates summed). Lines differ by
    line style and marker as well as colour, so the plot reads in greyscale.

    Args:
        sweep_dir: A folder written by ``negsim sweep``.
        out: The file to write; its suffix (.png, .svg or .pdf) picks the format.
        x: The parameter on the x axis (default: the sweep's first parameter).
        by: The parameter whose levels make separate lines (default: the other parameter, if any).
        probs: The probabilities to show, from complete (agreed in full), reached (any part agreed), ratified,
            in_force, survived.

    Returns:
        The path of the file written.

    Raises:
        UsageError: ``sweep_dir`` is not a sweep's result folder, or a parameter or probability
            name is unknown.

    """
    return save_figure(_fig_sweep_line(sweep_dir, x=x, by=by, probs=probs), out)


@styled
def _fig_sweep_heatmap(sweep_dir: str | Path, x: str | None = None, y: str | None = None, prob: str = "survived") -> Figure:
    """The heatmap figure of one probability over two swept parameters."""
    res = _Result(sweep_dir)
    res.require("sweep", "heatmap")
    prob = _check_prob(prob)
    params = res.params()
    if len(params) < 2:
        raise UsageError(
            f"the heatmap needs a sweep over two parameters but this one sweeps only {params[0]}; use the line plot instead"
        )
    x = _check_param(res, x, "x", params[0])
    y = _check_param(res, y, "y", next(p for p in params if p != x))
    if x == y:
        raise UsageError(f"x and y must be different parameters; both are {x!r}")
    pooled = [p for p in params if p not in (x, y)]
    g = _grouped(res.points(), [x, y], prob)
    fig = figure(6.4, 4.8)
    ax = fig.subplots()
    fig.suptitle(_sweep_title(res, f"{PROB_LABELS[prob]} over {x} and {y}", pooled))
    xl, yl = _sort_key(list(dict.fromkeys(g[x]))), _sort_key(list(dict.fromkeys(g[y])))
    grid = g.pivot_table(index=y, columns=x, values="p", aggfunc="first").reindex(index=yl, columns=xl)
    Z = grid.to_numpy(dtype=float)
    cmap = sequential()
    vals = g["p"].to_numpy(dtype=float)
    vmin, vmax = float(np.nanmin(vals)), float(np.nanmax(vals))
    if vmax - vmin < 0.02:  # a flat field: a band around it, so the colours do not exaggerate noise
        vmin, vmax = max(0.0, vmin - 0.05), min(1.0, vmax + 0.05)
    if not np.isnan(Z).any() and len(xl) * len(yl) == len(g):
        im = ax.imshow(Z, origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_xticks(
            range(len(xl)), [f"{v:.3g}" if isinstance(v, float) else str(v) for v in xl], rotation=45 if len(xl) > 6 else 0
        )
        ax.set_yticks(range(len(yl)), [f"{v:.3g}" if isinstance(v, float) else str(v) for v in yl])
        if len(xl) * len(yl) <= 150:
            for (i, j), v in np.ndenumerate(Z):
                ax.text(j, i, f"{v:.1%}", ha="center", va="center", fontsize=SMALL, color=WHITE if v < (vmin + vmax) / 2 else INK)
        if len(xl) > 1 and len(yl) > 1 and Z.min() < 0.5 < Z.max():
            ax.contour(np.arange(len(xl)), np.arange(len(yl)), Z, levels=[0.5], colors=WHITE, linewidths=2.2)
            ax.contour(np.arange(len(xl)), np.arange(len(yl)), Z, levels=[0.5], colors=INK, linewidths=1.2, linestyles="--")
    else:  # scattered design (Latin hypercube): coloured points, contour by triangulation
        xs, xt = _axis_values(g[x].tolist())
        ys, yt = _axis_values(g[y].tolist())
        p = g["p"].to_numpy(dtype=float)
        im = ax.scatter(xs, ys, c=p, cmap=cmap, vmin=vmin, vmax=vmax, s=28, edgecolors=INK, linewidths=0.4)
        if len(p) >= 3 and p.min() < 0.5 < p.max() and xt is None and yt is None:
            try:
                ax.tricontour(xs, ys, p, levels=[0.5], colors=INK, linewidths=1.2, linestyles="--")
            except (ValueError, RuntimeError):
                pass  # collinear points: no triangulation, no contour
        if xt is not None:
            ax.set_xticks(range(len(xt)), xt)
        if yt is not None:
            ax.set_yticks(range(len(yt)), yt)
    ax.set_xlabel(_param_label(x, res.doc))
    ax.set_ylabel(_param_label(y, res.doc))
    ax.spines[["top", "right"]].set_visible(True)
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(f"{PROB_LABELS[prob]} (% of replicates)\ncolours span the data: {vmin:.1%} to {vmax:.1%}")
    percent_axis(cb.ax.yaxis, decimals=1 if vmax - vmin < 0.1 else 0)
    if Z.size and np.nanmin(Z) < 0.5 < np.nanmax(Z):
        ax.set_title("Dashed line: probability 50%", fontsize=SMALL)
    return fig


def plot_sweep_heatmap(
    sweep_dir: str | Path, out: str | Path, x: str | None = None, y: str | None = None, prob: str = "survived"
) -> Path:
    """Plot a heatmap of one probability over two swept parameters, with a contour at 0.5.

    Each cell is annotated with its probability; the 0.5 contour is drawn only where the field
    crosses 0.5. A Latin hypercube design (not a grid) is shown as coloured points instead.

    Args:
        sweep_dir: A folder written by ``negsim sweep`` over at least two parameters.
        out: The file to write; its suffix (.png, .svg or .pdf) picks the format.
        x: The parameter on the x axis (default: the sweep's first parameter).
        y: The parameter on the y axis (default: the next parameter).
        prob: The probability shown: reached, ratified, in_force, survived or complete.

    Returns:
        The path of the file written.

    Raises:
        UsageError: ``sweep_dir`` is not a sweep over two or more parameters, or a name is unknown.

    """
    return save_figure(_fig_sweep_heatmap(sweep_dir, x=x, y=y, prob=prob), out)


# --------------------------------------------------------------------------- blockers


# how failed talks ended, in stacking order: (label, end_cause, walkout_cause); the last is for result
# files written before walkout_cause existed
ENDINGS = (
    ("veto (a refusal under the decision rule)", "veto", None),
    ("deadlock (the last refusal when the rounds ran out)", "deadlock", None),
    ("walk-out by a spoiler (obstructing whatever the offer)", "walkout", "spoiler"),
    ("walk-out on substance (no proposal met its terms)", "walkout", "substance"),
    ("walk-out (cause not recorded)", "walkout", ""),
)


def _ending(end_cause: str, walkout_cause: str) -> str:
    """The ENDINGS label of a failed replicate."""
    for label, end, why in ENDINGS:
        if end == end_cause and (why is None or why == walkout_cause):
            return label
    return ENDINGS[-1][0] if end_cause == "walkout" else end_cause


def _blocker_counts(res: _Result) -> dict[str, Counter]:
    """Failed talks by actor and issue (split by how they ended), breakdowns by actor, cause and (actor, cause).

    Counted as in negsim.montecarlo.stats: a failed replicate counts for its ``veto_actor`` and ``veto_issue``
    (a walk-out's are the state that walked out and the issue of the last refusal).
    """
    cols = ["end_cause", "veto_actor", "veto_issue", "walkout_cause", "in_force", "survived", "ratification_failed_actor"]
    df = res.rows([*cols, "breakdown_period", "breakdown_cause", "breakdown_actor"])
    names = (
        "veto_actor", "veto_issue", "actor_ending", "issue_ending", "breakdown_actor", "breakdown_cause", "actor_cause",
        "ratification_failed",
    )  # fmt: skip
    c = {k: Counter() for k in names}
    ends, why = _text(df["end_cause"]), _text(df["walkout_cause"])
    broke = _truthy(df["in_force"]) & ~_truthy(df["survived"]) & ~np.isnan(_numbers(df["breakdown_period"]))
    va, vi = _text(df["veto_actor"]), _text(df["veto_issue"])
    ba, bc = _text(df["breakdown_actor"]), _text(df["breakdown_cause"])
    for i in (i for i, e in enumerate(ends) if e != "agreement"):
        ending = _ending(ends[i], why[i])
        if va[i]:
            c["veto_actor"][va[i]] += 1
            c["actor_ending"][(va[i], ending)] += 1
        if vi[i]:
            c["veto_issue"][vi[i]] += 1
            c["issue_ending"][(vi[i], ending)] += 1
    for i in np.flatnonzero(broke):
        who = ba[i] or "(none)"
        if bc[i] == "incident" and "-" in who:  # an incident is between two states: say so, not "BLR-POL"
            who = f"{who.replace('-', ' and ')} (incident)"
        c["breakdown_actor"][who] += 1
        c["breakdown_cause"][bc[i] or "(none)"] += 1
        c["actor_cause"][(who, bc[i] or "(none)")] += 1
    c["ratification_failed"].update(a for a in _text(df["ratification_failed_actor"]) if a)
    c["replicates"] = len(df)
    return c


def _hbars(ax, counts: Counter, title: str, xlabel: str, empty: str) -> None:
    top = counts.most_common(TOP)
    ax.set_title(title)
    if not top:
        _empty(ax, empty)
        return
    labels = [str(k) for k, _ in top][::-1]
    values = [v for _, v in top][::-1]
    ax.barh(labels, values, height=0.7, color=ACCENT, edgecolor=INK, linewidth=0.7)
    _finish_hbars(ax, values, xlabel)


def _finish_hbars(ax, totals, xlabel: str) -> None:
    """Label each bar with its total, keep at least five bar slots, integer ticks."""
    for i, v in enumerate(totals):
        ax.annotate(f"{int(v):,}", (v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=SMALL)
    ax.set_ylim(len(totals) - max(len(totals), 5) - 0.6, len(totals) - 0.4)
    ax.set_xlabel(xlabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.margins(x=0.15)


def _stacked_hbars(ax, totals: Counter, split: Counter, parts: list[str], text: dict) -> None:
    """The top bars of ``totals``, each stacked by ``parts`` from ``split[(key, part)]`` (hatch per part).

    ``text`` holds the panel's ``title``, ``xlabel``, ``empty`` message and ``legend`` title.
    """
    ax.set_title(text["title"])
    keys = [k for k, _ in totals.most_common(TOP)][::-1]
    if not keys:
        _empty(ax, text["empty"])
        return
    left = np.zeros(len(keys))
    for j, part in enumerate(parts):
        vals = np.array([split[(k, part)] for k in keys], dtype=float)
        if not vals.any():
            continue
        ax.barh(keys, vals, left=left, color=FILLS[j % len(FILLS)], edgecolor=INK, linewidth=0.7,
                hatch=HATCHES[j % len(HATCHES)], height=0.7, label=part.replace("_", " "))  # fmt: skip
        left += vals
    _finish_hbars(ax, left, text["xlabel"])
    if text.get("legend"):
        ax.legend(frameon=False, loc="best", title=text["legend"])


@styled
def _fig_blockers(result_dir: str | Path) -> Figure:
    """The blockers figure: failed talks by actor and issue (vetoes, deadlocks and walk-outs apart), breakdowns by actor and cause."""
    res = _Result(result_dir)
    c = _blocker_counts(res)
    n = c["replicates"]
    fig = figure(11.0, 7.6)
    (a1, a2), (a3, a4) = fig.subplots(2, 2)
    if res.kind == "run":
        fig.suptitle(f"{res.name}: who blocks ({n:,} replicates)")
    else:
        fig.suptitle(f"{res.name} sweep: who blocks ({n:,} replicates, all {len(res.points()):,} points pooled)")
    endings = [label for label, _, _ in ENDINGS]
    endings += sorted({e for _, e in c["actor_ending"] if e not in endings})
    failed = {"xlabel": "Failed talks (count of replicates)", "empty": "No talks failed"}
    _stacked_hbars(
        a1,
        c["veto_actor"],
        c["actor_ending"],
        endings,
        failed | {"title": f"Failed talks by actor and how they ended (top {TOP})"},
    )
    _stacked_hbars(a2, c["veto_issue"], c["issue_ending"], endings,
                   failed | {"title": f"Failed talks by issue of the last refusal (top {TOP})"})  # fmt: skip
    handles = {h.get_label(): h for ax in (a1, a2) for h in ax.containers}
    if handles:  # one legend for both panels, under the figure
        shown = [e for e in endings if e in handles]
        fig.legend(
            [handles[e] for e in shown],
            shown,
            loc="outside lower center",
            ncols=2,
            frameon=False,
            title="How the failed talks ended (top panels)",
        )
    causes = [k for k, _ in c["breakdown_cause"].most_common()]
    broken = {"xlabel": "Pacts broken (count)", "empty": "No pact in force broke", "legend": "cause"}
    _stacked_hbars(
        a3, c["breakdown_actor"], c["actor_cause"], causes, broken | {"title": f"Breakdowns by actor and cause (top {TOP})"}
    )
    _hbars(a4, c["ratification_failed"], f"Ratification failed in (top {TOP})", "Agreed pacts not ratified (count)",
           "No legislature refused a signed pact")  # fmt: skip
    return fig


def plot_blockers(result_dir: str | Path, out: str | Path) -> Path:
    """Plot who blocks: failed talks by actor and by issue, breakdowns by actor and cause, failed ratifications by state.

    Failed talks are the replicates whose talks did not end in agreement, counted for the state
    of their ``veto_actor`` (a walk-out's is the state that walked out) and the issue of the last
    refusal; each bar is split by how the talks ended: a veto (a refusal under the decision
    rule), a deadlock, or a walk-out by a spoiler or on substance (``walkout_cause``).
    Breakdowns are counted over pacts in force that did not survive (as in ``summary.json``);
    a failed ratification counts for the state whose legislature refused a signed pact
    (``ratification_failed_actor``). Each panel shows the top 10. For a sweep, the rows of every point are pooled.

    Args:
        result_dir: A folder written by ``negsim run`` or ``negsim sweep``.
        out: The file to write; its suffix (.png, .svg or .pdf) picks the format.

    Returns:
        The path of the file written.

    Raises:
        UsageError: ``result_dir`` is not a result folder, or ``out`` has an unknown suffix.

    """
    return save_figure(_fig_blockers(result_dir), out)


# --------------------------------------------------------------------------- dispatch


def default_kinds(result_dir: str | Path) -> list[str]:
    """The plots made when no kind is given: a run's outcomes, survival and blockers; a sweep's line or heatmap and blockers.

    Args:
        result_dir: A run's or a sweep's result folder.

    Returns:
        The plot kinds, in the order they are drawn.

    """
    res = _Result(result_dir)
    if res.kind == "run":
        return ["outcomes", "survival", "blockers"]
    if (method := _sensitivity_method(res.path)) is not None:
        return [method]
    return ["line" if len(res.params()) == 1 else "heatmap", "blockers"]


def _sensitivity_method(path: Path) -> str | None:
    """``morris`` or ``sobol`` for a finished sensitivity folder, else None."""
    try:
        return json.loads((Path(path) / "sensitivity.json").read_text())["method"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _fig_sensitivity(path: Path, kind: str) -> Figure:
    from negsim.montecarlo.sensitivity import read
    from negsim.report.sensitivity_plots import fig_morris, fig_sobol

    if _sensitivity_method(path) != kind:
        raise UsageError(
            f"{path}: --kind {kind} needs a finished {kind} sensitivity analysis (negsim sensitivity --method {kind})"
        )
    meta, rows = read(path)
    return fig_morris(meta, rows) if kind == "morris" else fig_sobol(meta, rows)


@releases_locks
def plot(
    result_dir: str | Path,
    kind: str | None = None,
    out: str | Path | None = None,
    formats=None,
    x: str | None = None,
    y: str | None = None,
    by: str | None = None,
    probs=("complete", "survived"),
    prob: str = "survived",
) -> list[Path]:
    """Draw the plots of a run or sweep result folder.

    Args:
        result_dir: A folder written by ``negsim run`` or ``negsim sweep``.
        kind: outcomes, survival, line, heatmap, blockers or all. By default a run gets
            outcomes, survival and blockers; a sweep gets line (one parameter) or heatmap (two
            or more) and blockers. ``all`` draws every plot that fits the result.
        out: A file (``.png``, ``.svg`` or ``.pdf``; only for one plot) or a folder to write
            into. Default: ``result_dir/plots/``.
        formats: The formats written into a folder, e.g. ``("png", "pdf")`` (default png).
        x: The swept parameter on the x axis (line, heatmap).
        y: The swept parameter on the y axis (heatmap).
        by: The swept parameter whose levels make separate lines (line).
        probs: The probabilities of the line plot.
        prob: The probability of the heatmap.

    Returns:
        The files written, in order.

    Raises:
        UsageError: The folder is not a result, the kind does not fit it, or a name is unknown.

    """
    res = _Result(result_dir)
    kinds = _kinds(res, kind)
    targets = _targets(Path(out) if out is not None else res.path / "plots", kinds, formats)
    inside = _inside(res.path, [f for files in targets for f in files])
    names = {}
    if inside:  # plots written into the result folder are recorded in its manifest, and never replace a file of yours
        lock(res.path)
        h = holdings(res.path)
        refuse_in_the_way(res.path, in_the_way(res.path, inside, h), h, force=False)
        names = dict(zip([f for files in targets for f in files], inside, strict=True))
    written = []
    for k, files in zip(kinds, targets, strict=True):
        fig = figure_for(res.path, k, x=x, y=y, by=by, probs=probs, prob=prob)
        for f in files:
            written.append(save_figure(fig, f, (res.path, names[f]) if f in names else None))
    return written


def _kinds(res, kind: str | None) -> list[str]:
    """The plots to draw for a result: the kind asked for, every one that fits (``all``), or the default."""
    if kind is not None and kind not in KINDS:
        raise UsageError(f"unknown plot kind {kind!r}: choose from {', '.join(KINDS)}")
    if kind is None:
        return default_kinds(res.path)
    if kind == "all":
        if res.kind == "run":
            return ["outcomes", "survival", "blockers"]
        if (method := _sensitivity_method(res.path)) is not None:
            return [method, "line", *(["heatmap"] if len(res.params()) >= 2 else [])]
        return ["line", *(["heatmap"] if len(res.params()) >= 2 else []), "blockers"]
    return [kind]


def _targets(out: Path, kinds: list[str], formats) -> list[list[Path]]:
    """The files each plot goes to: one file (``out`` with a plot suffix), or one per format in the folder ``out``."""
    if out.suffix.lower() in FORMATS:
        if len(kinds) > 1:
            raise UsageError(f"{len(kinds)} plots cannot go into one file {out}; give a folder, or one --kind")
        wanted = {"." + str(f).lower().lstrip(".") for f in ([formats] if isinstance(formats, str) else formats or ())}
        if wanted and wanted != {out.suffix.lower()}:
            raise UsageError(f"--out {out} is a {out.suffix} file but --format asks for {', '.join(sorted(wanted))}; "
                             "give a folder for several formats, or a file name with the format's suffix")  # fmt: skip
        return [[out]]
    if out.suffix:
        raise UsageError(f"cannot write a plot to {out}: the file name must end in .png, .svg or .pdf")
    suffixes = []
    for f in [formats] if isinstance(formats, str) else (formats if formats is not None else ("png",)):
        s = "." + str(f).lower().lstrip(".")
        if s not in FORMATS:
            raise UsageError(f"unknown plot format {f!r}: choose from png, svg, pdf")
        suffixes.append(s)
    if not suffixes:
        raise UsageError("no plot format given: choose from png, svg, pdf")
    return [[out / f"{k}{s}" for s in dict.fromkeys(suffixes)] for k in kinds]


def _inside(folder: Path, files: list[Path]) -> list[str]:
    """The files' names relative to a result folder when they all go into it or its plots/ folder, else none."""
    base = folder.resolve()
    names = []
    for f in files:
        parent = f.parent.resolve() if f.parent.exists() else f.parent.absolute()
        if parent == base:
            names.append(f.name)
        elif parent == base / "plots" or (
            f.parent.is_symlink() and f.parent.name == "plots" and f.parent.parent.resolve() == base
        ):
            names.append(f"plots/{f.name}")
        else:
            return []
    return names


def figure_for(
    result_dir: str | Path,
    kind: str,
    x: str | None = None,
    y: str | None = None,
    by: str | None = None,
    probs=("complete", "survived"),
    prob: str = "survived",
) -> Figure:
    """One plot of a run, sweep or sensitivity folder as a matplotlib Figure (what ``negsim plot --kind KIND`` draws)."""
    path = Path(result_dir)
    draw = {
        "outcomes": lambda: _fig_outcomes(path),
        "survival": lambda: _fig_survival(path),
        "line": lambda: _fig_sweep_line(path, x=x, by=by, probs=probs),
        "heatmap": lambda: _fig_sweep_heatmap(path, x=x, y=y, prob=prob),
        "blockers": lambda: _fig_blockers(path),
        "morris": lambda: _fig_sensitivity(path, "morris"),
        "sobol": lambda: _fig_sensitivity(path, "sobol"),
    }
    if kind not in draw:
        raise UsageError(f"unknown plot kind {kind!r}: choose from {', '.join(draw)}")
    return draw[kind]()


def plot_compare(comparison: dict, out: str | Path, record_in: Path | None = None) -> Path:
    """Paired differences B - A of each probability with 95% intervals (from ``negsim compare``).

    ``record_in``: the result folder whose manifest records the plot's checksum before its rename.
    """
    out = Path(out)
    return save_figure(fig_compare(comparison), out, (record_in, out.name) if record_in is not None else None)


@styled
def fig_compare(comparison: dict) -> Figure:
    """The comparison figure in the house style: B - A in percentage points with the paired 95% interval, A and B beside."""
    diffs = comparison["differences"]
    keys = [k for k in ("complete", "reached", "ratified", "in_force", "survived") if k in diffs]
    labels = {"complete": "Agreed in full", "reached": "Any part agreed", "ratified": "Ratified", "in_force": "In force",
              "survived": "Survived to horizon"}  # fmt: skip
    d = 100 * np.array([diffs[k]["diff"] for k in keys])
    lo, hi = 100 * np.array([diffs[k]["lo"] for k in keys]), 100 * np.array([diffs[k]["hi"] for k in keys])
    err = np.clip(np.array([d - lo, hi - d]), 0.0, None)
    fig = figure(7.2, 3.2)
    ax = fig.subplots()
    y = np.arange(len(keys))[::-1]
    ax.barh(y, d, xerr=err, color=ACCENT, edgecolor=INK, linewidth=0.8, error_kw=ERRORBAR)
    ax.axvline(0, color=INK, linewidth=0.8)
    ax.set_yticks(y, [f"{labels[k]}\nA {diffs[k]['a']:.1%}, B {diffs[k]['b']:.1%}" for k in keys])
    ax.set_xlabel("B - A (percentage points; paired 95% interval)")
    b = Path(str(comparison["b"])).stem + (" + " + " ".join(comparison["overrides_b"]) if comparison.get("overrides_b") else "")
    ax.set_title(
        f"{Path(str(comparison['a'])).stem} (A) vs {b} (B): {comparison['runs']:,} paired replicates, seed {comparison['seed']}"
    )
    return fig
