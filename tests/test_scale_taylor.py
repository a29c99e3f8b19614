"""``grad(f, order=k)`` by Taylor mode (issue 10, item 6): exact k-th
derivatives at orders 1 to 5, size polynomial in k.

References, none of them srcgrad's: sympy's ``diff`` of the same expression
(every primitive of the registry, random expression trees); finite
differences of the user's own source at 50 digits (``mpmath.diff`` of the
function run with ``math`` bound to mpmath), which covers branches, loops,
``while``, ``break`` and early ``return`` (random programs of
`tests.program_gen` included); values by hand.  At kinks, where the
derivative is a convention, Taylor mode gives what nesting `grad` gives
(README "At kinks"), IEEE infinities and nans included.
"""
from __future__ import annotations

import math
import pickle

import mpmath
import pytest
import sympy
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

import srcgrad
from benchmarks import scale_programs
from srcgrad import grad
from srcgrad.errors import ArgumentError

from .ad_examples import cube_by_loop, user_rules
from .ad_support import assert_close, code_lines, load_module, numeric, sympy_diff
from .expr_trees import programs as expression_programs
from .primitive_cases import CASES
from .program_gen import programs as control_programs

DIGITS = 50


def mp_derivative(source: str, order: int, point: tuple, argnum: int = 0) -> float:
    """The order-th derivative of ``f`` in `source` along argument `argnum`,
    by mpmath's finite differences at 50 digits of the same source run with
    ``math`` bound to mpmath."""
    namespace: dict = {}
    exec(compile(source, "<reference>", "exec"), namespace)
    namespace["math"] = mpmath
    f = namespace["f"]
    with mpmath.workdps(DIGITS):
        def along(t):
            args = list(point)
            args[argnum] = t
            return f(*args)
        return float(mpmath.diff(along, mpmath.mpf(point[argnum]), order))


def nested(f, order: int, argnums=0):
    for _ in range(order):
        f = grad(f, argnums)
    return f


def same_ieee(a: float, b: float) -> bool:
    """Equal as the documented answers are: both nan, the same infinity, or close."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# --- the function: 30 operations, orders 1 to 5 --------------------------------

THIRTY = scale_programs.thirty_op(30)


def test_thirty_op_every_order_matches_50_digit_differences():
    f = load_module(THIRTY, "thirty").f
    for order in range(1, 6):
        df = grad(f, order=order)
        for x in (-0.8, 0.37, 1.1):
            assert_close(df(x), mp_derivative(THIRTY, order, (x,)), f"order {order} at {x}", rel=1e-9)


def test_thirty_op_code_grows_polynomially():
    """The issue's target: at most 400 lines at order 4 (nesting made 1,308);
    each order adds about as much code as the one before."""
    f = load_module(THIRTY, "thirty").f
    lines = [len(code_lines(grad(f, order=k).source)) for k in range(1, 6)]
    assert lines[3] <= 400, lines
    growth = [b - a for a, b in zip(lines[1:], lines[2:])]
    assert max(growth) <= 2 * min(growth) + 10, lines


# --- every primitive, every argument: sympy's diff --------------------------------------

@pytest.mark.parametrize("case", CASES, ids=repr)
def test_primitive_higher_derivatives_equal_sympy(case):
    for i, symbol in enumerate(case.symbols):
        for order in (2, 3, 4):
            df = grad(case.function, argnums=i, order=order)
            expected = sympy_diff(case.expr, *([symbol] * order))
            for point in case.points(2):
                assert_close(df(*point), numeric(expected, case.at(point)),
                             f"{case.label}: order {order} along {symbol} at {point}")


# --- random expressions (sympy) and random programs with control flow (mpmath) ------------

@settings(max_examples=25, deadline=None)
@given(program=expression_programs(), order=st.integers(1, 5))
def test_random_expression_derivatives_equal_sympy(program, order):
    note(program.source)
    expected = numeric(sympy_diff(program.expr, *([program.symbols[0]] * order)), program.at())
    assume(math.isfinite(expected) and abs(expected) < 1e8)
    got = grad(program.function, order=order)(*program.point)
    assert_close(got, expected, f"order {order} of\n{program.source}at {program.point}", rel=1e-7, abs_=1e-7)


def _decisions(traced, point) -> list | None:
    traced.DECISIONS.clear()
    try:
        traced.f(*point)
    except (ArithmeticError, ValueError):
        return None
    return list(traced.DECISIONS)


@settings(max_examples=20, deadline=None)
@given(program=control_programs(), x=st.floats(-2.0, 2.0).map(lambda v: round(v, 4)),
       y=st.floats(-2.0, 2.0).map(lambda v: round(v, 4)), n=st.integers(0, 3), order=st.integers(2, 5))
def test_random_program_derivatives_match_50_digit_differences(program, x, y, n, order):
    """Branches, loops, while, break, early return, helper calls."""
    note(program.plain)
    plain = load_module(program.plain, "taylor_program")
    traced = load_module(program.traced, "taylor_traced")
    point = (x, y, n)
    path = _decisions(traced, point)
    assume(path is not None)
    # the reference steps a little around x: every decision must stay as it is there
    assume(all(_decisions(traced, (x + d, y, n)) == path for d in (-1e-6, 1e-6)))
    expected = mp_derivative(program.plain, order, point)
    assume(math.isfinite(expected) and abs(expected) < 1e8)
    df = grad(plain.f, order=order)
    note(df.source)
    assert_close(df(*point), expected, f"order {order}", rel=1e-6, abs_=1e-6)


# --- control flow, by construction ----------------------------------------------------

CONTROL = {
    "branches": """
