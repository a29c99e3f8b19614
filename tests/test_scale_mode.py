"""Issue 10, item 4: ``grad(f, mode=...)``, and the scale benchmark's own code.

* both modes agree with each other and with finite differences of the real f,
  on the control-flow corpus and on hypothesis-drawn programs;
* on the IEEE and kink corpora both modes give the same outcome, bit for bit
  where it is a signed zero, an inf, a nan or an exception (README "At
  kinks"), so srcgrad's choice of mode never changes a documented answer;
* the choice itself (`choose_mode`): forward mode, no tape, for one input;
  reverse mode for several; a forced mode is used as given;
* `mode` is validated like the other arguments, travels in the recipe
  (pickling), and composes (`order=`, grad of grad, hessian, verify=True);
* `benchmarks/bench_scale.py` generates, checks and tabulates on tiny sizes.
"""
from __future__ import annotations

import itertools
import math
import pickle
from typing import Any, Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad import ArgumentError, grad, hessian, value_and_grad
from srcgrad.api import choose_mode

from . import control_corpus as corpus
from .adversarial_support import load
from .control_support import FD_ABS, FD_REL, as_tuple, assert_gradient_matches_fd, float_argnums, mismatches
from .program_gen import programs
from .reference import central_difference
from .test_adversarial_ieee import MODULE as IEEE_MODULE
from .test_adversarial_kinks import MODULE as KINKS_MODULE
from .test_boundary_ieee import IDENTITY_SOURCE
from .test_hypothesis_programs import load as load_program, reference_gradient

MODES = ("forward", "reverse")
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324, 3, 0, -2)


# --- outcomes, compared bit for bit -------------------------------------------------

def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "value", call()
    except Exception as exc:        # the exception's type is part of the answer
        return "raises", type(exc)


