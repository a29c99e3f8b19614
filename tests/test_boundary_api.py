"""Issue 9, "concurrency, limits and clear errors" and "refused though Python
runs it": the API's options are checked with clear `SrcGradError`s, things
that are not functions are refused by name, and code Python runs that users
write (n-ary hypot/min/max, comprehension filters, names first assigned in a
loop that surely runs) is differentiated.

Every gradient is compared with finite differences of the function as Python
runs it; every value with the function's own value, bit for bit.
"""
from __future__ import annotations

import functools
import inspect
import math
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad import (ArgumentError, NoDerivativeRuleError, UnsupportedSyntaxError, grad,
                     hessian, jacobian, jvp, value_and_grad)

from .ad_support import load_module
from .reference import close, numeric_gradient


def assert_matches_python(f, args, argnums=None):
    """value_and_grad(f) gives f's own value, bit for bit, and partials that
    agree with finite differences of f."""
    argnums = tuple(range(len(args))) if argnums is None else argnums
    value, partials = value_and_grad(f, argnums)(*args)
    expected = f(*args)
    assert value == expected and type(value) is type(expected), (value, expected)
    reference = numeric_gradient(f, args, argnums)
    assert all(close(p, r, rel=1e-6, abs_=1e-7) for p, r in zip(partials, reference)), (partials, reference)


def square(x):
    return x * x


def product(x, y):
    return x * y


# --- order -----------------------------------------------------------------------------


@pytest.mark.parametrize("order", [1.5, "2", None, True, False, 0, -1, 2.0])
def test_order_must_be_a_whole_number_of_at_least_one(order):
    with pytest.raises(ArgumentError, match="order must be a whole number of at least 1"):
        grad(square, order=order)


def test_order_accepts_integers_of_any_integer_type():
    np = pytest.importorskip("numpy")
    assert grad(square, order=np.int64(2))(3.0) == 2.0
    assert grad(square, order=1)(3.0) == 6.0


# --- argnums ---------------------------------------------------------------------------


def test_argnums_accepts_numpy_integers():
    np = pytest.importorskip("numpy")
    args = (2.0, 3.0)
    assert grad(product, argnums=np.int64(1))(*args) == pytest.approx(numeric_gradient(product, args, (1,))[0])
    got = grad(product, argnums=(np.int32(0), np.int64(-1)))(*args)
    assert got == pytest.approx(numeric_gradient(product, args, (0, 1)))
    df = jacobian(product, argnums=np.int8(0))
    assert df(*args) == pytest.approx(3.0)
    assert hessian(product, argnums=(np.int16(0), np.int16(1)))(*args) == ((0.0, 1.0), (1.0, 0.0))


def test_numpy_argnums_keep_the_recipe_plain():
    np = pytest.importorskip("numpy")
    df = grad(product, argnums=np.int64(1))
    assert df.argnums == 1 and type(df.argnums) is int
    again = pickle.loads(pickle.dumps(df))
    assert again(2.0, 3.0) == df(2.0, 3.0)


@pytest.mark.parametrize("argnums, message", [
    (True, "argnums must be ints or parameter names"),
    ((0, False), "argnums must be ints or parameter names"),
    (1.0, "argnums must be ints or parameter names"),
    (2, "out of range"),
    (-3, "out of range"),
    ((1, -1), "twice"),
    ((0, "x"), "twice"),
    ((), "empty"),
])
def test_bad_argnums_are_argument_errors(argnums, message):
    with pytest.raises(ArgumentError, match=message):
        grad(product, argnums=argnums)


# --- jvp -------------------------------------------------------------------------------


def with_default(x, y=2.0):
    return x * y + x


def test_jvp_signature_is_primals_tangents():
    j = jvp(product)
    assert tuple(inspect.signature(j).parameters) == ("primals", "tangents")
    value, tangent = j((2.0, 3.0), (1.0, 0.5))
    assert value == product(2.0, 3.0)
    assert close(tangent, 3.0 * 1.0 + 2.0 * 0.5)


