"""The scale suite (issue 10): srcgrad on functions that grow.

Programs come from `benchmarks.scale_programs`, written into real modules.
Every table row is measured in one run of ``python benchmarks/run.py``
(alone: ``python benchmarks/run.py --scale``):

* `compile_times`: CPU seconds of ``grad()`` on straight-line code per size,
  and the exponent of a least-squares fit of log time on log size;
* `limits`: the size-limit cases, each compiled once: CPU seconds and the
  generated line count, or the error it raised (a row, never a crash);
* `run_ratios`: gradient / primal run time of loops and branches;
* `order_rows`: ``grad(f, order=k)`` of a 30-operation function: lines and
  run time over the primal;
* `mode_crossover`: forward / reverse run time by number of inputs, the
  measurements behind `srcgrad.api.choose_mode`.

Every derivative is checked before it is timed, against finite differences
of the real function (`check_gradient`), or for higher orders against
mpmath's high-precision numerical derivative of the same code run on mpmath
numbers (`check_order`).  Compile times are CPU time with the lowering cache
cleared; run times follow `benchmarks.harness` (interleaved repeats, ratios
within one run).
"""
from __future__ import annotations

import math
import signal
import time
import types
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import srcgrad
from benchmarks import scale_programs as programs
from benchmarks.harness import BenchmarkError, finite_differences, flatten, paired_ratio, time_interleaved
from srcgrad.frontend import cache

STRAIGHT_SIZES = (1000, 3000, 10000)
CASE_SECONDS = 60          # CPU seconds: a case still compiling after this is reported as a timeout
FD_TOL = 1e-5


@dataclass(frozen=True)
class Program:
    """One generated function: its label, source and the point it runs at."""

    label: str
    source: str
    args: tuple
    argnums: Any = (0, 1)


def limit_programs() -> list[Program]:
    """The issue's size-limit cases (Python's own limits are a little above each)."""
    p = programs
    return [Program("2,000-term expression", p.long_expression(2000), (0.3, 0.7)),
            Program("2,000 sequential ifs", p.sequential_ifs(2000), (0.3, 0.7)),
            Program("1,000 sequential loops", p.sequential_loops(1000), (0.3, 0.7)),
            Program("elif chain of 1,000", p.elif_chain(1000), (0.3, 0.7)),
            Program("ifs nested 80 deep", p.nested_ifs(80), (0.3, 0.7)),
            Program("loops nested 19 deep", p.nested_loops(19), (0.3, 0.7)),
            Program("early exits, 8 blocks", p.early_exits(8), (0.3, 0.7)),
            Program("early exits, 50 blocks", p.early_exits(50), (0.3, 0.7))]


def ratio_programs() -> list[Program]:
    p = programs
    return [Program("loop over a 200-statement body", p.long_loop_body(200), (0.3, 0.7)),
            Program("loop over ifs nested 10 deep", p.nested_if_body(10), (0.3, 0.7)),
            Program("three nested loops, 10 trips each", p.nested_loop_work(10), (0.3, 0.7))]


# --- checking -------------------------------------------------------------------

def check_gradient(label: str, f: Callable[..., Any], df: Callable[..., Any], args: tuple,
                   wrt: Sequence[int]) -> None:
    """Raise `BenchmarkError` unless `df(*args)` matches central differences of `f`."""
    got = flatten(df(*args))
    fd = finite_differences(f, args, wrt)
    if len(got) != len(fd) or not all(math.isclose(g, d, rel_tol=FD_TOL, abs_tol=FD_TOL) for g, d in zip(got, fd)):
        raise BenchmarkError(f"{label}: gradient disagrees with finite differences at {args}:\n"
                             f"  srcgrad {got}\n  fd      {fd}")


def check_order(label: str, f: types.FunctionType, dk: Callable[..., Any], x: float, k: int) -> None:
    """Raise `BenchmarkError` unless `dk(x)` is the k-th derivative of `f` at x:
    mpmath's numerical derivative at 40 digits of f's own code run on mpmath
    numbers (``math`` replaced by ``mpmath``)."""
    import mpmath
    on_mp = types.FunctionType(f.__code__, {**f.__globals__, "math": mpmath})
    with mpmath.workdps(40):
        expected = float(mpmath.diff(on_mp, mpmath.mpf(x), k))
    if not math.isclose(dk(x), expected, rel_tol=1e-9, abs_tol=1e-9):
        raise BenchmarkError(f"{label}: derivative of order {k} is {dk(x)!r}, mpmath says {expected!r}")


