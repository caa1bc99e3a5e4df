"""What the CLI does, as functions a notebook can call.

>>> from negsim.api import run  # doctest: +SKIP
>>> result = run("scenarios/polish_belarusian_limits.yaml", runs=200, seed=1)  # doctest: +SKIP
>>> result.summary["probabilities"]["survived"]["p"]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from negsim import __version__
from negsim.errors import ScenarioError, UsageError, warn
from negsim.montecarlo.folder import releases_locks as _releases_locks
from negsim.montecarlo.folder import sha256, write_result
from negsim.montecarlo.outdir import COMPARE_FILES, RUN_FILES, command_line, prepare_out_dir
from negsim.montecarlo.stats import HEADLINE
from negsim.paths import resolve_scenario_path, scenario_dirs
from negsim.scenario.load import load_compiled as load
from negsim.scenario.load import shadowed_by_events
from negsim.scenario.yamlio import FileRefused, parse_yaml, read_limited
from negsim.scenario.yamlio import dump as dump_yaml


def validate(paths: list[str], allow_outside: bool = False, strict: bool = False) -> dict[str, list]:
    """Validate files; returns {path: [Problem, ...]} (empty lists for valid files).

    With ``strict``, every parameter must also cite a known claim or state an assumption.
    """
    from negsim.scenario.load import load_scenario
    from negsim.scenario.provenance import check_document, claims_by_id, load_cards

    out = {}
    known = None
    for p in paths:
        try:
            ls = load_scenario(resolve_scenario_path(p), allow_outside=allow_outside)
            known = known if known is not None else claims_by_id(load_cards())
            # a citation of a claim that does not exist is a broken reference, strict or not;
            # --strict adds the values with no provenance at all
            out[p] = check_document(ls.document, known, p, ls.locs, citations_only=not strict)
        except ScenarioError as e:
            out[p] = e.problems
    return out


def explain(path: str | Path, prefix: str = "", allow_outside: bool = False) -> list[str]:
    """Each parameter's value and the claims (or assumption) behind it."""
    from negsim.scenario.load import load_scenario
    from negsim.scenario.provenance import explain as _explain

    file = resolve_scenario_path(str(path))
    ls = load_scenario(file, allow_outside=allow_outside)
    return _explain(ls.document, prefix, fname=str(file), locs=ls.locs)


def sources(with_claims: bool = False) -> list[str]:
    """The source cards, their claims, and how many bundled-scenario parameters cite each."""
    from negsim.scenario.load import load_scenario
    from negsim.scenario.provenance import claims_by_id, load_cards, support_counts

    cards = load_cards()
    docs = []
    for f, _ in bundled():
        try:
            docs.append(load_scenario(f).document)
        except ScenarioError:
            continue
    counts = support_counts(docs, claims_by_id(cards))
    lines = []
    for name, card in cards.items():
        lines.append(f"{name}  ({card.file or card.title}; {card.kind}, {card.weight}; {card.author}, {card.date})")
        if card.duplicates:
            lines.append(f"    repeats: {', '.join(card.duplicates)}")
        for c in card.claims:
            tag = " [opinion]" if c.opinion else ""
            lines.append(f"    {c.id:<44} para {str(c.paragraph):<10} supports {counts.get(c.id, 0):>4} parameter(s){tag}")
            if with_claims:
                lines.append(f"        {c.paraphrase}")
    unused = sum(1 for card in cards.values() for c in card.claims if not counts.get(c.id))
    total = sum(len(card.claims) for card in cards.values())
    lines.append(f"\n{len(cards)} cards, {total} claims; {total - unused} cited by the {len(docs)} bundled scenarios.")
    return lines


def bundled() -> list[tuple[Path, str]]:
    """The bundled scenarios (not the base rosters), each with its title."""
    seen = {}
    for d in scenario_dirs():
        for f in sorted(d.glob("*.yaml")):
            if f.name in seen:
                continue
            title = ""
            try:  # read as any scenario is: bounded, regular files only, the safe loader
                doc, _ = parse_yaml(read_limited(f), str(f))
                title = str(doc.get("title", "")) if isinstance(doc, dict) else ""
            except (ScenarioError, FileRefused):
                title = "(unreadable)"
            seen[f.name] = (f, title)
    return list(seen.values())


@dataclass
class RunResult:
    """A finished (or interrupted) run: its summary, where it was written, and whether complete."""

    summary: dict
    out_dir: Path | None
    complete: bool
    text: str
    rows: list[dict] | None = None  # the outcome rows in replicate order, when run(keep=True)


def _check_run_options(runs: int, seed: int, jobs: int) -> None:
    if runs < 1:
        raise UsageError("--runs must be at least 1")
    if jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not 0 <= seed < 2**63:
        raise UsageError("--seed must be a whole number from 0 to 2^63 - 1")


