"""Reverse mode: a primal function to one computing its gradient.

The generated body is the primal code (the forward sweep) followed by the
backward sweep, which visits equations in reverse and, for each active one,
accumulates ``ct_arg += partial * ct_out`` from the primitive's declared
partials.  Every contribution to a value's cotangent is collected before that
value's definition is reached, so the sum is formed once and named after the
value (``dz`` for ``z``).  A value read in many places (a parameter read by
two thousand ``if`` statements) has its sum formed as flat statements of at
most `TERMS_PER_SUM` terms each (``dx = a + b + ...``, ``dx_1 = dx + ...``),
never one expression whose depth grows with the program.  The optimisation passes then fold away the ones
and zeros this produces.

Structured primitives (control flow) provide a ``reverse`` hook.
"""
from __future__ import annotations

from typing import Any, Sequence

from ..codegen.naming import cotangent_hint
from ..errors import ArgumentError, NoDerivativeRuleError
from ..ir.builder import Builder
from ..ir.check import check_stage
from ..ir.core import Atom, Const, Eqn, Function, Region, Var
from .activity import active_vars


# Terms one accumulation statement adds; a cotangent with more is summed by
# several statements, each continuing the last (see the module docstring).
TERMS_PER_SUM = 8


class Cotangents:
    """Contributions to each value's cotangent, summed when first read."""

    def __init__(self) -> None:
        self.terms: dict[Var, list[Atom]] = {}
        self.where: dict[Var, Any] = {}

    def add(self, var: Var, term: Atom, loc: Any = None) -> None:
        self.terms.setdefault(var, []).append(term)
        self.where[var] = loc

    def take(self, b: Builder, var: Var, named: bool = True) -> Atom | None:
        """The cotangent of `var`: its contributions summed in source order,
        attributed to the earliest line that reads `var`, and named after
        `var` unless the caller folds it into another value at once."""
        terms = self.terms.pop(var, None)
        if not terms:
            return None
        loc, b.loc = b.loc, self.where.pop(var, b.loc)
        terms = terms[::-1]
        total = b.add_all(terms[:TERMS_PER_SUM])
        for start in range(TERMS_PER_SUM, len(terms), TERMS_PER_SUM - 1):
            # a partial sum: named, so that it is a statement of its own
            total = b.named(total, cotangent_hint(var) or "ct")
            total = b.add_all([total] + terms[start:start + TERMS_PER_SUM - 1])
        if named:
            total = b.named(total, cotangent_hint(var))
        b.loc = loc
        return total


def forward_eqn(b: Builder, eqn: Eqn, active: set[Var], residuals: dict) -> None:
    """Emit the forward-sweep code of one equation: the equation itself, or,
    for a structured equation with an ``augment`` hook (loops), a version that
    also records on tapes what its backward code will read."""
    hook = eqn.prim.hooks.get("augment")
    if hook is not None and any(o in active for o in eqn.outs):
        residuals[eqn] = hook(b, eqn, active)
    else:
        b.eqns.append(eqn)


def backward_eqn(b: Builder, eqn: Eqn, active: set[Var], cts: Cotangents, residuals: dict) -> None:
    """Emit the backward code of one equation."""
    hook = eqn.prim.hooks.get("reverse")
    if hook is not None:
        hook(b, eqn, active, cts, residuals.get(eqn))
        return
    out = eqn.outs[0] if eqn.outs else None
    if out is None or out not in active:
        return
    ct_out = cts.take(b, out)
    if ct_out is None:
        return
    active_args = [i for i, a in enumerate(eqn.args) if isinstance(a, Var) and a in active]
    if not active_args:
        return
    if eqn.prim.partials is None:
        if eqn.prim.piecewise_constant:
            return
        raise NoDerivativeRuleError(missing_rule_message(eqn.prim), eqn.loc)
    partials = eqn.prim.partials(b, *eqn.args, out)
    for i in active_args:
        if partials[i] is not None:
            cts.add(eqn.args[i], b.mul(ct_out, partials[i]), eqn.loc)


def missing_rule_message(prim: Any) -> str:
    return (f"{prim.name}() has no derivative rule: attach one with @{prim.name}.derivative "
            f"(see srcgrad.primitive)")


def reverse_block(b: Builder, eqns: Sequence[Eqn], active: set[Var], cts: Cotangents) -> None:
    """Forward sweep then backward sweep of a straight-line block."""
    residuals: dict = {}
    for eqn in eqns:
        forward_eqn(b, eqn, active, residuals)
    for eqn in reversed(eqns):
        b.loc = eqn.loc
        backward_eqn(b, eqn, active, cts, residuals)


def has_tapes(region: Region) -> bool:
    return any(e.prim.hooks.get("tape") for e in region.walk())


def reverse(fn: Function, argnums: Sequence[int], with_value: bool = False,
            registry: Any = None, name: str | None = None) -> Function:
    """The gradient of `fn` with respect to the parameters in `argnums`.

    The new function returns the primal value (when `with_value`) followed by
    one partial per entry of `argnums`.
    """
    body = fn.body
    if len(body.results) != 1:
        raise ArgumentError(f"grad of {fn.name}() needs a scalar output, but it returns "
                            f"{len(body.results)} values; use srcgrad.jacobian for functions returning tuples")
    if has_tapes(body):
        # Tapes are mutable lists threaded through loops; reverse mode over them
        # would need reverse-of-reverse tape rules.  Callers use forward mode
        # (see api._grad); reaching here is a bug, never a silent zero.
        raise ArgumentError(f"reverse mode over {fn.name}(), which already holds tapes of a reverse "
                            f"sweep through a loop, is not supported; use forward mode (srcgrad.hessian)")
    output = body.results[0]
    wrt = [fn.params[i] for i in argnums]
    active = active_vars(body, wrt, [output])
    b = Builder(registry, role="backward")
    cts = Cotangents()
    if isinstance(output, Var) and output in active:
        cts.add(output, Const(1.0), None)
    reverse_block(b, body.eqns, active, cts)
    grads = []
    for p in wrt:
        ct = cts.take(b, p)
        grads.append(Const(0.0) if ct is None else ct)
    results = ((output,) if with_value else ()) + tuple(grads)
    # flat results (callers shape them, see api._grad)
    grad_fn = fn.with_body(Region(body.params, tuple(b.eqns), results), name=name or fn.name, out_tree=None)
    return check_stage(grad_fn, "reverse mode")
