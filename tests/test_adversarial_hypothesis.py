"""Random adversarial programs (tests/adversarial_gen.py) against the function
as Python runs it.

Programs draw parameter and local names from the names the code generator
uses, unpack helpers returning one value twice, loop with break/continue,
and call srcgrad transforms made at import.  Properties:

* the gradient agrees with converged central differences of the real ``f``
  (points where the reference is not converged, or values are huge, are
  rejected, never compared loosely);
* with IEEE edge constants (±0.0, subnormals, 1e300), the value parts of
  ``value_and_grad`` and ``jvp`` equal ``f(x, y)`` bit for bit, or raise the
  exception ``f`` raises;
* second order: ``grad(grad(f, i), j)`` agrees with ``hessian`` and with
  nested differences.

The default ("ci") hypothesis profile runs a fifth of its examples per
test here (the programs are bigger); ``SRCGRAD_HYPOTHESIS=thorough`` runs
thousands.
"""
from __future__ import annotations

import math
import os

from hypothesis import HealthCheck, Phase, assume, event, given, note, settings
from hypothesis import strategies as st

from srcgrad import SrcGradError, grad, hessian, jvp, value_and_grad

from .adversarial_gen import AdvProgram, adversarial_programs
from .adversarial_support import MATH_ERRORS, close, fd, fd2, load, outcome

HUGE = 1e6
EXAMPLES = max(5, settings.default.max_examples // 5)
# shrinking a failing program costs minutes; the thorough profile shrinks, the default one reports
# the program as found (programs are a few lines long anyway)
THOROUGH = os.environ.get("SRCGRAD_HYPOTHESIS") == "thorough"
PHASES = tuple(Phase) if THOROUGH else (Phase.explicit, Phase.reuse, Phase.generate)
CHECKS = dict(deadline=None, phases=PHASES,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
coordinates = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 5))


def load_program(program: AdvProgram):
    note(program.text)
    return load(program.text, "advprog").f


def transformed(make):
    """``make()``, or reject the example when srcgrad refuses the program
    (refusals are tested by name elsewhere; here we look for wrong numbers)."""
    try:
        return make()
    except SrcGradError as exc:
        event(f"refused: {type(exc).__name__}")
        assume(False)


def converged_fd(f, point, i):
    for delta in (0.0, 1e-3, -1e-3, 2e-3, -2e-3):
        moved = list(point)
        moved[i] += delta * max(1.0, abs(point[i]))
        try:
            value = f(*moved)
        except MATH_ERRORS:
            return None
        if not isinstance(value, float) or not math.isfinite(value) or abs(value) > HUGE:
            return None
    h = 1e-3 * max(1.0, abs(point[i]))
    coarse, fine = fd(f, point, i, h), fd(f, point, i, h / 2)
    if not math.isclose(coarse, fine, rel_tol=1e-8, abs_tol=1e-8):
        return None          # a branch or a break decision moved under the stencil
    # a kink at the point itself (|x| at 0) fools symmetric stencils, which
    # average the two slopes: the one-sided slopes must agree with them too
    def at(delta):
        moved = list(point)
        moved[i] += delta
        return f(*moved)
    small = h / 64
    for side in ((at(small) - at(0.0)) / small, (at(0.0) - at(-small)) / small):
        if not math.isclose(side, fine, rel_tol=1e-3, abs_tol=1e-3):
            return None
    return fine


@settings(max_examples=EXAMPLES, **CHECKS)
@given(program=adversarial_programs(), x=coordinates, y=coordinates)
def test_gradient_matches_finite_differences(program, x, y):
    f = load_program(program)
    point = (x, y)
    want = [converged_fd(f, point, i) for i in (0, 1)]
    assume(None not in want)
    df = transformed(lambda: grad(f, argnums=(0, 1)))
    note(df.source)
    got = df(*point)
    for g, w in zip(got, want):
        assert close(g, w, rel=1e-5, abs_=1e-6), f"{got} vs finite differences {want}"
    if program.has_transform:
        event("calls a transform")
    if "pair" in program.text.split("def f")[-1]:
        event("unpacks a duplicated value")


@settings(max_examples=EXAMPLES, **CHECKS)
@given(program=adversarial_programs(edge_constants=True),
       x=st.sampled_from([0.0, -0.0, 1.5, -2.0, 1e-300, 1e300, 5e-324]),
       y=st.sampled_from([0.0, -0.0, 0.75, -1.0, 1e300]))
