"""Algebraic identities of the primitives, used by the simplification pass.

Each rule belongs to one primitive (attached as its ``simplify`` hook) and
reads as the identity it applies: ``x * 1 -> x``.  A rule receives a builder,
the equation's operands and `defs` (the defining equation of each value, where
known) and returns the simpler replacement, or None to leave the equation.
Rules only fire when the identity holds for every finite input, with two
exceptions.  ``x * 0 -> 0`` is taken (as by every AD tool's symbolic zeros)
because a zero coefficient there is structural, not numeric.  Cancellations
of a value against itself in a quotient (``x / x -> 1``, ``(a / b) / a ->
1 / b``) hold wherever the original does not divide by zero (where it would
raise ZeroDivisionError) and may differ from it in the last bit; derivative
rules produce them whenever a function's derivative contains the function
(d log(g) = g' / g with g = exp, sigmoid, ...), and a person would cancel them.
They fire only in derivative code (equations with a role), so the primal
computation, and the value `value_and_grad` returns, fail exactly where the
user's function does.
"""
from __future__ import annotations

from typing import Any, Callable

from ..ir.core import Const, Var
from .core import REGISTRY


def _const(atom: Any, value: float | None = None) -> bool:
    if not isinstance(atom, Const) or isinstance(atom.value, bool):
        return False
    return value is None or atom.value == value


def _def(defs: dict, atom: Any, name: str):
    """The defining equation of `atom` if it is an application of `name`."""
    eqn = defs.get(atom) if isinstance(atom, Var) else None
    return eqn if eqn is not None and eqn.prim.name == name else None


def _zero_like(*atoms: Any) -> Const:
    return Const(0.0) if any(a.kind == "real" for a in atoms) else Const(0)


def _keeps_type(z: Any, k: Const) -> bool:
    """Whether ``z op k`` has z's type (k a constant): true for a real z, or
    an int z with an int k.  ``1.0 * True`` is ``1.0``, not ``True``: dropping
    such an operation would make a gradient come out as a bool or an int."""
    return z.kind == "real" or (z.kind == "int" and not isinstance(k.value, float))


def _identity(b, z: Any, k: Const):
    """``z op k`` where `k` is the operation's identity (z * 1, z + 0, z ** 1):
    `z`, or ``float(z)`` where the float `k` makes an int or bool a float."""
    if _keeps_type(z, k):
        return z
    return b.float(z) if isinstance(k.value, float) else None


def _add(b, x, y, defs):
    if _const(y, 0):
        return _identity(b, x, y)
    if _const(x, 0):
        return _identity(b, y, x)
    if (n := _def(defs, y, "neg")) is not None:
        return b.sub(x, n.args[0])                    # x + (-z) -> x - z
    if (n := _def(defs, x, "neg")) is not None:
        return b.sub(y, n.args[0])                    # (-z) + y -> y - z
    if (k := _negative_multiple(defs, y)) is not None:
        return b.sub(x, b.mul(-k[0], k[1]))           # x + (-k) * z -> x - k * z
    if (k := _negative_multiple(defs, x)) is not None:
        return b.sub(y, b.mul(-k[0], k[1]))           # (-k) * z + y -> y - k * z
    return None


def _negative_multiple(defs, atom):
    """(k, z) when `atom` is ``k * z`` with a negative constant k."""
    m = _def(defs, atom, "mul")
    if m is not None and _const(m.args[0]) and m.args[0].value < 0:
        return m.args[0].value, m.args[1]
    return None


def _sub(b, x, y, defs):
    if _const(y, 0):
        return _identity(b, x, y)
    if _const(x, 0) and _keeps_type(y, x):
        return b.neg(y)
    if (n := _def(defs, y, "neg")) is not None:
        return b.add(x, n.args[0])                    # x - (-z) -> x + z
    if (k := _negative_multiple(defs, y)) is not None:
        return b.add(x, b.mul(-k[0], k[1]))           # x - (-k) * z -> x + k * z
    return None