@pytest.mark.parametrize("primals, tangents, message", [
    ((1.0, 2.0), (1.0,), "needs 2 tangents"),
    ((1.0,), (1.0,), "needs 2 primals"),
    ((1.0, 2.0, 3.0), (1.0, 1.0, 1.0), "needs 2 primals"),
    (1.0, 1.0, "primals as a tuple or list"),
    ((1.0, 2.0), 1.0, "tangents as a tuple or list"),
    ((1.0, 2.0), None, "tangents as a tuple or list"),
])
def test_jvp_checks_its_arguments_before_calling(primals, tangents, message):
    with pytest.raises(ArgumentError, match=message):
        jvp(product, primals, tangents)


def test_jvp_with_defaults_and_lists():
    assert jvp(with_default, [1.5], [1.0]) == (with_default(1.5), 3.0)
    value, tangent = jvp(with_default, (1.5, 3.0), (0.0, 1.0))
    assert value == with_default(1.5, 3.0) and close(tangent, 1.5)
    with pytest.raises(ArgumentError, match="needs 1 to 2 primals"):
        jvp(with_default, (), ())
    with pytest.raises(ArgumentError, match="one tangent per primal"):
        jvp(with_default, (1.0, 2.0), (1.0,))


# --- what is not a function ------------------------------------------------------------


class Scaler:
    def __call__(self, x):
        return 2.0 * x


INSTANCE = Scaler()


@functools.lru_cache(maxsize=None)
def cached(x):
    return x * x


@pytest.mark.parametrize("target, cls, message", [
    (Scaler, ArgumentError, "Scaler is a class"),
    (INSTANCE, ArgumentError, "callable tests.test_boundary_api.Scaler object"),
    (functools.partial(product, 2.0), ArgumentError, "functools.partial"),
    (cached, ArgumentError, "lru_cache"),
    (print, NoDerivativeRuleError, r"no derivative rule for print\(\)"),
    (sorted, NoDerivativeRuleError, r"no derivative rule for sorted\(\)"),
    (open, NoDerivativeRuleError, r"no derivative rule for open\(\)"),
    (str.upper, NoDerivativeRuleError, r"no derivative rule for str.upper\(\)"),
])
def test_grad_of_what_is_not_a_function(target, cls, message):
    for transform in (grad, value_and_grad, jvp, jacobian, hessian):
        with pytest.raises(cls, match=message) as info:
            transform(target)
        assert "interactive prompt" not in str(info.value)


def test_a_cached_function_is_refused_at_its_definition():
    with pytest.raises(ArgumentError, match="lru_cache") as info:
        grad(cached)
    assert info.value.lineno == inspect.getsourcelines(cached.__wrapped__)[1]


def test_a_partial_is_refused_naming_it_at_the_def_it_wraps():
    # one refusal for every wrapper, a function (functools.wraps) or not:
    # it names the wrapper and points at the def of the function inside
    with pytest.raises(ArgumentError, match=r"functools.partial of product\(\)") as info:
        grad(functools.partial(product, 2.0))
    assert info.value.filename == __file__
    assert info.value.lineno == inspect.getsourcelines(product)[1]
    assert info.value.source_line.strip() == "def product(x, y):"


def test_a_class_is_refused_at_its_definition():
    with pytest.raises(ArgumentError) as info:
        grad(Scaler)
    assert info.value.lineno == inspect.getsourcelines(Scaler)[1]
    assert "class Scaler" in info.value.source_line


def calls_print(x):
    return x * float(print(x))


def calls_sorted(x):
    return sorted(x)


def calls_class(x):
    return Scaler(x)


def calls_instance(x):
    return INSTANCE(x)


@pytest.mark.parametrize("f, called", [
    (calls_print, "print"), (calls_sorted, "sorted"), (calls_class, "Scaler"),
    (calls_instance, "INSTANCE"),
])
def test_calls_without_a_rule_are_located_at_the_call(f, called):
    with pytest.raises(NoDerivativeRuleError, match=rf"no derivative rule for {called}\(\)") as info:
        grad(f)
    assert "interactive prompt" not in str(info.value)
    lines, first = inspect.getsourcelines(f)
    assert info.value.filename == inspect.getsourcefile(f)
    assert info.value.lineno == first + len(lines) - 1
    assert info.value.source_line.strip().startswith("return")


