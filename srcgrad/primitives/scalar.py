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

Where the primal value exists but the derivative is infinite or undefined
(``sqrt`` at 0, ``asin``/``acos`` at ±1, ``acosh`` at 1, ``hypot`` and
``atan2`` at the origin, ``x ** y`` at x == 0 with 0 < y < 1, d/dy ``x ** y``
at x < 0), a derivative is the IEEE value its formula gives (±inf or nan),
never an exception: partials that can divide by zero, raise 0 to a negative
power or take the log of a non-positive number use the ``ieee_*`` forms
below, which are themselves primitives (so higher derivatives differentiate
them again).  ``x ** y`` follows JAX: d/dx = y * x ** (y - 1), 0 when
y == 0; d/dy = log(x) * x ** y, 0 when x == 0.  The primal value is never
changed: ``math.sqrt(-1.0)`` still raises as Python does.
"""
from __future__ import annotations

import ast
import builtins
import math
import operator

from ..ir.core import BOOL, INT, Const
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
def _pow_partials(b, x, y, out):
    """d/dx and d/dy of ``x ** y`` (also ``math.pow`` and ``ieee_pow``), as
    JAX has them: finite wherever the derivative is (x == 0 included)."""
    if isinstance(y, Const) and y.value == 0:
        d_dx = 0.0
    elif isinstance(y, Const) and float(y.value).is_integer() and y.value >= 1:
        d_dx = b.mul(y, b.pow(x, y.value - 1))       # a non-negative int power: never raises
    else:
        # x ** (y - 1) is out / x (never overflows: float division), and
        # where out == 0 (x == 0, or out underflowed) it is x ** (y - 1)
        # itself (at x == 0: inf for 0 < y < 1, IEEE).  Each side reads x
        # only where it is chosen and 1.0 elsewhere, so the side not chosen
        # stays finite, and so do its derivatives (0 * inf would be nan in
        # reverse mode).  The test reads `out`, so the primal's own error
        # (0 ** -1) is raised even by code that needs no value.
        at_zero = b.eq(out, 0)
        power = b.select(at_zero, b.ieee_pow(b.select(at_zero, x, 1.0), b.sub(y, 1)),
                         b.div(out, b.select(b.eq(x, 0), 1.0, x)))
        d_dx = b.select(b.eq(y, 0), 0.0, b.mul(y, power))
    if isinstance(x, Const):
        d_dy = b.mul(out, _ieee_log_value(x.value))
    else:
        d_dy = b.mul(out, b.ieee_log(b.select(b.eq(x, 0), 1.0, x)))     # 0 ** y is flat in y
    return (d_dx, d_dy)


def _ieee_log_value(x):
    return 0.0 if x == 0 else _ieee_log(x)


declare("pow", 2, operator.pow, emit=infix(ast.Pow), operator_=ast.Pow, python=(builtins.pow,),
        partials=_pow_partials, sympy=lambda sp, x, y: x ** y, domain=(POSITIVE, REALS))
declare("math_pow", 2, math.pow, "math.pow", python=(math.pow,),
        partials=_pow_partials, sympy=lambda sp, x, y: x ** y, domain=(POSITIVE, REALS))
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


# --- IEEE forms, for derivative code only -------------------------------------
# Python raises where IEEE arithmetic gives inf or nan (1.0 / 0.0, 0.0 ** -0.5,
# math.log(0.0)).  Partials that may meet such a point where the primal value
# is fine use these instead; each is a plain conditional expression in the
# generated code, with the fast Python operation on its common path.


def _ieee_div(x, y):
    return x / y if y else x * math.copysign(math.inf, y)


def _ieee_pow(x, y):
    return x ** y if x or y >= 0 else math.inf


def _ieee_log(x):
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


def _math_attr(name):
    return ast.Attribute(value=ast.Name(id="math", ctx=ast.Load()), attr=name, ctx=ast.Load())


def _emit_ieee_div(x, y):
    zero = ast.BinOp(left=x, op=ast.Mult(),
                     right=ast.Call(func=_math_attr("copysign"), args=[_math_attr("inf"), y], keywords=[]))
    return ast.IfExp(test=y, body=ast.BinOp(left=x, op=ast.Div(), right=y), orelse=zero)


def _emit_ieee_pow(x, y):
    test = ast.BoolOp(op=ast.Or(), values=[x, ast.Compare(left=y, ops=[ast.GtE()], comparators=[ast.Constant(0)])])
    return ast.IfExp(test=test, body=ast.BinOp(left=x, op=ast.Pow(), right=y), orelse=_math_attr("inf"))


def _emit_ieee_log(x):
    positive = ast.Compare(left=x, ops=[ast.Gt()], comparators=[ast.Constant(0)])
    zero = ast.Compare(left=x, ops=[ast.Eq()], comparators=[ast.Constant(0)])
    rest = ast.IfExp(test=zero, body=ast.UnaryOp(op=ast.USub(), operand=_math_attr("inf")), orelse=_math_attr("nan"))
    return ast.IfExp(test=positive, body=ast.Call(func=_math_attr("log"), args=[x], keywords=[]), orelse=rest)


# Their arguments are read more than once by the expression: codegen names
# them rather than inlining an expression twice.
IEEE = {"ieee": True, "pinned_args": lambda eqn: eqn.args}


def _declare_ieee(name, nargs, impl, emit, partials, sympy, domain):
    return REGISTRY.add(Primitive(name=name, nargs=nargs, impl=impl, emit=emit, partials=partials, sympy=sympy,
                                  domain=domain, imports=frozenset({"math"}), hooks=dict(IEEE)))


_declare_ieee("ieee_div", 2, _ieee_div, _emit_ieee_div,
              lambda b, x, y, out: (b.ieee_div(1.0, y), b.neg(b.ieee_div(out, y))),
              lambda sp, x, y: x / y, (REALS, (0.5, 3.0)))
_declare_ieee("ieee_pow", 2, _ieee_pow, _emit_ieee_pow, _pow_partials,
              lambda sp, x, y: x ** y, (POSITIVE, REALS))
_declare_ieee("ieee_log", 1, _ieee_log, _emit_ieee_log,
              lambda b, x, out: (b.ieee_div(1.0, x),),
              lambda sp, x: sp.log(x), (POSITIVE,))


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
_unary("asin", math.asin, lambda b, x, out: b.ieee_div(1.0, b.sqrt(b.sub(1.0, b.mul(x, x)))),
       lambda sp, x: sp.asin(x), UNIT_OPEN)
_unary("acos", math.acos, lambda b, x, out: b.ieee_div(-1.0, b.sqrt(b.sub(1.0, b.mul(x, x)))),
       lambda sp, x: sp.acos(x), UNIT_OPEN)
_unary("atan", math.atan, lambda b, x, out: b.div(1.0, b.add(1.0, b.mul(x, x))), lambda sp, x: sp.atan(x))
_unary("sinh", math.sinh, lambda b, x, out: b.cosh(x), lambda sp, x: sp.sinh(x))
_unary("cosh", math.cosh, lambda b, x, out: b.sinh(x), lambda sp, x: sp.cosh(x))
_unary("tanh", math.tanh, lambda b, x, out: b.sub(1.0, b.mul(out, out)), lambda sp, x: sp.tanh(x))
_unary("asinh", math.asinh, lambda b, x, out: b.div(1.0, b.sqrt(b.add(b.mul(x, x), 1.0))),
       lambda sp, x: sp.asinh(x))
_unary("acosh", math.acosh, lambda b, x, out: b.ieee_div(1.0, b.sqrt(b.sub(b.mul(x, x), 1.0))),
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
_unary("sqrt", math.sqrt, lambda b, x, out: b.ieee_div(0.5, out), lambda sp, x: sp.sqrt(x), POSITIVE)
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
        partials=lambda b, x, y, out: (b.ieee_div(x, out), b.ieee_div(y, out)),
        sympy=lambda sp, x, y: sp.sqrt(x ** 2 + y ** 2), domain=((0.3, 3.0), (0.3, 3.0)))


def _atan2_partials(b, y, x):
    """x / (x² + y²) and -y / (x² + y²), divided by the radius twice so that
    tiny x and y do not underflow x² + y² to 0; nan at the origin."""
    r = b.hypot(x, y)
    return (b.ieee_div(b.ieee_div(x, r), r), b.ieee_div(b.ieee_div(b.neg(y), r), r))

# `y = x`: produced by simplification when an equation reduces to an existing
# value; copy propagation removes it again.
declare("copy", 1, lambda x: x, emit=lambda x: x, partials=lambda b, x, out: (1.0,),
        sympy=lambda sp, x: x, out_kind=lambda kinds: kinds[0], hooks={"copy": True})
