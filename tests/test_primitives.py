"""Every primitive of the registry through reverse mode, by being declared.

* Differentiable primitives (`primitive_cases.CASES`: one tiny function per
  primitive, spelt the way it prints): `grad` with respect to every argument
  against sympy's `diff` of the declared sympy counterpart and against
  central finite differences, at points drawn from the declared domain.
* Piecewise-constant primitives (floor, ceil, trunc, round, int, //,
  comparisons, not): the gradient is exactly ``0.0``.
* Every Python callable a primitive declares lowers to that primitive.
* The documented conventions at kinks: ``abs`` at 0 has derivative 0; at a
  tie ``max``/``min`` pass the derivative to their first argument, the one
  Python returns.
"""
from __future__ import annotations

import inspect
import math

import pytest

from srcgrad import grad
from srcgrad.ir import verify_ir
from srcgrad.primitives import REGISTRY, Primitive
from srcgrad.primitives.core import Choices
from srcgrad.transform import primal_ir

from .ad_support import assert_close, load_module, numeric, sympy_diff
from .primitive_cases import CASES, NAMES, PrimitiveCase, _case, arity
from .reference import central_difference

# srcgrad against fourth-order central differences (truncation ~h**4).
FD_REL, FD_ABS = 1e-6, 1e-8


def all_argnums(case: PrimitiveCase) -> tuple[int, ...]:
    return tuple(range(len(case.params)))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_reverse_mode_matches_sympy_and_finite_differences(case: PrimitiveCase):
    df = grad(case.function, argnums=all_argnums(case))
    verify_ir(df.fn_ir)
    primal = inspect.unwrap(case.function)   # the Python function, also for IR-built cases
    for point in case.points():
        got = df(*point)
        for i, symbol in enumerate(case.symbols):
            what = f"{case!r}: d/d{case.params[i]} at {point}"
            exact = numeric(sympy_diff(case.expr, symbol), case.at(point))
            assert_close(got[i], exact, what + " vs sympy")
            assert_close(got[i], central_difference(primal, point, i), what + " vs finite differences",
                         FD_REL, FD_ABS)


def is_piecewise_constant(prim: Primitive) -> bool:
    return prim.piecewise_constant and not prim.structured and not prim.hooks.get("internal")


def piecewise_constant_cases() -> list[PrimitiveCase]:
    """One case per primitive and value of its discrete arguments (round's digits)."""
    cases = []
    for prim in filter(is_piecewise_constant, REGISTRY):
        domains = [prim.arg_domain(i) for i in range(arity(prim))]
        real = tuple(not isinstance(d, Choices) for d in domains)
        for value in next((d.values for d in domains if isinstance(d, Choices)), (None,)):
            cases.append(_case(prim, real, [] if value is None else [value]))
    return cases


PIECEWISE_CONSTANT = piecewise_constant_cases()


@pytest.mark.parametrize("case", PIECEWISE_CONSTANT, ids=repr)
def test_piecewise_constant_primitive_has_zero_gradient(case: PrimitiveCase):
    assert any(eqn.prim is case.prim for eqn in primal_ir(case.function).body.walk()), \
        f"{case!r}: the function does not apply {case.prim.name}"
    df = grad(case.function, argnums=all_argnums(case))
    verify_ir(df.fn_ir)
    for point in case.points():
        for partial in df(*point):
            assert partial == 0.0 and type(partial) is float, f"{case!r} at {point}: {partial!r}"


def test_every_scalar_primitive_is_tested():
    """Nothing reachable from user code slips through both lists."""
    tested = {c.prim.name for c in CASES} | {c.prim.name for c in PIECEWISE_CONSTANT}
    expected = {p.name for p in REGISTRY
                if not (p.structured or p.hooks.get("copy") or p.hooks.get("internal"))}
    assert tested == expected


CALLABLES = [(prim, fn) for prim in REGISTRY for fn in prim.python]
CALLABLE_IDS = [f"{prim.name}:{fn.__module__}.{fn.__name__}" for prim, fn in CALLABLES]


@pytest.mark.parametrize("prim, fn", CALLABLES, ids=CALLABLE_IDS)
def test_python_callable_lowers_to_its_primitive(prim: Primitive, fn):
    params = ", ".join(NAMES[:arity(prim)])
    source = f"import {fn.__module__}\n\n\ndef f({params}):\n    return {fn.__module__}.{fn.__name__}({params})\n"
    f = load_module(source, f"callable_{prim.name}").f
    assert [eqn.prim for eqn in primal_ir(f).body.eqns] == [prim]


# --- conventions at kinks (documented in srcgrad/primitives/scalar.py) -----------

def absolute(x):
    return abs(x)


def float_absolute(x):
    return math.fabs(x)


def maximum(a, b):
    return max(a, b)


def minimum(a, b):
    return min(a, b)


@pytest.mark.parametrize("function", [absolute, float_absolute])
def test_abs_has_zero_derivative_at_zero(function):
    df = grad(function)
    assert df(0.0) == 0.0 and df(-0.0) == 0.0
    assert (df(2.0), df(-2.0)) == (1.0, -1.0)


@pytest.mark.parametrize("function", [maximum, minimum])
def test_tie_passes_derivative_to_the_argument_python_returns(function):
    a, b = float("1.0"), float("1.0")     # equal, but distinct objects
    builtin = max if function is maximum else min
    assert builtin(a, b) is a              # Python returns the first argument at a tie
    assert grad(function, argnums=(0, 1))(a, b) == (1.0, 0.0)


def test_max_and_min_away_from_ties():
    assert grad(maximum, argnums=(0, 1))(1.0, 2.0) == (0.0, 1.0)
    assert grad(maximum, argnums=(0, 1))(2.0, 1.0) == (1.0, 0.0)
    assert grad(minimum, argnums=(0, 1))(1.0, 2.0) == (1.0, 0.0)
    assert grad(minimum, argnums=(0, 1))(2.0, 1.0) == (0.0, 1.0)