HEADLINE_KEYS = tuple(key for key, _ in HEADLINE)


def _half_width(summary: dict) -> float:
    """The largest 95% interval half-width among the headline probabilities."""
    probs = summary["probabilities"]
    return max((probs[k]["hi"] - probs[k]["lo"]) / 2 for k in HEADLINE_KEYS)


def _needed(summary: dict, precision: float) -> int:
    """Replicates needed for every headline half-width to reach ``precision``."""
    from negsim.montecarlo.stats import needed_runs

    return needed_runs([summary["probabilities"][k]["p"] for k in HEADLINE_KEYS], precision)


@_releases_locks
def run(
    path: str | Path,
    runs: int = 1000,
    seed: int = 0,
    jobs: int = 1,
    out: str | Path | None = None,
    overrides: list[str] | None = None,
    progress: bool | Callable[[int, int], None] = False,
    force: bool = False,
    write: bool = True,
    allow_outside: bool = False,
    precision: float | None = None,
    max_runs: int = 100_000,
    scheduler: str | None = None,
    check: bool = False,
    draws: bool = False,
    keep: bool = False,
) -> RunResult:
    """Run replicates of a scenario; write outcomes, summary, resolved scenario and manifest.

    Rows are streamed to ``outcomes.csv`` in replicate order and summarised on the fly, so
    memory does not grow with ``runs``. With ``precision``, batches of replicates (the first
    of ``runs``) are run until every headline probability's 95% interval half-width is below
    ``precision``, or ``max_runs`` is reached. ``scheduler`` runs the replicates on a Dask
    cluster instead of local processes. ``check`` verifies the model's invariants on every
    row and raises :class:`~negsim.montecarlo.invariants.InvariantError` naming the replicate.
    ``keep`` also returns the outcome rows (``RunResult.rows``, in replicate order; memory grows with them).
    ``draws`` also writes ``draws.csv``: each replicate's value of every random parameter
    (:func:`draw_table`), joined to ``outcomes.csv`` on ``replicate``.
    ``progress`` True draws a progress bar on standard error; a function ``progress(done, total)``
    is called instead, in this process, with the replicates finished so far: with ``(0, runs)``
    first and after every chunk of replicates (a notebook widget, the dashboard's count).

    The first Ctrl-C or kill stops the run at once (the workers are killed, the finished
    replicates saved, the manifest says complete false); later ones are ignored until that is done.
    """
    from negsim.montecarlo.runner import StopOnce

    with StopOnce() as stop:
        return _run(
            stop,
            path,
            runs,
            seed,
            jobs,
            out,
            overrides,
            progress,
            force,
            write,
            allow_outside,
            precision,
            max_runs,
            scheduler,
            check,
            draws,
            keep,
        )


def _run(
    stop,
    path,
    runs,
    seed,
    jobs,
    out,
    overrides,
    progress,
    force,
    write,
    allow_outside,
    precision,
    max_runs,
    scheduler,
    check,
    draws=False,
    keep=False,
) -> RunResult:
    """:func:`run` inside its interrupt guard ``stop`` (a :class:`~negsim.montecarlo.runner.StopOnce`)."""
    from negsim.montecarlo.runner import CSVRows, DaskExecutor, InOrder, LocalExecutor
    from negsim.montecarlo.stats import Summary

    _check_run_options(runs, seed, jobs)
    if precision is not None and not 0 < precision < 0.5:
        raise UsageError("--precision must be between 0 and 0.5 (a 95% interval half-width, e.g. 0.01)")
    max_runs = max(max_runs, runs)
    comp = load(path, overrides, allow_outside=allow_outside)
    for msg in shadowed_by_events(comp, [o.split("=", 1)[0].strip() for o in overrides or []]):
        warn(msg)
    # the executor first: an unreachable --scheduler must not leave an empty results folder behind
    ex = DaskExecutor({0: comp}, seed, scheduler) if scheduler else LocalExecutor({0: comp}, seed, jobs)
    try:
        out_dir = prepare_out_dir(out, comp.name, force) if write else None
    except BaseException:
        ex.close()
        raise
    acc = Summary()
    table = CSVRows(_fresh(out_dir / "outcomes.csv.tmp")) if out_dir else None
    checker = _row_checker(comp, path, overrides, seed) if check else None

    kept: list[dict] | None = [] if keep else None

    def emit(row: dict) -> None:
        if checker:
            checker(row)
        acc.add(row)
        if kept is not None:
            kept.append(row)
        if table:
            table.write(row)

    order = InOrder(emit)
    started = dt.datetime.now(dt.UTC)
    bar = _progress_bar(progress, runs, comp.name)  # a tqdm bar, the caller's function, or none
    complete, write_error, died = _drive(stop, ex, order, acc, runs, jobs, precision, max_runs, bar)
    n = order.count
    summary = acc.result() if n else {"replicates": 0}
    summary["complete"] = complete
    if precision is not None and n:
        hw = _half_width(summary)
        summary["precision"] = {"target": precision, "half_width": hw, "reached": hw < precision, "replicates": n}
        summary["precision"]["max_runs"] = max_runs
    text = _run_text(summary, comp, runs, n, complete, precision)
    if out_dir:
        try:
            info = {"path": path, "seed": seed, "runs": runs, "n": n, "complete": complete, "jobs": jobs}
            info |= {"scheduler": scheduler, "precision": precision, "overrides": overrides, "started": started}
            info |= {"allow_outside": allow_outside, "draws": draws}
            write_error = _finish_run(out_dir, table, summary, comp, info, write_error) or write_error
        except OSError as e:
            write_error = write_error or e
        if write_error is not None:
            raise UsageError(f"cannot write to {out_dir}: {write_error.strerror or write_error}; {_kept_rows(out_dir)}")
    if died is not None:
        kept = (
            f"the {n:,} finished replicates are saved in {out_dir / 'outcomes.csv'} (manifest: complete false)" if out_dir else ""
        )
        raise UsageError(f"{died}; the run stopped" + (f": {kept}" if kept else ""))
    return RunResult(summary, out_dir, complete, text, kept)


