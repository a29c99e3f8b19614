"""Every name srcgrad generates is decided here.

* Derivative values are named after the value they belong to: the cotangent
  (reverse mode) of ``z`` is ``dz``; the tangent (forward mode) of ``z`` is
  ``z_dot``; its k-th derivative along the one input of Taylor mode
  (``grad(f, order=k)``) is ``dz``, ``d2z``, ``d3z``...  These hints are
  chosen by the AD transforms through `cotangent_hint`, `tangent_hint` and
  `derivative_hint`.
* `Namer` turns hints into unique Python identifiers for one generated
  function: parameters keep their names, a reassigned user variable gets
  ``x``, ``x_1``, ``x_2`` in definition order, a temporary that is not inlined
  is named after its operation (``exp_z``) or ``t``.  Names are deterministic:
  they depend only on the program, never on ids or addresses.
* `ModuleNames` decides the module-level names a generated module reads:
  modules it imports (``math``), builtins it calls (``range``, ``float``),
  objects it binds (user primitives, constant tables, default values) and the
  function's own name.  Each keeps its natural name unless that name is also
  bound inside the function (a parameter named ``math`` or ``range``: the
  parameters are the signature and keep their names) or stands for another
  object; then the generated code reads it under a fresh ``_``-prefixed
  alias (``import math as _math``, ``_range = builtins.range``).
* Transformed functions are named ``grad_f``, ``value_and_grad_f``, ``jvp_f``.
"""
from __future__ import annotations

import ast
import builtins
import keyword
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..ir.core import Var

_BUILTINS = frozenset(dir(builtins))
# names the module's namespace holds before its code runs (see emit.compile_module)
_MODULE_DUNDERS = frozenset({"__name__", "__loader__", "__file__", "__builtins__", "__doc__", "__spec__"})


def cotangent_hint(var: Var) -> str:
    return "d" + var.hint if var.hint else ""


def tangent_hint(var: Var) -> str:
    return var.hint + "_dot" if var.hint else ""


def derivative_hint(var: Var, order: int) -> str:
    """The `order`-th derivative of ``y`` along the one input of Taylor mode
    (`srcgrad.ad.taylor`): ``dy``, ``d2y``, ``d3y``."""
    if not var.hint:
        return ""
    return f"d{var.hint}" if order == 1 else f"d{order}{var.hint}"


def temporary_name(prim_name: str, arg_names: list[str | None]) -> str:
    """A temporary that is not inlined is named after what it computes when
    that is short and telling (``exp_z`` for ``math.exp(z)``), else ``t``."""
    if len(arg_names) == 1 and arg_names[0] and prim_name.isidentifier() and not prim_name.endswith("_"):
        return f"{prim_name}_{arg_names[0]}"
    return "t"


def transformed_name(kind: str, name: str) -> str:
    """``grad_f``; a name that is not an identifier (``<lambda>``, a
    ``__name__`` set by hand) is cleaned first: it becomes a ``def``."""
    return f"{kind}_{name if name.isidentifier() else _clean(name)}"


def _clean(text: str) -> str:
    """`text` as an identifier: characters Python does not allow in one
    become ``_`` (so ``θ`` stays ``θ``), leading and trailing underscores go
    (they belong to the user's parameters, whose names are kept as they are,
    and to srcgrad's own module-level aliases)."""
    text = unicodedata.normalize("NFKC", text)      # as Python reads identifiers
    chars = [c if ("a" + c).isidentifier() else "_" for c in text]
    text = "".join(chars).strip("_") or "t"
    return "_" + text if not text.isidentifier() else text


