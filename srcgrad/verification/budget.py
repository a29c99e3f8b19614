"""Running work that may not finish (sympy simplification) under a deadline.

`Workers(jobs, seconds)` runs each job in a forked child process, a few at
a time (one per CPU), and kills whatever is still running at the deadline, so
a simplification that never ends cannot hang the caller.  A job is a callable
taking ``note(message)`` (to say what it is trying, shown when it runs out of
time) and returning a small picklable result.  Where ``fork`` is not available
jobs run in daemon threads instead: the caller still gets its answer at the
deadline, the abandoned thread finishes in the background.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any, Callable, Hashable

Job = Callable[[Callable[[str], None]], Any]


@dataclass
class Outcome:
    """What one job came to: its result, or that it ran out of time (or crashed)."""

    result: Any = None
    finished: bool = False
    last_note: str = ""
    error: str = ""


class Workers:
    """Jobs running in the background until `collect`.

    ``Workers(jobs, seconds)`` starts them (as many at once as there are
    CPUs) with a shared deadline; the caller can do other work meanwhile and
    then `collect` the outcomes."""

    def __init__(self, jobs: dict[Hashable, Job], seconds: float) -> None:
        self.jobs = jobs
        self.deadline = time.monotonic() + max(seconds, 0.0)
        self.outcomes = {key: Outcome() for key in jobs}
        self.pending = list(jobs) if seconds > 0 else []
        self.running: dict[Any, tuple[Hashable, Any]] = {}   # parent's connection -> (key, process)
        self.slots = max(1, os.cpu_count() or 1)
        try:
            self.context: Any = multiprocessing.get_context("fork")
        except ValueError:  # pragma: no cover - platforms without fork
            self.context = None
        if self.context is not None:
            self._start_pending()

    def _start_pending(self) -> None:
        while self.pending and len(self.running) < self.slots:
            key = self.pending.pop(0)
            parent, child = self.context.Pipe(duplex=False)
            process = self.context.Process(target=_child, args=(self.jobs[key], child), daemon=True)
            process.start()
            child.close()
            self.running[parent] = (key, process)

    def collect(self) -> dict[Hashable, Outcome]:
        """Wait (at most until the deadline) for the jobs; their outcomes."""
        if self.context is None:  # pragma: no cover
            return _run_in_threads({key: self.jobs[key] for key in self.pending}, self.deadline)
        try:
            while (self.pending or self.running) and time.monotonic() < self.deadline:
                self._start_pending()
                timeout = min(0.05, max(self.deadline - time.monotonic(), 0.0))
                for conn in wait(list(self.running), timeout=timeout):
                    if _receive(conn, self.outcomes[self.running[conn][0]]):
                        self._stop(conn)
        finally:
            for conn in list(self.running):
                while conn.poll() and not _receive(conn, self.outcomes[self.running[conn][0]]):
                    pass
                self._stop(conn)
        return self.outcomes

    def _stop(self, conn: Any) -> None:
        _, process = self.running.pop(conn)
        if process.is_alive():
            process.kill()
        process.join()
        conn.close()


def _child(job: Job, conn: Any) -> None:  # pragma: no cover - runs in the forked child
    try:
        conn.send(("result", job(lambda message: conn.send(("note", message)))))
    except BaseException as err:  # report anything, including RecursionError
        conn.send(("error", f"{type(err).__name__}: {err}"))
    finally:
        conn.close()
        os._exit(0)


def _receive(conn: Any, outcome: Outcome) -> bool:
    """Read one message; True when the job is over (result, error or EOF)."""
    try:
        kind, payload = conn.recv()
    except (EOFError, OSError):
        outcome.error = outcome.error or "the worker process died"
        return True
    if kind == "note":
        outcome.last_note = payload
        return False
    if kind == "result":
        outcome.result, outcome.finished = payload, True
    else:
        outcome.error = payload
    return True


def _run_in_threads(jobs: dict[Hashable, Job], deadline: float) -> dict[Hashable, Outcome]:  # pragma: no cover
    outcomes = {key: Outcome() for key in jobs}

    def work(key: Hashable) -> None:
        outcome = outcomes[key]
        try:
            outcome.result = jobs[key](lambda message: setattr(outcome, "last_note", message))
            outcome.finished = True
        except Exception as err:
            outcome.error = f"{type(err).__name__}: {err}"

    threads = [threading.Thread(target=work, args=(key,), daemon=True) for key in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(deadline - time.monotonic(), 0))
    return outcomes