def identical(a: Any, b: Any) -> bool:
    """Equal as IEEE values: nan equals nan, 0.0 differs from -0.0, an int
    from a float; close (1e-12) where both are ordinary numbers, since the two
    modes may associate a product of partials differently."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(map(identical, a, b))
    if isinstance(a, complex) or isinstance(b, complex):
        return type(a) is type(b) and identical(a.real, b.real) and identical(a.imag, b.imag)
    if type(a) is not type(b):
        return False
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == 0 or math.isinf(a) or b == 0 or math.isinf(b):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return math.isclose(a, b, rel_tol=1e-12)


def same_outcome(a: tuple[str, Any], b: tuple[str, Any]) -> bool:
    return a[0] == b[0] and (a[1] is b[1] if a[0] == "raises" else identical(a[1], b[1]))


def functions(module: Any) -> list[tuple[str, Any]]:
    return [(name, f) for name, f in vars(module).items()
            if callable(f) and getattr(f, "__module__", None) == module.__name__ and not name.startswith("_")
            and hasattr(f, "__code__")]


# Where the two modes differ, and which one README's rules give (a defect of
# the other mode, reported): name -> (argnum, the mode that is right, why).
KNOWN_DIFFERENCES: dict = {}


def corpus_modules() -> list[tuple[str, Any]]:
    return [("kinks", load(KINKS_MODULE, "mode_kinks")), ("ieee", load(IEEE_MODULE, "mode_ieee")),
            ("identities", load(IDENTITY_SOURCE, "mode_identities"))]


def special_cases() -> list:
    params = []
    for label, module in corpus_modules():
        for name, f in functions(module):
            for i in range(f.__code__.co_argcount):
                marks = []
                if name in KNOWN_DIFFERENCES and KNOWN_DIFFERENCES[name][0] == i:
                    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[name][2])]
                params.append(pytest.param(f, i, id=f"{label}-{name}-{i}", marks=marks))
    return params


def points_for(f: Any) -> list[tuple]:
    n = f.__code__.co_argcount
    if n <= 2:
        return list(itertools.product(SPECIAL, repeat=n))
    return [tuple(SPECIAL[(k + j) % len(SPECIAL)] for j in range(n)) for k in range(len(SPECIAL))]


@pytest.mark.parametrize("f, argnum", special_cases())
def test_both_modes_give_the_same_answer_at_special_values(f: Any, argnum: int) -> None:
    built = {(mode, kind): make(f, argnum, mode=mode) for mode in MODES
             for kind, make in (("grad", grad), ("value_and_grad", value_and_grad))}
    for point in points_for(f):
        for kind in ("grad", "value_and_grad"):
            fwd = outcome(lambda: built["forward", kind](*point))
            rev = outcome(lambda: built["reverse", kind](*point))
            assert same_outcome(fwd, rev), f"{kind} of {f.__name__} at {point}: forward {fwd}, reverse {rev}"


def test_the_known_difference_is_decided_for_the_documented_answer() -> None:
    # README "At kinks": grad evaluates only what the derivative needs; f(x) = 3x
    module = load(IDENTITY_SOURCE, "mode_unused")
    f = module.unused_sqrt_in_loop
    for x in (2.0, 1.5, 0.0, -3.0):
        assert grad(f)(x) == 3.0
        assert grad(f, mode="forward")(x) == 3.0
        assert grad(f, mode="reverse")(x) == 3.0      # state overwritten and never read: no cotangent
    with pytest.raises(ValueError):      # the value part fails where f does, in both modes
        value_and_grad(f)(1.5)


# --- control flow: the corpus and random programs ---------------------------------------

@pytest.mark.parametrize("case, point", [pytest.param(c, p, id=f"{c.fn.__name__}-{k}")
                                         for c in corpus.CASES for k, p in enumerate(c.points)])
def test_corpus_both_modes_match_finite_differences(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    if not argnums:
        pytest.skip("no float argument")
    partials = {mode: tuple(as_tuple(grad(case.fn, argnums=i, mode=mode)(*point))[0] for i in argnums)
                for mode in MODES}
    assert_gradient_matches_fd(case.fn, lambda *a: partials["forward"], point, argnums)
    assert_gradient_matches_fd(case.fn, lambda *a: partials["reverse"], point, argnums)
    together = as_tuple(grad(case.fn, argnums=argnums, mode="forward")(*point))
    assert not mismatches(together, partials["reverse"], 1e-12, 1e-14)


coordinates = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 6))


@settings(max_examples=12, deadline=None)
@given(program=programs(), x=coordinates, y=coordinates, n=st.integers(0, 3))
def test_random_programs_both_modes_match_finite_differences(program, x: float, y: float, n: int) -> None:
    plain = load_program(program.plain, "mode_program")
    traced = load_program(program.traced, "mode_traced")
    point = (x, y, n)
    expected = reference_gradient(plain.f, traced, point)
    assume(expected is not None)
    for mode in MODES:
        got = grad(plain.f, argnums=(0, 1), mode=mode)(*point)
        assert not mismatches(got, expected, FD_REL, FD_ABS), (mode, got, expected)
    alone = tuple(grad(plain.f, argnums=i)(*point) for i in (0, 1))        # srcgrad's choice: forward
    assert not mismatches(alone, expected, FD_REL, FD_ABS), (alone, expected)


# --- the choice ---------------------------------------------------------------------------

def test_one_input_is_forward_mode_without_a_tape() -> None:
    source = grad(corpus.repeated_map).source
    assert "_tape" not in source and "reversed(" not in source, source
    assert "_tape" in grad(corpus.repeated_map, mode="reverse").source


def test_several_inputs_are_reverse_mode() -> None:
    fn = srcgrad.transform.primal_ir(corpus.branch_on_two)
    assert choose_mode(fn, (0,)) == "forward"
    assert choose_mode(fn, (0, 1)) == "reverse"
    # one argnum given as a tuple is still one input
    source = grad(corpus.repeated_map, argnums=(0,)).source
    assert "_tape" not in source


def test_forward_mode_tape_memory_is_constant() -> None:
    import tracemalloc
    df = grad(corpus.repeated_map)
    df(0.3, 10)

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            df(0.3, n)
            return tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
    assert peak(40_000) < 1024, "forward mode stores nothing per iteration"


# --- arguments, recipes, compositions -------------------------------------------------------

def quadratic(x, y):
    return x * x * y + math.sin(y)


@pytest.mark.parametrize("mode", ["Forward", "rev", "", 0, 1, True, ("forward",), b"forward", 1.5, "forward "])
def test_a_mode_that_is_not_one_of_the_three_is_an_argument_error(mode: Any) -> None:
    for make in (lambda: grad(quadratic, mode=mode), lambda: value_and_grad(quadratic, mode=mode),
                 lambda: grad(mode=mode)):
        with pytest.raises(ArgumentError, match="mode must be 'forward', 'reverse' or None"):
            make()


class Sly(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


class Label(str):
    """A str subclass as NumPy's ``np.str_`` is one (NumPy is no test dependency)."""


