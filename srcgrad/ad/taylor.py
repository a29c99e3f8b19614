"""Taylor mode: the k-th derivative along one input in one forward sweep.

``grad(f, order=k)`` of a function of one differentiated input x.  Nesting
``grad`` k times differentiates the code of the previous derivative, which
holds the code of all the ones before it: the generated code grows
exponentially in k.  Here every value v of the function carries its
derivatives ``v', v'', ..., v^(k)`` with respect to x, propagated forward
with the primal code, as JAX's ``jet`` does (in derivative form rather than
Taylor coefficients, so every generated value is a derivative, named like
``d2y`` for y'', and the weights are binomials).

No primitive needs a rule of its own: the rule is derived from the partials
every primitive declares (the ones `forward` and `reverse` read).  For
``y = p(x1, ..., xn)``, ``y' = sum_i g_i * x_i'`` with ``g_i = dp/dx_i``,
so by Leibniz's rule::

    y^(j) = sum_i sum_{m=1..j} C(j-1, m-1) * x_i^(m) * g_i^(j-m)

The partials ``g_i`` are IR the rule builds from the arguments and the
output; their own derivatives (to order j-1) come from the same recurrence
applied to the equations that compute them, lazily and memoised per
(value, order).  ``sin``'s derivatives need ``cos``'s to one order less,
which need ``sin``'s (the same value: equal pure equations are shared when
built) to one order less again.  Terms with the same factors are combined, so
``mul`` comes out as Leibniz's product rule and a linear primitive as a
weighted sum; a structural zero (a constant, an input's ``x'' = 0``) gives
no term at all.  The cost is polynomial in k: O(k²) products per argument
of each value, and of each partial whose derivatives it needs (a chain at
most k deep: sin, cos, sin...).  One primitive takes a cheaper rule, as a
``taylor`` hook attached here: the quotient (`_quotient`), whose partials
hold another quotient at every order (tested against sympy with the rest).

At kinks the answer is the one nesting `grad` gives (both read the same
partials: ``abs``, ``max``, ``min``, branches, IEEE infinities and nans),
with one difference: where nesting multiplies a zero cotangent by the
infinite derivative of a value the result does not use, it gets nan, and
Taylor mode, which never forms that product, gets the IEEE value of the
derivative's formula: d²/dx² ``x ** 0.5`` at 0 is -inf here (as for
``math.sqrt``), nan nested.

Only the derivatives a value's uses need are built (a value only compared
needs none): `_needed` finds the order per value, backwards.

Control flow: derivatives travel as extra values through both branches of
a ``cond``, and as extra state (and loop-invariant values) of a loop.  A
function holding what this does not cover (the tapes of a reverse sweep,
``grad(f, order=k)`` of an already transformed function with loops, or a
user's derivative rule that branches) is left to the nested transform:
`taylor` returns None.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

from ..codegen.naming import derivative_hint
from ..errors import InternalError, NoDerivativeRuleError
from ..ir.builder import Builder, as_atom
from ..ir.check import check_stage
from ..ir.core import REAL, Atom, Const, Eqn, Function, Region, Var
from ..primitives.control import COND, FOR_RANGE, WHILE_LOOP, LoopParts
from ..primitives.core import REGISTRY
from .reverse import missing_rule_message

Derivs = list   # [v, v', v'', ..., v^(k)]: an atom or None (a structural zero) each

_UNSET = object()
_BEYOND = object()      # beyond the order a control-flow output was computed to (never asked for)


class Unsupported(Exception):
    """The function holds IR Taylor mode does not handle (see the module docstring)."""


def taylor(fn: Function, index: int, order: int, name: str, registry: Any = None) -> Function | None:
    """``d^order out / d x^order`` for x the parameter at `index`: a function
    of `fn`'s parameters returning that one number, or None when `fn` holds
    IR Taylor mode does not handle (the caller falls back to nesting)."""
    body = fn.body
    sweep = _Sweep(Builder(registry, role="tangent"), order)
    x = body.params[index]
    if x.differentiable:
        sweep.seed(x, [x, Const(1.0)] + [None] * (order - 1))
    if len(body.results) != 1:
        return None
    out = body.results[0]
    try:
        sweep.run(body.eqns, {out: order} if isinstance(out, Var) else {})
    except Unsupported:
        return None
    result = sweep.deriv(out, order)
    if result is None:
        result = Const(0.0)
    region = Region(body.params, tuple(sweep.b.eqns), (result,))
    return check_stage(fn.with_body(region, name=name, out_tree=None), "Taylor mode")


class _Sweep:
    """The derivatives of the values of one region, to a fixed order.

    Values defined in the region (and the partials built for them) get
    theirs on demand through `deriv`; region parameters are seeded."""

    def __init__(self, b: Builder, order: int) -> None:
        self.b = b
        self.order = order
        self.derivs: dict[Var, list] = {}          # var -> [var, d1, ...]: atoms, None or _UNSET
        self.definer: dict[Var, Eqn] = {}
        self.partials: dict[int, tuple] = {}       # id(eqn) -> its partials
        self.shared: dict[tuple, Var] = {}         # pure equation -> its output (built once)

    def seed(self, var: Var, derivs: Derivs) -> None:
        self.derivs[var] = list(derivs)

    # --- building -----------------------------------------------------------------

    def run(self, eqns: Sequence[Eqn], wanted: dict[Var, int]) -> None:
        """Append `eqns`, each followed by the derivatives of its outputs to
        the order that the values `wanted` (to the order given) need."""
        needed = _needed(eqns, wanted)
        for eqn in eqns:
            order = max((needed.get(o, 0) for o in eqn.outs), default=0)
            if eqn.prim.structured:
                self._structured(eqn, order)
                continue
            if eqn.prim.hooks.get("tape"):
                raise Unsupported(eqn.prim.name)
            self.b.eqns.append(eqn)
            self._register(len(self.b.eqns) - 1)
            for out in eqn.outs:
                for j in range(1, order + 1):
                    self.deriv(out, j)

    def _register(self, first: int) -> None:
        """Record the equations appended since `first`: their definers, and
        the pure ones as shared (a rule asking for ``sin(x)`` again gets the
        value the function computed)."""
        for k in range(first, len(self.b.eqns)):
            eqn = self.b.eqns[k]
            if eqn.prim.structured:
                raise Unsupported("a derivative rule with control flow")
            for out in eqn.outs:
                self.definer[out] = eqn
            key = _pure_key(eqn)
            if key is not None and key not in self.shared:
                self.shared[key] = eqn.outs[0]

    def apply(self, prim: Any, *args: Any, hint: str = "") -> Atom:
        """`prim` applied to `args` in derivative code: an equal pure
        equation built before gives its value instead."""
        prim = self.b.registry[prim] if isinstance(prim, str) else prim
        key = _key(prim, tuple(as_atom(a) for a in args))
        found = self.shared.get(key)
        if found is not None:
            return found
        first = len(self.b.eqns)
        out = self.b.apply(prim, *args, hint=hint)
        self._register(first)
        return out

    # --- derivatives ------------------------------------------------------------

    def deriv(self, atom: Atom, j: int) -> Atom | None:
        """The j-th derivative of `atom` (j = 0: the value itself), or None
        when it is zero by construction."""
        if j == 0:
            return atom
        if not isinstance(atom, Var):
            return None
        derivs = self.derivs.get(atom)
        if derivs is None:
            derivs = self.derivs[atom] = [atom] + [_UNSET] * self.order
        if derivs[j] is _UNSET:
            derivs[j] = self._compute(atom, j)
        elif derivs[j] is _BEYOND:
            raise InternalError(f"Taylor mode asked for derivative {j} of {atom!r}, beyond the order "
                                f"its control flow computed")
        return derivs[j]

    def _compute(self, var: Var, j: int) -> Atom | None:
        eqn = self.definer.get(var)
        if eqn is None or not var.differentiable or eqn.prim.piecewise_constant:
            return None          # a value from outside that does not vary, or a piecewise constant
        moving = [i for i, a in enumerate(eqn.args)
                  if any(self.deriv(a, m) is not None for m in range(1, j + 1))]
        if not moving:
            return None
        loc, self.b.loc = self.b.loc, eqn.loc
        # the derivatives of the user's values are named after them (d2y)
        hint = derivative_hint(var, j) if eqn.role == "" else ""
        rule = eqn.prim.hooks.get("taylor")
        total = rule(self, eqn, j, hint) if rule is not None else self._leibniz(eqn, var, j, moving, hint)
        self.b.loc = loc
        return total

    def _leibniz(self, eqn: Eqn, var: Var, j: int, moving: list[int], hint: str) -> Atom | None:
        """The j-th derivative of `var` from the partials of its equation
        (see the module docstring)."""
        partials = self._partials(eqn, var)
        terms = _Terms()
        for i in moving:
            g = partials[i]
            if g is None:
                continue
            g = as_atom(g)
            for m in range(1, j + 1):
                xm = self.deriv(eqn.args[i], m)
                if xm is None:
                    continue
                gr = self.deriv(g, j - m)
                if gr is not None:
                    terms.add(math.comb(j - 1, m - 1), xm, gr)
        return terms.emit(self, hint)

    def _partials(self, eqn: Eqn, out: Var) -> tuple:
        found = self.partials.get(id(eqn))
        if found is not None:
            return found
        if eqn.prim.partials is None:
            raise NoDerivativeRuleError(missing_rule_message(eqn.prim), eqn.loc)
        if len(eqn.outs) != 1:
            raise Unsupported(eqn.prim.name)
        loc, self.b.loc = self.b.loc, eqn.loc
        first = len(self.b.eqns)
        partials = tuple(eqn.prim.partials(_SharingBuilder(self), *eqn.args, out))
        self._register(first)
        self.b.loc = loc
        self.partials[id(eqn)] = partials
        return partials

    # --- control flow --------------------------------------------------------------

    def _structured(self, eqn: Eqn, order: int) -> None:
        """A conditional or loop whose outputs are needed to `order`."""
        if eqn.prim is COND:
            _cond(self, eqn, order)
        elif eqn.prim is FOR_RANGE or eqn.prim is WHILE_LOOP:
            _loop(self, eqn, order)
        else:
            raise Unsupported(eqn.prim.name)

    def derivs_to(self, atom: Atom, order: int) -> list:
        """[d1, ..., d`order`] of `atom`."""
        return [self.deriv(atom, j) for j in range(1, order + 1)]

    def child(self, order: int) -> "_Sweep":
        return _Sweep(Builder(self.b.registry, loc=self.b.loc, role="tangent"), order)


def _needed(eqns: Sequence[Eqn], wanted: dict[Var, int]) -> dict[Var, int]:
    """To which order each value's derivatives are needed for the `wanted`
    ones: its uses' orders, backwards; a comparison (piecewise constant)
    needs no derivative of its operands."""
    needed = dict(wanted)
    for eqn in reversed(eqns):
        order = max((needed.get(o, 0) for o in eqn.outs), default=0)
        if order == 0 or eqn.prim.piecewise_constant:
            continue
        for a in eqn.args:
            if isinstance(a, Var) and a.differentiable and needed.get(a, 0) < order:
                needed[a] = order
    return needed


class _SharingBuilder:
    """What a partials rule builds with: the sweep's builder, except that an
    application equal to one built before returns that value (so the
    derivatives of ``cos(x)`` inside ``sin``'s rule are the ones already
    known), and the new equations are recorded."""

    def __init__(self, sweep: _Sweep) -> None:
        self._sweep = sweep
        self.registry = sweep.b.registry

    def apply(self, prim: Any, *args: Any, **kw: Any) -> Any:
        if kw:
            first = len(self._sweep.b.eqns)
            out = self._sweep.b.apply(prim, *args, **kw)
            self._sweep._register(first)
            return out
        return self._sweep.apply(prim, *args)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in ("eqns", "loc", "role", "named", "add_all"):
            return getattr(self._sweep.b, name)
        if name not in self.registry:
            raise AttributeError(f"no primitive named {name!r}")
        return lambda *args, **kw: self.apply(name, *args, **kw)


def _const_key(c: Const) -> tuple:
    return (type(c.value).__name__, repr(c.value))


def _key(prim: Any, args: tuple) -> tuple:
    return (prim.name,) + tuple(a if isinstance(a, Var) else _const_key(a) for a in args)


def _pure_key(eqn: Eqn) -> tuple | None:
    """The key under which `eqn` may be shared: a plain scalar application
    (no regions or params, one output, not a tape)."""
    if eqn.params or len(eqn.outs) != 1 or eqn.prim.structured or eqn.prim.hooks.get("no_cse"):
        return None
    return _key(eqn.prim, eqn.args)


class _Terms:
    """A sum of ``weight * a * b`` terms, those with the same factors combined
    (weights carry the constant factors)."""

    def __init__(self) -> None:
        self.terms: dict[tuple, float] = {}
        self.constant = 0.0

    def add(self, weight: float, a: Atom, b: Atom) -> None:
        factors = []
        for f in (a, b):
            if isinstance(f, Const):
                if f.value == 0:
                    return                  # a structural zero
                weight = weight * f.value
            else:
                factors.append(f)
        if not factors:
            self.constant += weight
            return
        key = tuple(sorted(factors, key=lambda v: v.id))
        self.terms[key] = self.terms.get(key, 0.0) + weight

    def emit(self, sweep: _Sweep, hint: str) -> Atom | None:
        """The sum, its last operation named `hint`; None if it is empty."""
        parts = [(w, f) for f, w in self.terms.items() if w != 0]
        if self.constant != 0:
            parts.append((self.constant, ()))
        total: Atom | None = None
        for n, (weight, factors) in enumerate(parts):
            total = _accumulate(sweep, total, weight, factors, hint if n == len(parts) - 1 else "")
        return total


def _accumulate(sweep: _Sweep, total: Atom | None, weight: float, factors: tuple, hint: str) -> Atom:
    """``total + weight * product(factors)`` (``total - |weight| * ...`` for a
    negative weight), its last operation named `hint`."""
    scale = abs(weight)
    if not factors:
        if total is None:
            return Const(float(weight))
        return sweep.apply("add" if weight > 0 else "sub", total, Const(float(scale)), hint=hint)
    ends = total is None and weight > 0          # the product is the result
    term: Atom = factors[0]
    if scale != 1:
        term = sweep.apply("mul", float(scale), term, hint=hint if ends and len(factors) == 1 else "")
    if len(factors) == 2:
        term = sweep.apply("mul", term, factors[1], hint=hint if ends else "")
    if total is None:
        return term if weight > 0 else sweep.apply("neg", term, hint=hint)
    return sweep.apply("add" if weight > 0 else "sub", total, term, hint=hint)


# --- where the rule from the partials costs more: the quotient ------------------------------

def _quotient(sweep: _Sweep, eqn: Eqn, j: int, hint: str) -> Atom | None:
    """q = a / b: from a = q * b by Leibniz's rule,
    ``q^(j) = (a^(j) - sum_{m=1..j} C(j, m) * b^(m) * q^(j-m)) / b``: one
    division per order.  The partials' form divides again at every order
    (d/db (a / b) = -(q / b) holds another quotient), about twice the
    work at order 4, and more beyond."""
    a, b = eqn.args
    q = eqn.outs[0]
    terms = _Terms()
    aj = sweep.deriv(a, j)
    if aj is not None:
        terms.add(1, aj, Const(1.0))
    for m in range(1, j + 1):
        bm, qr = sweep.deriv(b, m), sweep.deriv(q, j - m)
        if bm is not None and qr is not None:
            terms.add(-math.comb(j, m), bm, qr)
    numerator = terms.emit(sweep, "")
    if numerator is None:
        return None
    return sweep.apply("div", numerator, b, hint=hint)


REGISTRY["div"].hooks["taylor"] = _quotient


# --- control flow -------------------------------------------------------------------

def _cond(sweep: _Sweep, eqn: Eqn, order: int) -> None:
    """A conditional whose branches also return the derivatives of its
    outputs (to `order`); the derivatives of its free values go in as extra
    values."""
    free = eqn.args[1:]
    incoming = [sweep.derivs_to(a, order) for a in free]
    if not any(d is not None for ds in incoming for d in ds):
        sweep.b.eqns.append(eqn)            # its outputs have no derivatives
        return
    branches = {}
    for key in ("then", "else"):
        region = eqn.param(key)
        inner = sweep.child(order)
        params, extra_args = _pass_in(inner, region.params, incoming)     # the same values for both
        wanted = {r: order for r, o in zip(region.results, eqn.outs) if isinstance(r, Var) and o.differentiable}
        inner.run(region.eqns, wanted)
        branches[key] = (inner, params, [inner.derivs_to(r, order) for r in region.results])
    slots = _slots(eqn.outs, [branches[k][2] for k in branches])
    regions = []
    for key in ("then", "else"):
        inner, params, outs = branches[key]
        region = eqn.param(key)
        extra = tuple(_or_zero(outs[i][j - 1]) for i, j in slots)
        regions.append((key, Region(region.params + params, tuple(inner.b.eqns), region.results + extra)))
    new_outs = _new_outs(sweep, eqn.outs, slots)
    sweep.b.eqns.append(Eqn(COND, eqn.args + tuple(extra_args), eqn.outs + new_outs, tuple(regions),
                            eqn.loc, role=eqn.role))
    _record(sweep, eqn.outs, order, slots, new_outs)


def _pass_in(inner: _Sweep, params: Sequence[Var], incoming: list) -> tuple[tuple[Var, ...], list[Atom]]:
    """Seed `inner`'s `params` with the derivatives `incoming`: constants as
    they are, values through new parameters.  Returns those parameters and
    the values to pass for them."""
    new_params, args = [], []
    for p, ds in zip(params, incoming):
        seeded: list = [p]
        for j, d in enumerate(ds, start=1):
            if isinstance(d, Var):
                q = Var(hint=derivative_hint(p, j), kind=REAL)
                new_params.append(q)
                args.append(d)
                d = q
            seeded.append(d)
        inner.seed(p, seeded)
    return tuple(new_params), args


def _slots(outs: Sequence[Var], per_region: list) -> list[tuple[int, int]]:
    """(output, order) pairs whose derivative is not zero in some region."""
    return [(i, j) for i, o in enumerate(outs) if o.differentiable
            for j in range(1, len(per_region[0][i]) + 1)
            if any(ds[i][j - 1] is not None for ds in per_region)]


def _or_zero(atom: Atom | None) -> Atom:
    return Const(0.0) if atom is None else atom


def _new_outs(sweep: _Sweep, outs: Sequence[Var], slots: list) -> tuple[Var, ...]:
    return tuple(Var(hint=derivative_hint(outs[i], j), kind=REAL) for i, j in slots)


def _record(sweep: _Sweep, outs: Sequence[Var], order: int, slots: list, new_outs: Sequence[Var]) -> None:
    """The derivatives of a conditional's or loop's outputs: `new_outs` for
    `slots`, zero for the rest to `order`, not computed beyond."""
    beyond = [_BEYOND] * (sweep.order - order)
    derivs = {o: [o] + [None] * order + (beyond if o.differentiable else [None] * len(beyond)) for o in outs}
    for (i, j), v in zip(slots, new_outs):
        derivs[outs[i]][j] = v
    for o, ds in derivs.items():
        sweep.seed(o, ds)


def _loop(sweep: _Sweep, eqn: Eqn, order: int) -> None:
    """A loop carrying the derivatives of its state as extra state (those
    that are not zero in every iteration: found by iterating to a fixed
    point), the derivatives of its loop-invariant values as extra free
    values."""
    parts = LoopParts.of(eqn)
    index, state_p, free_p = parts.body_params()
    incoming_free = [sweep.derivs_to(a, order) for a in parts.free]
    incoming_init = [sweep.derivs_to(a, order) for a in parts.init]
    moving = {(k, j) for k, ds in enumerate(incoming_init) if state_p[k].differentiable
              for j, d in enumerate(ds, start=1) if d is not None}
    if not moving and not any(d is not None for ds in incoming_free for d in ds):
        sweep.b.eqns.append(eqn)
        return
    state_results = parts.state_results()
    while True:
        inner = sweep.child(order)
        slots = sorted(moving)
        state_vars = {s: Var(hint=derivative_hint(state_p[s[0]], s[1]), kind=REAL) for s in slots}
        for k, p in enumerate(state_p):
            inner.seed(p, [p] + [state_vars.get((k, j)) for j in range(1, order + 1)])
        free_params, free_args = _pass_in(inner, free_p, incoming_free)
        wanted = {r: order for k, r in enumerate(state_results) if isinstance(r, Var) and state_p[k].differentiable}
        inner.run(parts.body.eqns, wanted)
        produced = {(k, j) for k, r in enumerate(state_results) if state_p[k].differentiable
                    for j in range(1, order + 1) if inner.deriv(r, j) is not None}
        if produced <= moving:
            break
        moving |= produced
    head = (index,) if index is not None else ()
    t_state = tuple(state_vars[s] for s in slots)
    t_results = tuple(_or_zero(inner.deriv(state_results[k], j)) for k, j in slots)
    body = Region(head + state_p + t_state + free_p + free_params, tuple(inner.b.eqns),
                  parts.body.results + t_results)
    cond = parts.cond_with(t_state, free_params)
    state_outs = parts.state_outs()
    t_outs = _new_outs(sweep, state_outs, slots)
    init = tuple(parts.init) + tuple(_or_zero(incoming_init[k][j - 1]) for k, j in slots)
    parts.rebuild(sweep.b, parts.bounds, init, tuple(parts.free) + tuple(free_args), body, cond,
                  eqn.outs + t_outs)
    _record(sweep, state_outs, order, slots, t_outs)