def test_a_helper_from_a_frozen_module_is_named_at_the_call():
    import os.path
    if os.path.exists.__code__.co_filename.startswith("<frozen"):
        source = "import os\n\n\ndef f(x):\n    return x * float(os.path.exists('a'))\n"
        f = load_module(source, "frozen_helper").f
        with pytest.raises(NoDerivativeRuleError, match=r"os.path.exists\(\).*source") as info:
            grad(f)
        assert info.value.lineno == 5


# --- @srcgrad.primitive ----------------------------------------------------------------


def test_primitive_refuses_what_it_cannot_call_by_name():
    with pytest.raises(ArgumentError, match="lambda"):
        srcgrad.primitive(lambda x: x)
    with pytest.raises(ArgumentError, match="functools.partial"):
        srcgrad.primitive(functools.partial(product, 2.0))
    with pytest.raises(ArgumentError, match="is a class"):
        srcgrad.primitive(Scaler)
    with pytest.raises(ArgumentError, match="object"):
        srcgrad.primitive(INSTANCE)


@pytest.mark.skipif(not hasattr(math, "cbrt"), reason="math.cbrt is new in Python 3.11")
def test_a_builtin_can_be_a_primitive():
    cbrt = srcgrad.primitive(math.cbrt)

    @cbrt.derivative
    def _(x):
        return 1.0 / (3.0 * cbrt(x) ** 2)

    source = "def f(x):\n    return CBRT(x * x + 1.0) * x\n"
    module = load_module(source, "builtin_primitive")
    module.CBRT = cbrt
    assert_matches_python(module.f, (1.7,))


SOFTPLUS_SOURCE = '''
import math
import srcgrad


@srcgrad.primitive
def softplus(x):
    return math.log1p(math.exp(SCALE * x))


@softplus.derivative
def _(x):
    return SCALE / (1.0 + math.exp(-SCALE * x))
'''


def test_primitives_with_the_same_name_stay_distinct():
    """Two modules' `softplus` (or one cell run twice, the first still in
    use): each keeps its own rule, and one function can call both."""
    first = load_module(SOFTPLUS_SOURCE.replace("SCALE", "1.0"), "softplus_one")
    second = load_module(SOFTPLUS_SOURCE.replace("SCALE", "3.0"), "softplus_two")
    assert first.softplus.__name__ == second.softplus.__name__ == "softplus"
    user = load_module("def f(x):\n    return A(x) + 2.0 * B(x)\n\n\ndef g(x):\n    return B(x)\n", "both")
    user.A, user.B = first.softplus, second.softplus
    assert_matches_python(user.f, (0.3,))
    assert_matches_python(user.g, (0.3,))
    report = srcgrad.verify(user.f)
    assert report.ok, str(report)


def test_a_redefined_primitive_keeps_its_rule():
    again = load_module(SOFTPLUS_SOURCE.replace("SCALE", "1.0"), "softplus_again")
    kept = again.softplus
    again = load_module(SOFTPLUS_SOURCE.replace("SCALE", "5.0"), "softplus_again")
    user = load_module("def f(x):\n    return OLD(x) * NEW(x)\n", "old_and_new")
    user.OLD, user.NEW = kept, again.softplus
    assert_matches_python(user.f, (0.4,))


# --- math.hypot of any arity -----------------------------------------------------------


HYPOT_SOURCE = '''
import math

TABLE = (1.5, -2.0, 0.25)


def h0(x):
    return x + math.hypot()


def h1(x):
    return math.hypot(x) * x


def h3(x, y, z):
    return math.hypot(x, y, z)


def h5(x, y):
    return math.hypot(x, 2.0 * y, 3.0, x * y, 1.0)


def starred_local(x, y):
    xs = [x, y, x * y, 0.5]
    return math.hypot(*xs)


def starred_table(x):
    return math.hypot(*TABLE, x) + math.hypot(*[x, 2.0 * x])


def comprehension(x):
    return math.hypot(*[x * k for k in range(1, 5)])
'''
HYPOT = load_module(HYPOT_SOURCE, "hypot_cases")


@pytest.mark.parametrize("name, args", [
    ("h0", (1.25,)), ("h1", (-1.5,)), ("h1", (2.0,)), ("h3", (1.0, -2.0, 3.5)), ("h5", (0.7, -1.3)),
    ("starred_local", (1.1, -0.4)), ("starred_table", (0.9,)), ("comprehension", (-0.6,)),
])
def test_hypot_of_any_arity(name, args):
    assert_matches_python(getattr(HYPOT, name), args)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3).filter(lambda v: abs(v) > 1e-3), min_size=3, max_size=6))
