"""Common subexpression elimination: compute each distinct operation once.

Before::

    a = exp z
    b = exp z
    c = add a b

After::

    a = exp z
    c = add a a

Operands of primitives declared commutative (``add``, ``mul``) are compared as
an unordered pair, so ``x * y`` and ``y * x`` are one value.
"""
from __future__ import annotations

from ..ir.core import Const, Function, Region, Var
from .util import Substitution, map_regions


def common_subexpressions(fn: Function) -> Function:
    return map_regions(fn, _region)


def _key_atom(atom) -> tuple:
    if isinstance(atom, Const):
        return (0, type(atom.value).__name__, atom.value)
    return (1, atom.id)


def _region(region: Region) -> Region:
    subst = Substitution()
    seen: dict[tuple, tuple[Var, ...]] = {}
    kept = []
    for eqn in region.eqns:
        eqn = subst.eqn(eqn)
        if eqn.regions or eqn.prim.hooks.get("effect") or eqn.prim.hooks.get("no_cse"):
            kept.append(eqn)
            continue
        args = tuple(_key_atom(a) for a in eqn.args)
        if eqn.prim.hooks.get("commutative"):
            args = tuple(sorted(args))
        key = (eqn.prim, args, eqn.params)
        previous = seen.get(key)
        if previous is None:
            seen[key] = eqn.outs
            kept.append(eqn)
        else:
            for old, new in zip(eqn.outs, previous):
                subst[old] = new
    return Region(region.params, tuple(kept), subst.results(region.results))
