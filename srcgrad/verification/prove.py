"""Proving that a sympy expression is zero: cheap steps first, then `simplify`.

`prove_zero(expr, note)` tries, in order, and returns the first step that
reduces the difference to zero (None if none does):

* ``identical``: the two sides were built equal;
* ``expand``, ``cancel``: polynomial algebra, treating each function
  application (``sin(a*b)``, ``sqrt(x)``) as an opaque symbol.  This proves
  nearly every generated gradient, since reverse mode reorders the chain rule
  but uses the same elementary derivatives sympy does;
* ``piecewise``: for kinks and branches (``abs``, ``max``, ``a if c else b``):
  rewrite as Piecewise and prove every piece zero, except pieces that can
  only be taken on a set of measure zero (``x == y`` for ``max(x, y)``), where
  the derivative does not exist and srcgrad follows its documented
  convention.  Such exceptions are reported (`Proof.except_on`);
* ``trigsimp``, then ``simplify``: sympy's general simplification.

These can take unbounded time, so verification runs them in a child process
with a deadline (`srcgrad.verification.budget`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from typing import Callable

import sympy


@dataclass(frozen=True)
class Proof:
    step: str                        # which step reduced the difference to zero
    except_on: tuple[str, ...] = ()  # measure-zero sets excluded (as text)
    assumed: bool = False            # needed the sign assumptions


def prove_zero(expr: sympy.Expr, note: Callable[[str], None] = lambda _: None,
               assume: dict | None = None) -> Proof | None:
    """The first step proving `expr` zero.  `assume` maps symbols to
    versions carrying sign assumptions (``x > 0``): the cheap steps are
    tried without them first, then with them, then the costly steps."""
    variants = [(False, expr)]
    if assume and expr.free_symbols & set(assume):
        variants.append((True, expr.xreplace(assume)))
    for steps in (CHEAP, COSTLY):
        for assumed, e in variants:
            for name, step in steps:
                note(name + (" (with sign assumptions)" if assumed else ""))
                result = step(e)
                if result is True:
                    result = Proof(name)
                if isinstance(result, Proof):
                    return replace(result, assumed=assumed)
    return None


def _is_zero(expr: sympy.Expr) -> bool:
    return expr == 0 or expr.is_zero is True


def _cheap_zero(expr: sympy.Expr) -> bool:
    return _is_zero(expr) or _is_zero(sympy.expand(expr)) or _is_zero(sympy.cancel(expr))


# --- piecewise: zero except on a set of measure zero -----------------------------

KINKS = (sympy.Piecewise, sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)
MAX_CONDITIONS = 10


def _piecewise(expr: sympy.Expr) -> bool | Proof:
    """Zero in every cell of the sign pattern of the conditions' functions.

    After rewriting kinks as Piecewise, every condition is a relation
    ``e > 0``, ``e >= 0``, ``e == 0`` ... of a few functions `e` (or a
    boolean symbol).  Off the set where some `e` is 0 (measure zero, for
    non-constant analytic `e`), each `e` is positive or negative: for each
    such pattern the conditions are decided, the Piecewise collapses to a
    plain expression, and that must be zero.  (A pattern no point realises
    may fail the check: then no proof, never a false one.)"""
    if not expr.has(*KINKS):
        return False
    rewritten = expr.rewrite(sympy.Piecewise)
    relations = [r for pw in rewritten.atoms(sympy.Piecewise) for _, cond in pw.args
                 for r in cond.atoms(sympy.core.relational.Relational)]
    flags = sorted({s for pw in rewritten.atoms(sympy.Piecewise) for _, cond in pw.args
                    for s in cond.atoms(sympy.Symbol) if not s.is_real}, key=str)
    normal = {r: _normalise(r) for r in relations}
    functions = sorted({e for e, _ in normal.values()}, key=sympy.default_sort_key)
    if len(functions) + len(flags) > MAX_CONDITIONS or not all(_analytic(e) for e in functions):
        return False
    for signs in itertools.product((1, -1), repeat=len(functions)):
        sign_of = dict(zip(functions, signs))
        decided = {r: _TRUTH[op](sign_of[e]) for r, (e, op) in normal.items()}
        for values in itertools.product((True, False), repeat=len(flags)):
            decided.update({s: sympy.true if v else sympy.false for s, v in zip(flags, values)})
            if not _cheap_zero(rewritten.xreplace(decided)):
                return False
    return Proof("piecewise", tuple(f"{e} = 0" for e in functions))


_TRUTH = {">": lambda s: s > 0, ">=": lambda s: s > 0, "<": lambda s: s < 0, "<=": lambda s: s < 0,
          "==": lambda s: False, "!=": lambda s: True}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


def _normalise(rel: sympy.core.relational.Relational) -> tuple[sympy.Expr, str]:
    """``lhs op rhs`` as ``e op' 0`` with `e` sign-normalised (so ``x < y``
    and ``y - x > 0`` share ``e``)."""
    e = sympy.expand(rel.lhs - rel.rhs)
    op = rel.rel_op
    if e.could_extract_minus_sign():
        e, op = -e, _FLIP[op]
    return e, op


def _analytic(e: sympy.Expr) -> bool:
    """Free of integer-valued pieces and not zero at a test point (so not
    identically zero), so that ``e == 0`` is a set of measure zero."""
    if not e.free_symbols or e.has(*KINKS) or any(f.is_integer for f in e.atoms(sympy.Function)):
        return False
    point = {s: sympy.Rational(k + 3, 2 * k + 7) for k, s in enumerate(sorted(e.free_symbols, key=str))}
    value = sympy.N(e.xreplace(point), 30)
    return bool(value.is_number and value.is_finite and abs(value) > 1e-20)


Step = tuple[str, Callable[[sympy.Expr], "bool | Proof"]]
CHEAP: tuple[Step, ...] = (
    ("identical", _is_zero),
    ("expand", lambda e: _is_zero(sympy.expand(e))),
    ("cancel", lambda e: _is_zero(sympy.cancel(e))),
    ("piecewise", _piecewise),
)
COSTLY: tuple[Step, ...] = (
    ("trigsimp", lambda e: _is_zero(sympy.trigsimp(e))),
    ("simplify", lambda e: _is_zero(sympy.simplify(e))),
)
