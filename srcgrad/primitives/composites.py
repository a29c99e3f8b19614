"""Python callables whose lowering is a small composition of primitives.

These need no derivative rule of their own: they are written once in terms
of primitives, and the primitives' rules differentiate them.  Keyed by the
callable's id (the object is kept alongside so the id cannot be reused).

`math.hypot` takes any number of arguments; with three or more it is the
variadic primitive ``hypot_n`` declared here (a chain of binary hypots would
round differently, and the value must be Python's to the bit).  ``sum_n`` is
the builtin `sum` for the same reason.
"""
from __future__ import annotations

import ast
import builtins
import math
from typing import Any, Callable

from ..ir.core import BOOL, INT, REAL, Const
from .core import REALS, REGISTRY, Primitive, call, dotted_name


def _log(b: Any, x: Any, base: Any = None) -> Any:
    """math.log(x) or math.log(x, base) == log(x) / log(base)."""
    if base is None:
        return b.log(x)
    return b.div(b.log(x), b.log(base))


def _round(b: Any, x: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return b.round(x)
    return b.round_ndigits(x, ndigits)


def _pow(b: Any, x: Any, y: Any) -> Any:
    return b.pow(x, y)


def _hypot(b: Any, *xs: Any) -> Any:
    """math.hypot(*xs), Euclidean norm: 0.0 of nothing, |x| of one number
    (math.hypot(x) is math.fabs(x), derivative sign(x)), the binary
    primitive of two, ``hypot_n`` of more."""
    if not xs:
        return Const(0.0)
    if len(xs) == 1:
        return b.fabs(xs[0])
    if len(xs) == 2:
        return b.hypot(*xs)
    return b.hypot_n(*xs)


def _hypot_n_partials(b: Any, *xs_and_out: Any) -> tuple:
    # d/dx_i sqrt(sum x_j^2) = x_i / hypot, as for the binary primitive
    *xs, out = xs_and_out
    return tuple(b.ieee_div(x, out) for x in xs)


def _hypot_n_sympy(sp: Any, *xs: Any) -> Any:
    return sp.sqrt(sum(x ** 2 for x in xs))


HYPOT_N: Primitive = REGISTRY.add(Primitive(
    name="hypot_n", nargs=-1, impl=math.hypot, emit=call("math.hypot"), partials=_hypot_n_partials,
    sympy=_hypot_n_sympy, imports=frozenset({"math"}),
    # a variadic primitive is sampled (by checks and tests) with as many
    # arguments as its domain lists
    domain=((0.3, 3.0),) * 3,
    doc="math.hypot of three or more numbers (variadic)"))


def _sum_n_emit(start: ast.expr, *items: ast.expr) -> ast.expr:
    args: list[ast.expr] = [ast.Tuple(elts=list(items), ctx=ast.Load())]
    if not (isinstance(start, ast.Constant) and start.value == 0 and type(start.value) is int):
        args.append(start)
    return ast.Call(func=dotted_name("sum"), args=args, keywords=[])     # named as max, abs... are


def _sum_n_kind(kinds: tuple) -> str:
    return INT if all(k in (INT, BOOL) for k in kinds) else REAL


# `sum(items, start)`, computed by Python's own sum: since 3.12 it adds floats
# with compensation, so a chain of `+` would not give its value to the bit.
SUM_N: Primitive = REGISTRY.add(Primitive(
    name="sum_n", nargs=-1, impl=lambda start, *items: builtins.sum(items, start), emit=_sum_n_emit,
    partials=lambda b, *args_and_out: (1.0,) * (len(args_and_out) - 1),
    sympy=lambda sp, start, *items: start + sp.Add(*items), out_kind=_sum_n_kind,
    domain=(REALS,) * 3, doc="sum((x1, x2, ...), start), as Python's builtin sum (variadic)"))


COMPOSITES: dict[int, tuple[Any, Callable[..., Any]]] = {
    id(fn): (fn, rule) for fn, rule in [(math.log, _log), (builtins.round, _round), (builtins.pow, _pow),
                                        (math.hypot, _hypot)]
}