def test_hypot_values_are_pythons_to_the_bit(values):
    names = [f"x{i}" for i in range(len(values))]
    source = f"import math\n\n\ndef f({', '.join(names)}):\n    return math.hypot({', '.join(names)})\n"
    f = load_module(source, f"hypot_{len(values)}").f
    assert_matches_python(f, tuple(values))
    value, tangent = jvp(f, tuple(values), (1.0,) * len(values))
    assert value == f(*values)
    assert close(tangent, sum(v / math.hypot(*values) for v in values), rel=1e-9, abs_=1e-12)


def test_hypot_second_derivatives():
    h = hessian(HYPOT.h3, (0, 1, 2))(1.0, -2.0, 3.5)
    df = grad(HYPOT.h3, (0, 1, 2))
    for i in range(3):
        row = numeric_gradient(lambda *a: df(*a)[i], (1.0, -2.0, 3.5), (0, 1, 2))
        assert all(close(a, b, rel=1e-6, abs_=1e-8) for a, b in zip(h[i], row))


# --- min / max -------------------------------------------------------------------------


MINMAX_SOURCE = '''
TABLE = (0.5, 4.0, -1.0)


def max3(a, b, c):
    return max(a, b, c)


def min4(a, b, c, d):
    return min(a, b, c, d)


def max_list(a, b, c):
    return max([a, b, c])


def min_tuple(a, b):
    return min((a * b, a, b - 1.0))


def max_local(a, b):
    xs = [a * k for k in range(3)]
    xs.append(b)
    return max(xs) + min(xs)


def max_table(a):
    return max(TABLE) * a + min(TABLE, ) * a * a


def mixed(a, b):
    return max(a, 1.0, b) - min(0.0, a, b, -a)


def of_range(a):
    return a * max(range(-2, 3)) + min(range(4, 7)) * a * a
'''
MINMAX = load_module(MINMAX_SOURCE, "minmax_cases")


@pytest.mark.parametrize("name, args", [
    ("max3", (1.0, 3.0, 2.0)), ("max3", (-1.0, -3.0, -2.0)), ("min4", (1.0, 3.0, -2.0, 0.5)),
    ("max_list", (0.3, -0.2, 0.9)), ("min_tuple", (1.5, 0.7)), ("max_local", (1.2, 0.4)),
    ("max_local", (-1.2, 0.4)), ("max_table", (1.3,)), ("mixed", (0.4, 2.5)), ("mixed", (-0.4, -2.5)),
    ("of_range", (0.6,)),
])
def test_min_max_of_many(name, args):
    assert_matches_python(getattr(MINMAX, name), args)


def _returned_index(items, result):
    """Which of `items` (distinct objects) Python's min/max returned."""
    return next(i for i, item in enumerate(items) if item is result)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([-1.0, 0.0, 1.0, 2.0]), min_size=2, max_size=5), st.booleans())
def test_min_max_ties_follow_python(values, use_max):
    """With ties, the derivative flows to the very element Python returns."""
    builtin = max if use_max else min
    items = [float(repr(v)) + 0.0 for v in values]       # distinct float objects
    items = [v * 1.0 for v in items]
    names = [f"x{i}" for i in range(len(items))]
    source = f"def f({', '.join(names)}):\n    return {builtin.__name__}({', '.join(names)})\n"
    f = load_module(source, f"ties_{len(items)}").f
    value, partials = value_and_grad(f, tuple(range(len(items))))(*items)
    assert value == builtin(*items)
    chosen = _returned_index(items, builtin(*items))
    assert partials == tuple(1.0 if i == chosen else 0.0 for i in range(len(items)))
    listed = load_module(source.replace(f"({', '.join(names)})\n", f"([{', '.join(names)}])\n", 1)
                         .replace(f"def f([{', '.join(names)}])", f"def f({', '.join(names)})"),
                         f"ties_list_{len(items)}").f
    assert value_and_grad(listed, tuple(range(len(items))))(*items) == (value, partials)


