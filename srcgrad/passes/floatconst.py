"""Float constants: write ``2`` as ``2.0`` where only floats can come of it.

CPython multiplies two floats on a fast path, but ``2 * x`` with an int
constant takes the generic one, about 10 ns slower per operation, and
derivative code is full of such constants (d x**2 = 2 * x).  With a float
operand the result is the same whether the constant is ``2`` or ``2.0``
(Python converts the int exactly), so the constant of an arithmetic
operation is made a float when the operation has a real operand and its
result can only flow into more such arithmetic, into `math` functions (which
convert to float anyway), or out of the function as a derivative.  Values
that may reach anything else (a loop bound, an index, the returned primal
value, a nested region) keep their int constants, so no value that could be
an int is ever changed into a float where that matters.

Before::

    t = mul 2 x
    u = cos t
    dx = mul u 2          # backward
    return dx

After::

    t = mul 2.0 x
    u = cos t
    dx = mul u 2.0
    return dx

In primal code a constant is only changed where another operand is surely a
float (`srcgrad.passes.floats`): ``2 * n`` and ``2.0 * n`` differ for an int
``n`` beyond 2**53 (rounded twice) or near the float range (``2.0 * n``
overflows to inf where ``2 * n`` stays an int), and the value part of a
transform must be the user's own, bit for bit.

Second, the reverse: simplification keeps ``z * 1.0`` in derivative code
where `z` may be an int at run time, so that a gradient is a float for an int
argument.  Where every reader of that product makes a float of it anyway
(``math.cos(z * 1.0)``, ``(z * 1.0) + w`` with a float ``w``), the product
is dropped and its readers read ``z``.

Which primitives qualify is declared as hooks by `srcgrad.primitives.algebra`
("float_exact", "float_args", "float_result").
"""
from __future__ import annotations

from ..ir.core import REAL, Const, Eqn, Function, Region, Var
from ..primitives import REGISTRY
from .floats import Defs, function_floats, region_defs
from .util import Substitution, nested

_EXACT = 2 ** 53      # ints up to this convert to float exactly


def float_constants(fn: Function) -> Function:
    return fn.with_body(_region(fn.body, top=True, floats=function_floats(fn)))


def _region(region: Region, top: bool, floats: set[Var]) -> Region:
    eqns = [_nested(e, floats) if nested(e) else e for e in region.eqns]
    readers: dict[Var, list[Eqn]] = {}
    for eqn in eqns:
        for arg in eqn.args:
            if isinstance(arg, Var):
                readers.setdefault(arg, []).append(eqn)
    returned = {r for r in region.results if isinstance(r, Var)}
    floating: set[Var] = set()      # values only floats may come of
    for eqn in reversed(eqns):
        # a derivative may leave the top-level function as a float; a primal
        # value or a value leaving a nested region may not
        for out in eqn.outs:
            if out in returned and not (top and eqn.role):
                continue
            if all(_float_reader(r, floating) for r in readers.get(out, ())):
                floating.add(out)
    defs = region_defs(eqns, floats)
    changed = [_with_float_constants(e, defs) if e.outs and e.outs[0] in floating else e for e in eqns]
    changed, results = _drop_float_units(changed, region_defs(changed, floats), region.results)
    if len(changed) == len(region.eqns) and all(a is b for a, b in zip(changed, region.eqns)):
        return region
    return Region(region.params, tuple(changed), results)


def _float_reader(eqn: Eqn, floating: set[Var]) -> bool:
    if nested(eqn):
        return False
    if eqn.prim.hooks.get("float_args"):
        return True
    return bool(eqn.prim.hooks.get("float_exact")) and eqn.outs[0] in floating


