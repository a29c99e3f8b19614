"""Issue 9, "also found by random programs": helpers returning one value
twice, ``zip`` over module tables of different lengths or aliased tables,
and code Python runs that srcgrad refused (``hypot``/``min``/``max`` with
more arguments, comprehension filters, a variable first assigned in a loop
over a constant non-empty range).  Every transform, and ``verify``, must
agree with the function as Python runs it.
"""
from __future__ import annotations

import pytest

import srcgrad
from srcgrad import grad, hessian, jvp, value_and_grad

from .adversarial_support import all_close, close, fd, fd2, load, same_bits

DUPLICATES = '''
import math

T3 = (0.5, -1.0, 2.0)
T5 = (1.0, 0.25, -0.5, 3.0, 1.5)
ALIAS = T3


def pair(p):
    return p, p


def triple(p, q):
    return p, q, p


def echo(p):
    r = p
    return r, p, r


def nested_pair(p):
    a, b = pair(p)
    return b, a


def second_of_pair(x):
    a, b = pair(2.0 * x)
    return b


def first_of_pair(x):
    a, b = pair(math.sin(x))
    return a


def product_of_pair(x, y):
    a, b = pair(x * y)
    return a * b + y


def swapped_pair(x):
    b, a = pair(x + 1.0)
    return a * 3.0 - b


def indexed_pair(x):
    return pair(x * x)[1] + pair(x)[0]


def triple_user(x, y):
    a, b, c = triple(x, y)
    return c * b + a


def echo_user(x):
    a, b, c = echo(math.exp(x))
    return a + 2.0 * b + 3.0 * c


def nested_user(x):
    a, b = nested_pair(x * 3.0)
    return a - 0.5 * b


def looped_pair(x):
    s = 0.0
    for i in range(3):
        a, b = pair(s + x)
        s = b * 0.5 + math.sin(a)
    return s


def zip_short_long(x):
    s = 0.0
    for a, b in zip(T3, T5):
        s = s + a * math.sin(b * x)
    return s


def zip_long_short(x):
    s = 0.0
    for a, b in zip(T5, T3):
        s = s * 0.5 + a * b * x * x
    return s


def zip_three(x):
    s = 0.0
    for a, b, c in zip(T5, T3, T5):
        s = s + a * b * math.cos(c * x)
    return s


def zip_alias(x):
    s = 0.0
    for a, b in zip(T3, ALIAS):
        s = s + a * b * x
    return s


def zip_self(x):
    s = x
    for a, b in zip(T5, T5):
        s = s * 0.5 + a * math.sin(b * s)
    return s


def zip_then_plain(x):
    s = 0.0
    for a, b in zip(T3, T5):
        s = s + a * b * x
    for b in T5:
        s = s * x + b
    return s


def zip_then_index(x):
    s = 0.0
    for a, b in zip(T5, T3):
        s = s + a * math.sin(b * x)
    for i in range(5):
        s = s + T5[i] * x
    return s


def zip_both_orders(x):
    s = 0.0
    for a, b in zip(T3, T5):
        s = s * 0.5 + a * b * x
    for a, b in zip(T5, T3):
        s = s + a * math.cos(b * x)
    return s


def enumerate_zip(x):
    s = 0.0
    for i, (a, b) in enumerate(zip(T5, T3)):
        s = s + i * a * math.sin(b + x)
    return s
'''

ONE_ARG = ["second_of_pair", "first_of_pair", "swapped_pair", "indexed_pair", "echo_user", "nested_user",
           "looped_pair", "zip_short_long", "zip_long_short", "zip_three", "zip_alias", "zip_self",
           "zip_then_plain", "zip_then_index", "zip_both_orders"]
TWO_ARG = ["product_of_pair", "triple_user"]


@pytest.fixture(scope="module")
def dup():
    return load(DUPLICATES, "found")


@pytest.mark.parametrize("name", ONE_ARG)
def test_one_argument(dup, name):
    f = getattr(dup, name)
    for x in (0.3, -1.2):
        want = fd(f, (x,), 0)
        assert close(grad(f)(x), want), f"grad({name})"
        value, slope = value_and_grad(f)(x)
        assert same_bits(value, f(x)) and close(slope, want)
        primal, tangent = jvp(f)((x,), (1.0,))
        assert same_bits(primal, f(x)) and close(tangent, want)
        assert close(hessian(f)(x), fd2(f, (x,), 0, 0), rel=1e-5, abs_=1e-6)


