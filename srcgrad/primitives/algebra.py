"""Algebraic identities of the primitives, used by the simplification pass.

Each rule belongs to one primitive (attached as its ``simplify`` hook) and
reads as the identity it applies: ``x * 1 -> x``.  A rule receives a builder,
the equation's operands and `defs` (the defining equation of each value, and
which values are surely floats: `srcgrad.passes.floats.Defs`) and returns the
simpler replacement, or None to leave the equation.

Two standards, by where the equation is (``b.role``):

* **Primal code** (no role: what the user's function computes, whose value
  `value_and_grad` and `jvp` return and the derivative code reads) only
  takes identities that are *exact* in Python's arithmetic for every input:
  the same bits (``-0.0`` is not ``0.0``), the same type (``x * 1.0`` is a
  float for an int ``x``), the same infinities and nans, the same
  exceptions (``x ** 2`` raises `OverflowError` where ``x * x`` gives inf).
  So ``x - 0.0 -> x``, ``x + (-0.0) -> x`` and ``x + (-6.0) -> x - 6.0``
  are taken, ``x + 0.0 -> x``
  (wrong at ``-0.0``), ``x * 0 -> 0`` (inf, nan, ``-0.0``) and ``-(a - b) ->
  b - a`` (``-0.0`` at ``a == b``) are not.
* **Derivative code** (cotangents and tangents) takes identities that hold
  as values for every finite input, up to the sign of a zero: ``x * 0 -> 0``
  (a zero coefficient there is structural, as in every AD tool's symbolic
  zeros), reassociation of constants, ``x ** 2 -> x * x`` (faster in
  CPython), and cancellations of a value against itself in a quotient
  (``x / x -> 1``, ``(a / b) / a -> 1 / b``), which hold wherever the
  original does not divide by zero and may differ from it in the last bit;
  derivative rules produce them whenever a function's derivative contains
  the function (d log(g) = g' / g with g = exp, sigmoid, ...).  Derivative
  values stay floats: ``1.0 * z -> z`` is only taken when `z` is surely a
  float, so an int argument gives a float gradient.
"""
from __future__ import annotations

import math
from typing import Any, Callable

from ..ir.core import BOOL, INT, Const, Var
from .core import NEVER, REGISTRY


def _const(atom: Any, value: float | None = None) -> bool:
    if not isinstance(atom, Const) or isinstance(atom.value, bool):
        return False
    return value is None or atom.value == value


def _negative_zero(atom: Any) -> bool:
    return _const(atom, 0) and isinstance(atom.value, float) and math.copysign(1.0, atom.value) < 0


def _positive_zero(atom: Any) -> bool:
    """0.0 or the int 0 (which acts as +0.0 with a float operand)."""
    return _const(atom, 0) and not _negative_zero(atom)


def same_const(a: Any, b: Any) -> bool:
    """Two constants that are the same Python value: same type, same bits
    (``0.0`` and ``-0.0``, ``1`` and ``1.0`` are different)."""
    return (isinstance(a, Const) and isinstance(b, Const) and type(a.value) is type(b.value)
            and repr(a.value) == repr(b.value))


def _def(defs: dict, atom: Any, name: str):
    """The defining equation of `atom` if it is an application of `name`."""
    eqn = defs.get(atom) if isinstance(atom, Var) else None
    return eqn if eqn is not None and eqn.prim.name == name else None


def _is_float(defs: Any, atom: Any) -> bool:
    is_float = getattr(defs, "is_float", None)
    if is_float is not None:
        return is_float(atom)
    return isinstance(atom, Const) and isinstance(atom.value, float)


def _int(atom: Any) -> bool:
    return atom.kind == INT


def _zero_like(*atoms: Any) -> Const:
    return Const(0.0) if any(a.kind != INT for a in atoms) else Const(0)


def _keeps_type(defs, z: Any, k: Const) -> bool:
    """Whether ``z op k`` surely has z's type (k a constant): true for a
    float z, or an int z with an int k.  A `real` value may hold an int at
    run time (a parameter called with 3), and ``1.0 * True`` is ``1.0``:
    dropping the operation would make a value or a gradient come out as an
    int or a bool."""
    return _is_float(defs, z) or (_int(z) and not isinstance(k.value, float))


