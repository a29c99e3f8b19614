"""Issue 9, item 1: every ``grad()`` reads the function as it is at that moment.

Module constants, tables (reassigned or mutated in place), helpers, aliases of
math functions, closure cells and user derivative rules are changed after a
first transformation, in imported modules and in notebook cells; a new
transformation must follow the change (finite differences of the real
function), and its value part must equal ``f(x)`` bit for bit.  A cache must
not keep throwaway functions alive.
"""
from __future__ import annotations

import gc
import math
import weakref

import pytest

from srcgrad import SrcGradError, grad, hessian, jacobian, jvp, value_and_grad

from .adversarial_support import Notebook, all_close, close, drop_module, fd, fd2, load, reload_with, same_bits

MODULE = '''
import math
from math import sin

SCALE = 2.0
TABLE = (1.0, 2.0, 3.0)
LIST = [0.5, 1.5, 2.5]
OP = math.tanh


def helper(u):
    return SCALE * u * u


def f_const(x):
    return SCALE * math.sin(x) + x


def f_helper(x):
    return helper(x) + math.cos(x)


def f_other_helper_user(x):
    return 3.0 * helper(x * 0.5)


def f_table(x):
    s = 0.0
    for c in TABLE:
        s = s + c * math.sin(c * x)
    return s


def f_list(x):
    s = x
    for i in range(3):
        s = s + LIST[i] * x * x
    return s


def f_alias(x):
    return OP(x) * x


def f_two(x, y):
    return SCALE * x * y + sin(y) * helper(x)
'''

POINTS = (0.3, -1.1, 2.4)


def check_fresh(f, x: float) -> None:
    """Every transform of f, made now, agrees with f as Python runs it now."""
    assert close(grad(f)(x), fd(f, (x,), 0)), "grad is stale"
    value, slope = value_and_grad(f)(x)
    assert same_bits(value, f(x)), "value_and_grad's value differs from f(x)"
    assert close(slope, fd(f, (x,), 0))
    primal, tangent = jvp(f)((x,), (1.0,))
    assert same_bits(primal, f(x)), "jvp's value differs from f(x)"
    assert close(tangent, fd(f, (x,), 0))
    assert close(grad(grad(f))(x), fd2(f, (x,), 0, 0), rel=1e-4, abs_=1e-5)
    assert close(hessian(f)(x), fd2(f, (x,), 0, 0), rel=1e-4, abs_=1e-5)
    assert close(jacobian(f)(x), fd(f, (x,), 0))


@pytest.fixture
def mod():
    return load(MODULE, "stale")


@pytest.mark.parametrize("x", POINTS)
def test_module_constant_reassigned(mod, x):
    check_fresh(mod.f_const, x)
    for value in (10.0, -0.5, 1e3, 7):
        mod.SCALE = value
        check_fresh(mod.f_const, x)


def test_constant_read_through_a_helper_reassigned(mod):
    grad(mod.f_helper)(1.0)
    grad(mod.f_other_helper_user)(1.0)
    mod.SCALE = -4.0
    check_fresh(mod.f_helper, 0.7)
    # a second function sharing the helper, transformed only after the change
    check_fresh(mod.f_other_helper_user, 0.7)


def test_helper_reassigned_in_module(mod):
    check_fresh(mod.f_helper, 0.4)

    mod.helper = load("import math\ndef helper(u):\n    return math.exp(0.5 * u)\n", "helper_swap").helper
    check_fresh(mod.f_helper, 0.4)


def test_table_reassigned(mod):
    check_fresh(mod.f_table, 0.9)
    mod.TABLE = (0.25, -3.0)
    check_fresh(mod.f_table, 0.9)
    mod.TABLE = (1.0, 2.0, 3.0, 4.0, 5.0)
    check_fresh(mod.f_table, 0.9)


def test_list_mutated_in_place(mod):
    check_fresh(mod.f_list, 1.3)
    mod.LIST[1] = -8.0
    check_fresh(mod.f_list, 1.3)
    mod.LIST[:] = [3.0, 3.0, 3.0]
    check_fresh(mod.f_list, 1.3)


def test_math_alias_rebound(mod):
    check_fresh(mod.f_alias, 0.6)
    mod.OP = math.sin
    check_fresh(mod.f_alias, 0.6)
    mod.OP = math.atan
    check_fresh(mod.f_alias, 0.6)


