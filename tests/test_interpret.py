"""srcgrad.ir.interpret: running IR and tracing the path a call takes.

The reference is Python itself: running the IR of a function gives what
calling the function gives, and the traced straight-line program gives the
same at the traced point and at nearby points on the same path.
"""
from __future__ import annotations

import math

import pytest

import srcgrad
from srcgrad.frontend.lower import lower_function
from srcgrad.ir.interpret import MissingTraceHook, PathTooLong, run, trace, trace_path
from srcgrad.primitives import control

from .test_verify import branchy, log_ratio, doubling, f30, looped


def breaking(x):
    s = 0.0
    for i in range(2, 12, 3):
        s = s + x * i
        if s > 5.0:
            break
    return s



def test_run_agrees_with_python_on_straight_line_code():
    for f, args in ((f30, (0.3, -0.5, 0.7, 1.2)), (log_ratio, (0.4, 0.9))):
        assert run(lower_function(f), args) == (f(*args),)


@pytest.mark.parametrize("f, points", [(branchy, [(1.0, 0.5), (0.2, 0.9)]),
                                       (looped, [(0.3, 0), (0.3, 4)]),
                                       (doubling, [(0.3,), (9.0,)]),
                                       (breaking, [(0.1,), (2.0,)])])
def test_run_and_the_traced_path_agree_with_python(f, points):
    fn = lower_function(f)
    for point in points:
        assert run(fn, point) == pytest.approx((f(*point),))
        path = trace(fn, point)
        assert not any(e.prim.structured for e in path.fn.body.walk())
        nearby = tuple(v + 1e-7 if isinstance(v, float) else v for v in point)
        assert run(path.fn, nearby) == pytest.approx((f(*nearby),))


def test_the_traced_gradient_path_is_the_generated_gradient():
    df = srcgrad.grad(looped)
    for point in ((0.3, 3), (-0.7, 5)):
        assert run(trace_path(df.fn_ir, point), point) == pytest.approx((df(*point),))


def test_different_branches_are_different_paths():
    fn = lower_function(branchy)
    assert trace(fn, (1.0, 0.5)).decisions != trace(fn, (0.2, 0.9)).decisions
    assert trace(fn, (1.0, 0.5)).decisions == trace(fn, (2.0, 0.5)).decisions


def test_a_missing_trace_hook_and_a_runaway_loop_are_reported(monkeypatch):
    with pytest.raises(PathTooLong):
        run(lower_function(doubling), (-1.0,), limit=1000)   # x only decreases: never ends
    monkeypatch.delitem(control.COND.hooks, "trace")
    with pytest.raises(MissingTraceHook, match="'cond'"):
        run(lower_function(branchy), (1.0, 0.5))


def test_math_errors_propagate_as_python_raises_them():
    with pytest.raises(ValueError):
        run(lower_function(log_ratio), (-0.4, 0.9))
    assert math.isfinite(run(lower_function(log_ratio), (0.4, 0.9))[0])
