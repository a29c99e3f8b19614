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
* every equation defines at least one value (a structured one may be left
  with none, as dead code, by a pass), and a non-structured one has
  as many arguments as its primitive's `nargs` (unless it is variadic,
  ``nargs < 0``);
* a structured equation has the shape its primitive declares (a
  ``check_shape`` hook: a loop body takes its index, state and free values
  and returns its state, a conditional's branches take its free values and
  return one value per output);
* the function has one parameter name per body parameter, and its
  ``out_tree`` names each result exactly once.

`check_stage` runs the check after each stage of a transformation (lowering,
each AD transform, each optimisation pass) when checking is switched on:
by the environment variable ``SRCGRAD_CHECK_IR=1`` or by setting
`CHECK_IR` here (the test suite does).  A broken IR is then an
`srcgrad.errors.InternalError` naming the stage, never a number.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from .core import KINDS, Const, Eqn, Function, Region, Var

CHECK_IR: bool = os.environ.get("SRCGRAD_CHECK_IR", "") not in ("", "0")


def check_stage(fn: Function, stage: str) -> Function:
    """`fn`, after checking its invariants when `CHECK_IR` is on."""
    if CHECK_IR:
        try:
            verify_ir(fn)
        except AssertionError as broken:
            from ..errors import InternalError
            raise InternalError(f"srcgrad built a broken IR ({stage}): {broken}. This is a bug in "
                                f"srcgrad; please report it with the function being transformed") from None
    return fn


def verify_ir(fn: Function) -> None:
    """Raise `AssertionError` naming the first broken invariant of `fn`."""
    _check(len(fn.param_names) == len(fn.body.params),
           lambda: f"{fn.name}: {len(fn.param_names)} parameter names for {len(fn.body.params)} parameters")
    _Checker(fn.name, _known_kinds()).region(fn.body, "body")
    if fn.out_tree is not None:
        leaves = sorted(_leaves(fn.out_tree))
        _check(leaves == list(range(len(fn.body.results))),
               lambda: f"{fn.name}: out_tree {fn.out_tree!r} does not name each of its {len(fn.body.results)} "
               f"result(s) once")


def _leaves(tree: Any) -> list[int]:
    if isinstance(tree, int):
        return [tree]
    return [leaf for t in tree for leaf in _leaves(t)]


_KINDS_CACHE: dict[int, set[str]] = {}


def _known_kinds() -> set[str]:
    from ..primitives import REGISTRY   # the IR layer does not import primitives at module level
    size = len(REGISTRY.by_name)         # primitives are only ever added: the size says what changed
    if size not in _KINDS_CACHE:
        _KINDS_CACHE.clear()
        _KINDS_CACHE[size] = set(KINDS) | {p.out_kind for p in REGISTRY if isinstance(p.out_kind, str)}
    return _KINDS_CACHE[size]


def _check(condition: bool, message: Callable[[], str]) -> None:
    """Raise with `message()` unless `condition`: messages are only built
    for a failure (the suite checks every stage, so the passing case is hot)."""
    if not condition:
        raise AssertionError(message())


class _Checker:
    def __init__(self, fn_name: str, kinds: set[str]) -> None:
        self.fn_name = fn_name
        self.kinds = kinds
        self.defined: set[Var] = set()   # every var defined anywhere so far

    def define(self, var: object, where: Callable[[], str]) -> None:
        if isinstance(var, Var) and var.kind in self.kinds and var not in self.defined:
            self.defined.add(var)
            return
        _check(isinstance(var, Var), lambda: f"{self.fn_name}: {where()} defines {var!r}, which is not a Var")
        _check(var.kind in self.kinds,
               lambda: f"{self.fn_name}: {where()} defines {var!r} of unknown kind {var.kind!r}")
        raise AssertionError(f"{self.fn_name}: {var!r} is defined twice (again by {where()})")

    def use(self, atom: object, visible: set[Var], where: Callable[[], str]) -> None:
        if isinstance(atom, Const):
            _check(isinstance(atom.value, (bool, int, float)),
                   lambda: f"{self.fn_name}: {where()} uses constant {atom.value!r}, which is not a number")
            return
        _check(isinstance(atom, Var), lambda: f"{self.fn_name}: {where()} uses {atom!r}, which is not a Var or Const")
        if atom not in visible:
            why = ("defined outside this region (regions read only their parameters)"
                   if atom in self.defined else "not defined before this use")
            raise AssertionError(f"{self.fn_name}: {where()} uses {atom!r}, {why}")

    def region(self, region: Region, label: str) -> None:
        visible: set[Var] = set()
        for param in region.params:
            self.define(param, lambda: f"parameter of {label}")
            visible.add(param)
        for index, eqn in enumerate(region.eqns):
            self.eqn(eqn, visible, lambda index=index, eqn=eqn: f"{label} equation {index} ({eqn.prim.name})")
            visible.update(eqn.outs)
        for result in region.results:
            self.use(result, visible, lambda: f"result of {label}")

    def eqn(self, eqn: Eqn, visible: set[Var], where: Callable[[], str]) -> None:
        if not eqn.prim.structured and eqn.prim.nargs >= 0:
            _check(len(eqn.args) == eqn.prim.nargs,
                   lambda: f"{self.fn_name}: {where()} has {len(eqn.args)} argument(s); {eqn.prim.name} takes "
                           f"{eqn.prim.nargs}")
        # a structured equation may be left with no outputs by a pass that
        # moved all its state out (dead code, removed by the next pass)
        _check(len(eqn.outs) >= 1 or eqn.prim.structured, lambda: f"{self.fn_name}: {where()} defines no value")
        for arg in eqn.args:
            self.use(arg, visible, where)
        # nested regions are checked before the outputs are defined: they
        # cannot read the equation's own outputs
        for key, value in eqn.params:
            if isinstance(value, Region):
                self.region(value, f"{where()} region {key!r}")
        shape = eqn.prim.hooks.get("check_shape")
        if shape is not None:
            problem = shape(eqn)
            _check(problem is None, lambda: f"{self.fn_name}: {where()}: {problem}")
        for out in eqn.outs:
            self.define(out, where)