class Namer:
    """Allocates identifiers for the vars of one generated function.

    A name is ``base`` or ``base_N`` with the smallest N not taken; a counter
    per base remembers where the search stopped, so allocating is O(1)
    amortised (every index below a base's counter is taken)."""

    def __init__(self, reserved: set[str]) -> None:
        self.taken: set[str] = set(reserved) | set(keyword.kwlist)
        self.names: dict[Var, str] = {}
        self._holders: dict[str, set[Var]] = {}      # name -> the vars it names (the reverse of `names`)
        self._next: dict[str, int] = {}              # base -> smallest index that may be free
        self._origin: dict[str, tuple[str, int]] = {}  # allocated name -> (base, index)

    def fix(self, var: Var, name: str) -> str:
        """Give `var` exactly `name` (parameters)."""
        self._set(var, name)
        self.taken.add(name)
        return name

    def rename(self, var: Var, name: str) -> None:
        """`var`, named already, is called `name` from now on."""
        self._set(var, name)

    def shared(self, name: str, var: Var) -> bool:
        """Whether a var other than `var` is called `name`."""
        return any(v is not var for v in self._holders.get(name, ()))

    def _set(self, var: Var, name: str) -> None:
        old = self.names.get(var)
        if old is not None:
            self._holders[old].discard(var)
        self.names[var] = name
        self._holders.setdefault(name, set()).add(var)

    def fresh(self, base: str) -> str:
        """A name not taken yet, ``base`` or ``base_N``, taken from now on."""
        index = self._next.get(base, 0)
        while True:
            candidate = f"{base}_{index}" if index else base
            if candidate not in self.taken and candidate not in _BUILTINS:
                break
            index += 1
        self._next[base] = index + 1
        self.taken.add(candidate)
        self._origin[candidate] = (base, index)
        return candidate

    def name(self, var: Var, fallback: str = "t") -> str:
        found = self.names.get(var)
        if found is not None:
            return found
        candidate = self.fresh(_clean(var.hint) if var.hint else _clean(fallback))
        self._set(var, candidate)
        return candidate

    def release(self, name: str) -> None:
        """`name` is used nowhere any more: later values may take it."""
        self.taken.discard(name)
        origin = self._origin.pop(name, None)
        if origin is not None:
            base, index = origin
            self._next[base] = min(self._next.get(base, 0), index)


# --- module-level names --------------------------------------------------------

MODULE = "module"      # ``import math``
BUILTIN = "builtin"    # ``range``, ``float``
OBJECT = "object"      # a bound object: user primitive, table, default value


@dataclass
class _Entity:
    kind: str
    name: str            # the name it is naturally known by
    obj: Any
    nodes: list          # the ast.Name nodes reading it


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # noqa: BLE001 - objects whose == raises or is not a bool are different
        return False


class ModuleNames:
    """The module-level names one generated module reads (see the module
    docstring).  Code generation asks for a reference with `ref`; `resolve`
    names every entity once the function is complete, when it is known which
    names the function binds itself."""

    def __init__(self) -> None:
        self._entities: list[_Entity] = []

    def ref(self, kind: str, name: str, obj: Any = None, node: ast.Name | None = None) -> ast.Name:
        """A node reading the module, builtin or object `name` (`node`
        itself, when the caller already built it)."""
        entity = self._find(kind, name, obj)
        node = node if node is not None else ast.Name(id=name, ctx=ast.Load())
        entity.nodes.append(node)
        return node

    def _find(self, kind: str, name: str, obj: Any) -> _Entity:
        for entity in self._entities:
            if entity.kind == kind and entity.name == name and (kind != OBJECT or _same(entity.obj, obj)):
                return entity
        entity = _Entity(kind, name, obj, [])
        self._entities.append(entity)
        return entity

    def resolve(self, function: ast.FunctionDef) -> tuple[list[tuple[str, str]], dict[str, Any]]:
        """Give every entity a module-level name and rewrite its nodes.

        Returns the imports as (module, bound name) pairs and the objects to
        bind in the module's globals.  A natural name is kept unless the
        function binds it (a parameter or local), it is the function's own
        name, or an earlier entity already holds it; aliases are ``_name``,
        ``_name_1``, ... clear of every name in the module."""
        read, bound_inside = _names(function)
        used = read | bound_inside | {function.name}
        used |= {e.name for e in self._entities}
        held: set[str] = {function.name} | bound_inside | _MODULE_DUNDERS
        aliases = Namer(used)
        imports: list[tuple[str, str]] = []
        bindings: dict[str, Any] = {}
        for entity in self._entities:
            name = entity.name
            if name in held:
                name = aliases.fresh("_" + entity.name.lstrip("_"))
            held.add(name)
            for node in entity.nodes:
                node.id = name
            if entity.kind == MODULE:
                imports.append((entity.name, name))
            elif entity.kind == OBJECT:
                bindings[name] = entity.obj
            elif name != entity.name:
                bindings[name] = getattr(builtins, entity.name)
        return sorted(imports), bindings


def _names(function: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """Every name the function reads or binds, and those it binds locally
    (its parameters and targets): one walk of the tree."""
    args = function.args
    bound = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            names.add(node.id)
            if not isinstance(node.ctx, ast.Load):
                bound.add(node.id)
    return names, bound


def builtin_name(name: str) -> bool:
    return name in _BUILTINS
