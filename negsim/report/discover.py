"""Scenario discovery with PRIM: the ranges of the swept parameters in which an outcome is likely.

Over the points of a finished sweep or sensitivity analysis, a point is *of interest* when its
probability of the outcome reaches the threshold (``P(survives) >= 0.5``). PRIM (the Patient Rule
Induction Method: Friedman & Fisher 1999; Bryant & Lempert 2010 for scenario discovery), as the
EMA Workbench implements it (Kwakkel 2017), peels the box of parameter ranges step by step towards
those points; each step trades **coverage** (the share of the points of interest inside the box)
for **density** (the share of the box's points that are of interest). The box reported is the one
with the largest coverage whose density is at least ``density`` (else the densest), and its
limits are said in words, with only the parameters the box restricts.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from negsim.errors import UsageError
from negsim.montecarlo.folder import write_recorded
from negsim.montecarlo.sweep import PRIM_FILES
from negsim.report.backtest import OUTCOME_NAMES

TRADEOFF_FIELDS = ("step", "coverage", "density", "mass", "restricted")
BOX_FIELDS = ("parameter", "low", "high", "full_low", "full_high", "restricted")


@dataclass
class DiscoverResult:
    """A PRIM run: the points, the peeling trade-off, the chosen box, and the answer in words."""

    out_dir: Path
    outcome: str
    threshold: float
    params: list[str]
    x: list[dict]  # each point's parameter values
    y: list[float]  # each point's probability of the outcome
    tradeoff: list[dict] = field(default_factory=list)  # per peeling step: coverage, density, mass, restricted
    box: list[dict] = field(default_factory=list)  # per parameter: the chosen box's limits and the full range
    chosen: int | None = None  # the chosen step
    text: str = ""


def read_points(out: Path, outcome: str) -> tuple[list[str], list[dict], list[float]]:
    """The swept parameters, each point's values and its P(outcome), from a finished sweep's manifest and points.csv."""
    try:
        man = json.loads((out / "manifest.json").read_text())
        with open(out / "points.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, ValueError):
        raise UsageError(f"{out}: not a finished sweep or sensitivity folder (no manifest.json and points.csv)") from None
    if man.get("kind") != "sweep" or not man.get("complete"):
        raise UsageError(f"{out}: not a finished sweep or sensitivity result (finish it with --resume --out {out})")
    params = list(man["params"])
    numeric = []
    for p in params:
        try:
            [float(r[p]) for r in rows]
            numeric.append(p)
        except (ValueError, KeyError):
            continue
    if not numeric:
        raise UsageError(f"{out}: PRIM needs numeric parameters; this sweep has none ({', '.join(params)})")
    x = [{p: float(r[p]) for p in numeric} for r in rows]
    y = [float(r[f"p_{outcome}"]) for r in rows]
    return numeric, x, y


def discover(result: str | Path, outcome: str = "survived", threshold: float = 0.5, density: float = 0.8) -> DiscoverResult:
    """PRIM over a finished sweep's points; writes prim.csv and prim_box.csv into it."""
    if outcome not in OUTCOME_NAMES:
        raise UsageError(f"--outcome must be one of {', '.join(OUTCOME_NAMES)}, not {outcome!r}")
    if not 0 < threshold <= 1 or not 0 < density <= 1:
        raise UsageError("--threshold and --density must be in (0, 1]")
    out = Path(result)
    if importlib.util.find_spec("ema_workbench") is None:
        raise UsageError("negsim discover needs the EMA Workbench's PRIM: pip install 'negsim[analysis]'") from None
    params, x, y = read_points(out, outcome)
    res = DiscoverResult(out, outcome, threshold, params, x, y)
    hits = sum(v >= threshold for v in y)
    name = f"{OUTCOME_NAMES[outcome]} >= {threshold:g}"
    if len(y) < 10:
        raise UsageError(f"{out}: PRIM needs at least 10 points, this result has {len(y)}")
    if hits == 0 or hits == len(y):
        where = "no point" if hits == 0 else "every point"
        res.text = f"{name} at {where} of the {len(y)} ({', '.join(params)}): there is no box to find."
        return res
    _peel(res, density)
    res.text = describe(res, hits)
    _write(res)
    return res


def _peel(res: DiscoverResult, density: float) -> None:
    """Run PRIM and keep its trade-off and the chosen box (largest coverage at the least density, else the densest)."""
    import numpy as np
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the workbench warns about optional parallel back-ends it does not need here
        logging.getLogger("EMA").setLevel(logging.WARNING)
        from ema_workbench.analysis import prim

        frame = pd.DataFrame(res.x, columns=res.params)
        interest = np.array([v >= res.threshold for v in res.y])
        try:  # the workbench 2.x takes a threshold that both counts the points of interest (y >= it) and, if the
            # final box's density falls short of it, swaps the box for a one-step "dump box": a tiny positive value
            # counts exactly the points of interest and never dumps; the box is chosen below. 3.x takes none.
            p = prim.Prim(frame, interest, threshold=1e-9, peel_alpha=0.05)
        except TypeError:
            p = prim.Prim(frame, interest, peel_alpha=0.05)
        box = p.find_box()
    if box is None:
        raise UsageError("PRIM found no box (too few points of interest to peel towards); run more points")
    traj = box.peeling_trajectory
    ok = [i for i in range(len(traj)) if traj["density"].iloc[i] >= density]
    chosen = max(ok, key=lambda i: (traj["coverage"].iloc[i], traj["density"].iloc[i])) if ok else int(traj["density"].argmax())
    res.tradeoff = [
        {
            "step": i,
            "coverage": float(traj["coverage"].iloc[i]),
            "density": float(traj["density"].iloc[i]),
            "mass": float(traj["mass"].iloc[i]),
            "restricted": int(traj["res_dim"].iloc[i]),
        }  # fmt: skip
        for i in range(len(traj))
    ]
    res.chosen = chosen
    lims, init = box.box_lims[chosen], p.box_init
    for q in res.params:
        lo, hi, flo, fhi = float(lims[q].iloc[0]), float(lims[q].iloc[1]), float(init[q].iloc[0]), float(init[q].iloc[1])
        res.box.append({"parameter": q, "low": lo, "high": hi, "full_low": flo, "full_high": fhi,
                        "restricted": bool(lo > flo or hi < fhi)})  # fmt: skip
    _drop_idle(res, frame.to_numpy(float), interest)


