"""verify verifies what runs: the generated gradient against the user's function
object, path by path, saying what it could not check.

References are independent of srcgrad: derivatives written by hand, sympy's own
`diff`, and finite differences of the real function.  srcgrad's known ways of
misreading a function (a stale cache, a lying user rule) are simulated here by
monkeypatching or planted rules, so these tests do not depend on their fixes.
"""
from __future__ import annotations

import functools
import math
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad.verification.oracle import Oracle
from srcgrad.verification.report import MISMATCH, NUMERIC, PROVED, UNCHECKED

from .cli_samples import run_cli, write_sample
from .expr_trees import programs as expr_programs

THIS = sys.modules[__name__]


# --- a rule wrong on one branch region only ------------------------------------------------------

@srcgrad.primitive
def cube(x):
    return x ** 3


@cube.derivative
def _(x):
    return 3.0 * x ** 2 if x <= 5.0 else 2.0 * x ** 2     # wrong for x > 5 only


def uses_cube(x):
    return cube(x) + x


def test_a_rule_wrong_only_beyond_the_sampled_range_is_found_by_the_path_search():
    # the points given all have x <= 5: the search must reach the other side of the rule's `if`
    report = srcgrad.verify(uses_cube, at=[(0.5,), (1.5,), (-2.0,)])
    result = report["x"]
    assert result.status == MISMATCH and report.status == "mismatch" and not report.ok, str(report)
    bad = result.counterexample["at"]["x"]
    assert bad > 5.0
    expected = 3.0 * bad ** 2 + 1.0                       # by hand: d(x^3 + x)/dx
    shown = result.counterexample.get("sympy", result.counterexample.get("finite differences of f"))
    assert shown == pytest.approx(expected, rel=1e-6)
    assert result.counterexample["srcgrad"] == pytest.approx(2.0 * bad ** 2 + 1.0, rel=1e-12)
    assert len(result.path_results) == 2 and result.paths == 2
    with pytest.raises(srcgrad.VerificationError):
        report.raise_if_failed()


# --- a user rule that lies where sympy cannot look ----------------------------------------------

@srcgrad.primitive
def opaque_exp(x):
    try:                       # srcgrad cannot read this body: sympy sees an unknown function
        return math.exp(x)
    except OverflowError:
        return math.inf


@opaque_exp.derivative
def _(x):
    return 2.0 * math.exp(x)   # wrong everywhere


def uses_opaque_exp(x, y):
    return opaque_exp(x) * y


def test_a_wrong_rule_of_an_unreadable_primitive_is_caught_by_running_f():
    report = srcgrad.verify(uses_opaque_exp, argnums=(0, 1))
    result = report["x"]
    assert result.status == MISMATCH, str(report)
    point = result.counterexample["at"]
    by_hand = math.exp(point["x"]) * point["y"]
    assert result.counterexample["finite differences of f"] == pytest.approx(by_hand, rel=1e-6)
    assert result.counterexample["srcgrad"] == pytest.approx(2 * by_hand, rel=1e-12)
    assert "finite differences of f itself" in result.reason
    assert report["y"].ok                    # d/dy = opaque_exp(x) is right
    with pytest.raises(srcgrad.VerificationError, match="wrong gradient"):
        srcgrad.grad(uses_opaque_exp, verify=True)


# --- the gradient that runs is stale: the symbolic side cannot see it ---------------------------

SCALE = 3.0


def scaled(x):
    return SCALE * x * x


def test_a_gradient_made_before_a_module_constant_changed_is_a_mismatch(monkeypatch):
    stale = srcgrad.grad(scaled)
    monkeypatch.setattr(THIS, "SCALE", 10.0)
    report = srcgrad.verify(scaled, gradient=stale)
    result = report["x"]
    assert result.status == MISMATCH, str(report)
    x = result.counterexample["at"]["x"]
    assert result.counterexample["finite differences of f"] == pytest.approx(20.0 * x, rel=1e-6)
    assert result.counterexample["srcgrad"] == pytest.approx(6.0 * x, rel=1e-12)


def squared(x):
    return x * x


