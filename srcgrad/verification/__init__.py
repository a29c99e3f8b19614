"""Verification: is srcgrad's gradient right?

* `verify(f, argnums)` proves srcgrad's gradient equal to sympy's derivative
  of srcgrad's reading of `f` (or, where no proof finishes in time, compares
  them at high precision), and runs the gradient ``grad(f)`` generates
  against finite differences of `f` itself, as Python runs it; it returns a
  `VerificationReport` whose status is proved, agreed, unchecked or
  mismatch.  ``grad(f, verify=True)`` raises `srcgrad.VerificationError`
  unless it is proved or agreed.
* `check_grads(f, args)` is for users' own test suites, as in JAX: reverse
  and forward mode against central differences, raising AssertionError.

Modules: `symbolic` (IR -> sympy), `prove` (zero-proving steps), `budget`
(deadline for them), `sampling` and `numeric` (sample points, mpmath
comparison), `cases` (straight-line programs, path by path), `coverage`
(branch sides reached, search for the others), `oracle` (the generated
gradient against finite differences of `f`), `driver` (`verify`), `report`,
`check` (`check_grads`).  sympy and mpmath are imported only here, and only
when `verify` is first used.
"""
from __future__ import annotations

from typing import Any

from .check import check_grads
from .report import ArgumentResult, VerificationReport

__all__ = ["verify", "check_grads", "VerificationReport", "ArgumentResult"]


def verify(f: Any, argnums: Any = 0, **options: Any) -> VerificationReport:
    """Check `f`'s srcgrad gradient against sympy and against `f` itself; see
    `driver.verify` for the options.  sympy and mpmath are imported on the first call, not before."""
    from .driver import verify as run
    return run(f, argnums, **options)