def _row_checker(comp, path, overrides, seed):
    """A function that checks one outcome row against the model's invariants (``--check``), or raises."""
    from negsim.montecarlo.invariants import check_replicate

    label = " ".join([str(path), *(f"--set {o!r}" for o in overrides or [])])

    def checker(row: dict) -> None:
        check_replicate(comp, seed, row["replicate"], row, scenario=label)

    return checker


class _Reported:
    """A progress bar's face (tqdm's ``update``, ``total``, ``refresh``, ``close``) over a function ``report(done, total)``."""

    def __init__(self, report: Callable[[int, int], None], total: int):
        self.report, self.total, self.n = report, total, 0
        report(0, total)

    def update(self, k: int) -> None:
        self.n += k
        self.report(self.n, self.total)

    def refresh(self) -> None:
        self.report(self.n, self.total)

    def close(self) -> None:
        pass


def _progress_bar(progress, runs: int, label: str):
    """What :func:`run`'s ``progress`` asks for: None, a tqdm bar on standard error, or the caller's function behind a bar's face."""
    if callable(progress):
        return _Reported(progress, runs)
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=runs, unit="rep", desc=label, file=sys.stderr, dynamic_ncols=True)


def _drive(stop, ex, order, acc, runs, jobs, precision, max_runs, bar):
    """Run the replicates on ``ex`` into ``order``, moving the progress ``bar`` (if any) after each chunk.

    First ``runs`` replicates, then (with ``precision``) more in batches until every headline half-width is below it or
    ``max_runs`` is reached.

    Returns ``(complete, write_error, died)``: an interrupt, a failed write or a dead worker stops the run and is reported,
    never raised, so that the rows already finished are saved.
    """
    from negsim.montecarlo.pool import WorkerDied
    from negsim.montecarlo.runner import chunks, interrupts_deferred

    complete, write_error, died = True, None, None
    done, batch, finished = 0, runs, False
    try:
        while batch > 0:
            for _, rows in ex.map((0, ch) for ch in chunks(range(done, done + batch), jobs)):
                with interrupts_deferred():  # summary, CSV and count move together
                    order.add(rows)
                if bar is not None:
                    bar.update(len(rows))
            done += batch
            if precision is None or done >= max_runs:
                break
            current = acc.result()
            if _half_width(current) < precision:
                break
            batch = min(max(_needed(current, precision) - done, runs // 4, 100), max_runs - done)
            if bar is not None:
                bar.total = done + batch
                bar.refresh()
        finished = True
    except KeyboardInterrupt:
        complete = False
    except OSError as e:  # disk full or the folder vanished: keep what was written, say so
        complete, write_error = False, e
    except WorkerDied as e:  # a worker killed from outside (the OOM killer): keep the finished rows, say so
        complete, died = False, e
    finally:
        stop.saving()  # a Ctrl-C from here on waits until the results are written
        ex.close(kill=not finished)  # after an interrupt or an error, the chunks in progress are dropped at once
        if bar is not None:
            bar.close()
    return complete, write_error, died


def _run_text(summary, comp, runs, n, complete, precision) -> str:
    """The summary text of a run of ``n`` replicates (of ``runs`` requested).

    It is marked when the run was interrupted and followed by the precision reached when ``--precision`` was asked for.
    """
    from negsim.report.summary import format_summary

    if not n:
        return "no replicate finished"
    text = format_summary(summary, comp.scenario.title or comp.name, comp.horizon, comp.period)
    if not complete:  # the header must not read as a full run
        head, _, rest = text.partition("\n")
        text = f"{head} of {runs:,} requested (INTERRUPTED: the figures cover only these)\n{rest}"
    if precision is not None:
        pr = summary["precision"]
        text += f"\n\nPrecision: every headline 95% half-width is {pr['half_width']:.4f} after {n:,} replicates " + (
            "(target reached)."
            if pr["reached"]
            else f"(target {precision} NOT reached: stopped at --max-runs {pr['max_runs']:,})."
        )
    return text


def _fresh(path: Path):
    """Create ``path`` as a new empty file (not through a symlink planted there) and return it open for writing CSV."""
    from negsim.montecarlo.folder import create_new

    try:
        return create_new(path, newline="")
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from None


def _close_table(out_dir: Path, table, failed: bool) -> tuple[int, OSError | None, str]:
    """Close the outcome table, record its sha256, rename it to outcomes.csv; after a write error, keep only its whole rows.

    Returns the rows it holds, the error met closing it (None if it closed cleanly) and its sha256.
    """
    from negsim.montecarlo.folder import record_sums, sha256, whole_rows

    error = None
    try:
        table.close()
    except OSError as e:  # a full disk: the buffered rows could not be flushed
        error = e
        with contextlib.suppress(OSError):
            table.fh.close()
    tmp = out_dir / "outcomes.csv.tmp"
    rows = whole_rows(tmp) if failed or error else table.count
    digest = sha256(tmp)
    record_sums(out_dir, {"outcomes.csv": digest})  # before the rename: the file at its final name is always listed
    os.replace(tmp, out_dir / "outcomes.csv")
    return rows, error, digest


def _kept_rows(out_dir: Path) -> str:
    """Where the whole rows of a run stopped by a write error are, for its error message."""
    from negsim.montecarlo.folder import read_manifest, whole_rows

    for name in ("outcomes.csv", "outcomes.csv.tmp"):
        f = out_dir / name
        if f.is_file() and not f.is_symlink():
            rows = whole_rows(f)
            man = read_manifest(out_dir) or {}
            note = "its manifest says complete: false" if "runs_completed" in man else "no full manifest could be written"
            return f"the {rows:,} whole rows written are in {f} ({note})"
    return "no row could be saved"


def _finish_run(out_dir: Path, table, summary: dict, comp, info: dict, write_error: OSError | None = None) -> OSError | None:
    """Close the outcome table and write summary, resolved scenario and manifest, each atomically.

    After a write error (``write_error``, or one met closing the table) only the table's whole
    rows are kept, the manifest says so (complete: false) and no summary is written (it would
    count rows the table lacks). Returns the error met closing the table, if any.
    """
    from negsim.montecarlo.folder import LAYOUT, write_manifest, write_recorded

    sums = {}
    rows, close_error, sums["outcomes.csv"] = _close_table(out_dir, table, write_error is not None)
    failed = write_error is not None or close_error is not None
    text = {"scenario.resolved.yaml": dump_yaml(comp.document)}
    if failed:
        info = info | {"n": rows, "complete": False}
    else:
        text = {"summary.json": json.dumps(summary, indent=2, default=str) + "\n", **text}
    for name, body in text.items():
        sums[name] = write_recorded(out_dir, name, lambda fh, body=body: fh.write(body), encoding="utf-8")
    if not failed and info["n"] and importlib.util.find_spec("pyarrow") is not None:  # typed rows beside the CSV
        from negsim.montecarlo.columns import write_typed_parquet

        try:
            sums["outcomes.parquet"] = write_recorded(
                out_dir, "outcomes.parquet", lambda fh: write_typed_parquet(out_dir / "outcomes.csv", fh), mode="wb"
            )
        except Exception as e:  # noqa: BLE001 - the CSV holds every row; a Parquet copy that fails must not lose the run
            warn(f"outcomes.parquet was not written ({type(e).__name__}: {e}); outcomes.csv holds every row")
    if info.get("draws") and not failed and info["n"]:
        sums["draws.csv"] = write_recorded(out_dir, "draws.csv", lambda fh: _write_draws(fh, comp, info["seed"], info["n"]))
    manifest = {
        "kind": "run",
        "layout": LAYOUT,
        "negsim_version": __version__,
        "scenario": str(info["path"]),
        "scenario_file": str(resolve_scenario_path(str(info["path"])).resolve()),
        "scenario_name": comp.name,
        "seed": info["seed"],
        "runs_requested": info["runs"],
        "runs_completed": info["n"],
        "complete": info["complete"],
        "jobs": info["jobs"],
        "executor": f"dask:{info['scheduler']}" if info["scheduler"] else "local",
        "precision": info["precision"],
        "overrides": list(info["overrides"] or []),
        "command": command_line(),
        "started": info["started"].isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "nash_search": _nash_search(),
        "files": {
            name: {
                "sha256": sums[name],
                **({"rows": info["n"]} if name in ("outcomes.csv", "outcomes.parquet", "draws.csv") else {}),
            }
            for name in RUN_FILES
            if name in sums
        },
        # the finished replicates are 0..n-1, so --runs n reproduces them (the request, if none finished)
        "reproduce": f"negsim run {shlex.quote(str(info['path']))} --runs {info['n'] or info['runs']} --seed {info['seed']}"
        + "".join(f" --set {shlex.quote(o)}" for o in info["overrides"] or [])
        + (" --allow-outside" if info.get("allow_outside") else ""),
    }
    write_manifest(out_dir, manifest)
    return close_error


def _draw_matrix(comp, seed: int, replicates):
    """Each replicate's value of every random parameter, a numpy array (rows: replicates; columns: :meth:`draw_names`)."""
    import numpy as np

    from negsim.montecarlo.runner import replicate_rng

    return np.array([comp.draw_values(replicate_rng(seed, i)) for i in replicates]).reshape(len(replicates), comp.n_random)


def _write_draws(fh, comp, seed: int, n: int) -> None:
    """draws.csv: ``replicate`` and one column per random parameter (its scenario path), 10 significant digits."""
    import numpy as np

    fh.write(",".join(["replicate", *comp.draw_names()]) + "\n")
    for start in range(0, n, 500):
        idx = range(start, min(start + 500, n))
        block = np.column_stack([np.arange(idx.start, idx.stop), _draw_matrix(comp, seed, idx)])
        np.savetxt(fh, block, delimiter=",", fmt=["%d"] + ["%.10g"] * comp.n_random)


def draw_table(
    path: str | Path, runs: int = 1000, seed: int = 0, overrides: list[str] | None = None, allow_outside: bool = False
):
    """Each replicate's drawn inputs as a pandas DataFrame: ``replicate`` and one column per random parameter.

    The values are those replicate ``i`` of ``negsim run --seed S`` draws (each parameter from
    its own stream, so a ``--set`` on one leaves the others unchanged); join them to the outcome
    rows on ``replicate`` to ask which inputs go with which outcomes.

    >>> draw_table("us_drawdown", runs=3).shape[0]  # doctest: +SKIP
    3
    """
    import pandas as pd

    _check_run_options(runs, seed, 1)
    comp = load(path, overrides, allow_outside=allow_outside)
    frame = pd.DataFrame(_draw_matrix(comp, seed, range(runs)), columns=comp.draw_names())
    frame.insert(0, "replicate", pd.array(range(runs), dtype="Int64"))
    return frame


def _nash_search() -> str:
    """How the Nash search ran: "compiled" or "numpy" (the same rows either way; tests check)."""
    from negsim.model import proposals

    return proposals.KERNEL


def trace(
    path: str | Path, seed: int = 0, replicate: int = 0, overrides: list[str] | None = None, allow_outside: bool = False
) -> tuple[list[str], dict]:
    """Tell one replicate in plain words; returns (lines, outcome row)."""
    from negsim.montecarlo.runner import run_replicate

    comp = load(path, overrides, allow_outside=allow_outside)
    row, model = run_replicate(comp, seed, replicate, trace=True)
    return model.lines, row


TABLE_START = "<!-- scenario-table:start -->"
README_LIMIT = 10_000_000  # bytes: a README is tens of kB
TABLE_END = "<!-- scenario-table:end -->"


def scenario_table(
    paths: list[str], runs: int = 1000, seed: int = 0, jobs: int = 1, progress: bool = False, allow_outside: bool = False
) -> str:
    """A Markdown table of scenarios with their headline results (no files written)."""
    rows = [
        "| scenario | question | P(agreement) | P(survives to horizon) | pacts signed (mean) | blocked most by |",
        "|---|---|---|---|---|---|",
    ]
    for p in paths:
        res = run(p, runs=runs, seed=seed, jobs=jobs, write=False, progress=progress, allow_outside=allow_outside)
        if not res.complete:  # a partial table must never pass for a complete one (or reach a README)
            raise KeyboardInterrupt
        comp = load(p, allow_outside=allow_outside)
        pr = res.summary["probabilities"]
        blockers = res.summary["talks"]["blocked_by_actor_issue"]
        top = next(iter(blockers.items()), None)
        who = f"{top[0]} ({top[1] / runs:.0%})" if top else "-"
        question = (comp.scenario.question or comp.scenario.title).replace("|", "/")
        signed = f"{res.summary['pacts_signed_mean']:.1f} of {comp.n_pacts}"
        rows.append(f"| `{comp.name}` | {question} | {_cell(pr['complete'])} | {_cell(pr['survived'])} | {signed} | {who} |")
    rows.append("")
    rows.append(
        f"_{runs:,} replicates per scenario, seed {seed}; regenerate with "
        f"`negsim table scenarios/*.yaml --runs {runs} --seed {seed} --update README.md`._"
    )
    return "\n".join(rows)


def _cell(p: dict) -> str:
    return f"{p['p']:.1%} [{p['lo']:.1%}, {p['hi']:.1%}]"


def check_readme(readme: str | Path) -> tuple[str, str]:
    """The text before and after a README's scenario-table markers; a clear error if there are none."""
    path = Path(readme)
    if path.is_dir():
        raise UsageError(f"--update {path} is a folder, not a README file")
    try:  # a regular file of bounded size only: never a FIFO (it would hang) or /dev/zero
        text = read_limited(path, README_LIMIT, "README file").decode("utf-8")
    except FileRefused as e:
        raise UsageError(f"--update {path}: no such file" if e.missing else f"--update {path}: the file {e}") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"--update {path}: cannot read it ({e})") from None
    if TABLE_START not in text or TABLE_END not in text or text.index(TABLE_START) > text.index(TABLE_END):
        raise UsageError(f"{path} has no {TABLE_START} ... {TABLE_END} markers to replace")
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    return head, tail


def update_readme(readme: str | Path, table: str) -> None:
    """Replace the text between the scenario-table markers of a README with ``table``."""
    head, tail = check_readme(readme)
    try:
        write_result(Path(readme), head + TABLE_START + "\n" + table + "\n" + TABLE_END + tail)
    except OSError as e:
        raise UsageError(f"cannot write {readme}: {e.strerror or e}") from None


@_releases_locks
def compare(
    a: str | Path,
    b: str | Path | None = None,
    overrides_b: list[str] | None = None,
    runs: int = 1000,
    seed: int = 0,
    jobs: int = 1,
    out: str | Path | None = None,
    force: bool = False,
    allow_outside: bool = False,
    progress: bool = False,
    rows: list | None = None,
) -> tuple[dict, str, Path | None]:
    """Paired comparison of scenario A and B (or A with ``overrides_b``) on common random numbers.

    Replicate i of both uses the same seed, so each probability's difference is estimated from
    paired replicates: mean of (b_i - a_i) with an Agresti-Min 95% interval for a paired difference of
    proportions, clipped to [-1, 1]. The output folder is checked before any simulation.
    ``progress`` shows one progress bar (on stderr) over the replicates of A, then B.
    Returns (comparison dict, text, output folder); a list passed as ``rows`` receives A's and B's outcome rows.
    """
    from negsim.montecarlo.runner import run_many
    from negsim.montecarlo.stats import paired_difference

    if b is None and not overrides_b:
        raise UsageError("compare needs a second scenario or --set changes for B")
    _check_run_options(runs, seed, jobs)
    comp_a = load(a, allow_outside=allow_outside)
    comp_b = load(b if b is not None else a, overrides_b, allow_outside=allow_outside)
    # the output folder is checked before the simulations, so a bad --out costs nothing
    out_dir = prepare_out_dir(out, f"compare-{comp_a.name}", force, "compare", COMPARE_FILES) if out is not None else None
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2 * runs, unit="rep", desc=f"compare {comp_a.name}", file=sys.stderr, dynamic_ncols=True)
    try:
        ra = run_many(comp_a, runs, seed, jobs, progress=bar.update if bar else None)
        rb = run_many(comp_b, runs, seed, jobs, progress=bar.update if bar else None)
    finally:
        if bar is not None:
            bar.close()
    result = {
        "a": str(a),
        "b": str(b if b is not None else a),
        "overrides_b": list(overrides_b or []),
        "runs": runs,
        "seed": seed,
        "differences": {},
    }
    lines = [f"A: {Path(str(a)).stem}: {comp_a.scenario.title or comp_a.name}", f"B: {Path(str(b if b is not None else a)).stem}" + (f" with {' '.join(overrides_b)}" if overrides_b else f": {comp_b.scenario.title or comp_b.name}"),
             f"{runs:,} paired replicates (common random numbers, seed {seed})", "",
             f"  {'':<24} {'A':>7} {'B':>7} {'B - A':>8}   95% CI of the difference"]  # fmt: skip
    for key, label in HEADLINE:
        d = paired_difference([bool(r[key]) for r in ra], [bool(r[key]) for r in rb])
        result["differences"][key] = d
        pa, pb, mean, lo, hi = d["a"], d["b"], d["diff"], d["lo"], d["hi"]
        lines.append(f"  {label:<24} {pa:7.1%} {pb:7.1%} {mean:+8.1%}   [{lo:+.1%}, {hi:+.1%}]")
    text = "\n".join(lines)
    if rows is not None:
        rows.extend([ra, rb])
    if out_dir is not None:
        info = {"a": a, "b": b, "overrides_b": overrides_b, "runs": runs, "seed": seed, "jobs": jobs}
        _write_compare(out_dir, result, ra, rb, info | {"allow_outside": allow_outside})
    return result, text, out_dir


