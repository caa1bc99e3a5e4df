"""Worker processes for runs and sweeps: little work in flight, stopped at once, gone with their parent.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: a future keeps its rows until the caller
drops it (submitting a whole run's chunks kept every row: about 1.1 kB per replicate); a running
task cannot be stopped (its shutdown waited for the chunks in progress, about 25 s on a slow
scenario); and a second Ctrl-C landing in that shutdown left its manager thread for the
interpreter's exit to wait on for ever. Here each worker has one pipe; the parent sends it at
most ``ahead`` tasks, reads results with :func:`multiprocessing.connection.wait`, and on an
interrupt ``kill()``s the workers: no thread to join, nothing to drain.

Workers ignore Ctrl-C and kill (SIGINT, SIGTERM: a terminal sends them to the whole process group;
the parent saves what finished and stops the workers), and die with their parent: on Linux by
``prctl(PR_SET_PDEATHSIG, SIGKILL)``, elsewhere by a thread that watches the parent's pid.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
STOPPED_FOR_GOOD = False  # set by the negsim command: see stopped_for_good()


def stopped_for_good(on: bool = True) -> None:
    """Once an interrupt has stopped the work, ignore later ones until the process exits.

    The negsim command sets it: after the first Ctrl-C it only saves what finished, says how to
    resume and exits with 130, and a second Ctrl-C a moment later must not cut that message
    short (it used to land just after the workers were gone and print a bare "interrupted").
    A Python caller (a notebook, a test) leaves it off and gets its own handlers back.
    """
    global STOPPED_FOR_GOOD
    STOPPED_FOR_GOOD = on


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class WorkerDied(RuntimeError):
    """A worker process ended while it still had work (killed from outside, or out of memory)."""

    def __init__(self, exitcode: int | None):
        self.exitcode = exitcode
        how = f"was killed by signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exited ({exitcode})"
        hint = " (out of memory?)" if exitcode == -signal.SIGKILL else ""
        super().__init__(f"a worker process {how}{hint} before finishing its replicates")


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, chained to it as its ``__cause__``."""

    def __str__(self) -> str:
        return self.args[0]


def die_with_parent(parent: int) -> None:
    """Make this process end when process ``parent`` does (call first thing in a worker).

    Linux: the kernel sends SIGKILL when the parent exits; the pid check closes the race of a
    parent that died before the ``prctl``. Elsewhere, a daemon thread checks twice a second.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0:
                if os.getppid() != parent:
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="negsim-parent-watch").start()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """Exit this process as soon as its parent is no longer ``parent`` (it died; we were re-parented)."""
    stop = threading.Event()
    while not stop.wait(every):
        if os.getppid() != parent:
            os._exit(1)


@contextlib.contextmanager
def signals_blocked():
    """Block SIGINT and SIGTERM in this thread (where the platform can): a child forked here starts with them blocked.

    A signal that arrives meanwhile is delivered when the block ends, so a worker can never be
    interrupted before it has set its handlers, nor the parent between two forks.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _serve(conn: Connection, fn: Callable, init: Callable, initargs: tuple, parent: int) -> None:
    """A worker's life: ignore stop signals, follow the parent, then run tasks from ``conn`` until told to stop."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    die_with_parent(parent)
    init(*initargs)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the parent closed the pipe or is gone
            return
        if task is None:
            return
        try:
            reply = (True, fn(*task))
        except Exception as e:  # shipped to the parent, which raises it there
            reply = (False, _portable(e))
        conn.send(reply)


def _portable(e: Exception) -> tuple[Exception, str]:
    """An exception and its formatted traceback, as something that can be pickled."""
    import pickle
    import traceback

    tb = "".join(traceback.format_exception(e))
    try:
        pickle.dumps(e)
    except Exception:
        e = RuntimeError(f"{type(e).__name__}: {e}")
    return e, tb


@dataclass
class _Worker:
    process: mp.process.BaseProcess
    conn: Connection
    busy: int = 0  # tasks sent and not answered yet


class WorkerPool:
    """``jobs`` worker processes running ``fn(*task)``; started on first use, each worker first calls ``init(*initargs)``.

    Forked where the platform allows (workers inherit ``initargs`` without pickling), else spawned.
    """

    def __init__(self, jobs: int, fn: Callable, init: Callable, initargs: tuple = (), ahead: int = 2):
        self.jobs, self.fn, self.init, self.initargs, self.ahead = jobs, fn, init, initargs, ahead
        self.workers: list[_Worker] = []

    def _start(self) -> None:
        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        ctx = mp.get_context(method)
        with signals_blocked():
            for k in range(self.jobs):
                mine, theirs = ctx.Pipe()
                args = (theirs, self.fn, self.init, self.initargs, os.getpid())
                proc = ctx.Process(target=_serve, args=args, daemon=True, name=f"negsim-worker-{k + 1}")
                proc.start()
                theirs.close()
                self.workers.append(_Worker(proc, mine))

    def imap_unordered(self, tasks: Iterable[tuple]) -> Iterator:
        """Yield ``fn(*task)`` for each task as it finishes, in any order; at most ``ahead`` tasks per worker in flight.

        A task's exception is raised here (its worker's traceback as ``__cause__``); a worker
        that dies raises :class:`WorkerDied`.
        """
        if not self.workers:
            self._start()
        todo = iter(tasks)
        for w in self.workers:
            for _ in range(self.ahead):
                self._send(w, todo)
        while any(w.busy for w in self.workers):
            for w in self._ready():
                try:
                    ok, value = w.conn.recv()
                except (EOFError, OSError):  # its end of the pipe closed: the worker died mid-reply
                    raise self._died(w) from None
                w.busy -= 1
                self._send(w, todo)  # keep it busy while the caller handles this result
                if not ok:
                    exc, tb = value
                    raise exc from RemoteTraceback(tb)
                yield value

    def _ready(self) -> list[_Worker]:
        """The busy workers with a reply waiting (blocks until there is one); :class:`WorkerDied` if one has died."""
        busy = [w for w in self.workers if w.busy]
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
        for w in busy:
            if w.process.sentinel in ready and w.conn not in ready and not self._has_reply(w):
                raise self._died(w)
        return [w for w in busy if w.conn in ready]

    @staticmethod
    def _has_reply(w: _Worker) -> bool:
        try:
            return w.conn.poll()
        except (EOFError, OSError):
            return False

    @staticmethod
    def _died(w: _Worker) -> WorkerDied:
        """The error for a worker whose pipe or process ended while it had work (waits for its exit code)."""
        w.process.join(5)
        return WorkerDied(w.process.exitcode)

    def _send(self, w: _Worker, todo: Iterator[tuple]) -> None:
        task = next(todo, None)
        if task is not None:
            try:
                w.conn.send(task)
            except OSError:  # a broken pipe: the worker is gone
                raise self._died(w) from None
            w.busy += 1

    def close(self, kill: bool = False) -> None:
        """Stop the workers: at once with ``kill`` (or when any still has work), else after they finish.

        Idempotent. A worker that does not stop within 5 s of being asked is killed.
        """
        kill = kill or any(w.busy for w in self.workers)
        for w in self.workers:
            if kill:
                w.process.kill()
            else:
                with contextlib.suppress(OSError):
                    w.conn.send(None)
        for w in self.workers:
            w.process.join(None if kill else 5)
            if w.process.exitcode is None:
                w.process.kill()
                w.process.join()
            w.conn.close()
        self.workers = []
