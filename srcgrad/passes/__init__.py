"""Optimisation passes and the driver that runs them (`optimize`).

Each pass owns one rewrite and works on one region's own equations: a
*region pass* takes a `Region` and the `Sweep` it belongs to, and returns the
region rewritten (with the very same equation objects where nothing
changed, so a change is seen by identity, one step per equation).
`REGION_PASSES` lists them in the order they run; `FUNCTION_PASSES` are
whole-function passes run once after them, and `FINISH` once on the result.
A new pass is one more entry in one of these lists.

How often each runs, and why once is enough (no whole-function rounds to a
fixed point, no fingerprints):

* Regions are optimised top-down, each once per `optimize`: a region first,
  so that the values its structured equations receive are final when
  constant propagation binds them into their regions, then each nested
  region, then the region again only if a nested one changed in a way it
  can use (an output now passed through unchanged, a value now unused, two
  regions now equal for CSE); an optimised region is remembered
  (`Sweep.settled`) and never revisited.  A constant thus reaches a region
  nested d deep in one sweep, where rounds over the whole function needed d
  of them, and each region is worked on a bounded number of times: the
  sweep is linear in the size of the function.
* Within one region the passes are forward, one-definition rewrites
  (fold, signs, simplify, copies, CSE), each equation's operands rewritten
  before it, followed by dead code.  A rewrite can enable another only at
  the equations reading its result, so the list is rerun over that region
  (and only it) while it changes: in practice one run and one that
  confirms, whatever the region's size.  Dead code runs in the list because
  the equations a rewrite leaves unread would otherwise be rewritten again
  and again.  `MAX_LOCAL_ROUNDS` only bounds the pathological case.
"""
from __future__ import annotations

from typing import Callable

from ..ir.check import check_stage
from ..ir.core import Const, Function, Region
from . import prune  # noqa: F401  (dead-code rules of structured equations)
from .copyprop import copy_propagation_region
from .cse import RegionKeys, cse_region
from .dce import dead_code_region
from .floatconst import float_constants
from .floats import function_floats
from .fold import constant_fold_region
from .licm import licm_region
from .regions import propagate_region
from .signs import signs_region
from .simplify import simplify_region
from .util import Sweep, nested

# signs before simplify: the negations it moves out are absorbed in the same run;
# loop-invariant code motion after simplify (hoisted apart from the expression
# reading it, ``ct * x`` could no longer absorb a ``ct`` later found to be 1.0)
# and before CSE, which then merges what it hoisted with the same work outside
REGION_PASSES: list[Callable[[Region, Sweep], Region]] = [
    propagate_region, constant_fold_region, signs_region, simplify_region, licm_region,
    copy_propagation_region, cse_region, dead_code_region]
FUNCTION_PASSES: list[Callable[[Function], Function]] = []
# run once, on the result: they enable no further rewrites
FINISH: list[Callable[[Function], Function]] = [float_constants]

MAX_LOCAL_ROUNDS = 8


def optimize(fn: Function) -> Function:
    """The region passes over every region, top-down; then the whole-function
    passes and the finishing ones."""
    fn = check_stage(fn, "before optimisation")
    sweep = Sweep(function_floats(fn), RegionKeys(), fn.primal_errors)
    fn = check_stage(fn.with_body(_optimize_region(fn.body, sweep)), "after the region passes")
    for run in FUNCTION_PASSES + FINISH:
        fn = _checked(run, fn)
    return fn


def _optimize_region(region: Region, sweep: Sweep, derivative: bool = False) -> Region:
    """`region` optimised, then its nested regions, then itself again while
    that changes them (it may bind a constant or drop an unused value that a
    nested region only now shows to be passed through).  A region already
    optimised in this sweep is returned as it is."""
    if region in sweep.settled:
        return region
    for _ in range(MAX_LOCAL_ROUNDS):
        sweep.derivative = derivative
        region = _local(region, sweep)
        if not any(nested(e) for e in region.eqns):
            break
        eqns = tuple(_descend(e, sweep, derivative or bool(e.role)) if nested(e) else e for e in region.eqns)
        if all(new is old for new, old in zip(eqns, region.eqns)):
            break
        region = Region(region.params, eqns, region.results)
    sweep.settled.add(region)
    return region


def _descend(eqn, sweep: Sweep, derivative: bool):
    params = tuple((k, _optimize_region(v, sweep, derivative) if isinstance(v, Region) else v)
                   for k, v in eqn.params)
    if all(new[1] is old[1] for new, old in zip(params, eqn.params)):
        return eqn
    return eqn.replace(params=params)


def _local(region: Region, sweep: Sweep) -> Region:
    """The region passes over `region`'s own equations, rerun while they change it."""
    for _ in range(MAX_LOCAL_ROUNDS):
        new = region
        for run in REGION_PASSES:
            new = run(new, sweep)
        if _same(new, region):
            return new
        region = new
    return region


def _same(a: Region, b: Region) -> bool:
    """Whether two versions of a region hold the very same equations and results."""
    return a is b or (len(a.eqns) == len(b.eqns) and len(a.results) == len(b.results)
                      and all(x is y for x, y in zip(a.eqns, b.eqns))
                      and all(x is y or _same_const(x, y) for x, y in zip(a.results, b.results))
                      and a.params == b.params)


def _same_const(x, y) -> bool:
    return (isinstance(x, Const) and isinstance(y, Const) and type(x.value) is type(y.value)
            and repr(x.value) == repr(y.value))


def _checked(run, fn: Function) -> Function:
    """`run(fn)`, its IR checked when `CHECK_IR` is on and the pass changed it."""
    new = run(fn)
    return new if new is fn else check_stage(new, f"after the pass {run.__name__}")
