"""Higher-order derivatives against sympy and hand-derived values.

Second derivatives of every primitive of the registry (``grad(grad(f))``,
`hessian`, ``grad(f, order=2)``); Hessians of the course examples, user
primitives and control flow (symmetric, equal to ``sympy.hessian``, in JAX's
structure); Hessian-vector products by forward over reverse; n-th
derivatives (``grad(f, order=n)`` and nested ``grad``, also through loops);
the readability of second-derivative source; random programs (hypothesis).
"""
from __future__ import annotations

import re

import math

import pytest
import sympy
from hypothesis import given, settings

from srcgrad import grad, hessian, jacobian, jvp, value_and_grad

from .ad_examples import READABLE, SCALAR, cube_by_loop, log_exp
from .ad_support import (assert_close, assert_nested_close, clutter, code_lines, numeric, real_symbols,
                         sympy_diff)
from .expr_trees import EXAMPLES, programs
from .primitive_cases import CASES


def sympy_hessian(expr, symbols, at) -> tuple[tuple[float, ...], ...]:
    matrix = sympy.hessian(expr, symbols)
    return tuple(tuple(numeric(matrix[i, j], at) for j in range(len(symbols))) for i in range(len(symbols)))


def assert_symmetric(h, what: str) -> None:
    for i, row in enumerate(h):
        for j, entry in enumerate(row):
            assert_close(entry, h[j][i], f"{what}: H[{i}][{j}] vs H[{j}][{i}]")


# --- every primitive ------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=repr)
def test_primitive_second_derivatives_equal_sympy(case):
    n = len(case.params)
    nested = {(i, j): grad(grad(case.function, argnums=i), argnums=j) for i in range(n) for j in range(n)}
    second = {(i, j): sympy_diff(case.expr, case.symbols[i], case.symbols[j]) for i, j in nested}
    f_hessian = hessian(case.function, argnums=tuple(range(n)))
    for point in case.points():
        at = case.at(point)
        expected = tuple(tuple(numeric(second[i, j], at) for j in range(n)) for i in range(n))
        what = f"{case.label} at {point}"
        for (i, j), f in nested.items():
            assert_close(f(*point), expected[i][j], f"{what}: grad(grad(f, {i}), {j})")
        assert_nested_close(f_hessian(*point), expected, f"{what}: hessian")
        if n == 1:
            assert_close(grad(case.function, order=2)(*point), expected[0][0], f"{what}: order=2")
            assert_close(hessian(case.function)(*point), expected[0][0], f"{what}: hessian, one argnum")


# --- course examples, user rules, control flow ------------------------------------

@pytest.mark.parametrize("example", SCALAR, ids=repr)
def test_hessian_is_symmetric_and_equals_sympy(example):
    names = example.param_names
    symbols, expr = example.symbolic()
    f_hessian = hessian(example.function, argnums=tuple(range(example.arity)))
    by_name = hessian(example.function, argnums=names[::-1])
    for point in example.points:
        at = dict(zip(symbols, point))
        h = f_hessian(*point)
        assert_nested_close(h, sympy_hessian(expr, symbols, at), f"hessian({example.name})")
        assert_symmetric(h, f"hessian({example.name})")
        assert_nested_close(by_name(*point), sympy_hessian(expr, symbols[::-1], at),
                            f"hessian({example.name}, argnums={names[::-1]})")


@pytest.mark.parametrize("example", SCALAR, ids=repr)
def test_hessian_vector_product_by_forward_over_reverse(example):
    """``jvp(grad(f, all))`` along t is H t (and its value the gradient)."""
    n = example.arity
    symbols, expr = example.symbolic()
    f_hvp = jvp(grad(example.function, argnums=tuple(range(n))))
    point = example.points[0]
    tangent = tuple(0.5 - 0.3 * i for i in range(n))
    at = dict(zip(symbols, point))
    gradient, hvp = f_hvp(point, tangent)
    h = sympy_hessian(expr, symbols, at)
    assert_nested_close(gradient, tuple(numeric(sympy_diff(expr, s), at) for s in symbols), "gradient")
    assert_nested_close(hvp, tuple(math.fsum(h[i][j] * tangent[j] for j in range(n)) for i in range(n)), "H t")


def test_jvp_and_jacobian_of_value_and_grad_keep_its_structure():
    """Forward over ``value_and_grad``: ``(v, (fx, fy))`` stays nested in the
    values, the tangents and the Jacobian's rows, as in JAX."""
    x, y = real_symbols("xy")
    expr = sympy.log(x * y) + sympy.exp(x * y)
    at, tangent = {x: 1.2, y: 0.8}, (0.3, -0.5)
    fx, fy = (numeric(sympy_diff(expr, s), at) for s in (x, y))
    h = sympy_hessian(expr, (x, y), at)
    ht = tuple(math.fsum(h[i][j] * tangent[j] for j in range(2)) for i in range(2))
    f_vg = value_and_grad(log_exp, argnums=(0, 1))
    expected_values = (numeric(expr, at), (fx, fy))
    expected_tangents = (fx * tangent[0] + fy * tangent[1], ht)
    assert_nested_close(jvp(f_vg)((1.2, 0.8), tangent), (expected_values, expected_tangents), "jvp(value_and_grad)")
    assert_nested_close(jacobian(f_vg, argnums=(0, 1))(1.2, 0.8), ((fx, fy), h), "jacobian(value_and_grad)")
    assert_nested_close(jacobian(f_vg, argnums=1)(1.2, 0.8), (fy, (h[0][1], h[1][1])), "jacobian(.., argnums=1)")


