"""Declarations of the scalar primitives: arithmetic, comparisons and `math`.

Each `declare(...)` is the single place a primitive is described; see
`srcgrad.primitives.core`.  Partials are written as math with a builder `b`;
`out` is the primitive's own output, reused where the derivative mentions it
(d exp(x) = exp(x)).

Conventions at kinks, where the derivative is not defined, follow the branch
Python's own implementation takes, so the derivative is that of the piece that
produced the value:

* ``abs(x)`` and ``math.fabs(x)``: derivative ``sign(x)``, 0 at x == 0.
* ``max(a, b)`` returns ``a`` unless ``b > a``: at a tie the derivative flows
  to ``a``.  ``min(a, b)`` likewise returns ``a`` unless ``b < a``.
* ``floor ceil trunc round int`` and ``//`` are piecewise constant: derivative
  0 everywhere (also at their jumps), as in every reverse-mode tool.
* ``x % y`` (floored, Python's): d/dx = 1, d/dy = -floor(x / y).
"""
from __future__ import annotations

import ast
import builtins
import math
import operator

from ..ir.core import BOOL, INT
from .core import (BOOLS, DIGITS, POSITIVE, REALS, REGISTRY, UNIT_OPEN, Primitive, call, compare,
                   imports_of, infix, prefix)

PI = math.pi


def declare(name: str, nargs: int, impl, emit_path=None, *, emit=None, partials=None,
            sympy=None, domain=(), python=(), operator_=None, piecewise_constant=False,
            out_kind="real", hooks=None, doc="") -> Primitive:
    if emit is None:
        emit = call(emit_path)
    prim = Primitive(
        name=name, nargs=nargs, impl=impl, emit=emit, partials=partials,
        piecewise_constant=piecewise_constant, sympy=sympy, domain=tuple(domain),
        out_kind=out_kind, python=tuple(python), operator=operator_,
        imports=imports_of(emit_path) if emit_path else frozenset(),
        hooks=dict(hooks or {}), doc=doc)
    return REGISTRY.add(prim)


INT_CLOSED = {"int_closed": True}
COMMUTATIVE = {"int_closed": True, "commutative": True}

# --- arithmetic --------------------------------------------------------------

declare("add", 2, operator.add, emit=infix(ast.Add), operator_=ast.Add, hooks=COMMUTATIVE,
        partials=lambda b, x, y, out: (1.0, 1.0),
        sympy=lambda sp, x, y: x + y)
declare("sub", 2, operator.sub, emit=infix(ast.Sub), operator_=ast.Sub, hooks=INT_CLOSED,
        partials=lambda b, x, y, out: (1.0, -1.0),
        sympy=lambda sp, x, y: x - y)
declare("mul", 2, operator.mul, emit=infix(ast.Mult), operator_=ast.Mult, hooks=COMMUTATIVE,
        partials=lambda b, x, y, out: (y, x),
        sympy=lambda sp, x, y: x * y)
declare("div", 2, operator.truediv, emit=infix(ast.Div), operator_=ast.Div,
        partials=lambda b, x, y, out: (b.div(1.0, y), b.neg(b.div(out, y))),
        sympy=lambda sp, x, y: x / y, domain=(REALS, (0.5, 3.0)))
declare("pow", 2, operator.pow, emit=infix(ast.Pow), operator_=ast.Pow, python=(builtins.pow,),
        partials=lambda b, x, y, out: (b.mul(y, b.pow(x, b.sub(y, 1))), b.mul(out, b.log(x))),
        sympy=lambda sp, x, y: x ** y, domain=(POSITIVE, REALS))
declare("math_pow", 2, math.pow, "math.pow", python=(math.pow,),
        partials=lambda b, x, y, out: (b.mul(y, b.math_pow(x, b.sub(y, 1))), b.mul(out, b.log(x))),
        sympy=lambda sp, x, y: x ** y, domain=(POSITIVE, REALS))
declare("mod", 2, operator.mod, emit=infix(ast.Mod), operator_=ast.Mod, hooks=INT_CLOSED,
        partials=lambda b, x, y, out: (1.0, b.neg(b.floor(b.div(x, y)))),
        # floored, as Python's %; sympy can differentiate this form (not sp.Mod)
        sympy=lambda sp, x, y: x - y * sp.floor(x / y), domain=((0.3, 5.0), (0.7, 2.0)))
declare("floordiv", 2, operator.floordiv, emit=infix(ast.FloorDiv), operator_=ast.FloorDiv,
        piecewise_constant=True, hooks=INT_CLOSED,
        sympy=lambda sp, x, y: sp.floor(x / y), domain=(REALS, (0.5, 3.0)))
declare("neg", 1, operator.neg, emit=prefix(ast.USub), operator_=ast.USub, hooks=INT_CLOSED,
        partials=lambda b, x, out: (-1.0,),
        sympy=lambda sp, x: -x)


