"""Issue 9, items 3 and 4: transforms inside transforms, and every composition
of transforms through loops.

* grad∘grad, ``order=2``/``3``, hessian, jvp∘grad, jacobian∘grad,
  value_and_grad∘grad, grad(grad(h, 1), 0) and the Hessian matrix of a
  two-argument function, through loops of every kind (range, reversed range,
  enumerate, zip, module tables, while, break, continue, helpers with loops),
  against nested finite differences of the real function;
* functions calling srcgrad-transformed functions (grad, value_and_grad, jvp,
  hessian, jacobian, ``@grad`` defs) are differentiated as what those compute:
  the reference is finite differences of the caller *as Python runs it*.
"""
from __future__ import annotations

import math

import pytest

from srcgrad import SrcGradError, grad, hessian, jacobian, jvp, value_and_grad

from .adversarial_support import all_close, close, fd, fd2, load

LOOPS = '''
import math

TABLE = (0.5, -1.25, 2.0, 0.75)
OTHER = (1.0, 0.25, -0.5)


def g_range(x):
    s = x
    for i in range(4):
        s = math.sin(s) * 1.1 + 0.1 * x * i
    return s


def g_no_tape(x):
    s = 0.0
    for i in range(1, 5):
        s = s + math.sin(x * i) / i
    return s


def g_linear_range(x):
    s = 0.0
    for i in range(5):
        s = s * 0.7 + math.sin(x * i)
    return s


def g_linear_table(x):
    s = x
    for i in range(4):
        s = 0.5 * s + TABLE[i] * x * x
    return s


def g_linear_enumerate(x):
    s = 0.0
    for i, c in enumerate(TABLE):
        s = -0.8 * s + c * math.exp(x * i * 0.3)
    return s


def g_linear_zip_reversed(x):
    s = 0.0
    for a, b in zip(OTHER, TABLE):
        s = s * b + math.sin(a * x)
    return s


def g_reversed(x):
    s = 0.0
    for i in range(4, -1, -1):
        s = s * 0.5 + math.cos(x * (i + 1))
    return s


def g_step(x):
    s = x
    for i in range(0, 7, 3):
        s = s + x * x * (i - 2.5)
    return s


def g_enumerate(x):
    s = 0.0
    for i, c in enumerate(TABLE):
        s = s + c * math.exp(-x * i * 0.25)
    return s


def g_zip(x):
    s = 0.0
    for a, b in zip(TABLE, OTHER):
        s = s + a * math.sin(b * x)
    return s


def g_horner(x):
    s = 0.0
    for c in TABLE:
        s = s * x + c
    return s


def g_while(x):
    s = x
    k = 0
    while k < 4:
        s = s * 0.9 + math.sin(x + k)
        k = k + 1
    return s


def g_continue(x):
    s = x
    for i in range(6):
        if i % 2 == 0:
            continue
        s = s + math.sin(x * i) * s
    return s


def g_break(x):
    s = x
    for i in range(8):
        if i >= 3:
            break
        s = s * math.cos(s) + x
    return s


def loop_helper(u, m):
    for j in range(m):
        u = 0.5 * u + math.cos(u)
    return u


def g_helper(x):
    return loop_helper(x * x, 3) * x


def g_branch(x):
    s = 0.0
    for i in range(4):
        if x > 0.0:
            s = s + math.exp(0.2 * x * i)
        else:
            s = s - x * x * i
    return s


def h2(x, y):
    for i in range(3):
        x, y = x * math.cos(y) + 0.1 * i, y + 0.1 * x * x
    return x * y


def h2_linear(x, y):
    s = 0.0
    for i in range(4, 0, -1):
        s = 0.6 * s + math.sin(x * i) * y
    return s


def h2_tables(x, y):
    s = 0.0
    for i, c in enumerate(TABLE):
        s = s + c * math.sin(x * i + y) * y
    return s
'''