@pytest.mark.parametrize("body, message", [
    ("max(x)", "of one number"),
    ("max([])", "empty"),
    ("max()", "at least one argument"),
    ("max(x, 1.0, key=abs)", "key= or default="),
    ("max((x, 1.0), (2.0, x))", "of sequences"),
    ("max(enumerate([x, 1.0]))", "of sequences"),
])
def test_min_max_refusals(body, message):
    f = load_module(f"def f(x):\n    return {body}\n", "minmax_refused").f
    with pytest.raises(UnsupportedSyntaxError, match=message) as info:
        grad(f)
    assert info.value.lineno == 2


# --- sum, and generator expressions consumed at once ---------------------------------------


SUM_SOURCE = '''
import math

TABLE = (0.5, 4.0, -1.0)


def with_start(a, b):
    return sum([a, b * a], b)


def with_start_keyword(a):
    return sum([a, 2.0], start=a * a)


def of_generator(a, b):
    return sum(a ** k * b for k in range(4))


def max_of_generator(a):
    return max(a * w for w in TABLE) - min(a * k + w for k, w in enumerate(TABLE))


def filtered_generator(a):
    return sum(a * w for w in TABLE if w > 0.0)


def hypot_of_generator(a):
    return math.hypot(*[a * w for w in TABLE])
'''
SUMS = load_module(SUM_SOURCE, "sum_cases")


@pytest.mark.parametrize("name, args", [
    ("with_start", (1.5, -0.5)), ("with_start_keyword", (0.7,)), ("of_generator", (0.9, 1.3)),
    ("max_of_generator", (1.2,)), ("max_of_generator", (-1.2,)), ("filtered_generator", (0.3,)),
    ("hypot_of_generator", (0.8,)),
])
def test_sum_min_max_of_generators_and_start_values(name, args):
    assert_matches_python(getattr(SUMS, name), args)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-1e17, 1e17, allow_nan=False) | st.sampled_from([0.0, -0.0, 1.0, 1e16, -1e16]),
                min_size=1, max_size=6))
def test_sum_values_are_pythons_to_the_bit(values):
    """Python 3.12+ sums floats with compensation: a chain of + differs."""
    names = [f"x{i}" for i in range(len(values))]
    source = f"def f({', '.join(names)}):\n    return sum([{', '.join(names)}])\n"
    f = load_module(source, f"sum_{len(values)}").f
    value, partials = value_and_grad(f, tuple(range(len(values))))(*values)
    expected = f(*values)
    assert value == expected and math.copysign(1.0, value) == math.copysign(1.0, expected)
    assert partials == (1.0,) * len(values)


@pytest.mark.parametrize("body, message", [
    ("len(x * k for k in range(3))", "generator"),
    ("sum(x, 1.0, 2.0)", "one sequence argument"),
])
def test_generators_only_where_consumed_at_once(body, message):
    f = load_module(f"def f(x):\n    return {body}\n", "generator_refused").f
    with pytest.raises(UnsupportedSyntaxError, match=message):
        grad(f)


def test_a_stored_generator_is_refused():
    """Iterated twice, a generator is empty the second time: not a list."""
    source = "def f(x):\n    g = (x * k for k in range(3))\n    return sum(g) + sum(g)\n"
    f = load_module(source, "stored_generator").f
    with pytest.raises(UnsupportedSyntaxError, match="generator"):
        grad(f)


# --- comprehensions with a filter -------------------------------------------------------


FILTER_SOURCE = '''
TABLE = (1.0, -2.0, 3.0, 0.0, 5.0)


def odd_terms(x):
    return sum([x ** k for k in range(7) if k % 2 == 1])


def positive_table(x):
    return sum([w * x for w in TABLE if w > 0.0])


def two_conditions(x, y):
    return sum([x * k + y for k in range(10) if k > 2 if k != 5])


def filtered_max(x):
    return max([x * k for k in range(-3, 4) if k])


def nothing_kept(x):
    return x + len([k for k in range(4) if k > 10])
'''
FILTER = load_module(FILTER_SOURCE, "filter_cases")


