"""Comparing two sympy expressions numerically, at high precision.

Both sides are evaluated with mpmath at `DIGITS` significant digits, so
rounding in the evaluation itself cannot hide or fake a difference; they agree
at a point when ``|a - b| <= rtol * max(|a|, |b|) + atol``.  Points where either
side is not a finite real number (a kink, a branch cut) are skipped.

`evaluate` walks the expression once per point, sharing repeated
subexpressions (a generated gradient reuses its intermediate values), which
is much cheaper than compiling it with `sympy.lambdify`.  Functions it does
not map to mpmath are evaluated by sympy itself.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import mpmath
import sympy
from sympy.core.function import AppliedUndef

DIGITS = 50
RTOL = 1e-9
ATOL = 1e-30     # both sides are computed to ~1e-45: only true zeros meet here


@dataclass
class Comparison:
    """The outcome of comparing two expressions at some points."""

    points: int = 0                   # points where both sides were defined
    max_rel_error: float = 0.0        # over the informative points
    informative: int = 0              # points where the values are not both zero (flat)
    counterexample: tuple[tuple, Any, Any] | None = None   # (point, expected, got)

    @property
    def mismatch(self) -> bool:
        return self.counterexample is not None


class Evaluator:
    """Evaluates expressions in `symbols` with mpmath; `functions` gives a
    Python implementation to undefined sympy functions (opaque primitives)."""

    def __init__(self, symbols: Sequence[sympy.Symbol], functions: dict[str, Any] | None = None) -> None:
        self.symbols = tuple(symbols)
        self.functions = dict(functions or {})

    def compare(self, pairs: Sequence[tuple[sympy.Expr, sympy.Expr]], points: Sequence[tuple],
                rtol: float = RTOL, atol: float = ATOL) -> list[Comparison]:
        """Each (expected, got) pair compared at `points`.  All expressions are
        evaluated together at each point, sharing common subexpressions."""
        results = [Comparison() for _ in pairs]
        with mpmath.workdps(DIGITS):
            for point in points:
                env = {s: (v if isinstance(v, bool) else mpmath.mpf(v)) for s, v in zip(self.symbols, point)}
                memo: dict = {}
                for (expected, got), result in zip(pairs, results):
                    a, b = self.value(expected, env, memo), self.value(got, env, memo)
                    if a is not None and b is not None and _differ(a, b, rtol, atol):
                        a, b = self.confirm(expected, got, point)
                    if a is not None and b is not None:
                        _record(result, point, a, b, rtol, atol)
        return results

    def confirm(self, expected: sympy.Expr, got: sympy.Expr, point: tuple) -> tuple[Any, Any]:
        """Both sides again at twice the digits: at an ill-conditioned point
        (cancellation beyond `DIGITS`) a difference that is only rounding
        shrinks, a real one stays."""
        with mpmath.workdps(2 * DIGITS):
            env = {s: (v if isinstance(v, bool) else mpmath.mpf(v)) for s, v in zip(self.symbols, point)}
            memo: dict = {}
            return self.value(expected, env, memo), self.value(got, env, memo)

    def value(self, expr: sympy.Expr, env: dict, memo: dict) -> Any:
        """A finite real mpf, or None where `expr` is undefined or not real."""
        try:
            return _finite(evaluate(expr, env, self.functions, memo))
        except (ArithmeticError, ValueError, TypeError, AttributeError):
            return None


class ProgramEvaluator:
    """High-precision values of straight-line IR, for programs whose
    expression trees are too large for symbolic work: the sympy translation
    applied to numbers costs one operation per equation, and the reference
    derivative is a numerical derivative of the primal at 50 digits (sympy's
    own function evaluations, independent of srcgrad's rules)."""

    def __init__(self, translator: Any, functions: dict[str, Any]) -> None:
        self.translator = translator
        self.functions = functions

    def compare(self, primal: Any, derivative: Any, positions: Sequence[tuple[int, int]],
                points: Sequence[tuple], rtol: float = RTOL, atol: float = ATOL) -> list[Comparison]:
        """For each (argument index, result index of `derivative`), the
        numerical partial of `primal` against `derivative`'s result."""
        results = [Comparison() for _ in positions]
        with mpmath.workdps(DIGITS):
            for point in points:
                got = self.results(derivative, point)
                for (i, k), result in zip(positions, results):
                    expected, noise = self.partial(primal, point, i)
                    if got is not None and got[k] is not None and expected is not None:
                        _record(result, point, expected, got[k], rtol, atol + noise)
        return results

    def results(self, fn: Any, point: Sequence[Any]) -> tuple | None:
        """`fn`'s results at `point` (None where undefined), each equation's
        value reduced to a number at once so no expression tree grows."""
        digits = mpmath.mp.dps
        env = {p: (v if isinstance(v, bool) else sympy.Float(mpmath.mpf(v), digits))
               for p, v in zip(fn.params, point)}
        try:
            for eqn in fn.body.eqns:
                out = self.translator.apply(eqn.prim, [self.translator.atom(env, a) for a in eqn.args])
                outs = (out,) if len(eqn.outs) == 1 else tuple(out)
                env.update((o, _number(v, digits, self.functions)) for o, v in zip(eqn.outs, outs))
            return tuple(_finite(evaluate(self.translator.atom(env, r), {}, self.functions, {}))
                         for r in fn.body.results)
        except (ArithmeticError, ValueError, TypeError, AttributeError):
            return None

    def partial(self, fn: Any, point: Sequence[Any], i: int) -> tuple[Any, Any]:
        """d fn / d point[i] by fourth-order central differences at `DIGITS`
        digits with steps 1e-10 and 1e-10/16 (relative), and a bound on the
        error: rounding (about 1e-40 relative to fn's size; float rounding
        where an opaque primitive runs in Python) plus the two estimates'
        difference, which is what is left of the truncation error at an
        ill-conditioned point (a chaotic loop has huge higher derivatives).
        (None, 0) where fn is undefined nearby or the estimates do not
        settle."""
        x = mpmath.mpf(point[i])
        h = mpmath.mpf("1e-10") * max(1, abs(x))
        coarse, fine = self._stencil(fn, point, i, x, h), self._stencil(fn, point, i, x, h / 16)
        if coarse is None or fine is None:
            return None, 0
        spread = abs(coarse[0] - fine[0])
        if spread > mpmath.mpf("1e-6") * abs(fine[0]) + fine[1] + coarse[1]:
            return None, 0
        return fine[0], fine[1] + spread

    def _stencil(self, fn: Any, point: Sequence[Any], i: int, x: Any, h: Any) -> tuple[Any, Any] | None:
        values = []
        for k in (2, 1, -1, -2):
            moved = list(point)
            moved[i] = x + k * h
            result = self.results(fn, moved)
            if result is None or result[0] is None:
                return None
            values.append(result[0])
        a, b, c, d = values
        largest = max(1, *(abs(v) for v in values))
        noise = mpmath.mpf("1e-38") * largest / (12 * h) * mpmath.mpf("1e-10")
        if self.functions:      # an opaque primitive runs its Python code, in floats
            noise += 18 * mpmath.mpf(2) ** -52 * largest / (12 * h)
        return (-a + 8 * b - 8 * c + d) / (12 * h), noise


def _number(value: Any, digits: int, functions: dict[str, Any]) -> Any:
    if isinstance(value, bool) or value in (sympy.true, sympy.false) or getattr(value, "is_Number", True):
        return value
    number = evaluate(value, {}, functions, {})
    if isinstance(number, bool):
        return sympy.true if number else sympy.false
    return sympy.Float(number, digits)


def _finite(value: Any) -> Any:
    if isinstance(value, bool):
        value = mpmath.mpf(int(value))
    return value if isinstance(value, mpmath.mpf) and mpmath.isfinite(value) else None


def _differ(a: Any, b: Any, rtol: float, atol: float) -> bool:
    return abs(a - b) > rtol * max(abs(a), abs(b)) + atol


def _record(result: Comparison, point: tuple, a: Any, b: Any, rtol: float, atol: float) -> None:
    result.points += 1
    scale = max(abs(a), abs(b))
    if _differ(a, b, rtol, atol):
        if result.counterexample is None:
            result.counterexample = (tuple(point), float(a), float(b))
    elif scale > atol:         # both within `atol` of zero: agreeing, but no evidence
        result.informative += 1
        result.max_rel_error = max(result.max_rel_error, float(abs(a - b) / scale))


def merge(first: Comparison, second: Comparison) -> Comparison:
    """Two comparisons of the same pair at different points, as one."""
    return Comparison(first.points + second.points, max(first.max_rel_error, second.max_rel_error),
                      first.informative + second.informative, first.counterexample or second.counterexample)


# sympy's non-finite numbers (hypot at the origin differentiates to nan); they make
# a side undefined at the point, as a float nan would
_NONFINITE = {sympy.nan: mpmath.nan, sympy.zoo: mpmath.nan, sympy.oo: mpmath.inf, -sympy.oo: -mpmath.inf}


def _heaviside(x: Any, *_: Any) -> Any:
    return mpmath.mpf(1) if x > 0 else (mpmath.mpf(0) if x < 0 else mpmath.mpf(0.5))


_RELATIONS: dict[type, Callable[[Any, Any], bool]] = {
    sympy.StrictLessThan: operator.lt, sympy.LessThan: operator.le, sympy.StrictGreaterThan: operator.gt,
    sympy.GreaterThan: operator.ge, sympy.Equality: operator.eq, sympy.Unequality: operator.ne,
}
# sympy functions whose mpmath counterpart is not spelled like their class
_RENAMED: dict[type, Callable[..., Any]] = {
    sympy.Abs: mpmath.fabs, sympy.ceiling: mpmath.ceil, sympy.Max: max, sympy.Min: min,
    sympy.Heaviside: _heaviside, sympy.Mod: lambda x, y: x - y * mpmath.floor(x / y),
    sympy.Not: operator.not_, sympy.And: lambda *a: all(a), sympy.Or: lambda *a: any(a),
}


def evaluate(expr: Any, env: dict, functions: dict[str, Any], memo: dict) -> Any:
    """`expr` at `env` (symbol -> mpf or bool), sharing repeated subexpressions."""
    hit = memo.get(expr)
    if hit is not None:
        return hit
    if expr in env:
        return env[expr]
    if expr is sympy.true or expr is sympy.false:
        value: Any = bool(expr)
    elif expr.is_Number or expr.is_NumberSymbol:
        value = _NONFINITE.get(expr) or mpmath.mpf(sympy.Float(expr, mpmath.mp.dps + 10)._mpf_)
    elif isinstance(expr, sympy.Piecewise):
        value = None
        for piece, cond in expr.args:
            if evaluate(cond, env, functions, memo):
                value = evaluate(piece, env, functions, memo)
                break
        if value is None:
            raise ValueError("no piece of the Piecewise applies")
    else:
        args = [evaluate(a, env, functions, memo) for a in expr.args]
        value = _apply(expr, args, functions)
    memo[expr] = value
    return value


def _apply(expr: Any, args: list[Any], functions: dict[str, Any]) -> Any:
    if isinstance(expr, sympy.Add):
        return mpmath.fsum(args)
    if isinstance(expr, sympy.Mul):
        return mpmath.fprod(args)
    if isinstance(expr, sympy.Pow):
        return mpmath.sqrt(args[0]) if expr.exp == sympy.S.Half else args[0] ** args[1]
    relation = _RELATIONS.get(type(expr))
    if relation is not None:
        return relation(*args)
    if isinstance(expr, AppliedUndef):
        return mpmath.mpf(functions[expr.func.__name__](*(float(a) for a in args)))
    fn = _RENAMED.get(type(expr))
    if fn is None and isinstance(expr, sympy.Function):
        fn = getattr(mpmath, type(expr).__name__, None)
    if fn is not None:
        return fn(*args)
    # anything else: let sympy evaluate it at these arguments
    digits = mpmath.mp.dps
    numeric = expr.func(*(sympy.Float(a, digits) if not isinstance(a, bool) else a for a in args))
    return mpmath.mpf(sympy.Float(sympy.N(numeric, digits), digits)._mpf_)