def test_from_import_name_rebound(mod):
    df = grad(mod.f_two, argnums=(0, 1))
    df(0.5, 0.5)
    mod.sin = math.cos
    got = grad(mod.f_two, argnums=(0, 1))(0.5, 0.8)
    assert all_close(got, (fd(mod.f_two, (0.5, 0.8), 0), fd(mod.f_two, (0.5, 0.8), 1)))


def test_module_reloaded_with_new_helper_and_constant(mod):
    check_fresh(mod.f_helper, 0.8)
    reload_with(mod, MODULE.replace("return SCALE * u * u", "return SCALE * math.sin(u) ** 3")
                .replace("SCALE = 2.0", "SCALE = 0.125"))
    check_fresh(mod.f_helper, 0.8)
    check_fresh(mod.f_const, 0.8)


# --- closures ----------------------------------------------------------------------------

CLOSURES = '''
import math


def make(k):
    def f(x):
        return k * math.sin(x) + x * x
    return f


def make_with_helper(scale):
    def inner(u):
        return scale * u
    def f(x):
        return inner(x) * math.cos(x)
    return f
'''


@pytest.mark.parametrize("new", [5.0, -1.0, 0.0, 123.25])
def test_closure_cell_reassigned(new):
    mod = load(CLOSURES, "closure")
    f = mod.make(2.0)
    try:
        grad(f)(0.5)
    except SrcGradError:
        pytest.skip("closures are refused by this build; nothing can be stale")
    f.__closure__[0].cell_contents = new
    check_fresh(f, 0.5)


def test_two_closures_from_one_factory_do_not_share_a_gradient():
    mod = load(CLOSURES, "closure")
    f2, f7 = mod.make(2.0), mod.make(7.0)
    try:
        g2 = grad(f2)(0.3)
    except SrcGradError:
        pytest.skip("closures are refused by this build")
    g7 = grad(f7)(0.3)
    assert close(g2, fd(f2, (0.3,), 0)) and close(g7, fd(f7, (0.3,), 0))


# --- user rules ----------------------------------------------------------------------------

RULES = '''
import math
import srcgrad


@srcgrad.primitive
def soft(u):
    return math.log1p(math.exp(u))


@soft.derivative
def _(u):
    return 2.0      # wrong on purpose: the test corrects it


def f(x):
    return soft(x * x) + x
'''


def test_corrected_derivative_rule_is_used():
    mod = load(RULES, "rules")
    grad(mod.f)(0.7)

    @mod.soft.derivative
    def _(u):
        return 1.0 / (1.0 + math.exp(-u))
    assert close(grad(mod.f)(0.7), fd(mod.f, (0.7,), 0))
    assert close(grad(mod.soft)(0.2), fd(mod.soft, (0.2,), 0))


def test_primitive_redefined_in_a_module_reload():
    mod = load(RULES, "rules")
    grad(mod.f)(0.7)
    reload_with(mod, RULES.replace("return 2.0      # wrong on purpose: the test corrects it",
                                   "return 1.0 / (1.0 + math.exp(-u))"))
    for x in (0.7, -0.4):
        assert close(grad(mod.f)(x), fd(mod.f, (x,), 0))
        value, _ = value_and_grad(mod.f)(x)
        assert same_bits(value, mod.f(x))


# --- notebook cells --------------------------------------------------------------------------

def test_notebook_constant_cell_rerun():
    nb = Notebook()
    nb.run("import math\nSCALE = 1.5\n")
    nb.run("def f(x):\n    return SCALE * math.sin(x) + x ** 2\n")
    check_fresh(nb["f"], 0.9)
    nb.run("SCALE = 10.0\n")
    check_fresh(nb["f"], 0.9)


def test_notebook_helper_cell_rerun():
    nb = Notebook()
    nb.run("import math\ndef h(u):\n    return u * u\n")
    nb.run("def f(x):\n    return h(x) + math.sin(x)\n")
    check_fresh(nb["f"], 1.2)
    nb.run("def h(u):\n    return math.exp(u) - u ** 3\n")
    check_fresh(nb["f"], 1.2)


def test_notebook_function_cell_rerun_with_new_body():
    nb = Notebook()
    nb.run("import math\ndef f(x):\n    return x * x\n")
    check_fresh(nb["f"], 0.5)
    nb.run("import math\ndef f(x):\n    return math.cos(3.0 * x)\n")
    check_fresh(nb["f"], 0.5)


