"""Golden files of generated source, in the manner of mypy's test data.

Each ``tests/golden/<case>.py`` holds the exact module srcgrad generates for
one case of `tests/golden_cases.py`, under a comment header quoting the
transformation and the input function with its line numbers (generated
comments refer to them).  A mismatch fails with a unified diff; after a
deliberate change, rewrite the files and review the diff::

    python3 -m pytest tests/test_golden.py --update-golden
    git diff tests/golden

Generated code must also be deterministic: the same in fresh interpreters
with different hash seeds as in this one.
"""
from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from srcgrad.ir import verify_ir

from . import golden_cases
from .golden_support import check_golden

GOLDEN_DIR = Path(__file__).parent / "golden"
REPO = Path(__file__).parent.parent


def header(name: str, transformed) -> str:
    """The comment block above the generated source: what produced it, from what."""
    function = inspect.unwrap(transformed)
    lines, first = inspect.getsourcelines(function)
    quoted = "".join(f"# {first + i:4d} | {line}" for i, line in enumerate(lines))
    return f"# {golden_cases.CASES[name]}, from tests/golden_cases.py:\n#\n{quoted}\n"


def render(name: str) -> str:
    transformed = golden_cases.build(name)
    verify_ir(transformed.fn_ir)
    return header(name, transformed) + transformed.source


def render_all() -> dict[str, str]:
    return {name: golden_cases.build(name).source for name in golden_cases.CASES}


@pytest.mark.parametrize("name", sorted(golden_cases.CASES))
def test_generated_source_matches_golden_file(name: str, request):
    check_golden(GOLDEN_DIR / f"{name}.py", render(name), request.config.getoption("--update-golden"))


def test_every_golden_file_has_a_case():
    stale = {p.stem for p in GOLDEN_DIR.glob("*.py")} - set(golden_cases.CASES)
    assert not stale, f"golden files without a case in tests/golden_cases.py: {sorted(stale)}"


def generate_in_fresh_interpreter(hash_seed: str) -> dict[str, str]:
    code = "import json; from tests.test_golden import render_all; print(json.dumps(render_all()))"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def test_generated_source_is_deterministic():
    first = generate_in_fresh_interpreter("1")
    second = generate_in_fresh_interpreter("2")
    assert first == second
    # and independent of what this interpreter built before (var ids, caches)
    assert render_all() == first
