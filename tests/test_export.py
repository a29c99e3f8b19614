"""``srcgrad export``: standalone modules that run where srcgrad cannot be imported.

The exported module is imported by a separate Python started with ``-I -S``
(no environment variables, no site-packages: an editable install of srcgrad
is invisible too) from a temporary directory; that process first checks that
``import srcgrad`` fails, then prints the gradients as JSON, which are
compared here with finite differences of the plain reference functions.
"""
from __future__ import annotations

import ast
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

import srcgrad
from srcgrad.errors import ExportError
from srcgrad.export import export_source

from .cli_samples import PYTHON, f, g, h, line_of, pendulum, run_cli, write_sample
from .reference import close, numeric_gradient

POINTS = [(1.2, 0.8), (0.4, 1.5)]


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return write_sample(tmp_path)


def run_isolated(folder: Path, module: str, calls: list[tuple[str, tuple]]) -> list:
    """Import `module` from `folder` in a Python without srcgrad; return the
    results of ``module.name(*args)`` for each call."""
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {str(folder)!r})
        try:
            import srcgrad
        except ImportError:
            pass
        else:
            raise SystemExit("srcgrad is importable: the test would prove nothing")
        import {module} as exported
        calls = {calls!r}
        print(json.dumps([getattr(exported, name)(*args) for name, args in calls]))
    """)
    done = subprocess.run([PYTHON, "-I", "-S", "-c", script], capture_output=True, text=True,
                          cwd=folder, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_gradient(got, fun, point, argnums):
    want = numeric_gradient(fun, point, argnums)
    assert len(got) == len(want)
    assert all(close(a, b) for a, b in zip(got, want)), (got, want)


def test_cli_export_runs_without_srcgrad(sample, tmp_path):
    out_dir = tmp_path / "elsewhere"
    out_dir.mkdir()
    out = out_dir / "sample_grads.py"
    status, _, err = run_cli("export", "-o", str(out), f"{sample}:f", "g", "--argnums", "0,1")
    assert status == 0, err
    assert "wrote" in err and out.exists()
    calls = [(name, point) for point in POINTS for name in ("grad_f", "grad_g")]
    results = run_isolated(out_dir, "sample_grads", calls)
    for (name, point), got in zip(calls, results):
        assert_gradient(got, f if name == "grad_f" else g, point, (0, 1))


def test_exported_loop_gradient_runs_without_srcgrad(sample, tmp_path):
    out = tmp_path / "loop_grads.py"
    status, _, err = run_cli("export", "-o", str(out), f"{sample}:pendulum", "--argnums", "theta,c")
    assert status == 0, err
    calls = [("grad_pendulum", point) for point in [(0.8, 0.3), (-0.4, 1.1)]]
    for (_, point), got in zip(calls, run_isolated(tmp_path, "loop_grads", calls)):
        assert_gradient(got, pendulum, point, (0, 1))


def test_exported_module_imports_nothing_from_srcgrad(sample, tmp_path):
    out = tmp_path / "sample_grads.py"
    assert run_cli("export", "-o", str(out), f"{sample}:g", "--argnums", "0,1")[0] == 0
    text = out.read_text()
    tree = ast.parse(text)
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "srcgrad" not in imported
    defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    # the primitive's plain source and the helper it calls, decorators stripped
    assert {"grad_g", "squash", "_squash_helper"} <= defined
    squash = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "squash")
    assert squash.decorator_list == []
    assert ast.get_docstring(squash) == "A user primitive: its source and helpers go into exported modules."


def test_value_and_grad_and_decorated_targets(sample, tmp_path):
    out = tmp_path / "more_grads.py"
    status, _, err = run_cli("export", "-o", str(out), f"{sample}:f", f"{sample}:dh",
                             "--transform", "value_and_grad")
    assert status == 0, err
    point = (1.1, 0.7)
    (value, dx), dh_result = run_isolated(tmp_path, "more_grads", [("value_and_grad_f", point),
                                                                   ("value_and_grad_dh", point)])
    assert close(value, f(*point))
    assert_gradient([dx], f, point, (0,))
    h_value, h_grad = dh_result        # dh was @grad(argnums=(0, 1)): its argnums are kept
    assert close(h_value, h(*point))
    assert_gradient(h_grad, h, point, (0, 1))


def test_export_is_deterministic(sample):
    module = srcgrad.grad(_load(sample).f)
    assert export_source([module]) == export_source([srcgrad.grad(_load(sample).f)])


def _load(path: Path):
    from srcgrad.targets import load_file
    return load_file(str(path))


CLOSURE = '''\
import srcgrad

def make(scale):
    @srcgrad.primitive
    def scaled(x):
        return scale * x

    @scaled.derivative
    def _(x):
        return scale
    return scaled

scaled = make(3.0)

def f(x):
    return scaled(x) * x
'''

OBJECT_GLOBAL = '''\
import srcgrad

TABLE = {"a": 2.0}

@srcgrad.primitive
def lookup(x):
    return TABLE["a"] * x

@lookup.derivative
def _(x):
    return 2.0

def f(x):
    return lookup(x) * x
'''

NEEDS_SRCGRAD = '''\
import srcgrad

@srcgrad.primitive
def odd(x):
    return srcgrad.__version__ and x

@odd.derivative
def _(x):
    return 1.0

def f(x):
    return odd(x) * x
'''


@pytest.mark.parametrize("source, needle, message", [
    (CLOSURE, "def scaled", "enclosing function"),
    (OBJECT_GLOBAL, "def lookup", "'TABLE' is a dict"),
    (NEEDS_SRCGRAD, "def odd", "must run without srcgrad"),
])
def test_what_cannot_be_exported_is_refused_with_its_line(tmp_path, source, needle, message):
    path = write_sample(tmp_path, "refused.py", source)
    out = tmp_path / "out.py"
    status, _, err = run_cli("export", "-o", str(out), f"{path}:f")
    assert status == 2
    assert message in err and "ExportError" in err
    lineno, _ = line_of(source, needle)
    assert f'File "{path}", line {lineno}' in err
    assert not out.exists()


def test_two_gradients_with_one_name_are_refused(sample, tmp_path):
    (tmp_path / "other").mkdir()
    other = write_sample(tmp_path / "other", "other.py", "def f(x, y):\n    return x * y\n")
    status, _, err = run_cli("export", "-o", str(tmp_path / "out.py"), f"{sample}:f", f"{other}:f")
    assert status == 2
    assert "'grad_f'" in err


def test_export_source_refuses_plain_functions():
    with pytest.raises(ExportError, match="not a function made by srcgrad"):
        export_source([f])
    with pytest.raises(ExportError, match="nothing to export"):
        export_source([])


USER_CLASS = '''\
import srcgrad


class Scale:
    factor = 2.0


@srcgrad.primitive
def scaled(x):
    return Scale.factor * x


@scaled.derivative
def _(x):
    return 2.0


def f(x):
    return scaled(x) * x
'''


def test_a_class_of_the_users_own_module_is_not_imported_from_it(tmp_path):
    path = write_sample(tmp_path, "with_class.py", USER_CLASS)
    status, _, err = run_cli("export", "-o", str(tmp_path / "out.py"), f"{path}:f")
    assert status == 2
    assert "'Scale' is a type" in err


def test_the_same_gradient_twice_is_written_once(sample, tmp_path):
    out = tmp_path / "twice.py"
    status, _, err = run_cli("export", "-o", str(out), f"{sample}:f", "f")
    assert status == 0, err
    assert out.read_text().count("def grad_f(") == 1
