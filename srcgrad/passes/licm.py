"""Loop-invariant code motion: compute before a loop what every iteration
would compute alike.

An equation of a loop body whose operands are all constants, loop-invariant
(free) inputs, or outputs of equations already hoisted, computes the same
value on every iteration.  It moves before the loop, and its value enters
the body as a new free input.  This runs on primal loops and on the
backward loops of reverse mode alike (a backward body reads the primal's
invariants, such as ``math.cos(x)``, on every backward iteration).  The
optimiser revisits a region after one nested in it changed, so an invariant
of the innermost of nested loops climbs out of all the loops it is
invariant in, one level per visit.

Before::

    y2 = for_range 0 n 1 y x    body(i, y, x): (add y (sin x))
    z2 = for_range 0 n 1 z x    body(i, z, x): (add z (mul x 2.0))

After::

    y2 = for_range 0 n 1 y x    body(i, y, x): (add y (sin x))   # kept
    t = mul x 2.0
    z2 = for_range 0 n 1 z x t  body(i, z, x, t): (add z t)

What may fail stays where it is (`srcgrad.primitives.core.may_raise`):
``math.sin(x)`` raises at ``x = inf``, and a loop that runs zero times must
not raise where the user's loop ran nothing -- in a gradient as in
value_and_grad, whatever `Function.primal_errors` says about unused work.
Work that may raise is hoisted only out of a ``for`` over constant bounds
that runs at least once, and only when nothing that may raise runs before
it in the body, so the first failure is still the user's first failure.
Out of the branches of a conditional inside the loop, only invariant work
that cannot fail is hoisted (the branch may not be taken: ``x > c``, sums,
products); work that may fail stays in its branch.  Nothing moves out of a
``while`` loop's test; equations with regions, tapes and effects stay in
place.
"""
from __future__ import annotations

from ..ir.core import Atom, Const, Eqn, Region, Var
from ..primitives.control import COND, FOR_RANGE, WHILE_LOOP, LoopParts
from ..primitives.core import may_raise
from .util import Sweep, nested


def licm_region(region: Region, sweep: Sweep) -> Region:
    """`region` with the invariant work of its loops hoisted before them.
    Nested loops are handled when the sweep reaches their regions; an
    invariant hoisted into a loop body is hoisted further when the sweep
    revisits the enclosing region after a nested one changed."""
    return _region(region)


def _region(region: Region) -> Region:
    if not any(e.prim is FOR_RANGE or e.prim is WHILE_LOOP for e in region.eqns):
        return region
    eqns: list[Eqn] = []
    changed = False
    for eqn in region.eqns:
        if eqn.prim is FOR_RANGE or eqn.prim is WHILE_LOOP:
            hoisted = _hoist(eqn)
            if hoisted is not None:
                eqns.extend(hoisted)
                changed = True
                continue
        eqns.append(eqn)
    return Region(region.params, tuple(eqns), region.results) if changed else region


def _runs_at_least_once(parts: LoopParts) -> bool:
    """Whether a loop surely runs its body once: a ``for`` over constant
    bounds that are not empty (``while`` loops and computed bounds may not)."""
    if not parts.indexed or not all(isinstance(a, Const) and isinstance(a.value, int)
                                    and not isinstance(a.value, bool) for a in parts.bounds):
        return False
    start, stop, step = (a.value for a in parts.bounds)
    return step != 0 and len(range(start, stop, step)) > 0


# Cheap arithmetic is hoisted only on the way to work worth hoisting
# (``x * x`` for ``exp(-x * x)``): alone it saves one operation per iteration,
# and hoisted apart from the expression reading it, ``ct * x`` (with ``ct``
# later found to be 1.0) can no longer be simplified into it.
_CHEAP = frozenset({"add", "sub", "mul", "neg", "copy"})


def _movable(eqn: Eqn) -> bool:
    hooks = eqn.prim.hooks
    return not (nested(eqn) or hooks.get("tape") or hooks.get("effect") or hooks.get("no_cse"))


def _worth_hoisting(region: Region, outside: dict[Var, Atom], raising_ok: bool) -> set[int]:
    """Ids of the equations of `region` to hoist: the invariant ones allowed
    to move that are not cheap arithmetic, and the invariant ones they read."""
    known = set(outside)
    candidates: list[Eqn] = []
    for e in region.eqns:
        if _movable(e) and all(isinstance(a, Const) or a in known for a in e.args) \
                and (raising_ok or not _may_fail(e)):
            candidates.append(e)
            known.update(e.outs)
        elif _may_fail(e):
            raising_ok = False
    wanted: set[int] = set()
    read: set[Var] = set()
    for e in reversed(candidates):
        if e.prim.name not in _CHEAP or any(o in read for o in e.outs):
            wanted.add(id(e))
            read.update(a for a in e.args if isinstance(a, Var))
    return wanted


