"""User-style functions, the course examples among them, and the public API.

Every gradient is checked against a derivative worked out by hand (written
as plain Python, ``<function>_grad``) and against fourth-order central finite
differences; every generated IR passes `verify_ir`.  The course examples and
a few more are the inputs of the golden tests too, so they live in
`tests/golden_cases.py`; the rest are defined here.  The API tests pin the
JAX-style calling conventions: argnums by position, name, tuple or negative
index, keyword arguments and defaults, `value_and_grad`'s ``(value, (dx,
dy))``, and the metadata a decorator keeps.
"""
from __future__ import annotations

import inspect
import math
import math as m
import subprocess
import sys
from dataclasses import dataclass
from math import log, sin
from pathlib import Path
from typing import Callable

import pytest

import srcgrad
from srcgrad import ArgumentError, SrcGradError, grad, value_and_grad
from srcgrad.ir import verify_ir

from .ad_support import assert_close
from .golden_cases import (augmented, linear_model_loss, linear_model_loss_primitive, log_exp, log_ratio,
                           log_squared, many_uses, min_max_abs, partly_inactive, polynomial, product_squared,
                           sin_double, swap)
from .reference import central_difference

SCALE = 1.5
# srcgrad against a hand-derived formula: both are a few float operations.
HAND_REL, HAND_ABS = 1e-9, 1e-12
# srcgrad against fourth-order central differences (truncation ~h**4).
FD_REL, FD_ABS = 1e-6, 1e-8


# --- the course examples (in golden_cases): gradients by hand --------------------

def polynomial_grad(a, b, c):
    s = a * a + b * b + c * c
    return (2*b*c*s + 4*a*a*b*c, 2*a*c*s + 4*a*b*b*c, 2*a*b*s + 4*a*b*c*c)


def log_ratio_grad(x1, x2):
    top, d = math.log(x1 * x2 * (x1 + x2)), x1 - x2
    return ((1 / x1 + 1 / (x1 + x2)) / d**2 - 2 * top / d**3,
            (1 / x2 + 1 / (x1 + x2)) / d**2 + 2 * top / d**3)


def log_exp_grad(x, y):
    outer = 1 / (x * y) + math.exp(x * y)
    return (outer * y, outer * x)


def sin_double_grad(x):
    return (2 * math.cos(2 * x),)


@srcgrad.primitive
def sigmoid_explicit_rule(t):
    return 1 / (1 + math.exp(-t))


@sigmoid_explicit_rule.derivative
def _(t):
    e = math.exp(-t)
    return e / (1 + e) ** 2


def loss_explicit_rule_sigmoid(x1, x2, w1, w2, b):
    return -math.log(sigmoid_explicit_rule(x1*w1 + x2*w2 + b))


def linear_model_loss_grad(x1, x2, w1, w2, b):
    # d/dt -log(sigmoid(t)) = sigmoid(t) - 1
    d = 1 / (1 + math.exp(-(x1 * w1 + x2 * w2 + b))) - 1
    return (d * w1, d * w2, d * x1, d * x2, d)


def log_squared_grad(x):
    return (2 * math.log(x) / x,)


def product_squared_grad(x, y):
    return (2 * x * y * y, 2 * x * x * y)


# --- language features -----------------------------------------------------------

def reassignment(x, y):
    z = x * y
    z = z + x
    z = z * z
    return z


def reassignment_grad(x, y):
    u = x * y + x
    return (2 * u * (y + 1), 2 * u * x)


def augmented_grad(x, y):
    q = 1 + x * x
    u = (0.5 * x + y) * y / q
    return (2 * u * (0.5 * y / q - (0.5 * x + y) * y * 2 * x / q**2), 2 * u * (0.5 * x + 2 * y) / q)


def swap_grad(a, b):
    return (2 * b, 2 * a + 1)       # f = 2ab + b


def unpacking(x, y):
    (p, q), r = (x + y, x - y), x * y
    s, t = r, p * q
    return s + t


def unpacking_grad(x, y):
    return (y + 2 * x, x - 2 * y)   # f = xy + x^2 - y^2


def unary_signs(x, y):
    return -x + (+x) * -(-y) - -(x * y)


def unary_signs_grad(x, y):
    return (-1 + 2 * y, 2 * x)      # f = -x + 2xy


def module_constants(x):
    return SCALE * x + m.pi * x + math.e * x + math.tau * sin(x) + min(x, math.inf)


def module_constants_grad(x):
    return (SCALE + math.pi + math.e + math.tau * math.cos(x) + 1,)