def _write_compare(out_dir: Path, result: dict, ra: list[dict], rb: list[dict], info: dict) -> None:
    """Write a comparison's files atomically, then its manifest; a write error names what was kept whole."""
    import csv

    from negsim.montecarlo.folder import write_recorded
    from negsim.report.plots import plot_compare

    def table(rows):
        def fill(fh):
            w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            w.writeheader()
            w.writerows(rows)

        return fill

    done: list[str] = []
    try:
        for name, rows in (("outcomes_a.csv", ra), ("outcomes_b.csv", rb)):
            write_recorded(out_dir, name, table(rows), newline="")
            done.append(name)
        write_result(out_dir / "comparison.json", json.dumps(result, indent=2) + "\n")
        done.append("comparison.json")
        plot_compare(result, out_dir / "comparison.png", record_in=out_dir)
        done.append("comparison.png")
        write_result(out_dir / "manifest.json", json.dumps(_compare_manifest(out_dir, info), indent=2) + "\n")
    except (OSError, UsageError) as e:  # plot_compare reports its OSError as a UsageError
        why = f"cannot write to {out_dir}: {e.strerror or e}" if isinstance(e, OSError) else str(e)
        kept = f"whole and kept: {', '.join(done)}" if done else "no file was written"
        raise UsageError(f"{why}; {kept} (manifest.json says complete: false)") from None