@pytest.mark.parametrize("name, args", [
    ("odd_terms", (1.3,)), ("positive_table", (0.7,)), ("two_conditions", (0.5, -1.5)),
    ("filtered_max", (0.8,)), ("filtered_max", (-0.8,)), ("nothing_kept", (2.0,)),
])
def test_comprehension_filters_decided_when_grad_is_applied(name, args):
    assert_matches_python(getattr(FILTER, name), args)


def test_a_filter_on_run_time_values_is_refused_at_the_if():
    f = load_module("def f(x):\n    return sum([x * k for k in range(4) if x > k])\n", "dynamic_filter").f
    with pytest.raises(UnsupportedSyntaxError, match="known only at run time") as info:
        grad(f)
    assert info.value.source_line[info.value.col_offset:].startswith("x > k")


# --- names first assigned in a loop ----------------------------------------------------


LOOP_SOURCE = '''
TABLE = (1.0, 2.0, 3.0)


def last_of_range(x):
    for i in range(3):
        y = x * i
    return y + i


def last_of_table(x):
    for t in TABLE:
        y = x * t
    return y * t


def last_of_enumerate(x):
    for k, t in enumerate(TABLE):
        z = x * t + k
    return z * k


def last_of_zip(x):
    for a, b in zip(TABLE, TABLE):
        z = x * a - b
    return z * a


def while_first_test_true(x):
    n = 0
    while n < 3:
        y = x * n
        n += 1
    return y


def while_true(x):
    while True:
        y = x * x
        break
    return y


def read_in_later_iterations(x):
    for i in range(3):
        if i > 0:
            z = y * 2.0
        else:
            z = x
        y = z * x
    return y


def nested(x):
    for i in range(3):
        acc = x
        for j in range(2):
            w = acc * j
        acc = w + acc
    return acc + w


def break_after_assignment(x):
    for i in range(4):
        y = x * i
        if y > 30.0:
            break
    return y + i


def for_else(x):
    for i in range(3):
        y = x * i
    else:
        z = y + x
    return z * i


def while_else(x):
    n = 0
    while n < 2:
        n += 1
        w = x * n
    else:
        w = w * x
    return w


def conditional_in_loop(x):
    for i in range(3):
        if x > i:
            y = x
    return y


def skipped_first_iteration(x):
    for i in range(3):
        if i == 0:
            continue
        y = x * i
    return y


def run_time_bound(x, n):
    for i in range(n):
        y = x * i
    return y


def never_runs(x):
    for i in range(0):
        y = x
    return y


def never_runs_while(x):
    n = 5
    while n < 3:
        y = x
        n += 1
    return y


def read_before_assignment(x):
    for i in range(3):
        z = y
        y = x
    return z


def one_branch(x):
    if x > 0.0:
        y = x
    return y
'''
LOOP = load_module(LOOP_SOURCE, "loop_cases")


@pytest.mark.parametrize("name", ["last_of_range", "last_of_table", "last_of_enumerate", "last_of_zip",
                                  "while_first_test_true", "while_true", "read_in_later_iterations",
                                  "nested", "break_after_assignment", "for_else", "while_else"])
@pytest.mark.parametrize("x", [1.3, -0.7])
def test_names_first_assigned_in_a_loop_that_surely_runs(name, x):
    f = getattr(LOOP, name)
    assert_matches_python(f, (x,))
    assert close(grad(f, order=2)(x), numeric_gradient(grad(f), (x,), (0,))[0], rel=1e-6, abs_=1e-7)
    value, tangent = jvp(f, (x,), (1.0,))
    assert value == f(x) and close(tangent, numeric_gradient(f, (x,), (0,))[0], rel=1e-6, abs_=1e-7)


@pytest.mark.parametrize("name, message, python_raises_at", [
    ("conditional_in_loop", "not on every path through its first iteration", None),
    ("skipped_first_iteration", "not on every path through its first iteration", None),
    ("run_time_bound", "known only at run time: when it runs zero times", (1.0, 0)),
    ("never_runs", "never runs", (1.0,)),
    ("never_runs_while", "never runs", (1.0,)),
    ("read_before_assignment", "nothing before this point assigns it", (1.0,)),
    ("one_branch", "only one branch of the condition", (-1.0,)),
])
def test_unassigned_names_are_refused_saying_exactly_why(name, message, python_raises_at):
    """The message claims UnboundLocalError only where Python raises it."""
    f = getattr(LOOP, name)
    with pytest.raises(UnsupportedSyntaxError, match=message) as info:
        grad(f)
    assert info.value.lineno is not None
    if python_raises_at is None:
        assert "UnboundLocalError" not in str(info.value)
        f(1.0)                                    # Python runs it
    else:
        # UnboundLocalError is named only where it is certain (a loop that never
        # runs); a read that is unassigned only on some paths says which paths
        certain = name.startswith("never_runs")
        assert ("UnboundLocalError" in str(info.value)) == certain or name == "read_before_assignment"
        with pytest.raises(UnboundLocalError):
            f(*python_raises_at)


