"""Tapes of reverse-mode loops (issue 3): memory linear in the trip count,
and only what the backward sweep reads.  (For one input srcgrad chooses
forward mode, which needs no tape: these tests force reverse mode.)

Memory is measured with tracemalloc (peak during one call of the generated
gradient) at two trip counts: a property of the generated code, not a
timing.  A Python float on a list costs about 32 bytes (24 for the float, 8
for the slot) plus the list's over-allocation, so one value per iteration
costs roughly 32-42 bytes and two would cost at least 64.
"""
from __future__ import annotations

import math
import re
import tracemalloc

from srcgrad import grad

from .control_support import FD_ABS, FD_REL
from .reference import central_difference

SMALL, LARGE = 20_000, 80_000


def repeated_map(x, n):
    for _ in range(n):
        x = math.sin(x) * 1.1 + 0.1 * x
    return x


def two_states(x, y, n):
    for _ in range(n):
        x = math.sin(x)
        y = y + x * 0.5
    return y


def linear(x, n):
    for _ in range(n):
        x = 1.1 * x + 0.3
    return x


def product(x, y, n):
    for _ in range(n):
        y = y * x
    return y


def peak_bytes(fn, *args) -> tuple[int, int]:
    """(peak, left over) bytes allocated while `fn(*args)` runs."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn(*args)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, current - before


def test_tape_memory_is_linear_in_the_trip_count() -> None:
    df = grad(repeated_map, mode="reverse")
    df(0.3, 10)      # warm up: nothing one-off is counted below
    small, _ = peak_bytes(df, 0.3, SMALL)
    large, left = peak_bytes(df, 0.3, LARGE)
    assert 0.85 * LARGE / SMALL <= large / small <= 1.15 * LARGE / SMALL, (small, large)
    per_iteration = (large - small) / (LARGE - SMALL)
    assert 24 <= per_iteration <= 48, f"{per_iteration:.1f} bytes per iteration: one float is ~32"
    assert left < 4096, f"{left} bytes still held after the call: the tape leaked"


def test_gradient_at_large_trip_counts_is_still_right() -> None:
    df = grad(repeated_map)
    assert math.isclose(df(0.3, 2000), central_difference(repeated_map, (0.3, 2000), 0),
                        rel_tol=FD_REL, abs_tol=FD_ABS)


def tapes(source: str) -> dict[str, tuple[int, int]]:
    """Tape name -> (number of appends, number of backward reads) in generated
    source; a backward loop reads its tape with ``.pop()`` or by walking
    ``reversed(tape)``."""
    names = set(re.findall(r"\b(\w+_tape)\s*=\s*\[\]", source))
    return {t: (source.count(f"{t}.append("), source.count(f"{t}.pop()") + source.count(f"reversed({t})"))
            for t in names}


def test_one_value_per_iteration_on_the_tape() -> None:
    source = grad(repeated_map, mode="reverse").source
    assert tapes(source) == {"x_tape": (1, 1)}, source
    loop = source.split("for _ in range(n):")[1].split("# backward")[0]
    assert loop.count(".append(") == 1, loop


def test_only_values_the_backward_sweep_reads_are_taped() -> None:
    # y's update is linear: its old value is never needed going backward
    assert tapes(grad(two_states, argnums=(0, 1)).source) == {"x_tape": (1, 1)}
    # a linear recurrence needs no tape at all
    assert tapes(grad(linear, mode="reverse").source) == {}
    # d(y * x) needs the old y, and x is loop-invariant: not taped
    assert tapes(grad(product, argnums=(0, 1)).source) == {"y_tape": (1, 1)}


def test_the_taped_gradients_are_right() -> None:
    for fn, point, argnums in ((two_states, (0.4, 0.2, 6), (0, 1)), (linear, (0.4, 6), (0,)),
                               (product, (0.9, 0.7, 5), (0, 1))):
        got = grad(fn, argnums=argnums, mode="reverse")(*point)
        got = got if isinstance(got, tuple) else (got,)
        for g, i in zip(got, argnums):
            assert math.isclose(g, central_difference(fn, point, i), rel_tol=FD_REL, abs_tol=FD_ABS)