ONE_ARG = ["g_range", "g_no_tape", "g_linear_range", "g_linear_table", "g_linear_enumerate",
           "g_linear_zip_reversed", "g_reversed", "g_step", "g_enumerate", "g_zip", "g_horner", "g_while",
           "g_continue", "g_break", "g_helper", "g_branch"]
TWO_ARG = ["h2", "h2_tables", "h2_linear"]
POINTS = [0.37, -0.83, 1.21]

COMPOSITIONS = {
    "order=2": lambda g: grad(g, order=2),
    "grad(grad)": lambda g: grad(grad(g)),
    "hessian": lambda g: hessian(g),
    "jvp(grad)": lambda g: (lambda x: jvp(grad(g))((x,), (1.0,))[1]),
    "jacobian(grad)": lambda g: jacobian(grad(g)),
    "value_and_grad(grad)": lambda g: (lambda x: value_and_grad(grad(g))(x)[1]),
    "grad(jacobian)": lambda g: grad(jacobian(g)),
    "jvp(jacobian)": lambda g: (lambda x: jvp(jacobian(g))((x,), (1.0,))[1]),
}


@pytest.fixture(scope="module")
def loops():
    return load(LOOPS, "loops")


def stable_fd2(f, point, i, j) -> float:
    """Nested central differences, checked against a halved step (a test
    whose reference is not converged is a broken test)."""
    coarse, fine = fd2(f, point, i, j, 2e-3), fd2(f, point, i, j, 1e-3)
    assert close(coarse, fine, rel=1e-5, abs_=1e-6), "reference not converged: move the point"
    return fine


@pytest.mark.parametrize("composition", sorted(COMPOSITIONS))
@pytest.mark.parametrize("name", ONE_ARG)
def test_second_derivative_through_loops(loops, name, composition):
    g = getattr(loops, name)
    made = COMPOSITIONS[composition](g)
    for x in POINTS:
        want = stable_fd2(g, (x,), 0, 0)
        got = made(x)
        assert close(got, want, rel=1e-5, abs_=1e-6), f"{composition} of {name} at {x}: {got} vs {want}"


@pytest.mark.parametrize("name", ["g_range", "g_linear_range", "g_reversed", "g_zip", "g_while"])
def test_third_derivative_through_loops(loops, name):
    g = getattr(loops, name)
    third = grad(g, order=3)
    nested = grad(grad(grad(g)))
    for x in POINTS:
        want = fd(lambda u: fd2(g, (u,), 0, 0, 2e-3), (x,), 0, 2e-3)
        assert close(third(x), want, rel=1e-3, abs_=1e-4)
        assert close(nested(x), third(x), rel=1e-9, abs_=1e-10), "order=3 and grad(grad(grad)) disagree"


@pytest.mark.parametrize("name", TWO_ARG)
def test_mixed_partials_through_loops(loops, name):
    h = getattr(loops, name)
    for point in [(0.4, 0.7), (-0.6, 1.3), (1.1, -0.2)]:
        want = [[stable_fd2(h, point, i, j) for j in (0, 1)] for i in (0, 1)]
        for i in (0, 1):
            for j in (0, 1):
                got = grad(grad(h, i), j)(*point)
                assert close(got, want[i][j], rel=1e-5, abs_=1e-6), f"grad(grad({name}, {i}), {j})"
        hess = hessian(h, argnums=(0, 1))(*point)
        assert all_close(hess, want, rel=1e-5, abs_=1e-6), f"hessian of {name}: {hess} vs {want}"
        jac = jacobian(grad(h, argnums=(0, 1)), argnums=(0, 1))(*point)
        assert all_close(jac, want, rel=1e-5, abs_=1e-6), f"jacobian(grad) of {name}: {jac} vs {want}"


# --- transforms called inside differentiated functions ---------------------------------

