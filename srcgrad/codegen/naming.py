"""Every name srcgrad generates is decided here.

* Derivative values are named after the value they belong to: the cotangent
  (reverse mode) of ``z`` is ``dz``; the tangent (forward mode) of ``z`` is
  ``z_dot``.  These hints are chosen by the AD transforms through
  `cotangent_hint` and `tangent_hint`.
* `Namer` turns hints into unique Python identifiers for one generated
  function: parameters keep their names, a reassigned user variable gets
  ``x``, ``x_1``, ``x_2`` in definition order, a temporary that is not inlined
  is named after its operation (``exp_z``) or ``t``.  Names are deterministic:
  they depend only on the program, never on ids or addresses.
* Transformed functions are named ``grad_f``, ``value_and_grad_f``, ``jvp_f``.
"""
from __future__ import annotations

import builtins
import keyword
import re

from ..ir.core import Var

_IDENT = re.compile(r"[^0-9A-Za-z_]")


def cotangent_hint(var: Var) -> str:
    return "d" + var.hint if var.hint else ""


def tangent_hint(var: Var) -> str:
    return var.hint + "_dot" if var.hint else ""


def temporary_name(prim_name: str, arg_names: list[str | None]) -> str:
    """A temporary that is not inlined is named after what it computes when
    that is short and telling (``exp_z`` for ``math.exp(z)``), else ``t``."""
    if len(arg_names) == 1 and arg_names[0] and prim_name.isidentifier() and not prim_name.endswith("_"):
        return f"{prim_name}_{arg_names[0]}"
    return "t"


def transformed_name(kind: str, name: str) -> str:
    return f"{kind}_{name}"


def _clean(text: str) -> str:
    text = _IDENT.sub("_", text).strip("_") or "t"
    return "_" + text if text[0].isdigit() else text


class Namer:
    """Allocates identifiers for the vars of one generated function."""

    def __init__(self, reserved: set[str]) -> None:
        self.taken: set[str] = set(reserved) | set(keyword.kwlist)
        self.names: dict[Var, str] = {}
        self._builtins = set(dir(builtins))

    def fix(self, var: Var, name: str) -> str:
        """Give `var` exactly `name` (parameters)."""
        self.names[var] = name
        self.taken.add(name)
        return name

    def name(self, var: Var, fallback: str = "t") -> str:
        found = self.names.get(var)
        if found is not None:
            return found
        base = _clean(var.hint) if var.hint else _clean(fallback)
        candidate = base
        counter = 0
        while candidate in self.taken or candidate in self._builtins:
            counter += 1
            candidate = f"{base}_{counter}"
        self.taken.add(candidate)
        self.names[var] = candidate
        return candidate