def _keeps_value(b, defs, z: Any, k: Const) -> bool:
    """`_keeps_type`, or in derivative code an int `k` (``z * 1`` is an int
    only where `z` is: the value is the same, and no float is lost)."""
    return _keeps_type(defs, z, k) or (bool(b.role) and z.kind != BOOL and not isinstance(k.value, float))


def _identity(b, z: Any, k: Const, defs):
    """``z op k`` where `k` is the operation's identity (z * 1, z - 0, z ** 1):
    `z`, or ``float(z)`` where the float `k` makes an int or bool a float;
    left alone when `z` may be an int or a float (a `real` parameter)."""
    if _keeps_value(b, defs, z, k):
        return z
    if isinstance(k.value, float) and z.kind in (INT, BOOL):
        return b.float(z)
    return None


def _nonzero_or_float(k: Const) -> bool:
    """Whether ``-k`` is the negation of `k` as an operand: not for the int
    0, whose negation is 0 again (``0 * -2.0`` is ``-0.0``, ``0 * 2.0`` is 0.0)."""
    return isinstance(k.value, float) or k.value != 0


def _add(b, x, y, defs):
    for z, k in ((x, y), (y, x)):
        # x + (-0.0) == x exactly; x + 0.0 is 0.0 at x == -0.0
        if _const(k, 0) and (b.role or _negative_zero(k) or (_int(z) and _int(k))):
            return _identity(b, z, k, defs)
    for z, k in ((x, y), (y, x)):
        if _negative_const(k):
            return b.sub(z, -k.value)                 # x + (-6.0) -> x - 6.0
    if (n := _def(defs, y, "neg")) is not None and _signed(b, defs, n.args[0]):
        return b.sub(x, n.args[0])                    # x + (-z) -> x - z
    if (n := _def(defs, x, "neg")) is not None and _signed(b, defs, n.args[0]):
        return b.sub(y, n.args[0])                    # (-z) + y -> y - z
    if (k := _negative_multiple(b, defs, y)) is not None:
        return b.sub(x, b.mul(-k[0], k[1]))           # x + (-k) * z -> x - k * z
    if (k := _negative_multiple(b, defs, x)) is not None:
        return b.sub(y, b.mul(-k[0], k[1]))           # (-k) * z + y -> y - k * z
    return None


def _negative_multiple(b, defs, atom):
    """(k, z) when `atom` is ``k * z`` with a negative constant k (a float
    product, in primal code: see `_signed`)."""
    m = _def(defs, atom, "mul")
    if m is not None and _const(m.args[0]) and m.args[0].value < 0 and (
            isinstance(m.args[0].value, float) or _signed(b, defs, m.args[1])):
        return m.args[0].value, m.args[1]
    return None


def _negative_const(k: Any) -> bool:
    """A constant below zero, whose negation is an exact constant: ``x + k``
    and ``x - (-k)`` are then one operation for every x (IEEE defines
    ``a - b`` as ``a + (-b)``, signed zeros, infinities and nans included;
    ints are exact; an int too large for a float raises the same
    OverflowError), so primal code takes it too."""
    return _const(k) and k.value < 0


def _signed(b, defs, z: Any) -> bool:
    """Whether negating `z` flips its sign, as the identities moving a
    negation assume: in primal code only for a float, since the int 0 has no
    negative (``-0.0 + -(0)`` is ``0.0``, ``-0.0 - 0`` is ``-0.0``)."""
    return bool(b.role) or _is_float(defs, z)


def _sub(b, x, y, defs):
    if _const(y, 0) and (b.role or _positive_zero(y)):
        return _identity(b, x, y, defs)               # x - 0.0 == x; x - (-0.0) is x + 0.0
    if _const(x, 0) and _keeps_type(defs, y, x) and (b.role or _negative_zero(x) or _int(y)):
        return b.neg(y)                               # -0.0 - y == -y; 0.0 - 0.0 is 0.0
    if _negative_const(y):
        return b.add(x, -y.value)                     # x - (-6.0) -> x + 6.0
    if (n := _def(defs, y, "neg")) is not None and _signed(b, defs, n.args[0]):
        return b.add(x, n.args[0])                    # x - (-z) -> x + z
    if (k := _negative_multiple(b, defs, y)) is not None:
        return b.add(x, b.mul(-k[0], k[1]))           # x - (-k) * z -> x + k * z
    return None