def _sign(b, x):
    """sign(x) as a piecewise constant: 1.0, -1.0, or 0.0 at exactly 0."""
    return b.select(b.gt(x, 0.0), 1.0, b.select(b.lt(x, 0.0), -1.0, 0.0))


declare("abs", 1, builtins.abs, "abs", python=(builtins.abs,), hooks=INT_CLOSED,
        partials=lambda b, x, out: (_sign(b, x),),
        sympy=lambda sp, x: sp.Abs(x), domain=((0.2, 3.0),))
declare("fabs", 1, math.fabs, "math.fabs", python=(math.fabs,),
        partials=lambda b, x, out: (_sign(b, x),),
        sympy=lambda sp, x: sp.Abs(x), domain=((-3.0, -0.2),))
declare("max", 2, builtins.max, "max", python=(builtins.max,), hooks=INT_CLOSED,
        partials=lambda b, x, y, out: (b.select(b.gt(y, x), 0.0, 1.0), b.select(b.gt(y, x), 1.0, 0.0)),
        sympy=lambda sp, x, y: sp.Max(x, y))
declare("min", 2, builtins.min, "min", python=(builtins.min,), hooks=INT_CLOSED,
        partials=lambda b, x, y, out: (b.select(b.lt(y, x), 0.0, 1.0), b.select(b.lt(y, x), 1.0, 0.0)),
        sympy=lambda sp, x, y: sp.Min(x, y))

# `a if c else b`: the choice is data, the derivative follows the chosen value.
declare("select", 3, lambda c, a, b: a if c else b,
        emit=lambda c, a, b: ast.IfExp(test=c, body=a, orelse=b),
        partials=lambda b, c, x, y, out: (None, b.select(c, 1.0, 0.0), b.select(c, 0.0, 1.0)),
        sympy=lambda sp, c, x, y: sp.Piecewise((x, c), (y, True)), domain=(BOOLS, REALS, REALS),
        out_kind=lambda kinds: kinds[1] if kinds[1] == kinds[2] else "real")

# --- comparisons and logic: booleans, never differentiated --------------------

for _name, _op, _fn, _sp in [("lt", ast.Lt, operator.lt, "Lt"), ("le", ast.LtE, operator.le, "Le"),
                             ("gt", ast.Gt, operator.gt, "Gt"), ("ge", ast.GtE, operator.ge, "Ge"),
                             ("eq", ast.Eq, operator.eq, "Eq"), ("ne", ast.NotEq, operator.ne, "Ne")]:
    declare(_name, 2, _fn, emit=compare(_op), operator_=_op, piecewise_constant=True, out_kind=BOOL,
            sympy=(lambda attr: lambda sp, x, y: getattr(sp, attr)(x, y))(_sp))
declare("not_", 1, operator.not_, emit=prefix(ast.Not), operator_=ast.Not, piecewise_constant=True,
        out_kind=BOOL, sympy=lambda sp, x: sp.Not(x))

# --- piecewise constant ------------------------------------------------------

for _name, _fn, _path, _sp in [("floor", math.floor, "math.floor", "floor"),
                               ("ceil", math.ceil, "math.ceil", "ceiling")]:
    declare(_name, 1, _fn, _path, python=(_fn,), piecewise_constant=True, out_kind=INT,
            sympy=(lambda attr: lambda sp, x: getattr(sp, attr)(x))(_sp))
declare("trunc", 1, math.trunc, "math.trunc", python=(math.trunc,), piecewise_constant=True,
        out_kind=INT, sympy=lambda sp, x: sp.sign(x) * sp.floor(sp.Abs(x)))
declare("int", 1, builtins.int, "int", python=(builtins.int,), piecewise_constant=True,
        out_kind=INT, sympy=lambda sp, x: sp.sign(x) * sp.floor(sp.Abs(x)))
declare("round", 1, builtins.round, "round", python=(builtins.round,), piecewise_constant=True,
        out_kind=INT, sympy=lambda sp, x: sp.floor(x + sp.Rational(1, 2)))
declare("round_ndigits", 2, builtins.round, "round", piecewise_constant=True,
        sympy=lambda sp, x, n: sp.floor(x * 10 ** n + sp.Rational(1, 2)) / 10 ** n,
        domain=(REALS, DIGITS))
# float(x) is the identity on the value (and its derivative).
declare("float", 1, builtins.float, "float", python=(builtins.float,),
        partials=lambda b, x, out: (1.0,), sympy=lambda sp, x: x)

# --- math ---------------------------------------------------------------------

M = "math."


def _unary(name, fn, partial, sympy, domain=REALS):
    declare(name, 1, fn, M + name, python=(fn,), partials=lambda b, x, out: (partial(b, x, out),),
            sympy=sympy, domain=(domain,))


