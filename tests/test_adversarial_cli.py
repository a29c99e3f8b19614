"""Issue 9, "safe generation, export and command line", run as a user runs
it: ``python -m srcgrad`` in a subprocess.

* Payloads in file names, docstrings, string constants, comments and in the
  ``repr`` of float/int subclasses never execute — not during ``show``,
  ``ir``, ``graph``, ``verify``, ``export``, nor when the exported module is
  imported — and exported gradients are right;
* ``export`` never overwrites its input or any source it read;
* prints of the target module at import go to stderr; ``sys.exit()`` at
  import is a clear error; every error is exit 2 without a traceback;
* ``verify`` exits 0 proved/agreed, 1 mismatch, 3 could not check, 2 error;
* ``srcgrad.generated`` rebuilds only the five transforms.
"""
from __future__ import annotations

import enum
import importlib.util
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import srcgrad
from srcgrad import SrcGradError, grad

from .adversarial_support import close, env_with_srcgrad, fd, load

PLAIN = '''
import math


def f(x, y):
    """Plain."""
    z = x * y
    return math.log(z) + math.exp(0.5 * z)
'''


def cli(cwd: Path, *args: str) -> tuple[int, str, str]:
    """``srcgrad ARGS`` in this process, run from `cwd`: (exit status, stdout,
    stderr).  An exception escaping the command is a traceback in stderr."""
    import io
    import traceback
    from contextlib import redirect_stderr, redirect_stdout

    from srcgrad.cli import main
    out, err = io.StringIO(), io.StringIO()
    here = os.getcwd()
    os.chdir(cwd)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as exc:        # argparse's usage errors
                status = exc.code if isinstance(exc.code, int) else f"SystemExit({exc.code!r})"
            except BaseException:            # noqa: BLE001 - a traceback is what the test looks for
                err.write(traceback.format_exc())
                status = "raised"
    finally:
        os.chdir(here)
    return status, out.getvalue(), err.getvalue()