def _mul(b, x, y, defs):
    for k, z in ((x, y), (y, x)):
        if _const(k, 1):
            return _identity(b, z, k, defs)
        if _const(k, 0) and (b.role or (_int(z) and _int(k))):
            return _zero_like(x, y)                   # inf * 0 is nan, -2.0 * 0 is -0.0
        if _const(k, -1) and _keeps_type(defs, z, k):
            return b.neg(z)
    for k, z in ((x, y), (y, x)):
        if b.role and (d := _def(defs, k, "div")) is not None and _const(d.args[0], 1):
            return b.div(z, d.args[1])                # (1 / a) * z -> z / a
        if (s := _def(defs, k, "select")) is not None and _const(s.args[1]) and _const(s.args[2]):
            c, k1, k2 = s.args                        # (k1 if c else k2) * z
            return b.select(c, b.mul(k1, z), b.mul(k2, z))
        if _const(k) and (m := _def(defs, z, "mul")) is not None and _const(m.args[0]) \
                and _reassociates(b, k, m.args[0], m.args[1]):
            return b.mul(k.value * m.args[0].value, m.args[1])   # k * (k2 * w)
        if (_const(k) and _nonzero_or_float(k) and (n := _def(defs, z, "neg")) is not None
                and _signed(b, defs, n.args[0])):
            return b.mul(-k.value, n.args[0])         # k * (-w) -> (-k) * w
    # (-w) * y -> -(w * y) is `srcgrad.passes.signs`: it needs to see who reads
    # the result, so as never to add a negation
    return None


def _reassociates(b, k: Const, k2: Const, w: Any) -> bool:
    """Whether ``k * (k2 * w) -> (k * k2) * w`` may be taken: exactly for
    ints; in derivative code for floats too (it rounds differently), unless
    ``k * k2`` overflows or underflows, which would change finite values."""
    if _int(k) and _int(k2) and _int(w):
        return True
    product = k.value * k2.value
    return bool(b.role) and math.isfinite(product) and product != 0


def _div(b, x, y, defs):
    if _const(y, 1):
        return _identity(b, x, Const(1.0), defs)      # x / 1 is a float even for an int x
    if not b.role:
        return None       # 0 / y, x / x: the primal keeps its own values and errors
    if _const(x, 0) and not _const(y, 0):
        return _zero_like(x, y)
    if x is y and isinstance(x, Var):
        return Const(1.0)                             # x / x -> 1
    if (d := _def(defs, x, "div")) is not None and d.args[0] is y and isinstance(y, Var):
        return b.div(1.0, d.args[1])                  # (a / c) / a -> 1 / c
    return None


def _neg(b, x, defs):
    if (n := _def(defs, x, "neg")) is not None and (b.role or _is_float(defs, n.args[0])
                                                     or _int(n.args[0])):
        return n.args[0]                              # -(-z) -> z (but -(-True) is 1)
    m = _def(defs, x, "mul")
    if m is not None and _const(m.args[0]) and _nonzero_or_float(m.args[0]):
        return b.mul(-m.args[0].value, m.args[1])     # -(k * z) -> (-k) * z
    if m is not None and _const(m.args[1]) and _nonzero_or_float(m.args[1]):
        return b.mul(-m.args[1].value, m.args[0])     # -(z * k) -> (-k) * z
    if (d := _def(defs, x, "div")) is not None and _const(d.args[0]) and _nonzero_or_float(d.args[0]):
        return b.div(-d.args[0].value, d.args[1])     # -(k / z) -> (-k) / z
    if (s := _def(defs, x, "sub")) is not None and (b.role or (_int(s.args[0]) and _int(s.args[1]))):
        return b.sub(s.args[1], s.args[0])            # -(a - c) -> c - a (-0.0 at a == c)
    return None


