"""Issue 10, item 5: no recomputation the forward sweep already paid for.

Loop-invariant work is hoisted out of primal and backward loops
(`srcgrad.passes.licm`); a loop body's conditionals hand the values their
backward branches read to the forward loop, which records them on tapes
(`srcgrad.ad.control`).  Checked here against independent references:

* the issue's programs (benchmarks/scale_programs.py) at the issue's sizes,
  and smaller variants over both sides of every branch, against finite
  differences of the real f;
* hoisting never makes a transform fail where f does not (a loop that runs
  zero times, a branch not taken) nor fail differently (the first failure
  of the user's loop is still the first);
* tape memory stays linear in the trip count (tracemalloc);
* second derivatives through the changed loops against nested finite
  differences.
"""
from __future__ import annotations

import math

import pytest

from benchmarks import scale_programs as sp
from srcgrad import grad, hessian, value_and_grad

from .ad_compositions import disagreements, nested_difference, second_derivatives
from .control_support import FD_ABS, FD_REL
from .reference import central_difference
from .test_tape_memory import peak_bytes

SECOND_REL, SECOND_ABS = 1e-5, 1e-6      # nested differences, as tests/test_hypothesis_compositions.py


def _check_gradient(f, point, argnums=(0, 1)) -> None:
    got = grad(f, argnums=argnums)(*point)
    for g, i in zip(got, argnums):
        expected = central_difference(f, point, i)
        assert math.isclose(g, expected, rel_tol=FD_REL, abs_tol=FD_ABS), (i, g, expected)


@pytest.mark.parametrize("source", [sp.nested_if_body(10), sp.long_loop_body(200), sp.nested_loop_work(10)],
                         ids=["nested_if_body(10)", "long_loop_body(200)", "nested_loop_work(10)"])
def test_the_issues_programs_at_the_issues_sizes(source: str) -> None:
    f = sp.load(source, "recompute").f
    # every branch taken (x high), and the branches given up at several depths
    for point in ((0.3, 0.7), (-7.2, 0.4)):
        _check_gradient(f, point)


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_nested_branches_in_a_loop_on_every_side(depth: int) -> None:
    f = sp.load(sp.nested_if_body(depth, trips=4), "recompute").f
    thresholds = [-depth + k * 0.5 for k in range(depth)]
    # x just past each threshold: the loop leaves the nest at each depth
    for x in [thresholds[0] - 0.3] + [t + 0.2 for t in thresholds]:
        _check_gradient(f, (x, 0.45))
        value, _ = value_and_grad(f, argnums=(0, 1))(x, 0.45)
        assert value == f(x, 0.45)


def test_smaller_loop_bodies_and_nests() -> None:
    _check_gradient(sp.load(sp.long_loop_body(7, trips=3), "recompute").f, (0.6, -0.2))
    _check_gradient(sp.load(sp.nested_loop_work(3), "recompute").f, (0.6, -0.2))


# --- hoisting never adds a failure ------------------------------------------------

def log_each_trip(y, c, n):
    for i in range(n):
        y += math.log(c)
    return y


def log_in_a_branch(y, c, n):
    for i in range(n):
        if c > 0:
            y += math.log(c)
        y = y * 0.5 + i
    return y


def while_log(y, c, n):
    k = 0
    while k < n:
        y = y + math.log(c) * y
        k += 1
    return y


def log_then_divide(y, c):
    for i in range(2):
        y = math.log(y)
        y = y + 1.0 / c
    return y


def _outcome(call):
    try:
        return "value", call()
    except Exception as error:      # noqa: BLE001 -- the exception itself is compared
        return "raises", type(error)


