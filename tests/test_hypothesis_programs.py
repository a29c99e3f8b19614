"""Random programs with branches, loops and helper calls against finite
differences (issue 3).

`tests/program_gen.py` draws a module: helpers plus ``f(x, y, n)``.  It is
written to a temporary file and imported (srcgrad reads the source from
there), and ``grad(f, argnums=(0, 1))`` is compared with fourth-order central
differences at a random point.  Points where finite differences mean nothing
are rejected, never compared loosely:

* a branch decision changes anywhere on the stencil (a traced copy of the
  module records every decision at each stencil point);
* the function is huge there, or the differences with step h and h/2
  disagree (the reference itself is not converged).

The "ci" hypothesis profile (tests/conftest.py) runs hundreds of programs;
``SRCGRAD_HYPOTHESIS=thorough`` runs thousands.
"""
from __future__ import annotations

import atexit
import importlib.util
import itertools
import math
import shutil
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from hypothesis import assume, event, example, given, note, settings
from hypothesis import strategies as st

from srcgrad import grad, jvp

from .control_support import FD_ABS, FD_REL, imports_of, mismatches
from .program_gen import Program, programs
from .reference import central_difference

WORKDIR = Path(tempfile.mkdtemp(prefix="srcgrad_programs_"))
atexit.register(shutil.rmtree, WORKDIR, True)
_counter = itertools.count()
HUGE = 1e6
CONVERGED_REL = 1e-8        # |fd(h) - fd(h/2)|: the h**4 error of fd(h) is about 16/15 of it


def load(text: str, stem: str) -> ModuleType:
    """Import `text` from a fresh file, as a user's module would be."""
    name = f"{stem}_{next(_counter)}"
    path = WORKDIR / f"{name}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def decisions(traced: ModuleType, point: tuple) -> list[bool] | None:
    traced.DECISIONS.clear()
    try:
        traced.f(*point)
    except (OverflowError, ValueError, ZeroDivisionError):
        return None
    return list(traced.DECISIONS)


def stencil(point: tuple, i: int) -> list[tuple]:
    """Every point the finite differences of argument i evaluate (steps h and h/2)."""
    h = 1e-3 * max(1.0, abs(point[i]))
    moved = []
    for delta in (-2 * h, -h, -h / 2, h / 2, h, 2 * h):
        p = list(point)
        p[i] += delta
        moved.append(tuple(p))
    return moved


def reference_gradient(f, traced: ModuleType, point: tuple) -> tuple[float, ...] | None:
    """Central differences of x and y, or None where they are meaningless."""
    path = decisions(traced, point)
    if path is None:
        return None
    result = []
    for i in (0, 1):
        if any(decisions(traced, p) != path for p in stencil(point, i)):
            return None
        if any(not math.isfinite(v) or abs(v) > HUGE for v in (f(*p) for p in stencil(point, i))):
            return None
        h = 1e-3 * max(1.0, abs(point[i]))
        coarse, fine = central_difference(f, point, i, h), central_difference(f, point, i, h / 2)
        if not math.isclose(coarse, fine, rel_tol=CONVERGED_REL, abs_tol=CONVERGED_REL):
            return None
        result.append(fine)
    return tuple(result)


coordinates = st.floats(-2.0, 2.0, allow_nan=False).map(lambda v: round(v, 6))


@given(program=programs(), x=coordinates, y=coordinates, n=st.integers(0, 3))
@example(program=Program("def f(x, y, n):\n    acc = 0\n    for i1 in range(n):\n"
                         "        if <<acc > x>>:\n            break\n        acc += 0.25 * h_branch(x * y)\n"
                         "    return acc + x\n"), x=0.7, y=-1.1, n=3)
@example(program=Program("def f(x, y, n):\n    v1 = x\n    for i4 in range(3):\n        v1 = 0.5 * v1 + x\n"
                         "        for i6 in range(3):\n            v1 = 0.5 * v1 + x\n    return v1 + x\n"),
         x=0.0, y=0.0, n=0)   # found a wrong gradient (state updated in an outer and an inner loop)
def test_random_program_gradient_matches_finite_differences(program: Program, x: float, y: float, n: int) -> None:
    note(program.plain)
    plain = load(program.plain, "program")
    traced = load(program.traced, "traced")
    point = (x, y, n)
    expected = reference_gradient(plain.f, traced, point)
    assume(expected is not None)
    df = grad(plain.f, argnums=(0, 1))
    note(df.source)
    got = df(*point)
    bad = mismatches(got, expected, FD_REL, FD_ABS)
    assert not bad, "; ".join(bad)
    for feature in ("_tape", "while ", "break", "h_"):
        if feature in program.body + df.source:
            event(f"has {feature.strip()}")
    if program.body.count("return") > 1:
        event("has early return")
    event("nonzero gradient" if any(got) else "zero gradient")
    # the generated module compiles on its own and needs nothing of srcgrad
    compile(df.source, "<generated>", "exec")
    assert "srcgrad" not in imports_of(df.source)


# Two transformations per program: half as many programs as the profile says.
@settings(max_examples=max(1, settings.default.max_examples // 2))
@given(program=programs(), x=coordinates, y=coordinates, n=st.integers(0, 3),
       tx=st.floats(-1.0, 1.0), ty=st.floats(-1.0, 1.0))
def test_random_program_forward_mode_agrees_with_reverse(program: Program, x: float, y: float, n: int,
                                                         tx: float, ty: float) -> None:
    note(program.plain)
    plain = load(program.plain, "program")
    point = (x, y, n)
    try:
        value = plain.f(*point)
    except (OverflowError, ValueError, ZeroDivisionError):
        assume(False)
    assume(math.isfinite(value) and abs(value) < HUGE)
    forward = jvp(plain.f)
    note(forward.source)
    primal, directional = forward(point, (tx, ty, 0.0))
    dx, dy = grad(plain.f, argnums=(0, 1))(*point)
    assert math.isclose(primal, value, rel_tol=1e-12, abs_tol=1e-12)
    scale = 1.0 + abs(dx * tx) + abs(dy * ty)      # cancellation in the dot product
    assert math.isclose(directional, dx * tx + dy * ty, rel_tol=0.0, abs_tol=1e-9 * scale), (directional, dx, dy)