def _with_float_constants(eqn: Eqn, defs: Defs) -> Eqn:
    if not eqn.prim.hooks.get("float_exact") or not any(
            isinstance(a, Var) and a.kind == REAL for a in eqn.args):
        return eqn
    if not eqn.role and not any(defs.is_float(a) for a in eqn.args):
        return eqn        # primal: an int operand would be converted differently
    args = tuple(Const(float(a.value)) if _small_int(a) else a for a in eqn.args)
    # compare by identity: Const(2) == Const(2.0)
    return eqn if all(a is b for a, b in zip(args, eqn.args)) else eqn.replace(args=args)


def _small_int(atom) -> bool:
    return (isinstance(atom, Const) and isinstance(atom.value, int) and not isinstance(atom.value, bool)
            and abs(atom.value) <= _EXACT)


def _nested(eqn: Eqn, floats: set[Var]) -> Eqn:
    params = tuple((k, _region(v, top=False, floats=floats) if isinstance(v, Region) else v)
                   for k, v in eqn.params)
    return eqn.replace(params=params)


def _float_unit(eqn: Eqn) -> tuple[Var, bool] | None:
    """``(z, negated)`` when `eqn` is derivative code ``z * 1.0``, ``z *
    -1.0`` or ``z ** 1.0``, kept by simplification where `z` may be an int, so that a
    derivative stays a float."""
    if not eqn.role:
        return None
    if eqn.prim.hooks.get("unit_exponent"):           # z ** 1.0 is z * 1.0
        z, k = eqn.args
        if isinstance(k, Const) and type(k.value) is float and k.value == 1.0 and isinstance(z, Var) \
                and z.kind == REAL:
            return z, False
        return None
    if not eqn.prim.hooks.get("odd") or eqn.prim.hooks.get("float_result") != "any":
        return None
    for k, z in (eqn.args, eqn.args[::-1]):
        if (isinstance(k, Const) and type(k.value) is float and abs(k.value) == 1.0
                and isinstance(z, Var) and z.kind == REAL):
            return z, k.value < 0
    return None


def _needs_float(eqns: list[Eqn], units: dict[Var, Var], results: tuple, known: set[Var]) -> set[Var]:
    """Values whose being an int would show: the region's results, and,
    backwards, an operand of a reader whose result needs it, unless the
    reader makes a float anyway (a `math` function, ``/``, or another operand
    surely a float even with the units gone)."""
    floats = Defs(known)
    for eqn in eqns:
        if eqn.outs and eqn.outs[0] in units:
            floats[eqn.outs[0]] = eqn          # as if it were `z` itself: not surely a float
        else:
            floats.record(eqn)
    need = {r for r in results if isinstance(r, Var)}
    for eqn in reversed(eqns):
        if eqn.prim.hooks.get("float_result") == "always":
            continue
        out_needs = nested(eqn) or len(eqn.outs) != 1 or eqn.outs[0] in need
        if not out_needs:
            continue
        for arg in eqn.args:
            if isinstance(arg, Var) and (nested(eqn) or not any(
                    a is not arg and floats.is_float(a) for a in eqn.args)):
                need.add(arg)
    return need


def _drop_float_units(eqns: list[Eqn], defs: Defs, results: tuple) -> tuple[list[Eqn], tuple]:
    units = {e.outs[0]: u for e in eqns if (u := _float_unit(e)) is not None}
    if not units:
        return eqns, results
    need = _needs_float(eqns, units, results, defs.known)
    subst = Substitution()
    kept = []
    for eqn in eqns:
        out = eqn.outs[0] if eqn.outs else None
        if out in units and (out not in need or defs.is_float(units[out][0])):
            z, negated = units[out]
            if negated:
                kept.append(Eqn(_NEGATION, (subst.atom(z),), (out,), loc=eqn.loc, role=eqn.role))
            else:
                subst[out] = z
            continue
        kept.append(subst.eqn(eqn))
    if not subst and len(kept) == len(eqns) and all(a is b for a, b in zip(kept, eqns)):
        return eqns, results
    return kept, subst.results(results)


_NEGATION = next(p for p in REGISTRY if p.hooks.get("negation"))