def cubed(x):
    return x * x * x


def test_a_misreading_shared_by_grad_and_the_proof_is_a_mismatch(monkeypatch):
    """srcgrad reading `cubed` as `squared` everywhere (as a stale cache did):
    the proof of the reading succeeds, running f shows the gradient wrong."""
    import srcgrad.api
    import srcgrad.transform
    import srcgrad.verification.driver as driver
    real = srcgrad.transform.primal_ir

    def misread(fun, registry=None):
        return real(squared if fun is cubed else fun, registry)

    for module in (srcgrad.api, srcgrad.transform, driver):
        monkeypatch.setattr(module, "primal_ir", misread)
    report = srcgrad.verify(cubed)
    result = report["x"]
    assert result.status == MISMATCH, str(report)
    x = result.counterexample["at"]["x"]
    assert result.counterexample["finite differences of f"] == pytest.approx(3 * x * x, rel=1e-6)
    assert all(p.status == MISMATCH for p in result.path_results)


# --- what cannot be checked is never ok ----------------------------------------------------------

def far_branch(x):
    if x > 1e9:                 # beyond any point the search tries
        return 3.0 * x
    return x * x


def impossible_branch(x):
    if x * x < -1.0:            # no point takes it
        return 5.0 * x
    return math.sin(x)


@pytest.mark.parametrize("f", [far_branch, impossible_branch])
def test_a_branch_no_point_reaches_is_not_checked(f):
    report = srcgrad.verify(f)
    result = report["x"]
    assert result.status == UNCHECKED and report.status == "unchecked" and not report, str(report)
    assert result.unreached and "= True" in result.unreached[0] and result.searched > 0
    assert "not checked" in str(report) and "reached" in result.reason
    with pytest.raises(srcgrad.VerificationError, match="could not check"):
        report.raise_if_failed()
    with pytest.raises(srcgrad.VerificationError):
        srcgrad.grad(f, verify=True)


def exact_tie(x):
    if x == 2.5:                # an equality: its True side is a set of measure zero
        return 0.0
    return x * x


def test_the_side_of_an_equality_test_is_measure_zero_not_unchecked():
    report = srcgrad.verify(exact_tie)
    assert report["x"].status == PROVED, str(report)
    assert report["x"].measure_zero and not report["x"].unreached
    assert "measure zero" in str(report)


def both_sides(x, y):
    if x > y:
        return x * x * y
    return math.sin(y) * x


def test_every_path_found_is_judged_and_shown():
    report = srcgrad.verify(both_sides, argnums=(0, 1))
    for result in report:
        assert result.status == PROVED and result.paths == 2, str(report)
        assert [p.status for p in result.path_results] == [PROVED, PROVED]
        assert result.compared > 0
    assert report.status == "proved" and report.ok


def clipped(x):
    return max(x, 5.0) * 2.0


def test_flat_samples_are_not_evidence():
    # without a proof, agreement where every partial is zero proves nothing
    report = srcgrad.verify(clipped, time_budget=0.0, at=[(0.5,), (1.0,), (-2.0,)])
    result = report["x"]
    assert result.status == UNCHECKED and "proves nothing" in result.reason, str(report)
    assert result.flat == 3 and result.compared == 0
    assert srcgrad.verify(clipped)["x"].status == PROVED      # the proof itself is evidence


# --- no false mismatches at large magnitudes, no crash on sympy's nan ------------------------------

def big_exp(x):
    return math.exp(x)


def big_cube(x):
    return 1e8 * x ** 3


def big_mixed(x, y):
    return math.exp(x) * y + 1e8 * x ** 3


def big_product(x):
    return math.exp(x) * 1e8 * x ** 3


@pytest.mark.parametrize("f, at", [(big_exp, [(17.0,), (17.3,), (16.9,)]),
                                   (big_cube, [(0.3,), (0.2846,), (1e3,)]),
                                   (big_mixed, [(17.0, 3.0), (-16.5, 1e-3), (0.29, -2.0)]),
                                   (big_product, [(17.0,), (16.5,), (-2.0,)])])
