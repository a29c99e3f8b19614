"""Constant folding: evaluate operations whose operands are all constants.

Before::

    a = sub 2 1
    b = pow x a

After::

    b = pow x 1

Only finite numeric results are folded; an operation that raises (``log 0``)
or overflows is left for run time, so folding never changes behaviour.
"""
from __future__ import annotations

import math

from ..ir.core import Const, Function, Region
from .util import Substitution, map_regions, nested


def constant_fold(fn: Function) -> Function:
    return map_regions(fn, _region)


def _region(region: Region) -> Region:
    subst = Substitution()
    kept = []
    for eqn in region.eqns:
        eqn = subst.eqn(eqn)
        if (len(eqn.outs) == 1 and not nested(eqn) and not eqn.prim.hooks.get("effect")
                and all(isinstance(a, Const) for a in eqn.args)):
            value = _evaluate(eqn)
            if value is not None:
                subst[eqn.outs[0]] = Const(value)
                continue
        kept.append(eqn)
    return Region(region.params, tuple(kept), subst.results(region.results))


def _evaluate(eqn):
    try:
        value = eqn.prim.impl(*(a.value for a in eqn.args))
    except (ArithmeticError, ValueError, TypeError):
        return None
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) < 2 ** 53):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None
