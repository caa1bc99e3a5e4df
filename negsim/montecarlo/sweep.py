"""Parameter sweeps: full-factorial grids and Latin hypercube designs, resumable, on CRN.

Every point of a sweep runs the same replicate seeds (``SeedSequence(seed, spawn_key=(i,))``
for replicate ``i``): common random numbers, so the difference between two points is not
seed noise. Each parameter draws from its own stream (:mod:`negsim.scenario.streams`), so
every draw but the swept parameter's coincides across points, and the model's own draws
coincide until the changed parameter changes what the model does.

Work is cut into fixed chunks of replicates per point; each finished chunk is written to
``parts/`` atomically (temporary file, then rename). A sweep killed at any moment and rerun
with ``resume=True`` skips the chunks already on disk, so no row is lost or duplicated.
When every chunk is done the parts are compacted into ``rows.parquet`` (or ``rows.csv``) and
``points.csv``, and ``manifest.json`` is marked complete.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import itertools
import json
import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from negsim import __version__
from negsim.errors import Problem, ScenarioError, UsageError, warn
from negsim.montecarlo.folder import releases_locks
from negsim.scenario.params import parse_param
from negsim.scenario.yamlio import dump as dump_yaml

CHUNK = 50  # replicates per part file: small enough to lose little when killed
PROBS = ("reached", "ratified", "in_force", "survived", "complete")


@dataclass(frozen=True)
class ParamSpec:
    """One swept parameter: its document path and either levels or a distribution."""

    path: str
    levels: tuple | None = None  # grid levels
    dist: object = None  # a Param (for Latin hypercube designs)

    def describe(self) -> str:
        """The spec as text for the manifest."""
        if self.levels is None and self.dist is None:
            return "from the design's points"
        return ",".join(str(v) for v in self.levels) if self.levels is not None else self.dist.describe()


def parse_spec(text: str) -> ParamSpec:
    """Parse ``PATH=SPEC`` into a :class:`ParamSpec`.

    SPEC is a list (``0.1,0.3``), a range (``0:1:11`` = 11 points; ``0:1`` = uniform on
    [0, 1] for Latin hypercube designs), or a YAML distribution (``{beta: {mean: 0.3, sd: 0.1}}``).

    >>> parse_spec("us_presence.CEE=0:1:3").levels
    (0.0, 0.5, 1.0)
    >>> parse_spec("talks.proposal=compromise,nash").levels
    ('compromise', 'nash')
    """
    if "=" not in text:
        raise UsageError(f"--param {text!r}: expected PATH=SPEC, e.g. us_presence.CEE=0:1:11")
    path, _, spec = text.partition("=")
    return parse_spec_value(path.strip(), spec.strip())


def parse_spec_value(path: str, spec) -> ParamSpec:
    """A spec given as text, a list, or a mapping (as in a sweep file)."""
    where = f"--param {path}"
    if not path:
        raise UsageError(f"{where}: empty parameter path")
    if isinstance(spec, list):
        return ParamSpec(path, levels=_distinct(where, tuple(spec)))
    if isinstance(spec, dict):
        try:
            return ParamSpec(path, dist=parse_param(spec, -1e9, 1e9))
        except ValueError as e:
            raise UsageError(f"{where}: {e}") from None
    if isinstance(spec, int | float):
        return ParamSpec(path, levels=(spec,))
    spec = str(spec)
    if spec.startswith("{"):
        return parse_spec_value(path, _read_value(where, spec, "the distribution"))
    if ":" in spec and "," not in spec:
        parts = spec.split(":")
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise UsageError(f"{where}: a range is LOW:HIGH:POINTS, e.g. 0:1:11 (got {spec!r})") from None
        if len(nums) == 2:
            lo, hi = nums
            if lo >= hi:
                raise UsageError(f"{where}: range low {lo:g} must be below high {hi:g}")
            return ParamSpec(path, dist=parse_param({"uniform": [lo, hi]}, -1e9, 1e9))
        if len(nums) == 3 and nums[2] < 2 and nums[0] != nums[1]:
            raise UsageError(
                f"{where}: a range LOW:HIGH:POINTS needs POINTS >= 2 (got {spec!r}); for one value give just the value"
            )
        if len(nums) == 3 and nums[0] == nums[1] and nums[2] != 1:
            raise UsageError(f"{where}: LOW equals HIGH, so the range is one value; give it as {nums[0]:g}")
        if len(nums) == 3 and nums[2] >= 1 and nums[2] == int(nums[2]):
            return ParamSpec(path, levels=tuple(float(v) for v in np.round(np.linspace(nums[0], nums[1], int(nums[2])), 12)))
        raise UsageError(f"{where}: a range is LOW:HIGH:POINTS with POINTS a whole number >= 1 (got {spec!r})")
    items = spec.split(",")
    if len(items) > 1 and any(not v.strip() for v in items):
        raise UsageError(f"{where}: an empty entry in the list {spec!r} (two commas, or a comma at an end)")
    vals = tuple(_read_value(where, v, "the list entry") for v in items if v.strip())
    return ParamSpec(path, levels=_distinct(where, vals))


def _read_value(where: str, text: str, what: str):
    """A --param spec's value, read as --set values are, or a one-line UsageError saying why not.

    negsim's loader limits tags, aliases, depth and sizes, as for scenario files.
    """
    from negsim.scenario.yamlio import parse_yaml, short_text

    try:
        return parse_yaml(text, "--param", empty_ok=True)[0]
    except ScenarioError as e:
        raise UsageError(f"{where}: cannot read {what} {short_text(text)!r}: {e.problems[0].message}") from None


def _distinct(where: str, vals: tuple) -> tuple:
    """The levels, checked: at least one, none twice (a repeated level would run the same point twice)."""
    if not vals:
        raise UsageError(f"{where}: no values given")
    seen = set()
    for v in vals:
        key = float(v) if isinstance(v, int | float) and not isinstance(v, bool) else (type(v).__name__, repr(v))  # 1 == 1.0
        if key in seen:
            raise UsageError(f"{where}: the level {v!r} is given twice")
        seen.add(key)
    return vals


def design_points(specs: list[ParamSpec], design: str = "grid", samples: int = 100, seed: int = 0) -> list[dict]:
    """The points of a design: a full-factorial grid, or a Latin hypercube sample."""
    if not specs:
        raise UsageError("a sweep needs at least one --param")
    paths = [s.path for s in specs]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise UsageError(f"--param {twice[0]} is swept twice (on the command line, in the sweep file, or both)")
    if design == "grid":
        bad = [s.path for s in specs if s.levels is None]
        if bad:
            raise UsageError(
                f"--param {bad[0]}: a distribution or LOW:HIGH needs --design lhs; a grid needs levels (0.1,0.3 or 0:1:11)"
            )
        return [dict(zip([s.path for s in specs], combo, strict=True)) for combo in itertools.product(*(s.levels for s in specs))]
    if design == "lhs":
        if samples < 1:
            raise UsageError("--samples must be at least 1")
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(specs), seed=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2**31,)))).random(
            samples
        )
        points = []
        for row in u:
            points.append({s.path: _inverse(s, q) for s, q in zip(specs, row, strict=True)})
        return points
    raise UsageError(f"--design must be grid or lhs, not {design!r}")


def read_design(path: str | Path) -> tuple[list[ParamSpec], list[dict]]:
    """A design matrix made elsewhere (SALib, the EMA Workbench, a spreadsheet): a CSV file, one column per parameter path.

    Each row is one point. A cell is a number, or else read as a YAML scalar (``nash``, ``true``);
    a column named ``point`` or starting with ``_`` (an index, a dummy) is skipped. Every point is
    then validated like ``--set`` before any replicate runs.
    """
    where = f"--design {path}"
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            table = list(csv.reader(fh))
    except FileNotFoundError:
        raise UsageError(f"{where}: no such file (give grid, lhs, or a CSV file with one column per parameter path)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{where}: cannot read it: {getattr(e, 'strerror', None) or e}") from None
    table = [row for row in table if any(c.strip() for c in row)]
    if len(table) < 2:
        raise UsageError(f"{where}: a design needs a header of parameter paths and at least one row of values")
    header = [h.strip() for h in table[0]]
    keep = [i for i, h in enumerate(header) if h and h != "point" and not h.startswith("_")]
    if not keep:
        raise UsageError(f"{where}: no parameter columns (the header names parameter paths, e.g. actors.POL.trust.RUS)")
    paths = [header[i] for i in keep]
    twice = sorted({q for q in paths if paths.count(q) > 1})
    if twice:
        raise UsageError(f"{where}: column {twice[0]} appears twice")
    points = []
    for line, row in enumerate(table[1:], start=2):
        if len(row) != len(header):
            raise UsageError(f"{where}:{line}: {len(row)} cells, the header has {len(header)}")
        point = {}
        for i in keep:
            cell = row[i].strip()
            if not cell:
                raise UsageError(f"{where}:{line}: column {header[i]} is empty")
            point[header[i]] = _cell_value(cell)
        points.append(point)
    return [ParamSpec(q) for q in paths], points


def _cell_value(cell: str):
    """A design cell: a number if it reads as one, else a YAML scalar (safe loader)."""
    try:
        v = float(cell)
        return int(v) if v.is_integer() and "." not in cell and "e" not in cell.lower() else v
    except ValueError:
        try:
            v = yaml.safe_load(cell)
        except yaml.YAMLError:
            return cell
        return v if isinstance(v, str | bool | int | float) else cell


def _inverse(spec: ParamSpec, q: float):
    """The value at quantile q of a spec (levels are sampled uniformly among themselves)."""
    if spec.levels is not None:
        return spec.levels[min(int(q * len(spec.levels)), len(spec.levels) - 1)]
    from scipy import stats

    p = spec.dist
    if p.kind == "value":
        v = p.args[0]
    elif p.kind == "uniform":
        v = p.args[0] + q * (p.args[1] - p.args[0])
    elif p.kind == "normal":
        v = float(stats.norm.ppf(q, p.args[0], p.args[1]))
    elif p.kind == "beta":
        m, s = p.args
        k = m * (1 - m) / s**2 - 1
        v = float(stats.beta.ppf(q, m * k, (1 - m) * k))
    else:
        vals = p.args
        cum = np.cumsum(p.p or [1 / len(vals)] * len(vals))
        v = vals[int(np.searchsorted(cum, q, side="right").clip(0, len(vals) - 1))]
    return round(float(v), 10)


def _fmt(v) -> str:
    return yaml.safe_dump(v, default_flow_style=True).strip().removesuffix("...").strip()


@dataclass
class SweepResult:
    """A finished (or interrupted) sweep."""

    out_dir: Path
    points: list[dict]
    complete: bool
    rows: int
    table: Path | None


def load_sweep_file(path: str | Path) -> dict:
    """Read a sweep file (YAML): scenario, params, and optionally runs, seed, design, samples."""
    from negsim.scenario.yamlio import FileRefused, parse_yaml, read_limited

    p = Path(path)
    try:  # a regular file of bounded size only: never a FIFO, /dev/zero or a directory
        raw = read_limited(p, what="sweep file")
    except FileRefused as e:
        raise UsageError(f"{p}: the sweep file {e}") from None
    doc, locs = parse_yaml(raw, str(p))
    if not isinstance(doc, dict) or "params" not in doc or "scenario" not in doc:
        raise ScenarioError([Problem(str(p), "", "a sweep file needs 'scenario' and 'params' keys")])
    allowed = {"scenario", "params", "runs", "seed", "design", "samples", "jobs", "title", "source", "assumption"}
    extra = sorted(set(doc) - allowed)
    if extra:
        raise ScenarioError(
            [
                Problem(
                    str(p),
                    extra[0],
                    f"unknown key {extra[0]!r} (allowed: {', '.join(sorted(allowed))})",
                    locs.get((extra[0],), (None, None))[1],
                )
            ]
        )
    if not isinstance(doc["params"], dict) or not doc["params"]:
        raise ScenarioError([Problem(str(p), "params", "params must map parameter paths to specs")])
    # a path is relative to the sweep file; a bare name (polish_belarusian_limits) is a bundled scenario
    name = str(doc["scenario"])
    beside = p.parent / name
    if Path(name).is_absolute():
        doc["scenario"] = name
    elif beside.exists() or Path(name).suffix in (".yaml", ".yml") or "/" in name:
        doc["scenario"] = str(beside.resolve())
    else:
        doc["scenario"] = name
    return doc


def is_sweep_file(path: str | Path) -> bool:
    """True when a YAML file looks like a sweep file (top-level 'params' and 'scenario').

    Read as scenarios are (bounded, regular files only, negsim's loader): what cannot be read
    so is not taken for a sweep file, and loading it as a scenario then says why.
    """
    from negsim.scenario.yamlio import FileRefused, parse_yaml, read_limited

    try:
        doc, _ = parse_yaml(read_limited(path, what="sweep file"), str(path))
    except (FileRefused, ScenarioError):
        return False
    return isinstance(doc, dict) and "params" in doc and "scenario" in doc


def _signature(scenario: str, specs, runs, seed, design, samples) -> dict:
    return {
        "scenario": str(Path(scenario).resolve()) if Path(scenario).exists() else scenario,
        "params": {s.path: s.describe() for s in specs},
        "runs": runs,
        "seed": seed,
        "design": design,
        "samples": samples if design == "lhs" else None,
        "chunk": CHUNK,
    }


@releases_locks
def sweep(
    scenario: str | Path,
    specs: list[ParamSpec],
    runs: int = 200,
    seed: int = 0,
    jobs: int = 1,
    out: str | Path | None = None,
    design: str = "grid",
    samples: int = 100,
    resume: bool = False,
    force: bool = False,
    progress: bool = False,
    scheduler=None,
    overrides: list[str] | None = None,
    precision: float | None = None,
    max_runs: int = 10_000,
    allow_outside: bool = False,
    points: list[dict] | None = None,
    folder: str = "sweep",
) -> SweepResult:
    """Run a sweep; see the module docstring. Returns where the results are.

    ``points`` is a design made elsewhere (``--design FILE.csv``, a sensitivity design): one dict
    of path -> value per point, used as given instead of ``design`` and ``samples``.
    """
    from negsim.montecarlo.folder import write_result
    from negsim.montecarlo.runner import DaskExecutor, LocalExecutor
    from negsim.scenario.load import load_compiled

    if runs < 1 or jobs < 1 or not 0 <= seed < 2**63:
        raise UsageError("--runs and --jobs must be at least 1 and --seed a whole number from 0 to 2^63 - 1")
    points = _the_points(specs, design, samples, seed, points)
    base = load_compiled(scenario, overrides, allow_outside=allow_outside)
    from negsim.scenario.load import shadowed_by_events

    for msg in shadowed_by_events(base, [sp.path for sp in specs]):
        warn(msg)
    name = base.name
    if precision is not None and not 0 < precision < 0.5:
        raise UsageError("--precision must be between 0 and 0.5 (a 95% interval half-width, e.g. 0.02)")
    comps = _compile_points(scenario, points, overrides, allow_outside)
    # the executor too: an unreachable --scheduler must not leave a results folder behind
    ex = DaskExecutor(comps, seed, scheduler) if scheduler is not None else LocalExecutor(comps, seed, jobs)
    sig = _signature(str(scenario), specs, runs, seed, design, samples)
    if design not in ("grid", "lhs"):  # --resume must meet the same points, not only the same file name
        sig["points_sha256"] = hashlib.sha256(json.dumps(points, sort_keys=True).encode()).hexdigest()
    sig["precision"] = precision
    sig["overrides"] = list(overrides or [])  # --resume with other --set changes would mix two sweeps
    manifest = _first_manifest(scenario, name, sig, specs, points, runs, seed, design)
    try:
        out, resumed = _prepare_dir(out, name, sig, resume, force, manifest, folder)
        if not resumed or not os.path.lexists(out / "scenario.resolved.yaml"):  # a sweep killed before writing it gets it now
            write_result(out / "scenario.resolved.yaml", dump_yaml(base.document))
    except OSError as e:
        ex.close()
        raise UsageError(f"cannot write to {out}: {e.strerror or e}") from None
    except BaseException:
        ex.close()
        raise
    manifest_path = out / "manifest.json"
    if resumed and _table_path(out) is not None:
        old = json.loads(manifest_path.read_text())
        if old.get("complete"):
            ex.close()
            return SweepResult(out, points, True, old.get("rows", 0), _table_path(out))
    target = {p: runs for p in range(len(points))}
    complete = _run_tasks(ex, out, points, target, precision, max_runs, runs, f"{name} sweep" if progress else None)
    if not complete:
        return SweepResult(out, points, False, 0, None)
    try:
        table, nrows = _compact(out, points, [s.path for s in specs], target)
        _finish(out, table, nrows)
    except OSError as e:
        raise UsageError(
            f"cannot write the sweep's table in {out}: {e.strerror or e}; the finished parts are kept in {out / 'parts'}: "
            f"free some space, then rerun with --resume --out {out}"
        ) from None
    return SweepResult(out, points, True, nrows, table)


def _the_points(specs, design: str, samples: int, seed: int, points: list[dict] | None) -> list[dict]:
    """A grid's or hypercube's points, or the given design's, each setting exactly the design's parameters."""
    points = design_points(specs, design, samples, seed) if points is None else [dict(p) for p in points]
    if not points:
        raise UsageError("the design has no points")
    paths = sorted(s.path for s in specs)
    odd = next((i for i, p in enumerate(points) if sorted(p) != paths), None)
    if odd is not None:
        raise UsageError(f"design point {odd} sets {sorted(points[odd])}, not the design's parameters {paths}")
    return points


def _compile_points(scenario, points: list[dict], overrides, allow_outside: bool) -> dict:
    """Every design point compiled (point index -> compiled scenario), so that a bad value fails before any work starts.

    The problems of all points are reported together (the first 20).
    """
    from negsim.scenario.load import load_compiled

    comps, problems = {}, []
    for p, point in enumerate(points):
        ov = list(overrides or []) + [f"{k}={_fmt(v)}" for k, v in point.items()]
        try:
            comps[p] = load_compiled(scenario, ov, allow_outside=allow_outside)
        except ScenarioError as e:
            problems += [
                Problem(f"point {p} ({', '.join(f'{k}={v}' for k, v in point.items())})", q.path, q.message) for q in e.problems
            ]
    if problems:
        raise ScenarioError(problems[:20])
    return comps


def _first_manifest(scenario, name: str, sig: dict, specs, points: list[dict], runs: int, seed: int, design: str) -> dict:
    """The manifest a sweep writes before its first replicate (``complete`` false, no files yet)."""
    return {
        "kind": "sweep",
        "negsim_version": __version__,
        "scenario": str(scenario),
        "scenario_name": name,
        "signature": sig,
        "params": [s.path for s in specs],
        "points": points,
        "runs": runs,
        "seed": seed,
        "design": design,
        "common_random_numbers": True,
        "complete": False,
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(a) for a in sys.argv) if sys.argv and sys.argv[0] else "",
        "files": {},
        "writing": list(SWEEP_FILES),
        "parts": PARTS_RULE,
    }


# what a sensitivity analysis adds to its sweep's folder (negsim.montecarlo.sensitivity)
SENSITIVITY_FILES = ("indices.csv", "outputs.csv", "sensitivity.json")
# what negsim discover adds to a sweep's folder (negsim.report.discover)
PRIM_FILES = ("prim.csv", "prim_box.csv")
# what a sweep writes (besides manifest.json, parts/ and their .tmp temporaries)
SWEEP_FILES = ("scenario.resolved.yaml", "rows.parquet", "rows.csv", "points.csv", *SENSITIVITY_FILES, *PRIM_FILES)
# the manifest's statement of which files in parts/ are negsim's
PARTS_RULE = {
    "folder": "parts/",
    "names": "pPPPPPP_rFFFFFFFF_LLLLLLLL.csv: the replicates FFFFFFFF to LLLLLLLL-1 of point PPPPPP",
    "checksums": "parts/SHA256SUMS",
}


def _finish(out: Path, table: Path, nrows: int) -> None:
    """Mark the manifest complete with the files' checksums, then remove negsim's parts (and parts/ if that empties it)."""
    from negsim.montecarlo.folder import read_manifest, sha256, write_manifest

    manifest = read_manifest(out)
    manifest.update(
        complete=True,
        rows=nrows,
        finished=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        files={f: {"sha256": sha256(out / f)} for f in (table.name, "points.csv", "scenario.resolved.yaml")},
    )
    manifest.pop("writing", None)
    write_manifest(out, manifest)
    _drop_parts(out)


def _drop_parts(out: Path) -> None:
    """Remove a finished sweep's parts (negsim's only; parts/ too if that empties it), then their rule from the manifest."""
    from negsim.montecarlo.folder import PARTS, Holdings, clear, holdings, read_manifest, write_manifest

    clear(out, Holdings([n for n in holdings(out).owned if n.startswith(f"{PARTS}/")]))
    manifest = read_manifest(out)
    if manifest.pop("parts", None) is not None:
        write_manifest(out, manifest)


def _run_tasks(ex, out: Path, points: list[dict], target: dict, precision, max_runs: int, runs: int, bar_desc) -> bool:
    """Run the chunks not on disk yet (growing ``target`` with ``precision``); False if interrupted.

    The first Ctrl-C or kill stops it: the workers are killed at once, every part written stays
    whole, and later interrupts are ignored until the workers are gone (:class:`~negsim.montecarlo.runner.StopOnce`).
    """
    from negsim.montecarlo.runner import StopOnce, interrupts_deferred

    bar, finished = None, False
    with StopOnce() as stop:
        try:
            while True:
                tasks = _missing_tasks(out, target)
                if bar_desc:
                    bar = _progress(bar, bar_desc, sum(target.values()), sum(target.values()) - sum(len(t[1]) for t in tasks))
                for p, rows in ex.map(tasks):
                    with interrupts_deferred():  # a part file is written whole
                        _write_part(out, p, points[p], rows)
                    if bar:
                        bar.update(len(rows))
                if precision is None or not _grow_targets(out, target, precision, max_runs, runs):
                    break
            finished = True
        except KeyboardInterrupt:
            pass
        finally:
            stop.saving()
            ex.close(kill=not finished)
            if bar:
                bar.close()
    return finished


def _progress(bar, desc: str, total: int, done: int):
    """The sweep's progress bar, made once with the chunks already on disk counted (so its first line prints once)."""
    if bar is None:
        from tqdm.auto import tqdm

        return tqdm(total=total, initial=done, unit="rep", desc=desc, file=sys.stderr, dynamic_ncols=True)
    if (bar.total, bar.n) != (total, done):  # --precision raised the targets
        bar.total, bar.n = total, done
        bar.refresh()
    return bar


