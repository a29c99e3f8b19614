"""Sign propagation: move a negation out of ``*`` and ``/`` to where it is free.

Derivative rules produce negations (d cos = -sin, d(x/y)/dy = -(out/y)) that
end up inside products.  Negation commutes exactly with ``*`` and ``/`` on
floats (it only flips the sign bit; in primal code the sign of an int, which
has no negative zero, is not moved), so the sign can move outwards until a ``+``, the
right side of a ``-`` or another negation absorbs it (simplification then
turns ``x + -(p)`` into ``x - p``).  Two signs on one product cancel.  A sign
is only moved when every reader of the product absorbs it, or, in derivative
code, when the product is the negation's only reader (the sign then moves to
the outside, ``-(dy * s)`` rather than ``dy * -s``), so no negation is ever
added.  A product with a constant operand is left to simplification, which
folds the sign into the constant (``2 * -s -> -2 * s``).

Before::

    s = sin x
    n = neg s
    p = mul dy n
    dx = add a p

After (then simplified to ``dx = sub a q``)::

    s = sin x
    n = neg s
    q = mul dy s
    p = neg q
    dx = add a p

Which primitives are odd (``*``, ``/``), which absorb a sign and which is the
negation is declared as hooks by `srcgrad.primitives.algebra`.
"""
from __future__ import annotations

from ..ir.core import Atom, Eqn, Region, Var
from .floats import region_defs
from .util import Sweep, nested


class _Readers:
    """Who reads each value of a region (found on the first question: most
    regions never ask), and whether a sign on it would be absorbed by all."""

    def __init__(self, region: Region) -> None:
        self.region = region
        self._readers: dict[Var, list[tuple[Eqn, int]]] | None = None
        self.returned = {r for r in region.results if isinstance(r, Var)}
        self.memo: dict[Var, bool] = {}

    @property
    def readers(self) -> dict[Var, list[tuple[Eqn, int]]]:
        if self._readers is None:
            self._readers = {}
            for eqn in self.region.eqns:
                for pos, arg in enumerate(eqn.args):
                    if isinstance(arg, Var):
                        self._readers.setdefault(arg, []).append((eqn, pos))
        return self._readers

    def absorb(self, var: Var) -> bool:
        if var not in self.memo:
            self.memo[var] = (var not in self.returned and var in self.readers
                              and all(self._absorbs(e, pos) for e, pos in self.readers[var]))
        return self.memo[var]

    def only_reader(self, var: Var, eqn: Eqn) -> bool:
        return var not in self.returned and all(e is eqn for e, _ in self.readers.get(var, ()))

    def _absorbs(self, eqn: Eqn, pos: int) -> bool:
        if nested(eqn):
            return False
        if pos in eqn.prim.hooks.get("absorbs_sign", ()):
            return True
        return bool(eqn.prim.hooks.get("odd")) and len(eqn.outs) == 1 and self.absorb(eqn.outs[0])


def signs_region(region: Region, sweep: Sweep) -> Region:
    return _region(region, sweep.floats)


def _region(region: Region, floats: set[Var]) -> Region:
    if not any(eqn.prim.hooks.get("negation") for eqn in region.eqns):
        return region
    readers = _Readers(region)
    defs = None                         # the region's float facts, found when primal code asks
    negated: dict[Var, Atom] = {}       # value defined as -operand -> operand
    negation = None                      # the negation primitive, once seen
    kept: list[Eqn] = []
    changed = False
    for eqn in region.eqns:
        if eqn.prim.hooks.get("negation"):
            negated[eqn.outs[0]] = eqn.args[0]
            negation = eqn.prim
        elif eqn.prim.hooks.get("odd") and not nested(eqn) and all(isinstance(a, Var) for a in eqn.args):
            signed = [a for a in eqn.args if isinstance(a, Var) and a in negated]
            signs, out = len(signed), eqn.outs[0]
            # -(0) is the int 0: (-n) * 0.0 is 0.0 but -(n * 0.0) is -0.0 for n == 0,
            # so primal code moves only the sign of a float
            if not eqn.role and signed and defs is None:
                defs = region_defs(region.eqns, floats)
            exact = eqn.role or all(defs.is_float(negated[a]) for a in signed)
            if signs and exact and (signs % 2 == 0 or readers.absorb(out)
                          or (eqn.role and all(readers.only_reader(a, eqn) for a in signed))):
                args = tuple(negated.get(a, a) if isinstance(a, Var) else a for a in eqn.args)
                changed = True
                if signs % 2 == 0:
                    eqn = eqn.replace(args=args)
                else:
                    inner = Var(kind=out.kind)
                    kept.append(eqn.replace(args=args, outs=(inner,)))
                    eqn = Eqn(negation, (inner,), (out,), loc=eqn.loc, role=eqn.role)
                    negated[out] = inner
        kept.append(eqn)
    return Region(region.params, tuple(kept), region.results) if changed else region
