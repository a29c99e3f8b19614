"""Refusals of control flow, helpers and sequences (issue 3), and tricky code
that must never be differentiated wrongly.

A refusal is a `SrcGradError` subclass raised when the transformation is
applied (never when the result is called), carrying the user's file, line,
column and source line; the expected line and column are found by searching
the function's own source for the offending snippet (`tests/control_refusals.py`).

The tricky functions (`tests/control_tricky.py`) may be refused or
differentiated: a gradient must match finite differences wherever the primal
runs, and fail wherever the primal raises.
"""
from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from srcgrad import SrcGradError, UnsupportedSyntaxError, grad, hessian, jvp, value_and_grad

from . import control_refusals as R
from . import control_tricky as T
from .control_support import FD_ABS, FD_REL, HAND_ABS, HAND_REL, float_argnums, mismatches
from .reference import central_difference

TRANSFORMS = {"grad": grad, "value_and_grad": value_and_grad, "jvp": jvp, "hessian": hessian}


@dataclass(frozen=True)
class Refusal:
    fn: Callable[..., Any]
    snippet: str                           # what the error points at, unique in `where`'s source
    where: Callable[..., Any] | None = None    # the function holding it, when not `fn`
    message: str = ""                      # a fragment the message must contain
    cls: type = UnsupportedSyntaxError
    wrong_location: str = ""               # known bug: refused, but pointing elsewhere
    not_refused: str = ""                  # known bug: accepted

    @property
    def id(self) -> str:
        return f"{self.fn.__name__}:{self.snippet.strip()[:24]}"


def expected_location(refusal: Refusal) -> tuple[str, int, int, str]:
    """(filename, lineno, col_offset, line) of `snippet`, from the source alone."""
    where = refusal.where or refusal.fn
    lines, first = inspect.getsourcelines(where)
    hits = [k for k, line in enumerate(lines) if refusal.snippet in line]
    assert len(hits) == 1, f"snippet {refusal.snippet!r} must occur once in {where.__name__}: {hits}"
    line = lines[hits[0]]
    return inspect.getsourcefile(where), first + hits[0], line.index(refusal.snippet), line


REFUSALS = [
    Refusal(R.for_else, "break", message="else"),
    Refusal(R.while_else, "break", message="else"),
    Refusal(R.recursive, "recursive(x * 1.5, n - 1)", message="recursion"),
    Refusal(R.ping, "ping(math.sin(x), n)", where=R.pong, message="recursion"),
    Refusal(R.calls_recursive, "recursive(x * 1.5, n - 1)", where=R.recursive, message="recursion"),
    Refusal(R.calls_bound_method, "bound_scale(x)", message="method"),
    Refusal(R.calls_method_on_object, "SCALER.scale"),
    Refusal(R.calls_static_method, "Scaler.static_scale"),
    Refusal(R.calls_module_lambda, "square(x)", message="lambda"),
    Refusal(R.defines_lambda, "lambda t: t * 2.0", message="lambda"),
    Refusal(R.helper_closure, "weighted(x)", message="closure"),
    Refusal(R.direct_closure, "weights:"),
    Refusal(R.append_in_runtime_loop, "range(n)"),
    Refusal(R.append_in_while, "ys.append(x * k)", message="run time"),
    Refusal(R.append_inside_runtime_inner_loop, "range(n)"),
    Refusal(R.falls_off_after_if, "def falls_off_after_if", message="return"),
    Refusal(R.falls_off_after_loop, "def falls_off_after_loop", message="return"),
    Refusal(R.returns_nothing, "return\n", message="return"),
    Refusal(R.unpack_too_few, "a, b = triple(x)", message="unpack"),
    Refusal(R.unpack_too_many, "a, b, c = (x, y)", message="unpack"),
    Refusal(R.unpack_scalar, "a, b = x", message="unpack"),
    Refusal(R.unpack_helper_scalar, "a, b = math.sin(x)", message="unpack"),
    Refusal(R.unpack_zip_target, "a, b in zip(W)", message="zip"),
    Refusal(R.unpack_enumerate_target, "i in enumerate(W)", message="enumerate"),
    Refusal(R.tuple_used_as_number, "t * 2.0", message="tuple"),
    Refusal(R.iterate_number, "x:"),
    Refusal(R.iterate_string, '"abc"'),
    Refusal(R.iterate_dict, "TABLE"),
    Refusal(R.iterate_reversed, "reversed(W)"),
    Refusal(R.iterate_float_range, "range(2.5)", message="int"),
    Refusal(R.iterate_generator_expression, "(x * i for i in range(3))", message="generator"),
    Refusal(R.iterate_range_with_keywords, "range(3, step=1)"),
    Refusal(R.zero_step, "range(0, 3, 0)", message="zero"),
    Refusal(R.comprehension_with_condition, "x > k", message="run time"),
    Refusal(R.index_out_of_range, "vals[2]", message="out of range"),
    Refusal(R.float_index, "x]", message="int"),
    Refusal(R.slice_of_list, "vals[1:]", message="slice"),
    Refusal(R.sequence_lengths_differ, "if x > 0.0:", message="lengths"),
    Refusal(R.returns_differ_in_shape, "if x > 0.0:", message="shape"),
    Refusal(R.reassign_sequence_in_runtime_loop, "vals = [vals[1], vals[0] * x]"),
    Refusal(R.subscript_store, "vals[0] = x * 2.0"),
    Refusal(R.print_in_loop, "print(i)"),
]


