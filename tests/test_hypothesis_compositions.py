"""Random programs: every composition of transforms that gives a second
derivative agrees with the others and with nested finite differences of the
function as Python runs it (issue 9, item 4).

Programs come from `tests/program_gen.py` (branches, ``for`` over ranges with
negative steps and run-time bounds, ``while``, ``break``/``continue``/
``return``, helpers with loops and branches), with a loop over module tables
(plain, ``enumerate``, ``zip`` of different lengths) added in front.  For
``f(x, y, n)`` the compositions are ``hessian``, ``grad(grad)``,
``grad(order=2)``, ``jacobian(grad)``, ``jvp(grad)``, ``jacobian(jvp)`` and
``value_and_grad(grad)`` (`ad_compositions.second_derivatives`).

Points where finite differences mean nothing are rejected, never compared
loosely: a branch decision changes anywhere on the stencil, the values are
huge, or the differences with steps h and h/2 disagree.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from hypothesis import assume, example, given, note, settings
from hypothesis import strategies as st

from .ad_compositions import nested_difference, second_derivatives
from .program_gen import Program, programs
from .test_hypothesis_programs import HUGE, coordinates, load

TABLES = "TA = (0.5, -1.0, 2.0, 0.25)\nTB = (1.5, -0.5, 0.75)\n\n\n"
TABLE_LOOPS = (
    "for t_i, t_c in enumerate(TA):\n        t_acc = 0.5 * t_acc + t_c * math.sin({e} + 0.3 * t_i)",
    "for t_a, t_b in zip(TA, TB):\n        t_acc = t_acc * 0.5 + t_a * math.cos(t_b * {e})",
    "for t_c in TB:\n        t_acc = t_acc + t_c * math.tanh(t_acc * {e})",
)
# nested fourth-order central differences: ~1e-8 of truncation and rounding
FD_REL, FD_ABS = 1e-5, 1e-6


@dataclass
class TabledProgram(Program):
    """A generated program whose module also defines constant tables."""

    @property
    def plain(self) -> str:
        return TABLES + super().plain

    @property
    def traced(self) -> str:
        return TABLES + super().traced


@st.composite
def tabled_programs(draw) -> TabledProgram:
    program = draw(programs())
    loop = draw(st.sampled_from(TABLE_LOOPS)).format(e=draw(st.sampled_from(["x", "y", "x * y", "(x - y)"])))
    head, rest = program.body.split("\n", 1)
    lines = rest.rstrip("\n").split("\n")
    lines[-1] = lines[-1] + " + t_acc"            # the final return reads the table loop's result
    body = "\n".join([head, "    t_acc = x", "    " + loop] + lines) + "\n"
    return TabledProgram(body)


class PathWatch:
    """Calls the traced function and records whether any call took another
    path than the first (a branch boundary inside the stencil)."""

    def __init__(self, traced) -> None:
        self.traced, self.path, self.crossed, self.huge = traced, None, False, False

    def __call__(self, *point):
        self.traced.DECISIONS.clear()
        value = self.traced.f(*point)
        path = list(self.traced.DECISIONS)
        if self.path is None:
            self.path = path
        self.crossed |= path != self.path
        self.huge |= not math.isfinite(value) or abs(value) > HUGE
        return value


def reference_hessian(traced, point: tuple) -> dict | None:
    """Nested central differences of f in x and y, or None where meaningless."""
    watch = PathWatch(traced)
    try:
        watch(*point)
        coarse = {(i, j): nested_difference(watch, point, i, j, 4e-3) for i in (0, 1) for j in (0, 1)}
        fine = {(i, j): nested_difference(watch, point, i, j, 2e-3) for i in (0, 1) for j in (0, 1)}
    except (OverflowError, ValueError, ZeroDivisionError):
        return None
    if watch.crossed or watch.huge:
        return None
    if not all(math.isclose(coarse[k], fine[k], rel_tol=1e-6, abs_tol=1e-6) for k in fine):
        return None
    return fine


# each program builds over a dozen transforms: a twentieth as many programs as the profile says
@settings(max_examples=max(1, settings.default.max_examples // 20))
@given(program=tabled_programs(), x=coordinates, y=coordinates, n=st.integers(0, 3))
@example(program=TabledProgram("def f(x, y, n):\n    t_acc = x\n    for t_c in TB:\n"
                               "        t_acc = t_acc + t_c * math.tanh(t_acc * x)\n    s = 0.0\n"
                               "    for i1 in range(4):\n        s = s * 0.5 + math.sin(x * y * i1)\n"
                               "    return s + t_acc\n"), x=0.7, y=0.3, n=0)
def test_second_derivative_compositions_agree(program: TabledProgram, x: float, y: float, n: int) -> None:
    note(program.plain)
    plain = load(program.plain, "composed")
    traced = load(program.traced, "composed_traced")
    point = (x, y, n)
    expected = reference_hessian(traced, point)
    assume(expected is not None)
    values = second_derivatives(plain.f, point)
    scale = 1.0 + max(abs(v) for v in expected.values())
    for name, entries in values.items():
        for key, got in entries.items():
            # all compositions compute the same derivative: they agree to rounding
            assert math.isclose(got, values["hessian"][key], rel_tol=1e-9, abs_tol=1e-9 * scale), \
                (name, key, got, values["hessian"][key])
            assert math.isclose(got, expected[key], rel_tol=FD_REL, abs_tol=FD_ABS * scale), \
                (name, key, got, expected[key])