def test_a_str_subclass_is_read_by_its_characters() -> None:
    forced = grad(quadratic, argnums=(0, 1), mode=Label("forward"))
    assert "'mode': 'forward'" in forced.__srcgrad_recipe__ and type(forced.recipe[2]["mode"]) is str
    with pytest.raises(ArgumentError, match="mode must be"):
        grad(quadratic, mode=Sly("sideways"))


@pytest.mark.parametrize("mode", [None, *MODES])
def test_mode_with_names_tuples_order_and_verify(mode: str | None) -> None:
    point = (0.7, -1.3)
    fd = tuple(central_difference(quadratic, point, i) for i in (0, 1))
    assert not mismatches(grad(quadratic, argnums=("x", "y"), mode=mode)(*point), fd, FD_REL, FD_ABS)
    assert not mismatches((grad(quadratic, argnums="y", mode=mode)(*point),), fd[1:], FD_REL, FD_ABS)
    value, (dx,) = value_and_grad(quadratic, argnums=(0,), mode=mode)(*point)
    assert value == quadratic(*point) and math.isclose(dx, fd[0], rel_tol=FD_REL)
    assert grad(quadratic, argnums=(0, 1), mode=mode, verify=True)(*point) == pytest.approx(fd, rel=FD_REL)
    # d²/dx² of x*x*y is 2y; d³ is 0
    assert grad(quadratic, order=2, mode=mode)(*point) == pytest.approx(2 * point[1], rel=1e-12)
    assert grad(quadratic, order=3, mode=mode)(*point) == 0.0


@pytest.mark.parametrize("inner, outer", list(itertools.product([None, *MODES], repeat=2)))
def test_grad_of_grad_through_a_loop_in_every_combination(inner: str | None, outer: str | None) -> None:
    f = corpus.repeated_map
    first = grad(f, mode=inner)
    if inner == "reverse" and outer == "reverse":
        with pytest.raises(ArgumentError, match="mode='reverse' cannot differentiate"):
            grad(first, mode=outer)
        return
    second = grad(first, mode=outer)
    expected = central_difference(first, (0.4, 5), 0)
    assert math.isclose(second(0.4, 5), expected, rel_tol=FD_REL, abs_tol=FD_ABS)


def test_hessian_of_a_loop_matches_finite_differences_of_the_gradient() -> None:
    h = hessian(corpus.repeated_map)(0.4, 5)
    df = grad(corpus.repeated_map, mode="reverse")
    assert math.isclose(h, central_difference(df, (0.4, 5), 0), rel_tol=FD_REL, abs_tol=FD_ABS)


def test_mode_travels_in_the_recipe() -> None:
    forced = grad(quadratic, argnums=(0, 1), mode="forward")
    assert "'mode': 'forward'" in forced.__srcgrad_recipe__
    assert "'mode'" not in grad(quadratic, argnums=(0, 1)).__srcgrad_recipe__     # unchanged when not given
    again = pickle.loads(pickle.dumps(forced))
    assert again is forced
    from srcgrad import generated
    rebuilt = generated._rebuild(forced.__srcgrad_recipe__)
    assert rebuilt.source == forced.source
    assert "tangent of line" in rebuilt.source          # forward mode's comments


# --- the scale benchmark's own code, on tiny sizes --------------------------------------------

def test_scale_benchmark_generates_checks_and_tabulates_tiny_cases() -> None:
    from benchmarks import bench_scale as s
    from benchmarks import scale_programs as p
    rows = s.compile_times(sizes=(20, 40), inputs=2)
    assert all(error is None for *_, error in rows) and "fitted exponent" in s.compile_table(rows)
    tiny = [s.Program(label, source, (0.3, 0.7)) for label, source in
            [("expr", p.long_expression(6)), ("ifs", p.sequential_ifs(3)), ("loops", p.sequential_loops(3)),
             ("elif", p.elif_chain(4)), ("nested ifs", p.nested_ifs(3)), ("nested loops", p.nested_loops(3)),
             ("exits", p.early_exits(3))]]
    table = s.limits_table(s.limits(tiny))
    assert table.count("\n") == len(tiny) + 1
    ratios = s.run_ratios([s.Program("body", p.long_loop_body(3, trips=2), (0.3, 0.7)),
                           s.Program("ifs", p.nested_if_body(2, trips=2), (0.3, 0.7))], repeats=2)
    assert all(ratio is not None for _, _, ratio, _ in ratios) and s.ratio_table(ratios)
    orders = s.order_rows(orders=(1, 2), n_ops=6, repeats=2)
    assert all(error is None for *_, error in orders) and s.order_table(orders)
    assert s.crossover_table(s.mode_crossover(ks=(1, 2), repeats=2)).count("\n") == 3
    assert s.fitted_exponent([1, 10, 100], [2.0, 20.0, 200.0]) == pytest.approx(1.0)