def test_enumerate_of_zip_is_right_or_refused_clearly(dup):
    try:
        got = grad(dup.enumerate_zip)(0.3)
    except srcgrad.SrcGradError:
        return
    assert close(got, fd(dup.enumerate_zip, (0.3,), 0))


@pytest.mark.parametrize("name", TWO_ARG)
def test_two_arguments(dup, name):
    f = getattr(dup, name)
    point = (0.8, -0.6)
    want = (fd(f, point, 0), fd(f, point, 1))
    assert all_close(grad(f, argnums=(0, 1))(*point), want)
    value, slopes = value_and_grad(f, argnums=(0, 1))(*point)
    assert same_bits(value, f(*point)) and all_close(slopes, want)
    assert close(jvp(f)(point, (1.0, 1.0))[1], want[0] + want[1])


def test_the_issue_pair_example_hand_derived(dup):
    # b = 2x: d/dx = 2 everywhere
    assert grad(dup.second_of_pair)(1.7) == 2.0
    assert value_and_grad(dup.second_of_pair)(1.7) == (3.4, 2.0)


@pytest.mark.parametrize("name", ["second_of_pair", "product_of_pair", "echo_user", "zip_short_long",
                                  "zip_then_plain", "zip_alias"])
def test_verify_on_duplicated_values(dup, name):
    f = getattr(dup, name)
    argnums = (0, 1) if name in TWO_ARG else 0
    report = srcgrad.verify(f, argnums=argnums)
    assert report.ok, str(report)


REFUSED_BUT_VALID = '''
import math

T = (1.5, -0.5, 2.0, -3.0)


def hypot3(x, y):
    return math.hypot(x, y, 2.0 * x)


def hypot4(x, y):
    return math.hypot(x, y, x * y, 1.0)


def min3(x, y):
    return min(x, y, 0.5 * x + 1.0)


def max4(x, y):
    return max(x * y, y, x, -2.0)


def filtered_sum(x):
    return sum([c * x * x for c in T if c > 0.0])


def filtered_list(x):
    vals = [math.sin(c * x) for c in T if c < 1.0]
    s = 0.0
    for v in vals:
        s = s + v
    return s


def assigned_in_loop(x):
    for i in range(3):
        last = x * i
    return last + x


def assigned_in_nested_loop(x):
    for i in range(2):
        for j in range(1, 3):
            inner = math.sin(x * j) + i
    return inner * x


def assigned_in_table_loop(x):
    for c in T:
        term = c * x
    return term * term
'''


@pytest.fixture(scope="module")
def valid():
    return load(REFUSED_BUT_VALID, "valid")


@pytest.mark.parametrize("name, point", [("hypot3", (0.3, -1.2)), ("hypot4", (1.1, 0.7)),
                                         ("min3", (0.2, 1.9)), ("min3", (3.0, 5.0)), ("min3", (1.0, -4.0)),
                                         ("max4", (0.6, -0.8)), ("max4", (-3.0, -3.5)), ("max4", (1.5, 2.5))])
def test_many_argument_builtins(valid, name, point):
    f = getattr(valid, name)
    want = (fd(f, point, 0), fd(f, point, 1))
    assert all_close(grad(f, argnums=(0, 1))(*point), want), name
    assert same_bits(value_and_grad(f)(*point)[0], f(*point))


@pytest.mark.parametrize("name", ["filtered_sum", "filtered_list", "assigned_in_loop", "assigned_in_nested_loop",
                                  "assigned_in_table_loop"])
def test_python_that_runs_is_differentiated(valid, name):
    f = getattr(valid, name)
    for x in (0.4, -1.3):
        assert close(grad(f)(x), fd(f, (x,), 0)), name
        assert same_bits(value_and_grad(f)(x)[0], f(x))
        assert close(jvp(f)((x,), (1.0,))[1], fd(f, (x,), 0))


def test_variable_unassigned_when_the_range_is_empty_is_still_refused():
    mod = load('''
def f(x, n):
    for i in range(n):
        last = x * i
    return last
''', "maybe_unbound")
    with pytest.raises(srcgrad.SrcGradError) as info:
        grad(mod.f)(1.0, 3)
    assert "last" in str(info.value)
