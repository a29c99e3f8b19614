"""Forward mode (`jvp`) and `jacobian` against sympy and against reverse mode.

Every primitive of the registry runs through both modes: the directional
derivative from `jvp` must equal ``dot(grad, tangent)`` and sympy's.  The
course examples, user primitives, control flow and helper calls, parameters
named like generated names and random programs (hypothesis) get the same
check; forward over forward and tuple outputs (`jacobian`, in JAX's output
structure) are compared with sympy; generated source must be readable.
"""
from __future__ import annotations

import pytest
import sympy
from hypothesis import given, settings, strategies as st

import srcgrad
from srcgrad import jacobian, jvp

from .ad_examples import JACOBIAN, READABLE, SCALAR, log_exp, polar
from .ad_support import (assert_close, assert_nested_close, clutter, dot, numeric, real_symbols,
                         sympy_diff)
from .expr_trees import EXAMPLES, programs
from .primitive_cases import CASES


def directional_derivative(expr, symbols, at, tangent) -> float:
    """sympy's d/ds expr(x + s t) at s = 0: the gradient dotted with t."""
    return dot([numeric(sympy_diff(expr, s), at) for s in symbols], tangent)


# --- every primitive, both modes ---------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=repr)
def test_primitive_jvp_equals_grad_dot_tangent_and_sympy(case):
    f_jvp = jvp(case.function)
    f_grad = srcgrad.grad(case.function, argnums=tuple(range(len(case.params))))
    partials = [sympy_diff(case.expr, s) for s in case.symbols]
    tangent = case.tangent()
    for point in case.points():
        what = f"{case.label} at {point}"
        expected = tuple(numeric(p, case.at(point)) for p in partials)
        value, directional = f_jvp(point, tangent)
        gradient = f_grad(*point)
        assert_close(value, numeric(case.expr, case.at(point)), f"{what}: value")
        assert_nested_close(gradient, expected, f"{what}: grad")
        assert_close(directional, dot(gradient, tangent), f"{what}: jvp vs dot(grad, t)")
        assert_close(directional, dot(expected, tangent), f"{what}: jvp vs sympy")


# --- course examples, user rules, control flow --------------------------------

@pytest.mark.parametrize("example", SCALAR, ids=repr)
def test_jvp_equals_grad_dot_tangent_and_sympy(example):
    f_jvp = jvp(example.function)
    f_grad = srcgrad.grad(example.function, argnums=tuple(range(example.arity)))
    symbols, expr = example.symbolic()
    for k, point in enumerate(example.points):
        tangent = tuple((-1.0) ** i * (0.25 + 0.5 * i + k) for i in range(example.arity))
        at = dict(zip(symbols, point))
        value, directional = f_jvp(point, tangent)
        assert_close(value, example.function(*point), f"{example.name}: value")
        assert_close(directional, dot(f_grad(*point), tangent), f"{example.name}: jvp vs dot(grad, t)")
        assert_close(directional, directional_derivative(expr, symbols, at, tangent),
                     f"{example.name}: jvp vs sympy")


def test_jvp_called_at_once_equals_jvp_of_function():
    primals, tangents = (1.2, 0.8), (0.3, -1.1)
    assert jvp(log_exp, primals, tangents) == jvp(log_exp)(primals, tangents)
    assert jvp(log_exp, [1.2, 0.8], [0.3, -1.1]) == jvp(log_exp)(primals, tangents)


def test_jvp_of_jvp_gives_second_directional_derivatives():
    """Forward over forward.  The inner jvp's primals and tangents are passed
    as one flat tuple (x, y, u_x, u_y); outputs: (f, grad f . u) and their
    derivatives along v: (grad f . v, u^T H v)."""
    x, y = real_symbols("xy")
    expr = sympy.log(x * y) + sympy.exp(x * y)
    point, u, v = (1.2, 0.8), (0.0, 1.0), (1.0, 0.3)
    at = dict(zip((x, y), point))
    gradient = [numeric(sympy_diff(expr, s), at) for s in (x, y)]
    h = [[numeric(sympy_diff(expr, a, b), at) for b in (x, y)] for a in (x, y)]
    expected = ((numeric(expr, at), dot(gradient, u)),
                (dot(gradient, v), dot(u, [dot(row, v) for row in h])))
    assert_nested_close(jvp(jvp(log_exp))(point + u, v + (0.0, 0.0)), expected, "jvp(jvp(f))")


