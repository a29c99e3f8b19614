"""Golden files of generated branch, loop and helper code (issue 3).

Each ``tests/golden_control/<case>.py`` holds the exact source srcgrad
generates for one case of `tests/golden_control_cases.py`, under a comment
header quoting the transformation and the input function with its line
numbers (generated comments refer to them).  A mismatch fails with a unified
diff; after a deliberate change, rewrite the files and review the diff::

    python3 -m pytest tests/test_golden_control.py --update-golden
    git diff tests/golden_control

The ``--update-golden`` option is registered in tests/conftest.py (shared
with tests/test_golden.py).  Every golden file must also run: its function,
executed on its own, gives the same numbers as the transformed function.
"""
from __future__ import annotations

import inspect
import math
from pathlib import Path

import pytest

from . import golden_control_cases as cases
from .golden_support import check_golden
from .control_support import imports_of

GOLDEN_DIR = Path(__file__).parent / "golden_control"
REQUIRED = {"branch_grad", "early_return_grad", "repeated_map_grad", "horner_grad", "grow_until_grad",
            "partial_sum_grad", "uses_helper_grad", "double_sum_grad"}


def header(name: str, transformed) -> str:
    """The comment block above the generated source: what produced it, from what."""
    lines, first = inspect.getsourcelines(inspect.unwrap(transformed))
    quoted = "".join(f"# {first + i:4d} | {line}" for i, line in enumerate(lines))
    return f"# {cases.CASES[name]}, from tests/golden_control_cases.py:\n#\n{quoted}\n"


def render(name: str) -> str:
    transformed = cases.build(name)
    return header(name, transformed) + transformed.source


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_generated_source_matches_golden_file(name: str, request) -> None:
    check_golden(GOLDEN_DIR / f"{name}.py", render(name), request.config.getoption("--update-golden"))


def test_golden_files_cover_the_required_constructs() -> None:
    assert REQUIRED <= set(cases.CASES)


def test_every_golden_file_has_a_case() -> None:
    stale = {p.stem for p in GOLDEN_DIR.glob("*.py")} - set(cases.CASES)
    assert not stale, f"golden files without a case in tests/golden_control_cases.py: {sorted(stale)}"


ARGUMENTS = {"branch": (0.7, 0.3), "early_return": (0.5,), "repeated_map": (0.3, 7), "horner": (1.3,),
             "grow_until": (1.2,), "partial_sum": (0.9, 10), "uses_helper": (0.7, 1.3), "double_sum": (0.4, 4),
             "odd_powers": (1.1,), "first_large": (0.5,), "fibonacci_like": (0.3, 0.6, 5),
             "conditional_expression": (0.5,)}


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_golden_file_runs_on_its_own(name: str) -> None:
    """The stored source needs only `math` and the module's constant tables."""
    path = GOLDEN_DIR / f"{name}.py"
    if not path.exists():
        pytest.skip("no golden file yet")
    source = path.read_text()
    assert imports_of(source) <= {"math"}
    namespace: dict = {"COEFFS": cases.COEFFS}
    exec(compile(source, str(path), "exec"), namespace)
    transformed = cases.build(name)
    stored = namespace[transformed.generated.__name__]
    args = ARGUMENTS[inspect.unwrap(transformed).__name__]
    if name.endswith("_jvp"):
        tangents = tuple(1.0 if isinstance(a, float) else 0.0 for a in args)
        got, expected = stored(args, tangents), transformed(args, tangents)
    else:
        got, expected = stored(*args), transformed(*args)
    flat = [v for item in (got, expected) for v in _leaves(item)]
    half = len(flat) // 2
    assert all(math.isclose(a, b, rel_tol=0, abs_tol=0) for a, b in zip(flat[:half], flat[half:])), (got, expected)


def _leaves(value) -> list:
    return [v for item in value for v in _leaves(item)] if isinstance(value, tuple) else [value]