INSIDE = LOOPS + '''

import srcgrad
from srcgrad import grad, value_and_grad, jvp, hessian, jacobian


def f(x):
    return math.sin(x) * x * x


def f2(x, y):
    return math.exp(x * 0.3) * math.cos(y) + x * y * y


DF = grad(f)
VG = value_and_grad(f)
JF = jvp(f)
HF = hessian(f)
JAC = jacobian(f)
D2 = grad(f2, argnums=(0, 1))
DLOOP = grad(g_reversed)
DWHILE = grad(g_while)


@srcgrad.grad
def df_decorated(x):
    return math.cos(x) * x ** 3


def penalty(x):
    return 2.0 * DF(x)


def penalty_vg(x):
    v, d = VG(x)
    return v * d + d


def penalty_jvp(x):
    p, t = JF((x,), (1.0,))
    return t * 3.0 + p


def penalty_hess(x):
    return HF(x) * x


def penalty_jac(x):
    return JAC(x) + x


def penalty_argnums(x):
    a, b = D2(x, 0.5 * x)
    return a * b


def penalty_decorated(x):
    return df_decorated(x) * 0.5


def penalty_loop(x):
    s = 0.0
    for i in range(3):
        s = s + DF(x + 0.1 * i)
    return s


def penalty_of_loop_gradient(x):
    return DLOOP(x) + DWHILE(x) * x
'''

CALLERS = ["penalty", "penalty_vg", "penalty_jvp", "penalty_hess", "penalty_jac", "penalty_argnums",
           "penalty_decorated", "penalty_loop", "penalty_of_loop_gradient"]


@pytest.fixture(scope="module")
def inside():
    return load(INSIDE, "inside")


@pytest.mark.parametrize("name", CALLERS)
def test_transform_called_inside_is_differentiated_as_what_it_computes(inside, name):
    caller = getattr(inside, name)
    for x in POINTS:
        want = fd(caller, (x,), 0)        # the caller as Python runs it, calling srcgrad's function
        got = grad(caller)(x)
        assert close(got, want, rel=1e-5, abs_=1e-6), f"grad({name})({x}) = {got}, reference {want}"
        value, slope = value_and_grad(caller)(x)
        assert value == caller(x) or (math.isnan(value) and math.isnan(caller(x)))
        assert close(slope, want, rel=1e-5, abs_=1e-6)
        assert close(jvp(caller)((x,), (1.0,))[1], want, rel=1e-5, abs_=1e-6)


def test_penalty_of_grad_is_twice_the_second_derivative(inside):
    # hand-derived: f = x^2 sin x, f'' = 2 sin x + 4 x cos x - x^2 sin x
    for x in POINTS:
        want = 2.0 * (2 * math.sin(x) + 4 * x * math.cos(x) - x * x * math.sin(x))
        assert close(grad(inside.penalty)(x), want, rel=1e-9, abs_=1e-12)


@pytest.mark.parametrize("name", ["penalty", "penalty_loop", "penalty_of_loop_gradient"])
def test_second_order_of_a_caller(inside, name):
    caller = getattr(inside, name)
    for x in POINTS:
        assert close(grad(caller, order=2)(x), stable_fd2(caller, (x,), 0, 0), rel=1e-5, abs_=1e-6)


def test_hessian_of_grad_of_grad_consistent(loops):
    for name in ("g_reversed", "g_zip", "g_horner"):
        g = getattr(loops, name)
        for x in POINTS:
            a = grad(grad(g))(x)
            b = hessian(g)(x)
            c = grad(g, order=2)(x)
            assert close(a, b, rel=1e-10, abs_=1e-12) and close(b, c, rel=1e-10, abs_=1e-12), (a, b, c)


def test_transform_of_a_function_whose_inner_transform_is_refused_is_refused():
    mod = load('''
import math
from srcgrad import grad

def f(x):
    return math.sin(x) * x

DF = grad(f)

def uses(x):
    return DF(x) * DF
''', "bad_inner")
    with pytest.raises(SrcGradError):
        grad(mod.uses)(1.0)