def _drop_idle(res: DiscoverResult, x, interest) -> None:
    """Lift each restriction whose removal keeps the box's density within 1 point (PRIM peels idle parameters too).

    PRIM peels a parameter whenever that costs no coverage, so an inert parameter can end up
    restricted; a restriction is kept only if lifting it would lower the box's density by more
    than 0.01 (tried from the least restrictive up). The chosen step's coverage and density are
    then those of the simplified box.
    """
    import numpy as np

    def inside(box):
        ok = np.ones(len(x), bool)
        for j, b in enumerate(box):
            ok &= (x[:, j] >= b["low"]) & (x[:, j] <= b["high"])
        return ok

    def density(ok):
        return interest[ok].mean() if ok.any() else 0.0

    base = density(inside(res.box))
    order = sorted(
        (j for j, b in enumerate(res.box) if b["restricted"]),
        key=lambda j: -(res.box[j]["high"] - res.box[j]["low"]) / max(res.box[j]["full_high"] - res.box[j]["full_low"], 1e-12),
    )
    for j in order:
        trial = [dict(b) for b in res.box]
        trial[j].update(low=trial[j]["full_low"], high=trial[j]["full_high"], restricted=False)
        if density(inside(trial)) >= base - 0.01:
            res.box = trial
    ok = inside(res.box)
    step = res.tradeoff[res.chosen]
    step.update(coverage=float(interest[ok].sum() / interest.sum()), density=float(density(ok)), mass=float(ok.mean()),
                restricted=sum(b["restricted"] for b in res.box))  # fmt: skip


def _limit(b: dict) -> str:
    """One restricted parameter in words: ``X >= a``, ``X <= b`` or ``a <= X <= b``."""
    lo, hi = b["low"] > b["full_low"], b["high"] < b["full_high"]
    if lo and hi:
        return f"{b['low']:.3g} <= {b['parameter']} <= {b['high']:.3g}"
    return f"{b['parameter']} >= {b['low']:.3g}" if lo else f"{b['parameter']} <= {b['high']:.3g}"


def describe(res: DiscoverResult, hits: int) -> str:
    """The box in words, its coverage and density, and the peeling trade-off (a few steps)."""
    name = f"{OUTCOME_NAMES[res.outcome]} >= {res.threshold:g}"
    step = res.tradeoff[res.chosen]
    limits = [_limit(b) for b in res.box if b["restricted"]]
    where = " and ".join(limits) if limits else "anywhere in the swept ranges"
    n_in = round(step["mass"] * len(res.y))
    lines = [
        f"{name} at {hits} of {len(res.y)} points ({hits / len(res.y):.0%}).",
        f"{name} when {where}: coverage {step['coverage']:.0%}, density {step['density']:.0%} "
        f"({n_in} of the {len(res.y)} points are in the box; PRIM step {res.chosen}).",
        "",
        "Peeling trade-off (each step narrows the box: coverage falls, density rises):",
        f"  {'step':>4}  {'coverage':>8}  {'density':>7}  {'mass':>5}  restricted",
    ]
    shown = sorted({0, res.chosen, len(res.tradeoff) - 1, *range(0, len(res.tradeoff), max(len(res.tradeoff) // 8, 1))})
    for i in shown:
        t = res.tradeoff[i]
        mark = "  <- chosen" if i == res.chosen else ""
        lines.append(f"  {i:>4}  {t['coverage']:>8.0%}  {t['density']:>7.0%}  {t['mass']:>5.0%}  {t['restricted']}{mark}")
    lines.append(f"\nWritten: {res.out_dir / 'prim.csv'}, {res.out_dir / 'prim_box.csv'}")
    return "\n".join(lines)


def _write(res: DiscoverResult) -> None:
    """prim.csv (the trade-off) and prim_box.csv (the chosen box), atomically."""

    def table(fields, rows) -> str:
        return ",".join(fields) + "\n" + "".join(",".join(str(r[f]) for f in fields) + "\n" for r in rows)

    try:
        for name, text in zip(PRIM_FILES, (table(TRADEOFF_FIELDS, res.tradeoff), table(BOX_FIELDS, res.box)), strict=True):
            write_recorded(res.out_dir, name, lambda fh, text=text: fh.write(text))  # listed in the manifest: --force knows them
    except OSError as e:
        raise UsageError(f"cannot write to {res.out_dir}: {e.strerror or e}") from None