def _mul(b, x, y, defs):
    for k, z in ((x, y), (y, x)):
        if _const(k, 1):
            return _identity(b, z, k)
        if _const(k, 0):
            return _zero_like(x, y)
        if _const(k, -1) and _keeps_type(z, k):
            return b.neg(z)
    for k, z in ((x, y), (y, x)):
        if (d := _def(defs, k, "div")) is not None and _const(d.args[0], 1):
            return b.div(z, d.args[1])                # (1 / a) * z -> z / a
        if (s := _def(defs, k, "select")) is not None and _const(s.args[1]) and _const(s.args[2]):
            c, k1, k2 = s.args                        # (k1 if c else k2) * z
            return b.select(c, b.mul(k1, z), b.mul(k2, z))
        if _const(k) and (m := _def(defs, z, "mul")) is not None and _const(m.args[0]):
            return b.mul(k.value * m.args[0].value, m.args[1])   # k * (k2 * w)
        if _const(k) and (n := _def(defs, z, "neg")) is not None:
            return b.mul(-k.value, n.args[0])         # k * (-w) -> (-k) * w
    # (-w) * y -> -(w * y) is `srcgrad.passes.signs`: it needs to see who reads
    # the result, so as never to add a negation
    return None


def _div(b, x, y, defs):
    if _const(y, 1):
        return _identity(b, x, Const(1.0))           # x / 1 is a float even for an int x
    if _const(x, 0) and not _const(y, 0):
        return _zero_like(x, y)
    if not b.role:
        return None       # cancellations only in derivative code: the primal keeps its own errors
    if x is y and isinstance(x, Var):
        return Const(1.0)                             # x / x -> 1
    if (d := _def(defs, x, "div")) is not None and d.args[0] is y and isinstance(y, Var):
        return b.div(1.0, d.args[1])                  # (a / c) / a -> 1 / c
    return None


def _neg(b, x, defs):
    if (n := _def(defs, x, "neg")) is not None:
        return n.args[0]                              # -(-z) -> z
    if (m := _def(defs, x, "mul")) is not None and _const(m.args[0]):
        return b.mul(-m.args[0].value, m.args[1])     # -(k * z) -> (-k) * z
    if m is not None and _const(m.args[1]):
        return b.mul(-m.args[1].value, m.args[0])     # -(z * k) -> (-k) * z
    if (d := _def(defs, x, "div")) is not None and _const(d.args[0]):
        return b.div(-d.args[0].value, d.args[1])     # -(k / z) -> (-k) / z
    if (s := _def(defs, x, "sub")) is not None:
        return b.sub(s.args[1], s.args[0])            # -(a - c) -> c - a
    return None


def _pow(b, x, y, defs):
    if _const(y, 1):
        return _identity(b, x, y)
    if _const(y, 0):
        return Const(1.0) if x.kind == "real" else Const(1)
    if _const(y, 2):
        return b.mul(x, x)                            # faster than ** in CPython
    return None


def _select(b, c, x, y, defs):
    if isinstance(c, Const):
        return x if c.value else y
    if x is y or (isinstance(x, Const) and x == y):
        return x
    return None


RULES: dict[str, Callable[..., Any]] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "pow": _pow, "select": _select,
}

for _name, _rule in RULES.items():
    REGISTRY[_name].hooks["simplify"] = _rule

# Facts about arithmetic that passes read as hooks, so no pass needs to know a
# primitive's name:
#   "negation"      the primitive is ``-x``;
#   "odd"           ``p(.., -a, ..) == -p(.., a, ..)`` exactly, in every argument
#                   (`srcgrad.passes.signs` moves such signs outwards);
#   "absorbs_sign"  argument positions where a negated operand costs nothing,
#                   by the rules above (``x + (-z) -> x - z``, ``-(-z) -> z``);
#   "float_exact"   with a float operand, an int constant operand may be written
#                   as a float without changing the result
#                   (`srcgrad.passes.floatconst`);
#   "float_args"    the implementation converts its arguments to float, so
#                   whether one was an int does not change the result.
_ARITHMETIC_HOOKS = {
    "neg": {"negation": True, "absorbs_sign": (0,), "float_exact": True},
    "add": {"absorbs_sign": (0, 1), "float_exact": True},
    "sub": {"absorbs_sign": (1,), "float_exact": True},
    "mul": {"odd": True, "float_exact": True},
    "div": {"odd": True, "float_exact": True},
}
for _name, _hooks in _ARITHMETIC_HOOKS.items():
    REGISTRY[_name].hooks.update(_hooks)
for _prim in REGISTRY:
    if getattr(_prim.impl, "__module__", None) == "math" and not _prim.piecewise_constant:
        _prim.hooks["float_args"] = True
