"""Common subexpression elimination: compute each distinct operation once.

Before::

    a = exp z
    b = exp z
    c = add a b

After::

    a = exp z
    c = add a a

Operands of primitives declared commutative (``add``, ``mul``) are compared as
an unordered pair, so ``x * y`` and ``y * x`` are one value.  Equations with
regions (a loop, a conditional) are compared by their regions' structure up
to renaming, so the same loop computed twice (as a Hessian's directions
each need the primal loop) runs once.
"""
from __future__ import annotations

from ..ir.core import Const, Region, Var
from .util import Substitution, Sweep, nested


def cse_region(region: Region, sweep: Sweep) -> Region:
    return _region(region, sweep.region_keys)


def const_key(const: Const) -> tuple:
    """A constant as a key: ``0.0`` and ``-0.0`` (equal as numbers) are
    different operands (``x + 0.0`` is not ``x + -0.0``), and so are ``1``
    and ``1.0``; a nan equals itself."""
    return (0, type(const.value).__name__, repr(const.value))


def _key_atom(atom) -> tuple:
    if isinstance(atom, Const):
        return const_key(atom)
    return (1, atom.id)


def _region(region: Region, keys: RegionKeys) -> Region:
    subst = Substitution()
    seen: dict[tuple, tuple[Var, ...]] = {}
    kept = []
    for eqn in region.eqns:
        eqn = subst.eqn(eqn)
        hooks = eqn.prim.hooks
        if hooks.get("effect") or hooks.get("no_cse") or (nested(eqn) and _touches_tapes(eqn)):
            kept.append(eqn)
            continue
        args = tuple(_key_atom(a) for a in eqn.args)
        if eqn.prim.hooks.get("commutative"):
            args = tuple(sorted(args))
        params = tuple((k, keys.of(v) if isinstance(v, Region) else v) for k, v in eqn.params) \
            if nested(eqn) else eqn.params
        key = (eqn.prim, args, params)
        previous = seen.get(key)
        if previous is None:
            seen[key] = eqn.outs
            kept.append(eqn)
        else:
            for old, new in zip(eqn.outs, previous):
                subst[old] = new
    return Region(region.params, tuple(kept), subst.results(region.results))


def _touches_tapes(eqn) -> bool:
    """Tapes are mutated in place by generated code: never share them.  (Only
    tape primitives, which are never shared, and structured equations carry
    tapes.)"""
    return any(getattr(a, "kind", None) == "tape" for a in eqn.args + eqn.outs)


class RegionKeys:
    """Each region's structure, numbered: equal numbers mean the regions
    compute the same thing from the same inputs.

    A region reads only its parameters (the IR invariant), so its structure
    is its own: its values numbered in definition order, each nested region
    by its number.  Numbers are given once per region object and per
    structure, so a region nested d deep is walked once, not once per
    enclosing level (which made CSE cubic in the nesting depth), and the
    keys hashed stay as small as one region's own equations."""

    def __init__(self) -> None:
        self.by_region: dict[Region, int] = {}
        self.by_structure: dict[tuple, int] = {}

    def of(self, region: Region) -> int:
        number = self.by_region.get(region)
        if number is None:
            structure = self._structure(region)
            number = self.by_structure.setdefault(structure, len(self.by_structure))
            self.by_region[region] = number
        return number

    def _structure(self, region: Region) -> tuple:
        numbers: dict[Var, int] = {}

        def number(var: Var) -> int:
            return numbers.setdefault(var, len(numbers))

        def atom(a) -> tuple:
            if isinstance(a, Const):
                return const_key(a)
            # a var from outside cannot occur (the invariant); if it did, its identity is its key
            return (2, numbers[a]) if a in numbers else (1, a.id)

        params = tuple((number(p), p.kind) for p in region.params)
        eqns = []
        for e in region.eqns:
            args = tuple(atom(a) for a in e.args)
            sub = tuple((k, ("region", self.of(v)) if isinstance(v, Region) else v) for k, v in e.params) \
                if e.params else ()
            outs = tuple((number(o), o.kind) for o in e.outs)
            eqns.append((e.prim.name, id(e.prim), args, sub, outs))
        return params, tuple(eqns), tuple(atom(a) for a in region.results)
