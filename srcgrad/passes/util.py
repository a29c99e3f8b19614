"""Helpers shared by the passes: substitution, and what one sweep shares.

Regions only see values through their parameters (see `srcgrad.ir.core`), so
each pass works region by region, on one region's own equations; the driver
(`srcgrad.passes.optimize`) takes it through the nest.
"""
from __future__ import annotations

from typing import Any

from ..ir.core import Atom, Eqn, Region, Var


class Sweep:
    """What the region passes of one optimisation sweep share: the values
    surely floats (`srcgrad.passes.floats.function_floats`, found at the
    start of the sweep), CSE's numbering of region structures, and what
    dead-code removal needs to know of the region at hand."""

    def __init__(self, floats: set[Var], region_keys: Any, primal_errors: bool) -> None:
        self.floats = floats
        self.region_keys = region_keys
        self.primal_errors = primal_errors   # `Function.primal_errors` (dead code reads it)
        self.derivative = False              # whether the region being optimised is derivative code
        self.settled: set[Region] = set()    # regions this sweep optimised (immutable: done for good)


def nested(eqn: Eqn) -> tuple[Region, ...]:
    """The regions `eqn` carries, found without building a tuple for the
    (many) equations that have no params at all."""
    return eqn.regions if eqn.params else ()


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


