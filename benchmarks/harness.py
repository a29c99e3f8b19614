"""Timing and checking helpers shared by the benchmarks.

Timing rules, for a noisy shared machine:

* every candidate runs through `timeit` with a *statement string*
  (``f(a0, a1)``), so no lambda or wrapper frame is added to what is timed;
* candidates are interleaved (one repeat of each, in rotating order, many
  times over) so drift hits all of them alike, and the minimum over repeats is
  reported: the least disturbed run;
* only ratios between candidates of the same run are meaningful.

Before anything is timed, `check` compares the hand-written derivative with
central finite differences and with srcgrad, and raises `BenchmarkError` if
they disagree: timing a wrong gradient is worse than useless.
"""
from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time
import timeit
import types
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import srcgrad
from srcgrad.frontend import lower

REPEATS = 25            # interleaved repeats per candidate
TARGET = 0.004          # seconds per repeat, to choose the loop count
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
    name: str
    primal: float
    hand: float
    srcgrad: float | None            # calling what grad() returned; None: refused
    plain: float | None              # calling its `.generated` function directly
    decorate: float | None           # seconds, min over fresh applications
    note: str = ""

    def ratio(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.hand


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
                     repeats: int = REPEATS) -> dict[str, float]:
    """Seconds per call of each function, the minimum over interleaved repeats."""
    timers = _timers(funcs, args)
    slowest = max(timers.values(), key=lambda t: t.timeit(3))
    number, _ = slowest.autorange()
    number = max(1, int(number * TARGET / max(slowest.timeit(number), 1e-9)))
    best = {key: math.inf for key in timers}
    keys = list(timers)
    for r in range(repeats):
        for key in keys[r % len(keys):] + keys[:r % len(keys)]:
            best[key] = min(best[key], timers[key].timeit(number) / number)
    return best


def fresh_copy(fun: Callable[..., Any]) -> Callable[..., Any]:
    """A new function object with the same code, so no cache keyed on the
    function can answer for it."""
    copy = types.FunctionType(fun.__code__, fun.__globals__, fun.__name__, fun.__defaults__,
                              fun.__closure__)
    copy.__dict__.update(fun.__dict__)
    return copy


def decoration_time(case: Case, repeats: int = DECORATE_REPEATS) -> float:
    """Seconds to apply srcgrad to a fresh function (parse to compiled code),
    the minimum over `repeats` applications with the lowering cache cleared."""
    times = []
    for _ in range(repeats):
        fun = fresh_copy(case.primal)
        lower._CACHE.clear()
        start = time.perf_counter()
        case.build(fun)
        times.append(time.perf_counter() - start)
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
    times = time_interleaved(funcs, case.args)
    return Row(case.name, times["primal"], times["hand"], times.get("srcgrad"), times.get("plain"),
               decoration_time(case) if generated is not None else None, note)


# --- reporting -----------------------------------------------------------------

def _us(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e6:.3f}"


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e3:.2f}"


def table(rows: Sequence[Row], limit: float, reference: str = "hand") -> str:
    """A markdown table of rows; ratios above `limit` are flagged.

    "srcgrad" calls the object `grad` returns, as a user does; "generated"
    calls the plain generated function inside it (`.generated`), so the
    difference between the two is the cost of the call mechanism alone."""
    out = [f"| function | primal µs | {reference} µs | srcgrad µs | srcgrad/{reference} "
           f"| generated µs | generated/{reference} | decorate ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        if row.srcgrad is None:
            cells = [row.note or "srcgrad: not supported yet"] + ["—"] * 3
        else:
            cells = [_us(row.srcgrad), _ratio(row.ratio(row.srcgrad), limit),
                     _us(row.plain), _ratio(row.ratio(row.plain), limit)]
        out.append(f"| {row.name} | {_us(row.primal)} | {_us(row.hand)} | {' | '.join(cells)} "
                   f"| {_ms(row.decorate)} |")
    return "\n".join(out)


def _ratio(value: float, limit: float) -> str:
    return f"{value:.2f}" + (" ⚠" if value > limit else "")


def import_time(repeats: int = 5) -> tuple[float, bool]:
    """Seconds for ``import srcgrad`` in a fresh interpreter (min of
    `repeats`), and whether sympy got imported with it."""
    code = ("import sys, time; t = time.perf_counter(); import srcgrad; "
            "print(time.perf_counter() - t, 'sympy' in sys.modules)")
    best, sympy_loaded = math.inf, False
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=_repo_root(), env=None).stdout.split()
        best = min(best, float(out[0]))
        sympy_loaded |= out[1] == "True"
    return best, sympy_loaded


def _repo_root() -> str:
    import os
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