def _prepare_dir(
    out: str | Path | None, name: str, sig: dict, resume: bool, force: bool, manifest: dict, folder: str = "sweep"
) -> tuple[Path, bool]:
    """The sweep's folder, created and locked, with ``manifest`` written unless it resumes; returns (folder, resumed).

    --resume checks the folder's manifest against this sweep; --force removes only negsim's files;
    a file of the user's where the sweep would write is refused either way.
    """
    from negsim.montecarlo.folder import PARTS, Holdings, clear, mend_part_sums
    from negsim.montecarlo.outdir import open_out_dir, ready_out_dir

    if resume and not force and (out is None or not Path(out).is_dir()):
        raise UsageError(f"--resume: there is no sweep folder {out} to continue (check --out)")
    out, h = open_out_dir(out, f"{name}-{folder}", SWEEP_FILES, (PARTS,))
    if resume and not force:
        try:
            old = json.loads((out / "manifest.json").read_text())
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict) or old.get("kind") != "sweep" or "manifest.json" not in h.owned:
            raise UsageError(f"--resume: {out} holds no negsim sweep to continue (no sweep manifest.json)")
        if old.get("signature") != sig:
            raise UsageError(
                f"{out} holds a different sweep (scenario, parameters, --set, runs, seed or design differ); use another --out"
            )
        if old.get("complete"):  # nothing to continue: its table is there (and its parts gone, once a kill's are)
            try:
                _drop_parts(out)
            except OSError as e:
                raise UsageError(f"cannot write to {out}: {e.strerror or e}") from None
            return out, True
        try:  # the temporaries a killed sweep left are negsim's: remove them
            clear(out, Holdings([n for n in h.owned if n.endswith(".tmp")]))
            (out / PARTS).mkdir(exist_ok=True)
            mend_part_sums(out)
        except OSError as e:
            raise UsageError(f"cannot write to {out}: {e.strerror or e}") from None
        return out, True
    if h.results() and not force:
        raise UsageError(f"{out} already holds negsim results; pass --resume to continue that sweep or --force to start over")
    ready_out_dir(out, h if force else None, manifest, sub=PARTS)
    return out, False