def _may_fail(eqn: Eqn) -> bool:
    if nested(eqn):
        return any(_may_fail(e) for r in eqn.regions for e in r.eqns)
    return may_raise(eqn.prim)


def _hoist(eqn: Eqn) -> list[Eqn] | None:
    """The equations hoisted out of loop `eqn`, then the loop without them;
    None when nothing is invariant."""
    parts = LoopParts.of(eqn)
    _, _, free_p = parts.body_params()
    outside: dict[Var, Atom] = dict(zip(free_p, parts.free))     # body var -> atom before the loop
    hoisted: list[Eqn] = []
    body, lifted = _lift(parts.body, outside, _runs_at_least_once(parts), hoisted)
    if not hoisted:
        return None
    new_params = tuple(inner for inner, _ in lifted)
    params = [(k, body if k == "body" else v) for k, v in eqn.params]
    if parts.cond is not None:
        params = [(k, parts.cond_with(extra_free=new_params) if k == "cond" else v) for k, v in params]
    loop = eqn.replace(args=eqn.args + tuple(outer for _, outer in lifted), params=tuple(params))
    return hoisted + [loop]


def _lift(region: Region, outside: dict[Var, Atom], raising_ok: bool,
          hoisted: list[Eqn]) -> tuple[Region, list[tuple[Var, Atom]]]:
    """`region` without its invariant equations, which are appended to
    `hoisted` (rewritten to read the values before the loop), and the new
    params that receive their values: (param, value before the loop).
    `outside` maps the region's vars known before the loop to those values;
    `raising_ok` says whether work that may fail may move there."""
    lifted: list[tuple[Var, Atom]] = []
    kept: list[Eqn] = []
    wanted = _worth_hoisting(region, outside, raising_ok)
    for e in region.eqns:
        if id(e) in wanted and all(isinstance(a, Const) or a in outside for a in e.args) \
                and (raising_ok or not _may_fail(e)):
            outs = tuple(Var(hint=o.hint, kind=o.kind) for o in e.outs)
            hoisted.append(e.replace(args=tuple(a if isinstance(a, Const) else outside[a] for a in e.args),
                                     outs=outs))
            for inner, outer in zip(e.outs, outs):
                outside[inner] = outer
                lifted.append((inner, outer))      # the region now receives the value
            continue
        if e.prim is COND:
            e = _lift_cond(e, outside, hoisted, lifted)
        if _may_fail(e):
            raising_ok = False                     # a later failure must not overtake this one
        kept.append(e)
    if not lifted:
        return region, lifted
    return Region(region.params + tuple(inner for inner, _ in lifted), tuple(kept), region.results), lifted


def _lift_cond(eqn: Eqn, outside: dict[Var, Atom], hoisted: list[Eqn],
               lifted: list[tuple[Var, Atom]]) -> Eqn:
    """A conditional whose branches had their loop-invariant work that cannot
    fail hoisted (never work that may fail: the branch may not be taken);
    the values enter the branches as new arguments, which `lifted` receives."""
    free = eqn.args[1:]
    branches: dict[str, tuple[Region, list[tuple[Var, Atom]]]] = {}
    for key in ("then", "else"):
        region = eqn.param(key)
        known = {p: (a if isinstance(a, Const) else outside[a])
                 for p, a in zip(region.params, free) if isinstance(a, Const) or a in outside}
        branches[key] = _lift(region, known, False, hoisted)
    extra = [(key, inner, outer) for key, (_, got) in branches.items() for inner, outer in got]
    if not extra:
        return eqn
    new_args = []
    new_params: dict[str, list[Var]] = {"then": [], "else": []}
    for key, inner, outer in extra:
        arg = Var(hint=inner.hint, kind=inner.kind)     # the value in the enclosing region
        outside[arg] = outer
        lifted.append((arg, outer))
        new_args.append(arg)
        for side in new_params:
            new_params[side].append(inner if side == key else Var(hint=inner.hint, kind=inner.kind))
    params = []
    for k, v in eqn.params:
        if k in branches:
            region = branches[k][0]
            n_old = len(region.params) - len(branches[k][1])
            v = Region(region.params[:n_old] + tuple(new_params[k]), region.eqns, region.results)
        params.append((k, v))
    return eqn.replace(args=eqn.args + tuple(new_args), params=tuple(params))
