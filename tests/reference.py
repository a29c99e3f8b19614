"""Independent references for tests: finite differences.

Nothing here uses srcgrad; these are the yardsticks srcgrad is measured by.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence


def central_difference(f: Callable[..., float], args: Sequence[float], i: int, h: float | None = None) -> float:
    """d f / d args[i] by a fourth-order central difference."""
    x = float(args[i])
    h = h if h is not None else 1e-3 * max(1.0, abs(x))

    def at(delta: float) -> float:
        moved = list(args)
        moved[i] = x + delta
        return f(*moved)

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


def numeric_gradient(f: Callable[..., float], args: Sequence[float], argnums: Sequence[int]) -> tuple[float, ...]:
    return tuple(central_difference(f, args, i) for i in argnums)


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-8) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