def test_value_parts_are_f_bit_for_bit(program, x, y):
    f = load_program(program)
    want = outcome(f, x, y)
    assume(not (want[0] == "value" and isinstance(want[1], complex)))
    vg = transformed(lambda: value_and_grad(f, argnums=(0, 1)))
    forward = transformed(lambda: jvp(f))

    def vg_value(a, b):
        return vg(a, b)[0]

    def jvp_value(a, b):
        return forward((a, b), (1.0, -1.0))[0]

    for name, got in (("value_and_grad", outcome(vg_value, x, y)), ("jvp", outcome(jvp_value, x, y))):
        if got[0] == "raises" and want[0] == "value":
            # the derivative itself may raise where it is infinite ("At kinks"): then grad raises too
            assert outcome(grad(f, argnums=(0, 1)), x, y)[0] == "raises", \
                f"{name} raised {got[1]} where f returned {want[1]} and grad did not raise"
            continue
        assert got == want, f"{name}: {got}, but f gives {want}"
    event(f"f {want[0]}")


@settings(max_examples=max(3, EXAMPLES // 3), **CHECKS)
@given(program=adversarial_programs(), x=coordinates, y=coordinates)
def test_second_order_compositions_agree(program, x, y):
    f = load_program(program)
    point = (x, y)
    assume(None not in [converged_fd(f, point, i) for i in (0, 1)])
    hess = transformed(lambda: hessian(f, argnums=(0, 1)))(*point)
    for i in (0, 1):
        for j in (0, 1):
            nested = transformed(lambda: grad(grad(f, i), j))(*point)
            assert close(nested, hess[i][j], rel=1e-8, abs_=1e-9), f"grad(grad(f, {i}), {j}) vs hessian"
    coarse, fine = fd2(f, point, 0, 0, 2e-3), fd2(f, point, 0, 0, 1e-3)
    assume(math.isclose(coarse, fine, rel_tol=1e-5, abs_tol=1e-6))
    assert close(hess[0][0], fine, rel=1e-4, abs_=1e-5)


STALE_TEMPLATE = '''
import math

C = {c!r}
T = {t!r}


def h(u):
    return {helper}


def f(x):
    s = x
    for c in T:
        s = s * 0.5 + c * h(s) + C * x
    return s
'''
HELPER_BODIES = ("C * math.sin(u)", "u * u * C", "math.exp(-u * u) + C", "math.tanh(u) - C * u")
small = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 3))
mutations = st.lists(st.one_of(st.tuples(st.just("C"), small),
                               st.tuples(st.just("T"), st.lists(small, min_size=0, max_size=4).map(tuple)),
                               st.tuples(st.just("h"), st.sampled_from(HELPER_BODIES))),
                     min_size=1, max_size=4)


@settings(max_examples=max(3, EXAMPLES // 3), **CHECKS)
@given(c=small, t=st.lists(small, min_size=1, max_size=3).map(tuple), changes=mutations, x=coordinates)
def test_every_grad_reads_the_module_as_it_is_now(c, t, changes, x):
    """Issue 9 item 1 at random: constants, tables and helpers change between
    transforms (the helper through a reload of edited text); every new
    transform follows the function as Python runs it at that moment."""
    from .adversarial_support import reload_with
    helper = HELPER_BODIES[0]
    mod = load(STALE_TEMPLATE.format(c=c, t=t, helper=helper), "stale_prog")
    for what, value in [("start", None)] + list(changes):
        if what == "C":
            mod.C = value
        elif what == "T":
            mod.T = value
        elif what == "h":
            helper = value
            reload_with(mod, STALE_TEMPLATE.format(c=mod.C, t=mod.T, helper=helper))
        note(f"after {what}={value!r}: C={mod.C!r} T={mod.T!r} h: {helper}")
        want = converged_fd(mod.f, (x,), 0)
        if want is None:
            continue
        assert close(grad(mod.f)(x), want, rel=1e-5, abs_=1e-6), "a stale gradient"
        value_part = value_and_grad(mod.f)(x)[0]
        assert outcome(lambda _: value_part, x) == outcome(mod.f, x), "value_and_grad's value is not f(x)"
