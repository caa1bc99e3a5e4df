"""negsim from Python: results as typed pandas DataFrames (the functions :mod:`negsim` exposes at its top).

>>> import negsim
>>> res = negsim.run("us_drawdown", runs=50)               # nothing is written unless out= is given
>>> [str(res.rows.dtypes[c]) for c in ("complete", "entry_period", "final_trust", "end_cause", "veto_actor")]
['boolean', 'Int64', 'Float64', 'category', 'string']
>>> round(res.summary["probabilities"]["complete"]["p"], 2)  # doctest: +SKIP
0.84

Every function here is the command of the same name, with its files opt-in (``out=``) and its
warnings raised through :mod:`warnings` (:class:`negsim.errors.NegsimWarning`) instead of
printed. Outcome rows are typed by :func:`outcome_frame`: the documented columns of
docs/results-format.md get nullable dtypes (``boolean``, ``Int64``, ``Float64``, ``string``, and
``category`` for causes), so an empty ``entry_period`` is ``<NA>`` in an integer column, not a
float NaN or a string.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from negsim.errors import WARNINGS_AS_PYTHON
from negsim.montecarlo.columns import dtype as _dtype


def _bool(v):
    if isinstance(v, bool) or v is None:
        return v
    s = str(v)
    return {"True": True, "true": True, "False": False, "false": False}.get(s)


def outcome_frame(rows, params: list[str] = ()):
    """Outcome rows (dicts, as the model makes them or as read from a CSV) as a typed DataFrame.

    ``params`` are a sweep's parameter columns: numbers become ``Float64``, anything else ``string``.
    Blank cells are missing values (``<NA>``) in every dtype.
    """
    import pandas as pd

    frame = pd.DataFrame(list(rows))
    for col in frame.columns:
        raw = frame[col].map(lambda v: None if v is None or v == "" or (isinstance(v, float) and v != v) else v)
        kind = _numeric_or_text(raw) if col in params else _dtype(col)
        if kind == "boolean":
            frame[col] = pd.array(raw.map(_bool), dtype="boolean")
        elif kind == "Int64":  # straight to integers: through floats, a seed above 2^53 would lose its last digits
            frame[col] = pd.array([_as_int(v) for v in raw], dtype="Int64")
        elif kind == "Float64":
            frame[col] = pd.array(pd.to_numeric(raw, errors="coerce"), dtype="Float64")
        elif kind == "category":
            frame[col] = raw.astype("string").astype("category")
        else:
            frame[col] = raw.astype("string")
    return frame


def _as_int(v):
    """An integer cell exactly (``"9007199254740993"`` stays itself), or None for a blank or a non-number."""
    if v is None or isinstance(v, bool):
        return None if v is None else int(v)
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None
        return int(f) if f == f and f.is_integer() else None


def _numeric_or_text(values) -> str:
    import pandas as pd

    return "Float64" if pd.to_numeric(values.dropna(), errors="coerce").notna().all() else "string"


def read_outcomes(path: str | Path, params: list[str] = ()):
    """A typed DataFrame of an outcome table on disk: ``outcomes.csv``, a sweep's ``rows.csv`` or ``rows.parquet``."""
    import pandas as pd

    path = Path(path)
    if path.suffix == ".parquet":  # written with the documented types (negsim.montecarlo.columns): read them back as they are
        return pd.read_parquet(path, dtype_backend="numpy_nullable")
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False).to_dict("records")
    return outcome_frame(raw, params)


@contextlib.contextmanager
def _python_warnings():
    """Negsim's warnings go through :mod:`warnings` while the block runs (the CLI prints them)."""
    WARNINGS_AS_PYTHON.append(True)
    try:
        yield
    finally:
        WARNINGS_AS_PYTHON.pop()


def _manifest(out_dir) -> dict | None:
    try:
        return json.loads((Path(out_dir) / "manifest.json").read_text()) if out_dir else None
    except (OSError, ValueError):
        return None


@dataclass
class Run:
    """A run from Python: ``rows`` (typed DataFrame), ``summary`` (dict), ``text``, and with ``out=`` the folder and manifest."""

    rows: object
    summary: dict
    text: str
    out_dir: Path | None = None
    manifest: dict | None = None
    draws: object = None  # with draws=True: each replicate's drawn inputs (negsim.api.draw_table)

    def _repr_html_(self) -> str:  # a notebook shows the summary as the CLI prints it
        from html import escape

        return f"<pre>{escape(self.text)}</pre>"


def load(scenario: str | Path, set: list[str] | None = None):  # noqa: A002 - the CLI's --set
    """A compiled scenario (validated; ``set`` are ``--set`` changes). Raises :class:`negsim.errors.ScenarioError`."""
    from negsim import api

    return api.load(scenario, set)


