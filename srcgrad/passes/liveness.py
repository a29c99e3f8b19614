"""Which values a computation reads, looking inside conditionals and loops.

`reads(region, roots)` walks `region` backwards from `roots` and returns the
vars the roots depend on.  A plain equation whose output is needed reads all
its arguments.  A structured equation reads only what its *needed* outputs
depend on inside its regions:

* a conditional: its predicate, and the arguments whose branch parameters
  the needed branch results read;
* a loop: the state it carries is live if its final value is needed, or
  (to a fixed point) if a live result of the body, the loop test or the exit
  code reads its value at the start of an iteration.  Only live state and
  the loop-invariant inputs the body reads for it count.

So a value overwritten on every iteration and never read after the loop::

    for i in range(n):
        unused = math.sqrt(x - i)
        s = s + x

is dead, in a loop nested in another too (the inner loop's initial value is
read only if the inner state is live).  Dead-code removal (`prune`) and
activity analysis (`srcgrad.ad.activity`) both ask this question, so a value
neither runs nor gets derivative code.  `keep(eqn)` marks equations that run
whatever reads them (effects, primal code that may raise): all their
arguments are read.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Callable, Iterable

from ..ir.core import Atom, Eqn, Region, Var
from ..primitives.control import COND, FOR_RANGE, WHILE_LOOP, LoopParts

Keep = Callable[[Eqn], bool]

# structured equation -> {(wanted outputs, keep): what it reads}, for `keep`
# None; entries go with their equations (answers are sets callers only read)
_MEMO: "weakref.WeakKeyDictionary[Eqn, dict]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class LoopLiveness:
    """What a loop needs for the outputs asked of it: live state positions,
    and the vars its body and its test read."""

    state: frozenset[int]
    body_reads: set[Var]
    cond_reads: set[Var]


def reads(region: Region, roots: Iterable[Atom], keep: Keep | None = None, memo: dict | None = None) -> set[Var]:
    """The vars of `region` (its params included) that `roots` depend on.
    What a structured equation reads is remembered in `memo` per equation
    (IR is immutable), so asking again about nested code costs nothing; with
    no `keep` the answers are remembered for good, with one the caller says
    for how long (what `keep` answers may depend on the transform)."""
    memo = memo if memo is not None else (_MEMO if keep is None else weakref.WeakKeyDictionary())
    needed = {r for r in roots if isinstance(r, Var)}
    for eqn in reversed(region.eqns):
        if keep is not None and keep(eqn):
            needed.update(a for a in eqn.args if isinstance(a, Var))
            continue
        wanted = frozenset(j for j, o in enumerate(eqn.outs) if o in needed)
        if not wanted:
            continue
        if eqn.prim is COND:
            needed |= _cond_reads(eqn, wanted, keep, memo)
        elif eqn.prim is FOR_RANGE or eqn.prim is WHILE_LOOP:
            needed |= _loop_reads(eqn, wanted, keep, memo)
        else:
            needed.update(a for a in eqn.args if isinstance(a, Var))
    return needed


def _cond_reads(eqn: Eqn, wanted: frozenset[int], keep: Keep | None, memo: dict) -> set[Var]:
    answers = memo.setdefault(eqn, {})
    if (wanted, keep) in answers:
        return answers[wanted, keep]
    found = {eqn.args[0]} if isinstance(eqn.args[0], Var) else set()
    for key in ("then", "else"):
        region = eqn.param(key)
        inside = reads(region, [region.results[j] for j in wanted], keep, memo)
        found.update(a for p, a in zip(region.params, eqn.args[1:]) if p in inside and isinstance(a, Var))
    answers[wanted, keep] = found
    return found


def loop_liveness(eqn: Eqn, wanted: frozenset[int], keep: Keep | None = None,
                  memo: dict | None = None) -> LoopLiveness:
    """The live state of loop `eqn` when its outputs at positions `wanted`
    are needed (see the module docstring)."""
    memo = memo if memo is not None else (_MEMO if keep is None else weakref.WeakKeyDictionary())
    answers = memo.setdefault(eqn, {})
    if (wanted, keep) in answers:
        return answers[wanted, keep]
    parts = LoopParts.of(eqn)
    _, state_p, _ = parts.body_params()
    results = parts.state_results()
    offset = 1 if parts.has_exit else 0        # outs[0] is the exit code
    live = {j - offset for j in wanted if j >= offset}
    extra = [parts.body.results[0]] if parts.has_exit else []
    cond_reads: set[Var] = set()
    if parts.cond is not None:
        cond_reads = reads(parts.cond, parts.cond.results, keep, memo)
        live |= {k for k, p in enumerate(parts.cond.params[:parts.n_state]) if p in cond_reads}
    while True:
        body_reads = reads(parts.body, [results[k] for k in sorted(live)] + extra, keep, memo)
        grown = live | {k for k, p in enumerate(state_p) if p in body_reads}
        if grown == live:
            break
        live = grown
    found = LoopLiveness(frozenset(live), body_reads, cond_reads)
    answers[wanted, keep] = found
    return found


def _loop_reads(eqn: Eqn, wanted: frozenset[int], keep: Keep | None, memo: dict) -> set[Var]:
    parts = LoopParts.of(eqn)
    _, _, free_p = parts.body_params()
    live = loop_liveness(eqn, wanted, keep, memo)
    cond_free = parts.cond.params[parts.n_state:] if parts.cond is not None else ()
    args = list(parts.bounds) + [parts.init[k] for k in live.state]
    args += [a for k, a in enumerate(parts.free)
             if free_p[k] in live.body_reads or (cond_free and cond_free[k] in live.cond_reads)]
    return {a for a in args if isinstance(a, Var)}
