"""Dead code elimination: drop equations whose outputs nothing reads.

Before::

    z = mul x y
    t = log z          # unused
    return z

After::

    z = mul x y
    return z

Structured equations may declare a ``prune`` hook that drops unused outputs
(and the region results feeding them) instead of keeping the whole equation.
"""
from __future__ import annotations

from ..ir.core import Function, Region, Var
from .util import map_regions


def dead_code(fn: Function) -> Function:
    return map_regions(fn, _region)


def _region(region: Region) -> Region:
    live = {r for r in region.results if isinstance(r, Var)}
    kept = []
    for eqn in reversed(region.eqns):
        prune = eqn.prim.hooks.get("prune")
        if prune is not None:
            eqn = prune(eqn, live)
            if eqn is None:
                continue
        elif not eqn.prim.hooks.get("effect") and not any(o in live for o in eqn.outs):
            continue
        kept.append(eqn)
        # regions read only their equation's args (the IR invariant), so the
        # args are all a structured equation needs from outside
        live.update(a for a in eqn.args if isinstance(a, Var))
    kept.reverse()
    return Region(region.params, tuple(kept), region.results)
