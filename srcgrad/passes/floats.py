"""Which values are surely Python floats at run time.

A `real` value may hold an int (a parameter called with ``3``), so an
identity such as ``x * 1.0 -> x`` would change the result's type, and an
``int + float`` can raise `OverflowError` where ``float + float`` cannot.
`Defs` records the defining equation of each value of a region, in program
order, and with it whether the value is surely a float, from each
primitive's "float_result" hook (declared in `srcgrad.primitives.algebra`):

* ``"always"``: the result is a float whatever the operands (``/``, `math`);
* ``"any"``: a float when any operand is (``+ - * % //``);
* ``"all"``: a float when every operand is (``abs``, ``max``, ``copy``);
* ``"branches"``: a float when both choices are (``a if c else b``).

Constants other than floats are not surely floats, nor are the function's
parameters.  `function_floats` follows values into and out of conditionals
and loops (a loop-carried value is a float if it starts as one and each
iteration keeps it one), so a cotangent carried through a loop is known to
be a float inside the body.
"""
from __future__ import annotations

from ..ir.core import Atom, Const, Eqn, Function, Region, Var
from ..primitives.control import COND, FOR_RANGE, WHILE_LOOP, LoopParts
from .util import nested


class Defs(dict):
    """Var -> its defining equation, plus which vars are surely floats.

    `known` holds surely-float values found beforehand (`function_floats`);
    it answers for values this `Defs` has no definition of (parameters) and
    for the outputs of conditionals and loops, whose regions it cannot see."""

    def __init__(self, known: set[Var] | frozenset = frozenset()) -> None:
        super().__init__()
        self.known = known
        self.floats: set[Var] = set()

    def record(self, eqn: Eqn) -> None:
        for out in eqn.outs:
            self[out] = eqn
        if nested(eqn):
            self.floats.update(o for o in eqn.outs if o in self.known)
        elif len(eqn.outs) == 1 and _float_result(eqn, self.is_float):
            self.floats.add(eqn.outs[0])

    def is_float(self, atom: Atom) -> bool:
        if isinstance(atom, Const):
            return isinstance(atom.value, float)
        return atom in self.floats or (atom in self.known and atom not in self)


def _float_result(eqn: Eqn, is_float) -> bool:
    rule = eqn.prim.hooks.get("float_result")
    if rule == "always":
        return True
    if rule == "any":
        return any(is_float(a) for a in eqn.args)
    if rule == "all":
        return bool(eqn.args) and all(is_float(a) for a in eqn.args)
    if rule == "branches":
        return is_float(eqn.args[1]) and is_float(eqn.args[2])
    return False


def region_defs(eqns, known: set[Var] | frozenset = frozenset()) -> Defs:
    """`Defs` of a straight-line list of equations."""
    defs = Defs(known)
    for eqn in eqns:
        defs.record(eqn)
    return defs


def function_floats(fn: Function) -> set[Var]:
    """Every value of `fn`, in any region, that is surely a float."""
    found: set[Var] = set()
    _region_floats(fn.body, set(), found)
    return found


def _region_floats(region: Region, params: set[Var], found: set[Var]) -> Defs:
    """The `Defs` of `region` given its surely-float `params`; everything
    surely float in it (nested regions included) is added to `found`."""
    defs = Defs(params)
    for eqn in region.eqns:
        if nested(eqn):
            _structured_floats(eqn, defs, found)
            for out in eqn.outs:
                defs[out] = eqn
        else:
            defs.record(eqn)
    found |= defs.floats
    found |= params
    return defs


def _structured_floats(eqn: Eqn, defs: Defs, found: set[Var]) -> None:
    """Follow floats into the regions of `eqn` and out to its outputs."""
    def params_for(region: Region, args) -> set[Var]:
        return {p for p, a in zip(region.params, args) if defs.is_float(a)}

    if eqn.prim is COND:
        branches = [(r, _region_floats(r, params_for(r, eqn.args[1:]), found))
                    for r in (eqn.param("then"), eqn.param("else"))]
        defs.floats.update(o for j, o in enumerate(eqn.outs)
                           if all(d.is_float(r.results[j]) for r, d in branches))
        return
    if eqn.prim not in (FOR_RANGE, WHILE_LOOP):
        return
    parts = LoopParts.of(eqn)
    _, state_p, free_p = parts.body_params()
    free = params_for(Region(free_p, (), ()), parts.free)
    carried = {k for k, a in enumerate(parts.init) if defs.is_float(a)}
    while True:              # assume the float starts stay floats; drop those that do not
        trial: set[Var] = set()
        body = _region_floats(parts.body, free | {state_p[k] for k in carried}, trial)
        kept = {k for k in carried if body.is_float(parts.state_results()[k])}
        if kept == carried:
            break
        carried = kept
    found |= trial
    if parts.cond is not None:
        c = parts.cond
        c_params = {c.params[k] for k in carried}
        c_params |= {p for p, a in zip(c.params[parts.n_state:], parts.free) if defs.is_float(a)}
        _region_floats(c, c_params, found)
    defs.floats.update(parts.state_outs()[k] for k in carried)
