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
from .util import map_regions, nested


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
        live.update(a for a in eqn.args if isinstance(a, Var))
        for sub in nested(eqn):
            live.update(_free_vars(sub))
    kept.reverse()
    return Region(region.params, tuple(kept), region.results)


def _free_vars(region: Region) -> set[Var]:
    """Vars a nested region reads that it does not define (none, when the
    explicit-dataflow invariant holds; kept for robustness)."""
    defined = set(region.params)
    used: set[Var] = set()
    for eqn in region.walk():
        defined.update(eqn.outs)
        for sub in eqn.regions:
            defined.update(sub.params)
        used.update(a for a in eqn.args if isinstance(a, Var))
    used.update(r for r in region.results if isinstance(r, Var))
    return used - defined
