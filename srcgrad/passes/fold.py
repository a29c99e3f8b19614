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

from ..ir.core import Const, Region
from ..primitives.core import constant_result
from .util import Substitution, Sweep, nested


def constant_fold_region(region: Region, sweep: Sweep) -> Region:
    return _region(region)


def _region(region: Region) -> Region:
    subst = Substitution()
    kept = []
    for eqn in region.eqns:
        eqn = subst.eqn(eqn)
        if (len(eqn.outs) == 1 and not nested(eqn) and not eqn.prim.hooks.get("effect")
                and all(isinstance(a, Const) for a in eqn.args)):
            value = constant_result(eqn.prim, [a.value for a in eqn.args])
            if value is not None:
                subst[eqn.outs[0]] = Const(value)
                continue
        kept.append(eqn)
    return Region(region.params, tuple(kept), subst.results(region.results))
