"""Branches, loops, helpers and lists (issue 3) against independent references.

Every function of `tests/control_corpus.py` is differentiated with respect to
each of its float arguments at points on both sides of each of its branches,
and checked against fourth-order central differences (and, where given, a
derivative worked out by hand).  Forward mode must agree with reverse mode
(``jvp`` = gradient . tangent), ``value_and_grad`` must return the function's
value, and second derivatives (``hessian`` and ``grad(grad(f))``) through the
same loops and branches must match finite differences of the gradient.

Two checks keep the corpus honest: together the points run every line of
every corpus function, and no finite-difference stencil crosses a branch
boundary (the lines executed are the same at every stencil point).
"""
from __future__ import annotations

import math
import random
import re
import sys
import types
from typing import Any, Callable, Sequence

import pytest

from srcgrad import grad, hessian, jvp, value_and_grad

from . import control_corpus as corpus
from .control_support import (FD_ABS, FD_REL, HAND_ABS, HAND_REL, VALUE_ABS, VALUE_REL, as_tuple,
                              assert_gradient_matches_fd, float_argnums, imports_of, mismatches)
from .reference import central_difference

# Bugs these tests found in srcgrad, reported to the lead: corpus function ->
# (what is wrong, the tests it fails, at which of its points).  Each is a
# strict xfail, so a fix shows up as an XPASS: then delete the entry.
DERIVATIVE_TESTS = ("gradient", "argnum_alone", "value_and_grad", "jvp", "hessian", "grad_of_grad")
KNOWN_FAILURES: dict[str, tuple[str, tuple[str, ...], tuple[int, ...]]] = {}


def points(test: str = "", hand_only: bool = False) -> list:
    """One parameter per corpus point, with known failures of `test` as strict xfails."""
    params = []
    for case in corpus.CASES:
        if hand_only and case.hand is None:
            continue
        reason, tests, failing = KNOWN_FAILURES.get(case.fn.__name__, ("", (), ()))
        for k, point in enumerate(case.points):
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if test in tests and k in failing else []
            params.append(pytest.param(case, point, id=f"{case.fn.__name__}-{k}", marks=marks))
    return params


# --- first derivatives --------------------------------------------------------------