def _wrt(argnums: Any) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


# --- compiling ------------------------------------------------------------------

class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def compile_once(f: Callable[..., Any], build: Callable[[Any], Any],
                 seconds: float = CASE_SECONDS) -> tuple[Any, float, str | None]:
    """(result, CPU seconds, None) of ``build(f)`` with the lowering cache
    cleared, or (None, CPU seconds, what it raised): a case that fails is a
    row of the table, never the end of the run.  The time limit counts this
    process's CPU time (``ITIMER_PROF``), so a busy machine does not cut a
    case short."""
    cache.clear()
    previous = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    start = time.process_time()
    try:
        return build(f), time.process_time() - start, None
    except _Timeout:
        return None, time.process_time() - start, f"timeout after {seconds:g} s CPU"
    except (Exception, RecursionError) as err:      # the row says what went wrong
        first = str(err).splitlines()[0][:80] if str(err) else ""
        return None, time.process_time() - start, f"{type(err).__name__}: {first}"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def line_count(df: Any) -> int:
    return len(df.source.splitlines())


def fitted_exponent(sizes: Sequence[float], seconds: Sequence[float]) -> float:
    """The slope of the least-squares line through (log size, log seconds)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def compile_times(sizes: Sequence[int] = STRAIGHT_SIZES, inputs: int = 4) -> list[tuple[int, float | None, int | None, str | None]]:
    """(operations, CPU seconds, generated lines, error) of ``grad()`` of
    straight-line code over `inputs` inputs, each gradient checked."""
    rows = []
    argnums = tuple(range(inputs))
    args = tuple(0.1 + 0.2 * i for i in range(inputs))
    for n in sizes:
        f = programs.load(programs.straight_line(n, inputs), f"straight{n}").f
        df, seconds, error = compile_once(f, lambda g: srcgrad.grad(g, argnums=argnums))
        if df is not None:
            check_gradient(f"straight line {n}", f, df, args, argnums)
        rows.append((n, seconds if error is None else None, line_count(df) if df is not None else None, error))
    return rows


def limits(cases: Sequence[Program] | None = None) -> list[tuple[str, float, int | None, str | None]]:
    """(label, CPU seconds, generated lines or None, error or None) per case."""
    rows = []
    for case in limit_programs() if cases is None else cases:
        f = programs.load(case.source, "limit").f
        df, seconds, error = compile_once(f, lambda g: srcgrad.grad(g, argnums=case.argnums))
        if df is not None:
            check_gradient(case.label, f, df, case.args, _wrt(case.argnums))
        rows.append((case.label, seconds, line_count(df) if df is not None else None, error))
    return rows


# --- run time -------------------------------------------------------------------

def run_ratios(cases: Sequence[Program] | None = None,
               repeats: int = 200) -> list[tuple[str, float | None, float | None, str | None]]:
    """(label, primal µs, gradient / primal, error) per case, both timed
    interleaved in one run after the gradient is checked."""
    rows = []
    for case in ratio_programs() if cases is None else cases:
        f = programs.load(case.source, "ratio").f
        df, _, error = compile_once(f, lambda g: srcgrad.grad(g, argnums=case.argnums))
        if df is None:
            rows.append((case.label, None, None, error))
            continue
        check_gradient(case.label, f, df, case.args, _wrt(case.argnums))
        samples = time_interleaved({"primal": f, "grad": df}, case.args, repeats)
        rows.append((case.label, min(samples["primal"]), paired_ratio(samples, "grad", "primal"), None))
    return rows


def order_rows(orders: Sequence[int] = (1, 2, 3, 4), n_ops: int = 30,
               repeats: int = 200) -> list[tuple[int, int | None, float | None, str | None]]:
    """(k, generated lines, k-th derivative / primal run time, error) of
    ``grad(f, order=k)`` for a one-input function of `n_ops` operations."""
    f = programs.load(programs.thirty_op(n_ops), "thirty").f
    x = 0.4
    rows = []
    for k in orders:
        dk, _, error = compile_once(f, lambda g: srcgrad.grad(g, order=k))
        if dk is None:
            rows.append((k, None, None, error))
            continue
        check_order(f"thirty_op({n_ops})", f, dk, x, k)
        samples = time_interleaved({"primal": f, "dk": dk}, (x,), repeats)
        rows.append((k, line_count(dk), paired_ratio(samples, "dk", "primal"), None))
    return rows


# --- choosing the mode ----------------------------------------------------------

LOOP4 = '''import math


def f(a, b, c, d, n):
    s = 0.0
    for i in range(n):
        s = math.sin(s * a + b) * c + d * 0.5 + s * 0.1
    return s
'''


def mode_crossover(ks: Sequence[int] = (1, 2, 3, 4), repeats: int = 200) -> list[tuple[str, int, float]]:
    """(program, k, forward / reverse run time) for the gradient with respect
    to the first k inputs: straight-line code (issue 2's 30-operation
    expression of four inputs) and a loop of four inputs (100 trips)."""
    from benchmarks.bench_core import f30
    loop = programs.load(LOOP4, "loop4").f
    subjects = [("30-op expression", f30, (0.7, -0.4, 1.1, 1.6)), ("loop, 100 trips", loop, (0.7, -0.4, 1.1, 0.6, 100))]
    rows = []
    for label, f, args in subjects:
        for k in ks:
            argnums = tuple(range(k))
            forward = srcgrad.grad(f, argnums=argnums, mode="forward")
            reverse = srcgrad.grad(f, argnums=argnums, mode="reverse")
            for df in (forward, reverse):
                check_gradient(f"{label}, k = {k}", f, df, args, argnums)
            samples = time_interleaved({"forward": forward, "reverse": reverse}, args, repeats)
            rows.append((label, k, paired_ratio(samples, "forward", "reverse")))
    return rows


# --- tables ---------------------------------------------------------------------

def _cell(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def compile_table(rows) -> str:
    out = ["| operations | `grad()` CPU s | generated lines |", "|---:|---:|---:|"]
    for n, seconds, lines, error in rows:
        out.append(f"| {n:,} | {error or _cell(seconds, '.2f')} | {_cell(lines, ',')} |")
    ok = [(n, s) for n, s, _, _ in rows if s is not None and s > 0]
    if len(ok) >= 2:
        out.append(f"\nfitted exponent (least squares on log-log, target ≤ 1.1): "
                   f"{fitted_exponent([n for n, _ in ok], [s for _, s in ok]):.2f}")
    return "\n".join(out)


def limits_table(rows) -> str:
    out = ["| case | `grad()` CPU s | generated lines or error |", "|---|---:|---|"]
    for label, seconds, lines, error in rows:
        out.append(f"| {label} | {seconds:.2f} | {error if error else f'{lines:,}'} |")
    return "\n".join(out)


def ratio_table(rows, limit: float = 3.0) -> str:
    out = ["| case (gradient in x and y) | primal µs | gradient / primal |", "|---|---:|---:|"]
    for label, primal, ratio, error in rows:
        flag = " ⚠" if ratio is not None and ratio > limit else ""
        out.append(f"| {label} | {_cell(None if primal is None else primal * 1e6, '.1f')} "
                   f"| {error or _cell(ratio, '.2f') + flag} |")
    return "\n".join(out)


def order_table(rows) -> str:
    out = ["| k | generated lines | k-th derivative / primal |", "|---:|---:|---:|"]
    for k, lines, ratio, error in rows:
        flags = (" ⚠" if lines is not None and k == 4 and lines > 400 else "",
                 " ⚠" if ratio is not None and k == 4 and ratio > 15 else "")
        cells = error if error else f"{lines:,}{flags[0]} | {ratio:.1f}{flags[1]}"
        out.append(f"| {k} | {cells} |" if not error else f"| {k} | {error} | — |")
    return "\n".join(out)


def crossover_table(rows) -> str:
    ks = sorted({k for _, k, _ in rows})
    out = ["| program | " + " | ".join(f"k = {k}" for k in ks) + " |", "|---|" + "---:|" * len(ks)]
    for label in dict.fromkeys(label for label, _, _ in rows):
        cells = {k: r for name, k, r in rows if name == label}
        out.append(f"| {label} | " + " | ".join(f"{cells[k]:.2f}" for k in ks) + " |")
    return "\n".join(out)
