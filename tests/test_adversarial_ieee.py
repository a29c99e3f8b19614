"""Issue 9, item 6 and "the value part behaves as f does": the value returned
by ``value_and_grad`` and ``jvp`` equals ``f(*args)`` bit for bit — signed
zeros, infinities and nans through every algebraic simplification — and
raises the same exception type where ``f`` raises (dead code, overflow of
``x ** 2``, domain errors).  Derivatives at ordinary finite points are
checked against finite differences, so no simplification may change them.
"""
from __future__ import annotations

import math

import pytest

from srcgrad import jvp, value_and_grad

from .adversarial_support import MATH_ERRORS, close, fd, load, outcome

MODULE = '''
import math

NEG = -1.0
ZERO = 0.0
NZERO = -0.0


def times_zero(x, y):
    return math.atan2(x * 0.0, y)


def zero_times(x, y):
    return math.atan2(0.0 * x, y)


def plus_zero(x, y):
    return math.atan2(x + 0.0, y)


def minus_zero(x, y):
    return math.atan2(x - 0.0, y) + (y - 0.0)


def plus_negzero(x, y):
    return math.atan2(x + -0.0, y)


def zero_minus(x, y):
    return math.atan2(0.0 - x, y)


def negated_difference(x, y):
    return math.atan2(-(x - y), -1.0)


def times_one(x, y):
    return math.atan2(x * 1.0, y) + y / 1.0


def self_difference(x, y):
    return (x - x) + y


def self_ratio(x, y):
    return x / x + y


def const_times_zero(x, y):
    return math.atan2(NEG * ZERO * x, y)


def const_folded(x, y):
    return math.atan2(NZERO + ZERO * NEG, y) + x


def square_overflow(x, y):
    return x ** 2 + y


def power_two_float(x, y):
    return x ** 2.0 * y


def power_half(x, y):
    return x ** 0.5 + y


def power_one(x, y):
    return math.atan2(x ** 1, y)


def power_zero(x, y):
    return x ** 0 + y


def double_negation(x, y):
    return math.atan2(-(-x), y)


def sub_of_sum(x, y):
    return (x + y) - y


def product_of_negatives(x, y):
    return math.atan2((-x) * (-y), -1.0)


def dead_domain_error(x, y):
    unused = math.acosh(x)
    return x * y


def dead_overflow(x, y):
    big = math.exp(x * 1000.0)
    return y * 2.0


def dead_division(x, y):
    ratio = y / x
    return x + y


def dead_in_branch(x, y):
    if y > 0.0:
        wasted = math.log(x)
        return y * y
    return x * y


def min_max_zero(x, y):
    return math.atan2(max(x, 0.0), y) + math.atan2(min(x, -0.0), y)


def abs_negzero(x, y):
    return math.atan2(abs(x) * -1.0, y)


def sum_of_zero_terms(x, y):
    s = 0.0
    for c in (1.0, 2.0):
        s = s + c * x * 0.0
    return math.atan2(s, y)


def mul_by_minus_one(x, y):
    return math.atan2(-1.0 * x, y)


def divide_by_minus_one(x, y):
    return math.atan2(x / -1.0, y)
'''

NAMES = [line.split("(")[0][4:] for line in MODULE.splitlines() if line.startswith("def ")]
SPECIAL = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 1e200, -1e200, 1e308, -2.0, 3.0]
PAIRS = [(x, y) for x in SPECIAL for y in (-1.0, 0.0, -0.0, 2.0, math.inf)]


@pytest.fixture(scope="module")
def mod():
    return load(MODULE, "ieee")


def derivative_raises(f, x: float, y: float) -> bool:
    """True where srcgrad's gradient itself raises (an infinite or undefined
    derivative, "At kinks"): the value part cannot be observed there."""
    from srcgrad import grad
    return outcome(grad(f, argnums=(0, 1)), x, y)[0] == "raises"


def value_part(transform):
    def run(f, x, y):
        return transform(f)(x, y)[0] if transform is value_and_grad else jvp(f)((x, y), (1.0, 0.5))[0]
    return run


@pytest.mark.parametrize("transform", [value_and_grad, jvp], ids=["value_and_grad", "jvp"])
@pytest.mark.parametrize("name", NAMES)
def test_value_part_is_f_bit_for_bit(mod, name, transform):
    f = getattr(mod, name)
    run = value_part(transform)
    bad = []
    for x, y in PAIRS:
        want = outcome(f, x, y)
        if want[0] == "value" and isinstance(want[1], complex):
            continue     # Python's complex results (negative ** 0.5) are outside srcgrad's reals
        got = outcome(lambda a, b: run(f, a, b), x, y)
        if got[0] == "raises" and want[0] == "value" and derivative_raises(f, x, y):
            continue     # no derivative there (atan2 at the origin): raising is a documented choice
        if got != want:
            bad.append(f"f({x!r}, {y!r}): Python gives {want}, srcgrad's value part gives {got}")
    assert not bad, "\n".join(bad[:8])


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_at_ordinary_points(mod, name):
    from srcgrad import grad
    f = getattr(mod, name)
    for point in [(0.7, 1.3), (-1.6, 0.4), (2.5, -0.9)]:
        try:
            if not isinstance(f(*point), float):
                continue          # a complex result: outside srcgrad's reals
        except MATH_ERRORS:
            continue
        want = (fd(f, point, 0, 1e-4), fd(f, point, 1, 1e-4))
        got = grad(f, argnums=(0, 1))(*point)
        for g, w in zip(got, want):
            assert close(g, w, rel=1e-6, abs_=1e-7), f"{name}{point}: {got} vs {want}"


def test_the_issue_signed_zero_example_family(mod):
    # hand-derived: atan2(-0.0, -1.0) = -pi but atan2(+0.0, -1.0) = +pi
    assert value_and_grad(mod.times_zero)(-2.0, -1.0)[0] == -math.pi
    # 0.0 - 0.0 is +0.0 in IEEE arithmetic (where -x would be -0.0): +pi
    assert value_and_grad(mod.zero_minus)(0.0, -1.0)[0] == math.pi
    assert value_and_grad(mod.negated_difference)(1.5, 1.5)[0] == -math.pi
    assert jvp(mod.plus_negzero)((-0.0, -1.0), (1.0, 0.0))[0] == -math.pi


def test_overflow_is_an_overflow_error_not_inf(mod):
    with pytest.raises(OverflowError):
        mod.square_overflow(1e200, 0.0)
    with pytest.raises(OverflowError):
        value_and_grad(mod.square_overflow)(1e200, 0.0)
    with pytest.raises(OverflowError):
        jvp(mod.square_overflow)((1e200, 0.0), (1.0, 0.0))


@pytest.mark.parametrize("name, point, error", [("dead_domain_error", (0.5, 1.0), ValueError),
                                                ("dead_overflow", (1.0, 1.0), OverflowError),
                                                ("dead_division", (0.0, 1.0), ZeroDivisionError),
                                                ("dead_in_branch", (-1.0, 1.0), ValueError)])
def test_dead_code_still_raises(mod, name, point, error):
    f = getattr(mod, name)
    with pytest.raises(error):
        f(*point)
    with pytest.raises(error):
        value_and_grad(f)(*point)
    with pytest.raises(error):
        jvp(f)(point, (1.0, 1.0))
