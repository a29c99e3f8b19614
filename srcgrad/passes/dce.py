"""Dead code elimination: drop equations whose outputs nothing reads.

Before::

    z = mul x y
    t = exp z          # unused
    u = mul dz y       # unused (derivative code)
    return z

After::

    z = mul x y
    t = exp z          # kept: exp(1000) raises OverflowError in the user's function
    return z

An unused *primal* equation (one without a role: the user's own
computation) is kept when its primitive may raise on its operands
(`srcgrad.primitives.core.may_raise`): ``unused = math.acosh(x)`` raises
`ValueError` for ``x < 1``, and the transformed function must fail where the
user's function does -- in transforms that return f's value (value_and_grad,
jvp: `Function.primal_errors`); grad, jacobian and hessian evaluate only
what the derivative needs, as JAX does.  Unused derivative code is always
dropped.

Structured equations may declare a ``prune`` hook that drops unused outputs
(and the region results feeding them) instead of keeping the whole equation;
one whose regions hold primal code that may raise keeps that code (and
only the outputs something reads).  An unused equation that fails exactly where a kept
one later in the region does (``sin t`` and its derivative ``cos t``, by
their "fails_like" declaration) is dropped: the failure still happens.
"""
from __future__ import annotations

import weakref
from contextvars import ContextVar

from ..ir.core import Eqn, Region, Var
from ..primitives.core import may_raise
from .util import Sweep, nested


# Whether the function being cleaned keeps failing primal work
# (`Function.primal_errors`); read by `must_keep`, which the structured
# equations' prune hooks call too.
_PRIMAL_ERRORS: ContextVar[bool] = ContextVar("primal_errors", default=True)


def dead_code_region(region: Region, sweep: Sweep) -> Region:
    """The region pass: `region`'s own dead equations dropped (and unused
    outputs of its structured equations pruned); its nested regions are the
    driver's to visit.  `sweep.derivative` says whether `region` is inside
    derivative code, `sweep.primal_errors` whether failing primal work stays."""
    token = _PRIMAL_ERRORS.set(sweep.primal_errors)
    try:
        return _own(region, region.eqns, sweep.derivative)
    finally:
        _PRIMAL_ERRORS.reset(token)


def primal_errors_kept() -> bool:
    """Whether the function being cleaned keeps failing primal work."""
    return _PRIMAL_ERRORS.get()


def must_keep(eqn: Eqn, derivative: bool = False) -> bool:
    """Whether `eqn` must run even if nothing reads its outputs: it has an
    effect, or it is primal code that may raise.  Inside derivative code
    (`derivative`: a region of an equation with a role), primal equations
    only recompute values the forward sweep computed, failures included."""
    if eqn.prim.hooks.get("effect"):
        return True
    if derivative or eqn.role or not _PRIMAL_ERRORS.get():
        return False
    if nested(eqn):
        return _nest_may_fail(eqn)
    return may_raise(eqn.prim)


_NEST_MAY_FAIL: "weakref.WeakKeyDictionary[Eqn, bool]" = weakref.WeakKeyDictionary()


def _nest_may_fail(eqn: Eqn) -> bool:
    """Whether primal code in `eqn`'s regions may fail, remembered per
    (immutable) equation: asked at every level of a nest, it would otherwise
    walk the nest below each time (quadratic in the depth)."""
    found = _NEST_MAY_FAIL.get(eqn)
    if found is None:
        found = any(must_keep(e) for r in eqn.regions for e in r.eqns)
        _NEST_MAY_FAIL[eqn] = found
    return found


def _failure(eqn: Eqn) -> tuple | None:
    """What makes `eqn` fail, when its primitive declares it ("fails_like":
    ``math.sin(t)`` raises exactly where ``math.cos(t)`` does), so an unused
    ``sin(t)`` need not run where ``cos(t)`` (its derivative) runs anyway."""
    group = eqn.prim.hooks.get("fails_like")
    if group is None or nested(eqn):
        return None
    return (group,) + tuple(a if isinstance(a, Var) else repr(a.value) for a in eqn.args)


def _own(region: Region, eqns, derivative: bool) -> Region:
    """`region` with `eqns` (its equations) less those nothing reads;
    `region` itself when nothing changed."""
    live = {r for r in region.results if isinstance(r, Var)}
    kept = []
    covered: set[tuple] = set()      # failures a kept equation later in the region raises
    for eqn in reversed(eqns):
        prune = eqn.prim.hooks.get("prune")
        keep = must_keep(eqn, derivative) and _failure(eqn) not in covered
        if prune is not None:
            pruned = prune(eqn, live)     # keeps what may fail (`must_keep`), if nothing else
            if pruned is None:
                continue
            eqn = pruned
        elif not keep and not any(o in live for o in eqn.outs):
            continue
        kept.append(eqn)
        if (failure := _failure(eqn)) is not None:
            covered.add(failure)
        # regions read only their equation's args (the IR invariant), so the
        # args are all a structured equation needs from outside
        live.update(a for a in eqn.args if isinstance(a, Var))
    kept.reverse()
    if len(kept) == len(region.eqns) and all(a is b for a, b in zip(kept, region.eqns)):
        return region
    return Region(region.params, tuple(kept), region.results)
