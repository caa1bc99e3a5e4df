"""Plots of a sensitivity analysis and of scenario discovery, in the house style of :mod:`negsim.report.style`.

- ``morris``: per outcome, mu* (with its 95% interval) against sigma for every parameter; the
  largest effects in the accent, the others and the dummy muted; a dashed line marks the noise floor.
- ``sobol``: per outcome, tornado bars of the total index ST with its 95% interval, S1 inside.
- ``prim``: the peeling trade-off (coverage against density, coloured by how many parameters the
  box restricts, the chosen box ringed in ink) and the chosen box over the points of its two most
  restricted parameters.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.patches
import numpy as np

from negsim.errors import UsageError
from negsim.montecarlo.sensitivity import LABELS, NOISE
from negsim.report.plots import save_figure
from negsim.report.style import ACCENT, ERRORBAR, FAINT, INK, MUTED, NOTE, SMALL, WHITE, figure, percent_axis, sequential, styled

LABELLED = 4  # parameters named per Morris panel (the largest mu*)


def _by_outcome(rows: list[dict], index: str) -> dict[str, list[dict]]:
    """The parameters' rows of one index per outcome (the noise floor's row apart: :func:`_floor`)."""
    out: dict[str, list[dict]] = {}
    for r in rows:
        if r["index"] == index and r["parameter"] != NOISE:
            out.setdefault(r["outcome"], []).append(r)
    return out


def _floor(rows: list[dict], outcome: str, index: str) -> float:
    """The noise floor of an outcome's index (0 if the folder predates it)."""
    return next(
        (float(r["estimate"]) for r in rows if r["parameter"] == NOISE and r["outcome"] == outcome and r["index"] == index), 0.0
    )