def test_scale_benchmark_reports_a_failure_as_a_row() -> None:
    from benchmarks import bench_scale as s
    broken = s.Program("refused", "def f(x, y):\n    return open(x)\n", (0.3, 0.7))
    ((label, _, lines, error),) = s.limits([broken])
    assert lines is None and error and "Error" in error


def test_scale_benchmark_refuses_a_wrong_gradient() -> None:
    from benchmarks import bench_scale as s
    from benchmarks.harness import BenchmarkError
    with pytest.raises(BenchmarkError):
        s.check_gradient("wrong", lambda x: x * x, lambda x: 3.0 * x, (0.5,), (0,))
    with pytest.raises(BenchmarkError):
        s.check_order("wrong", quadratic_one, lambda x: 0.0, 0.5, 2)


def quadratic_one(x):
    return x * x * x


UNREAD_STATE_SOURCE = '''
import math


def overwritten_in_while(x):
    s = 0.0
    i = 0
    while i < 3:
        u = math.log(x - i)
        s = s + x * x
        i += 1
    return s


def overwritten_in_nested_loops(x):
    s = 0.0
    for i in range(2):
        for j in range(2):
            u = math.sqrt(x - i - j)
            s = s + math.sin(x)
    return s


def last_value_read_after_the_loop(x):
    s = 0.0
    for i in range(3):
        u = math.sqrt(x + i)
        s = s + x
    return s + u
'''


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_loop_state_that_is_never_read_carries_no_derivative(mode: str) -> None:
    # a value overwritten every iteration and never read again has a zero
    # cotangent: its partials (inf, or raising) must not be evaluated
    module = load(UNREAD_STATE_SOURCE, "mode_unread_state")
    while_loop, nested, read_after = (module.overwritten_in_while, module.overwritten_in_nested_loops,
                                      module.last_value_read_after_the_loop)
    for x in (5.0, 1.0, 0.5):      # log(x - i), sqrt(x - i - j) fail in f for the last two
        assert grad(while_loop, mode=mode)(x) == 6.0 * x           # d/dx 3 x**2, by hand
        assert grad(nested, mode=mode)(x) == pytest.approx(4.0 * math.cos(x), rel=1e-15)
    for x in (5.0, 0.5):
        by_hand = 3.0 + 0.5 / math.sqrt(x + 2)     # u's last value is read: its derivative counts
        assert grad(read_after, mode=mode)(x) == pytest.approx(by_hand, rel=1e-14)
        h = 1e-6
        fd = (read_after(x + h) - read_after(x - h)) / (2 * h)
        assert grad(read_after, mode=mode)(x) == pytest.approx(fd, rel=1e-6)


README_KINKS_SOURCE = '''
import math


def sqrt_of_square(x):
    return math.sqrt(x * x)


def square_root(x):
    return x ** 0.5
'''


def test_readme_at_kinks_statements_about_modes() -> None:
    # README "At kinks": the same value in either mode, and in jacobian (inf * 0);
    # Taylor mode one step past an infinite derivative of a fractional power
    module = load(README_KINKS_SOURCE, "mode_readme_kinks")
    for run in (grad(module.sqrt_of_square), grad(module.sqrt_of_square, mode="forward"),
                grad(module.sqrt_of_square, mode="reverse"), srcgrad.jacobian(module.sqrt_of_square)):
        assert math.isnan(run(0.0))
    assert grad(module.square_root, order=2)(0.0) == -math.inf
    assert math.isnan(grad(module.square_root, order=2, mode="reverse")(0.0))
    assert grad(module.square_root, order=2)(4.0) == -0.25 * 4.0 ** -1.5       # by hand