def make_closure(k):
    def closure_constant(x):
        return k * x * x
    return closure_constant


closure_constant = make_closure(2.5)


def closure_constant_grad(x):
    return (5.0 * x,)


def integer_constants(x):
    return 2 * x + x / 2 + 3 ** 2 * x - 1


def integer_constants_grad(x):
    return (11.5,)


def two_argument_log(x, y):
    return math.log(x, 2) + log(x * y, 3.0) + math.log(x, y)


def two_argument_log_grad(x, y):
    return (1 / (x * math.log(2)) + 1 / (x * math.log(3)) + 1 / (x * math.log(y)),
            1 / (y * math.log(3)) - math.log(x) / (y * math.log(y) ** 2))


def min_max_abs_grad(x, y):
    sign = 1.0 if x > y else -1.0   # points never tie
    return (y + sign, x - sign)     # min * max == x * y


def powers(x, y):
    return pow(x, y) + math.pow(x, 3) + x ** 2.5 + pow(y, 2)


def powers_grad(x, y):
    return (y * x ** (y - 1) + 3 * x * x + 2.5 * x ** 1.5, x ** y * math.log(x) + 2 * y)


def modulo(x, y):
    return x % y + x % 1.5


def modulo_grad(x, y):
    return (2.0, -math.floor(x / y))


def many_uses_grad(x):
    return (5 * x**4 + 3 * x**2 + 2 * x + 1,)   # x^5 + x^3 + x^2 + x


def trigonometric_mix(x, y):
    r = math.hypot(x, y)
    return math.atan2(y, x) * r + math.tanh(x - y) / math.cosh(y)


def trigonometric_mix_grad(x, y):
    r = math.hypot(x, y)
    theta = math.atan2(y, x)
    sech2 = 1 - math.tanh(x - y) ** 2
    return (-y / r**2 * r + theta * x / r + sech2 / math.cosh(y),
            x / r**2 * r + theta * y / r
            + (-sech2 * math.cosh(y) - math.tanh(x - y) * math.sinh(y)) / math.cosh(y) ** 2)


@dataclass(frozen=True)
class Case:
    function: Callable[..., float]
    gradient: Callable[..., tuple]   # hand-derived, one partial per parameter
    points: tuple[tuple[float, ...], ...]

    def __repr__(self) -> str:
        return self.function.__name__


LOSS_POINTS = ((0.5, -1.2, 0.3, 0.8, 0.1), (2.0, 1.0, -0.4, 0.9, -1.5))
CASES = [
    Case(polynomial, polynomial_grad, ((1.0, 2.0, 3.0), (-0.7, 0.4, 1.3))),
    Case(log_ratio, log_ratio_grad, ((2.0, 0.5), (0.3, 1.7))),
    Case(log_exp, log_exp_grad, ((1.2, 0.8), (0.3, 2.1))),
    Case(sin_double, sin_double_grad, ((0.3,), (-2.2,))),
    Case(linear_model_loss, linear_model_loss_grad, LOSS_POINTS),
    Case(linear_model_loss_primitive, linear_model_loss_grad, LOSS_POINTS),
    Case(loss_explicit_rule_sigmoid, linear_model_loss_grad, LOSS_POINTS),
    Case(log_squared, log_squared_grad, ((0.4,), (3.0,))),
    Case(product_squared, product_squared_grad, ((1.5, -0.5), (0.2, 3.0))),
    Case(reassignment, reassignment_grad, ((1.3, 0.7), (-0.4, 2.0))),
    Case(augmented, augmented_grad, ((1.3, 0.7), (-0.4, 2.0))),
    Case(swap, swap_grad, ((1.3, 0.7), (-0.4, 2.0))),
    Case(unpacking, unpacking_grad, ((1.3, 0.7),)),
    Case(unary_signs, unary_signs_grad, ((1.3, 0.7),)),
    Case(module_constants, module_constants_grad, ((0.9,), (-1.7,))),
    Case(closure_constant, closure_constant_grad, ((0.9,),)),
    Case(integer_constants, integer_constants_grad, ((0.9,),)),
    Case(two_argument_log, two_argument_log_grad, ((1.7, 2.5), (0.6, 0.3))),
    Case(min_max_abs, min_max_abs_grad, ((1.3, 0.7), (-0.4, 2.0))),
    Case(powers, powers_grad, ((1.3, 0.7), (0.4, -2.0))),
    Case(modulo, modulo_grad, ((3.7, 1.1), (-2.3, 0.9))),
    Case(many_uses, many_uses_grad, ((0.7,), (-1.3,))),
    Case(trigonometric_mix, trigonometric_mix_grad, ((0.7, 1.1), (-1.3, 0.4))),
]