def refusal_params(include_location: bool) -> list:
    """The refusals, known bugs as strict xfails (the location's only when it is checked)."""
    params = []
    for r in REFUSALS:
        reason = r.not_refused or (r.wrong_location if include_location else "")
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(r, id=r.id, marks=marks))
    return params


@pytest.mark.parametrize("refusal", refusal_params(include_location=True))
def test_refusal_points_at_the_offending_code(refusal: Refusal) -> None:
    filename, lineno, col, line = expected_location(refusal)
    with pytest.raises(SrcGradError) as info:
        grad(refusal.fn, argnums=0)
    error = info.value
    assert isinstance(error, refusal.cls), type(error)
    assert (error.filename, error.lineno, error.col_offset) == (filename, lineno, col), str(error)
    assert error.source_line == line
    assert refusal.message.lower() in error.message.lower()
    rendered = str(error)
    assert line.strip() in rendered and "^" in rendered and f"line {lineno}" in rendered


def in_source_of(fn: Callable[..., Any], error: SrcGradError) -> bool:
    """Whether the error points into `fn`'s source."""
    lines, first = inspect.getsourcelines(fn)
    return error.filename == inspect.getsourcefile(fn) and first <= error.lineno < first + len(lines)


# Whatever the location, every one of them is refused, by every transformation.
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("refusal", refusal_params(include_location=False))
def test_every_transformation_refuses_when_applied(refusal: Refusal, transform: str) -> None:
    with pytest.raises(SrcGradError) as info:
        TRANSFORMS[transform](refusal.fn)
    assert type(info.value) is not SrcGradError
    assert any(in_source_of(f, info.value) for f in (refusal.fn, refusal.where) if f is not None), str(info.value)


def test_bound_method_is_refused_when_grad_is_applied() -> None:
    with pytest.raises(SrcGradError) as info:
        grad(R.SCALER.twice)
    assert in_source_of(R.Scaler.twice, info.value) and "method" in info.value.message


def test_lambda_is_refused_when_grad_is_applied() -> None:
    with pytest.raises(SrcGradError) as info:
        grad(R.square)
    assert info.value.lineno == inspect.getsourcelines(R.square)[1]


# --- tricky code: refused, or differentiated correctly -----------------------------------------

TRICKY = {
    "defined_in_one_branch": [(0.7,), (-0.7,)],
    "defined_in_one_branch_shadowing": [(0.7,), (-0.7,)],
    "defined_in_loop": [(0.7, 3), (0.7, 0)],
    "defined_in_loop_shadowing": [(0.7, 3), (0.7, 0)],
    "loop_target_read_after_loop": [(0.7,)],
    "loop_target_read_after_runtime_loop": [(0.7, 3), (0.7, 0)],
    "table_target_read_after_loop": [(0.7,)],
    "int_counter_divides": [(0.7,)],
    "int_state_becomes_float": [(1.5,), (0.5,)],
    "int_index_in_float_arithmetic": [(0.7, 5), (0.7, 0)],
    "zero_trip_runtime": [(0.7, 0), (0.7, -3), (0.7, 2)],
    "zero_trip_constant": [(0.7,)],
    "zero_trip_while": [(0.7,)],
    "zero_trip_table": [(0.7,)],
    "negative_step_constant": [(0.3,)],
    "negative_step_runtime": [(0.9, 5, 1, -1), (0.9, 7, -2, -3), (0.9, 1, 5, -1), (0.9, 1, 8, 2)],
    "untaken_log": [(-0.5,), (0.5,)],
    "untaken_sqrt_return": [(-0.5,), (0.5,)],
    "untaken_and": [(-0.5,), (0.5,)],
    "guarded_division": [(-0.5,), (0.5,)],
    "chained_guard": [(-0.5,), (0.7,), (1.5,)],
    "guarded_while": [(-0.5,), (0.7,), (1.6,)],
    "list_element_also_named": [(0.7,)],
    "branch_in_loop_overwrites": [(0.4,), (1.5,)],
    "while_nested_in_for": [(0.3, 2), (0.3, 0)],
    "while_after_returning_loop": [(0.3, 2), (0.7, 2)],
}

