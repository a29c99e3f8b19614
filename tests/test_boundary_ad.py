"""Derivatives at the edges (issue 9): compositions of transforms through
loops, derivatives at kinks and boundary points, helpers returning one value
twice, zip over tables of different lengths, zero tangents.

References are independent of srcgrad: central differences of the function
as Python runs it, and values derived by hand (each says how).
"""
from __future__ import annotations

import math
import os

import pytest

import srcgrad
from srcgrad import grad, hessian, jacobian, jvp, value_and_grad
from srcgrad.ad.reverse import reverse
from srcgrad.errors import InternalError, SrcGradError
from srcgrad.ir import Function, Region, Var
from srcgrad.ir import check as ir_check
from srcgrad.ir.interpret import run
from srcgrad.primitives import REGISTRY
from srcgrad.transform import _primitive_function

from .ad_compositions import (disagreements, nested_difference, second_derivatives, second_difference,
                              third_derivatives)
from .ad_support import load_module
from .reference import central_difference

# --- 1. every composition through every kind of loop ------------------------------------

LOOPS = '''
import math

TABLE = (0.5, -1.0, 2.0, 0.25)
SHORT = (1.5, -0.5)


def state_order(x, y):
    # the first gradient needs no tape, its backward loop is reversed again
    s = 0.0
    for i in range(4):
        s = s * 0.5 + math.sin(x * y * i)
    return s


def negative_step(x, y):
    s = 1.0
    for i in range(5, 0, -2):
        s = s * math.tanh(x) + math.cos(y * i)
    return s


def run_time_bounds(x, y, n):
    s = x
    for i in range(1, n, 2):
        s = 0.5 * s + math.sin(s * y + i)
    return s * x


def table_loops(x, y):
    s = 0.0
    for i, c in enumerate(TABLE):
        s = s * 0.5 + c * math.sin(x * i + y)
    for a, b in zip(TABLE, SHORT):
        s = s * y + a * math.cos(b * x)
    for c in TABLE:
        s = s + c * x * y
    return s


def while_break(x, y):
    k = 0
    s = x
    while k < 5:
        k = k + 1
        s = 0.5 * s + math.sin(y * s)
        if s > 10.0:
            break
    return s * y


def continue_return(x, y):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s * 0.75 + math.sin(x * i) * y
        if s > 50.0:
            return s
    return s + x * y


def branch_in_loop(x, y):
    s = y
    for i in range(4):
        if s > 0.3:
            s = s * x - 0.1 * i
        else:
            s = math.cos(s) * y + x
    return s


def helper(u, m):
    for j in range(m):
        u = 0.5 * u + math.cos(u * j)
    return u


def helper_with_loop(x, y):
    return helper(x * y, 3) + helper(y, 2) * x


def nested_loops(x, y):
    s = x
    for i in range(3):
        t = y
        for j in range(2, 0, -1):
            t = t * 0.5 + math.sin(s * j)
        s = s * 0.25 + t * x
    return s
'''

MODULE = load_module(LOOPS, "boundary_loops")
FUNCTIONS = [("state_order", (0.7, 0.3)), ("negative_step", (0.4, -0.6)), ("run_time_bounds", (0.8, 0.6, 6)),
             ("table_loops", (0.3, 0.9)), ("while_break", (0.9, 1.3)), ("continue_return", (0.6, 0.8)),
             ("branch_in_loop", (1.1, 0.7)), ("helper_with_loop", (0.5, 0.4)), ("nested_loops", (0.35, 0.6))]
# nested fourth-order differences in float: ~1e-8 of truncation and rounding
REL, ABS = 1e-6, 1e-7


