"""The examples run as smoke tests, each in its own Python, as a user runs
them.  Each example checks itself (finite differences, answers derived by
hand) and exits non-zero if a check fails."""
from __future__ import annotations

import subprocess
import sys

import pytest

from .cli_samples import REPO, env_with_srcgrad

EXAMPLES = REPO / "examples"


def run_example(name: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True, text=True,
                          cwd=REPO, env=env_with_srcgrad(), timeout=120)


@pytest.mark.parametrize("name, expected", [
    ("quickstart.py", ["def grad_f(x, y):", "All gradients agree with finite differences."]),
    ("logistic_regression.py", ["step 200", "accuracy"]),
    ("newton.py", ["All three converged"]),
    ("ode_step.py", ["omega_tape", "Both sensitivities agree with finite differences."]),
])
def test_example_runs(name, expected):
    done = run_example(name)
    assert done.returncode == 0, done.stdout + done.stderr
    for text in expected:
        assert text in done.stdout


def test_every_example_is_tested():
    tested = {"quickstart.py", "logistic_regression.py", "newton.py", "ode_step.py"}
    assert {p.name for p in EXAMPLES.glob("*.py")} == tested
