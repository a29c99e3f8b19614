"""IR -> sympy: the translation verification reasons about.

Each equation becomes its primitive's declared sympy counterpart
(``prim.sympy(sympy, *args)``); nothing here knows any primitive by name.  A
user primitive (``@srcgrad.primitive``) is translated through its plain Python
body, lowered by srcgrad's own frontend, so sympy differentiates what the
function computes and the user's derivative rule is checked against it.  When
the body cannot be lowered (or a primitive has no sympy counterpart), the
primitive becomes an undefined ``sympy.Function`` and `Translator.opaque` says
why; whatever sympy cannot differentiate through it is "could not check".

Float constants are read as the exact number they stand for, so that sympy
can prove identities: ``0.1`` is 1/10, ``0.6931471805599453`` (as folded into
the rule of log2) is log(2).  A reading is accepted only if it rounds back to
the very same double (see `exact_constant`); readings other than short
decimals are listed in the report.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import Any, Sequence

import sympy

from ..errors import SrcGradError
from ..ir.core import BOOL, INT, Atom, Const, Function, Var

# Closed forms tried for a float that is not a short decimal: sympy's
# nsimplify over these constants (it also tries their logs and roots).
_CONSTANTS = (sympy.pi, sympy.E)


@functools.lru_cache(maxsize=4096)
def exact_constant(value: float) -> tuple[sympy.Expr, bool]:
    """The exact number a float constant stands for, and whether the reading
    is worth telling (not a plain short decimal).

    Accepted only if ``float(reading) == value``; otherwise the float itself.
    """
    if value.is_integer() and abs(value) < 2 ** 53:
        return sympy.Integer(int(value)), False
    text = repr(value)
    digits = text.split("e")[0].replace("-", "").replace(".", "").strip("0")
    if len(digits) <= 12 and "inf" not in text and "nan" not in text:
        return sympy.Rational(text), False
    ratio = Fraction(value).limit_denominator(1000)
    if float(ratio) == value:
        return sympy.Rational(ratio.numerator, ratio.denominator), False
    try:
        guess = sympy.nsimplify(value, _CONSTANTS, tolerance=1e-15)
    except (ValueError, TypeError, RecursionError):  # pragma: no cover - nsimplify corner cases
        guess = None
    if guess is not None and sympy.count_ops(guess) <= 6 and guess.is_real and float(guess) == value:
        return guess, True
    return sympy.Float(value, 17), False


class Translator:
    """Translates IR functions to sympy, remembering what stayed opaque."""

    def __init__(self, registry: Any = None) -> None:
        self.registry = registry
        self.opaque: dict[str, str] = {}          # undefined function name -> why
        self.impls: dict[str, Any] = {}           # ... -> its Python implementation
        self.readings: dict[float, sympy.Expr] = {}  # notable constant readings
        self._bodies: dict[int, Function | None] = {}
        self._active: set[int] = set()

    def constant(self, value: Any) -> sympy.Expr:
        if isinstance(value, bool):
            return sympy.true if value else sympy.false
        if isinstance(value, int):
            return sympy.Integer(value)
        if not math.isfinite(value):
            return sympy.oo if value > 0 else (-sympy.oo if value < 0 else sympy.nan)
        expr, notable = exact_constant(float(value))
        if notable:
            self.readings[float(value)] = expr
        return expr

    def atom(self, env: dict[Var, Any], atom: Atom) -> Any:
        return self.constant(atom.value) if isinstance(atom, Const) else env[atom]

    def function(self, fn: Function, args: Sequence[Any]) -> tuple[Any, ...]:
        """The sympy expressions of `fn`'s results with its params bound to
        `args`.  Raises `Untranslatable` on structured equations."""
        env: dict[Var, Any] = dict(zip(fn.params, args))
        for eqn in fn.body.eqns:
            if eqn.prim.structured:
                raise Untranslatable(f"{eqn.prim.name} (control flow) has no single sympy expression")
            values = [self.atom(env, a) for a in eqn.args]
            out = self.apply(eqn.prim, values)
            outs = (out,) if len(eqn.outs) == 1 else tuple(out)
            env.update(zip(eqn.outs, outs))
        return tuple(self.atom(env, r) for r in fn.body.results)

    def apply(self, prim: Any, values: list[Any]) -> Any:
        user = prim.hooks.get("user")
        if user is not None:
            body = self.user_body(prim, user)
            if body is not None:
                key = id(user)
                self._active.add(key)
                try:
                    return self.function(body, values)[0]
                finally:
                    self._active.discard(key)
        elif prim.sympy is not None:
            return prim.sympy(sympy, *values)
        else:
            self.opaque.setdefault(prim.name, f"{prim.name} declares no sympy counterpart")
        self.impls[prim.name] = prim.impl
        return sympy.Function(prim.name)(*values)

    def user_body(self, prim: Any, user: Any) -> Function | None:
        """The lowered Python body of a user primitive, or None (recorded in
        `opaque`) when srcgrad cannot read it as one expression."""
        key = id(user)
        if key in self._active:
            self.opaque[prim.name] = f"{prim.name}() calls itself"
            return None
        if key not in self._bodies:
            from ..frontend.lower import lower_function
            body: Function | None = None
            try:
                body = lower_function(user.fn, self.registry)
                if len(body.body.results) != 1:
                    self.opaque[prim.name] = f"{prim.name}() returns {len(body.body.results)} values"
                    body = None
                elif any(e.prim.structured for e in body.body.walk()):
                    self.opaque[prim.name] = f"the body of {prim.name}() has control flow"
                    body = None
            except SrcGradError as err:
                self.opaque[prim.name] = f"srcgrad cannot read the body of {prim.name}(): {err.message}"
            self._bodies[key] = body
        return self._bodies[key]


def expression_size(fn: Function) -> int:
    """How many nodes the expression tree of `fn`'s results has (a value
    used twice counts twice, as in sympy's trees), computed on the IR: a
    loop unrolled into a trace can make it exponential in the length."""
    size: dict[Var, int] = {}
    for eqn in fn.body.eqns:
        n = 1 + sum(size.get(a, 1) for a in eqn.args)
        size.update((o, n) for o in eqn.outs)
    return sum(size.get(r, 1) for r in fn.body.results)


class Untranslatable(Exception):
    """The IR has no sympy expression (control flow)."""


def symbol(name: str, kind: str) -> sympy.Symbol:
    """The sympy symbol for a parameter: real, integer, or a plain boolean symbol."""
    if kind == BOOL:
        return sympy.Symbol(name)
    return sympy.Symbol(name, integer=True) if kind == INT else sympy.Symbol(name, real=True)


def signed(sym: sympy.Symbol, interval: Any) -> tuple[sympy.Symbol, str] | None:
    """`sym` assumed to have the sign of its whole sampling interval, with
    the assumption as text (``x > 0``); None if the interval has no one sign
    (or is not an interval)."""
    if not isinstance(interval, tuple) or not sym.is_real:
        return None
    if interval[0] > 0:
        return sympy.Symbol(sym.name, positive=True, **_kind(sym)), f"{sym.name} > 0"
    if interval[1] < 0:
        return sympy.Symbol(sym.name, negative=True, **_kind(sym)), f"{sym.name} < 0"
    return None


def _kind(sym: sympy.Symbol) -> dict[str, bool]:
    return {"integer": True} if sym.is_integer else {"real": True}


def derivative(expr: sympy.Expr, wrt: sympy.Symbol) -> sympy.Expr:
    """sympy's own derivative, read almost everywhere: the derivative of an
    integer-valued function (floor, ceiling, sign) is 0 and DiracDelta terms
    vanish, as at the points srcgrad differentiates (away from jumps)."""
    d = sympy.diff(expr, wrt)
    if d.has(sympy.Derivative):
        # sympy cannot differentiate Mod(x, y); it can x - y*floor(x/y)
        d = sympy.diff(expr.rewrite(sympy.floor), wrt)
        d = d.replace(_integer_valued_derivative, lambda e: sympy.Integer(0))
        d = d.replace(lambda e: isinstance(e, sympy.Subs) and e.expr == 0, lambda e: sympy.Integer(0))
    if d.has(sympy.DiracDelta):
        d = d.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
    return d


def _integer_valued_derivative(e: sympy.Basic) -> bool:
    if not isinstance(e, sympy.Derivative):
        return False
    inner = e.expr.xreplace({v: sympy.Dummy(real=True) for v in e.variables})
    return inner.is_integer is True


def underived(expr: sympy.Expr) -> bool:
    """Whether sympy left a derivative it could not take (of an opaque function)."""
    return expr.has(sympy.Derivative, sympy.Subs)