@pytest.mark.parametrize("name,point", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_every_second_derivative_composition_matches_nested_differences(name, point):
    f = getattr(MODULE, name)
    expected = {(i, j): nested_difference(f, point, i, j) for i in (0, 1) for j in (0, 1)}
    bad = disagreements(second_derivatives(f, point), expected, REL, ABS)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name,point", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_every_third_derivative_composition_matches_differences_of_the_gradient(name, point):
    f = getattr(MODULE, name)
    first = grad(f, 0)
    # the gradient itself is checked against differences of f first
    assert math.isclose(first(*point), central_difference(f, point, 0), rel_tol=1e-7, abs_tol=1e-8)
    expected = second_difference(first, point, 0)
    for composition, got in third_derivatives(f, point).items():
        assert math.isclose(got, expected, rel_tol=1e-5, abs_tol=1e-6), (composition, got, expected)


def test_grad_of_grad_through_a_tape_free_loop_runs_the_backward_index_forwards():
    """The reported case: -0.96 where the Hessian says -1.81.  By hand, for
    s_4 = sum_i 0.5**(3-i) sin(x i), d²s/dx² = -sum_i 0.5**(3-i) i² sin(x i)."""
    f = MODULE.state_order
    x = 0.7
    by_hand = -sum(0.5 ** (3 - i) * i * i * math.sin(x * 0.3 * i) * 0.3 * 0.3 for i in range(4))
    for got in (grad(grad(f))(x, 0.3), grad(f, order=2)(x, 0.3), hessian(f)(x, 0.3)):
        assert math.isclose(got, by_hand, rel_tol=1e-12), (got, by_hand)


# --- 2. derivatives at boundary points (README "At kinks") ------------------------------

KINKS = '''
import math


def power(x, y):
    return x ** y


def math_power(x, y):
    return math.pow(x, y)


def root(x):
    return math.sqrt(x)


def half_power(x):
    return x ** 0.5


def arcsine(x):
    return math.asin(x)


def arccosine(x):
    return math.acos(x)


def arccosh(x):
    return math.acosh(x)


def radius(x, y):
    return math.hypot(x, y)


def angle(y, x):
    return math.atan2(y, x)


def logarithm(x):
    return math.log(x)


def int_power(x, n):
    return x ** n
'''

K = load_module(KINKS, "boundary_kinks")


@pytest.mark.parametrize("fn", ["power", "math_power"])
def test_pow_derivatives_are_finite_where_the_derivative_is(fn):
    f = getattr(K, fn)
    # d/dy x**y = log(x) x**y, and 0 ** y == 0 for every y > 0: flat in y
    assert grad(f, 1)(0.0, 2.0) == 0.0
    assert grad(f, 1)(0.0, 0.5) == 0.0
    # d/dx x**y = y x**(y-1): 0 when y == 0 (x**0 == 1 for every x), also at x == 0
    assert grad(f, 0)(0.0, 0.0) == 0.0
    assert grad(f, 0)(3.0, 0.0) == 0.0
    # y == 1: x itself; y == 2 at 0: 2 * 0
    assert grad(f, 0)(0.0, 1.0) == 1.0
    assert grad(f, 0)(0.0, 2.0) == 0.0
    # second derivatives at x == 0, y == 2: d²/dx² = y (y-1) x**(y-2) = 2;
    # d²/dx dy = x**(y-1) (1 + y log x) -> 0; d²/dy² = log(x)² x**y -> 0
    h = hessian(f, (0, 1))(0.0, 2.0)
    assert h == ((2.0, 0.0), (0.0, 0.0))
    # away from the boundary: the usual formulas
    dx, dy = grad(f, (0, 1))(1.7, 2.3)
    assert math.isclose(dx, 2.3 * 1.7 ** 1.3, rel_tol=1e-14)
    assert math.isclose(dy, math.log(1.7) * 1.7 ** 2.3, rel_tol=1e-14)


@pytest.mark.parametrize("fn,point,expected", [
    ("root", (0.0,), math.inf),              # 0.5 / sqrt(x)
    ("half_power", (0.0,), math.inf),        # 0.5 * x ** -0.5
    ("arcsine", (1.0,), math.inf),           # 1 / sqrt(1 - x²)
    ("arcsine", (-1.0,), math.inf),
    ("arccosine", (1.0,), -math.inf),        # -1 / sqrt(1 - x²)
    ("arccosine", (-1.0,), -math.inf),
    ("arccosh", (1.0,), math.inf),           # 1 / sqrt(x² - 1)
])
def test_infinite_derivative_is_inf_not_an_exception(fn, point, expected):
    f = getattr(K, fn)
    assert grad(f)(*point) == expected
    assert jvp(f)(point, (1.0,))[1] == expected
    assert value_and_grad(f)(*point) == (f(*point), expected)


@pytest.mark.parametrize("fn", ["radius", "angle"])
def test_derivative_at_a_point_without_one_is_nan(fn):
    """hypot and atan2 at the origin: the partials depend on the direction
    of approach (x / r, y / r; x / r², -y / r²), so there is none: nan."""
    f = getattr(K, fn)
    assert f(0.0, 0.0) == 0.0              # the value is Python's
    assert all(math.isnan(d) for d in grad(f, (0, 1))(0.0, 0.0))


def test_d_dy_of_a_negative_base_is_nan():
    """d/dy x**y = log(x) x**y has no real value for x < 0."""
    assert math.isnan(grad(K.power, 1)(-2.0, 3.0))


def test_atan2_partials_do_not_underflow():
    """d/dx atan2(y, x) = -y / (x² + y²); at x == 0 that is -1 / y, finite
    even where y² underflows to 0."""
    dy, dx = grad(K.angle, (0, 1))(1e-200, 0.0)
    assert dy == 0.0
    assert math.isclose(dx, -1e200, rel_tol=1e-14)


@pytest.mark.parametrize("fn,point,error", [
    ("root", (-1.0,), ValueError),           # math.sqrt(-1.0)
    ("logarithm", (0.0,), ValueError),       # math.log(0.0)
    ("power", (0.0, -1.0), ZeroDivisionError),
    ("math_power", (0.0, -1.0), ValueError),
])
def test_primal_errors_stay_python_errors(fn, point, error):
    f = getattr(K, fn)
    with pytest.raises(error):
        f(*point)
    # the transforms raise too, never return a number (which exception
    # comes first, the value's or its derivative's, is the order the
    # generated code computes them in)
    for call in (lambda: grad(f)(*point), lambda: value_and_grad(f)(*point),
                 lambda: jvp(f)(point, (1.0,) * len(point))):
        with pytest.raises((ValueError, ArithmeticError)):
            call()


def test_every_partial_with_a_possible_zero_divisor_uses_an_ieee_form():
    """Sweep every scalar rule over the points where a divisor, a log or a
    negative power of 0 can appear while the primal value exists: the
    partials never raise."""
    points = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 1e-200]
    for prim in REGISTRY:
        if prim.structured or prim.partials is None or prim.hooks.get("internal") or prim.nargs < 0:
            continue     # variadic ones (hypot_n, sum_n): below, through the functions users call
        grid = [(a,) for a in points] if prim.nargs == 1 else [(a, b) for a in points for b in points]
        for args in grid:
            try:
                prim.impl(*args)
            except (ArithmeticError, ValueError, TypeError):
                continue
            fn = _primitive_function(prim, prim.impl)
            run(reverse(fn, tuple(range(prim.nargs))), args)      # a Python error would raise here


