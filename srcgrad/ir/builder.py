"""`Builder`: appends equations to a list, one primitive application at a time.

Lowering and derivative rules both build IR through it, so a rule reads as
math: ``b.mul(b.cos(x), t)``.  Attribute access names a primitive in the
registry (``b.sin``), and Python numbers are wrapped as `Const`.
"""
from __future__ import annotations

from typing import Any, Callable

from .core import BOOL, INT, REAL, Atom, Const, Eqn, Var


def as_atom(value: Any) -> Atom:
    if isinstance(value, (Var, Const)):
        return value
    if isinstance(value, (bool, int, float)):
        return Const(value)
    raise TypeError(f"not an IR value: {value!r}")


class Builder:
    """Collects `Eqn`s.  `loc` is stamped on every equation built."""

    def __init__(self, registry: Any = None, loc: Any = None, role: str = "") -> None:
        from ..primitives import REGISTRY
        self.registry = registry if registry is not None else REGISTRY
        self.eqns: list[Eqn] = []
        self.loc = loc
        self.role = role
        self._definer: dict[Var, int] = {}

    def apply(self, prim: Any, *args: Any, hint: str = "", params: tuple = (),
              n_outs: int = 1, kinds: tuple[str, ...] | None = None) -> Any:
        """Apply `prim` (a Primitive or its name); return its output var(s)."""
        if isinstance(prim, str):
            prim = self.registry[prim]
        atoms = tuple(as_atom(a) for a in args)
        if kinds is None:
            kinds = (result_kind(prim, atoms),) * n_outs
        outs = tuple(Var(hint=hint, kind=k) for k in kinds)
        self._definer[outs[0]] = len(self.eqns)
        self.eqns.append(Eqn(prim=prim, args=atoms, outs=outs, params=params, loc=self.loc, role=self.role))
        return outs[0] if n_outs == 1 else outs

    def named(self, atom: Atom, hint: str) -> Atom:
        """Give `hint` to a temporary this builder defined and nobody uses yet.

        The caller guarantees the temporary is unused (it was just computed);
        atoms that are not such temporaries are returned unchanged."""
        if not isinstance(atom, Var) or atom.hint:
            return atom
        index = self._definer.get(atom)
        if index is None or index >= len(self.eqns) or self.eqns[index].outs != (atom,):
            return atom
        new = Var(hint=hint, kind=atom.kind)
        self.eqns[index] = self.eqns[index].replace(outs=(new,))
        self._definer[new] = index
        return new

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        registry = self.__dict__.get("registry")
        if registry is None or name not in registry:
            raise AttributeError(f"no primitive named {name!r}")
        return lambda *args, **kw: self.apply(name, *args, **kw)

    # Sums of possibly-absent terms, used by derivative code.
    def add_all(self, terms: list[Atom]) -> Atom | None:
        total: Atom | None = None
        for term in terms:
            total = term if total is None else self.apply("add", total, term)
        return total


def result_kind(prim: Any, args: tuple[Atom, ...]) -> str:
    """Static kind of a primitive's output (see `srcgrad.ir.core`)."""
    kind = prim.out_kind
    if callable(kind):
        return kind(tuple(a.kind for a in args))
    if kind == REAL and args and all(a.kind in (INT, BOOL) for a in args) and prim.hooks.get("int_closed"):
        return INT
    return kind