def _compare_manifest(out_dir: Path, info: dict) -> dict:
    """A comparison's manifest: what was compared, the files with their sha256, and the command that reproduces them."""
    b = info["b"]
    cmd = f"negsim compare {shlex.quote(str(info['a']))}" + (f" {shlex.quote(str(b))}" if b is not None else "")
    cmd += "".join(f" --set {shlex.quote(o)}" for o in info["overrides_b"] or [])
    cmd += f" --runs {info['runs']} --seed {info['seed']}" + (" --allow-outside" if info["allow_outside"] else "")
    from negsim.montecarlo.folder import LAYOUT

    return {
        "kind": "compare",
        "layout": LAYOUT,
        "negsim_version": __version__,
        "a": str(info["a"]),
        "b": str(b if b is not None else info["a"]),
        "overrides_b": list(info["overrides_b"] or []),
        "runs": info["runs"],
        "seed": info["seed"],
        "jobs": info["jobs"],
        "complete": True,
        "command": command_line(),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "nash_search": _nash_search(),
        "files": {name: {"sha256": sha256(out_dir / name)} for name in COMPARE_FILES},
        "reproduce": cmd + " --out DIR",
    }


def history_cases() -> list[Path]:
    """The historical back-test cases: ``scenarios/history/*.yaml`` of the bundled scenarios."""
    from negsim.paths import bundled_dir

    return sorted((bundled_dir() / "history").glob("*.yaml"))


