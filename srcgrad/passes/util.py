"""Helpers shared by the passes: substitution and region traversal.

Regions only see values through their parameters (see `srcgrad.ir.core`), so
each pass works region by region: `map_regions` applies a region-to-region
function to a function body and, recursively, to every nested region.
"""
from __future__ import annotations

from typing import Any, Callable

from ..ir.core import Atom, Eqn, Function, Region, Var

RegionPass = Callable[[Region], Region]


class Sweep:
    """What the region passes of one optimisation sweep share: the values
    surely floats (`srcgrad.passes.floats.function_floats`, found at the
    start of the sweep) and CSE's numbering of region structures."""

    def __init__(self, floats: set[Var], region_keys: Any) -> None:
        self.floats = floats
        self.region_keys = region_keys


def map_regions(fn: Function, region_pass: RegionPass) -> Function:
    return fn.with_body(_map_region(fn.body, region_pass))


def nested(eqn: Eqn) -> tuple[Region, ...]:
    """The regions `eqn` carries, found without building a tuple for the
    (many) equations that have no params at all."""
    return eqn.regions if eqn.params else ()


def _map_region(region: Region, region_pass: RegionPass) -> Region:
    if any(nested(eqn) for eqn in region.eqns):
        eqns = tuple(_map_nested(e, region_pass) if nested(e) else e for e in region.eqns)
        region = Region(region.params, eqns, region.results)
    return region_pass(region)


def _map_nested(eqn: Eqn, region_pass: RegionPass) -> Eqn:
    params = tuple((k, _map_region(v, region_pass) if isinstance(v, Region) else v) for k, v in eqn.params)
    return eqn.replace(params=params)


class Substitution:
    """A map from vars to the atoms replacing them, followed transitively."""

    def __init__(self) -> None:
        self.map: dict[Var, Atom] = {}

    def __setitem__(self, var: Var, atom: Atom) -> None:
        self.map[var] = atom

    def __bool__(self) -> bool:
        return bool(self.map)

    def atom(self, atom: Atom) -> Atom:
        while isinstance(atom, Var) and atom in self.map:
            atom = self.map[atom]
        return atom

    def eqn(self, eqn: Eqn) -> Eqn:
        if not self.map or not any(a in self.map for a in eqn.args):
            return eqn
        args = tuple(self.atom(a) for a in eqn.args)
        if all(x is y for x, y in zip(args, eqn.args)):
            return eqn
        return eqn.replace(args=args)

    def results(self, results: tuple[Atom, ...]) -> tuple[Atom, ...]:
        return tuple(self.atom(r) for r in results)


def fingerprint(fn: Function) -> tuple:
    """A cheap structural summary, to detect when passes reach a fixed point."""
    return tuple((e.prim.name, e.args, e.outs) for e in fn.body.walk()) + (fn.body.results,)
