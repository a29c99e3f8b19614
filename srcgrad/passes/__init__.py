"""Optimisation passes and the driver that runs them (`optimize`).

Each pass owns one rewrite and works on one region's own equations: a
*region pass* takes a `Region` and the `Sweep` it belongs to and returns the
region rewritten (the very same object, or one with the same equation
objects, when nothing changed).  `REGION_PASSES` lists them in the order they
run; `FUNCTION_PASSES` are whole-function passes run after them (dead code
needs each structured equation's readers, so it works top-down over the
whole function); `FINISH` runs once, on the result.  A new pass is one more
entry in one of these lists.

How often each runs, and why that is enough (no fixed point over the whole
function, no fingerprints):

* The region passes are forward, single-definition rewrites over one
  straight-line region: each equation's operands are rewritten before the
  equation itself, so one run of the list leaves little for a second; the
  list is rerun over *that region* while it changes (its own equations are
  compared by identity, which costs one step per equation), which settles in
  two or three runs whatever the function's size, since a change in a
  region can only enable another at the equations reading it, later in the
  same run of the next pass.  `MAX_LOCAL_ROUNDS` bounds it.
* Regions are optimised top-down: a region first (so the constants and
  values its structured equations receive are final and `propagate` binds
  them into their regions), then each nested region, then the region once
  more if a nested one changed (an output passed through unchanged, or two
  now-equal regions for CSE).  A constant therefore reaches a region nested
  d deep in one sweep, not in d rounds, and each region is worked on a
  bounded number of times: the sweep is linear in the function's size.
* Dead code is removed once per sweep, over the whole function.  Removing
  code only enables rewrites of the (fewer) readers that remain through
  "surely a float" facts (`function_floats`, computed once per sweep), so a
  second sweep with the facts recomputed finds the rest; `SWEEPS` is that
  fixed count, not a loop to a fixed point.
"""
from __future__ import annotations

from typing import Callable

from ..ir.check import check_stage
from ..ir.core import Function, Region
from . import prune  # noqa: F401  (dead-code rules of structured equations)
from .copyprop import copy_propagation_region
from .cse import RegionKeys, cse_region
from .dce import dead_code
from .floatconst import float_constants
from .floats import function_floats
from .fold import constant_fold_region
from .regions import propagate_region
from .signs import signs_region
from .simplify import simplify_region
from .util import Sweep, nested

# signs before simplify: the negations it moves out are absorbed in the same run
REGION_PASSES: list[Callable[[Region, Sweep], Region]] = [
    propagate_region, constant_fold_region, signs_region, simplify_region, copy_propagation_region,
    cse_region]
FUNCTION_PASSES: list[Callable[[Function], Function]] = [dead_code]
# run once, on the result: they enable no further rewrites
FINISH: list[Callable[[Function], Function]] = [float_constants]

MAX_LOCAL_ROUNDS = 8
SWEEPS = 2


def optimize(fn: Function) -> Function:
    """Run `SWEEPS` top-down sweeps of the passes, then the finishing ones."""
    fn = check_stage(fn, "before optimisation")
    for _ in range(SWEEPS):
        sweep = Sweep(function_floats(fn), RegionKeys())
        fn = check_stage(fn.with_body(_optimize_region(fn.body, sweep)), "after the region passes")
        for run in FUNCTION_PASSES:
            fn = _checked(run, fn)
    for run in FINISH:
        fn = _checked(run, fn)
    return fn


def _optimize_region(region: Region, sweep: Sweep) -> Region:
    """`region` optimised, then its nested regions, then itself again if they changed."""
    region = _local(region, sweep)
    if not any(nested(e) for e in region.eqns):
        return region
    eqns = tuple(_descend(e, sweep) if nested(e) else e for e in region.eqns)
    if all(new is old for new, old in zip(eqns, region.eqns)):
        return region
    return _local(Region(region.params, eqns, region.results), sweep)


def _descend(eqn, sweep: Sweep):
    params = tuple((k, _optimize_region(v, sweep) if isinstance(v, Region) else v) for k, v in eqn.params)
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
    from ..ir.core import Const
    return (isinstance(x, Const) and isinstance(y, Const) and type(x.value) is type(y.value)
            and repr(x.value) == repr(y.value))


def _checked(run, fn: Function) -> Function:
    """`run(fn)`, its IR checked when `CHECK_IR` is on and the pass changed it."""
    new = run(fn)
    return new if new is fn else check_stage(new, f"after the pass {run.__name__}")