def run(
    scenario: str | Path,
    runs: int = 1000,
    seed: int = 0,
    jobs: int = 1,
    set: list[str] | None = None,  # noqa: A002
    out: str | Path | None = None,
    draws: bool = False,
    progress=False,
    **options,
) -> Run:
    """``negsim run`` from Python: the outcome rows as a typed DataFrame and the summary as a dict.

    Files are written only with ``out=`` (a folder, as ``--out``). ``progress``: True for a
    progress bar, or a function ``progress(done, total)`` called with the replicates finished. ``options`` are those of
    :func:`negsim.api.run` (``precision``, ``max_runs``, ``scheduler``, ``check``, ``force``).
    """
    from negsim import api

    with _python_warnings():
        res = api.run(scenario, runs=runs, seed=seed, jobs=jobs, out=out, overrides=set, progress=progress,
                      write=out is not None, keep=True, draws=draws and out is not None, **options)  # fmt: skip
        allow = bool(options.get("allow_outside", False))
        table = api.draw_table(scenario, runs=len(res.rows), seed=seed, overrides=set, allow_outside=allow) if draws else None
    return Run(outcome_frame(res.rows), res.summary, res.text, res.out_dir, _manifest(res.out_dir), table)


@dataclass
class Comparison:
    """A paired comparison from Python: ``differences`` (DataFrame), ``a`` and ``b`` (typed outcome rows), ``result``."""

    differences: object
    a: object
    b: object
    result: dict
    text: str
    out_dir: Path | None = None
    manifest: dict | None = None


def compare(
    a: str | Path,
    b: str | Path | None = None,
    set: list[str] | None = None,  # noqa: A002 - the changes that make B
    runs: int = 1000,
    seed: int = 0,
    jobs: int = 1,
    out: str | Path | None = None,
    progress: bool = False,
    **options,
) -> Comparison:
    """``negsim compare`` from Python: each probability for A and B and B - A with its paired 95% interval."""
    import pandas as pd

    from negsim import api

    rows: list = []
    with _python_warnings():
        result, text, out_dir = api.compare(a, b, set, runs=runs, seed=seed, jobs=jobs, out=out, progress=progress,
                                            rows=rows, **options)  # fmt: skip
    diffs = pd.DataFrame([{"outcome": k, **v} for k, v in result["differences"].items()])
    diffs["outcome"] = diffs["outcome"].astype("string")
    return Comparison(diffs, outcome_frame(rows[0]), outcome_frame(rows[1]), result, text, out_dir, _manifest(out_dir))


@dataclass
class Sweep:
    """A sweep from Python: ``points`` (one row per point, with each probability's interval) and ``rows`` (typed)."""

    points: object
    rows: object
    params: list[str]
    out_dir: Path
    manifest: dict | None = field(default=None)


def sweep(
    scenario: str | Path,
    params: dict | list[str] | None = None,
    design: str = "grid",
    points: list[dict] | None = None,
    runs: int = 200,
    seed: int = 0,
    jobs: int = 1,
    out: str | Path | None = None,
    set: list[str] | None = None,  # noqa: A002
    progress: bool = False,
    **options,
) -> Sweep:
    """``negsim sweep`` from Python, on common random numbers.

    ``params`` maps a path to a spec (``{"actors.POL.trust.RUS": "0:0.5:6"}``, or a list of
    ``PATH=SPEC`` strings) for a ``grid`` or ``lhs`` design; or give ``points`` (a list of dicts,
    a design made elsewhere, e.g. a DataFrame's ``to_dict("records")``). A sweep resumes from its
    folder, so it always writes one: ``out`` (default: a temporary folder, removed at exit).
    """
    import atexit
    import shutil
    import tempfile

    import pandas as pd

    from negsim.montecarlo import sweep as sw

    if isinstance(params, dict):
        specs = [sw.parse_spec_value(k, v) for k, v in params.items()]
    else:
        specs = [sw.parse_spec(p) for p in params or []]
    if points is not None:
        points = [dict(p) for p in points]
        if not specs and points:
            specs = [sw.ParamSpec(k) for k in points[0]]
        design = "file"
    if out is None:
        out = Path(tempfile.mkdtemp(prefix="negsim-sweep-")) / "sweep"
        atexit.register(shutil.rmtree, out.parent, True)
    from negsim.api import resolve_scenario_path

    with _python_warnings():
        res = sw.sweep(resolve_scenario_path(str(scenario)), specs, runs=runs, seed=seed, jobs=jobs, out=out, design=design,
                       overrides=set, progress=progress, points=points, **options)  # fmt: skip
    if not res.complete:
        raise KeyboardInterrupt(f"the sweep was interrupted; resume it with sweep(..., out={str(res.out_dir)!r}, resume=True)")
    names = [s.path for s in specs]
    pts = pd.read_csv(res.out_dir / "points.csv")
    return Sweep(pts, read_outcomes(res.table, names), names, res.out_dir, _manifest(res.out_dir))


def sensitivity(scenario: str | Path, params: list[str], **options):
    """``negsim sensitivity`` from Python (see :func:`negsim.api.sensitivity`): ``.indices`` is a DataFrame."""
    from negsim import api

    with _python_warnings():
        return api.sensitivity(scenario, params, **options)


def discover(result: str | Path, outcome: str = "survived", threshold: float = 0.5, density: float = 0.8):
    """``negsim discover`` from Python: (result, trade-off DataFrame, box DataFrame)."""
    from negsim import api

    res = api.discover(result, outcome=outcome, threshold=threshold, density=density)
    return (res, *api.discover_frames(res))