def test_variadic_partials_at_zero_never_raise():
    m = load_module("import math\n\n\ndef h(x, y, z):\n    return math.hypot(x, y, z)\n\n\n"
                    "def s(x, y, z):\n    return sum([x, y, z])\n", "boundary_variadic")
    for args in [(0.0, 0.0, 0.0), (-0.0, 0.0, 1e-200), (0.0, 3.0, 4.0)]:
        dh = grad(m.h, (0, 1, 2))(*args)
        r = math.hypot(*args)
        for d, a in zip(dh, args):      # x_i / r: nan at the origin (0/0), else exact
            assert (math.isnan(d) and r == 0.0) or d == a / r
        assert grad(m.s, (0, 1, 2))(*args) == (1.0, 1.0, 1.0)


def test_readme_at_kinks_pieces_python_takes():
    """The first list of README "At kinks", each against Python's own choice."""
    m = load_module("import math\n\n\ndef ab(x):\n    return abs(x)\n\n\ndef fa(x):\n    return math.fabs(x)\n"
                    "\n\ndef mx(a, b):\n    return max(a, b)\n\n\ndef mn(a, b):\n    return min(a, b)\n\n\n"
                    "def fl(x):\n    return math.floor(x) + round(x) + x // 1.0\n\n\ndef md(x, y):\n"
                    "    return x % y\n", "boundary_readme")
    assert grad(m.ab)(0.0) == 0.0 and grad(m.fa)(0.0) == 0.0 and grad(m.ab)(-2.0) == -1.0
    assert grad(m.mx, (0, 1))(1.0, 1.0) == (1.0, 0.0) and grad(m.mn, (0, 1))(1.0, 1.0) == (1.0, 0.0)
    assert grad(m.fl)(2.0) == 0.0 and grad(m.fl)(2.5) == 0.0
    assert grad(m.md, (0, 1))(7.5, 2.0) == (1.0, -math.floor(7.5 / 2.0))


def test_readme_at_kinks_grad_alone_evaluates_what_the_derivative_needs():
    assert grad(math.log)(-1.0) == -1.0            # 1 / x, as in JAX
    with pytest.raises(ValueError):
        grad(K.root)(-1.0)                         # 0.5 / sqrt(x) reads the value
    with pytest.raises(ZeroDivisionError):
        grad(K.power)(0.0, -1.0)                   # the value 0.0 ** -1 raises


def test_jvp_skips_partials_of_inputs_that_do_not_move():
    """x ** n with x < 0: d/dn needs log(x), but n's tangent is 0, so the
    tangent is n x**(n-1) = 3 * 4 = 12 (as grad gives)."""
    assert jvp(K.int_power)((-2.0, 3), (1.0, 0.0)) == (-8.0, 12.0)
    assert grad(K.int_power)(-2.0, 3) == 12.0
    value, tangent = jvp(K.int_power)((-2.0, 3), (1.0, 1.0))
    assert value == -8.0 and math.isnan(tangent)     # n moves: d/dn has no real value


