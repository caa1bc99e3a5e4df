"""Global sensitivity analysis: which parameters drive each headline probability (SALib designs and indices).

A sensitivity run is a sweep over a design that SALib makes, on common random numbers (every
point runs the same replicate seeds, and each parameter draws from its own stream), so it is
resumable and runs on the sweep's executors (local processes, Dask). Per point it measures the
headline probabilities and the mean number of periods the pact was in force; SALib's estimators
then give, per outcome:

- ``morris`` (Morris 1991; Campolongo et al. 2007): elementary effects over ``samples``
  trajectories of ``num_levels = 4`` levels, ``mu*`` (mean absolute effect) with its bootstrap
  95% interval and ``sigma`` (its spread: interaction or non-linearity). For many parameters.
- ``sobol`` (Saltelli 2002, 2010): first-order ``S1`` and total ``ST`` indices with bootstrap
  95% intervals, from ``samples * (D + 2)`` points (no second-order indices). For few.

A **dummy** parameter (``dummy``, uniform on [0, 1], read by no mechanism) is in every design:
its index is the noise floor of the estimate. A parameter whose interval overlaps the dummy's
cannot be told apart from no effect at this sample size, and the summary says so.
"""

from __future__ import annotations

import importlib.util
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from negsim.errors import UsageError
from negsim.montecarlo.stats import SHORT_LABELS
from negsim.montecarlo.sweep import PROBS, ParamSpec

DUMMY = "dummy"
NOISE = "(replicate noise)"  # the noise floor's row in indices.csv (noise_floor)
METHODS = ("morris", "sobol")
NUM_LEVELS = 4
RESAMPLES = 1000
#: the outcomes measured at each point: the headline probabilities and the time in force
OUTCOMES = ("complete", "ratified", "in_force", "survived", "periods_in_force")
LABELS = SHORT_LABELS | {"periods_in_force": "periods in force (mean)"}
FIELDS = ("outcome", "parameter", "method", "index", "estimate", "lo", "hi", "sigma", "separable")


@dataclass(frozen=True)
class Index:
    """One sensitivity index of one parameter for one outcome, with its 95% interval."""

    outcome: str
    parameter: str
    method: str
    index: str  # mu_star (Morris), S1 or ST (Sobol)
    estimate: float
    lo: float
    hi: float
    sigma: float | None = None  # Morris' sigma
    separable: bool | None = None  # its interval lies above the dummy's (None for the dummy itself)

    def row(self) -> dict:
        """The index as a flat record (indices.csv, the DataFrame)."""
        return {f: getattr(self, f) for f in FIELDS}


def problem(specs: list[ParamSpec]) -> dict:
    """SALib's problem: each parameter's uniform bounds (``PATH=LOW:HIGH``), and the dummy last."""
    bounds = []
    for s in specs:
        if s.dist is None or s.dist.kind != "uniform":
            raise UsageError(f"--param {s.path}: give a range LOW:HIGH (e.g. {s.path}=0:0.6); sensitivity designs are uniform")
        bounds.append([float(s.dist.args[0]), float(s.dist.args[1])])
    names = [s.path for s in specs]
    if DUMMY in names:
        raise UsageError(f"--param {DUMMY}: the name is taken by the dummy parameter")
    return {"num_vars": len(specs) + 1, "names": [*names, DUMMY], "bounds": [*bounds, [0.0, 1.0]]}


def design(prob: dict, method: str, samples: int, seed: int) -> np.ndarray:
    """SALib's sample: Morris trajectories or a Saltelli (Sobol') sequence; rows are points, the dummy's column last."""
    if method not in METHODS:
        raise UsageError(f"--method must be morris or sobol, not {method!r}")
    if importlib.util.find_spec("SALib") is None:
        raise UsageError("negsim sensitivity needs SALib: pip install 'negsim[analysis]'") from None
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31 + 1,)))
    if method == "morris":
        from SALib.sample import morris

        if samples < 2:
            raise UsageError("--samples (Morris trajectories) must be at least 2")
        return morris.sample(prob, N=samples, num_levels=NUM_LEVELS, seed=rng)
    from SALib.sample import sobol

    if samples < 2 or samples & (samples - 1):
        raise UsageError(f"--samples for sobol must be a power of 2 (Sobol' sequences balance only then), e.g. 64, not {samples}")
    return sobol.sample(prob, N=samples, calc_second_order=False, seed=rng)


