"""Derivatives of structured control flow: conditionals and loops.

Reverse mode
    ``cond``: the backward code is another ``cond`` on the same predicate;
    each branch recomputes what it needs of its primal branch, then runs its
    backward sweep.

    Loops: the backward body is built first (recompute the body from the state
    at the start of the iteration, then its backward sweep) and optimised;
    the state values it still reads are the only ones the forward loop pushes
    on tapes (``augment``).  The backward loop pops them in reverse order.  A
    ``for`` over ``range`` replays ``reversed(range(...))``; a loop that can
    exit early, and every ``while``, counts its iterations and replays that
    many.  Cotangents of loop-invariant values read by the body accumulate in
    extra backward state.

Forward mode
    Tangents travel with the values: through both branches of a ``cond``, and
    as extra loop state.  Tapes have tangent tapes, so forward-over-reverse
    (Hessians) works through loops.

The hooks are attached to the primitives declared in
`srcgrad.primitives.control`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..codegen.naming import cotangent_hint, tangent_hint
from ..errors import InternalError
from ..ir.builder import Builder
from ..ir.core import INT, REAL, Atom, Const, Eqn, Function, Region, Var
from ..ir.inline import Renamer
from ..primitives.control import (COND, FOR_RANGE, TAPE, TAPE_NEW, TAPE_POP, TAPE_PUSH, WHILE_LOOP,
                                  LoopParts)
from .activity import active_vars
from .forward import tangent_eqn
from .reverse import Cotangents, reverse_block


def _used_vars(region: Region) -> set[Var]:
    used = {r for r in region.results if isinstance(r, Var)}
    for eqn in region.eqns:
        used.update(a for a in eqn.args if isinstance(a, Var))
    return used


def _optimize_region(region: Region) -> Region:
    from ..passes import optimize
    fn = Function(name="region", param_names=tuple(f"p{k}" for k in range(len(region.params))), body=region)
    return optimize(fn).body


# --- cond -------------------------------------------------------------------------

def _cond_reverse(b: Builder, eqn: Eqn, active: set[Var], cts: Cotangents, residual: Any) -> None:
    pred, free = eqn.args[0], eqn.args[1:]
    ct_outs = [cts.take(b, o) if o in active else None for o in eqn.outs]
    wrt = [k for k, a in enumerate(free) if isinstance(a, Var) and a in active]
    flowing = [j for j, ct in enumerate(ct_outs) if ct is not None]
    if not wrt or not flowing:
        return
    branches = []
    for key in ("then", "else"):
        region = eqn.param(key)
        ren = Renamer()
        params = tuple(ren.fresh(p) for p in region.params)
        ct_params = tuple(Var(hint=cotangent_hint(eqn.outs[j]), kind=REAL) for j in flowing)
        eqns = [ren.eqn(e) for e in region.eqns]
        results = [ren.atom(r) for r in region.results]
        seeds = [params[k] for k in wrt]
        inner_active = active_vars(Region(params, tuple(eqns), tuple(results)), seeds,
                                   [results[j] for j in flowing])
        bb = Builder(b.registry, loc=eqn.loc, role="backward")
        inner = Cotangents()
        for j, ct in zip(flowing, ct_params):
            if isinstance(results[j], Var) and results[j] in inner_active:
                inner.add(results[j], ct, eqn.loc)
        reverse_block(bb, eqns, inner_active, inner)
        outs = [inner.take(bb, params[k]) or Const(0.0) for k in wrt]
        branches.append((key, Region(params + ct_params, tuple(bb.eqns), tuple(outs))))
    args = (pred,) + tuple(free) + tuple(ct_outs[j] for j in flowing)
    outs = tuple(Var(hint=cotangent_hint(free[k]), kind=REAL) for k in wrt)
    b.eqns.append(Eqn(COND, args, outs, tuple(branches), eqn.loc, role="backward"))
    for k, out in zip(wrt, outs):
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

    backward_body: Region      # params: (index, *state, *free, *ct_state, *ct_free)
    tapes: dict[int, Var]      # state position -> final tape (after the forward loop)
    counter: Var | None        # iterations run, when the loop can stop early
    dstate: list[int]          # state positions that carry cotangents
    dfree: list[int]           # free positions that carry cotangents


def _loop_backward_body(parts: LoopParts, active: set[Var], b: Builder) -> tuple[Region, list[int], list[int]]:
    index, state_p, free_p = parts.body_params()
    dstate = [k for k, p in enumerate(state_p) if p.differentiable]
    dfree = [k for k, a in enumerate(parts.free) if isinstance(a, Var) and a in active]
    ren = Renamer()
    new_index = ren.fresh(index) if index is not None else Var(hint="_", kind=INT)
    new_state = tuple(ren.fresh(p) for p in state_p)
    new_free = tuple(ren.fresh(p) for p in free_p)
    ct_state = tuple(Var(hint=cotangent_hint(state_p[k]), kind=REAL) for k in dstate)
    ct_free = tuple(Var(hint=cotangent_hint(free_p[k]), kind=REAL) for k in dfree)
    eqns = [ren.eqn(e) for e in parts.body.eqns]
    results = [ren.atom(r) for r in parts.state_results()]
    seeds = [new_state[k] for k in dstate] + [new_free[k] for k in dfree]
    region = Region((new_index,) + new_state + new_free, tuple(eqns), tuple(results))
    inner_active = active_vars(region, seeds, [results[k] for k in dstate])
    inner = Cotangents()
    for k, ct in zip(dstate, ct_state):
        if isinstance(results[k], Var) and results[k] in inner_active:
            inner.add(results[k], ct, parts.eqn.loc)
    bb = Builder(b.registry, loc=parts.eqn.loc, role="backward")
    reverse_block(bb, eqns, inner_active, inner)
    ct_prev = [inner.take(bb, new_state[k]) or Const(0.0) for k in dstate]
    ct_free_new = []
    for k, acc in zip(dfree, ct_free):
        term = inner.take(bb, new_free[k], named=False)   # read once, by the sum below
        ct_free_new.append(acc if term is None else bb.add(acc, term))
    backward = Region((new_index,) + new_state + new_free + ct_state + ct_free, tuple(bb.eqns),
                      tuple(ct_prev) + tuple(ct_free_new))
    return _optimize_region(backward), dstate, dfree


def _loop_augment(b: Builder, eqn: Eqn, active: set[Var]) -> LoopResidual:
    """The forward loop, recording the state its backward body reads."""
    parts = LoopParts.of(eqn)
    backward, dstate, dfree = _loop_backward_body(parts, active, b)
    used = _used_vars(backward)
    n_index = 1
    state_in_bwd = backward.params[n_index:n_index + parts.n_state]
    needed = [k for k, p in enumerate(state_in_bwd) if p in used]
    counting = parts.has_exit or not parts.indexed
    index, state_p, free_p = parts.body_params()
    ren = Renamer()
    new_index = (ren.fresh(index),) if index is not None else ()
    new_state = tuple(ren.fresh(p) for p in state_p)
    tape_p = tuple(Var(hint=_tape_hint(state_p[k]), kind=TAPE) for k in needed)
    counter_p = (Var(hint="iterations", kind=INT),) if counting else ()
    new_free = tuple(ren.fresh(p) for p in free_p)
    bb = Builder(b.registry, loc=eqn.loc, role="")
    pushed = [bb.apply(TAPE_PUSH, t, new_state[k], kinds=(TAPE,)) for t, k in zip(tape_p, needed)]
    bb.eqns.extend(ren.eqn(e) for e in parts.body.eqns)
    results = [ren.atom(r) for r in parts.body.results]
    counted = [bb.add(counter_p[0], Const(1))] if counting else []
    body = Region(new_index + new_state + tuple(tape_p) + counter_p + new_free, tuple(bb.eqns),
                  tuple(results) + tuple(pushed) + tuple(counted))
    cond = parts.cond_with(tape_p + counter_p)
    b.loc, role, b.role = eqn.loc, b.role, ""      # the tapes belong to the forward sweep
    tape_init = [b.apply(TAPE_NEW, hint=_tape_hint(state_p[k]), kinds=(TAPE,)) for k in needed]
    b.role = role
    tape_outs = tuple(Var(hint=_tape_hint(state_p[k]), kind=TAPE) for k in needed)
    counter_out = (Var(hint="iterations", kind=INT),) if counting else ()
    init = tuple(parts.init) + tuple(tape_init) + ((Const(0),) if counting else ())
    parts.rebuild(b, parts.bounds, init, parts.free, body, cond, eqn.outs + tape_outs + counter_out)
    return LoopResidual(backward, dict(zip(needed, tape_outs)), counter_out[0] if counting else None,
                        dstate, dfree)


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
    free_p = bwd.params[1 + n_state:1 + n_state + len(parts.free)]
    ct_params = bwd.params[1 + n_state + len(parts.free):]
    ren = Renamer()
    new_index = ren.fresh(index_p)
    tapes = sorted(residual.tapes)
    tape_p = tuple(Var(hint=_tape_hint(state_p[k]), kind=TAPE) for k in tapes)
    new_ct = tuple(ren.fresh(p) for p in ct_params)
    new_free = tuple(ren.fresh(p) for p in free_p)
    bb = Builder(b.registry, loc=eqn.loc, role="")   # restoring primal values needs no comment
    popped_tapes = []
    for t, k in zip(tape_p, tapes):
        value, rest = bb.apply(TAPE_POP, t, n_outs=2, kinds=(state_p[k].kind, TAPE), hint=state_p[k].hint)
        ren.mapping[state_p[k]] = value
        popped_tapes.append(rest)
    bb.role = "backward"
    bb.eqns.extend(ren.eqn(e) for e in bwd.eqns)
    body = Region((new_index,) + tape_p + new_ct + new_free, tuple(bb.eqns),
                  tuple(popped_tapes) + tuple(ren.atom(r) for r in bwd.results))
    init = (tuple(residual.tapes[k] for k in tapes) + tuple(ct if ct is not None else Const(0.0) for ct in ct_in)
            + (Const(0.0),) * len(residual.dfree))
    outs = (tuple(Var(hint=v.hint, kind=TAPE) for v in tape_p)
            + tuple(Var(hint=cotangent_hint(state_outs[k]), kind=REAL) for k in residual.dstate)
            + tuple(Var(hint=cotangent_hint(parts.free[k]), kind=REAL) for k in residual.dfree))
    b.eqns.append(Eqn(FOR_RANGE, tuple(bounds) + init + tuple(parts.free), outs,
                      (("body", body), ("n_state", len(init)), ("has_exit", False),
                       ("reverse", not forward_was_reversed)),
                      eqn.loc, role="backward"))
    ct_outs = outs[len(tapes):]
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


COND.hooks.update(reverse=_cond_reverse, forward=_cond_forward)
for _loop in (FOR_RANGE, WHILE_LOOP):
    _loop.hooks.update(augment=_loop_augment, reverse=_loop_reverse, forward=_loop_forward)
TAPE_NEW.hooks.update(forward=_tape_new_forward)
TAPE_PUSH.hooks.update(forward=_tape_push_forward)
TAPE_POP.hooks.update(forward=_tape_pop_forward)