def backtest(
    paths: list[str] | None = None, runs: int = 1000, seed: int = 0, jobs: int = 1, progress: bool = False
) -> tuple[list, str, bool]:
    """Run every historical case (``scenarios/history/``, or ``paths``) and judge each ``backtest:`` check.

    A bound check (``expect: below`` / ``above``) uses one :func:`run` of the case; a paired check
    (``expect: lower`` / ``higher``) uses :func:`compare` of the case against its ``variant`` (the
    ``--set`` changes it lists), on common random numbers. Returns ``(rows, table text, all passed)``,
    the rows being :class:`negsim.report.backtest.BacktestRow`. A case without a ``backtest:`` block is an error.
    """
    from negsim.report.backtest import format_table, judge_bound, judge_paired

    _check_run_options(runs, seed, jobs)
    files = [str(p) for p in history_cases()] if paths is None else list(paths)
    if not files:
        raise UsageError("no historical cases found (looked for scenarios/history/*.yaml)")
    comps = {f: load(f) for f in files}  # every case is validated before any is run
    empty = [f for f, comp in comps.items() if not comp.scenario.backtest]
    if empty:
        raise UsageError(f"{empty[0]} has no backtest: block (a history case states its expected direction there)")
    rows = []
    for f, comp in comps.items():
        runs_of = {}
        for check in comp.scenario.backtest:
            if check.variant is None:
                if "run" not in runs_of:
                    runs_of["run"] = run(f, runs=runs, seed=seed, jobs=jobs, write=False, progress=progress).summary
                prob = runs_of["run"]["probabilities"][check.outcome]
                rows.append(judge_bound(comp.name, check.outcome, check.expect, check.bound, prob))
                continue
            _check_variant(f, check.variant.set)
            result, _, _ = compare(f, None, list(check.variant.set), runs=runs, seed=seed, jobs=jobs, progress=progress)
            d = result["differences"][check.outcome]  # B - A: the variant minus the case
            case_minus_variant = {"a": d["a"], "b": d["b"], "lo": -d["hi"], "hi": -d["lo"]}
            rows.append(judge_paired(comp.name, check.outcome, check.expect, check.variant.label, case_minus_variant))
    return rows, format_table(rows, runs, seed), all(r.passed for r in rows)