def points_of(prob: dict, x: np.ndarray) -> list[dict]:
    """The sweep's points: each design row as path -> value, without the dummy (no mechanism reads it)."""
    names = prob["names"][:-1]
    return [{p: round(float(v), 10) for p, v in zip(names, row[:-1], strict=True)} for row in x]


def outputs(rows: list[dict], npoints: int, horizon: int) -> dict[str, np.ndarray]:
    """Per point: each headline probability and the mean periods in force (0 for a replicate never in force)."""
    n = np.zeros(npoints)
    sums = {k: np.zeros(npoints) for k in (*PROBS, "periods_in_force")}
    squares = np.zeros(npoints)
    for r in rows:
        p = int(r["point"])
        n[p] += 1
        for k in PROBS:
            sums[k][p] += str(r[k]) == "True"
        if str(r["in_force"]) == "True":
            broke = str(r["survived"]) != "True" and r["breakdown_period"] not in ("", None)
            end = int(float(r["breakdown_period"])) if broke else horizon
            t = max(end - int(float(r["entry_period"])), 0)
            sums["periods_in_force"][p] += t
            squares[p] += t * t
    if (n == 0).any():
        raise RuntimeError("a sensitivity point has no rows")
    out = {k: v / n for k, v in sums.items()}
    out["_n"] = n  # replicates per point, and the spread of the periods: the Monte Carlo noise (noise_floor)
    out["_var_periods_in_force"] = np.maximum(squares / n - out["periods_in_force"] ** 2, 0.0)
    return out


def noise_variance(y: dict, outcome: str) -> float:
    """The Monte Carlo variance of one point's estimate, averaged over the points: p(1-p)/n, or s^2/n for a mean."""
    n = y["_n"]
    if outcome == "periods_in_force":
        return float(np.mean(y["_var_periods_in_force"] / n))
    p = y[outcome]
    return float(np.mean(p * (1 - p) / n))


def noise_floor(y: dict, outcome: str, method: str) -> float:
    """The index a parameter with no effect on the mean would show from replicate noise alone.

    Reckoned as if its points' replicates were independent: common random numbers make the real
    floor lower, so this is conservative. Morris: a noise-only elementary effect is the difference
    of two estimates over the step, so mu* = sqrt(2/pi) * sqrt(2 v) / delta (v the variance of one
    point's estimate, delta = num_levels / (2 (num_levels - 1)) in unit scale). Sobol: the total
    index of noise is v / Var(Y) (Saltelli's estimator: E[(f(A) - f(AB))^2] / (2 Var Y)).
    """
    v = noise_variance(y, outcome)
    if method == "morris":
        delta = NUM_LEVELS / (2 * (NUM_LEVELS - 1))
        return float(np.sqrt(2 / np.pi) * np.sqrt(2 * v) / delta)
    var_y = float(np.var(y[outcome]))
    return float(v / var_y) if var_y > 0 else 0.0


def analyse(prob: dict, x: np.ndarray, y: dict[str, np.ndarray], method: str, seed: int) -> list[Index]:
    """SALib's indices for every outcome; an outcome that is the same at every point has none (it varies with nothing)."""
    out: list[Index] = []
    for outcome in OUTCOMES:
        ys = y[outcome]
        if np.ptp(ys) == 0:
            continue
        rng_seed = int(np.random.SeedSequence(seed, spawn_key=(2**31 + 2,)).generate_state(1)[0])
        if method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(prob, x, ys, num_resamples=RESAMPLES, conf_level=0.95, num_levels=NUM_LEVELS, seed=rng_seed)
            floor = noise_floor(y, outcome, method)
            out += _indices(prob, outcome, method, "mu_star", res["mu_star"], res["mu_star_conf"], res["sigma"], floor)
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(prob, ys, calc_second_order=False, num_resamples=RESAMPLES, conf_level=0.95, seed=rng_seed)
            floor = noise_floor(y, outcome, method)
            out += _indices(prob, outcome, method, "ST", res["ST"], res["ST_conf"], None, floor)
            out += _indices(prob, outcome, method, "S1", res["S1"], res["S1_conf"], None, floor)
    return out


