"""Comparing two sympy expressions numerically, at high precision.

Both sides are evaluated with mpmath at `DIGITS` significant digits, so
rounding in the evaluation itself cannot hide or fake a difference; they agree
at a point when ``|a - b| <= rtol * max(|a|, |b|) + atol``.  Points where either
side is not a finite real number (a kink, a branch cut) are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import mpmath
import sympy

DIGITS = 50
RTOL = 1e-9
ATOL = 1e-12


@dataclass
class Comparison:
    """The outcome of comparing two expressions at some points."""

    points: int = 0                   # points where both sides were defined
    max_rel_error: float = 0.0
    counterexample: tuple[tuple, Any, Any] | None = None   # (point, expected, got)

    @property
    def mismatch(self) -> bool:
        return self.counterexample is not None


class Evaluator:
    """Evaluates expressions in `symbols` with mpmath; `functions` gives a
    Python implementation to undefined sympy functions (opaque primitives)."""

    def __init__(self, symbols: Sequence[sympy.Symbol], functions: dict[str, Any] | None = None) -> None:
        self.symbols = tuple(symbols)
        self.modules: list[Any] = [dict(functions or {}), "mpmath"]

    def compile(self, expr: sympy.Expr) -> Any:
        return sympy.lambdify(self.symbols, expr, modules=self.modules)

    def compare(self, expected: sympy.Expr, got: sympy.Expr, points: Sequence[tuple],
                rtol: float = RTOL, atol: float = ATOL) -> Comparison:
        f, g = self.compile(expected), self.compile(got)
        result = Comparison()
        with mpmath.workdps(DIGITS):
            for point in points:
                args = [_exact(v) for v in point]
                a, b = _value(f, args), _value(g, args)
                if a is None or b is None:
                    continue
                result.points += 1
                scale = max(abs(a), abs(b))
                error = abs(a - b)
                rel = float(error / scale) if scale else 0.0
                result.max_rel_error = max(result.max_rel_error, rel)
                if error > rtol * scale + atol and result.counterexample is None:
                    result.counterexample = (tuple(point), float(a), float(b))
        return result


def _exact(value: Any) -> Any:
    # floats are exact binary numbers: mpf represents them exactly
    return value if isinstance(value, bool) else mpmath.mpf(value)


def _value(fn: Any, args: list[Any]) -> Any:
    try:
        value = fn(*args)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if isinstance(value, bool):
        value = mpmath.mpf(int(value))
    if isinstance(value, (int, float)):
        value = mpmath.mpf(value)
    if not isinstance(value, mpmath.mpf) or not mpmath.isfinite(value):
        return None
    return value
