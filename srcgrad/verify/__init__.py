"""Verification: is srcgrad's gradient right?

* `verify(f, argnums)` proves srcgrad's gradient equal to sympy's derivative
  (or, where no proof finishes in time, compares them at high precision) and
  returns a `VerificationReport`; ``grad(f, verify=True)`` raises
  `srcgrad.VerificationError` when it is not ok.
* `check_grads(f, args)` is for users' own test suites, as in JAX: reverse
  and forward mode against central differences, raising AssertionError.

Modules: `symbolic` (IR -> sympy), `prove` (zero-proving steps), `budget`
(deadline for them), `sampling` and `numeric` (sample points, mpmath
comparison), `cases` (straight-line programs, path by path), `driver`
(`verify`), `report`, `check` (`check_grads`).  sympy and mpmath are imported
only here, and only when `verify` is first used.
"""
from __future__ import annotations

import sys
import types
from typing import Any

from .check import check_grads
from .report import ArgumentResult, VerificationReport

__all__ = ["verify", "check_grads", "VerificationReport", "ArgumentResult"]


def __getattr__(name: str) -> Any:
    if name == "verify":   # imports sympy and mpmath: only when asked for
        from .driver import verify
        return verify
    raise AttributeError(f"module 'srcgrad.verify' has no attribute {name!r}")


class _CallablePackage(types.ModuleType):
    """``srcgrad.verify(f)`` is ``srcgrad.verify.verify(f)``: Python binds the
    name ``srcgrad.verify`` to this subpackage once it is imported, so the
    subpackage itself is made callable."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
