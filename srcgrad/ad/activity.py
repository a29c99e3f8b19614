"""Activity analysis: which values need derivatives.

A value is *varied* if it depends differentiably on an argument we
differentiate with respect to, and *useful* if the differentiated output
depends on it.  Only values that are both (active) get derivative code, so a
sub-computation on constants or on other arguments costs nothing in the
gradient.  Piecewise-constant primitives (comparisons, floor, ...) and int or
bool values stop variation.
"""
from __future__ import annotations

from typing import Iterable

from ..ir.core import Atom, Eqn, Region, Var
from ..passes.liveness import reads


def _carries_derivative(eqn: Eqn, out: Var) -> bool:
    return out.differentiable and not eqn.prim.piecewise_constant


def varied_vars(region: Region, seeds: Iterable[Var]) -> set[Var]:
    varied = {v for v in seeds if v.differentiable}
    for eqn in region.eqns:
        hook = eqn.prim.hooks.get("varied")
        if hook is not None:
            varied |= hook(eqn, varied)
        elif any(isinstance(a, Var) and a in varied for a in eqn.args):
            varied.update(o for o in eqn.outs if _carries_derivative(eqn, o))
    return varied


def useful_vars(region: Region, results: Iterable[Atom]) -> set[Var]:
    """The values `results` depend on, looking inside conditionals and loops
    (`srcgrad.passes.liveness`): loop state overwritten on every iteration
    and never read after the loop is not useful."""
    return reads(region, results)


def active_vars(region: Region, seeds: Iterable[Var], results: Iterable[Atom]) -> set[Var]:
    return varied_vars(region, seeds) & useful_vars(region, results)
