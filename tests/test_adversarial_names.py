"""Issue 9, item 5: generated names never capture user names.

Every name in `adversarial_gen.COLLIDING` (what the code generator writes or
reads today: ``_``, ``math``, ``reversed``, ``zip``, ``float``, ``range``,
``len``, ``t``, ``dx``, ``x_dot``, ``x_tape``, ``primals``, ``grad_f``, ...,
and unicode names) is used as a parameter, local, loop index, module
constant, module table, helper, user primitive and function name; every
transform must agree with the function as Python runs it.
"""
from __future__ import annotations

import math
import os

import pytest

from srcgrad import grad, hessian, jvp, value_and_grad

from .adversarial_gen import colliding_cases, colliding_module, function_name
from .adversarial_support import all_close, close, fd, fd2, load, same_bits

POINT = (0.7, -0.4)
CASES = colliding_cases(thorough=os.environ.get("SRCGRAD_HYPOTHESIS") == "thorough")


def _id(case: tuple[str, str]) -> str:
    return f"{case[0]}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_colliding_name(case):
    template, name = case
    mod = load(colliding_module(template, name), "names")
    f = getattr(mod, function_name(template, name))
    want = (fd(f, POINT, 0), fd(f, POINT, 1))
    got = grad(f, argnums=(0, 1))(*POINT)
    assert all_close(got, want), f"grad: {got} vs {want}"
    value, slopes = value_and_grad(f, argnums=(0, 1))(*POINT)
    assert same_bits(value, f(*POINT)), "value_and_grad's value is not f(x)"
    assert all_close(slopes, want)
    primal, tangent = jvp(f)(POINT, (1.0, -2.0))
    assert same_bits(primal, f(*POINT)), "jvp's value is not f(x)"
    assert close(tangent, want[0] - 2.0 * want[1])


@pytest.mark.parametrize("template", ["param", "index", "local", "table", "helper", "constant"])
@pytest.mark.parametrize("name", ["_", "math", "reversed", "zip", "len", "float", "range", "θ", "dx",
                                  "x_tape", "x_dot"])
def test_colliding_name_second_order(template, name):
    text = colliding_module(template, name)
    if text is None:
        pytest.skip("not valid Python for this template")
    mod = load(text, "names2")
    f = getattr(mod, function_name(template, name))
    for i in (0, 1):
        want = fd2(f, POINT, i, i)
        assert close(grad(grad(f, i), i)(*POINT), want, rel=1e-5, abs_=1e-6)
    hess = hessian(f, argnums=(0, 1))(*POINT)
    assert all_close(hess, [[fd2(f, POINT, i, j) for j in (0, 1)] for i in (0, 1)], rel=1e-5, abs_=1e-6)


def test_underscore_parameter_with_an_unused_loop_index():
    # the issue's own shape, and more: `_` as parameter, the loop index unused
    mod = load('''
import math


def f(_, y):
    s = y
    for i in range(4):
        s = s * 0.5 + _ * y
    return s


def g(x, _):
    s = 0.0
    for c in (1.0, 2.0, 3.0):
        s = s + _ * c
    return s * x


def h(_):
    for k in range(3):
        _ = math.sin(_)
    return _
''', "underscore")
    for f, point in ((mod.f, (1.5, 2.0)), (mod.g, (1.5, 2.0))):
        assert all_close(grad(f, argnums=(0, 1))(*point), (fd(f, point, 0), fd(f, point, 1)))
    assert close(grad(mod.h)(0.9), fd(mod.h, (0.9,), 0))
    # hand-derived: f = y/16 + _ * y * (1 + 1/2 + 1/4 + 1/8)
    assert all_close(grad(mod.f, argnums=(0, 1))(1.5, 2.0), (2.0 * 1.875, 1.0 / 16 + 1.5 * 1.875), 1e-12, 1e-12)


