"""Issue 9, item 3: wrappers are never treated as the function they wrap.

Decorators of every kind (functools.wraps changing the result or not,
lru_cache, partial, class-based, staticmethod objects, plain closures,
decorators on the ``def`` line, stacks mixing srcgrad's own with others):
srcgrad either differentiates what the wrapper computes, or refuses with a
`SrcGradError` naming the wrapper — never the wrapped function silently, and
never a raw Python error.  srcgrad's own decorators on a ``def`` line are
dropped and compose.
"""
from __future__ import annotations

import pytest

from srcgrad import SrcGradError, grad, hessian, jvp, value_and_grad

from .adversarial_support import close, fd, fd2, load

MODULE = '''
import functools
import math

import srcgrad


def doubling(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 2.0 * fn(*args, **kwargs)
    return wrapper


def shifting(fn):
    @functools.wraps(fn)
    def shifted(x):
        return fn(x + 1.0)
    return shifted


def logging_only(fn):
    @functools.wraps(fn)
    def logged(x):
        return fn(x)
    return logged


def no_wraps(fn):
    def plain(x):
        return fn(x) ** 2
    return plain


class Scaled:
    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.fn = fn

    def __call__(self, x):
        return 3.0 * self.fn(x)


def identity(fn):
    return fn


def square(x):
    return x * x


def wave(x, y=0.5):
    return math.sin(x) * y + x


@doubling
def doubled_square(x):
    return x * x


@shifting
def shifted_sin(x):
    return math.sin(x)


@logging_only
def logged_exp(x):
    return math.exp(x)


@no_wraps
def squared_cos(x):
    return math.cos(x)


@Scaled
def scaled_tanh(x):
    return math.tanh(x)


@functools.lru_cache(maxsize=None)
def cached_cube(x):
    return x * x * x


@identity
def plain_identity(x):
    return math.log1p(x * x)


@doubling
@doubling
def quadrupled(x):
    return x * 0.5 + math.sin(x)


def uses_doubled(x):
    return doubled_square(x) + x


def uses_cached(x):
    return cached_cube(x) * 2.0


def uses_scaled(x):
    return scaled_tanh(x) - x


@srcgrad.grad
@srcgrad.grad
def second(x):
    return math.sin(x) * x ** 3


@srcgrad.grad
def first_of_wave(x):
    return math.cos(x) * x
'''


@pytest.fixture(scope="module")
def mod():
    return load(MODULE, "wrappers")


def right_or_refused(make, f, point: tuple, reference, name: str) -> None:
    """``make(f)(*point)`` equals `reference` or a SrcGradError names `name`."""
    try:
        got = make(f)(*point)
    except SrcGradError as exc:
        assert name in str(exc), f"refusal does not name the wrapper {name!r}: {exc}"
        return
    assert close(got, reference, rel=1e-5, abs_=1e-6), f"{name}: {got} is not the derivative {reference}"


WRAPPED = [("doubled_square", "doubling"), ("shifted_sin", "shifting"), ("logged_exp", "logging_only"),
           ("squared_cos", "no_wraps"), ("scaled_tanh", "Scaled"), ("cached_cube", "lru_cache"),
           ("quadrupled", "doubling")]


@pytest.mark.parametrize("name, wrapper", WRAPPED)
@pytest.mark.parametrize("x", [3.0, -0.7])
def test_decorated_function(mod, name, wrapper, x):
    f = getattr(mod, name)
    right_or_refused(grad, f, (x,), fd(f, (x,), 0), wrapper)
    right_or_refused(lambda g: (lambda u: value_and_grad(g)(u)[1]), f, (x,), fd(f, (x,), 0), wrapper)
    right_or_refused(lambda g: (lambda u: jvp(g)((u,), (1.0,))[1]), f, (x,), fd(f, (x,), 0), wrapper)
    right_or_refused(hessian, f, (x,), fd2(f, (x,), 0, 0), wrapper)


@pytest.mark.parametrize("name, wrapper", [("uses_doubled", "doubling"), ("uses_cached", "lru_cache"),
                                           ("uses_scaled", "Scaled")])
def test_decorated_helper_called_inside(mod, name, wrapper):
    f = getattr(mod, name)
    for x in (3.0, 0.4):
        right_or_refused(grad, f, (x,), fd(f, (x,), 0), wrapper)


def test_doubled_square_is_twelve_at_three_or_refused(mod):
    # hand-derived: d/dx 2 x^2 = 4x = 12 at x = 3
    right_or_refused(grad, mod.doubled_square, (3.0,), 12.0, "doubling")


def test_lru_cache_is_not_a_raw_type_error(mod):
    try:
        grad(mod.cached_cube)(2.0)
    except SrcGradError:
        pass
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"raw {type(exc).__name__}: {exc}")


def test_functools_partial(mod):
    import functools
    for f in (functools.partial(mod.wave, y=3.0), functools.partial(mod.wave, 1.5)):
        point = (0.8,)
        right_or_refused(grad, f, point, fd(f, point, 0), "partial")


def test_staticmethod_object(mod):
    f = staticmethod(mod.square)
    right_or_refused(grad, f, (1.7,), 2 * 1.7, "staticmethod")


def test_bound_method_of_a_callable_instance(mod):
    inst = mod.Scaled(mod.square)
    right_or_refused(grad, inst.__call__, (1.1,), 6 * 1.1, "__call__")


def test_identity_decorator_on_def_line(mod):
    # the function object *is* the decorated def: dropping the decorator is right, refusing is safe
    right_or_refused(grad, mod.plain_identity, (0.9,), fd(mod.plain_identity, (0.9,), 0), "identity")


def test_srcgrad_decorators_stacked_on_def(mod):
    ref = lambda u: mod.__dict__["math"].sin(u) * u ** 3  # noqa: E731
    for x in (0.3, 1.9):
        assert close(mod.second(x), fd2(ref, (x,), 0, 0), rel=1e-4)
        assert close(grad(mod.first_of_wave)(x), fd2(lambda u: __import__("math").cos(u) * u, (x,), 0, 0), rel=1e-4)


def test_srcgrad_decorator_over_a_foreign_one():
    # @grad over @doubling: either d/dx 2 x^3 = 6 x^2 (hand-derived) or refused when the module is imported
    text = MODULE + "\n\n@srcgrad.grad\n@doubling\ndef grad_of_doubled(x):\n    return x ** 3\n"
    try:
        mod = load(text, "grad_over_foreign")
    except SrcGradError as exc:
        assert "doubling" in str(exc)
        return
    for x in (1.0, -2.0):
        assert close(mod.grad_of_doubled(x), 6.0 * x * x), "@grad over @doubling differentiated x**3"


def test_grad_applied_to_a_decorated_def_in_a_fresh_module():
    text = '''
import functools
import math


def negate(fn):
    @functools.wraps(fn)
    def inner(x):
        return -fn(x)
    return inner


@negate
def f(x):
    return math.exp(x)


def outer(x):
    return f(x) * x
'''
    mod = load(text, "negated")
    for g in (mod.f, mod.outer):
        right_or_refused(grad, g, (0.5,), fd(g, (0.5,), 0), "negate")
