"""`verify_ir`: assert the structural invariants of a `Function` (see
`srcgrad.ir.core`).

Passes and AD transforms build new IR from old; a slip there (a var used
before it is defined, a nested region reading a value from outside) shows up
much later as a wrong gradient or a `NameError` in generated code.  Tests run
this check on every IR they see, so the slip is reported where it happened:

* every `Var` is defined exactly once, as a region parameter or as one
  equation's output;
* every use (equation argument or region result) is defined earlier in the
  same region or is one of its parameters: regions are straight-line, so
  that is dominance, and a nested region never reads its enclosing region's
  values implicitly;
* atoms are `Var` or `Const`, constants are numbers, and every kind is
  known: one of `srcgrad.ir.core.KINDS` or a primitive's declared output
  kind (the ``tape`` values of loops in reverse mode);
* every equation defines at least one value, and a non-structured one has
  as many arguments as its primitive's `nargs` (unless it is variadic,
  ``nargs < 0``);
* the function has one parameter name per body parameter.
"""
from __future__ import annotations

from .core import KINDS, Const, Eqn, Function, Region, Var


def verify_ir(fn: Function) -> None:
    """Raise `AssertionError` naming the first broken invariant of `fn`."""
    _check(len(fn.param_names) == len(fn.body.params),
           f"{fn.name}: {len(fn.param_names)} parameter names for {len(fn.body.params)} parameters")
    _Checker(fn.name, _known_kinds()).region(fn.body, "body")


def _known_kinds() -> set[str]:
    from ..primitives import REGISTRY   # the IR layer does not import primitives at module level
    return set(KINDS) | {p.out_kind for p in REGISTRY if isinstance(p.out_kind, str)}


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


class _Checker:
    def __init__(self, fn_name: str, kinds: set[str]) -> None:
        self.fn_name = fn_name
        self.kinds = kinds
        self.defined: set[Var] = set()   # every var defined anywhere so far

    def define(self, var: object, where: str) -> None:
        _check(isinstance(var, Var), f"{self.fn_name}: {where} defines {var!r}, which is not a Var")
        _check(var.kind in self.kinds, f"{self.fn_name}: {where} defines {var!r} of unknown kind {var.kind!r}")
        _check(var not in self.defined, f"{self.fn_name}: {var!r} is defined twice (again by {where})")
        self.defined.add(var)

    def use(self, atom: object, visible: set[Var], where: str) -> None:
        if isinstance(atom, Const):
            _check(isinstance(atom.value, (bool, int, float)),
                   f"{self.fn_name}: {where} uses constant {atom.value!r}, which is not a number")
            return
        _check(isinstance(atom, Var), f"{self.fn_name}: {where} uses {atom!r}, which is not a Var or Const")
        if atom not in visible:
            why = ("defined outside this region (regions read only their parameters)"
                   if atom in self.defined else "not defined before this use")
            raise AssertionError(f"{self.fn_name}: {where} uses {atom!r}, {why}")

    def region(self, region: Region, label: str) -> None:
        visible: set[Var] = set()
        for param in region.params:
            self.define(param, f"parameter of {label}")
            visible.add(param)
        for index, eqn in enumerate(region.eqns):
            where = f"{label} equation {index} ({eqn.prim.name})"
            self.eqn(eqn, visible, where)
            visible.update(eqn.outs)
        for result in region.results:
            self.use(result, visible, f"result of {label}")

    def eqn(self, eqn: Eqn, visible: set[Var], where: str) -> None:
        if not eqn.prim.structured and eqn.prim.nargs >= 0:
            _check(len(eqn.args) == eqn.prim.nargs,
                   f"{self.fn_name}: {where} has {len(eqn.args)} argument(s); {eqn.prim.name} takes "
                   f"{eqn.prim.nargs}")
        _check(len(eqn.outs) >= 1, f"{self.fn_name}: {where} defines no value")
        for arg in eqn.args:
            self.use(arg, visible, where)
        # nested regions are checked before the outputs are defined: they
        # cannot read the equation's own outputs
        for key, value in eqn.params:
            if isinstance(value, Region):
                self.region(value, f"{where} region {key!r}")
        for out in eqn.outs:
            self.define(out, where)