_unary("sin", math.sin, lambda b, x, out: b.cos(x), lambda sp, x: sp.sin(x))
_unary("cos", math.cos, lambda b, x, out: b.neg(b.sin(x)), lambda sp, x: sp.cos(x))
_unary("tan", math.tan, lambda b, x, out: b.add(1.0, b.mul(out, out)), lambda sp, x: sp.tan(x),
       domain=(-1.3, 1.3))
_unary("asin", math.asin, lambda b, x, out: b.div(1.0, b.sqrt(b.sub(1.0, b.mul(x, x)))),
       lambda sp, x: sp.asin(x), UNIT_OPEN)
_unary("acos", math.acos, lambda b, x, out: b.neg(b.div(1.0, b.sqrt(b.sub(1.0, b.mul(x, x))))),
       lambda sp, x: sp.acos(x), UNIT_OPEN)
_unary("atan", math.atan, lambda b, x, out: b.div(1.0, b.add(1.0, b.mul(x, x))), lambda sp, x: sp.atan(x))
_unary("sinh", math.sinh, lambda b, x, out: b.cosh(x), lambda sp, x: sp.sinh(x))
_unary("cosh", math.cosh, lambda b, x, out: b.sinh(x), lambda sp, x: sp.cosh(x))
_unary("tanh", math.tanh, lambda b, x, out: b.sub(1.0, b.mul(out, out)), lambda sp, x: sp.tanh(x))
_unary("asinh", math.asinh, lambda b, x, out: b.div(1.0, b.sqrt(b.add(b.mul(x, x), 1.0))),
       lambda sp, x: sp.asinh(x))
_unary("acosh", math.acosh, lambda b, x, out: b.div(1.0, b.sqrt(b.sub(b.mul(x, x), 1.0))),
       lambda sp, x: sp.acosh(x), (1.2, 4.0))
_unary("atanh", math.atanh, lambda b, x, out: b.div(1.0, b.sub(1.0, b.mul(x, x))),
       lambda sp, x: sp.atanh(x), UNIT_OPEN)
_unary("exp", math.exp, lambda b, x, out: out, lambda sp, x: sp.exp(x))
_unary("expm1", math.expm1, lambda b, x, out: b.add(out, 1.0), lambda sp, x: sp.exp(x) - 1)
_unary("log", math.log, lambda b, x, out: b.div(1.0, x), lambda sp, x: sp.log(x), POSITIVE)
_unary("log1p", math.log1p, lambda b, x, out: b.div(1.0, b.add(1.0, x)), lambda sp, x: sp.log(1 + x),
       (-0.8, 3.0))
_unary("log2", math.log2, lambda b, x, out: b.div(1.0, b.mul(x, math.log(2.0))),
       lambda sp, x: sp.log(x, 2), POSITIVE)
_unary("log10", math.log10, lambda b, x, out: b.div(1.0, b.mul(x, math.log(10.0))),
       lambda sp, x: sp.log(x, 10), POSITIVE)
_unary("sqrt", math.sqrt, lambda b, x, out: b.div(0.5, out), lambda sp, x: sp.sqrt(x), POSITIVE)
_unary("erf", math.erf, lambda b, x, out: b.mul(2.0 / math.sqrt(PI), b.exp(b.neg(b.mul(x, x)))),
       lambda sp, x: sp.erf(x))
_unary("erfc", math.erfc, lambda b, x, out: b.mul(-2.0 / math.sqrt(PI), b.exp(b.neg(b.mul(x, x)))),
       lambda sp, x: sp.erfc(x))
_unary("degrees", math.degrees, lambda b, x, out: 180.0 / PI, lambda sp, x: x * 180 / sp.pi)
_unary("radians", math.radians, lambda b, x, out: PI / 180.0, lambda sp, x: x * sp.pi / 180)

declare("atan2", 2, math.atan2, "math.atan2", python=(math.atan2,),
        partials=lambda b, y, x, out: _atan2_partials(b, y, x),
        sympy=lambda sp, y, x: sp.atan2(y, x), domain=(REALS, (0.3, 3.0)))
declare("hypot", 2, math.hypot, "math.hypot", python=(math.hypot,),
        partials=lambda b, x, y, out: (b.div(x, out), b.div(y, out)),
        sympy=lambda sp, x, y: sp.sqrt(x ** 2 + y ** 2), domain=((0.3, 3.0), (0.3, 3.0)))


def _atan2_partials(b, y, x):
    r2 = b.add(b.mul(x, x), b.mul(y, y))
    return (b.div(x, r2), b.neg(b.div(y, r2)))

# `y = x`: produced by simplification when an equation reduces to an existing
# value; copy propagation removes it again.
declare("copy", 1, lambda x: x, emit=lambda x: x, partials=lambda b, x, out: (1.0,),
        sympy=lambda sp, x: x, out_kind=lambda kinds: kinds[0], hooks={"copy": True})