def test_hessian_structure_follows_argnums():
    """One argnum: a number; a tuple of one: ((h,),); a tuple: a tuple of tuples."""
    x, y = real_symbols("xy")
    expr = sympy.log(x * y) + sympy.exp(x * y)
    at = {x: 1.2, y: 0.8}
    assert_close(hessian(log_exp, argnums="y")(1.2, 0.8), numeric(sympy_diff(expr, y, y), at), "H_yy")
    assert_nested_close(hessian(log_exp, argnums=(1,))(1.2, 0.8), ((numeric(sympy_diff(expr, y, y), at),),),
                        "((H_yy,),)")
    assert_nested_close(hessian(argnums=(0, 1))(log_exp)(1.2, 0.8), sympy_hessian(expr, (x, y), at), "H")
    assert_close(grad(log_exp, argnums="y", order=2)(1.2, 0.8), numeric(sympy_diff(expr, y, y), at),
                 "grad(f, 'y', order=2)")


# --- n-th derivatives -----------------------------------------------------------

def sin2x(x):
    return math.sin(2 * x)


def exp2x(x):
    return math.exp(2 * x)


def fifth_power(x):
    return x ** 5


def nested_grad(f, n):
    for _ in range(n):
        f = grad(f)
    return f


@pytest.mark.parametrize("x", [-1.3, 0.0, 0.4, 2.9])
def test_third_derivative_of_sin_2x(x):
    expected = -8 * math.cos(2 * x)              # by hand: 2 cos, -4 sin, -8 cos
    assert_close(grad(sin2x, order=3)(x), expected, "grad(f, order=3)")
    assert_close(grad(grad(grad(sin2x)))(x), expected, "grad(grad(grad(f)))")


@pytest.mark.parametrize("n", range(1, 6))
def test_nth_derivative_of_exp_2x(n):
    for x in (-0.7, 0.3, 1.1):
        expected = 2 ** n * math.exp(2 * x)       # by hand
        assert_close(grad(exp2x, order=n)(x), expected, f"order={n}")
        assert_close(nested_grad(exp2x, n)(x), expected, f"grad^{n}")


@pytest.mark.parametrize("n", range(1, 8))
def test_nth_derivative_of_fifth_power(n):
    for x in (-1.5, 0.5, 2.0):
        # by hand: 5!/(5-n)! x^(5-n), and 0 beyond the fifth
        expected = math.perm(5, n) * x ** (5 - n) if n <= 5 else 0.0
        assert_close(grad(fifth_power, order=n)(x), expected, f"order={n}")
        assert_close(nested_grad(fifth_power, n)(x), expected, f"grad^{n}")


@pytest.mark.parametrize("x", [-0.6, 1.3])
def test_derivatives_of_a_loop_gradient(x):
    """A gradient through a loop keeps tapes; its derivatives go through
    forward mode.  By hand: x**3 -> 3x**2 -> 6x -> 6 -> 0."""
    by_hand = [x ** 3, 3 * x ** 2, 6 * x, 6.0, 0.0]
    for n in range(1, 5):
        assert_close(grad(cube_by_loop, order=n)(x), by_hand[n], f"order={n}")
    value, slope = value_and_grad(grad(cube_by_loop))(x)
    assert_close(value, by_hand[1], "value_and_grad(grad(f)): value")
    assert_close(slope, by_hand[2], "value_and_grad(grad(f)): slope")


# --- generated source --------------------------------------------------------------

SECOND_ORDER = {
    "grad_grad": lambda example: grad(grad(example.function)),
    "hessian": lambda example: hessian(example.function, argnums=tuple(range(example.arity))),
}

READABILITY_CASES = [pytest.param(how, example, id=f"{how}-{example.name}")
                     for how in SECOND_ORDER for example in READABLE]


@pytest.mark.parametrize("how, example", READABILITY_CASES)
def test_second_derivative_source_is_readable(how, example):
    source = SECOND_ORDER[how](example).source
    assert "srcgrad" not in source
    assert f"def {how}_{example.name}(" in source
    assert not clutter(_without_float_units(source)), f"clutter {clutter(source)} in:\n{source}"


def _without_float_units(source: str) -> str:
    """`source` without the one multiplication by 1.0 allowed: of a bare
    name (``t = 1.0 * y``), which keeps a derivative a float when an
    argument is an int, where nothing after it makes one anyway."""
    return re.sub(r"= (1\.0 \* \w+|\w+ \* 1\.0)$", "= _", source, flags=re.M)


def test_second_derivative_of_simple_function_is_short():
    source = grad(grad(log_exp)).source
    # by hand: z = x * y; dz = y * exp(z) - y / z**2; dx = dz * y; return dx
    assert len(code_lines(source)) <= 5, source
    assert "math.exp(z)" in source and "z = x * y" in source, source


def test_third_derivative_source_of_sin_2x_is_one_line():
    source = grad(sin2x, order=3).source
    assert len(code_lines(source)) <= 2, source   # dx = -8.0 * math.cos(2 * x); return dx
    assert not clutter(source), source


# --- random programs --------------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(programs())
def test_random_program_hessian_equals_sympy(program):
    n = len(program.symbols)
    h = hessian(program.function, argnums=tuple(range(n)))(*program.point)
    assert_nested_close(h, sympy_hessian(program.expr, program.symbols, program.at()),
                        f"hessian of\n{program.source}at {program.point}")
