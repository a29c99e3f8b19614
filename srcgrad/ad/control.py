"""Derivatives of structured control flow: conditionals and loops.

Reverse mode
    ``cond``: the backward code is another ``cond`` on the same predicate.
    Outside loops each backward branch recomputes what it needs of its
    primal branch (the forward conditional may not run at all in a
    gradient: nothing else may read it).  In a loop body the forward
    conditional runs on every iteration anyway, so it also returns the
    values its backward branch reads (the other branch yields a placeholder,
    never read: the backward conditional takes the same branch), and the
    forward loop records them.

    Loops: the body's forward sweep (with what its conditionals and inner
    loops keep) and backward sweep are built once.  The backward body reads
    the state at the start of the iteration and the body values worth
    keeping from tapes the forward loop pushes (``augment``), recomputes the
    rest, and is optimised; the forward loop pushes only what it still
    reads.  The backward loop pops them in reverse order.  A ``for`` over
    ``range`` replays ``reversed(range(...))``; a loop that can exit early,
    and every ``while``, counts its iterations and replays that many.
    Cotangents of loop-invariant values read by the body accumulate in
    extra backward state; the invariant values themselves are computed once
    before the loops (`srcgrad.passes.licm`), and never kept.

    Keep or recompute (`_kept_values`): recomputing a value costs what the
    operations computing it from kept values cost, counting one unit for
    arithmetic and comparisons, three for a call (``math.sin``, ``**``,
    ``/``), and for a conditional or loop what its regions hold.  Keeping
    costs about two units (a tape push, and one more list walked by the
    backward loop; out of a branch, one more result).  A value the backward
    sweep reads is kept when recomputing it costs more than that -- unless
    it is the same on every iteration, or the backward body reads no state
    from tapes, so that keeping would make a forward loop run only to
    record (then everything is recomputed, as before).  Tape memory stays
    O(iterations x values kept per iteration).

Forward mode
    Tangents travel with the values: through both branches of a ``cond``, and
    as extra loop state.  Tapes have tangent tapes, so forward-over-reverse
    (Hessians) works through loops.

The hooks are attached to the primitives declared in
`srcgrad.primitives.control`.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable

from ..codegen.naming import cotangent_hint, tangent_hint
from ..errors import InternalError
from ..ir.builder import Builder
from ..ir.core import BOOL, INT, REAL, Atom, Const, Eqn, Function, Region, Var
from ..ir.inline import Renamer
from ..primitives.control import (COND, FOR_RANGE, TAPE, TAPE_NEW, TAPE_POP, TAPE_PUSH, WHILE_LOOP,
                                  LoopParts)
from ..passes.liveness import loop_liveness
from .activity import active_vars
from .forward import tangent_eqn
from .reverse import Cotangents, backward_eqn, forward_eqn


def _used_vars(region: Region) -> set[Var]:
    used = {r for r in region.results if isinstance(r, Var)}
    for eqn in region.eqns:
        used.update(a for a in eqn.args if isinstance(a, Var))
    return used


def _optimize_region(region: Region) -> Region:
    from ..passes import optimize
    fn = Function(name="region", param_names=tuple(f"p{k}" for k in range(len(region.params))), body=region)
    return optimize(fn).body


# --- keeping forward values for the backward sweep ------------------------------------

# What recomputing a value costs, in units of one arithmetic operation, and
# what keeping it costs instead: a loop pushes it on a tape and pops it back
# (``t_tape.append(t)`` and one more list walked in the backward loop, about
# two operations); a conditional passes it out of the taken branch (the
# other branch yields a placeholder).  Calls (``math.sin``, ``**``, ``/``)
# count three operations; a conditional or loop, what its regions hold.
_CHEAP = frozenset({"add", "sub", "mul", "neg", "copy", "lt", "le", "gt", "ge", "eq", "ne", "not_",
                    "select", "abs", "max", "min"})
_KEEP_COST = 2


def _eqn_cost(eqn: Eqn) -> int:
    """What running `eqn` once costs, in the units above."""
    if eqn.regions:
        return 1 + sum(_eqn_cost(e) for r in eqn.regions for e in r.eqns)
    return 1 if eqn.prim.name in _CHEAP or eqn.prim.hooks.get("tape") else 3


def _invariant_closure(eqns: list[Eqn], invariant: Any) -> set[Var]:
    """`invariant` and the values `eqns` compute from them alone (regions aside)."""
    same = set(invariant)
    for e in eqns:
        if not e.regions and all(isinstance(a, Const) or a in same for a in e.args):
            same.update(e.outs)
    return same


def _kept_values(forward: list[Eqn], backward: list[Eqn], results: tuple,
                 invariant: tuple[Var, ...] = ()) -> list[Var]:
    """The values of the forward sweep that its backward sweep reads and
    that cost more to recompute than to keep (a value already kept costs
    nothing to the values computed from it).  Values computed from
    `invariant` ones alone (a loop's free inputs) are not kept: they are
    the same on every iteration, and hoisted out of the backward loop
    (`srcgrad.passes.licm`).  Tapes are never kept: a loop inside is
    recomputed, with its own tapes."""
    read = {a for e in backward for a in e.args if isinstance(a, Var)}
    read.update(r for r in results if isinstance(r, Var))
    same = _invariant_closure(forward, invariant)
    cost: dict[Var, int] = {}
    kept: list[Var] = []
    for e in forward:
        if e.outs and e.outs[0] in same:
            continue
        total = _eqn_cost(e) + sum(cost.get(a, 0) for a in e.args if isinstance(a, Var))
        for o in e.outs:
            if o in read and total > _KEEP_COST and o.kind != TAPE:
                kept.append(o)
                cost[o] = 0
            else:
                cost[o] = total
    return kept


def _sweeps(b: Builder, eqns: list[Eqn], active: set[Var], cts: Cotangents, residuals: dict | None = None) -> int:
    """Build in `b` the forward sweep of `eqns` (with what nested structures
    keep for their backward code), then their backward sweep; return where
    the backward sweep starts (split `b.eqns` there once the caller has taken
    the cotangents it wants: taking may rename an equation in place)."""
    residuals = {} if residuals is None else residuals
    for e in eqns:
        forward_eqn(b, e, active, residuals)
    middle = len(b.eqns)
    for e in reversed(eqns):
        b.loc = e.loc
        backward_eqn(b, e, active, cts, residuals)
    return middle


def _backward_region(head: dict[Var, Var], forward: list[Eqn], backward: list[Eqn], kept: dict[Var, Var],
                     params: tuple[Var, ...], results: tuple) -> Region:
    """A backward sweep as a region of `params`: the forward sweep copied
    (to recompute what is not kept; dead-code elimination drops the rest),
    reading `head` (forward params -> region params), then the backward
    sweep reading the `kept` forward values from their params.  The
    backward equations are not copied (their regions read only their
    arguments), only pointed at the copies: each sweep is built for one
    region, so copying at every level of a nest would cost its depth
    squared."""
    ren = Renamer(head)
    eqns = [ren.eqn(e) for e in forward]
    ren.mapping.update(kept)
    mapping = ren.mapping
    for e in backward:
        if any(a in mapping for a in e.args if isinstance(a, Var)):
            e = e.replace(args=tuple(ren.atom(a) for a in e.args))
        eqns.append(e)
    return Region(params, tuple(eqns), tuple(ren.atom(r) for r in results))


# --- cond -------------------------------------------------------------------------

def _placeholder(var: Var) -> Const:
    """What a branch that did not compute `var` yields for it (never read:
    the backward conditional takes the same branch)."""
    return Const(0.0) if var.kind == REAL else Const(False) if var.kind == BOOL else Const(0)


@dataclass
class CondResidual:
    """What the forward conditional leaves for the backward one."""

    regions: dict[str, Region]   # params: (*free, *kept values of both branches, *ct of flowing outs)
    kept: tuple[Var, ...]        # the forward conditional's extra outputs
    flowing: list[int]           # outputs whose cotangents the backward code takes
    wrt: list[int]               # free positions that receive cotangents
    # builds backward branches recomputing everything (params: *free, *ct),
    # for a loop that ends up recording nothing (see `_loop_backward_body`)
    recompute: Callable[[], dict[str, Region]] | None = None
    # the backward conditional emitted, and what builds the same reading no kept value
    emitted: tuple[Eqn, Callable[[], Eqn]] | None = None


# None outside loop bodies; in one (whose forward loop runs a conditional
# anyway and records what it keeps on tapes), the values of the region being
# differentiated that are the same on every iteration: they are not kept.
_LOOP_INVARIANT: ContextVar[frozenset | None] = ContextVar("loop_invariant", default=None)
# How deep in conditionals of the loop body that conditional is.  A value
# kept in a branch leaves through every enclosing conditional, each of whose
# other branches yields a placeholder for it: conditionals nested deeper
# than this recompute, so the code stays linear in the nesting depth.
_COND_DEPTH: ContextVar[int] = ContextVar("cond_depth", default=0)
_KEEP_DEPTH = 16


@dataclass
class _BranchSweeps:
    params: tuple[Var, ...]
    results: tuple[Atom, ...]
    forward: list[Eqn]
    backward: list[Eqn]
    ct_params: tuple[Var, ...]
    outs: tuple[Atom, ...]       # cotangents of the free values in `wrt`
    invariant: frozenset         # values the same on every iteration of an enclosing loop


def _branch_sweeps(b: Builder, eqn: Eqn, key: str, flowing: list[int], wrt: list[int],
                   copy: bool) -> _BranchSweeps:
    """The sweeps of one branch; of a copy of it when `eqn` itself stays in
    the forward code (its vars cannot be defined twice)."""
    region = eqn.param(key)
    if copy:
        ren = Renamer()
        params = tuple(ren.fresh(p) for p in region.params)
        eqns = [ren.eqn(e) for e in region.eqns]
        results = tuple(ren.atom(r) for r in region.results)
    else:
        params, eqns, results = region.params, list(region.eqns), region.results
    seeds = [params[k] for k in wrt]
    inner_active = active_vars(Region(params, tuple(eqns), results), seeds, [results[j] for j in flowing])
    ct_params = tuple(Var(hint=cotangent_hint(eqn.outs[j]), kind=REAL) for j in flowing)
    inner = Cotangents()
    for j, ct in zip(flowing, ct_params):
        if isinstance(results[j], Var) and results[j] in inner_active:
            inner.add(results[j], ct, eqn.loc)
    bb = Builder(b.registry, loc=eqn.loc, role="backward")
    outer = _LOOP_INVARIANT.get()
    invariant = frozenset() if outer is None else frozenset(
        _invariant_closure(eqns, (p for p, a in zip(params, eqn.args[1:]) if isinstance(a, Const) or a in outer)))
    token = _LOOP_INVARIANT.set(None if outer is None else invariant)
    depth = _COND_DEPTH.set(_COND_DEPTH.get() + 1)
    try:
        middle = _sweeps(bb, eqns, inner_active, inner)
    finally:
        _COND_DEPTH.reset(depth)
        _LOOP_INVARIANT.reset(token)
    outs = tuple(inner.take(bb, params[k]) or Const(0.0) for k in wrt)
    return _BranchSweeps(params, results, bb.eqns[:middle], bb.eqns[middle:], ct_params, outs, invariant)


def _fresh_head(params: tuple[Var, ...]) -> dict[Var, Var]:
    return {p: Var(hint=p.hint, kind=p.kind) for p in params}


def _recomputing(sw: _BranchSweeps) -> Region:
    """A backward branch that recomputes what it needs of its primal branch."""
    head = _fresh_head(sw.params)
    return _backward_region(head, sw.forward, sw.backward, {}, tuple(head.values()) + sw.ct_params, sw.outs)


def _cond_augment(b: Builder, eqn: Eqn, active: set[Var]) -> CondResidual | None:
    """The forward conditional; in a loop body, it also returns the values
    of the taken branch that its backward branch reads and would cost more
    to recompute (the forward loop records them on tapes)."""
    free = eqn.args[1:]
    flowing = [j for j, o in enumerate(eqn.outs) if o in active]
    wrt = [k for k, a in enumerate(free) if isinstance(a, Var) and a in active]
    if not wrt or not flowing:
        b.eqns.append(eqn)
        return None
    if _LOOP_INVARIANT.get() is None or _COND_DEPTH.get() >= _KEEP_DEPTH:
        # outside loops the backward branch recomputes: keeping values would
        # make the forward conditional run where nothing else may read it
        # (and deep in a loop body's nest, see `_COND_DEPTH`)
        b.eqns.append(eqn)
        sides = {key: _branch_sweeps(b, eqn, key, flowing, wrt, copy=True) for key in ("then", "else")}
        return CondResidual({key: Region(sw.params + sw.ct_params, tuple(sw.forward + sw.backward), sw.outs)
                             for key, sw in sides.items()}, (), flowing, wrt)
    sides = {key: _branch_sweeps(b, eqn, key, flowing, wrt, copy=False) for key in ("then", "else")}
    kept = {key: _kept_values(sw.forward, sw.backward, sw.outs, sw.invariant) for key, sw in sides.items()}
    kept_all = [(key, v) for key in sides for v in kept[key]]
    kept_outs = tuple(Var(hint=v.hint, kind=v.kind) for _, v in kept_all)
    fwd_regions, bwd_regions = [], []
    for key, sw in sides.items():
        yielded = tuple(v if side == key else _placeholder(v) for side, v in kept_all)
        fwd_regions.append((key, Region(sw.params, tuple(sw.forward), sw.results + yielded)))
        head = _fresh_head(sw.params)
        kept_params = _fresh_head(tuple(kept[key]))
        slots = tuple(kept_params[v] if side == key else Var(hint=v.hint, kind=v.kind) for side, v in kept_all)
        bwd_regions.append((key, _backward_region(head, sw.forward, sw.backward, kept_params,
                                                  tuple(head.values()) + slots + sw.ct_params, sw.outs)))
    b.eqns.append(Eqn(COND, eqn.args, eqn.outs + kept_outs, tuple(fwd_regions), eqn.loc, role=eqn.role))
    recompute = (lambda: {key: _recomputing(sw) for key, sw in sides.items()}) if kept_all else None
    return CondResidual(dict(bwd_regions), kept_outs, flowing, wrt, recompute)


def _cond_reverse(b: Builder, eqn: Eqn, active: set[Var], cts: Cotangents, residual: Any) -> None:
    if residual is None:
        return
    ct_outs = [cts.take(b, eqn.outs[j]) for j in residual.flowing]
    if all(ct is None for ct in ct_outs):
        return
    free = eqn.args[1:]
    args = eqn.args + residual.kept + tuple(Const(0.0) if ct is None else ct for ct in ct_outs)
    outs = tuple(Var(hint=cotangent_hint(free[k]), kind=REAL) for k in residual.wrt)
    backward = Eqn(COND, args, outs, tuple(residual.regions.items()), eqn.loc, role="backward")
    b.eqns.append(backward)
    if residual.recompute is not None:
        recompute = residual.recompute
        residual.emitted = (backward, lambda: backward.replace(
            args=eqn.args + args[len(eqn.args) + len(residual.kept):], params=tuple(recompute().items())))
    for k, out in zip(residual.wrt, outs):
        cts.add(free[k], out, eqn.loc)


def _cond_forward(b: Builder, eqn: Eqn, tangents: dict) -> None:
    free = eqn.args[1:]      # the predicate carries no tangent
    moving = [k for k, a in enumerate(free) if isinstance(a, Var) and a in tangents]
    if not moving:
        b.eqns.append(eqn)
        return
    out_slots = [j for j, o in enumerate(eqn.outs) if o.differentiable or o.kind == TAPE]
    branches = []
    for key in ("then", "else"):
        region = eqn.param(key)
        t_params = tuple(Var(hint=tangent_hint(region.params[k]), kind=_tangent_kind(region.params[k]))
                         for k in moving)
        inner = {region.params[k]: t for k, t in zip(moving, t_params)}
        bb = Builder(b.registry, loc=eqn.loc, role="tangent")
        for e in region.eqns:
            tangent_eqn(bb, e, inner)
        t_results = tuple(_tangent_or_zero(inner, region.results[j]) for j in out_slots)
        branches.append((key, Region(region.params + t_params, tuple(bb.eqns), region.results + t_results)))
    t_outs = tuple(Var(hint=tangent_hint(eqn.outs[j]), kind=_tangent_kind(eqn.outs[j])) for j in out_slots)
    args = eqn.args + tuple(tangents[free[k]] for k in moving)
    b.eqns.append(Eqn(COND, args, eqn.outs + t_outs, tuple(branches), eqn.loc, role=eqn.role))
    for j, t in zip(out_slots, t_outs):
        tangents[eqn.outs[j]] = t


def _tangent_kind(var: Var) -> str:
    return TAPE if var.kind == TAPE else REAL


def _tangent_or_zero(tangents: dict, atom: Atom) -> Atom:
    if isinstance(atom, Var) and atom in tangents:
        return tangents[atom]
    return Const(0.0)


# --- loops: the parts of a loop equation ---------------------------------------------

# --- loops: reverse mode ------------------------------------------------------------

@dataclass
class LoopResidual:
    """What the forward sweep of a loop leaves for its backward sweep."""

    backward_body: Region      # params: (index, *state, *free, *kept, *ct_state, *ct_free)
    tapes: dict[int, Var]      # state position -> final tape (after the forward loop)
    kept_tapes: dict[int, Var]  # kept position -> final tape of that body value
    n_kept: int
    counter: Var | None        # iterations run, when the loop can stop early
    dstate: list[int]          # state positions that carry cotangents
    dfree: list[int]           # free positions that carry cotangents


@dataclass
class _LoopSweeps:
    """A loop body's forward sweep and the backward body built from it."""

    index: Var | None
    state: tuple[Var, ...]
    free: tuple[Var, ...]
    forward: list[Eqn]         # reads index, state, free; what the forward loop runs
    results: tuple[Atom, ...]  # the body's results, computed by `forward`
    kept: list[Var]            # values of `forward` the backward body reads from tapes
    backward: Region
    dstate: list[int]
    dfree: list[int]


def _live_state(parts: LoopParts, active: set[Var]) -> list[int]:
    """The state positions whose cotangent can be non-zero (`liveness`):
    those whose value after the loop is active, and those a live result
    reads.  Any other state (``unused = math.sqrt(x - i)``, overwritten every
    iteration and never read after the loop) carries a zero cotangent, and
    differentiating it would evaluate its partials, which may raise or be
    inf, for nothing."""
    _, state_p, _ = parts.body_params()
    wanted = frozenset(j for j, o in enumerate(parts.eqn.outs) if o in active)
    live = loop_liveness(parts.eqn, wanted).state
    return [k for k in sorted(live) if state_p[k].differentiable]


def _loop_backward_body(parts: LoopParts, active: set[Var], b: Builder) -> _LoopSweeps:
    index, state_p, free_p = parts.body_params()
    dstate = _live_state(parts, active)
    dfree = [k for k, a in enumerate(parts.free) if isinstance(a, Var) and a in active]
    ren = Renamer()
    new_index = ren.fresh(index) if index is not None else Var(hint="_", kind=INT)
    new_state = tuple(ren.fresh(p) for p in state_p)
    new_free = tuple(ren.fresh(p) for p in free_p)
    ct_state = tuple(Var(hint=cotangent_hint(state_p[k]), kind=REAL) for k in dstate)
    ct_free = tuple(Var(hint=cotangent_hint(free_p[k]), kind=REAL) for k in dfree)
    eqns = [ren.eqn(e) for e in parts.body.eqns]
    all_results = tuple(ren.atom(r) for r in parts.body.results)
    results = [ren.atom(r) for r in parts.state_results()]
    seeds = [new_state[k] for k in dstate] + [new_free[k] for k in dfree]
    region = Region((new_index,) + new_state + new_free, tuple(eqns), tuple(results))
    inner_active = active_vars(region, seeds, [results[k] for k in dstate])
    inner = Cotangents()
    for k, ct in zip(dstate, ct_state):
        if isinstance(results[k], Var) and results[k] in inner_active:
            inner.add(results[k], ct, parts.eqn.loc)
    bb = Builder(b.registry, loc=parts.eqn.loc, role="backward")
    residuals: dict = {}
    token = _LOOP_INVARIANT.set(frozenset(_invariant_closure(eqns, new_free)))
    depth = _COND_DEPTH.set(0)
    try:
        middle = _sweeps(bb, eqns, inner_active, inner, residuals)
    finally:
        _COND_DEPTH.reset(depth)
        _LOOP_INVARIANT.reset(token)
    ct_prev = [inner.take(bb, new_state[k]) or Const(0.0) for k in dstate]
    ct_free_new = []
    for k, acc in zip(dfree, ct_free):
        term = inner.take(bb, new_free[k], named=False)   # read once, by the sum below
        ct_free_new.append(acc if term is None else bb.add(acc, term))
    forward, backward = bb.eqns[:middle], bb.eqns[middle:]
    bwd_results = tuple(ct_prev) + tuple(ct_free_new)

    def backward_body(kept: list[Var]) -> Region:
        head = {v: Var(hint=v.hint, kind=v.kind) for v in (new_index,) + new_state + new_free}
        kept_params = {v: Var(hint=v.hint, kind=v.kind) for v in kept}
        params = tuple(head.values()) + tuple(kept_params.values()) + ct_state + ct_free
        return _optimize_region(_backward_region(head, forward, backward, kept_params, params, bwd_results))

    kept = _kept_values(forward, backward, bwd_results, new_free)
    bwd = backward_body(kept)
    if kept and not _used_vars(bwd).intersection(bwd.params[1:1 + len(new_state)]):
        # no state is taped, so nothing needs the forward loop to record its
        # iterations: keeping values would add a whole loop, recomputing
        # them only some operations
        kept = []
        swap = {r.emitted[0]: r.emitted[1]() for r in residuals.values()
                if isinstance(r, CondResidual) and r.emitted is not None}
        backward = [swap.get(e, e) for e in backward]
        bwd = backward_body(kept)
    return _LoopSweeps(new_index if index is not None else None, new_state, new_free, forward, all_results,
                       kept, bwd, dstate, dfree)


def _loop_augment(b: Builder, eqn: Eqn, active: set[Var]) -> LoopResidual:
    """The forward loop, running the body's forward sweep and recording on
    tapes the state and the body values its backward body reads."""
    parts = LoopParts.of(eqn)
    sweeps = _loop_backward_body(parts, active, b)
    backward = sweeps.backward
    used = _used_vars(backward)
    n_state, n_free = parts.n_state, len(parts.free)
    needed = [k for k, p in enumerate(backward.params[1:1 + n_state]) if p in used]
    kept_p = backward.params[1 + n_state + n_free:1 + n_state + n_free + len(sweeps.kept)]
    kept_needed = [j for j, p in enumerate(kept_p) if p in used]
    counting = parts.has_exit or not parts.indexed
    state_p = sweeps.state
    tape_p = tuple(Var(hint=_tape_hint(state_p[k]), kind=TAPE) for k in needed)
    kept_tape_p = tuple(Var(hint=_tape_hint(sweeps.kept[j]), kind=TAPE) for j in kept_needed)
    counter_p = (Var(hint="iterations", kind=INT),) if counting else ()
    bb = Builder(b.registry, loc=eqn.loc, role="")
    pushed = [bb.apply(TAPE_PUSH, t, state_p[k], kinds=(TAPE,)) for t, k in zip(tape_p, needed)]
    bb.eqns.extend(sweeps.forward)
    kept_pushed = [bb.apply(TAPE_PUSH, t, sweeps.kept[j], kinds=(TAPE,)) for t, j in zip(kept_tape_p, kept_needed)]
    counted = [bb.add(counter_p[0], Const(1))] if counting else []
    head = (sweeps.index,) if sweeps.index is not None else ()
    body = Region(head + state_p + tape_p + kept_tape_p + counter_p + sweeps.free, tuple(bb.eqns),
                  sweeps.results + tuple(pushed) + tuple(kept_pushed) + tuple(counted))
    cond = parts.cond_with(tape_p + kept_tape_p + counter_p)
    b.loc, role, b.role = eqn.loc, b.role, ""      # the tapes belong to the forward sweep
    tape_init = [b.apply(TAPE_NEW, hint=_tape_hint(state_p[k]), kinds=(TAPE,)) for k in needed]
    kept_init = [b.apply(TAPE_NEW, hint=_tape_hint(sweeps.kept[j]), kinds=(TAPE,)) for j in kept_needed]
    b.role = role
    tape_outs = tuple(Var(hint=v.hint, kind=TAPE) for v in tape_p)
    kept_outs = tuple(Var(hint=v.hint, kind=TAPE) for v in kept_tape_p)
    counter_out = (Var(hint="iterations", kind=INT),) if counting else ()
    init = tuple(parts.init) + tuple(tape_init) + tuple(kept_init) + ((Const(0),) if counting else ())
    parts.rebuild(b, parts.bounds, init, parts.free, body, cond, eqn.outs + tape_outs + kept_outs + counter_out)
    return LoopResidual(backward, dict(zip(needed, tape_outs)), dict(zip(kept_needed, kept_outs)),
                        len(sweeps.kept), counter_out[0] if counting else None, sweeps.dstate, sweeps.dfree)


def _tape_hint(var: Var) -> str:
    return f"{var.hint}_tape" if var.hint else "tape"


def _loop_reverse(b: Builder, eqn: Eqn, active: set[Var], cts: Cotangents, residual: Any) -> None:
    if residual is None:
        return
    parts = LoopParts.of(eqn)
    state_outs = parts.state_outs()
    ct_in = [cts.take(b, state_outs[k]) if state_outs[k] in active else None for k in residual.dstate]
    if all(ct is None for ct in ct_in):
        return
    b.loc = eqn.loc
    # the backward loop replays the iterations in the opposite order to the
    # forward loop's: a forward ``range`` backwards, and a loop that already
    # runs backwards (itself a backward sweep, differentiated again) forwards
    forward_was_reversed = bool(eqn.param("reverse"))
    if forward_was_reversed and residual.counter is not None:
        raise InternalError("a reversed loop that can stop early is never generated, so it has no "
                            "backward rule", eqn.loc)
    if parts.indexed and residual.counter is None:
        bounds = parts.bounds
    elif parts.indexed:
        start, _, step = parts.bounds
        bounds = (start, b.add(start, b.mul(residual.counter, step)), step)
    else:
        bounds = (Const(0), residual.counter, Const(1))
    bwd = residual.backward_body
    n_state = parts.n_state
    index_p = bwd.params[0]
    state_p = bwd.params[1:1 + n_state]
    n_free = len(parts.free)
    free_p = bwd.params[1 + n_state:1 + n_state + n_free]
    kept_p = bwd.params[1 + n_state + n_free:1 + n_state + n_free + residual.n_kept]
    ct_params = bwd.params[1 + n_state + n_free + residual.n_kept:]
    ren = Renamer()
    new_index = ren.fresh(index_p)
    # the state and body values recorded by the forward loop, popped back
    popping = ([(state_p[k], residual.tapes[k]) for k in sorted(residual.tapes)]
               + [(kept_p[j], residual.kept_tapes[j]) for j in sorted(residual.kept_tapes)])
    tape_p = tuple(Var(hint=_tape_hint(p), kind=TAPE) for p, _ in popping)
    new_ct = tuple(ren.fresh(p) for p in ct_params)
    new_free = tuple(ren.fresh(p) for p in free_p)
    bb = Builder(b.registry, loc=eqn.loc, role="")   # restoring primal values needs no comment
    popped_tapes = []
    for t, (p, _) in zip(tape_p, popping):
        value, rest = bb.apply(TAPE_POP, t, n_outs=2, kinds=(p.kind, TAPE), hint=p.hint)
        ren.mapping[p] = value
        popped_tapes.append(rest)
    bb.role = "backward"
    bb.eqns.extend(ren.eqn(e) for e in bwd.eqns)
    body = Region((new_index,) + tape_p + new_ct + new_free, tuple(bb.eqns),
                  tuple(popped_tapes) + tuple(ren.atom(r) for r in bwd.results))
    init = (tuple(tape for _, tape in popping) + tuple(ct if ct is not None else Const(0.0) for ct in ct_in)
            + (Const(0.0),) * len(residual.dfree))
    outs = (tuple(Var(hint=v.hint, kind=TAPE) for v in tape_p)
            + tuple(Var(hint=cotangent_hint(state_outs[k]), kind=REAL) for k in residual.dstate)
            + tuple(Var(hint=cotangent_hint(parts.free[k]), kind=REAL) for k in residual.dfree))
    b.eqns.append(Eqn(FOR_RANGE, tuple(bounds) + init + tuple(parts.free), outs,
                      (("body", body), ("n_state", len(init)), ("has_exit", False),
                       ("reverse", not forward_was_reversed)),
                      eqn.loc, role="backward"))
    ct_outs = outs[len(popping):]
    for k, out in zip(residual.dstate, ct_outs):
        if isinstance(parts.init[k], Var) and parts.init[k] in active:
            cts.add(parts.init[k], out, eqn.loc)
    for k, out in zip(residual.dfree, ct_outs[len(residual.dstate):]):
        cts.add(parts.free[k], out, eqn.loc)


# --- loops: forward mode --------------------------------------------------------------

def _loop_forward(b: Builder, eqn: Eqn, tangents: dict) -> None:
    parts = LoopParts.of(eqn)
    index, state_p, free_p = parts.body_params()
    moving_free = [k for k, a in enumerate(parts.free) if isinstance(a, Var) and a in tangents]
    # by the carried variable's kind: `k = 0` may become real inside the loop
    moving_state = [k for k, (a, p) in enumerate(zip(parts.init, state_p))
                    if p.kind == REAL or (p.kind == TAPE and isinstance(a, Var) and a in tangents)]
    if not moving_free and not any(isinstance(parts.init[k], Var) and parts.init[k] in tangents
                                   for k in moving_state):
        b.eqns.append(eqn)
        return
    t_state = tuple(Var(hint=tangent_hint(state_p[k]), kind=_tangent_kind(state_p[k])) for k in moving_state)
    t_free = tuple(Var(hint=tangent_hint(free_p[k]), kind=_tangent_kind(free_p[k])) for k in moving_free)
    inner = {state_p[k]: t for k, t in zip(moving_state, t_state)}
    inner.update({free_p[k]: t for k, t in zip(moving_free, t_free)})
    bb = Builder(b.registry, loc=eqn.loc, role="tangent")
    for e in parts.body.eqns:
        tangent_eqn(bb, e, inner)
    state_results = parts.state_results()
    t_results = tuple(_tangent_or_zero(inner, state_results[k]) for k in moving_state)
    head = (index,) if index is not None else ()
    body = Region(head + state_p + t_state + free_p + t_free, tuple(bb.eqns), parts.body.results + t_results)
    cond = parts.cond_with(t_state, t_free)
    state_outs = parts.state_outs()
    t_outs = tuple(Var(hint=tangent_hint(state_outs[k]), kind=_tangent_kind(state_outs[k])) for k in moving_state)
    init = tuple(parts.init) + tuple(_tangent_or_zero(tangents, parts.init[k]) if parts.init[k].kind != TAPE
                                     else tangents[parts.init[k]] for k in moving_state)
    free = tuple(parts.free) + tuple(tangents[parts.free[k]] for k in moving_free)
    parts.rebuild(b, parts.bounds, init, free, body, cond, eqn.outs + t_outs)
    for k, t in zip(moving_state, t_outs):
        tangents[state_outs[k]] = t


# --- tapes in forward mode: a tangent tape travels beside each tape -------------------

def _tape_new_forward(b: Builder, eqn: Eqn, tangents: dict) -> None:
    b.eqns.append(eqn)
    out = eqn.outs[0]
    tangents[out] = b.apply(TAPE_NEW, hint=tangent_hint(out), kinds=(TAPE,))


def _tape_push_forward(b: Builder, eqn: Eqn, tangents: dict) -> None:
    b.eqns.append(eqn)
    tape, value = eqn.args
    if isinstance(tape, Var) and tape in tangents:
        tangents[eqn.outs[0]] = b.apply(TAPE_PUSH, tangents[tape], _tangent_or_zero(tangents, value),
                                        kinds=(TAPE,))


def _tape_pop_forward(b: Builder, eqn: Eqn, tangents: dict) -> None:
    b.eqns.append(eqn)
    tape = eqn.args[0]
    if isinstance(tape, Var) and tape in tangents:
        value, rest = b.apply(TAPE_POP, tangents[tape], n_outs=2, kinds=(REAL, TAPE),
                              hint=tangent_hint(eqn.outs[0]))
        tangents[eqn.outs[0]] = value
        tangents[eqn.outs[1]] = rest


COND.hooks.update(augment=_cond_augment, reverse=_cond_reverse, forward=_cond_forward)
for _loop in (FOR_RANGE, WHILE_LOOP):
    _loop.hooks.update(augment=_loop_augment, reverse=_loop_reverse, forward=_loop_forward)
TAPE_NEW.hooks.update(forward=_tape_new_forward)
TAPE_PUSH.hooks.update(forward=_tape_push_forward)
TAPE_POP.hooks.update(forward=_tape_pop_forward)
