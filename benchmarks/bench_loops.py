"""Loops (issue 3): an iterated map and Horner's rule, and tape memory.

Each loop has two hand-written gradients: reverse mode as a person writes it
(the forward loop stores the values the backward loop needs in a list, and
the backward loop walks that list in reverse), and forward mode (the
derivative carried beside the value through one loop, no list at all; issue
10: for one input srcgrad chooses forward mode, `FORWARD_CASES`).
"""
from __future__ import annotations

import math
import tracemalloc

import srcgrad
from benchmarks.harness import Case

N = 100
TAPE_SIZES = (10 ** 4, 10 ** 5, 10 ** 6)


def iterate_sin(x, n):
    for _ in range(n):
        x = math.sin(x) * 1.1 + 0.1 * x
    return x


def iterate_sin_hand(x, n):
    xs = []
    for _ in range(n):
        xs.append(x)
        x = math.sin(x) * 1.1 + 0.1 * x
    dx = 1.0
    for x in reversed(xs):
        dx *= 1.1 * math.cos(x) + 0.1
    return dx


def iterate_sin_forward(x, n):
    dx = 1.0
    for _ in range(n):
        dx = (1.1 * math.cos(x) + 0.1) * dx
        x = math.sin(x) * 1.1 + 0.1 * x
    return dx


COEFFS = [(-1) ** k / (k + 1.0) for k in range(50)]


def horner(x):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return acc


def horner_hand(x):
    accs = []
    acc = 0.0
    for c in COEFFS:
        accs.append(acc)
        acc = acc * x + c
    dacc, dx = 1.0, 0.0
    for acc in reversed(accs):
        dx += dacc * acc
        dacc *= x
    return dx


def horner_forward(x):
    acc, dacc = 0.0, 0.0
    for c in COEFFS:
        dacc = dacc * x + acc
        acc = acc * x + c
    return dacc


def _reverse(argnums):
    return lambda f: srcgrad.grad(f, argnums=argnums, mode="reverse")


# srcgrad's reverse mode (forced) against reverse mode by hand
CASES = [
    Case(f"x = sin(x)·1.1 + 0.1x, n = {N} (reverse)", iterate_sin, iterate_sin_hand, (0.3, N), argnums=0,
         transform=_reverse(0)),
    Case("Horner, 50 coefficients (reverse)", horner, horner_hand, (0.7,), transform=_reverse(0)),
]

# srcgrad's own choice (forward mode for one input) against forward mode by hand
FORWARD_CASES = [
    Case(f"x = sin(x)·1.1 + 0.1x, n = {N}", iterate_sin, iterate_sin_forward, (0.3, N), argnums=0),
    Case("Horner, 50 coefficients", horner, horner_forward, (0.7,)),
]


def peak_bytes(fn, *args) -> int:
    """Peak memory allocated during one call of `fn` (tracemalloc)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        fn(*args)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def tape_memory(sizes=TAPE_SIZES, mode: str | None = None) -> list[tuple[int, int | None, int]]:
    """(n, srcgrad peak bytes or None if unsupported, hand peak bytes) for the
    iterated sine at each trip count, srcgrad's gradient in `mode` (None: its
    own choice) against the hand-written gradient of that mode."""
    try:
        df = srcgrad.grad(iterate_sin, argnums=0, mode=mode)
    except srcgrad.SrcGradError:
        df = None
    hand = iterate_sin_hand if mode == "reverse" else iterate_sin_forward
    return [(n, peak_bytes(df, 0.3, n) if df is not None else None, peak_bytes(hand, 0.3, n))
            for n in sizes]
