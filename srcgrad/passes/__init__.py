"""Optimisation passes, each a pure ``Function -> Function``, and the pipeline
that runs them to a fixed point."""
from __future__ import annotations

from ..ir.check import check_stage
from ..ir.core import Function
from .copyprop import copy_propagation
from .cse import common_subexpressions
from .dce import dead_code
from . import prune  # noqa: F401  (dead-code rules of structured equations)
from .floatconst import float_constants
from .fold import constant_fold
from .licm import hoist_invariants
from .regions import propagate_into_regions
from .signs import propagate_signs
from .simplify import simplify
from .util import fingerprint

# signs before simplify: the negations it moves out are absorbed in the same round
PIPELINE = (propagate_into_regions, constant_fold, propagate_signs, simplify, hoist_invariants,
            copy_propagation, common_subexpressions, dead_code)
# run once, on the result: they enable no further rewrites
FINISH = (float_constants,)


def optimize(fn: Function, max_rounds: int = 12) -> Function:
    """Run the passes until the IR stops changing, then the finishing ones."""
    before = fingerprint(check_stage(fn, "before optimisation"))
    for _ in range(max_rounds):
        for run in PIPELINE:
            fn = _checked(run, fn)
        after = fingerprint(fn)
        if after == before:
            break
        before = after
    for run in FINISH:
        fn = _checked(run, fn)
    return fn


def _checked(run, fn: Function) -> Function:
    """`run(fn)`, its IR checked when `CHECK_IR` is on and the pass changed it."""
    new = run(fn)
    return new if new is fn else check_stage(new, f"after the pass {run.__name__}")
