"""srcgrad.verify: gradients proved against sympy's own derivative.

References are independent of srcgrad: sympy's `diff` of expressions written
here by hand, and wrong rules planted on purpose, which must be caught.
"""
from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import time

import pytest
import sympy

import srcgrad
from srcgrad.ir.builder import Builder
from srcgrad.ir.core import REAL, Function, Region, Var
from srcgrad.primitives import REGISTRY, Primitive, control
from srcgrad.primitives.core import Choices
from srcgrad.verification import VerificationReport
from srcgrad.verification.budget import Workers
from srcgrad.verification.report import MISMATCH, NUMERIC, PROVED, UNCHECKED
from srcgrad.verification.symbolic import exact_constant

from benchmarks.bench_core import f30

from . import ad_examples
from .ad_examples import softplus
from .primitive_cases import arity


# --- the course examples and the 30-operation expression --------------------------------------


def course_sin2(x):
    return math.sin(2 * x)


# tests/ad_examples.py has the others, each with the same function written in sympy
COURSE = [example.function for example in ad_examples.COURSE] + [course_sin2]
SYMPY = {example.function: example.sympy for example in ad_examples.COURSE}
SYMPY[course_sin2] = lambda x: sympy.sin(2 * x)
log_exp, log_ratio, log_squared, product_squared = (ad_examples.log_exp, ad_examples.log_ratio,
                                                    ad_examples.log_squared, ad_examples.product_squared)


def all_args(f):
    return tuple(range(f.__code__.co_argcount))


@pytest.mark.parametrize("f", COURSE, ids=lambda f: f.__name__)
def test_course_examples_are_proved(f):
    report = srcgrad.verify(f, argnums=all_args(f))
    assert report.ok and bool(report)
    assert [r.status for r in report] == [PROVED] * len(all_args(f)), str(report)
    # what the report shows as sympy's derivative is that of the hand-written sympy function
    symbols = sympy.symbols(" ".join(f.__code__.co_varnames[:len(all_args(f))]), real=True, seq=True)
    for result, wrt in zip(report, symbols):
        shown = sympy.sympify(result.reference, locals={s.name: s for s in symbols})
        assert sympy.simplify(shown - sympy.diff(SYMPY[f](*symbols), wrt)) == 0


def test_report_api():
    report = srcgrad.verify(log_exp, argnums=(0, 1))
    assert report["x"] is report[0] and report.ok and bool(report["y"])
    assert "d/dx: proved" in str(report) and "d/dy: proved" in str(report)


def test_the_30_operation_expression_verifies():
    start = time.perf_counter()
    report = srcgrad.verify(f30, argnums=(0, 1, 2, 3))
    elapsed = time.perf_counter() - start
    assert report.ok, str(report)
    print(f"\nverify(f30, argnums=(0, 1, 2, 3)): {elapsed:.2f} s")   # reported, not asserted


# --- every primitive of the registry ----------------------------------------------------


def _checked(prim: Primitive) -> bool:
    return not (prim.structured or prim.piecewise_constant or prim.hooks.get("internal")
                or prim.partials is None)


@pytest.mark.parametrize("prim", [p for p in REGISTRY if _checked(p)], ids=lambda p: p.name)
def test_every_primitive_is_proved(prim):
    """``f(x0, ...) = prim(x0, ...)`` built as IR: each derivative rule is
    proved equal to sympy's derivative of the declared sympy counterpart."""
    assert prim.sympy is not None, f"{prim.name} declares no sympy counterpart"
    domains = [prim.arg_domain(i) for i in range(arity(prim))]
    params = tuple(Var(hint=f"x{i}", kind=d.kind if isinstance(d, Choices) else REAL)
                   for i, d in enumerate(domains))
    b = Builder()
    out = b.apply(prim, *params)
    fn = Function(prim.name, tuple(p.hint for p in params), Region(params, tuple(b.eqns), (out,)))
    moving = tuple(i for i, d in enumerate(domains) if not isinstance(d, Choices))
    report = srcgrad.verify(fn, argnums=moving)
    assert [r.status for r in report] == [PROVED] * len(moving), str(report)


# --- catching wrong rules ---------------------------------------------------------------------


@srcgrad.primitive
def my_sin(x):
    return math.sin(x)


@my_sin.derivative
def _(x):
    return -math.cos(x)          # wrong on purpose: d sin = +cos


def uses_my_sin(x, y):
    return my_sin(x * y) + y


def uses_softplus(x, w):
    return softplus(w * x) * w          # a user primitive with a right rule


