"""srcgrad.check_grads: numeric checks for users' test suites.

Good functions pass at both orders and in both modes; rules that are wrong
on purpose (at first or only at second order) raise AssertionError with a
message naming the check, the point, the direction and the argument.
"""
from __future__ import annotations

import math

import pytest

import srcgrad
from srcgrad import check_grads

from .test_verify import COURSE, all_args, f30, log_ratio, looped


def poly_point(f):
    return tuple(0.4 + 0.3 * k for k in range(len(all_args(f))))


@pytest.mark.parametrize("f", COURSE, ids=lambda f: f.__name__)
def test_course_examples_pass_to_second_order(f):
    check_grads(f, poly_point(f), order=2)


def test_the_30_operation_expression_passes():
    check_grads(f30, (0.3, -0.5, 0.7, 1.2), order=2, seed=3)


def test_control_flow_passes_and_int_arguments_are_not_perturbed():
    check_grads(looped, (0.3, 4), order=2)        # argnums default: the float arguments only


def wiggly(x):
    s = x
    for i in range(10, 0, -2):
        s = math.sin(s) * i + x
    return s


def test_a_wiggly_function_is_not_misjudged_by_its_finite_differences():
    """With the step fixed at 1e-3 the difference quotient is off by 25 %
    here; halving the step until it converges finds the true derivative."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        def exact(t):
            s = t
            for i in range(10, 0, -2):
                s = mpmath.sin(s) * i + t
            return s
        reference = float(mpmath.diff(exact, mpmath.mpf(0.3)))
    assert srcgrad.grad(wiggly)(0.3) == pytest.approx(reference, rel=1e-12)
    check_grads(wiggly, (0.3,), order=2)


def two_outputs(x, y):
    return math.sin(x) * y, x + y * y


def test_a_function_returning_a_tuple_is_checked_in_forward_mode():
    check_grads(two_outputs, (0.3, 0.8))
    with pytest.raises(ValueError, match="one number"):
        check_grads(two_outputs, (0.3, 0.8), order=2)


@srcgrad.primitive
def bad_exp(x):
    return math.exp(x)


@bad_exp.derivative
def _(x):
    return 2.0 * math.exp(x)          # wrong on purpose


def uses_bad_exp(x, y):
    return bad_exp(x) + y * y


@pytest.mark.parametrize("modes, which", [(("rev",), "reverse mode"), (("fwd",), "forward mode")])
def test_a_wrong_user_rule_raises_naming_the_argument(modes, which):
    with pytest.raises(AssertionError) as caught:
        check_grads(uses_bad_exp, (0.5, 1.5), modes=modes)
    text = str(caught.value)
    assert which in text and "direction" in text and "x=0.5, y=1.5" in text
    lines = {line.split(":")[0].strip(): line for line in text.splitlines() if line.startswith("    ")}
    assert "<-- differs" in lines["x"] and "<-- differs" not in lines["y"]
    # the expected partial is the true derivative, computed independently
    assert f"expected {math.exp(0.5):.6g}"[:14] in lines["x"]


@srcgrad.primitive
def my_cos(x):
    return math.cos(x)


@my_cos.derivative
def _(x):
    return math.sin(x)                # wrong on purpose: d cos = -sin


@srcgrad.primitive
def my_sin(x):
    return math.sin(x)


@my_sin.derivative
def _(x):
    return my_cos(x)                  # right, but its own derivative is wrong


def uses_my_sin(x, y):
    return my_sin(x) * y


def test_a_rule_wrong_only_at_second_order_is_caught_by_order_2():
    check_grads(uses_my_sin, (0.4, 1.1))                 # first order is right
    with pytest.raises(AssertionError, match="Hessian|grad of grad"):
        check_grads(uses_my_sin, (0.4, 1.1), order=2)


def test_argnums_by_name_and_position():
    check_grads(log_ratio, (0.4, 0.9), argnums="x2")
    check_grads(log_ratio, (0.4, 0.9), argnums=(0,))
    with pytest.raises(AssertionError):
        check_grads(uses_bad_exp, (0.5, 1.5), argnums="x")
    check_grads(uses_bad_exp, (0.5, 1.5), argnums="y")   # the wrong rule is not on y's path


def test_bad_options_are_refused():
    with pytest.raises(ValueError):
        check_grads(f30, (0.1, 0.2, 0.3, 0.4), order=3)
    with pytest.raises(ValueError):
        check_grads(f30, (0.1, 0.2, 0.3, 0.4), modes=("backward",))