def test_module_shadowing_every_builtin_the_generator_uses():
    mod = load('''
from math import sin as msin, cos as mcos

zip = 2.0
reversed = 3.0
range = 0.5
len = 4.0
float = 1.25
enumerate = -1.0
sum = 0.75
TAB = (0.5, 1.5)
W = (2.0, -1.0)


def f(x, y):
    s = x * zip + y * reversed
    for a in TAB:
        s = s * range + a * msin(s) * len
    for a in W:
        s = s + a * float * y * sum * enumerate
    return s * mcos(y)
''', "shadow_builtins")
    point = (0.3, 0.9)
    want = (fd(mod.f, point, 0), fd(mod.f, point, 1))
    assert all_close(grad(mod.f, argnums=(0, 1))(*point), want)
    assert same_bits(value_and_grad(mod.f)(*point)[0], mod.f(*point))
    assert close(jvp(mod.f)(point, (0.0, 1.0))[1], want[1])
    assert close(grad(grad(mod.f))(*point), fd2(mod.f, point, 0, 0), rel=1e-5)


def test_math_module_name_rebound_to_another_module():
    mod = load('''
import cmath as math
from math import sin as msin


def f(x):
    return msin(x) * x
''', "math_rebound")
    assert close(grad(mod.f)(0.8), fd(mod.f, (0.8,), 0))
    assert close(hessian(mod.f)(0.8), fd2(mod.f, (0.8,), 0, 0), rel=1e-5)


def test_user_constant_named_inf_and_nan():
    mod = load('''
import math
inf = 2.0
nan = 3.0


def f(x):
    y = x * math.inf if x > 1e300 else x * inf
    return y + nan * x
''', "infnan")
    assert close(grad(mod.f)(0.5), 5.0)       # hand-derived: inf + nan = 5
    assert same_bits(value_and_grad(mod.f)(0.5)[0], mod.f(0.5))


def test_same_named_primitives_in_two_modules_are_not_confused():
    text = '''
import srcgrad


@srcgrad.primitive
def squash(u):
    return SCALE * u * u


@squash.derivative
def _(u):
    return 2.0 * SCALE * u


SCALE = {scale}


def f(x):
    return squash(x) + x
'''
    a = load(text.format(scale=1.0), "prim_a")
    b = load(text.format(scale=5.0), "prim_b")
    assert close(grad(a.f)(2.0), 5.0) and close(grad(b.f)(2.0), 21.0)   # hand-derived: 2 s x + 1
    assert math.isclose(grad(a.f)(2.0), fd(a.f, (2.0,), 0), rel_tol=1e-6)


EXPORTED = [("table", "zip"), ("table", "reversed"), ("helper", "len"), ("helper", "grad_f"), ("constant", "math"),
            ("constant", "float"), ("param", "_"), ("primitive", "t"), ("primitive", "math"), ("local", "dx")]


@pytest.mark.parametrize("template, name", EXPORTED, ids=[f"{t}-{n}" for t, n in EXPORTED])
def test_colliding_name_in_an_exported_module(tmp_path, template, name):
    """The standalone module `srcgrad export` writes holds helpers, constants and
    primitives next to the generated code: their names must not collide either."""
    import importlib.util
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from srcgrad.cli import main
    source = tmp_path / f"exp_{abs(hash((template, name)))}.py"
    source.write_text(colliding_module(template, name))
    out = tmp_path / f"exported_{abs(hash((template, name)))}.py"
    fname = function_name(template, name)
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as err:
        status = main(["export", "-o", str(out), f"{source}:{fname}", "--argnums", "0,1"])
    assert status == 0, err.getvalue()
    spec = importlib.util.spec_from_file_location(out.stem, out)
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    user = load(colliding_module(template, name), "exported_ref")
    f = getattr(user, fname)
    got = getattr(exported, f"grad_{fname}")(*POINT)
    assert all_close(got, (fd(f, POINT, 0), fd(f, POINT, 1))), f"exported gradient {got}"