def test_a_wrong_user_rule_is_a_mismatch_naming_the_argument():
    report = srcgrad.verify(uses_my_sin, argnums=(0, 1))
    assert not report and not report.ok
    x, y = sympy.symbols("x y", real=True)
    for name, wrt in (("x", x), ("y", y)):
        result = report[name]
        assert result.status == MISMATCH
        assert sympy.sympify(result.reference, locals={"x": x, "y": y}) == sympy.diff(sympy.sin(x * y) + y, wrt)
        planted = sympy.diff(-sympy.sin(x * y) + y, wrt)                  # the rule says -cos
        assert sympy.sympify(result.generated, locals={"x": x, "y": y}) == planted
        point = result.counterexample["at"]
        assert set(point) == {"x", "y"}
        assert result.counterexample["sympy"] == pytest.approx(
            float(sympy.diff(sympy.sin(x * y) + y, wrt).subs({x: point["x"], y: point["y"]})))
    text = str(report)
    assert "d/dx: MISMATCH" in text and "sympy:" in text and "srcgrad:" in text


def test_a_right_user_rule_is_proved_through_its_python_body():
    report = srcgrad.verify(uses_softplus, argnums=(0, 1))
    assert [r.status for r in report] == [PROVED, PROVED], str(report)


def _registry_with(name, partials):
    registry = REGISTRY.copy()
    registry.replace(dataclasses.replace(REGISTRY[name], partials=partials))
    return registry


def test_a_broken_builtin_rule_in_a_registry_copy_is_a_mismatch():
    registry = _registry_with("sin", lambda b, x, out: (b.sin(x),))     # d sin = sin: wrong
    report = srcgrad.verify(course_sin2, registry=registry)
    result = report["x"]
    assert result.status == MISMATCH
    x = sympy.Symbol("x", real=True)
    assert sympy.sympify(result.reference, locals={"x": x}) == sympy.diff(sympy.sin(2 * x), x)
    assert sympy.sympify(result.generated, locals={"x": x}) == 2 * sympy.sin(2 * x)
    assert "d/dx: MISMATCH" in str(report)
    assert srcgrad.verify(course_sin2).ok        # the real registry is untouched


def test_a_broken_product_rule_is_caught_for_one_argument_only():
    registry = _registry_with("mul", lambda b, x, y, out: (y, y))         # d(x*y)/dy = y: wrong
    report = srcgrad.verify(product_squared, argnums=(0, 1), registry=registry)
    assert report["x"].status == PROVED and report["y"].status == MISMATCH, str(report)


def test_grad_with_verify_raises_for_a_wrong_rule_and_passes_for_good_ones():
    with pytest.raises(srcgrad.VerificationError) as caught:
        srcgrad.grad(uses_my_sin, verify=True)
    assert "MISMATCH" in str(caught.value) and "uses_my_sin" in str(caught.value)
    for f in (log_exp, log_ratio):
        df = srcgrad.grad(f, argnums=(0, 1), verify=True)
        assert df(0.7, 1.3) == pytest.approx(srcgrad.grad(f, argnums=(0, 1))(0.7, 1.3))
    d2 = srcgrad.grad(log_squared, order=2, verify=True)    # verifies grad of grad too
    assert d2(1.5) == pytest.approx((2 - 2 * math.log(1.5)) / 1.5 ** 2)


# --- numeric fallback, kinks, what cannot be checked -----------------------------------------


def test_without_time_for_a_proof_the_report_is_numeric():
    report = srcgrad.verify(f30, argnums=(0, 3), time_budget=0.0, points=5)
    for result in report:
        assert result.status == NUMERIC, str(report)
        # the 5 points asked for, and wider ones (any sign and magnitude) beside them
        assert result.points >= 5 and result.max_rel_error < 1e-12
    assert report.ok and "agrees numerically" in str(report)


def kinks(x, y):
    return max(x, y) * abs(x) + min(x * y, 1.0)


def test_kinks_are_proved_except_on_measure_zero_sets():
    report = srcgrad.verify(kinks, argnums=(0, 1))
    for result in report:
        assert result.status == PROVED and result.method == "piecewise", str(report)
        assert "x - y = 0" in result.except_on


@srcgrad.primitive
def guarded_exp(x):
    try:                      # srcgrad cannot read this body
        return math.exp(x)
    except OverflowError:
        return math.inf


@guarded_exp.derivative
def _(x):
    return math.exp(x)


def uses_guarded_exp(x, y):
    return guarded_exp(x) * y


def test_an_unreadable_primitive_body_is_only_compared_with_finite_differences_of_f():
    report = srcgrad.verify(uses_guarded_exp, argnums=(0, 1))
    # sympy cannot read guarded_exp: no proof, but the gradient that runs agrees with f itself
    result = report["x"]
    assert result.status == NUMERIC and "guarded_exp" in result.reason, str(report)
    assert "finite differences of f" in result.reason and result.compared > 0
    assert report["y"].status == PROVED            # d/dy = guarded_exp(x) on both sides
    assert report.status == "agreed" and report.ok