def all_argnums(function: Callable) -> tuple[int, ...]:
    return tuple(range(len(inspect.signature(function).parameters)))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_gradient_matches_hand_derivation_and_finite_differences(case: Case):
    argnums = all_argnums(case.function)
    df = grad(case.function, argnums=argnums)
    verify_ir(df.primal_ir)
    verify_ir(df.fn_ir)
    for point in case.points:
        got = df(*point)
        assert isinstance(got, tuple) and len(got) == len(argnums)
        hand = case.gradient(*point)
        for i, partial in enumerate(got):
            what = f"{case!r} d/d{df.fn_ir.param_names[i]} at {point}"
            assert_close(partial, hand[i], what + " (hand)", HAND_REL, HAND_ABS)
            assert_close(partial, central_difference(case.function, point, i), what + " (fd)", FD_REL, FD_ABS)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_value_and_grad_matches_function_and_grad(case: Case):
    argnums = all_argnums(case.function)
    vg = value_and_grad(case.function, argnums=argnums)
    verify_ir(vg.fn_ir)
    point = case.points[0]
    value, partials = vg(*point)
    assert_close(value, case.function(*point), f"{case!r} value", HAND_REL, HAND_ABS)
    for got, hand in zip(partials, case.gradient(*point)):
        assert_close(got, hand, f"{case!r} partial", HAND_REL, HAND_ABS)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_generated_source_runs_without_srcgrad(case: Case):
    """The module text computes the gradient with nothing from srcgrad: only
    its own imports and, for user primitives, the user's own functions."""
    df = grad(case.function, argnums=all_argnums(case.function))
    assert "srcgrad" not in df.source
    user_functions = dict(df.module.globals)
    assert not any(getattr(v, "__module__", "").startswith("srcgrad") for v in user_functions.values())
    namespace: dict = dict(user_functions)
    exec(compile(df.source, "<generated>", "exec"), namespace)
    point = case.points[0]
    assert namespace[df.fn_ir.name](*point) == df(*point)


# --- what is differentiated and what is not ------------------------------------

def second_argument_unused(x, y):
    return x * x


def second_argument_through_floor(x, y):
    return x * math.floor(y) + math.ceil(y) + round(y) + int(y)


def test_argument_that_does_not_affect_output_has_exact_zero_partial():
    dx, dy = grad(second_argument_unused, argnums=(0, 1))(1.5, 2.5)
    assert dx == 3.0
    assert dy == 0.0 and type(dy) is float


def test_argument_through_piecewise_constant_has_exact_zero_partial():
    dx, dy = grad(second_argument_through_floor, argnums=(0, 1))(1.5, 2.5)
    assert dx == 2.0
    assert dy == 0.0 and type(dy) is float


def comparison_as_number(x, y):
    return x * (x < y) + y * (x >= y) + x * (0 < x < y)


def test_partials_are_floats_even_through_bools_and_ints():
    # d/dx x * (x < y) is the number (x < y): 1.0, not True
    for point, expected in (((1.0, 2.0), (2.0, 0.0)), ((3.0, 2.0), (0.0, 1.0))):
        got = grad(comparison_as_number, argnums=(0, 1))(*point)
        assert got == expected and all(type(g) is float for g in got), got
    # d/dy x % y = -floor(x / y), an int in Python: the gradient is its float
    dy = grad(modulo, argnums=1)(3.7, 1.1)
    assert dy == -3.0 and type(dy) is float, dy


def constant_output(x):
    return 3.0


def test_constant_function_has_zero_gradient():
    assert grad(constant_output)(1.0) == 0.0
    assert value_and_grad(constant_output)(1.0) == (3.0, 0.0)


def test_inactive_values_get_no_derivative_code():
    df = grad(partly_inactive, argnums=0)
    assert df(0.5, 0.2) == 18 * 0.5
    # `unused` is dead, and sinh(y) only feeds the value, not d/dx: no
    # derivative code for them (cos, exp and sinh themselves stay, as they
    # may raise: the gradient fails where the function does)
    for name in ("dy", "dk", "dunused", "dcos", "dexp"):
        assert name not in df.source, df.source
    vg = value_and_grad(partly_inactive, argnums=0)
    assert vg.source.count("sinh") == 1 and "cosh" not in vg.source, vg.source


def test_value_used_many_times_accumulates_every_use():
    # x is read 4 times, a 3 times, b twice: every use contributes
    df = grad(many_uses)
    assert_close(df(0.7), many_uses_grad(0.7)[0], "many uses", HAND_REL, HAND_ABS)


