"""Algebraic simplification: apply each primitive's identities.

Before::

    a = mul 1.0 dz
    b = add x 0
    c = neg d
    e = add b c

After::

    a = copy dz
    b = copy x
    e = sub b d

The identities themselves live with the primitives
(`srcgrad.primitives.algebra`); this pass only applies them.  An equation
that reduces to an existing value becomes a ``copy``, which copy propagation
removes; one that reduces to new operations keeps its output variable, so
names survive.  Primal equations take only identities exact in IEEE and
Python arithmetic; derivative equations (those with a role) take more (see
`srcgrad.primitives.algebra`).
"""
from __future__ import annotations

from ..ir.builder import Builder
from ..ir.core import Eqn, Region, Var
from .floats import Defs
from .util import Substitution, Sweep


def _region(region: Region, floats: set[Var]) -> Region:
    defs = Defs(floats)
    subst = Substitution()
    kept: list[Eqn] = []
    b = Builder()                       # one builder, reset for each rule applied
    for eqn in region.eqns:
        eqn = subst.eqn(eqn)
        rule = eqn.prim.hooks.get("simplify")
        replacement = _apply(b, rule, eqn, defs) if rule is not None and len(eqn.outs) == 1 else None
        for new in replacement or (eqn,):
            kept.append(new)
            defs.record(new)
    return Region(region.params, tuple(kept), subst.results(region.results))


def _apply(b: Builder, rule, eqn: Eqn, defs: Defs) -> list[Eqn] | None:
    b.loc, b.role, b.eqns = eqn.loc, eqn.role, []
    result = rule(b, *eqn.args, defs)
    if result is None:
        return None
    out = eqn.outs[0]
    if b.eqns and isinstance(result, Var) and b.eqns[-1].outs == (result,):
        b.eqns[-1] = b.eqns[-1].replace(outs=(out,))   # the new value keeps the old name
    else:
        b.eqns.append(Eqn(b.registry["copy"], (result,), (out,), loc=eqn.loc, role=eqn.role))
    return b.eqns


def simplify_region(region: Region, sweep: Sweep) -> Region:
    return _region(region, sweep.floats)