def _panels(n: int, width: float, height: float):
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = figure(width * cols, height * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes


@styled
def fig_morris(meta: dict, rows: list[dict]):
    """mu* against sigma per outcome, mu*'s 95% interval as a horizontal bar."""
    groups = _by_outcome(rows, "mu_star")
    if not groups:
        raise UsageError("no outcome varied at any point: there are no Morris indices to plot")
    fig, axes = _panels(len(groups), 3.6, 3.2)
    fig.suptitle(f"Morris screening: {meta['points']:,} points x {meta['runs']:,} replicates (seed {meta['seed']})")
    for ax, (outcome, rs) in zip(axes, groups.items(), strict=False):
        rs = sorted(rs, key=lambda r: -float(r["estimate"]))
        named = [r for r in rs if r["parameter"] != "dummy"][:LABELLED]
        for r in rs:
            mu, lo, hi, sd = (float(r[k]) for k in ("estimate", "lo", "hi", "sigma"))
            shown = r in named
            colour = ACCENT if shown else MUTED
            ax.errorbar(mu, sd, xerr=[[mu - max(lo, 0)], [hi - mu]], fmt="o", color=colour, ms=4 if shown else 3,
                        **(ERRORBAR | {"ecolor": colour}))  # fmt: skip
        for rank, r in enumerate(named, start=1):  # the largest effects, numbered at the point and named in a key
            ax.annotate(str(rank), (float(r["estimate"]), float(r["sigma"])), xytext=(3, 3), textcoords="offset points",
                        fontsize=SMALL, color=ACCENT, fontweight="bold")  # fmt: skip
        key = [f"{rank}  {r['parameter']}" for rank, r in enumerate(named, start=1)]
        key.append(f"grey: {len(rs) - len(named) - 1} more; the dummy")
        ax.text(0.98, 0.03, "\n".join(key), transform=ax.transAxes, ha="right", va="bottom", fontsize=SMALL, color=NOTE,
                bbox={"boxstyle": "round,pad=0.3", "fc": WHITE, "ec": FAINT, "lw": 0.6})  # fmt: skip
        floor = _floor(rows, outcome, "mu_star")
        ax.axvline(floor, color=MUTED, ls="--", lw=0.8)
        ax.text(floor, 0.99, " noise floor", transform=ax.get_xaxis_transform(), fontsize=SMALL, color=MUTED, va="top")
        ax.set_title(LABELS.get(outcome, outcome))
        ax.set_xlabel("mu* (mean absolute elementary effect; 95% interval)")
        ax.set_ylabel("sigma (spread of the elementary effects)")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
    return fig


@styled
def fig_sobol(meta: dict, rows: list[dict]):
    """Tornado bars of ST with its 95% interval per outcome; S1 drawn inside each bar."""
    groups = _by_outcome(rows, "ST")
    s1 = {(r["outcome"], r["parameter"]): float(r["estimate"]) for r in rows if r["index"] == "S1"}
    if not groups:
        raise UsageError("no outcome varied at any point: there are no Sobol indices to plot")
    fig, axes = _panels(len(groups), 3.8, 0.5 + 0.32 * max(len(v) for v in groups.values()))
    fig.suptitle(f"Sobol indices: {meta['points']:,} points x {meta['runs']:,} replicates (seed {meta['seed']})")
    for ax, (outcome, rs) in zip(axes, groups.items(), strict=False):
        rs = sorted(rs, key=lambda r: float(r["estimate"]))
        y = np.arange(len(rs))
        st = np.array([float(r["estimate"]) for r in rs])
        lo = np.array([float(r["lo"]) for r in rs])
        hi = np.array([float(r["hi"]) for r in rs])
        colours = [MUTED if r["parameter"] == "dummy" else ACCENT for r in rs]
        ax.barh(y, st, color=colours, alpha=0.45, label="total (ST)")
        ax.barh(y, [s1[(outcome, r["parameter"])] for r in rs], height=0.35, color=colours, label="first order (S1)")
        ax.errorbar(st, y, xerr=[st - lo, hi - st], fmt="none", **ERRORBAR)
        ax.set_yticks(y, [r["parameter"] for r in rs])
        ax.set_title(LABELS.get(outcome, outcome))
        ax.set_xlabel("Share of the variance (95% interval of ST)")
        ax.axvline(0, color=INK, lw=0.6)
        ax.axvline(_floor(rows, outcome, "ST"), color=MUTED, ls="--", lw=0.8, label="noise floor")
    axes[0].legend(loc="lower right", frameon=False)
    return fig


@styled
def fig_prim(res):
    """The peeling trade-off and the chosen box over the points of its two most restricted parameters."""
    fig = figure(8.4, 3.6)
    left, right = fig.subplots(1, 2)
    cov = [t["coverage"] for t in res.tradeoff]
    den = [t["density"] for t in res.tradeoff]
    dims = [t["restricted"] for t in res.tradeoff]
    left.plot(cov, den, color=FAINT, lw=0.8, zorder=1)
    sc = left.scatter(cov, den, c=dims, cmap=sequential(max(dims) + 1), s=14, zorder=2, vmin=-0.5, vmax=max(dims) + 0.5)
    c = res.tradeoff[res.chosen]
    left.scatter([c["coverage"]], [c["density"]], s=90, facecolors="none", edgecolors=INK, lw=1.4, label="chosen box")
    left.set_xlabel("Coverage (% of the points of interest in the box)")
    left.set_ylabel("Density (% of the box's points of interest)")
    percent_axis(left.xaxis)
    percent_axis(left.yaxis)
    left.set_title("PRIM peeling trade-off")
    left.legend(loc="lower left", frameon=False)
    fig.colorbar(sc, ax=left, label="Parameters restricted (count)", ticks=range(max(dims) + 1))
    box = sorted(res.box, key=lambda b: (b["high"] - b["low"]) / max(b["full_high"] - b["full_low"], 1e-12))
    px = box[0]
    py = box[1] if len(box) > 1 else None
    xs = np.array([p[px["parameter"]] for p in res.x])
    ys = np.array([p[py["parameter"]] for p in res.x]) if py else np.array(res.y)
    hit = np.array([v >= res.threshold for v in res.y])
    right.scatter(xs[hit], ys[hit], s=16, color=ACCENT, alpha=0.6, label=f"P >= {res.threshold:g}")
    right.scatter(xs[~hit], ys[~hit], s=22, facecolors="none", edgecolors=NOTE, lw=0.8, label=f"P < {res.threshold:g}")
    ylo, yhi = (py["low"], py["high"]) if py else (res.threshold, 1.0)
    rect = matplotlib.patches.Rectangle((px["low"], ylo), px["high"] - px["low"], yhi - ylo, fill=False, ec=INK, lw=1.4, ls="--")
    right.add_patch(rect)
    right.set_xlabel(px["parameter"])
    right.set_ylabel(py["parameter"] if py else res.outcome)
    right.set_title(f"Chosen box: coverage {c['coverage']:.0%}, density {c['density']:.0%}")
    right.legend(loc="best", frameon=False)
    return fig


def plot_prim(res, out: str | Path | None = None) -> list[Path]:
    """The PRIM figure of a :func:`negsim.api.discover` result (default: RESULT/plots/prim.png)."""
    if res.chosen is None:
        raise UsageError("there is no box to plot: " + res.text)
    if out is not None:
        return [save_figure(fig_prim(res), Path(out))]
    return [save_figure(fig_prim(res), res.out_dir / "plots" / "prim.png", (res.out_dir, "plots/prim.png"))]