def _pow(b, x, y, defs):
    if _const(y, 1):
        return _identity(b, x, y, defs)
    if _const(y, 0):
        if b.role or _is_float(defs, x):
            return Const(1.0)                         # x ** 0 is 1.0, also at nan; but
        return Const(1) if _int(x) and isinstance(y.value, int) else None   # (10 ** 400) ** 0.0 raises
    if _const(y, 2) and b.role:
        return b.mul(x, x)                            # faster than ** in CPython, but inf
    return None                                       # where ** raises OverflowError


def _math_pow(b, x, y, defs):
    if _const(y, 1) and _is_float(defs, x):
        return x                                      # math.pow(x, 1) is x for a float (-0.0, inf, nan too)
    return None


def _select(b, c, x, y, defs):
    if isinstance(c, Const):
        return x if c.value else y
    if x is y or same_const(x, y):
        return x
    return None


RULES: dict[str, Callable[..., Any]] = {
    "add": _add, "sub": _sub, "mul": _mul, "div": _div, "neg": _neg, "pow": _pow, "math_pow": _math_pow,
    "select": _select,
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
#                   whether one was an int does not change the result;
#   "unit_exponent" ``p(z, 1.0)`` is ``float(z)`` for every z, failures included
#                   (``z ** 1.0``, ``math.pow(z, 1.0)``: like ``z * 1.0``, which
#                   `srcgrad.passes.floatconst` drops where readers make a float anyway).
_ARITHMETIC_HOOKS = {
    "neg": {"negation": True, "absorbs_sign": (0,), "float_exact": True},
    "add": {"absorbs_sign": (0, 1), "float_exact": True},
    "sub": {"absorbs_sign": (1,), "float_exact": True},
    "mul": {"odd": True, "float_exact": True},
    "div": {"odd": True, "float_exact": True},
}
for _name, _hooks in _ARITHMETIC_HOOKS.items():
    REGISTRY[_name].hooks.update(_hooks)
for _name in ("pow", "math_pow"):
    REGISTRY[_name].hooks["unit_exponent"] = True
for _prim in REGISTRY:
    if getattr(_prim.impl, "__module__", None) == "math" and not _prim.piecewise_constant:
        _prim.hooks["float_args"] = True

# Which primitives cannot fail (read by `srcgrad.primitives.core.may_raise`;
# every primitive not listed may): comparisons, choices, ``-`` and ``abs``
# never raise on numbers, and ``+ - *`` only where an int beyond the float
# range (about 1.8e308) meets a float, which is not preserved: keeping every
# unused sum would keep the whole primal in every gradient.  Everything else
# may raise: ``/ // %`` divide by zero, ``**`` and every `math` function
# overflow or leave their domain (``math.sin(inf)``), ``int``, ``round`` and
# ``floor`` fail on inf and nan, ``float`` on a huge int.
for _name in ("neg", "abs", "max", "min", "select", "copy", "add", "sub", "mul",
              "lt", "le", "gt", "ge", "eq", "ne", "not_"):
    REGISTRY[_name].hooks["raises"] = NEVER

# Primitives that fail on exactly the same operands ("fails_like"): sin, cos
# and tan raise ValueError at +-inf and OverflowError on an int beyond the
# float range, nowhere else; dead-code elimination drops an unused sin(t)
# where cos(t) runs anyway.
for _name in ("sin", "cos", "tan"):
    REGISTRY[_name].hooks["fails_like"] = "trig"

# When a result is surely a float (read by `srcgrad.passes.floats`): "always"
# (``/`` and `math`, which convert to float), "any" / "all" operands floats,
# "branches" (both choices of ``a if c else b``).  ``**`` is absent: a float
# power of a negative float is complex.
_FLOAT_RESULT = {"div": "always", "float": "always",
                 "add": "any", "sub": "any", "mul": "any", "mod": "any", "floordiv": "any",
                 "neg": "all", "abs": "all", "max": "all", "min": "all", "copy": "all",
                 "select": "branches"}
for _prim in REGISTRY:
    if _prim.hooks.get("float_args"):
        _prim.hooks["float_result"] = "always"
for _name, _rule in _FLOAT_RESULT.items():
    REGISTRY[_name].hooks["float_result"] = _rule
