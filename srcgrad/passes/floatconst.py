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

Which primitives qualify is declared as hooks by `srcgrad.primitives.algebra`
("float_exact", "float_args").
"""
from __future__ import annotations

from ..ir.core import REAL, Const, Eqn, Function, Region, Var
from .util import nested

_EXACT = 2 ** 53      # ints up to this convert to float exactly


def float_constants(fn: Function) -> Function:
    return fn.with_body(_region(fn.body, top=True))


def _region(region: Region, top: bool) -> Region:
    eqns = [_nested(e) if nested(e) else e for e in region.eqns]
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
    changed = [_with_float_constants(e) if e.outs and e.outs[0] in floating else e for e in eqns]
    if all(a is b for a, b in zip(changed, region.eqns)):
        return region
    return Region(region.params, tuple(changed), region.results)


def _float_reader(eqn: Eqn, floating: set[Var]) -> bool:
    if nested(eqn):
        return False
    if eqn.prim.hooks.get("float_args"):
        return True
    return bool(eqn.prim.hooks.get("float_exact")) and eqn.outs[0] in floating


def _with_float_constants(eqn: Eqn) -> Eqn:
    if not eqn.prim.hooks.get("float_exact") or not any(
            isinstance(a, Var) and a.kind == REAL for a in eqn.args):
        return eqn
    args = tuple(Const(float(a.value)) if _small_int(a) else a for a in eqn.args)
    # compare by identity: Const(2) == Const(2.0)
    return eqn if all(a is b for a, b in zip(args, eqn.args)) else eqn.replace(args=args)


def _small_int(atom) -> bool:
    return (isinstance(atom, Const) and isinstance(atom.value, int) and not isinstance(atom.value, bool)
            and abs(atom.value) <= _EXACT)


def _nested(eqn: Eqn) -> Eqn:
    params = tuple((k, _region(v, top=False) if isinstance(v, Region) else v) for k, v in eqn.params)
    return eqn.replace(params=params)