import math


def f(x):
    if x > 0.5:
        y = math.sin(x) * x
    elif x > -0.5:
        y = math.exp(x) / (1.0 + x * x)
    else:
        y = x ** 4
    return y * x
""",
    "for_loop": """
import math


def f(x):
    s = 0.0
    for i in range(4):
        s = s + math.sin(x * s + x) / (i + 1)
    return s
""",
    "while_with_break": """
import math


def f(x):
    y = x
    k = 0
    while k < 6:
        k = k + 1
        y = y * math.cos(x) + 0.5
        if y > 3.0:
            break
    return y
""",
    "early_return_in_loop": """
import math


def f(x):
    acc = 0
    for i in range(5):
        acc += math.tanh(x * i)
        if acc > 2.5:
            return acc * x
    return acc - x
""",
    "loop_invariant_and_nested_loop": """
import math


def f(x):
    c = math.exp(x)
    s = x
    for i in range(3):
        for j in range(2):
            s = 0.5 * s + c * math.sin(s)
    return s
""",
}


@pytest.mark.parametrize("name", sorted(CONTROL))
def test_control_flow_derivatives_match_50_digit_differences(name):
    f = load_module(CONTROL[name], "taylor_control").f
    for order in range(1, 6):
        df = grad(f, order=order)
        for x in (-0.9, 0.2, 0.8, 1.4):
            assert_close(df(x), mp_derivative(CONTROL[name], order, (x,)), f"{name}: order {order} at {x}",
                         rel=1e-8, abs_=1e-8)


# --- conventions at kinks and IEEE values: what nesting grad gives -----------------------

KINKS = """
import math


def f(x):
    return {body}