def logs(x):
    return math.log2(x) + math.log10(x) + math.erf(x) + x % 1.5


def test_float_constants_in_rules_are_read_exactly_and_reported():
    report = srcgrad.verify(logs)
    assert report["x"].status == PROVED, str(report)
    assert report.readings[math.log(2.0)] == "log(2)"
    assert "float constants read exactly" in str(report)


@pytest.mark.parametrize("value, reading", [(0.1, sympy.Rational(1, 10)), (2.0, sympy.Integer(2)),
                                            (math.log(10.0), sympy.log(10)), (math.pi / 180, sympy.pi / 180),
                                            (2 / math.sqrt(math.pi), 2 / sympy.sqrt(sympy.pi))])
def test_exact_constant_readings(value, reading):
    assert exact_constant(value)[0] == reading
    assert float(reading) == value


def test_an_arbitrary_float_is_not_misread():
    value = 0.7234567890123457
    reading, _ = exact_constant(value)
    assert float(reading) == value and isinstance(reading, sympy.Float)


# --- control flow: path by path ---------------------------------------------------------------


def branchy(x, y):
    if x > y:
        z = x * x
    else:
        z = math.sin(y) * x
    return z


def looped(x, n):
    for i in range(n):
        x = math.sin(x) * 1.1 + 0.1 * x * i
    return x


def doubling(x):
    while x < 10.0:
        x = x * 2.0 + 0.5
    return x


def test_branches_are_proved_path_by_path():
    report = srcgrad.verify(branchy, argnums=(0, 1), at=[(1.0, 0.5), (0.2, 0.9), (2.0, -1.0)])
    for result in report:
        assert result.status == PROVED and result.paths == 2, str(report)


def test_loops_are_proved_path_by_path():
    report = srcgrad.verify(looped, at=[(0.3, 0), (0.4, 2), (-0.5, 3), (1.2, 3)])
    assert report["x"].status == PROVED and report["x"].paths == 3, str(report)
    report = srcgrad.verify(doubling, at=[(0.3,), (1.0,), (7.0,)])
    assert report["x"].status == PROVED, str(report)
    x = sympy.Symbol("x", real=True)
    assert "[while_loop" in report["x"].reference and str(sympy.diff(8 * x, x)) in report["x"].reference


def test_a_wrong_rule_inside_a_loop_is_caught_on_its_path():
    registry = _registry_with("sin", lambda b, x, out: (b.neg(b.cos(x)),))
    report = srcgrad.verify(looped, registry=registry, at=[(0.3, 0), (0.4, 2)])
    assert report["x"].status == MISMATCH and "for_range" in report["x"].reason, str(report)


def iterated(x):
    for _ in range(30):
        x = math.sin(x) * 1.1 + 0.1 * x
    return x


def test_a_path_too_large_for_sympy_is_compared_with_a_numerical_derivative():
    report = srcgrad.verify(iterated, points=3)
    result = report["x"]
    assert result.status == NUMERIC and "too large for sympy" in result.reason, str(report)
    assert result.points >= 3 and result.max_rel_error < 1e-15
    registry = _registry_with("sin", lambda b, x, out: (b.neg(b.cos(x)),))
    assert srcgrad.verify(iterated, points=3, registry=registry)["x"].status == MISMATCH


def test_control_flow_without_a_trace_hook_is_never_proved(monkeypatch):
    monkeypatch.delitem(control.COND.hooks, "trace", raising=False)
    report = srcgrad.verify(branchy, argnums=(0, 1))
    for result in report:
        assert result.status == UNCHECKED and "'cond' has no 'trace' hook" in result.reason, str(report)
    assert not report


# --- the package itself -------------------------------------------------------------------------


def test_import_srcgrad_does_not_import_sympy_or_mpmath():
    code = ("import sys, srcgrad\n"
            "srcgrad.check_grads\n"
            "assert 'sympy' not in sys.modules and 'mpmath' not in sys.modules, 'imported'\n"
            "report = srcgrad.verify\n"     # the function: sympy waits for its first call
            "assert 'sympy' not in sys.modules, 'verify imported sympy before use'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(__import__("pathlib").Path(__file__).parents[1]))


def test_the_report_type_is_exported():
    assert srcgrad.VerificationReport is VerificationReport
    assert isinstance(srcgrad.verify(course_sin2), VerificationReport)
    assert srcgrad.verify is srcgrad.verification.verify and callable(srcgrad.verify)


def test_a_proof_that_never_ends_is_stopped_at_the_deadline():
    start = time.perf_counter()
    outcomes = Workers({"slow": lambda note: time.sleep(60), "fast": lambda note: 42}, 0.5).collect()
    assert time.perf_counter() - start < 5
    assert not outcomes["slow"].finished
    assert outcomes["fast"].finished and outcomes["fast"].result == 42