# --- integer inputs --------------------------------------------------------------------


def test_integer_inputs_give_gradients():
    for transform in (grad, value_and_grad):
        result = transform(square)(3)
        gradient = result[1] if isinstance(result, tuple) else result
        assert gradient == 6
    assert grad(product, (0, 1))(3, 4) == (4, 3)
    assert grad(HYPOT.h3, (0, 1, 2))(1, 2, 2) == pytest.approx((1 / 3, 2 / 3, 2 / 3))
    assert grad(MINMAX.max3, (0, 1, 2))(1, 3, 3) == (0, 1, 0)


# --- random loops: never wrong, never a false claim about Python -----------------------------


LOOP_STATEMENTS = [
    "y = x * (i + 1.5)",
    "z = y + x",
    "if i > 0:\n    y = z * 0.5",
    "if i == 0:\n    continue",
    "if x > 1.0:\n    z = x * x",
    "if x > 4.0:\n    break",
    "w = x - i\ny = w * w",
    "y = y + x",
    "if x > 1.0:\n    z = x\nelse:\n    z = 2.0 * x",
    "for j in range(2):\n    z = y * j",
]
LOOP_HEADS = ["for i in range({n}):", "for i in range(1, {n} + 1):", "for i in range(m):",
              "i = 0\nwhile i < {n}:", "i = 0\nwhile i < m:", "for i in TABLE:"]


@st.composite
def loop_programs(draw):
    head = draw(st.sampled_from(LOOP_HEADS)).format(n=draw(st.integers(0, 3)))
    body = draw(st.lists(st.sampled_from(LOOP_STATEMENTS), min_size=1, max_size=4))
    if head.startswith("i = 0"):
        body = body + ["i += 1"] if "continue" not in "".join(body) else ["i += 1"] + body
    assigned = [name for name in "yz" if any(f"{name} =" in stmt for stmt in body)] or ["y"]
    if not any("y =" in stmt or "z =" in stmt for stmt in body):
        body = ["y = x * i"] + body
    result = " + ".join(draw(st.lists(st.sampled_from(assigned), min_size=1, max_size=2, unique=True)))
    lines = [head.splitlines()[0]] if not head.startswith("i = 0") else head.splitlines()
    indented = "\n".join("    " + line for stmt in body for line in stmt.splitlines())
    text = "\n".join("    " + line for line in lines) + "\n" + "\n".join(
        "    " + line for line in indented.splitlines())
    return f"TABLE = (2, 3)\n\n\ndef f(x, m):\n{text}\n    return {result}\n"


def _python_raises_unbound(f, points) -> bool:
    for args in points:
        try:
            f(*args)
        except UnboundLocalError:
            return True
    return False


@settings(max_examples=150, deadline=None)
@given(loop_programs())
def test_random_loops_are_right_or_refused_truthfully(source):
    f = load_module(source, "random_loop").f
    points = [(0.6, 0), (0.6, 2), (1.7, 0), (1.7, 3), (5.3, 1), (5.3, 3)]
    try:
        vg = value_and_grad(f)
    except UnsupportedSyntaxError as err:
        if "UnboundLocalError" in err.message:
            assert _python_raises_unbound(f, points), (source, err.message)
        return
    for args in points:
        try:
            expected = f(*args)
        except UnboundLocalError:
            raise AssertionError(f"srcgrad accepted code Python cannot run at {args}:\n{source}") from None
        value, partial = vg(*args)
        assert value == expected, (source, args)
        assert close(partial, numeric_gradient(f, args, (0,))[0], rel=1e-6, abs_=1e-7), (source, args)