@pytest.mark.parametrize("fn", [log_each_trip, log_in_a_branch, while_log])
@pytest.mark.parametrize("c", [-1.0, 0.0, math.inf, 2.0])
@pytest.mark.parametrize("n", [0, 2])
def test_invariant_work_that_may_fail_stays_in_the_loop(fn, c, n) -> None:
    y = 0.75
    expected = _outcome(lambda: fn(y, c, n))
    got = _outcome(lambda: value_and_grad(fn, argnums=(0, 1))(y, c, n))
    assert got[0] == expected[0], (expected, got)
    if expected[0] == "raises":
        assert got[1] is expected[1]
        return
    value, (dy, dc) = got[1]
    assert value == expected[1]
    if n == 0:
        # nothing ran: f is y, and the gradient must not fail where f did not
        assert grad(fn, argnums=(0, 1))(y, c, n) == (1.0, 0.0)
        assert (dy, dc) == (1.0, 0.0)
    elif c > 0 and math.isfinite(c):      # away from log's domain edge and the branch's kink at 0
        assert math.isclose(dy, central_difference(fn, (y, c, n), 0), rel_tol=FD_REL, abs_tol=FD_ABS)
        assert math.isclose(dc, central_difference(fn, (y, c, n), 1), rel_tol=FD_REL, abs_tol=FD_ABS)


def test_the_first_failure_is_still_the_users() -> None:
    # log(y) fails first (ValueError); hoisting 1.0 / c would raise ZeroDivisionError
    with pytest.raises(ValueError):
        log_then_divide(-1.0, 0.0)
    with pytest.raises(ValueError):
        value_and_grad(log_then_divide, argnums=(0, 1))(-1.0, 0.0)
    with pytest.raises(ZeroDivisionError):
        value_and_grad(log_then_divide, argnums=(0, 1))(2.0, 0.0)


def test_invariants_are_computed_once_before_the_loops() -> None:
    source = grad(sp.load(sp.nested_loop_work(4), "recompute").f, argnums=(0, 1)).source
    code = "\n".join(line for line in source.splitlines() if not line.strip().startswith("#"))
    before, body = code.split("for ", 1)
    # sin, cos and exp of the loop-invariant x: before the loops, not inside
    for call in ("math.sin(", "math.cos(", "math.exp("):
        assert call in before, source
        assert call not in body, source


# --- tapes stay linear, and hold only what the backward sweep reads ----------------

def branchy(x, y, n):
    for i in range(n):
        y = y * 0.999 + math.sin(x + y) * 0.001
        if x > 0.0:
            y = y * 0.999 + math.sin(x + y) * 0.001
            if x > 0.5:
                y = y * math.cos(x) * 0.5 + 0.5 * y
    return y


def test_kept_values_cost_linear_tape_memory() -> None:
    df = grad(branchy, argnums=(0, 1))
    df(0.7, 0.3, 10)
    small_n, large_n = 5_000, 20_000
    small, _ = peak_bytes(df, 0.7, 0.3, small_n)
    large, left = peak_bytes(df, 0.7, 0.3, large_n)
    assert 0.85 * large_n / small_n <= large / small <= 1.15 * large_n / small_n, (small, large)
    # three values per iteration (y at each of the three levels), ~32-48 bytes each
    per_iteration = (large - small) / (large_n - small_n)
    assert per_iteration <= 3 * 48, f"{per_iteration:.1f} bytes per iteration"
    assert left < 4096, left
    for point in ((0.7, 0.3, 6), (0.2, 0.3, 6), (-0.4, 0.3, 6)):
        _check_gradient(branchy, point)


@pytest.mark.parametrize("point", [(0.7, 0.3, 4), (0.2, -0.3, 3)])
def test_second_derivatives_through_kept_values(point) -> None:
    expected = {(i, j): nested_difference(branchy, point, i, j) for i in (0, 1) for j in (0, 1)}
    bad = disagreements(second_derivatives(branchy, point), expected, SECOND_REL, SECOND_ABS)
    assert not bad, bad


def test_hessian_through_a_hoisted_invariant() -> None:
    f = sp.load(sp.nested_loop_work(3), "recompute").f
    point = (0.6, -0.2)
    h = hessian(f, (0, 1))(*point)
    for i in (0, 1):
        for j in (0, 1):
            expected = nested_difference(f, point, i, j)
            assert math.isclose(h[i][j], expected, rel_tol=SECOND_REL, abs_tol=SECOND_ABS), (i, j, h, expected)
