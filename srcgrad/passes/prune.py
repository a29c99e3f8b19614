"""Dead-code rules for structured equations (their ``prune`` hooks).

A conditional keeps only the outputs something reads.  A loop keeps the
carried values whose final value is read, plus those the kept ones (or the
loop test, or the exit code) depend on through the body; loop-invariant
inputs nothing reads any more are dropped.  A loop whose outputs are all
unused disappears (loops here are pure: they always terminate in the
original program, and their only effects are their outputs), unless it holds
primal code that may raise (see `srcgrad.passes.dce`).

Before (``s`` unused after the loop)::

    x, s = for_range 0 n 1 x0 0.0   body(i, x, s): (sin x, add s x)

After::

    x = for_range 0 n 1 x0          body(i, x): (sin x)
"""
from __future__ import annotations

import weakref

from ..ir.core import Eqn, Region, Var
from ..primitives.control import COND, FOR_RANGE, WHILE_LOOP, LoopParts
from .dce import must_keep, primal_errors_kept
from .liveness import loop_liveness, reads


# What `must_keep` answers depends on whether the transform keeps failing
# primal work (`dce.primal_errors_kept`): one memo of `liveness` per answer.
_MEMOS: dict[bool, "weakref.WeakKeyDictionary"] = {True: weakref.WeakKeyDictionary(),
                                                   False: weakref.WeakKeyDictionary()}


def _memo() -> "weakref.WeakKeyDictionary":
    return _MEMOS[primal_errors_kept()]


def _reads(region: Region, roots: list) -> set[Var]:
    """Vars the computation of `roots` reads in `region` (params included),
    looking inside nested conditionals and loops (`liveness.reads`)."""
    return reads(region, roots, must_keep, _memo())


def _live_eqns(region: Region, needed: set[Var]) -> tuple[Eqn, ...]:
    """The equations of `region` that compute something in `needed` (as
    `_reads` found it): the rest may read parameters a pruned region no
    longer has, so they go with them, and nested conditionals and loops are
    pruned to what `needed` asks of them, so they read only what `_reads`
    counted (the IR stays valid after each pass)."""
    kept = []
    for e in region.eqns:
        if not (must_keep(e) or any(o in needed for o in e.outs)):
            continue
        prune = e.prim.hooks.get("prune")
        if prune is not None and any(isinstance(a, Var) and a not in needed for a in e.args):
            # it reads a value `needed` leaves out (dead in it too): prune it
            # now; otherwise the sweep does when it reaches its region
            e = prune(e, needed) or e
        kept.append(e)
    return tuple(kept)


def _prune_cond(eqn: Eqn, live: set[Var]) -> Eqn | None:
    keep = [j for j, o in enumerate(eqn.outs) if o in live]
    if not keep and not must_keep(eqn):
        return None
    regions = {k: eqn.param(k) for k in ("then", "else")}
    reads = set()
    for key, region in regions.items():
        results = tuple(region.results[j] for j in keep)
        branch_reads = _reads(region, list(results))
        reads |= branch_reads
        regions[key] = Region(region.params, _live_eqns(region, branch_reads), results)
    free_keep = [k for k in range(len(eqn.args) - 1)
                 if any(r.params[k] in reads for r in (eqn.param("then"), eqn.param("else")))]
    for key, region in regions.items():
        old = eqn.param(key)
        params = tuple(old.params[k] for k in free_keep)
        regions[key] = Region(params, region.eqns, region.results)
    args = (eqn.args[0],) + tuple(eqn.args[1 + k] for k in free_keep)
    if (len(keep) == len(eqn.outs) and len(args) == len(eqn.args)
            and all(len(regions[k].eqns) == len(eqn.param(k).eqns) for k in regions)):
        return eqn       # nothing to prune: the same equation, so the driver sees no change
    return eqn.replace(args=args, outs=tuple(eqn.outs[j] for j in keep),
                       params=(("then", regions["then"]), ("else", regions["else"])))


def _prune_loop(eqn: Eqn, live: set[Var]) -> Eqn | None:
    parts = LoopParts.of(eqn)
    index, state_p, free_p = parts.body_params()
    state_outs = parts.state_outs()
    results = parts.state_results()
    exit_live = parts.has_exit
    if not any(o in live for o in eqn.outs) and not must_keep(eqn):
        return None      # nothing reads it: the same rule `_reads` applies to enclosing regions
    found = loop_liveness(eqn, frozenset(j for j, o in enumerate(eqn.outs) if o in live), must_keep, _memo())
    keep, reads, cond_reads = set(found.state), found.body_reads, found.cond_reads
    if len(keep) == parts.n_state and all(p in reads for p in free_p):
        return eqn
    ks = sorted(keep)
    free_keep = [k for k, p in enumerate(free_p) if p in reads
                 or (parts.cond is not None and parts.cond.params[parts.n_state + k] in cond_reads)]
    head = (index,) if index is not None else ()
    code = (parts.body.results[0],) if exit_live else ()
    body = Region(head + tuple(state_p[k] for k in ks) + tuple(free_p[k] for k in free_keep),
                  _live_eqns(parts.body, reads), code + tuple(results[k] for k in ks))
    cond = None
    if parts.cond is not None:
        c = parts.cond
        cond = Region(tuple(c.params[k] for k in ks) + tuple(c.params[parts.n_state + k] for k in free_keep),
                      c.eqns, c.results)
    outs = ((eqn.outs[0],) if exit_live else ()) + tuple(state_outs[k] for k in ks)
    params = [("body", body), ("n_state", len(ks)), ("has_exit", parts.has_exit)]
    if cond is not None:
        params.append(("cond", cond))
    params += [(k, v) for k, v in eqn.params if k not in ("body", "cond", "n_state", "has_exit")]
    args = tuple(parts.bounds) + tuple(parts.init[k] for k in ks) + tuple(parts.free[k] for k in free_keep)
    return eqn.replace(args=args, outs=outs, params=tuple(params))


COND.hooks["prune"] = _prune_cond
FOR_RANGE.hooks["prune"] = _prune_loop
WHILE_LOOP.hooks["prune"] = _prune_loop