def _check_variant(path: str, changes: list[str]) -> None:
    """A variant's ``--set`` changes must make a valid scenario; else a one-line error naming the case."""
    try:
        load(path, changes)
    except ScenarioError as e:
        p = e.problems[0]
        raise UsageError(f"{path}: backtest variant {' '.join(changes)!r} is not valid: {p.path}: {p.message}") from None


@dataclass
class Sensitivity:
    """A sensitivity analysis (:func:`sensitivity`): the indices as a DataFrame, the answer in words, where it is."""

    out_dir: Path
    complete: bool
    method: str
    indices: object  # a pandas DataFrame: outcome, parameter, method, index, estimate, lo, hi, sigma, separable
    text: str
    table_text: str


def sensitivity(scenario: str | Path, params: list[str], runs: int = 200, seed: int = 0, jobs: int = 1, **options) -> Sensitivity:
    """Global sensitivity of the headline outcomes to ``params`` (``PATH=LOW:HIGH``), Morris or Sobol (SALib).

    ``options`` are :func:`negsim.montecarlo.sensitivity.run`'s: ``method`` (morris or sobol),
    ``samples``, ``out``, ``resume``, ``force``, ``progress``, ``scheduler``, ``overrides``, ``allow_outside``.

    >>> res = sensitivity("mini", ["actors.AAA.reservation=0:0.3"], runs=20, out=tmp)  # doctest: +SKIP
    >>> res.indices.query("outcome == 'survived'")[["parameter", "estimate", "lo", "hi"]]  # doctest: +SKIP
    """
    from negsim.montecarlo import sensitivity as sa
    from negsim.montecarlo.sweep import parse_spec

    _check_run_options(runs, seed, jobs)
    specs = [parse_spec(p) for p in params]
    res = sa.run(resolve_scenario_path(str(scenario)), specs, runs=runs, seed=seed, jobs=jobs, **options)
    import pandas as pd

    frame = pd.DataFrame([i.row() for i in res.indices], columns=list(sa.FIELDS))
    return Sensitivity(res.out_dir, res.complete, res.method, frame, res.text, _indices_table(res.indices, res.method))