# --- higher order ----------------------------------------------------------------

def test_grad_of_grad_matches_hand_second_derivative():
    d2 = grad(grad(log_exp))
    verify_ir(d2.fn_ir)
    x, y = 1.2, 0.8
    assert_close(d2(x, y), -1 / x**2 + y * y * math.exp(x * y), "d2/dx2", HAND_REL, HAND_ABS)
    assert_close(grad(log_exp, order=2)(x, y), d2(x, y), "order=2", HAND_REL, HAND_ABS)
    mixed = grad(grad(log_exp, argnums=0), argnums=1)
    # d/dy [(1/(xy) + e^{xy}) y] = e^{xy} (1 + xy)
    assert_close(mixed(x, y), math.exp(x * y) * (1 + x * y), "d2/dxdy", HAND_REL, HAND_ABS)


def test_grad_of_grad_through_user_primitive_rule():
    d2 = grad(grad(linear_model_loss_primitive, argnums=4), argnums=4)
    point = (0.5, -1.2, 0.3, 0.8, 0.1)
    s = 1 / (1 + math.exp(-(0.5 * 0.3 - 1.2 * 0.8 + 0.1)))
    assert_close(d2(*point), s * (1 - s), "d2 loss / db2", HAND_REL, HAND_ABS)


# --- the API ---------------------------------------------------------------------

def product(x, y=2.0):
    """x times x times y."""
    return x * x * y


@grad
def bare_decorated(x, y=2.0):
    """Bare decorator docstring."""
    return x * x * y


@grad(argnums=(0, 1))
def decorated_with_options(x, y=2.0):
    return x * x * y


def test_bare_decorator():
    assert bare_decorated(3.0) == 12.0
    assert bare_decorated.__name__ == "bare_decorated"
    assert bare_decorated.__doc__ == "Bare decorator docstring."
    assert bare_decorated.__wrapped__(3.0) == 18.0    # the undecorated function


def test_decorator_with_options():
    assert decorated_with_options(3.0) == (12.0, 9.0)
    assert decorated_with_options(3.0, 4.0) == (24.0, 9.0)


def test_metadata_of_grad_object():
    df = grad(product)
    assert df.__wrapped__ is product
    assert df.__name__ == "product" and df.__doc__ == "x times x times y."
    assert "def grad_product" in df.source
    assert "product" in df.ir


def test_keyword_arguments_and_defaults_at_call_time():
    df = grad(product)
    assert df(3.0) == 12.0            # default y
    assert df(3.0, y=4.0) == 24.0
    assert df(y=1.0, x=2.0) == 4.0
    assert grad(product, argnums="y")(x=3.0) == 9.0


@pytest.mark.parametrize("argnums, expected", [
    (0, 12.0), (1, 9.0), (-1, 9.0), (-2, 12.0), ("x", 12.0), ("y", 9.0),
    ((0, 1), (12.0, 9.0)), ((1, 0), (9.0, 12.0)), (("y", "x"), (9.0, 12.0)), ((-1,), (9.0,)),
    ([0, "y"], (12.0, 9.0)),
])
def test_argnums_forms(argnums, expected):
    assert grad(product, argnums=argnums)(3.0) == expected


def test_value_and_grad_structure():
    assert value_and_grad(product)(3.0) == (18.0, 12.0)
    assert value_and_grad(product, argnums=(0, 1))(3.0) == (18.0, (12.0, 9.0))
    assert value_and_grad(product, argnums=("y",))(3.0) == (18.0, (9.0,))


@pytest.mark.parametrize("argnums", [2, -3, "z", (0, 0), ("x", 0), (), 1.0, True, None, (0, "w")])
def test_bad_argnums_are_refused(argnums):
    with pytest.raises(ArgumentError):
        grad(product, argnums=argnums)
    with pytest.raises(ArgumentError):
        value_and_grad(product, argnums=argnums)


def test_argument_error_is_a_value_error_and_srcgrad_error():
    with pytest.raises(ValueError):
        grad(product, argnums=5)
    assert issubclass(ArgumentError, SrcGradError)


def pair(x, y):
    return x, y


def test_grad_of_tuple_output_is_refused():
    with pytest.raises(SrcGradError, match="scalar"):
        grad(pair)


def test_grad_of_non_function_is_refused():
    with pytest.raises(SrcGradError):
        grad(3.0)


def test_import_does_not_import_sympy():
    code = "import sys, srcgrad; print('sympy' in sys.modules, 'mpmath' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.split() == ["False", "False"]
