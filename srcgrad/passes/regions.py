"""Propagation into regions: constants and loop-invariant values.

A constant passed into a branch or loop body is substituted for the region
parameter that receives it, so the passes inside can fold it.  A loop-carried
value that the body passes through unchanged is loop-invariant: the loop's
output is its initial value, and inside the body it becomes an ordinary
(free) input, so it is neither carried nor taped.

Before::

    dz = cond c 1.0 y   then(s, y): (mul s (sin y))   else(s, y): (mul s y)

After::

    dz = cond c y       then(y): (mul 1.0 (sin y))    else(y): (mul 1.0 y)

and simplification then gives ``sin y`` and ``y``.
"""
from __future__ import annotations

from ..ir.core import Const, Eqn, Region, Var
from ..primitives.control import LoopParts
from .util import Substitution, Sweep


def propagate_region(region: Region, sweep: Sweep) -> Region:
    return _region(region)


def _region(region: Region) -> Region:
    subst = Substitution()
    eqns = []
    for eqn in region.eqns:
        eqn = subst.eqn(eqn)
        hook = eqn.prim.hooks.get("propagate")
        if hook is not None:
            eqn = hook(eqn, subst)
        eqns.append(eqn)
    return Region(region.params, tuple(eqns), subst.results(region.results))


def _bind(region: Region, constants: dict[int, Const]) -> Region:
    """`region` with the params at the given positions replaced by constants.

    A region's params are read only by its own equations and results (nested
    regions read values through their own params: the IR invariant), so only
    those arguments change; nested regions are shared, not copied (copying
    them made each binding cost the whole nest below it)."""
    if not constants:
        return region
    mapping: dict[Var, Const] = {region.params[k]: c for k, c in constants.items()}
    params = tuple(p for k, p in enumerate(region.params) if k not in constants)

    def bound(atom):
        return mapping.get(atom, atom) if isinstance(atom, Var) else atom

    eqns = tuple(e.replace(args=tuple(bound(a) for a in e.args)) if any(a in mapping for a in e.args) else e
                 for e in region.eqns)
    return Region(params, eqns, tuple(bound(r) for r in region.results))


def _propagate_cond(eqn: Eqn, subst: Substitution) -> Eqn:
    eqn = _pass_through_outputs(eqn, subst)
    constants = {k: a for k, a in enumerate(eqn.args[1:]) if isinstance(a, Const)}
    if not constants:
        return eqn
    params = tuple((key, _bind(eqn.param(key), constants)) for key in ("then", "else"))
    args = (eqn.args[0],) + tuple(a for k, a in enumerate(eqn.args[1:]) if k not in constants)
    return eqn.replace(args=args, params=params)


def _pass_through_outputs(eqn: Eqn, subst: Substitution) -> Eqn:
    """An output both branches return unchanged from the same input is that
    input: it need not go through the conditional."""
    then_r, else_r = eqn.param("then"), eqn.param("else")
    same = {}
    for j, (a, b) in enumerate(zip(then_r.results, else_r.results)):
        if a in then_r.params and b in else_r.params and then_r.params.index(a) == else_r.params.index(b):
            same[j] = eqn.args[1 + then_r.params.index(a)]
    if not same:
        return eqn
    for j, arg in same.items():
        subst[eqn.outs[j]] = arg
    keep = [j for j in range(len(eqn.outs)) if j not in same]
    params = tuple((key, Region(r.params, r.eqns, tuple(r.results[j] for j in keep)))
                   for key, r in (("then", then_r), ("else", else_r)))
    return eqn.replace(outs=tuple(eqn.outs[j] for j in keep), params=params)


def _propagate_loop(eqn: Eqn, subst: Substitution) -> Eqn:
    parts = LoopParts.of(eqn)
    index, state_p, free_p = parts.body_params()
    results = parts.state_results()
    invariant = [k for k, (p, r) in enumerate(zip(state_p, results)) if r is p]
    constants = {k: a for k, a in enumerate(parts.free) if isinstance(a, Const)}
    if not invariant and not constants:
        return eqn
    state_outs = parts.state_outs()
    for k in invariant:
        subst[state_outs[k]] = parts.init[k]
    keep = [k for k in range(parts.n_state) if k not in invariant]
    head = (index,) if index is not None else ()
    code = parts.body.results[:1] if parts.has_exit else ()
    # invariant state moves to the free inputs (after the existing ones)
    body = Region(head + tuple(state_p[k] for k in keep) + free_p + tuple(state_p[k] for k in invariant),
                  parts.body.eqns, code + tuple(results[k] for k in keep))
    free = tuple(parts.free) + tuple(parts.init[k] for k in invariant)
    n_head = len(head) + len(keep)
    free_constants = {n_head + k: a for k, a in enumerate(free) if isinstance(a, Const)}
    body = _bind(body, free_constants)
    cond = None
    if parts.cond is not None:
        c = parts.cond
        c_state, c_free = c.params[:parts.n_state], c.params[parts.n_state:]
        cond = Region(tuple(c_state[k] for k in keep) + c_free + tuple(c_state[k] for k in invariant),
                      c.eqns, c.results)
        cond = _bind(cond, {len(keep) + k: a for k, a in enumerate(free) if isinstance(a, Const)})
    outs = ((eqn.outs[0],) if parts.has_exit else ()) + tuple(state_outs[k] for k in keep)
    params = [("body", body), ("n_state", len(keep)), ("has_exit", parts.has_exit)]
    if cond is not None:
        params.append(("cond", cond))
    params += [(k, v) for k, v in eqn.params if k not in ("body", "cond", "n_state", "has_exit")]
    args = (tuple(parts.bounds) + tuple(parts.init[k] for k in keep)
            + tuple(a for a in free if not isinstance(a, Const)))
    return eqn.replace(args=args, outs=outs, params=tuple(params))


def _attach() -> None:
    from ..primitives.control import COND, FOR_RANGE, WHILE_LOOP
    COND.hooks["propagate"] = _propagate_cond
    FOR_RANGE.hooks["propagate"] = _propagate_loop
    WHILE_LOOP.hooks["propagate"] = _propagate_loop


_attach()
