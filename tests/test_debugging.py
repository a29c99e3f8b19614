"""Generated code is real Python a person can debug: `inspect.getsource`,
tracebacks and pdb all show the generated lines, even after linecache is
cleared, and the generated module imports nothing from srcgrad."""
import inspect
import linecache
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

from srcgrad import grad

from . import debug_subjects as subjects

ROOT = Path(__file__).resolve().parents[1]


def test_inspect_getsource_shows_the_generated_function():
    df = grad(subjects.log_exp, argnums=(0, 1))
    text = inspect.getsource(df.generated)
    assert text.startswith("def grad_log_exp(x, y):")
    assert text in df.source


def test_getsource_survives_clearing_linecache():
    df = grad(subjects.log_exp)
    linecache.clearcache()
    frame_source = linecache.getlines(df.generated.__code__.co_filename, df.generated.__globals__)
    assert "".join(frame_source) == df.source


def test_traceback_points_into_generated_code():
    df = grad(subjects.root)
    with pytest.raises(ValueError) as info:
        df(-1.0)      # math.sqrt of a negative number, raised inside the generated gradient
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if f.filename == df.generated.__code__.co_filename]
    assert generated, "the generated function should appear in the traceback"
    assert generated[-1].line and "math.sqrt" in generated[-1].line


def test_generated_module_imports_nothing_from_srcgrad():
    df = grad(subjects.log_exp, argnums=(0, 1))
    assert "srcgrad" not in df.source
    namespace: dict = {}
    exec(compile(df.source, "<exported>", "exec"), namespace)
    assert namespace["grad_log_exp"](1.2, 0.8) == df(1.2, 0.8)


def test_pdb_steps_into_generated_code():
    script = textwrap.dedent("""
        import pdb, sys
        sys.path.insert(0, {root!r})
        from srcgrad import grad
        from tests import debug_subjects
        df = grad(debug_subjects.log_exp)
        pdb.Pdb(stdin=sys.stdin, stdout=sys.stdout).runcall(df, 1.2, 0.8)
    """).format(root=str(ROOT))
    result = subprocess.run([sys.executable, "-c", script], input="step\nlist\ncontinue\n",
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert "grad_log_exp" in result.stdout
    assert "z = x * y" in result.stdout, result.stdout


def test_generated_names_are_deterministic_across_processes():
    script = textwrap.dedent("""
        import sys
        sys.path.insert(0, {root!r})
        from srcgrad import grad
        from tests import debug_subjects
        print(grad(debug_subjects.log_exp, argnums=(0, 1)).source)
    """).format(root=str(ROOT))
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                           cwd=ROOT).stdout for _ in range(2)]
    assert runs[0] == runs[1] and "def grad_log_exp" in runs[0]