def _missing_tasks(out: Path, target: dict) -> list[tuple]:
    """(point, replicate chunk) tasks whose part file is not on disk yet."""
    tasks = []
    for p, n in target.items():
        for start in range(0, n, CHUNK):
            end = min(n, start + CHUNK)
            if not (out / "parts" / _part_name(p, start, end)).exists():
                tasks.append((p, range(start, end)))
    return tasks


def _point_counts(out: Path) -> dict:
    """Per point: replicates done and True counts of each probability, from the parts on disk."""
    counts: dict = {}
    for part in _parts(out):
        with open(part, newline="") as fh:
            for r in csv.DictReader(fh):
                c = counts.setdefault(int(r["point"]), {"n": 0, **{k: 0 for k in PROBS}})
                c["n"] += 1
                for k in PROBS:
                    c[k] += r[k] == "True"
    return counts


def _grow_targets(out: Path, target: dict, precision: float, max_runs: int, batch: int) -> bool:
    """Raise each point's replicate target until its headline 95% half-widths reach ``precision``."""
    from negsim.montecarlo.stats import needed_runs, wilson

    grown = False
    for p, c in _point_counts(out).items():
        n = c["n"]
        if n >= max_runs:
            continue
        widths = [
            (lambda lo_hi: (lo_hi[1] - lo_hi[0]) / 2)(wilson(c[k], n)) for k in ("reached", "ratified", "in_force", "survived")
        ]
        if max(widths) < precision:
            continue
        need = needed_runs([c[k] / n for k in ("reached", "ratified", "in_force", "survived")], precision)
        new = min(max_runs, max(need, n + max(batch // 4, CHUNK)))
        new = min(max_runs, -(-new // CHUNK) * CHUNK) if new < max_runs else max_runs
        if new > target[p]:
            target[p] = new
            grown = True
    return grown


def _part_name(p: int, start: int, end: int) -> str:
    return f"p{p:06d}_r{start:08d}_{end:08d}.csv"


def _write_part(out: Path, p: int, point: dict, rows: list[dict]) -> None:
    """Write one chunk's rows to parts/ atomically and list its sha256 in parts/SHA256SUMS; a write error is a clear one."""
    from negsim.montecarlo.folder import append_part_sum, create_new, tmp_name

    rows = sorted(rows, key=lambda r: r["replicate"])
    start, end = rows[0]["replicate"], rows[-1]["replicate"] + 1
    final = out / "parts" / _part_name(p, start, end)
    tmp = final.with_name(tmp_name(final.name))
    try:
        with create_new(tmp, newline="") as fh:
            w = None
            for r in rows:
                full = {"point": p, **point, **r}
                if w is None:
                    w = csv.DictWriter(fh, fieldnames=list(full), lineterminator="\n")
                    w.writeheader()
                w.writerow(full)
            fh.flush()
            os.fsync(fh.fileno())
        append_part_sum(out, tmp)  # listed before the rename: every part on disk is listed
        os.replace(tmp, final)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UsageError(
            f"cannot write to {out / 'parts'}: {e.strerror or e}; the finished chunks are kept there: "
            f"free some space, then rerun with --resume --out {out}"
        ) from None


def _parts(out: Path) -> list[Path]:
    """The part files in parts/, in order (only names negsim gives them)."""
    from negsim.montecarlo.folder import PART_RE

    return sorted(f for f in (out / "parts").glob("p*_r*.csv") if PART_RE.fullmatch(f.name))


def _table_path(out: Path) -> Path | None:
    for name in ("rows.parquet", "rows.csv"):
        if (out / name).exists():
            return out / name
    return None


def _compact(out: Path, points: list[dict], params: list[str], target: dict) -> tuple[Path, int]:
    """Join the parts into one table (Parquet if pyarrow is installed) and write points.csv, each recorded before its rename."""
    from negsim.montecarlo.folder import write_recorded
    from negsim.montecarlo.stats import wilson

    parts = _parts(out)
    counts = {p: {k: 0 for k in PROBS} for p in range(len(points))}
    n = {p: 0 for p in range(len(points))}

    def join(dst):
        header_written = False
        for part in parts:
            with open(part, newline="") as src:
                lines = src.read().splitlines(keepends=True)
            if not lines:
                continue
            if not header_written:
                dst.write(lines[0])
                header_written = True
            dst.writelines(lines[1:])
            for r in csv.DictReader(lines):
                p = int(r["point"])
                n[p] += 1
                for k in PROBS:
                    counts[p][k] += r[k] == "True"

    final = out / "rows.csv"
    write_recorded(out, final.name, join, newline="")
    total = sum(n.values())
    if any(n[p] != target[p] for p in target):
        raise RuntimeError(f"sweep table has {total} rows, expected {sum(target.values())}: a part is missing or doubled")
    try:
        from negsim.montecarlo.columns import write_typed_parquet

        write_recorded(out, "rows.parquet", lambda fh: write_typed_parquet(final, fh, tuple(params)), mode="wb")
        final.unlink()
        final = out / "rows.parquet"
    except ImportError:  # no pyarrow: the CSV stays
        pass
    except Exception as e:  # noqa: BLE001 - the CSV holds every row: a Parquet copy that fails must not stall the sweep
        warn(f"rows.parquet was not written ({type(e).__name__}: {e}); rows.csv holds every row")
        with contextlib.suppress(OSError):
            (out / "rows.parquet").unlink()

    def summarise(fh):
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["point", *params, "n", *[f"{s}_{k}" for k in PROBS for s in ("p", "lo", "hi")]])
        for p, point in enumerate(points):
            cells = []
            for k in PROBS:
                lo, hi = wilson(counts[p][k], n[p])
                cells += [round(counts[p][k] / n[p], 6), round(lo, 6), round(hi, 6)]
            w.writerow([p, *[point[q] for q in params], n[p], *cells])

    write_recorded(out, "points.csv", summarise, newline="")
    return final, total


def read_rows(out: str | Path) -> list[dict]:
    """The tidy rows of a finished sweep as dicts of strings (Parquet or CSV)."""
    out = Path(out)
    if (out / "rows.parquet").exists():
        import pyarrow.parquet as pq

        tbl = pq.read_table(out / "rows.parquet").to_pylist()
        return [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in tbl]
    with open(out / "rows.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def format_points(out: str | Path, limit: int = 40) -> str:
    """points.csv as a small text table for the terminal."""
    with open(Path(out) / "points.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        return "(no points)"
    params = [c for c in rows[0] if c not in ("point", "n") and c.split("_", 1)[0] not in ("p", "lo", "hi")]
    head = "  ".join(f"{p:>18}" for p in params) + f"  {'P(agreement)':>26}  {'P(survives)':>26}"
    lines = [head]
    for r in rows[:limit]:
        cells = "  ".join(f"{r[p]:>18}" for p in params)
        a = f"{float(r['p_complete']):.1%} [{float(r['lo_complete']):.1%}, {float(r['hi_complete']):.1%}]"
        s = f"{float(r['p_survived']):.1%} [{float(r['lo_survived']):.1%}, {float(r['hi_survived']):.1%}]"
        lines.append(f"{cells}  {a:>26}  {s:>26}")
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more points in points.csv")
    return "\n".join(lines)
