"""Issue 9, "verify must verify what runs": ``verify`` checks the generated
callable against the user's function as Python runs it.

A stale gradient, a wrong user rule (everywhere, or only on a path or region
the symbolic proof cannot see), a wrapper or an edited file must never be
reported ok; a correct gradient at large magnitudes or ill-conditioned
points must not be reported as a mismatch; ``hypot`` at the origin does not
crash it.
"""
from __future__ import annotations

import pytest

import srcgrad
from srcgrad import SrcGradError, grad

from .adversarial_support import close, fd, load, write_source

MODULE = '''
import math
import srcgrad

SCALE = 2.0


def f(x):
    return SCALE * math.sin(x) + x * x


@srcgrad.primitive
def soft(u):
    return math.log1p(math.exp(u))


@soft.derivative
def _(u):
    return 2.0                       # wrong everywhere


@srcgrad.primitive
def wave(u):
    return math.sin(u)


@wave.derivative
def _(u):
    return math.cos(u) if u <= 5.0 else 0.0      # wrong only for u > 5


@srcgrad.primitive
def ramp(u):
    return u * u * u if u > 40.0 else 0.0


@ramp.derivative
def _(u):
    return u * u if u > 40.0 else 0.0            # wrong (should be 3 u^2) only where u > 40


@srcgrad.primitive
def big(u):
    return math.exp(u)


@big.derivative
def _(u):
    return math.exp(u)                           # right


@srcgrad.primitive
def sq(u):
    return u * u


@sq.derivative
def _(u):
    return 2.0 * u                               # right


def uses_soft(x):
    return soft(x) * x


def uses_wave(x):
    return wave(x) + x


def uses_ramp(x):
    return ramp(x) + 0.5 * x


def branch_to_wrong(x):
    if x > 50.0:
        return soft(x)
    return math.sin(x)


def uses_big(x):
    return big(x) * 1.5


def uses_sq(x):
    return sq(x - 1e8)


def radius(x, y):
    return math.hypot(x, y)
'''


@pytest.fixture
def mod():
    return load(MODULE, "verify")


def is_mismatch(result) -> bool:
    return "mismatch" in result.status.lower()


def test_wrong_rule_everywhere_is_a_mismatch(mod):
    report = srcgrad.verify(mod.uses_soft)
    assert not report.ok and is_mismatch(report[0]), str(report)


@pytest.mark.parametrize("name", ["uses_wave", "uses_ramp", "branch_to_wrong"])
def test_wrong_only_somewhere_is_never_ok(mod, name):
    report = srcgrad.verify(getattr(mod, name))
    assert not report.ok, f"a rule wrong on part of the line was reported ok:\n{report}"
    assert report[0].status != "proved"


@pytest.mark.parametrize("name", ["uses_wave", "uses_ramp"])
def test_wrong_rule_found_where_it_is_wrong(mod, name):
    # at points inside the wrong region the answer can only be a mismatch
    report = srcgrad.verify(getattr(mod, name), at=[(45.0,), (60.0,)])
    assert not report.ok and is_mismatch(report[0]), str(report)


def test_stale_gradient_is_a_mismatch(mod):
    old = grad(mod.f)
    mod.SCALE = 10.0
    report = srcgrad.verify(old)
    assert not report.ok and report[0].status != "proved", f"a stale gradient was certified:\n{report}"
    fresh = srcgrad.verify(mod.f)
    assert fresh.ok, str(fresh)


def test_edited_source_is_not_certified(mod):
    write_source(mod, MODULE.replace("SCALE * math.sin(x)", "SCALE * math.cos(x)"))
    try:
        report = srcgrad.verify(mod.f)
    except SrcGradError:
        return
    assert not report.ok, f"verified the text on disk, not the code that runs:\n{report}"


def test_wrapper_is_not_certified_as_the_wrapped_function():
    mod = load('''
import functools
import math


def doubling(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2.0 * fn(x)
    return wrapper


@doubling
def doubled(x):
    return math.sin(x) * x
''', "verify_wrap")
    try:
        report = srcgrad.verify(mod.doubled)
    except SrcGradError:
        return
    if report.ok:
        assert close(grad(mod.doubled)(0.7), fd(mod.doubled, (0.7,), 0)), f"certified the wrong gradient:\n{report}"


def test_transform_inside_is_verified_as_what_it_computes():
    mod = load('''
import math
from srcgrad import grad


def f(x):
    return math.sin(x) * x * x


DF = grad(f)


def penalty(x):
    return 2.0 * DF(x)
''', "verify_inside")
    try:
        report = srcgrad.verify(mod.penalty)
    except SrcGradError:
        return
    if report.ok:
        assert close(grad(mod.penalty)(0.7), fd(mod.penalty, (0.7,), 0)), f"certified the wrong gradient:\n{report}"


@pytest.mark.parametrize("point", [(17.0,), (16.2,), (19.5,)])
def test_large_magnitudes_are_no_false_mismatch(mod, point):
    report = srcgrad.verify(mod.uses_big, at=[point])
    assert report.ok, f"correct gradient (partial {1.5 * 2.718281828 ** point[0]:.1e}) reported wrong:\n{report}"


def test_ill_conditioned_point_is_no_false_mismatch(mod):
    report = srcgrad.verify(mod.uses_sq, at=[(1e8 + 0.5,), (1e8 - 3.25,)])
    assert not is_mismatch(report[0]), f"a correct rule reported as a mismatch:\n{report}"


def test_hypot_at_the_origin_does_not_crash(mod):
    try:
        report = srcgrad.verify(mod.radius, argnums=(0, 1), at=[(0.0, 0.0), (0.0, 1.0)])
    except SrcGradError:
        return
    str(report)
    for r in report:
        assert r.status


def test_correct_user_rule_agrees(mod):
    report = srcgrad.verify(mod.uses_sq, at=[(1.5,), (-2.0,)])
    assert report.ok, str(report)