@pytest.mark.parametrize("budget", [0.0, 5.0])
def test_large_magnitudes_agree(f, at, budget):
    n = f.__code__.co_argcount
    report = srcgrad.verify(f, argnums=tuple(range(n)), at=at, time_budget=budget)
    assert report.ok, str(report)
    # without time for a proof, only sides built identical are proved; the rest is compared
    assert all(r.status in (PROVED, NUMERIC) for r in report), str(report)
    assert all(r.points == len(at) for r in report if r.status == NUMERIC), str(report)
    assert report["x"].compared == len(at)


def hypot_of_nothing(x):
    z = x - x                   # sympy reads hypot(0, 0): its derivative is nan there
    return math.hypot(z, z) + x


def plain_hypot(x, y):
    return math.hypot(x, y)


def test_sympy_nan_does_not_crash_verify():
    report = srcgrad.verify(hypot_of_nothing)
    assert report.status in ("unchecked", "agreed", "proved", "mismatch")
    assert "d/dx" in str(report)
    at_origin = srcgrad.verify(plain_hypot, argnums=(0, 1), at=[(0.0, 0.0), (3.0, 4.0)])
    assert at_origin.ok, str(at_origin)
    assert at_origin["x"].compared == 1          # the origin is a kink: not compared, not failed


# --- the oracle itself: no false alarms, no missed errors ---------------------------------------

SMOOTH = [
    (lambda x: math.exp(x), lambda x: math.exp(x)),
    (lambda x: 1e8 * x ** 3, lambda x: 3e8 * x ** 2),
    (lambda x: math.sin(3 * x) * 1e12 + x, lambda x: 3e12 * math.cos(3 * x) + 1),
    (lambda x: math.log(x * x + 1.0) * 1e-20, lambda x: 2e-20 * x / (x * x + 1.0)),
    (lambda x: math.atan(x) + 1e10, lambda x: 1.0 / (1.0 + x * x)),
]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(range(len(SMOOTH))), st.floats(-30.0, 30.0, allow_nan=False))
def test_the_oracle_agrees_with_right_gradients_and_catches_wrong_ones(which, x):
    f, df = SMOOTH[which]
    right = Oracle(f, df, (0,)).at((x,))[0]
    assert not right.mismatch, (x, right)
    wrong = Oracle(f, lambda t: 1.01 * df(t), (0,)).at((x,))[0]
    if right.agreed:            # wherever the partial is resolved, a 1% error is caught
        assert wrong.mismatch, (x, wrong)


@pytest.mark.parametrize("x", [36020.63525646247, 1e4 + 0.5, -2.5e4])
def test_the_oracle_does_not_take_an_aliased_limit_for_a_mismatch(x):
    # cos(x * x) oscillates with period ~3/x: wide steps average it away into
    # a converged-looking 2x; the right partial must never be called wrong
    def f(t):
        return t * t + math.cos(t * t)

    def df(t):
        return 2 * t - 2 * t * math.sin(t * t)
    assert not Oracle(f, df, (0,)).at((x,))[0].mismatch
    wrong = Oracle(f, lambda t: 2 * t, (0,)).at((x,))[0]        # the aliased value itself
    assert wrong.mismatch or wrong.skipped


@pytest.mark.parametrize("f, x", [(abs, 0.0), (lambda t: 1.0 if t > 0 else 0.0, 0.0),
                                  (lambda t: max(t, 1.0) * 3.0, 1.0), (math.floor, 2.0)])
def test_the_oracle_skips_points_where_f_is_not_smooth(f, x):
    outcome = Oracle(f, lambda t: 123.0, (0,)).at((x,))[0]
    assert outcome.skipped == 1 and not outcome.mismatch


# --- check_grads at large magnitudes --------------------------------------------------------------

@pytest.mark.parametrize("f, args", [(big_exp, (17.0,)), (big_cube, (0.3,)), (big_cube, (1e3,)),
                                     (big_mixed, (17.0, 1e-8)), (big_mixed, (-16.5, 3.0))])
