"""Issue 9, item 7: a finite derivative never raises; an infinite one is
handled one documented way for every rule.

* ``pow`` at zero bases and zero exponents, in every spelling (``**``,
  ``pow``, ``math.pow``), first and second order, against derivatives
  derived by hand (the limit along the real line, as JAX's rules give);
* infinite or undefined derivatives (``sqrt`` at 0, ``asin``/``acos`` at ±1,
  ``x ** 0.5`` at 0, ``acosh`` at 1, ``hypot`` at the origin, ``atan2`` at
  the origin): every rule either raises the same exception type, or every
  rule returns a non-finite number — never a finite number, never a
  different exception per rule — and README's "At kinks" says which;
* forward mode does not compute partials of inputs whose tangent is
  structurally zero (ints, arguments not differentiated), so ``jvp`` works
  where ``f`` and ``grad`` do.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from srcgrad import SrcGradError, grad, hessian, jvp, value_and_grad

from .adversarial_support import close, fd, load

MODULE = '''
import math


def power(x, y):
    return x ** y


def builtin_pow(x, y):
    return pow(x, y)


def math_pow(x, y):
    return math.pow(x, y)


def power_int(x, n):
    return x ** n


def cube(x):
    return x ** 3


def square_float(x):
    return x ** 2.0


def first_power(x):
    return x ** 1.0


def zeroth_power(x):
    return x ** 0.0


def zero_base(y):
    return 0.0 ** y


def scaled_power(x, y):
    return 3.0 * (x * 2.0) ** y + y


def sqrt_at(x):
    return math.sqrt(x)


def half_power(x):
    return x ** 0.5


def asin_at(x):
    return math.asin(x)


def acos_at(x):
    return math.acos(x)


def acosh_at(x):
    return math.acosh(x)


def cbrt_like(x):
    return x ** (1.0 / 3.0)


def hypot_x(x, y):
    return math.hypot(x, y)


def atan2_x(x, y):
    return math.atan2(x, y)
'''


@pytest.fixture(scope="module")
def mod():
    return load(MODULE, "kinks")


SPELLINGS = ["power", "builtin_pow", "math_pow"]


@pytest.mark.parametrize("name", SPELLINGS)
@pytest.mark.parametrize("x, y, dx, dy", [
    # hand-derived: d/dx x^y = y x^(y-1), d/dy x^y = x^y log x, with 0 * log 0 := 0 (x^y -> 0 faster)
    (0.0, 2.0, 0.0, 0.0),
    (0.0, 3.0, 0.0, 0.0),
    (0.0, 1.0, 1.0, 0.0),
    (0.0, 2.5, 0.0, 0.0),
    (2.0, 0.0, 0.0, math.log(2.0)),
    (-2.0, 2.0, -4.0, None),          # d/dy needs log of a negative base: only d/dx is asked
    (-1.5, 3.0, 6.75, None),
])
def test_power_derivatives_that_are_finite(mod, name, x, y, dx, dy):
    f = getattr(mod, name)
    assert close(grad(f, 0)(x, y), dx, rel=1e-12, abs_=1e-12)
    if dy is not None:
        assert close(grad(f, 1)(x, y), dy, rel=1e-12, abs_=1e-12)
        got = grad(f, argnums=(0, 1))(x, y)
        assert close(got[0], dx, rel=1e-12, abs_=1e-12) and close(got[1], dy, rel=1e-12, abs_=1e-12)
        value, _ = value_and_grad(f, argnums=(0, 1))(x, y)
        assert value == f(x, y)


@pytest.mark.parametrize("name", SPELLINGS)
def test_power_at_zero_zero(mod, name):
    f = getattr(mod, name)
    # hand-derived: 0.0 ** y is 0 for y > 0 and x ** 0.0 is 1 for every x: d/dx at (0, 0) is 0
    assert close(grad(f, 0)(0.0, 0.0), 0.0, abs_=0.0)
    assert close(jvp(f)((0.0, 0.0), (1.0, 0.0))[1], 0.0, abs_=0.0)


def test_power_second_order_at_zero(mod):
    # hand-derived: d2/dx2 x^3 = 6x = 0 at 0; d2/dx2 x^2 = 2; d2/dx2 x^1 = 0; d2/dx2 x^0 = 0
    assert grad(mod.cube, order=2)(0.0) == 0.0
    assert grad(mod.square_float, order=2)(0.0) == 2.0
    assert grad(mod.first_power, order=2)(0.0) == 0.0
    assert grad(mod.zeroth_power, order=2)(0.0) == 0.0
    assert hessian(mod.power, argnums=0)(0.0, 2.0) == 2.0
    assert hessian(mod.power, argnums=0)(0.0, 3.0) == 0.0


def test_zero_base_with_respect_to_the_exponent(mod):
    # 0.0 ** y = 0 for every y > 0: the derivative is 0 (not log(0) * 0)
    for y in (0.5, 1.0, 2.0, 7.0):
        assert grad(mod.zero_base)(y) == 0.0
    assert close(grad(mod.scaled_power, 1)(0.0, 2.0), 1.0, abs_=0.0)   # only the "+ y" term


def test_integer_exponent_with_negative_base_in_forward_mode(mod):
    # n is an int: its tangent is structurally zero, so log(x) must never be evaluated
    for x, n in ((-2.0, 3), (-0.5, 2), (-3.0, 1), (-1.0, 4)):
        want = n * x ** (n - 1)
        assert close(grad(mod.power_int)(x, n), want)
        primal, tangent = jvp(mod.power_int)((x, n), (1.0, 0))
        assert primal == mod.power_int(x, n)
        assert close(tangent, want)


def test_jvp_with_a_non_differentiated_float_argument(mod):
    # y is a float, but jvp's tangent for it is an int 0: a structural zero
    primal, tangent = jvp(mod.power)((-2.0, 2.0), (1.0, 0))
    assert primal == 4.0 and close(tangent, -4.0)


INFINITE = [("sqrt_at", (0.0,)), ("half_power", (0.0,)), ("asin_at", (1.0,)), ("asin_at", (-1.0,)),
            ("acos_at", (1.0,)), ("acos_at", (-1.0,)), ("acosh_at", (1.0,)), ("cbrt_like", (0.0,)),
            ("hypot_x", (0.0, 0.0)), ("atan2_x", (0.0, 0.0))]


def infinite_outcome(f, point) -> tuple[str, object]:
    try:
        value = grad(f)(*point)
    except SrcGradError:
        raise
    except Exception as exc:  # noqa: BLE001
        return "raises", type(exc)
    return "value", value


def test_infinite_derivatives_are_handled_one_way(mod):
    outcomes = {}
    for name, point in INFINITE:
        f = getattr(mod, name)
        f(*point)                        # the primal is fine there
        kind, what = infinite_outcome(f, point)
        if kind == "value":
            assert not math.isfinite(what), f"{name}{point}: finite derivative {what} where it is infinite"
        outcomes[f"{name}{point}"] = kind if kind == "value" else what
    kinds = set(outcomes.values())
    assert len(kinds) == 1, f"not one behaviour for infinite derivatives: {outcomes}"


def test_infinite_derivative_behaviour_is_the_same_in_forward_mode(mod):
    for name, point in INFINITE:
        f = getattr(mod, name)
        tangents = (1.0,) + (0.0,) * (len(point) - 1)
        reverse = infinite_outcome(f, point)
        try:
            forward = ("value", jvp(f)(point, tangents)[1])
        except Exception as exc:  # noqa: BLE001
            forward = ("raises", type(exc))
        assert forward[0] == reverse[0], f"{name}{point}: reverse {reverse}, forward {forward}"
        if forward[0] == "value":
            assert not math.isfinite(forward[1])


def test_readme_at_kinks_documents_infinite_derivatives():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = re.search(r"### At kinks\n(.*?)\n## ", readme, re.S)
    assert section, "README has no 'At kinks' section"
    text = section.group(1)
    assert "sqrt" in text and re.search(r"infinite|±inf|\binf\b", text), \
        "'At kinks' does not say what happens where the derivative is infinite"


@pytest.mark.parametrize("x", [0.0, -0.0])
def test_abs_and_fabs_at_zero_follow_the_documented_convention(x):
    mod = load("import math\ndef a(x):\n    return abs(x) * 3.0\ndef b(x):\n    return math.fabs(x) + x\n", "absk")
    # README: sign(x), 0 at x == 0
    assert grad(mod.a)(x) == 0.0
    assert grad(mod.b)(x) == 1.0


def test_finite_derivatives_near_the_kinks_match_finite_differences(mod):
    for name, x in (("sqrt_at", 1e-6), ("asin_at", 0.999), ("acosh_at", 1.001), ("half_power", 1e-4)):
        f = getattr(mod, name)
        h = 1e-3 * abs(x) if name != "asin_at" and name != "acosh_at" else 1e-6
        assert close(grad(f)(x), fd(f, (x,), 0, h), rel=1e-5)
