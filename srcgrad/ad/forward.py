"""Forward mode: a primal function to one computing its JVP.

The generated function takes the primal arguments followed by one tangent per
argument (``x_dot``) and returns the primal outputs followed by their
tangents.  Each active equation is followed by its tangent
``t_out = sum(partial_i * t_i)`` from the primitive's declared partials: the
same declaration reverse mode reads.

Structured primitives (control flow) provide a ``forward`` hook.
"""
from __future__ import annotations

import contextvars
from typing import Any

from ..codegen.naming import Namer, tangent_hint
from ..errors import NoDerivativeRuleError
from ..ir.builder import Builder
from ..ir.check import check_stage
from ..ir.core import Atom, Const, Eqn, Function, Region, Var
from .reverse import missing_rule_message


def tangent_eqn(b: Builder, eqn: Eqn, tangents: dict[Var, Atom]) -> None:
    """Append `eqn` and, when any argument has a tangent, its tangent code."""
    hook = eqn.prim.hooks.get("forward")
    if hook is not None:
        hook(b, eqn, tangents)
        return
    b.eqns.append(eqn)
    out = eqn.outs[0]
    if not out.differentiable or eqn.prim.piecewise_constant:
        return
    moving = [i for i, a in enumerate(eqn.args) if isinstance(a, Var) and a in tangents]
    if not moving:
        return
    if eqn.prim.partials is None:
        raise NoDerivativeRuleError(missing_rule_message(eqn.prim), eqn.loc)
    b.loc = eqn.loc
    first = len(b.eqns)
    partials = eqn.prim.partials(b, *eqn.args, out)
    ieee = _ieee_values(b.eqns[first:])
    terms = [_term(b, partials[i], tangents[eqn.args[i]], ieee) for i in moving]
    tangents[out] = b.named(b.add_all(terms), tangent_hint(out))


def _ieee_values(eqns: list[Eqn]) -> set[Var]:
    """The values among `eqns` (a rule's partials) computed through an IEEE
    form (``ieee_div`` ...), which may be inf or nan where the primal is not."""
    tainted: set[Var] = set()
    for e in eqns:
        if e.prim.hooks.get("ieee") or any(isinstance(a, Var) and a in tainted for a in e.args):
            tainted.update(e.outs)
    return tainted


# Whether a tangent that is 0 at run time zeroes an inf or nan partial (`_term`):
# for `jvp`'s caller-given tangents, not for a seeded direction (`forward(seeds=)`,
# grad's forward mode), whose products must be reverse mode's, IEEE for IEEE.
_GUARD_ZERO_TANGENTS = contextvars.ContextVar("srcgrad_guard_zero_tangents", default=True)


def _term(b: Builder, partial: Atom, tangent: Atom, ieee: set[Var]) -> Atom:
    """partial * tangent.  A tangent that is 0 at run time (an argument that
    does not move, such as the int exponent in ``jvp(f)((x, 3), (1.0, 0.0))``)
    contributes 0 even where its partial is inf or nan (d/dn x ** n at
    x < 0): 0 * nan would turn a finite derivative into nan.  With a seeded
    direction an argument that does not move has no tangent at all, so the
    product stays plain, as reverse mode's ``ct * partial`` is."""
    product = b.mul(partial, tangent)
    if (_GUARD_ZERO_TANGENTS.get() and isinstance(partial, Var) and partial in ieee
            and isinstance(tangent, Var)):
        return b.select(b.eq(tangent, 0.0), 0.0, product)
    return product


def forward(fn: Function, registry: Any = None, name: str | None = None,
            seeds: dict[int, float] | None = None) -> Function:
    """`fn(x, y)` -> `jvp_fn(x, y, x_dot, y_dot)` returning outputs then tangents.

    With `seeds`, the direction is fixed instead: parameter i has the constant
    tangent ``seeds[i]``, every other parameter none at all, and the function
    keeps `fn`'s parameters.  A missing tangent is a structural zero, so no
    code is generated for it, also inside control-flow regions, where a
    constant 0.0 tangent passed in would not be folded away (`jacobian`
    seeds one unit direction per column).
    """
    body = fn.body
    if seeds is None:
        # A tangent's name must not repeat a parameter's: with ``f(x, x_dot)``
        # (or an inner jvp's own ``x_dot``) the unpacked tangent would silently
        # overwrite that parameter.  Such a tangent becomes ``x_dot_1``.
        namer = Namer(set(fn.param_names))
        tangent_params = tuple(Var(hint=namer.name(Var(hint=tangent_hint(p))), kind=p.kind) for p in body.params)
        tangents: dict[Var, Atom] = {p: t for p, t in zip(body.params, tangent_params) if p.differentiable}
    else:
        tangent_params = ()
        tangents = {body.params[i]: Const(float(v)) for i, v in seeds.items() if body.params[i].differentiable}
    b = Builder(registry, role="tangent")
    token = _GUARD_ZERO_TANGENTS.set(seeds is None)
    try:
        for eqn in body.eqns:
            tangent_eqn(b, eqn, tangents)
    finally:
        _GUARD_ZERO_TANGENTS.reset(token)
    out_tangents = tuple(tangents.get(r, Const(0.0)) if isinstance(r, Var) else Const(0.0)
                         for r in body.results)
    region = Region(body.params + tangent_params, tuple(b.eqns), body.results + out_tangents)
    return check_stage(fn.with_body(region, name=name or fn.name,
                        param_names=fn.param_names + tuple(p.hint for p in tangent_params),
                        defaults=(), out_tree=None), "forward mode")   # flat: callers shape it
