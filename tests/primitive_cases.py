"""Every differentiable primitive of the registry as a test case.

`primitive_cases()` iterates `srcgrad.primitives.REGISTRY`, so a primitive is
tested by being declared.  Skipped: structured primitives (control flow,
tested through the programs that use them), ``copy`` (an artefact of the
passes) and piecewise-constant ones (derivative 0, nothing to compare).

A case is the one-line function ``def f(a, b): return <primitive(a, b)>``,
spelt the way the primitive declares it prints (its ``emit``), with its
sympy counterpart.  Discrete arguments (a `Choices` domain: the condition of
``select``) carry no derivative; they are held at each of their values in
turn, one case each, as constants.  When the frontend does not lower that
spelling to the primitive itself (``b if True else c`` becomes a ``cond``,
not a ``select``), the function is built as IR directly, so the primitive's
own derivative rule is what every mode checks.
"""
from __future__ import annotations

import ast
import itertools
import random
import zlib
from dataclasses import dataclass
from typing import Any

import sympy

from srcgrad import Transformed
from srcgrad.errors import SrcGradError
from srcgrad.ir.builder import Builder
from srcgrad.ir.core import REAL, Const, Function, Region, Var
from srcgrad.primitives import REGISTRY, Primitive
from srcgrad.primitives.core import Choices
from srcgrad.transform import primal_ir

from .ad_support import load_module, real_symbols

NAMES = "abcdefgh"


@dataclass
class PrimitiveCase:
    """``function(*params)`` applies `prim`; `expr` is the same in sympy."""

    prim: Primitive
    label: str
    params: tuple[str, ...]
    function: Any
    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]
    domains: tuple[tuple[float, float], ...]

    def __repr__(self) -> str:
        return self.label

    def points(self, count: int = 3) -> list[tuple[float, ...]]:
        """`count` points inside the declared domain (deterministic per case)."""
        rng = random.Random(zlib.crc32(self.label.encode()))
        return [tuple(rng.uniform(lo, hi) for lo, hi in self.domains) for _ in range(count)]

    def tangent(self) -> tuple[float, ...]:
        rng = random.Random(zlib.crc32(self.label.encode()) + 1)
        return tuple(rng.uniform(-1.0, 1.0) for _ in self.params)

    def at(self, point: tuple[float, ...]) -> dict[sympy.Symbol, float]:
        return dict(zip(self.symbols, point))


def is_tested(prim: Primitive) -> bool:
    """Scalar primitives a user's code can reach, whose derivative is not 0."""
    hooks = prim.hooks
    return not (prim.structured or prim.piecewise_constant or hooks.get("copy") or hooks.get("internal"))


def differentiable_args(prim: Primitive) -> tuple[bool, ...]:
    """Which arguments take real values (the others have a `Choices` domain),
    checked against the rule: it gives a partial exactly for those."""
    moving = tuple(not isinstance(prim.arg_domain(i), Choices) for i in range(arity(prim)))
    args = tuple(Var(hint=n, kind=REAL if m else prim.arg_domain(i).kind)
                 for i, (n, m) in enumerate(zip(NAMES, moving)))
    partials = prim.partials(Builder(), *args, Var(hint="out"))
    assert tuple(p is not None for p in partials) == moving, \
        f"{prim.name}: the rule's partials do not match the discrete arguments of its domain"
    return moving


def arity(prim: Primitive) -> int:
    """How many arguments `prim` is checked with: its own, or for a variadic
    one (``hypot_n``) as many as its declared domain lists."""
    return prim.nargs if prim.nargs >= 0 else len(prim.domain)


def primitive_cases() -> list[PrimitiveCase]:
    cases = []
    for prim in REGISTRY:
        if not is_tested(prim):
            continue
        assert prim.partials is not None, f"{prim.name}: differentiable but no derivative rule"
        moving = differentiable_args(prim)
        choices = [prim.arg_domain(i).values for i, m in enumerate(moving) if not m]
        for data in itertools.product(*choices):
            cases.append(_case(prim, moving, list(data)))
    return cases


def _case(prim: Primitive, moving: tuple[bool, ...], data: list[Any]) -> PrimitiveCase:
    label = prim.name + (f"[{','.join(map(str, data))}]" if data else "")
    params = tuple(NAMES[i] for i in range(arity(prim)) if moving[i])
    symbols = real_symbols(params)
    sym_iter, data_iter = iter(symbols), iter(data)
    expr = prim.sympy(sympy, *[next(sym_iter) if m else next(data_iter) for m in moving])
    domains = tuple(prim.arg_domain(i) for i in range(arity(prim)) if moving[i])
    function = _python_function(prim, moving, data, params)
    return PrimitiveCase(prim, label, params, function, expr, symbols, domains)


def _python_function(prim: Primitive, moving: tuple[bool, ...], data: list[Any], params: tuple[str, ...]) -> Any:
    data_iter, param_iter = iter(data), iter(params)
    operands = [ast.Name(id=next(param_iter), ctx=ast.Load()) if m else ast.Constant(next(data_iter))
                for m in moving]
    imports = "".join(f"import {m}\n" for m in sorted(prim.imports))
    source = f"{imports}\n\ndef f({', '.join(params)}):\n    return {ast.unparse(prim.emit(*operands))}\n"
    f = load_module(source, f"prim_{prim.name}").f
    try:
        if any(eqn.prim is prim for eqn in primal_ir(f).body.walk()):
            return f
    except SrcGradError:    # emitted code srcgrad does not read back (the ieee_* forms' math.copysign)
        pass
    return _ir_function(prim, moving, data, params, f)


def _ir_function(prim: Primitive, moving: tuple[bool, ...], data: list[Any], params: tuple[str, ...],
                 f: Any) -> Transformed:
    """`prim` applied to parameters as IR, in a `Transformed` shell (whose
    `fn_ir` is all srcgrad's transformations read), for primitives with no
    Python spelling the frontend accepts."""
    b = Builder()
    param_vars = tuple(Var(hint=p) for p in params)
    data_iter, var_iter = iter(data), iter(param_vars)
    out = b.apply(prim, *[next(var_iter) if m else Const(next(data_iter)) for m in moving])
    shell = Transformed.__new__(Transformed)
    shell.fn_ir = Function(name="f", param_names=params, body=Region(param_vars, tuple(b.eqns), (out,)))
    shell.__wrapped__ = f
    return shell


CASES = primitive_cases()