def test_notebook_table_and_loop_cell_rerun():
    nb = Notebook()
    nb.run("import math\nW = (1.0, 0.5)\n")
    nb.run("def f(x):\n    s = 0.0\n    for i, w in enumerate(W):\n        s = s + w * math.sin(x + i)\n"
           "    return s\n")
    check_fresh(nb["f"], 0.3)
    nb.run("W = (2.0, -1.0, 4.0, 0.25)\n")
    check_fresh(nb["f"], 0.3)


def test_notebook_old_definition_keeps_its_own_gradient():
    nb = Notebook()
    nb.run("import math\nK = 2.0\ndef f(x):\n    return K * math.sin(x)\n")
    old = nb["f"]
    grad(old)(0.4)
    nb.run("K = 3.0\ndef f(x):\n    return K * math.cos(x) + x ** 3\n")
    # both objects are live; each transform follows the object it is given, as Python runs it now
    check_fresh(old, 0.4)
    check_fresh(nb["f"], 0.4)


def test_notebook_helper_redefined_between_two_users():
    nb = Notebook()
    nb.run("import math\ndef h(u):\n    return math.sin(u)\n"
           "def f(x):\n    return h(x) * x\ndef g(x):\n    return h(2.0 * x)\n")
    check_fresh(nb["f"], 0.8)
    nb.run("def h(u):\n    return math.exp(-u * u)\n")
    check_fresh(nb["g"], 0.8)      # g was never transformed before the change
    check_fresh(nb["f"], 0.8)


def test_notebook_rule_cell_rerun():
    nb = Notebook()
    nb.run("import math\nimport srcgrad\n@srcgrad.primitive\ndef cube(u):\n    return u * u * u\n"
           "@cube.derivative\ndef _(u):\n    return 2.0 * u\n")
    nb.run("def f(x):\n    return cube(x) + x\n")
    grad(nb["f"])(1.1)
    nb.run("@cube.derivative\ndef _(u):\n    return 3.0 * u * u\n")
    assert close(grad(nb["f"])(1.1), fd(nb["f"], (1.1,), 0))
    assert close(grad(nb["f"], order=2)(1.1), fd2(nb["f"], (1.1,), 0, 0), rel=1e-4)


# --- the cache does not keep throwaway functions alive ------------------------------------------

def test_throwaway_functions_are_collected():
    refs = []
    for k in range(5):
        nb = Notebook()
        nb.run(f"import math\ndef f(x):\n    return {k + 1}.0 * math.sin(x)\n")
        f = nb["f"]
        for transform in (grad, value_and_grad, hessian, jvp):
            transform(f)
        grad(grad(f))
        refs.append(weakref.ref(f))
        drop_module(nb.name)      # the notebook itself goes away: nothing else holds f
        del f, nb
    gc.collect()
    alive = [r for r in refs if r() is not None]
    assert not alive, f"{len(alive)} throwaway function(s) kept alive by srcgrad"


def test_redefined_module_function_is_collected():
    mod = load("import math\ndef f(x):\n    return math.exp(x)\n", "collect")
    grad(mod.f)(1.0)
    ref = weakref.ref(mod.f)
    reload_with(mod, "import math\ndef f(x):\n    return math.exp(2.0 * x)\n")
    gc.collect()
    assert ref() is None, "the old definition is kept alive after it was replaced"
    check_fresh(mod.f, 0.1)


# --- defaults and code objects changed in place ---------------------------------------------------

DEFAULTS = '''
import math


def helper(u, s=2.0, k=1.0):
    return s * math.sin(u) + k * u * u


def f(x, y=0.5):
    return helper(x) * y + x


def g(x):
    return helper(x, k=3.0) + helper(x, 0.25)


def other_helper(u, s=2.0, k=1.0):
    return math.exp(s * u) * k
'''


def test_helper_default_changed():
    mod = load(DEFAULTS, "defaults")
    check_fresh(mod.f, 0.6)
    mod.helper.__defaults__ = (7.0, 1.0)
    check_fresh(mod.f, 0.6)
    mod.helper.__defaults__ = (7.0, -2.0)
    check_fresh(mod.f, 0.6)
    check_fresh(mod.g, 0.6)


def test_own_default_changed():
    mod = load(DEFAULTS, "defaults")
    check_fresh(mod.f, 0.9)
    mod.f.__defaults__ = (4.0,)
    check_fresh(mod.f, 0.9)


def test_helper_code_replaced():
    mod = load(DEFAULTS, "defaults")
    check_fresh(mod.f, 0.2)
    mod.helper.__code__ = mod.other_helper.__code__
    try:
        check_fresh(mod.f, 0.2)
    except SrcGradError:
        pass       # refusing a helper whose code no longer matches its source is right too