def _indices(prob, outcome, method, index, est, conf, sigma=None, noise: float = 0.0) -> list[Index]:
    """Indices with intervals ``est +- conf``; a parameter is separable if its interval lies above the noise floor.

    The floor is the larger of the dummy's interval and :func:`noise_floor`: on common random
    numbers the dummy, which no mechanism reads, changes nothing, so its index is 0 exactly; the
    replicate noise that a parameter reshuffling outcomes would show is what a parameter must beat.
    """
    est, conf = np.asarray(est, float), np.nan_to_num(np.asarray(conf, float))
    floor = max(est[-1] + conf[-1], noise)
    rows = []
    for i, name in enumerate(prob["names"]):
        e = float(est[i])
        sep = None if name == DUMMY else bool(e - conf[i] > floor)
        s = None if sigma is None else float(sigma[i])
        rows.append(Index(outcome, name, method, index, e, e - float(conf[i]), e + float(conf[i]), s, sep))
    rows.append(Index(outcome, NOISE, method, index, noise, noise, noise, None, None))
    return rows


def summary_text(indices: list[Index], method: str, npoints: int, runs: int, seed: int, outcomes=OUTCOMES) -> str:
    """The answer in plain words, per outcome: what it depends on most, then next, and what does not matter at this size."""
    key = "mu_star" if method == "morris" else "ST"
    what = "mu*" if method == "morris" else "total index"
    lines = [
        f"{method.capitalize()} sensitivity over {npoints:,} points x {runs:,} replicates "
        f"(common random numbers, seed {seed}); 95% intervals by bootstrap; '{DUMMY}' is a parameter no mechanism reads."
    ]
    varied = {i.outcome for i in indices}
    for outcome in outcomes:
        label = LABELS[outcome]
        if outcome not in varied:
            lines.append(f"- {label} is the same at every point: it depends on none of these parameters here.")
            continue
        rows = sorted((i for i in indices if i.outcome == outcome and i.index == key), key=lambda i: -i.estimate)
        dummy = next(i for i in rows if i.parameter == DUMMY)
        floor_row = next(i for i in rows if i.parameter == NOISE)
        real = [i for i in rows if i.parameter not in (DUMMY, NOISE)]
        sep = [i for i in real if i.separable]
        noise = [i.parameter for i in real if not i.separable]
        fmt = lambda i: f"{i.parameter} ({what} {_num(i.estimate)} [{_num(i.lo)}, {_num(i.hi)}])"  # noqa: E731
        if sep:
            text = f"- {label} depends most on {fmt(sep[0])}"
            text += "".join(f", then {fmt(i)}" for i in sep[1:3]) + (f", and {len(sep) - 3} more" if len(sep) > 3 else "")
        else:
            text = f"- {label}: no parameter stands out from the noise floor"
        floor = (f"noise floor {_num(floor_row.estimate)}, the {what} of replicate noise alone; the dummy's "
                 f"{_num(dummy.estimate)} [{_num(dummy.lo)}, {_num(dummy.hi)}]")  # fmt: skip
        if noise:
            text += f"; {', '.join(noise)} cannot be told from no effect at this sample size ({floor})."
        else:
            text += f" ({floor})."
        lines.append(text)
    return "\n".join(lines)


def _num(v: float) -> str:
    return "nan" if math.isnan(v) else f"{v:.3g}" if abs(v) >= 0.001 or v == 0 else f"{v:.1e}"