def test_jvp_of_tuple_output_gives_tuples_of_values_and_tangents():
    r, t, dr, dt = 2.0, 0.6, 0.5, -1.5
    values, tangents = jvp(polar)((r, t), (dr, dt))
    R, T = sympy.symbols("R T", real=True)
    outs = (R * sympy.cos(T), R * sympy.sin(T))
    assert_nested_close(values, tuple(numeric(o, {R: r, T: t}) for o in outs), "polar values")
    assert_nested_close(tangents, tuple(directional_derivative(o, (R, T), {R: r, T: t}, (dr, dt))
                                        for o in outs), "polar tangents")


# --- jacobian -------------------------------------------------------------------

def expected_jacobian(example, argnums, point):
    """sympy's Jacobian in JAX's structure: outputs outermost (a bare entry for
    a scalar output), then a partial (one argnum) or a tuple (tuple argnums)."""
    names = example.param_names
    symbols, outs = example.symbolic()
    scalar_out = not isinstance(outs, tuple)
    indices = tuple(names.index(a) if isinstance(a, str) else a
                    for a in (argnums if isinstance(argnums, tuple) else (argnums,)))
    matrix = sympy.Matrix([outs] if scalar_out else list(outs)).jacobian([symbols[i] for i in indices])
    at = dict(zip(symbols, point))
    rows = tuple(tuple(numeric(matrix[r, c], at) for c in range(len(indices))) for r in range(matrix.rows))
    rows = rows if isinstance(argnums, tuple) else tuple(row[0] for row in rows)
    return rows[0] if scalar_out else rows


def _argnums_forms(example):
    """A single argnum, a one-tuple, every argument, reversed order, by name."""
    n = example.arity
    last_name = example.param_names[-1]
    return [0, (0,), tuple(range(n)), tuple(reversed(range(n))), last_name, (last_name, 0)]


@pytest.mark.parametrize("example", JACOBIAN, ids=repr)
def test_jacobian_equals_sympy_jacobian_with_jax_structure(example):
    for argnums in _argnums_forms(example):
        f_jac = jacobian(example.function, argnums=argnums)
        for point in example.points:
            assert_nested_close(f_jac(*point), expected_jacobian(example, argnums, point),
                                f"jacobian({example.name}, argnums={argnums!r})")


def test_jacobian_as_decorator_with_options():
    f_jac = jacobian(argnums=(0, 1))(polar)
    assert_nested_close(f_jac(2.0, 0.6), expected_jacobian(JACOBIAN[0], (0, 1), (2.0, 0.6)), "polar")


# --- generated source ----------------------------------------------------------

@pytest.mark.parametrize("example", READABLE, ids=repr)
def test_jvp_source_is_readable(example):
    source = jvp(example.function).source
    names = example.param_names
    assert "srcgrad" not in source
    assert f"def jvp_{example.name}(primals, tangents):" in source
    assert f"{', '.join(names)}{',' if len(names) == 1 else ''} = primals" in source
    assert f"{', '.join(n + '_dot' for n in names)}{',' if len(names) == 1 else ''} = tangents" in source
    assert all(line.startswith(("import math", "def ", " ", '"""')) for line in source.splitlines() if line)
    assert not clutter(source), f"clutter {clutter(source)} in:\n{source}"


def test_jvp_source_names_tangents_after_user_variables():
    source = jvp(log_exp).source
    assert "z_dot = " in source, source


# --- random programs --------------------------------------------------------

@settings(max_examples=EXAMPLES)
@given(programs(), st.data())
def test_random_program_jvp_equals_sympy_directional_derivative(program, data):
    tangent = tuple(data.draw(st.floats(-1.0, 1.0, allow_subnormal=False)) for _ in program.symbols)
    value, directional = jvp(program.function)(program.point, tangent)
    gradient = srcgrad.grad(program.function, argnums=tuple(range(len(tangent))))(*program.point)
    what = f"jvp of\n{program.source}at {program.point} along {tangent}"
    assert_close(value, program.function(*program.point), f"{what}: value")
    assert_close(directional, directional_derivative(program.expr, program.symbols, program.at(), tangent),
                 f"{what}: vs sympy")
    assert_close(directional, dot(gradient, tangent), f"{what}: vs dot(grad, t)")