@pytest.mark.parametrize("case, point", points("gradient"))
def test_gradient_matches_finite_differences(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    df = grad(case.fn, argnums=argnums)
    assert_gradient_matches_fd(case.fn, df, point, argnums)
    assert imports_of(df.source) <= {"math"}, df.source


@pytest.mark.parametrize("case, point", points("argnum_alone"))
def test_each_argnum_alone_matches_the_tuple(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    together = grad(case.fn, argnums=argnums)(*point)
    for k, i in enumerate(argnums):
        alone = grad(case.fn, argnums=i)(*point)
        assert isinstance(alone, float)
        assert math.isclose(alone, together[k], rel_tol=VALUE_REL, abs_tol=VALUE_ABS)


@pytest.mark.parametrize("case, point", points("gradient", hand_only=True))
def test_gradient_matches_hand_derivation(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    bad = mismatches(grad(case.fn, argnums=argnums)(*point), case.hand(*point), HAND_REL, HAND_ABS)
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("case, point", points("value_and_grad"))
def test_value_and_grad_returns_the_value(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    value, partials = value_and_grad(case.fn, argnums=argnums)(*point)
    assert math.isclose(value, case.fn(*point), rel_tol=VALUE_REL, abs_tol=VALUE_ABS)
    gradient = grad(case.fn, argnums=argnums)(*point)
    assert not mismatches(partials, gradient, VALUE_REL, VALUE_ABS)


@pytest.mark.parametrize("case, point", points("jvp"))
def test_jvp_is_gradient_dot_tangent(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    rng = random.Random(f"{case.fn.__name__}{point}")
    tangent = tuple(rng.uniform(-1.0, 1.0) if i in argnums else 0.0 for i in range(len(point)))
    value, directional = jvp(case.fn, point, tangent)
    gradient = grad(case.fn, argnums=argnums)(*point)
    expected = sum(g * tangent[i] for g, i in zip(gradient, argnums))
    assert math.isclose(value, case.fn(*point), rel_tol=VALUE_REL, abs_tol=VALUE_ABS)
    assert math.isclose(directional, expected, rel_tol=1e-9, abs_tol=1e-12), (directional, expected)


# --- second derivatives ---------------------------------------------------------------

def gradient_fd(gradient: Callable[..., Any], point: Sequence[Any], argnums: Sequence[int]) -> list[list[float]]:
    """H[i][j] = d(grad_i)/d(arg_j) by central differences of the gradient."""
    columns = [[central_difference(lambda *a, k=k: as_tuple(gradient(*a))[k], point, j) for j in argnums]
               for k in range(len(argnums))]
    return columns


@pytest.mark.parametrize("case, point", points("hessian"))
def test_hessian_matches_differences_of_the_gradient(case: corpus.Case, point: tuple) -> None:
    argnums = float_argnums(point)
    expected = gradient_fd(grad(case.fn, argnums=argnums), point, argnums)
    got = hessian(case.fn, argnums=argnums)(*point)
    for row_got, row_expected in zip(got, expected):
        bad = mismatches(row_got, row_expected, FD_REL, FD_ABS)
        assert not bad, "; ".join(bad)


@pytest.mark.parametrize("case, point", points("grad_of_grad"))
def test_grad_of_grad_matches_differences_of_the_gradient(case: corpus.Case, point: tuple) -> None:
    first = float_argnums(point)[0]
    df = grad(case.fn, argnums=first)
    expected = central_difference(df, point, first)
    got = grad(df, argnums=first)(*point)
    assert not mismatches((got,), (expected,), FD_REL, FD_ABS)


# --- generated code ----------------------------------------------------------------------

def test_tape_is_a_list_named_after_what_it_holds() -> None:
    source = grad(corpus.repeated_map, mode="reverse").source
    assert "x_tape = []" in source and "x_tape.append(x)" in source and "reversed(x_tape)" in source, source


def test_loop_over_a_table_reads_the_table_without_copying_it_into_a_tape() -> None:
    source = grad(corpus.horner, mode="reverse").source
    assert "in COEFFS" in source and not re.search(r"\bc_tape\b", source), source


# --- the corpus itself --------------------------------------------------------------------

def corpus_functions() -> list[types.FunctionType]:
    return [f for name, f in vars(corpus).items()
            if isinstance(f, types.FunctionType) and f.__module__ == corpus.__name__ and not name.startswith("_")]


def executed_lines(fn: Callable[..., Any], point: Sequence[Any]) -> list[tuple[str, int]]:
    """The (function, line) events of corpus code while `fn(*point)` runs."""
    events: list[tuple[str, int]] = []
    filename = corpus.__file__

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != filename:
            return None
        if event == "line":
            events.append((frame.f_code.co_name, frame.f_lineno))
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*point)
    finally:
        sys.settrace(previous)
    return events


def test_points_run_every_line_of_every_corpus_function() -> None:
    run = {event for case in corpus.CASES for point in case.points for event in executed_lines(case.fn, point)}
    missing = []
    for f in corpus_functions():
        body = {line for _, _, line in f.__code__.co_lines() if line and line != f.__code__.co_firstlineno}
        lines = {line for name, line in run if name == f.__name__}
        missing += [f"{f.__name__}: line {line}" for line in sorted(body - lines)]
    assert not missing, "corpus lines no test point runs: " + ", ".join(missing)


@pytest.mark.parametrize("case, point", points())
def test_no_stencil_crosses_a_branch(case: corpus.Case, point: tuple) -> None:
    """Finite differences are meaningful only where the same lines run at
    every point of the stencil."""
    reference = executed_lines(case.fn, point)
    for i in float_argnums(point):
        h = 1e-3 * max(1.0, abs(point[i]))
        for delta in (-2 * h, -h, h, 2 * h):
            moved = list(point)
            moved[i] += delta
            assert executed_lines(case.fn, moved) == reference, f"moving argument {i} by {delta} changes the path"


def test_every_corpus_function_is_a_case_or_a_helper_of_one() -> None:
    called = {name for case in corpus.CASES for point in case.points
              for name, _ in executed_lines(case.fn, point)}
    unused = [f.__name__ for f in corpus_functions() if f.__name__ not in called]
    assert not unused, unused