def _indices_table(indices: list, method: str) -> str:
    """The indices as a terminal table: one line per outcome and parameter, largest first."""
    from negsim.montecarlo.sensitivity import LABELS

    key = "mu_star" if method == "morris" else "ST"
    head = f"{'outcome':<24}  {'parameter':<30}  " + (
        f"{'mu*':>8}  {'95% interval':>18}  {'sigma':>7}" if method == "morris" else f"{'ST':>7}  {'95% interval':>16}  {'S1':>7}"
    )
    lines = [head]
    for outcome in dict.fromkeys(i.outcome for i in indices):
        rows = sorted((i for i in indices if i.outcome == outcome and i.index == key), key=lambda i: -i.estimate)
        s1 = {i.parameter: i for i in indices if i.outcome == outcome and i.index == "S1"}
        for i in rows:
            mark = "" if i.separable is not False else "  ~ noise"
            if i.sigma is None and i.separable is None and i.parameter.startswith("("):  # the noise floor's row
                lines.append(f"{LABELS[outcome]:<24}  {i.parameter:<30}  {i.estimate:>8.4f}  (what replicate noise alone gives)")
                continue
            if method == "morris":
                tail = f"{i.estimate:>8.4f}  [{i.lo:>7.4f}, {i.hi:>7.4f}]  {i.sigma:>7.4f}"
            else:
                tail = f"{i.estimate:>7.3f}  [{i.lo:>6.3f}, {i.hi:>6.3f}]  {s1[i.parameter].estimate:>7.3f}"
            lines.append(f"{LABELS[outcome]:<24}  {i.parameter:<30}  {tail}{mark}")
    return "\n".join(lines)


def discover(result: str | Path, outcome: str = "survived", threshold: float = 0.5, density: float = 0.8):
    """Scenario discovery with PRIM over a finished sweep or sensitivity folder; see :mod:`negsim.report.discover`.

    Returns a :class:`~negsim.report.discover.DiscoverResult` whose ``tradeoff`` and ``box`` are also
    given as DataFrames by :func:`discover_frames`.
    """
    from negsim.report.discover import discover as _discover

    return _discover(result, outcome=outcome, threshold=threshold, density=density)


def discover_frames(res) -> tuple:
    """A :func:`discover` result's peeling trade-off and chosen box as two pandas DataFrames."""
    import pandas as pd

    from negsim.report.discover import BOX_FIELDS, TRADEOFF_FIELDS

    return pd.DataFrame(res.tradeoff, columns=list(TRADEOFF_FIELDS)), pd.DataFrame(res.box, columns=list(BOX_FIELDS))