def test_check_grads_has_no_false_mismatch_at_large_magnitudes(f, args):
    srcgrad.check_grads(f, args, order=2)


def test_check_grads_compares_with_the_real_function():
    with pytest.raises(AssertionError):
        srcgrad.check_grads(uses_opaque_exp, (0.7, 1.3))


# --- the command line: exit status per verdict ------------------------------------------------------

CLI_SOURCE = '''\
import math


def good(x):
    return math.sin(x) * x


def far(x):
    if x > 1e9:
        return 3.0 * x
    return x * x
'''


@pytest.mark.parametrize("name, status", [("good", 0), ("far", 3)])
def test_verify_exit_status(tmp_path, name, status):
    path = write_sample(tmp_path, "verify_sample.py", CLI_SOURCE)
    code, out, err = run_cli("verify", f"{path}:{name}")
    assert code == status, out + err
    assert ("not checked" in out) == (status == 3)


# --- a rule wrong only far away, through a kink instead of a branch --------------------------------

@srcgrad.primitive
def quartic(x):
    return x ** 4


@quartic.derivative
def _(x):
    return 4.0 * x ** 3 + max(0.0, x - 5.0)     # wrong for x > 5 only, with no `if` to find


def uses_quartic(x):
    return quartic(x) * 0.5


def test_a_rule_wrong_only_far_from_the_sampling_domain_is_compared_there():
    report = srcgrad.verify(uses_quartic, time_budget=0.5)     # no proof: the numbers decide
    result = report["x"]
    assert result.status == MISMATCH, str(report)
    x = result.counterexample["at"]["x"]
    assert x > 5.0
    reference = result.counterexample.get("sympy", result.counterexample.get("finite differences of f"))
    assert reference == pytest.approx(2.0 * x ** 3, rel=1e-6)          # by hand: d(x^4 / 2)/dx


# --- random correct programs: never a mismatch ------------------------------------------------------

@settings(max_examples=8, deadline=None)
@given(expr_programs())
def test_verify_never_reports_a_mismatch_for_a_right_gradient(program):
    """srcgrad's gradients of these are right (tests/test_hypothesis_expr.py
    checks them against sympy): wide sample points, large magnitudes and
    ill-conditioned points must not make verify claim otherwise."""
    report = srcgrad.verify(program.function, argnums=tuple(range(len(program.symbols))),
                            time_budget=0.5, points=4)
    assert report.status != "mismatch", str(report)


# --- a wrapper that changes the result: never certified ----------------------------------------------

def doubling(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return 2.0 * fn(*args)
    return wrapper


@doubling
def doubled_square(x):
    return x * x


def test_a_wrapper_that_changes_the_result_is_refused_or_a_mismatch():
    """srcgrad may refuse the wrapper (it cannot read it) or misread it as
    the function it wraps; verify, running the wrapper itself, must then
    find the gradient wrong (2x where Python's function has slope 4x)."""
    try:
        report = srcgrad.verify(doubled_square)
    except srcgrad.SrcGradError:
        return
    result = report["x"]
    assert result.status == MISMATCH, str(report)
    x = result.counterexample["at"]["x"]
    assert result.counterexample["finite differences of f"] == pytest.approx(4.0 * x, rel=1e-6)


def inner(x):
    return math.sin(x) * x


d_inner = srcgrad.grad(inner)


def penalty(x):
    return 2.0 * d_inner(x)            # a gradient used inside a differentiated function


def test_verify_judges_a_transform_inside_a_function_as_it_really_is():
    """Whatever srcgrad makes of `penalty`, verify's verdict must match the
    truth: d/dx 2 (sin x + x cos x) = 2 (2 cos x - x sin x), by hand."""
    try:
        gradient = srcgrad.grad(penalty)
    except srcgrad.SrcGradError:
        return
    report = srcgrad.verify(penalty, gradient=gradient)
    xs = (0.3, 1.1, -0.7)
    right = all(gradient(x) == pytest.approx(2 * (2 * math.cos(x) - x * math.sin(x)), rel=1e-9) for x in xs)
    assert (report.ok if right else report.status == MISMATCH), str(report)
