"""Copying IR with fresh variables: inlining a function's body into a builder."""
from __future__ import annotations

from typing import Any, Sequence

from .core import Atom, Const, Eqn, Function, Region, Var


class Renamer:
    """Maps old vars to new ones, creating fresh copies (same hint and kind)."""

    def __init__(self, mapping: dict[Var, Atom] | None = None) -> None:
        self.mapping: dict[Var, Atom] = dict(mapping or {})

    def atom(self, atom: Atom) -> Atom:
        if isinstance(atom, Const):
            return atom
        return self.mapping.get(atom, atom)

    def fresh(self, var: Var) -> Var:
        new = Var(hint=var.hint, kind=var.kind)
        self.mapping[var] = new
        return new

    def eqn(self, eqn: Eqn, loc: Any = None, role: str | None = None) -> Eqn:
        params = tuple((k, self.region(v) if isinstance(v, Region) else v) for k, v in eqn.params)
        args = tuple(self.atom(a) for a in eqn.args)
        outs = tuple(self.fresh(v) for v in eqn.outs)
        return eqn.replace(args=args, outs=outs, params=params, loc=eqn.loc if loc is None else loc,
                           role=eqn.role if role is None else role)

    def region(self, region: Region) -> Region:
        params = tuple(self.fresh(p) for p in region.params)
        eqns = tuple(self.eqn(e) for e in region.eqns)
        return Region(params, eqns, tuple(self.atom(r) for r in region.results))


def inline(builder: Any, fn: Function, args: Sequence[Atom], restamp: bool = False) -> tuple[Atom, ...]:
    """Append `fn`'s body to `builder` with `args` for its parameters; return
    its results.  With `restamp`, the copies take the builder's source
    location and role (a derivative rule's body belongs to the line it
    differentiates)."""
    renamer = Renamer(dict(zip(fn.params, args)))
    loc, role = (builder.loc, builder.role) if restamp else (None, None)
    for eqn in fn.body.eqns:
        builder.eqns.append(renamer.eqn(eqn, loc, role))
    return tuple(renamer.atom(r) for r in fn.body.results)