# --- 3. helpers returning one value in several places ----------------------------------

SHARED = '''
import math


def pair(p):
    return p, p


def same_twice(x):
    a, b = pair(2.0 * x)
    return b


def param_back(p, q):
    return q, p, 3.0


def swapped(x, y):
    a, b, c = param_back(x, y * x)
    return a * b + c


def chained(x):
    a = b = math.sin(x)
    return a * b


def repacked(x):
    a, b = 2.0 * x, 3.0
    c, d = (a, a)
    return c * d + b


def shared_in_branch(x):
    if x > 0.0:
        a, b = pair(x * x)
    else:
        a, b = pair(-x)
    return a + 2.0 * b


def shared_in_loop(x):
    s = x
    for i in range(3):
        a, b = pair(s * 0.5)
        s = a + math.sin(b)
    return s
'''

S = load_module(SHARED, "boundary_shared")
SHARED_CASES = [("same_twice", (1.3,)), ("swapped", (0.7, 1.9)), ("chained", (0.4,)), ("repacked", (1.1,)),
                ("shared_in_branch", (0.8,)), ("shared_in_branch", (-0.8,)), ("shared_in_loop", (0.6,))]


@pytest.mark.parametrize("name,point", SHARED_CASES, ids=[f"{n}{p}" for n, p in SHARED_CASES])
def test_helper_returning_one_value_twice(name, point):
    f = getattr(S, name)
    argnums = tuple(range(len(point)))
    expected = tuple(central_difference(f, point, i) for i in argnums)
    got = grad(f, argnums)(*point)
    assert all(math.isclose(g, e, rel_tol=1e-8, abs_tol=1e-10) for g, e in zip(got, expected)), (got, expected)
    value, partials = value_and_grad(f, argnums)(*point)
    assert value == f(*point)
    assert all(math.isclose(p, g, rel_tol=1e-14) for p, g in zip(partials, got))
    value, tangent = jvp(f)(point, (1.0,) + (0.0,) * (len(point) - 1))
    assert value == f(*point) and math.isclose(tangent, got[0], rel_tol=1e-14)
    assert srcgrad.verify(f, argnums=argnums).ok


def test_broken_ir_is_an_internal_error_when_checking_is_on(monkeypatch):
    x, dangling = Var("x"), Var("t")
    broken = Function(name="f", param_names=("x",), body=Region((x,), (), (dangling,)))
    monkeypatch.setattr(ir_check, "CHECK_IR", True)
    with pytest.raises(InternalError, match="broken IR \\(after lowering\\).*not defined") as caught:
        ir_check.check_stage(broken, "after lowering")
    assert isinstance(caught.value, SrcGradError)
    monkeypatch.setattr(ir_check, "CHECK_IR", False)
    assert ir_check.check_stage(broken, "after lowering") is broken      # off: no cost, no check


def test_the_suite_runs_with_ir_checking_on():
    if os.environ.get("SRCGRAD_CHECK_IR") == "0":
        pytest.skip("IR checking switched off on purpose (SRCGRAD_CHECK_IR=0, to time the suite without it)")
    assert ir_check.CHECK_IR       # tests/conftest.py switches it on


# --- 4. zip over tables of different lengths --------------------------------------------

TABLES = '''
import math

C1 = (1.0, 2.0, 3.0)
C2 = (0.5, -1.0, 2.0, 4.0, 7.0)


def zipped(x):
    s = 0.0
    for a, b in zip(C1, C2):
        s = s * 0.5 + a * math.sin(b * x)
    return s + C2[4] * x


def zipped_other_way(x):
    s = 0.0
    for b, a in zip(C2, C1):
        s = s * x + a * b
    return s
'''


def test_zip_stops_at_the_shortest_table():
    m = load_module(TABLES, "boundary_tables")
    for f in (m.zipped, m.zipped_other_way):
        assert math.isclose(grad(f)(0.3), central_difference(f, (0.3,), 0), rel_tol=1e-8)
        assert value_and_grad(f)(0.3)[0] == f(0.3)


def test_tables_of_one_name_from_two_modules_stay_distinct():
    first = load_module(TABLES, "boundary_tables")
    name = first.__name__
    import sys
    sys.modules[name] = first
    second = load_module(f"import {name}\nC2 = (9.0, 1.0)\n\n\ndef h(x):\n    s = 0.0\n    for c in C2:\n"
                         f"        s = s + c * x\n    return s + {name}.zipped(x)\n", "boundary_tables_user")
    expected = 10.0 + central_difference(first.zipped, (0.3,), 0)     # 9 + 1, plus the helper's
    assert math.isclose(grad(second.h)(0.3), expected, rel_tol=1e-8)