def cli_subprocess(cwd: Path, *args: str) -> tuple[int, str, str]:
    """``python -m srcgrad ARGS`` in a fresh process (real stdout, real exits)."""
    done = subprocess.run([sys.executable, "-m", "srcgrad", *args], cwd=cwd, env=env_with_srcgrad(),
                          capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def no_traceback(err: str) -> None:
    assert "Traceback (most recent call last)" not in err, err


def payload(marker: str, quote: str = '"') -> str:
    return f'__import__({quote}os{quote}).mkdir({quote}{marker}{quote})'


def import_file(path: Path, cwd: Path) -> subprocess.CompletedProcess:
    code = (f"import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('exported_mod', {str(path)!r})\n"
            f"m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            f"print(repr(m.grad_f(1.2, 0.8)))\n")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})


def reference_f(x: float, y: float) -> float:
    z = x * y
    return math.log(z) + math.exp(0.5 * z)


HOSTILE_STEMS = [
    'm"""+' + payload("PWNED_A") + '+"""',
    "m'''+" + payload("PWNED_B", "'") + "+'''",
    "m'+" + payload("PWNED_C", "'") + "+'",
    'm"+' + payload("PWNED_D") + '+"',
    "m\n" + payload("PWNED_E", "'") + "\n",
    "m\\\n" + payload("PWNED_F", "'") + "#",
    "m {} %s #" + payload("PWNED_G", "'"),
]


@pytest.mark.parametrize("stem", HOSTILE_STEMS, ids=[f"stem{i}" for i in range(len(HOSTILE_STEMS))])
def test_hostile_file_names_never_execute(tmp_path, stem):
    source = tmp_path / f"{stem}.py"
    source.write_text(PLAIN)
    out = tmp_path / "exported.py"
    status, _, err = cli(tmp_path, "export", "-o", str(out), f"{source}:f", "--argnums", "0,1")
    assert not any(p.name.startswith("PWNED") for p in tmp_path.iterdir()), "export ran a payload"
    assert status == 0, err
    done = import_file(out, tmp_path)
    assert not any(p.name.startswith("PWNED") for p in tmp_path.iterdir()), "importing the export ran a payload"
    assert done.returncode == 0, done.stderr
    got = eval(done.stdout.strip(), {})    # a tuple of two floats printed by repr
    want = (fd(reference_f, (1.2, 0.8), 0), fd(reference_f, (1.2, 0.8), 1))
    assert close(got[0], want[0]) and close(got[1], want[1])
    for command in (["show"], ["ir"], ["graph"], ["verify"]):
        status, _, err = cli(tmp_path, *command, f"{source}:f")
        assert not any(p.name.startswith("PWNED") for p in tmp_path.iterdir()), f"{command[0]} ran a payload"
        assert status == 0, err


HOSTILE_TEXT = '''
import math
import srcgrad

LABEL = 'x"""; __import__("os").mkdir("PWNED_S"); """\\'\\'\\'; __import__("os").mkdir("PWNED_T")'


def f(x, y):
    """Docstring \\"\\"\\" + __import__("os").mkdir("PWNED_DOC") + \\"\\"\\" \\'\\'\\' + __import__("os").mkdir("PWNED_DOC2")"""
    z = x * y  # \\u2028 is not a newline; but this one is: \u2028__import__("os").mkdir("PWNED_LS")
    w = math.log(z)  # \x0c__import__("os").mkdir("PWNED_FF")
    return w + math.exp(0.5 * z)


@srcgrad.primitive
def squash(u):
    """Primitive doc ''' + "'''" + ''' + __import__("os").mkdir("PWNED_P") + ''' + "'''" + '''"""
    return math.tanh(u)


@squash.derivative
def _(u):
    return 1.0 - math.tanh(u) ** 2


def g(x, y):
    return squash(x * y) + x
'''


def test_hostile_docstrings_comments_and_strings_never_execute(tmp_path):
    source = tmp_path / "hostile_text.py"
    source.write_text(HOSTILE_TEXT)
    out = tmp_path / "exported_text.py"
    status, _, err = cli(tmp_path, "export", "-o", str(out), f"{source}:f", "g", "--argnums", "0,1")
    assert status == 0, err
    done = import_file(out, tmp_path)
    assert done.returncode == 0, done.stderr
    status, shown, err = cli(tmp_path, "show", f"{source}:g")
    assert status == 0, err
    compile(shown, "shown", "exec")
    leaked = [p.name for p in tmp_path.iterdir() if p.name.startswith("PWNED")]
    assert not leaked, leaked


class Evil(float):
    def __repr__(self) -> str:
        return '__import__("os").mkdir("PWNED_REPR") or 2.0'


class Level(enum.IntEnum):
    THREE = 3


def _subclass_value(kind: str):
    if kind == "evil_float":
        return "SCALE", Evil(2.0)
    if kind == "int_enum":
        return "STEPS", Level.THREE
    if kind == "evil_int":
        return "STEPS", EvilInt(2)
    if kind == "bool":
        return "STEPS", True
    np = pytest.importorskip("numpy")
    return ("NP", np.float64(1.5)) if kind == "numpy_float" else ("STEPS", np.int64(2))


class EvilInt(int):
    def __repr__(self) -> str:
        return '__import__("os").mkdir("PWNED_REPR") or 2'


@pytest.mark.parametrize("kind", ["evil_float", "int_enum", "evil_int", "bool", "numpy_float", "numpy_int"])
def test_float_and_int_subclass_constants_in_process(tmp_path, monkeypatch, kind):
    monkeypatch.chdir(tmp_path)
    mod = load('''
import math

SCALE = 1.0
STEPS = 1
NP = 1.0


def f(x):
    s = x
    for i in range(STEPS):
        s = s * 0.5 + SCALE * math.sin(s) * NP
    return s
''', "subclass_consts")
    name, value = _subclass_value(kind)
    setattr(mod, name, value)
    try:
        df = grad(mod.f)
        got = df(0.4)
    except SrcGradError:
        df = None
    finally:
        assert not (tmp_path / "PWNED_REPR").exists(), "a constant's repr was executed"
    if df is not None:
        assert close(got, fd(mod.f, (0.4,), 0))
        assert "PWNED" not in df.source


def test_subclass_constants_in_export(tmp_path):
    source = tmp_path / "consts_mod.py"
    source.write_text('''
import enum
import math


class Evil(float):
    def __repr__(self):
        return '__import__("os").mkdir("PWNED_EXPORT_REPR") or 2.0'


class Level(enum.IntEnum):
    THREE = 3


SCALE = Evil(2.0)
STEPS = Level.THREE


def f(x, y):
    s = x * y
    for i in range(STEPS):
        s = s * 0.5 + SCALE * math.sin(s)
    return s
''')
    out = tmp_path / "consts_out.py"
    status, _, err = cli(tmp_path, "export", "-o", str(out), f"{source}:f", "--argnums", "0,1")
    no_traceback(err)
    assert status in (0, 2)
    if status == 0:
        done = import_file(out, tmp_path)
        assert done.returncode == 0, done.stderr
        spec = importlib.util.spec_from_file_location("consts_mod_ref", source)
        ref = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ref)
        got = eval(done.stdout.strip(), {})
        assert close(got[0], fd(ref.f, (1.2, 0.8), 0)) and close(got[1], fd(ref.f, (1.2, 0.8), 1))
    assert not (tmp_path / "PWNED_EXPORT_REPR").exists()


# --- export never overwrites what it read ---------------------------------------------------

@pytest.mark.parametrize("spelling", ["same", "dot", "absolute", "symlink", "double_slash"])
def test_export_never_overwrites_its_input(tmp_path, spelling):
    source = tmp_path / "model.py"
    source.write_text(PLAIN)
    before = source.read_bytes()
    out = {"same": "model.py", "dot": "./model.py", "absolute": str(source),
           "double_slash": str(tmp_path) + "//model.py", "symlink": "link.py"}[spelling]
    if spelling == "symlink":
        (tmp_path / "link.py").symlink_to(source)
    status, _, err = cli(tmp_path, "export", "-o", out, "model.py:f")
    assert status == 2 and source.read_bytes() == before, "export overwrote its input"
    no_traceback(err)


def test_export_never_overwrites_a_helper_module_it_read(tmp_path):
    (tmp_path / "helpers_mod.py").write_text("import math\n\ndef helper(u):\n    return math.sin(u) * u\n")
    (tmp_path / "main_mod.py").write_text("from helpers_mod import helper\n\ndef f(x):\n    return helper(x) * 2.0\n")
    before = (tmp_path / "helpers_mod.py").read_bytes()
    status, _, err = cli(tmp_path, "export", "-o", "helpers_mod.py", "main_mod.py:f")
    assert status == 2 and (tmp_path / "helpers_mod.py").read_bytes() == before
    no_traceback(err)


# --- output of the target module, exits at import -------------------------------------------

NOISY = '''
import math
import sys
print("hello from import")
print("to stdout", file=sys.stdout)


def f(x):
    return math.sin(x) * x
'''


@pytest.mark.parametrize("command", ["show", "ir", "graph"])
def test_prints_at_import_go_to_stderr(tmp_path, command):
    (tmp_path / "noisy.py").write_text(NOISY)
    status, out, err = cli_subprocess(tmp_path, command, "noisy.py:f")
    assert status == 0, err
    assert "hello from import" not in out and "to stdout" not in out, "the target's prints went to stdout"
    assert "hello from import" in err
    if command == "show":
        space: dict = {}
        exec(compile(out, "shown", "exec"), space)
        assert close(space["grad_f"](0.7), math.cos(0.7) * 0.7 + math.sin(0.7))   # hand-derived


@pytest.mark.parametrize("exit_code, command", [("sys.exit()", "show"), ("sys.exit(0)", "export"),
                                                ("sys.exit(5)", "show"), ("sys.exit('bye')", "export"),
                                                ("raise SystemExit(1)", "ir")])
def test_sys_exit_at_import_is_a_clear_error(tmp_path, exit_code, command):
    (tmp_path / "quits.py").write_text(f"import sys\n{exit_code}\n\ndef f(x):\n    return x * x\n")
    args = ["export", "-o", "out.py", "quits.py:f"] if command == "export" else [command, "quits.py:f"]
    status, out, err = cli_subprocess(tmp_path, *args)
    assert status == 2, (status, err)
    assert err.strip(), "no message"
    no_traceback(err)


# --- every error: exit 2, a message, no traceback -------------------------------------------

@pytest.mark.parametrize("case", ["missing_folder", "folder_as_output", "unwritable", "graph_missing_folder",
                                  "graph_folder"])
def test_output_errors(tmp_path, case):
    (tmp_path / "model.py").write_text(PLAIN)
    (tmp_path / "adir").mkdir()
    args = {
        "missing_folder": ["export", "-o", "no/such/folder/out.py", "model.py:f"],
        "folder_as_output": ["export", "-o", "adir", "model.py:f"],
        "unwritable": ["export", "-o", "/proc/srcgrad_out.py", "model.py:f"],
        "graph_missing_folder": ["graph", "-o", "no/such/folder/g.dot", "model.py:f"],
        "graph_folder": ["graph", "-o", "adir", "model.py:f"],
    }[case]
    status, _, err = cli(tmp_path, *args)
    assert status == 2 and err.strip(), (status, err)
    no_traceback(err)


@pytest.mark.parametrize("argnums", ["x,,y", "0,,1", ",", ",,", "0,,", " "])
def test_malformed_argnums(tmp_path, argnums):
    (tmp_path / "model.py").write_text(PLAIN)
    status, _, err = cli(tmp_path, "show", "model.py:f", "--argnums", argnums)
    assert status == 2, (status, err)
    no_traceback(err)


# --- verify exit codes ----------------------------------------------------------------------

VERIFY_MOD = '''
import math
import srcgrad


def good(x):
    return math.sin(x) * x


@srcgrad.primitive
def soft(u):
    return math.log1p(math.exp(u))


@soft.derivative
def _(u):
    return 2.0


def wrong(x):
    return soft(x) + x


@srcgrad.primitive
def clip(u):
    return u if u < 1.0 else 1.0


@clip.derivative
def _(u):
    return 1.0 if u < 1.0 else 0.0


def clipped(x):
    return clip(x) * 2.0


def refused(x):
    with open("x") as fh:
        return x
'''


def test_verify_exit_codes(tmp_path):
    (tmp_path / "vmod.py").write_text(VERIFY_MOD)
    assert cli(tmp_path, "verify", "vmod.py:good")[0] == 0
    status, out, err = cli(tmp_path, "verify", "vmod.py:wrong")
    assert status == 1, (status, out, err)
    status, _, err = cli(tmp_path, "verify", "vmod.py:refused")
    assert status == 2
    no_traceback(err)
    status, _, err = cli(tmp_path, "verify", "vmod.py:nonexistent")
    assert status == 2
    no_traceback(err)


def test_verify_exit_code_matches_the_report(tmp_path):
    (tmp_path / "vmod2.py").write_text(VERIFY_MOD)
    mod = load(VERIFY_MOD, "vmod_api")
    for name in ("good", "wrong", "clipped"):
        report = srcgrad.verify(getattr(mod, name))
        mismatch = any("mismatch" in r.status.lower() for r in report)
        want = 0 if report.ok else (1 if mismatch else 3)
        status, out, err = cli(tmp_path, "verify", f"vmod2.py:{name}")
        assert status == want, f"{name}: exit {status}, report says {want}:\n{report}"


# --- srcgrad.generated rebuilds only the five transforms -------------------------------------

@pytest.mark.parametrize("transform", ["inline", "build", "forward", "reverse", "has_tapes", "Transformed",
                                       "primal_ir", "describe_argnums", "_grad", "_decorator_or_call",
                                       "resolve_argnums", "Builder", "Namer", "transformed_name", "_map_tree",
                                       "_output_tree", "ArgumentError", "Function", "Region", "Var"])
def test_generated_rebuilds_only_the_five_transforms(transform):
    import srcgrad.generated as generated
    mod = load("def f(x):\n    return x * x\n", "recipe_target")
    with pytest.raises(AttributeError):
        getattr(generated, f"{transform}({mod.__name__}:f)")


def test_generated_rebuilds_a_real_recipe():
    import pickle
    mod = load("import math\ndef f(x):\n    return math.sin(x) * x\n", "recipe_ok")
    df = grad(mod.f)
    assert close(pickle.loads(pickle.dumps(df))(0.3), fd(mod.f, (0.3,), 0))


def test_readme_documents_verify_exit_codes_and_unpickling():
    import re
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    cli_section = readme[readme.index("## The command line"):]
    assert re.search(r"\b3\b[^\n]*(could not|not check)|(could not|not check)[^\n]*\b3\b", cli_section), \
        "README does not document verify's exit status 3"
    assert re.search(r"unpickl", readme, re.I), "README does not say what unpickling a transformed function does"
    status, out, _ = cli(Path.cwd(), "verify", "--help")
    assert status == 0 and "3" in out
