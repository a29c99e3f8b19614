"""Timing and checking helpers shared by the benchmarks.

Timing rules, for a noisy shared machine:

* every candidate runs through `timeit` with a *statement string*
  (``f(a0, a1)``), so no lambda or wrapper frame is added to what is timed;
* candidates are interleaved (one repeat of each, in rotating order, many
  times over) so drift hits all of them alike;
* a time is the minimum over repeats (the least disturbed run); a ratio is
  the median over repeats of the ratio of two candidates timed side by side
  in the same repeat, which other processes disturb far less than either time;
* only ratios between candidates of the same run are meaningful.

Before anything is timed, `check` compares the hand-written derivative with
central finite differences and with srcgrad, and raises `BenchmarkError` if
they disagree: timing a wrong gradient is worse than useless.
"""
from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time
import timeit
import types
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import srcgrad
from srcgrad.frontend import cache

REPEATS = 400           # interleaved repeats per candidate
TARGET = 0.0002         # seconds per repeat: short, so that most fall between disturbances
DECORATE_REPEATS = 15


class BenchmarkError(AssertionError):
    """A derivative under benchmark disagrees with its reference."""


@dataclass(frozen=True)
class Case:
    """One benchmark: a primal, its hand-written derivative and a point.

    `transform` builds srcgrad's version from the primal (default: the
    gradient with respect to `argnums`, all arguments if None); `reference`
    is the function whose finite differences the hand derivative must match
    (default: the primal).
    """

    name: str
    primal: Callable[..., Any]
    hand: Callable[..., Any]
    args: tuple
    argnums: int | tuple[int, ...] | None = None
    transform: Callable[..., Any] | None = None
    reference: Callable[..., Any] | None = None
    tol: float = 1e-6

    @property
    def grad_argnums(self) -> int | tuple[int, ...]:
        """As given; by default every argument (a bare 0 for one argument, so
        the gradient is a number, as the hand-written one returns)."""
        if self.argnums is not None:
            return self.argnums
        return 0 if len(self.args) == 1 else tuple(range(len(self.args)))

    @property
    def wrt(self) -> tuple[int, ...]:
        n = self.grad_argnums
        return (n,) if isinstance(n, int) else n

    def build(self, fun: Callable[..., Any]) -> Any:
        if self.transform is not None:
            return self.transform(fun)
        return srcgrad.grad(fun, argnums=self.grad_argnums)


@dataclass
class Row:
    """Timings of one case.  Candidates: "primal", "hand", and unless srcgrad
    refused the function, "srcgrad" (calling what `grad` returned) and
    "plain" (calling its `.generated` function directly)."""

    name: str
    best: dict[str, float]           # seconds per call, min over repeats
    ratios: dict[str, float]         # candidate / hand, median over repeats
    decorate: float | None           # CPU seconds, min over fresh applications
    note: str = ""


# --- numbers -------------------------------------------------------------------

def flatten(value: Any) -> list[float]:
    if isinstance(value, (tuple, list)):
        return [x for item in value for x in flatten(item)]
    return [float(value)]


def finite_differences(fn: Callable[..., Any], args: Sequence[float], wrt: Sequence[int]) -> list[float]:
    """Central differences of every output of `fn` with respect to each
    argument in `wrt`, output-major (the layout of a gradient or a Hessian)."""
    columns = []
    for i in wrt:
        h = 1e-6 * max(1.0, abs(args[i]))
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        columns.append([(u - d) / (2 * h) for u, d in zip(flatten(fn(*up)), flatten(fn(*down)))])
    return [col[k] for k in range(len(columns[0])) for col in columns]


def _close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def check(case: Case, generated: Any | None) -> None:
    """Raise `BenchmarkError` unless the hand derivative matches finite
    differences and (if given) srcgrad's."""
    hand = flatten(case.hand(*case.args))
    fd = finite_differences(case.reference or case.primal, case.args, case.wrt)
    _compare(case, "finite differences", hand, fd, case.tol)
    if generated is not None:
        _compare(case, "srcgrad", hand, flatten(generated(*case.args)), 1e-9)