def write(out: Path, meta: dict, indices: list[Index], y: dict[str, np.ndarray]) -> None:
    """indices.csv, outputs.csv (per point) and sensitivity.json beside the sweep's files, each atomically and in its manifest."""
    import csv

    from negsim.montecarlo.folder import write_recorded

    def write_result(path: Path, text: str) -> None:
        write_recorded(path.parent, path.name, lambda fh: fh.write(text), encoding="utf-8")

    def to_csv(header, rows) -> str:
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()

    rows = [[("" if v is None else round(v, 6) if isinstance(v, float) else v) for v in i.row().values()] for i in indices]
    write_result(out / "indices.csv", to_csv(FIELDS, rows))
    cols = [k for k in y if not k.startswith("_")]
    npts = len(y[cols[0]])
    write_result(
        out / "outputs.csv", to_csv(["point", *cols], [[p, *(round(float(y[k][p]), 6) for k in cols)] for p in range(npts)])
    )
    write_result(out / "sensitivity.json", json.dumps(meta, indent=2) + "\n")


@dataclass
class SensitivityResult:
    """A finished (or interrupted) sensitivity analysis: its folder, indices and summary text."""

    out_dir: Path
    complete: bool
    method: str
    indices: list[Index]
    text: str
    npoints: int


def run(
    scenario: str | Path,
    specs: list[ParamSpec],
    method: str = "morris",
    samples: int | None = None,
    runs: int = 200,
    seed: int = 0,
    jobs: int = 1,
    out: str | Path | None = None,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    scheduler=None,
    overrides: list[str] | None = None,
    allow_outside: bool = False,
) -> SensitivityResult:
    """Sample the design, run it as a sweep (resumable, common random numbers), then compute and write the indices."""
    from negsim.montecarlo import sweep as sw
    from negsim.scenario.load import load_compiled

    if not specs:
        raise UsageError("a sensitivity analysis needs at least one --param PATH=LOW:HIGH")
    samples = samples if samples is not None else (10 if method == "morris" else 64)
    prob = problem(specs)
    x = design(prob, method, samples, seed)
    res = sw.sweep(scenario, specs, runs=runs, seed=seed, jobs=jobs, out=out, design=f"sensitivity-{method}", samples=samples,
                   resume=resume, force=force, progress=progress, scheduler=scheduler, overrides=overrides,
                   allow_outside=allow_outside, points=points_of(prob, x), folder="sensitivity")  # fmt: skip
    if not res.complete:
        return SensitivityResult(res.out_dir, False, method, [], "", len(x))
    horizon = load_compiled(scenario, overrides, allow_outside=allow_outside).horizon
    y = outputs(sw.read_rows(res.out_dir), len(x), horizon)
    indices = analyse(prob, x, y, method, seed)
    text = summary_text(indices, method, len(x), runs, seed)
    meta = {"method": method, "samples": samples, "num_levels": NUM_LEVELS if method == "morris" else None,
            "resamples": RESAMPLES, "problem": prob, "runs": runs, "seed": seed, "points": len(x), "summary": text}  # fmt: skip
    write(res.out_dir, meta, indices, y)
    _record(res.out_dir)
    return SensitivityResult(res.out_dir, True, method, indices, text, len(x))


def _record(out: Path) -> None:
    """Mark the sweep's manifest as a sensitivity analysis (its files are listed as they are written)."""
    from negsim.montecarlo.folder import read_manifest, write_manifest

    man = read_manifest(out)
    man["kind_detail"] = "sensitivity"
    write_manifest(out, man)


def read(out: str | Path) -> tuple[dict, list[dict]]:
    """A finished sensitivity folder's ``sensitivity.json`` and ``indices.csv`` rows (for plots, reports, the API)."""
    import csv

    out = Path(out)
    try:
        meta = json.loads((out / "sensitivity.json").read_text())
        with open(out / "indices.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, ValueError) as e:
        raise UsageError(f"{out} holds no finished sensitivity analysis (sensitivity.json, indices.csv): {e}") from None
    return meta, rows
