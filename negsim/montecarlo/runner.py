"""Monte Carlo runs: replicate seeds, worker processes, streaming the outcome table.

Seeds: ``SeedSequence(seed).spawn(runs)`` in the parent; replicate ``i`` always gets child
``i`` (equivalently ``SeedSequence(seed, spawn_key=(i,))``), whatever the number of workers,
so the outcome table is identical for any ``--jobs``. Workers are forked once per run,
inherit the compiled scenario, and receive chunks of replicate indices, at most two chunks
per worker at a time, so memory does not grow with ``--runs``. The first Ctrl-C or kill stops
a run: the workers are killed, the finished replicates saved; a second one is ignored until then.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

import numpy as np

from negsim.montecarlo import pool
from negsim.montecarlo.pool import STOP_SIGNALS, WorkerPool
from negsim.scenario.compile import CompiledScenario

_SEED: int = 0


def replicate_rng(seed: int, i: int) -> np.random.Generator:
    """The generator of replicate ``i`` of a run with root ``seed``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i,)))


def run_replicate(comp: CompiledScenario, seed: int, i: int, trace: bool = False):
    """Play replicate ``i``; returns its outcome row (and the model when tracing)."""
    from negsim.model.model import NegotiationModel

    model = NegotiationModel(comp, replicate_rng(seed, i), trace=trace)
    row = {"replicate": i, "seed": seed}
    row.update(model.run())
    if not trace:
        model.release()
    return (row, model) if trace else row


_COMPS: dict = {}


def _init(comps: dict, seed: int) -> None:
    """Set up a process to run tasks: the compiled scenarios by key, the root seed, one BLAS thread."""
    global _COMPS, _SEED
    _COMPS, _SEED = comps, seed
    single_threaded_blas()


_WARNED_JOBS: set[int] = set()


def usable_jobs(jobs: int) -> int:
    """``jobs``, capped at 4x the CPUs this process may use (a typo like --jobs 10000 must not fork 10,000 workers).

    More workers than CPUs are allowed (results are identical for any number) but are no faster,
    so that gets a warning.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    limit = 4 * cpus
    if jobs > cpus and jobs not in _WARNED_JOBS:
        from negsim.errors import warn

        _WARNED_JOBS.add(jobs)
        capped = f"; using {limit}" if jobs > limit else ""
        warn(f"--jobs {jobs} is more than the {cpus} CPU(s) available, which is no faster{capped}")
    return min(jobs, limit)


def single_threaded_blas() -> None:
    """Limit BLAS to one thread per process.

    Our arrays are tiny: BLAS threads only fight each other (measured: --jobs 2 gave 1.1x
    with OpenBLAS threads on, 2x with them off).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run_chunk(comp: CompiledScenario, seed: int, indices: Iterable[int]) -> list[dict]:
    """Play the replicates ``indices`` of one compiled scenario (the unit of work of every executor)."""
    return [run_replicate(comp, seed, i) for i in indices]


def _task(key, indices: Iterable[int]) -> tuple:
    return key, run_chunk(_COMPS[key], _SEED, indices)