def _compare(case: Case, what: str, hand: list[float], other: list[float], tol: float) -> None:
    if len(hand) != len(other) or not all(_close(h, o, tol) for h, o in zip(hand, other)):
        raise BenchmarkError(f"{case.name}: hand-written derivative disagrees with {what} at "
                             f"{case.args}:\n  hand  {hand}\n  {what:5} {other}")


# --- time ----------------------------------------------------------------------

def _timers(funcs: dict[str, Callable[..., Any]], args: tuple) -> dict[str, timeit.Timer]:
    names = [f"a{i}" for i in range(len(args))]
    namespace = dict(zip(names, args))
    stmt = f"f({', '.join(names)})"
    return {key: timeit.Timer(stmt, globals={**namespace, "f": fn}) for key, fn in funcs.items()}


def time_interleaved(funcs: dict[str, Callable[..., Any]], args: tuple,
                     repeats: int = REPEATS) -> dict[str, list[float]]:
    """Seconds per call of each function in each of `repeats` interleaved
    repeats (the i-th entries of two lists were measured side by side)."""
    timers = _timers(funcs, args)
    slowest = max(timers.values(), key=lambda t: t.timeit(3))
    number, _ = slowest.autorange()
    number = max(1, int(number * TARGET / max(slowest.timeit(number), 1e-9)))
    samples: dict[str, list[float]] = {key: [] for key in timers}
    keys = list(timers)
    for r in range(repeats):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            samples[key].append(timers[key].timeit(number) / number)
    return samples


def paired_ratio(samples: dict[str, list[float]], key: str, reference: str) -> float:
    """Median over repeats of `key`'s time over `reference`'s in the same repeat."""
    return statistics.median(k / r for k, r in zip(samples[key], samples[reference]))


def fresh_copy(fun: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object with the same code, so no cache keyed on the
    function can answer for it."""
    copy = types.FunctionType(fun.__code__, fun.__globals__, fun.__name__, fun.__defaults__,
                              fun.__closure__)
    copy.__dict__.update(fun.__dict__)
    return copy


def decoration_time(case: Case, repeats: int = DECORATE_REPEATS) -> float:
    """CPU seconds to apply srcgrad to a fresh function (parse to compiled
    code), the minimum over `repeats` applications with the lowering cache
    cleared.  CPU time, not wall time: on a shared machine wall time mostly
    measures the other processes."""
    times = []
    for _ in range(repeats):
        fun = fresh_copy(case.primal)
        cache.clear()
        start = time.process_time()
        case.build(fun)
        times.append(time.process_time() - start)
    return min(times)


def measure(case: Case) -> Row:
    """Check, then time, one case.  A function srcgrad refuses (for now) gets
    a row without srcgrad numbers."""
    try:
        generated = case.build(case.primal)
    except srcgrad.SrcGradError as err:
        generated, note = None, f"srcgrad: not supported yet ({type(err).__name__})"
    else:
        note = ""
    check(case, generated)
    funcs = {"primal": case.primal, "hand": case.hand}
    if generated is not None:
        funcs["srcgrad"] = generated
        funcs["plain"] = getattr(generated, "generated", generated)
    samples = time_interleaved(funcs, case.args)
    return Row(case.name, {key: min(times) for key, times in samples.items()},
               {key: paired_ratio(samples, key, "hand") for key in samples},
               decoration_time(case) if generated is not None else None, note)


def import_time(repeats: int = 7) -> tuple[float, float, bool]:
    """Wall and CPU seconds for ``import srcgrad`` in a fresh interpreter
    (each the min of `repeats`), and whether sympy got imported with it."""
    code = ("import sys, time; w, c = time.perf_counter(), time.process_time(); import srcgrad; "
            "print(time.perf_counter() - w, time.process_time() - c, 'sympy' in sys.modules)")
    wall = cpu = math.inf
    sympy_loaded = False
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=_repo_root()).stdout.split()
        wall, cpu = min(wall, float(out[0])), min(cpu, float(out[1]))
        sympy_loaded |= out[2] == "True"
    return wall, cpu, sympy_loaded


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
