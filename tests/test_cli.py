"""The ``srcgrad`` command: every subcommand, exit statuses, output, errors.

Generated source printed by ``show`` is executed and compared with finite
differences of the plain reference functions in `cli_samples`.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from .cli_samples import (PYTHON, SAMPLE, env_with_srcgrad, exec_source, f, g, h, line_of, run_cli,
                          write_sample)
from .reference import close, numeric_gradient

COMMANDS = ["show", "ir", "verify", "export", "graph"]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path)


# --- help and usage ---------------------------------------------------------------

def test_python_dash_m_help_lists_every_command():
    done = subprocess.run([PYTHON, "-m", "srcgrad", "--help"], capture_output=True, text=True,
                          env=env_with_srcgrad(), timeout=60)
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    status, out, _ = run_cli(command, "--help")
    assert status == 0
    assert f"usage: srcgrad {command}" in out


def test_no_command_prints_usage_and_exits_2():
    status, _, err = run_cli()
    assert status == 2
    assert "usage: srcgrad" in err


def test_console_script_when_installed():
    script = shutil.which("srcgrad")
    if script is None:
        pytest.skip("srcgrad is not pip-installed here (the console script comes with 'pip install -e .')")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("srcgrad ")


# --- show -------------------------------------------------------------------------

def test_show_prints_a_runnable_gradient(sample):
    status, out, err = run_cli("show", f"{sample}:f", "--argnums", "0,1")
    assert status == 0, err
    grad_f = exec_source(out, "grad_f")
    for point in [(1.2, 0.8), (0.3, 2.0)]:
        got = grad_f(*point)
        want = numeric_gradient(f, point, (0, 1))
        assert all(close(a, b) for a, b in zip(got, want))


def test_show_argnums_by_name_and_single(sample):
    status, out, _ = run_cli("show", f"{sample}:g", "--argnums", "w")
    assert status == 0
    # the primitive is called by its name, squash (squash_2 while this
    # process also holds tests.cli_samples' own primitive of that name)
    code = "\n".join(line for line in out.splitlines() if not line.lstrip().startswith("#"))
    called = re.search(r"\b(squash\w*)\(", code).group(1)
    grad_g = exec_source(out, "grad_g", {called: lambda u: math_squash(u)})
    assert close(grad_g(0.7, 1.3), numeric_gradient(g, (0.7, 1.3), (1,))[0])


def math_squash(u: float) -> float:
    import math
    return math.tanh(u) * 2.5 + math.cos(u)


def test_show_value_and_grad_transform(sample):
    status, out, _ = run_cli("show", f"{sample}:f", "--transform", "value_and_grad")
    assert status == 0
    value, dx = exec_source(out, "value_and_grad_f")(1.1, 0.9)
    assert close(value, f(1.1, 0.9)) and close(dx, numeric_gradient(f, (1.1, 0.9), (0,))[0])


def test_show_hessian_transform(sample):
    status, out, _ = run_cli("show", f"{sample}:f", "--transform", "hessian", "--argnums", "0,1")
    assert status == 0
    rows = exec_source(out, "hessian_f")(1.1, 0.9)
    x, y = 1.1, 0.9
    z = x * y   # by hand: f = log z + exp z, z = xy
    d1, d2 = 1 / z + math_exp(z), -1 / z ** 2 + math_exp(z)
    want = ((d2 * y * y, d2 * x * y + d1), (d2 * x * y + d1, d2 * x * x))
    for row, want_row in zip(rows, want):
        assert all(close(a, b) for a, b in zip(row, want_row))


def math_exp(v: float) -> float:
    import math
    return math.exp(v)


def test_show_uses_a_decorated_target_as_it_is(sample):
    status, out, _ = run_cli("show", f"{sample}:dh")
    assert status == 0
    got = exec_source(out, "grad_dh", {"math": __import__("math")})(0.4, 1.7)
    want = numeric_gradient(h, (0.4, 1.7), (0, 1))
    assert all(close(a, b) for a, b in zip(got, want))


def test_show_is_plain_when_piped_and_coloured_when_asked(sample):
    _, plain, _ = run_cli("show", f"{sample}:f")
    assert "\x1b[" not in plain
    _, never, _ = run_cli("show", f"{sample}:f", "--color", "never")
    assert never == plain
    pytest.importorskip("pygments")
    _, coloured, _ = run_cli("show", f"{sample}:f", "--color", "always")
    assert "\x1b[" in coloured


def test_show_module_colon_func_target(tmp_path, monkeypatch):
    write_sample(tmp_path, "cli_sample_module.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    status, out, err = run_cli("show", "cli_sample_module:f", "--argnums", "y")
    assert status == 0, err
    assert close(exec_source(out, "grad_f")(1.2, 0.8), numeric_gradient(f, (1.2, 0.8), (1,))[0])


# --- ir -----------------------------------------------------------------------------

def test_ir_prints_primal_and_derivative(sample):
    status, out, _ = run_cli("ir", f"{sample}:f", "--argnums", "0,1")
    assert status == 0
    assert "# primal" in out and "def f(x, y):" in out
    assert "def grad_f(x, y):" in out
    assert out.index("def f(x, y):") < out.index("def grad_f(x, y):")


# --- verify -------------------------------------------------------------------------

class FakeReport:
    def __init__(self, ok: bool) -> None:
        self.ok = ok

    def __str__(self) -> str:
        return "fake report: " + ("all proved" if self.ok else "MISMATCH")


@pytest.mark.parametrize("ok, status_wanted", [(True, 0), (False, 1)])
def test_verify_exit_status_follows_the_report(sample, monkeypatch, ok, status_wanted):
    calls = []

    def verify(fn, **options):
        calls.append((fn, options))
        return FakeReport(ok)

    monkeypatch.setitem(sys.modules, "srcgrad.verification", types.SimpleNamespace(verify=verify))
    status, out, _ = run_cli("verify", f"{sample}:f", "--argnums", "0,y")
    assert status == status_wanted
    assert str(FakeReport(ok)) in out
    fn, options = calls[0]
    assert fn.__name__ == "f" and options == {"argnums": (0, "y")}
    # a target decorated in its file: the plain function, with the decorator's argnums
    assert run_cli("verify", f"{sample}:dh")[0] == status_wanted
    fn, options = calls[1]
    assert fn.__name__ == "dh" and options == {"argnums": (0, 1)}


def real_verify():
    try:
        from srcgrad.verification import verify
    except ImportError:
        pytest.skip("srcgrad.verification is not available yet")
    return verify


def test_verify_real_report_on_a_correct_gradient(sample):
    real_verify()
    status, out, err = run_cli("verify", f"{sample}:f", "--argnums", "0,1")
    assert status == 0, out + err
    assert out.strip()


def test_verify_real_report_catches_a_wrong_rule(tmp_path):
    real_verify()
    source = ("import srcgrad\n\n@srcgrad.primitive\ndef cube(x):\n    return x ** 3\n\n"
              "@cube.derivative\ndef _(x):\n    return 2.0 * x ** 2   # wrong: should be 3 x^2\n\n"
              "def f(x):\n    return cube(x) + x\n")
    path = write_sample(tmp_path, "wrong_rule.py", source)
    status, out, _ = run_cli("verify", f"{path}:f")
    assert status == 1


# --- errors ---------------------------------------------------------------------------

def test_refused_code_prints_like_a_syntax_error_and_exits_2(sample):
    status, out, err = run_cli("show", f"{sample}:bad")
    assert status == 2 and out == ""
    lineno, col = line_of(SAMPLE, "with open")
    assert f'File "{sample}", line {lineno}, column {col + 1}' in err
    lines = err.splitlines()
    source_index = next(i for i, line in enumerate(lines) if 'with open("log.txt")' in line)
    caret_line = lines[source_index + 1]
    assert caret_line.strip().startswith("^")
    assert caret_line.index("^") == lines[source_index].index("with")
    assert "UnsupportedSyntaxError" in err and "'with'" in err


def test_refused_code_from_a_subprocess(sample):
    done = subprocess.run([PYTHON, "-m", "srcgrad", "ir", f"{sample}:bad"], capture_output=True,
                          text=True, env=env_with_srcgrad(), timeout=60)
    assert done.returncode == 2
    lineno, _ = line_of(SAMPLE, "with open")
    assert f"line {lineno}" in done.stderr and "^" in done.stderr


@pytest.mark.parametrize("args, message", [
    (["show", "{sample}:nope"], "has no function 'nope'"),
    (["show", "{folder}/missing.py:f"], "no such file"),
    (["show", "no_such_module_xyz:f"], "no module named"),
    (["show", "{sample}"], "FILE.py:FUNC"),
    (["show", "{sample}:f", "--argnums", "0,1+"], "--argnums"),
    (["show", "{sample}:f", "--argnums", "z"], "no parameter named 'z'"),
    (["show", "{sample}:f", "--argnums", "5"], "out of range"),
    (["show", "{sample}:SCALE"], "not a function"),
    (["show", "{sample}:squash"], "@srcgrad.primitive"),
    (["show", "{sample}:th"], "not a Python function"),
])
def test_bad_targets_and_options_exit_2(sample, args, message):
    args = [a.format(sample=sample, folder=sample.parent) for a in args]
    status, out, err = run_cli(*args)
    assert status == 2 and out == ""
    assert message in err


@pytest.mark.parametrize("name, text, messages", [
    ("raises.py", "def f(x):\n    return x\n\nraise RuntimeError('boom at import')\n",
     ["boom at import", "RuntimeError", "raises.py"]),
    ("broken.py", "def f(x):\n    return x +\n", ["SyntaxError", "broken.py"]),
])
def test_target_file_that_fails_to_import(tmp_path, name, text, messages):
    path = write_sample(tmp_path, name, text)
    status, _, err = run_cli("show", f"{path}:f")
    assert status == 2
    assert all(message in err for message in messages)


def test_unknown_transform_is_a_usage_error(sample):
    status, _, err = run_cli("show", f"{sample}:f", "--transform", "integral")
    assert status == 2 and "invalid choice" in err