"""
KINK_BODIES = ["abs(x) * x", "abs(x)", "max(x, 0.0) * x", "min(x * x, x)", "math.sqrt(x) * x", "x ** 0.5",
               "math.sqrt(x * x)", "x ** 2.5", "math.fabs(x) ** 3", "math.asin(x)", "math.hypot(x, 0.0)",
               "math.atan2(x, x * x)", "(x if x > 0 else -x) * x", "x ** 3 / (x * x + 1.0)"]


# Where nesting gives nan and Taylor mode the IEEE value of the derivative's
# formula: a fractional power at 0, at the order after its first infinite
# one (by hand, d2/dx2 x ** 0.5 = -x ** -1.5 / 4 -> -inf, as math.sqrt gives).
# Nesting's nan is 0 * inf, a zero cotangent through the infinite first
# derivative of a value the derivative does not use.
TAYLOR_IS_THE_FORMULA = {("x ** 0.5", 2): -math.inf, ("x ** 2.5", 4): -math.inf}


@pytest.mark.parametrize("body", KINK_BODIES)
def test_kinks_give_what_nested_grad_gives(body):
    f = load_module(KINKS.format(body=body), "taylor_kink").f
    for order in (2, 3, 4):
        df, reference = grad(f, order=order), nested(f, order)
        for x in (0.0, -0.0, 1.0, -1.0, 0.5):
            if (body, order) in TAYLOR_IS_THE_FORMULA and x == 0:
                assert df(x) == TAYLOR_IS_THE_FORMULA[body, order]
                continue
            try:
                expected = reference(x)
            except (ArithmeticError, ValueError) as error:
                with pytest.raises(type(error)):
                    df(x)
                continue
            got = df(x)
            if isinstance(expected, complex):       # (-1.0) ** 0.5: no real value, as nesting
                assert isinstance(got, complex)
                continue
            assert same_ieee(got, expected), f"{body}: order {order} at {x!r}: {got} != nested {expected}"


# --- what grad(f, order=k) keeps of grad's behaviour ----------------------------------------

def test_int_inputs_give_float_derivatives():
    f = load_module(KINKS.format(body="x ** 4 + 3 * x"), "taylor_int").f
    for order, by_hand in ((2, 12 * 2 ** 2), (3, 24 * 2), (4, 24), (6, 0)):
        got = grad(f, order=order)(2)
        assert type(got) is float and got == by_hand, (order, got)


def test_other_argument_and_argument_names():
    source = "import math\n\n\ndef f(x, y):\n    return math.exp(x * y) * math.sin(y)\n"
    f = load_module(source, "taylor_two").f
    x, y = sympy.symbols("x y", real=True)
    expr = sympy.exp(x * y) * sympy.sin(y)
    for argnums, symbol in ((1, y), ("y", y), (0, x), (-1, y)):
        expected = numeric(sympy_diff(expr, symbol, symbol, symbol), {x: 0.7, y: -0.4})
        assert_close(grad(f, argnums, order=3)(0.7, -0.4), expected, f"argnums={argnums!r}")
    with pytest.raises(ArgumentError):      # a tuple gradient has no second derivative, as before
        grad(f, argnums=(0, 1), order=2)


def test_user_derivative_rules_are_differentiated_again():
    """A user primitive's rule is lowered and inlined as its partials: Taylor
    mode takes its derivatives like any other partial's."""
    x, y = sympy.symbols("x y", real=True)
    expr = sympy.log(1 + sympy.exp(x * y)) + x * sympy.sin(y)      # softplus(x * y) + scaled_sin(x, y)
    for argnums, symbol in ((0, x), (1, y)):
        for order in (2, 4):
            expected = numeric(sympy_diff(expr, *([symbol] * order)), {x: 0.7, y: -0.4})
            assert_close(grad(user_rules, argnums, order=order)(0.7, -0.4), expected, f"order {order} along {symbol}")


def test_functions_with_tapes_fall_back_to_nesting():
    """The gradient of a loop keeps tapes: its derivatives are nested forward mode."""
    x = 0.9
    assert_close(grad(grad(cube_by_loop), order=2)(x), 6.0, "d3 x**3 through a tape")
    assert_close(grad(cube_by_loop, order=3)(x), 6.0, "d3 x**3 through a loop")


BRANCHING_RULE = """
import math
import srcgrad


@srcgrad.primitive
def half_square(x):
    return x * x if x > 0 else 0.5 * x * x


@half_square.derivative
def _(x):
    if x > 0:
        return 2 * x
    return x * 1.0


def f(x):
    return half_square(math.sin(x))
"""


def test_a_user_rule_that_branches_falls_back_to_nesting():
    f = load_module(BRANCHING_RULE, "taylor_rule").f
    for x in (0.4, -0.4):
        s, c = math.sin(x), math.cos(x)
        scale = 2.0 if s > 0 else 1.0           # by hand: f = scale * sin(x)**2 / 2
        assert_close(grad(f, order=2)(x), scale * (c * c - s * s), f"order 2 at {x}")
        assert_close(grad(f, order=3)(x), scale * -4 * s * c, f"order 3 at {x}")


def test_readable_source_names_derivatives_after_the_users_values():
    source = grad(load_module(CONTROL["branches"], "taylor_read").f, order=3).source
    assert "srcgrad" not in source
    assert "d2y" in source and "d3y" in source, source
    assert "# tangent of line" in source, source
    compile(source, "<generated>", "exec")


def test_verify_and_pickle():
    f = scale_programs.load("import math\n\n\ndef f(x):\n    return math.sin(2 * x) * x\n", "taylor_verify").f
    df = grad(f, order=3, verify=True)
    assert_close(df(0.3), -12 * math.sin(0.6) - 8 * 0.3 * math.cos(0.6), "by hand")
    assert srcgrad.verify(df).ok
    assert pickle.loads(pickle.dumps(df)) is df
    from srcgrad import generated
    rebuilt = generated._rebuild(df.__srcgrad_recipe__.replace(" #2", ""))   # as another process does
    assert rebuilt(0.3) == df(0.3)
