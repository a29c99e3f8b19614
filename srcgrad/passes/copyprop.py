"""Copy propagation: remove ``y = copy x`` by using ``x`` wherever ``y`` was.

Before::

    t = mul dz y
    dx = copy t
    return dx

After::

    dx = mul dz y
    return dx

When ``x`` is an unnamed temporary defined in the same region and ``y``
carries a name, the temporary takes ``y``'s place instead, so the user-facing
name survives.
"""
from __future__ import annotations

from ..ir.core import Eqn, Region, Var
from .util import Substitution, Sweep, nested


def copy_propagation_region(region: Region, sweep: Sweep) -> Region:
    return _region(region)


def _region(region: Region) -> Region:
    definer: dict[Var, int] = {}
    eqns: list[Eqn | None] = list(region.eqns)
    subst = Substitution()
    renamed: dict[Var, Var] = {}       # temporary -> the named var replacing it
    for i, eqn in enumerate(eqns):
        if not eqn.prim.hooks.get("copy") or nested(eqn):
            for out in eqn.outs:
                definer[out] = i
            continue
        source, target = subst.atom(eqn.args[0]), eqn.outs[0]
        j = definer.get(source) if isinstance(source, Var) else None
        if (j is not None and not source.hint and target.hint and source not in renamed
                and len(eqns[j].outs) == 1):
            eqns[j] = eqns[j].replace(outs=(target,))
            definer[target] = j
            renamed[source] = target
            subst[source] = target
        else:
            subst[target] = source
        eqns[i] = None
    kept = tuple(subst.eqn(e) for e in eqns if e is not None)
    return Region(region.params, kept, subst.results(region.results))
