"""Proving that a sympy expression is zero: cheap steps first, then `simplify`.

`prove_zero(expr, note)` tries, in order, and returns the name of the first
step that reduces the difference to zero (None if none does):

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
with a deadline (`srcgrad.verify.budget`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import sympy
from sympy.logic.boolalg import BooleanFunction


@dataclass(frozen=True)
class Proof:
    step: str                        # which step reduced the difference to zero
    except_on: tuple[str, ...] = ()  # measure-zero sets excluded (as text)
    assumed: bool = False            # needed the sign assumptions


def prove_zero(expr: sympy.Expr, note: Callable[[str], None] = lambda _: None,
               assume: dict | None = None) -> Proof | None:
    """The first step proving `expr` zero.  `assume` maps symbols to
    versions carrying sign assumptions (``x > 0``), tried for each step when
    the plain symbols do not do."""
    variants = [(False, expr)]
    if assume and expr.free_symbols & set(assume):
        variants.append((True, expr.xreplace(assume)))
    for name, step in STEPS:
        for assumed, e in variants:
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

def _piecewise(expr: sympy.Expr) -> bool | Proof:
    kinky = (sympy.Piecewise, sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min)
    if not expr.has(*kinky):
        return False
    folded = sympy.piecewise_fold(expr.rewrite(sympy.Piecewise))
    pieces = folded.args if isinstance(folded, sympy.Piecewise) else ((folded, sympy.true),)
    excluded: list[str] = []
    taken_before = sympy.false
    for value, cond in pieces:
        cond = canonical(cond)
        reach = sympy.simplify_logic(sympy.And(cond, sympy.Not(taken_before)), form="dnf")
        taken_before = sympy.Or(taken_before, cond)
        if reach == sympy.false or _cheap_zero(value):
            continue
        if measure_zero(reach):
            excluded.append(str(reach))
            continue
        return False
    return Proof("piecewise", tuple(excluded))


def canonical(cond: sympy.Basic) -> sympy.Basic:
    """Relations rewritten over ``e > 0``, ``e >= 0``, ``e == 0`` with `e`
    sign-normalised, so the same condition written two ways (``x < y``,
    ``x - y < 0``) is one boolean atom."""
    if isinstance(cond, BooleanFunction):
        return cond.func(*(canonical(a) for a in cond.args))
    if not isinstance(cond, sympy.core.relational.Relational):
        return cond
    lhs, rhs = cond.lhs, cond.rhs
    if isinstance(cond, (sympy.StrictLessThan, sympy.LessThan)):
        lhs, rhs = rhs, lhs
    e = sympy.expand(lhs - rhs)
    negative = e.could_extract_minus_sign()
    if isinstance(cond, (sympy.Eq, sympy.Ne)):
        atom = sympy.Eq(-e if negative else e, 0, evaluate=False)
        return atom if isinstance(cond, sympy.Eq) else sympy.Not(atom)
    strict = isinstance(cond, (sympy.StrictGreaterThan, sympy.StrictLessThan))
    if not negative:
        return sympy.Gt(e, 0, evaluate=False) if strict else sympy.Ge(e, 0, evaluate=False)
    # -e > 0 is not(e >= 0); -e >= 0 is not(e > 0)
    return sympy.Not(sympy.Ge(-e, 0, evaluate=False) if strict else sympy.Gt(-e, 0, evaluate=False))


def measure_zero(cond: sympy.Basic) -> bool:
    """Whether every disjunct of `cond` (in DNF over canonical relations)
    forces some non-constant ``e == 0`` (``e == 0`` itself, or ``e >= 0`` and
    not ``e > 0``) or is contradictory (``e > 0`` and not ``e >= 0``)."""
    disjuncts = cond.args if isinstance(cond, sympy.Or) else (cond,)
    return all(_thin(d) for d in disjuncts)


def _thin(conj: sympy.Basic) -> bool:
    literals = conj.args if isinstance(conj, sympy.And) else (conj,)
    pos = {lit for lit in literals if not isinstance(lit, sympy.Not)}
    neg = {lit.args[0] for lit in literals if isinstance(lit, sympy.Not)}
    for lit in pos:
        if isinstance(lit, sympy.Eq) and lit.lhs.free_symbols:
            return True
        if isinstance(lit, sympy.Ge) and sympy.Gt(lit.lhs, 0, evaluate=False) in neg:
            return True
        if isinstance(lit, sympy.Gt) and sympy.Ge(lit.lhs, 0, evaluate=False) in neg:
            return True
    return False


STEPS: tuple[tuple[str, Callable[[sympy.Expr], bool | Proof]], ...] = (
    ("identical", _is_zero),
    ("expand", lambda e: _is_zero(sympy.expand(e))),
    ("cancel", lambda e: _is_zero(sympy.cancel(e))),
    ("piecewise", _piecewise),
    ("trigsimp", lambda e: _is_zero(sympy.trigsimp(e))),
    ("simplify", lambda e: _is_zero(sympy.simplify(e))),
)