# Functions that once got a wrong derivative or a wrong refusal are kept here
# as regressions; a known open bug would be listed as a strict xfail.
TRICKY_FAILURES: dict[tuple[str, str], str] = {}


def tricky_params(test: str) -> list:
    return [pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=TRICKY_FAILURES[test, name])]
                         if (test, name) in TRICKY_FAILURES else [], id=name) for name in TRICKY]


def transformed_or_refused(make: Callable[[], Any], fn: Callable[..., Any]) -> Any:
    """The transformed function, or None when srcgrad refused it (properly)."""
    try:
        return make()
    except SrcGradError as error:
        assert in_source_of(fn, error), str(error)
        return None


def primal_runs(fn: Callable[..., Any], point: tuple) -> bool:
    try:
        fn(*point)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("name", tricky_params("gradient"))
def test_tricky_gradient_is_refused_or_correct(name: str) -> None:
    fn = getattr(T, name)
    argnums = float_argnums(TRICKY[name][0])
    df = transformed_or_refused(lambda: grad(fn, argnums=argnums), fn)
    if df is None:
        return
    for point in TRICKY[name]:
        if not primal_runs(fn, point):
            with pytest.raises(Exception):
                df(*point)
            continue
        expected = tuple(central_difference(fn, point, i) for i in argnums)
        bad = mismatches(df(*point), expected, FD_REL, FD_ABS)
        assert not bad, f"{name}{point}: " + "; ".join(bad)


@pytest.mark.parametrize("name", tricky_params("jvp"))
def test_tricky_jvp_is_refused_or_correct(name: str) -> None:
    fn = getattr(T, name)
    forward = transformed_or_refused(lambda: jvp(fn), fn)
    if forward is None:
        return
    for point in TRICKY[name]:
        tangent = tuple(1.0 if isinstance(a, float) else 0.0 for a in point)
        if not primal_runs(fn, point):
            with pytest.raises(Exception):
                forward(point, tangent)
            continue
        value, directional = forward(point, tangent)
        expected = central_difference(lambda t: fn(*(a + t * d if d else a for a, d in zip(point, tangent))),
                                      (0.0,), 0)
        assert math.isclose(value, fn(*point), rel_tol=1e-12, abs_tol=1e-14)
        assert math.isclose(directional, expected, rel_tol=FD_REL, abs_tol=FD_ABS), (point, directional, expected)


@pytest.mark.parametrize("name, point, expected", [
    ("untaken_log", (-0.5,), 0.0),            # the constant branch, not 1/x
    ("untaken_and", (-0.5,), 3.0),
    ("guarded_division", (0.0,), 0.0),        # 1/x is not evaluated at 0
    ("zero_trip_runtime", (0.7, 0), 2.0),
    ("zero_trip_constant", (0.7,), 3.0),
    ("zero_trip_while", (0.7,), 2.0),
    ("zero_trip_table", (0.7,), 3.0),         # a loop over an empty module list runs no times
    ("int_counter_divides", (0.7,), 1.5 ** 3 / 3),
])
def test_tricky_hand_values(name: str, point: tuple, expected: float) -> None:
    got = grad(getattr(T, name))(*point)
    assert math.isclose(got, expected, rel_tol=HAND_REL, abs_tol=HAND_ABS)


def test_int_arguments_have_zero_gradient() -> None:
    """A trip count is piecewise constant: its partial is 0.0, not an error at call time."""
    dx, dn = grad(T.zero_trip_runtime, argnums=(0, 1))(0.7, 3)
    assert dn == 0.0 and math.isclose(dx, central_difference(T.zero_trip_runtime, (0.7, 3), 0), rel_tol=FD_REL)