def chunks(indices: Sequence[int], jobs: int, max_size: int = 250) -> Iterator[Sequence[int]]:
    """Split replicate indices (a ``range`` stays a range) into chunks: a few per worker, so progress moves smoothly.

    Lazy, so a run's tasks are made as the workers take them, not all up front.
    """
    size = max(1, min(max_size, len(indices) // max(1, jobs * 8)))
    return (indices[k : k + size] for k in range(0, len(indices), size))


class LocalExecutor:
    """Worker processes (:class:`negsim.montecarlo.pool.WorkerPool`) started on the first task, stopped by :meth:`close`.

    ``comps`` maps a key (a sweep point; 0 for a plain run) to its compiled scenario; tasks
    are (key, replicate indices). With ``jobs == 1`` everything runs in this process.
    """

    def __init__(self, comps: dict, seed: int, jobs: int = 1):
        self.comps, self.seed = comps, seed
        self.jobs = jobs = usable_jobs(jobs)
        self.pool = WorkerPool(jobs, _task, _init, (comps, seed)) if jobs > 1 else None
        if self.pool is None:
            _init(comps, seed)

    def map(self, tasks: Iterable[tuple]) -> Iterator[tuple]:
        """Yield (key, rows) for each task as it finishes (in any order), taking tasks only as workers come free."""
        if self.pool is None:
            return (_task(key, idx) for key, idx in tasks)
        return self.pool.imap_unordered(tasks)

    def close(self, kill: bool = False) -> None:
        """Stop the workers; ``kill`` stops them at once, dropping the tasks in progress (after an interrupt)."""
        if self.pool is not None:
            self.pool.close(kill)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        self.close(kill=exc_type is not None)


class DaskExecutor:
    """The same tasks on an existing Dask cluster (``dask.distributed``); rows are identical."""

    def __init__(self, comps: dict, seed: int, address: str):
        try:
            from dask.distributed import Client
        except ImportError:
            from negsim.errors import UsageError

            raise UsageError("--scheduler needs dask.distributed: pip install 'negsim[dask]'") from None
        from negsim.errors import UsageError

        try:
            self.client = Client(address, timeout="10s") if isinstance(address, str) else address
        except (OSError, ValueError, TypeError) as e:  # unreachable, or not an address (e.g. "garbage")
            raise UsageError(
                f"cannot reach the Dask scheduler at {address}: {e} (expected an address like tcp://host:8786)"
            ) from None
        self.own = isinstance(address, str)
        self.seed = seed
        self.comps = {k: self.client.scatter(c, broadcast=True) for k, c in comps.items()}

    def map(self, tasks: Iterable[tuple]) -> Iterator[tuple]:
        """Yield (key, rows) for each task as it finishes, with two tasks per worker thread in flight (not all of them)."""
        from dask.distributed import as_completed

        todo = iter(tasks)
        keys: dict = {}
        running = as_completed()

        def submit_next() -> None:
            for key, idx in itertools.islice(todo, 1):
                fut = self.client.submit(run_chunk, self.comps[key], self.seed, idx, pure=False)
                keys[fut] = key
                running.add(fut)

        for _ in range(2 * max(1, sum(self.client.nthreads().values()))):
            submit_next()
        for fut in running:
            submit_next()
            yield keys.pop(fut), fut.result()
            fut.release()

    def close(self, kill: bool = False) -> None:
        """Disconnect (the cluster itself keeps running; tasks in progress are dropped with their futures)."""
        if self.own:
            self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def iter_outcomes(comp: CompiledScenario, seed: int, indices: Sequence[int], jobs: int = 1) -> Iterator[list[dict]]:
    """Yield chunks of outcome rows of one scenario as they finish (in any order)."""
    with LocalExecutor({0: comp}, seed, jobs) as ex:
        for _, rows in ex.map((0, ch) for ch in chunks(indices, jobs)):
            yield rows


def _python_handlers() -> dict:
    """The stop signals (SIGINT, SIGTERM) that Python code handles here, with their handlers.

    Ignored or default signals keep their meaning (a run started with SIGINT ignored, as by
    ``nohup``, stays deaf to it); signals can only be handled in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    handlers = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    return {s: h for s, h in handlers.items() if callable(h)}


@contextlib.contextmanager
def interrupts_deferred():
    """Hold Ctrl-C and kill (when Python handles them) until the block ends, then pass them to the handler.

    Used around handing a chunk of rows to the summary and the CSV, so an interrupt can never
    land between the two and leave them disagreeing by a row. The handler that was in place
    gets the first held signal after the block (Python's default raises KeyboardInterrupt).
    """
    caught: list[int] = []

    def hold(signum, frame):
        caught.append(signum)

    held = _python_handlers()
    for s in held:
        signal.signal(s, hold)
    try:
        yield
    finally:
        for s, h in held.items():
            signal.signal(s, h)
    if caught:
        held[caught[0]](caught[0], None)


class StopOnce:
    """Within ``with StopOnce() as stop:``, the first Ctrl-C or kill raises KeyboardInterrupt; later ones are ignored.

    A run that is stopping kills its workers and writes what finished in a fraction of a second;
    a second Ctrl-C must not cut that short (it used to land in the pool's shutdown, leave only
    ``outcomes.csv.tmp`` and hang the exit). :meth:`saving` makes every interrupt from then on
    ignored too, while a finished run writes its files. Outside the main thread, or for signals
    Python does not handle, it does nothing. In the negsim command
    (:func:`~negsim.montecarlo.pool.stopped_for_good`) a block that an interrupt stopped keeps
    ignoring interrupts after it ends, so the command's last words and exit code survive them.
    """

    NOTE = b"negsim: stopping: saving the finished replicates first\n"

    def __init__(self):
        self.stopping = False
        self.interrupted = False
        self.noted = False
        self.previous: dict = {}

    def __enter__(self) -> StopOnce:
        self.previous = _python_handlers()
        for s in self.previous:
            signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        if self.interrupted and pool.STOPPED_FOR_GOOD:  # keep _handle: later interrupts are noted and ignored
            return
        for s, h in self.previous.items():
            signal.signal(s, h)

    def saving(self) -> None:
        """From now on, ignore interrupts: the results are being written."""
        self.stopping = True

    def _handle(self, signum, frame) -> None:
        if not self.stopping:
            self.stopping = self.interrupted = True
            raise KeyboardInterrupt
        if not self.noted:  # os.write, not print: a handler may run in the middle of another write to stderr
            self.noted = True
            with contextlib.suppress(OSError):
                os.write(2, self.NOTE)


class InOrder:
    """Re-orders rows arriving in any order and hands them on in replicate order.

    ``emit`` is called with each row as soon as all rows before it have arrived.
    """

    def __init__(self, emit: Callable[[dict], None], first: int = 0):
        self.emit = emit
        self.pending: dict[int, dict] = {}
        self.next = first
        self.count = 0

    def add(self, rows: list[dict]) -> None:
        """Queue rows; pass on every row whose predecessors have all been passed on."""
        for r in rows:
            self.pending[r["replicate"]] = r
        while self.next in self.pending:
            self.emit(self.pending.pop(self.next))
            self.count += 1
            self.next += 1


class CSVRows:
    """A CSV file written row by row (the header from the first row), fsynced on close."""

    def __init__(self, target):
        """``target``: a text file already open for writing (``newline=""``), or a path to create."""
        self.fh = target if hasattr(target, "write") else open(target, "w", newline="")
        self.writer = None
        self.count = 0

    def write(self, row: dict) -> None:
        """Append one row."""
        if self.writer is None:
            self.writer = csv.DictWriter(self.fh, fieldnames=list(row), lineterminator="\n")
            self.writer.writeheader()
        self.writer.writerow(row)
        self.count += 1

    def close(self) -> None:
        """Flush to disk and close."""
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()


def run_many(
    comp: CompiledScenario,
    runs: int,
    seed: int,
    jobs: int = 1,
    sink: Callable[[list[dict]], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict] | None:
    """Run ``runs`` replicates; rows go to ``sink`` (in completion order) or are returned sorted."""
    rows: list[dict] = []
    for batch in iter_outcomes(comp, seed, range(runs), jobs):
        if sink is not None:
            sink(batch)
        else:
            rows.extend(batch)
        if progress is not None:
            progress(len(batch))
    if sink is None:
        rows.sort(key=lambda r: r["replicate"])
        return rows
    return None
