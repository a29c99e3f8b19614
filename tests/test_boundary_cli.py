"""The command line and `export` against hostile names, paths and values.

Every test treats srcgrad as a black box run as a user would (``python -m
srcgrad`` in a subprocess, or `srcgrad.cli.main` in this process) and checks:

* nothing from the user's world is ever run as code: files, folders,
  docstrings, names and constants carry a payload that creates a marker file,
  and the marker must never appear -- not during ``export``, not when the
  exported module is imported;
* exported gradients are right: compared with finite differences of the
  same function as Python runs it;
* every error is one line on stderr, exit status 2, no traceback;
* ``export`` never writes over a file it read, however the path is spelt;
* the target module's prints do not pollute ``show``/``graph`` output.
"""
from __future__ import annotations

import ast
import enum
import json
import math
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad.errors import ArgumentError, ExportError
from srcgrad.codegen.literals import literal_node
from srcgrad.export import export_source

from .cli_samples import PYTHON, env_with_srcgrad, exec_source, run_cli
from .reference import close, numeric_gradient

MARKER = "PWNED"


def payload(quote: str) -> str:
    """Text that, pasted into Python source between `quote`s, would create
    the marker file in the current folder."""
    return f'{quote}+__import__("os").system("touch {MARKER}")+{quote}'


def srcgrad_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([PYTHON, "-m", "srcgrad", *args], capture_output=True, text=True, cwd=cwd,
                          env=env_with_srcgrad(), timeout=120)


def import_and_call(folder: Path, module: str, name: str, args: tuple) -> object:
    """Import `module` from `folder` in a fresh Python (cwd = `folder`) and
    return ``module.name(*args)``."""
    script = textwrap.dedent(f"""
        import importlib, json, sys
        sys.path.insert(0, {str(folder)!r})
        exported = importlib.import_module({module!r})
        print(json.dumps(getattr(exported, {name!r})(*{args!r})))
    """)
    done = subprocess.run([PYTHON, "-I", "-c", script], capture_output=True, text=True, cwd=folder,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_one_line_error(done: subprocess.CompletedProcess | tuple, *needles: str) -> None:
    status, out, err = ((done.returncode, done.stdout, done.stderr)
                        if isinstance(done, subprocess.CompletedProcess) else done)
    assert status == 2, (out, err)
    assert "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert out == ""
    for needle in needles:
        assert needle in err, err


PLAIN = "import math\n\ndef f(x):\n    return math.sin(x) * x\n"


def plain_f(x: float) -> float:
    return math.sin(x) * x


# --- export: no text from the user's world becomes code -------------------------------

HOSTILE_FILE_STEMS = [
    f'm{payload(chr(34) * 3)}',          # the file name of the issue: m"""+__import__(...)+"""
    f"m{payload(chr(39) * 3)}",
    f"m{payload(chr(34))}",
    f"m{payload(chr(39))}",
    f'm\\{payload(chr(34) * 3)}',         # a backslash before the quotes
    f'm\n__import__("os").system("touch {MARKER}")\n',   # newlines in the name
    "m \u00e9\u4e2d\u2028\x0c name",  # unicode, a line separator, a form feed
]


@pytest.mark.parametrize("stem", HOSTILE_FILE_STEMS)
def test_hostile_file_name_never_runs_during_export_or_import(tmp_path, stem):
    source = tmp_path / f"{stem}.py"
    source.write_text(PLAIN)
    done = srcgrad_cli("export", "-o", "exported.py", f"{source.name}:f", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / MARKER).exists(), "the payload ran during export"
    text = (tmp_path / "exported.py").read_text()
    # the name is in the module's docstring, as data
    assert source.name in ast.get_docstring(ast.parse(text), clean=False)
    got = import_and_call(tmp_path, "exported", "grad_f", (0.7,))
    assert not (tmp_path / MARKER).exists(), "the payload ran at import of the exported module"
    assert close(got, numeric_gradient(plain_f, (0.7,), (0,))[0])


@pytest.mark.skipif(sys.platform != "linux", reason="file names of arbitrary bytes are a POSIX thing")
def test_file_name_that_is_not_utf8(tmp_path):
    """A file name of undecodable bytes (Python sees surrogates) is a name
    like any other: exported, imported, and never an encoding crash."""
    folder = os.fsencode(tmp_path)
    source = folder + b'/m\xff"""x.py'
    with open(source, "w") as handle:
        handle.write(PLAIN)
    args = [os.fsencode(PYTHON), b"-m", b"srcgrad", b"export", b"-o", b"exported.py", source + b":f"]
    done = subprocess.run(args, capture_output=True, cwd=tmp_path, env=env_with_srcgrad(), timeout=120)
    assert done.returncode == 0, done.stderr
    got = import_and_call(tmp_path, "exported", "grad_f", (0.2,))
    assert close(got, numeric_gradient(plain_f, (0.2,), (0,))[0])
    args[-2:] = [source, source + b":f"]           # and it is protected like any source
    done = subprocess.run(args, capture_output=True, cwd=tmp_path, env=env_with_srcgrad(), timeout=120)
    assert done.returncode == 2 and b"refusing to write" in done.stderr and b"Traceback" not in done.stderr
    with open(source) as handle:
        assert handle.read() == PLAIN


STEM_PIECES = st.sampled_from(['"""', "'''", '"', "'", "\\", "\n", "\r", "\t", " ", "+", "#", ";",
                               "\u00e9", "\u2028", "\x0c", "{", "}", "%s", "m",
                               '__import__("os").system("touch PWNED")'])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=st.lists(STEM_PIECES, min_size=1, max_size=8).map("".join),
       doc=st.lists(STEM_PIECES, max_size=8).map("".join))
def test_random_hostile_file_names_and_docstrings_stay_data(tmp_path, monkeypatch, stem, doc):
    """In process: a file of any name, a function with any docstring; the
    export neither runs them nor changes them (the module docstring holds the
    file name as written)."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / f"case{abs(hash((stem, doc)))}"
    folder.mkdir(exist_ok=True)
    path = folder / f"{stem}.py"
    path.write_text(f"import math\n\n\ndef f(x):\n    {doc!r}\n    return math.sin(x) * x\n")
    from srcgrad.targets import load_file
    module = load_file(str(path))
    text = export_source([srcgrad.grad(module.f)])
    assert path.name in ast.get_docstring(ast.parse(text), clean=False)
    space: dict = {}
    exec(compile(text, "exported", "exec"), space)
    assert close(space["grad_f"](0.9), numeric_gradient(plain_f, (0.9,), (0,))[0])
    assert not (tmp_path / MARKER).exists()


HOSTILE_FOLDERS = ['d"""x', "d'''x", "d\nx", "d \u00e9 x", "d\\x"]


@pytest.mark.parametrize("folder", HOSTILE_FOLDERS)
def test_hostile_folder_names_in_module_paths(tmp_path, folder):
    where = tmp_path / folder
    where.mkdir()
    (where / "m.py").write_text(PLAIN)
    out = where / "exported.py"
    done = srcgrad_cli("export", "-o", str(out), f"{where / 'm.py'}:f", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    got = import_and_call(where, "exported", "grad_f", (1.3,))
    assert not (tmp_path / MARKER).exists() and not (where / MARKER).exists()
    assert close(got, numeric_gradient(plain_f, (1.3,), (0,))[0])


ESCAPED = chr(92) + chr(34) + chr(92) + chr(34) + chr(92) + chr(34)   # \"\"\" : three quotes in a docstring

HOSTILE_MODULE = f'''\
import math
import srcgrad

TEXT = {payload(chr(34) * 3)!r}   # string constants the primitive reads
TEXT2 = {payload(chr(39) * 3) + chr(10) + chr(92) + chr(34)!r}


def _helper(u):
    """A docstring with \\""" and \''' and a payload:
    {payload(ESCAPED)}"""
    if TEXT == TEXT2:
        return u
    return 2.0 * u


@srcgrad.primitive
def prim(u):
    """Primitive docstring \\""" {payload(ESCAPED)}"""
    return _helper(u) + math.sin(u)


@prim.derivative
def _(u):
    return 2.0 + math.cos(u)


def f(x):
    \'\'\'Hostile docstring \\\'\'\' """ {payload(ESCAPED)}\'\'\'
    return prim(x) * x
'''


def hostile_reference(x: float) -> float:
    return (2.0 * x + math.sin(x)) * x


def test_hostile_docstrings_and_string_constants_in_primitive_source(tmp_path):
    (tmp_path / "hostile.py").write_text(HOSTILE_MODULE)
    done = srcgrad_cli("export", "-o", "exported.py", "hostile.py:f", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    got = import_and_call(tmp_path, "exported", "grad_f", (0.4,))
    assert not (tmp_path / MARKER).exists()
    assert close(got, numeric_gradient(hostile_reference, (0.4,), (0,))[0])
    # the constants are the user's strings, exactly
    namespace: dict = {}
    exec(compile((tmp_path / "hostile.py").read_text(), "hostile", "exec"), namespace)
    exported: dict = {}
    tree = ast.parse((tmp_path / "exported.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            exported[node.targets[0].id] = node.value.value
    assert exported["TEXT"] == namespace["TEXT"] and exported["TEXT2"] == namespace["TEXT2"]


def _load(tmp_path: Path, name: str, text: str):
    path = tmp_path / f"{name}.py"
    path.write_text(text)
    from srcgrad.targets import load_file
    return load_file(str(path))


def test_reassigned_function_names_are_refused_or_kept_as_data(tmp_path, monkeypatch):
    """A helper whose ``__name__`` was set to code is copied under the name
    its ``def`` binds, never under ``__name__``."""
    monkeypatch.chdir(tmp_path)
    module = _load(tmp_path, "renamed", textwrap.dedent('''\
        import math
        import srcgrad

        def helper(u):
            return 3.0 * u

        helper.__name__ = 'x = 1; __import__("os").system("touch PWNED"); y'
        helper.__qualname__ = helper.__name__

        @srcgrad.primitive
        def prim(u):
            return helper(u)

        @prim.derivative
        def _(u):
            return 3.0

        def f(x):
            return prim(x) * x
        '''))
    text = export_source([srcgrad.grad(module.f)])
    tree = ast.parse(text)
    assert "helper" in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    space = {}
    exec(compile(text, "exported", "exec"), space)
    assert not (tmp_path / MARKER).exists()
    assert close(space["grad_f"](0.9), numeric_gradient(lambda x: 3.0 * x * x, (0.9,), (0,))[0])


ODD_GLOBAL = """\
import srcgrad

K = 2.0


def helper(u):
    return K * u


@srcgrad.primitive
def prim(u):
    return helper(u)


@prim.derivative
def _(u):
    return 2.0


def f(x):
    return prim(x) * x
"""


@pytest.mark.parametrize("bad_name", ["not a name", "class", "x-y", "\ufb01", "x\ny", "",
                                      'K = 1; __import__("os").system("touch PWNED"); K'])
def test_global_names_that_are_not_identifiers_are_refused(tmp_path, monkeypatch, bad_name):
    """A helper whose code reads a global under a name Python source cannot
    spell (code objects can be rebuilt with any names) is refused, never
    pasted into the module."""
    monkeypatch.chdir(tmp_path)
    module = _load(tmp_path, "oddname", ODD_GLOBAL)
    code = module.helper.__code__
    module.helper.__code__ = code.replace(co_names=tuple(bad_name if n == "K" else n for n in code.co_names))
    vars(module)[bad_name] = 2.0
    with pytest.raises(ExportError, match="not a plain identifier"):
        export_source([srcgrad.grad(module.f)])
    assert not (tmp_path / MARKER).exists()


SHADOWING_PRIMITIVE = """\
import srcgrad

{name} = 0.5


@srcgrad.primitive
def prim(u):
    return {name} * u * u


@prim.derivative
def _(u):
    return 2.0 * {name} * u
"""

LOOP_USER = """\
from {primitive_module} import prim


def f(x, n):
    s = x
    for i in range(n):
        s = prim(s) + x
    return s
"""


def loop_reference(x: float, n: int = 3) -> float:
    s = x
    for _ in range(n):
        s = 0.5 * s * s + x
    return s


@pytest.mark.parametrize("name", ["range", "reversed"])
def test_exported_global_shadowing_a_builtin_the_generated_code_reads(tmp_path, monkeypatch, name):
    """A user primitive in one module reads a global named like a builtin
    (``range = 0.5``) that a gradient written in another module needs as the
    builtin (its loop): one exported module cannot hold both under one name,
    so the export is refused naming it, or works -- never a module whose
    gradient calls the user's object instead of the builtin."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    primitive_module = f"shadow_prim_{name}"
    (tmp_path / f"{primitive_module}.py").write_text(SHADOWING_PRIMITIVE.format(name=name))
    module = _load(tmp_path, f"shadow_user_{name}", LOOP_USER.format(primitive_module=primitive_module))
    gradient = srcgrad.grad(module.f)
    assert close(gradient(0.3, 3), numeric_gradient(loop_reference, (0.3,), (0,))[0])
    try:
        text = export_source([gradient])
    except ExportError as exc:
        assert repr(name) in str(exc)
        return
    space: dict = {}
    exec(compile(text, "exported", "exec"), space)
    assert close(space["grad_f"](0.3, 3), numeric_gradient(loop_reference, (0.3,), (0,))[0])


DEFAULTS_MODULE = """\
import math


def f(x, scale=2.5, shift=-0.0, cap=float("inf"), power=3):
    return min(scale * x ** power + shift, cap) + math.sin(x)
"""


def defaults_reference(x: float) -> float:
    return min(2.5 * x ** 3 - 0.0, math.inf) + math.sin(x)


def test_exported_functions_keep_their_default_values(tmp_path, monkeypatch):
    """A function with defaults (signed zero, inf, an int) exports,
    and the exported gradient uses them, as Python would."""
    monkeypatch.chdir(tmp_path)
    module = _load(tmp_path, "with_defaults", DEFAULTS_MODULE)
    functions = [srcgrad.grad(module.f), srcgrad.value_and_grad(module.f), srcgrad.jvp(module.f)]
    space: dict = {}
    exec(compile(export_source(functions), "exported", "exec"), space)
    want = numeric_gradient(defaults_reference, (0.6,), (0,))[0]
    assert close(space["grad_f"](0.6), want)
    value, slope = space["value_and_grad_f"](0.6)
    assert value == module.f(0.6) and close(slope, want)
    primal, tangent = space["jvp_f"]((0.6,), (1.0,))
    assert primal == module.f(0.6) and close(tangent, want)


# --- constants that are int/float subclasses -------------------------------------------

class Shouty(float):
    """A float whose repr is code: it must never be asked for."""

    calls = 0

    def __repr__(self) -> str:
        type(self).calls += 1
        return f'__import__("os").system("touch {MARKER}") or 99.0'

    __str__ = __repr__

    def __float__(self) -> float:      # lies: the stored value is what counts
        return 99.0


class Level(enum.IntEnum):
    HIGH = 3


class LyingInt(int):
    def __repr__(self) -> str:
        return "__import__('os')"

    def __int__(self) -> int:
        return 99


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


CONSTANT_MODULE = '''\
import math
import srcgrad
from boundary_consts import VALUE


def _scale(u):
    return VALUE * u


@srcgrad.primitive
def prim(u):
    return _scale(u) + math.sin(u)


@prim.derivative
def _(u):
    return math.cos(u) + 0.0


def f(x):
    return prim(x) * x      # the gradient calls prim: its source, _scale and VALUE are exported
'''


def _constant_cases():
    cases = [Shouty(2.5), Shouty(-0.0), Shouty(float("inf")), Shouty(float("nan")), Level.HIGH,
             LyingInt(7), 2.5, -0.0, float("-inf"), float("nan"), 5e-324, True]
    numpy = _numpy()
    if numpy is not None:
        cases += [numpy.float64(1.25), numpy.float64(-0.0), numpy.float64("nan")]
    return cases


def _numpy():
    try:
        import numpy
    except ImportError:  # pragma: no cover
        return None
    return numpy


@pytest.mark.parametrize("value", _constant_cases())
def test_subclass_constants_are_written_as_plain_values(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    consts = type(sys)("boundary_consts")
    consts.VALUE = value
    monkeypatch.setitem(sys.modules, "boundary_consts", consts)
    module = _load(tmp_path, f"consts_{abs(hash(repr(type(value)))) % 10**8}", CONSTANT_MODULE)
    before = Shouty.calls
    text = export_source([srcgrad.grad(module.f)])
    assert Shouty.calls == before, "repr() of the user's object was used"
    node = next(n for n in ast.parse(text).body
                if isinstance(n, ast.Assign) and n.targets[0].id == "VALUE")
    # evaluated with no builtin but float (inf and nan are written float('inf'), as in generated code)
    written = eval(compile(ast.Expression(node.value), "const", "eval"), {"__builtins__": {"float": float}})
    assert not (tmp_path / MARKER).exists()
    if isinstance(value, bool):
        assert written is value
    elif isinstance(value, int):
        assert type(written) is int and written == int.__int__(value)
    else:
        assert type(written) is float
        stored = float.__float__(value) if isinstance(value, float) else float(value)
        if math.isnan(stored):
            assert math.isnan(written)
        else:
            assert bits(written) == bits(stored)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-10**40, max_value=10**40)
       | st.text(max_size=20) | st.tuples(st.floats(), st.text(max_size=5)))
def test_literal_nodes_round_trip_exactly(value):
    node = literal_node(value)
    text = ast.unparse(ast.fix_missing_locations(ast.Expression(node)))
    back = eval(compile(text, "literal", "eval"), {"__builtins__": {}})
    assert type(back) is type(value)
    flat_back = back if isinstance(back, tuple) else (back,)
    flat_value = value if isinstance(value, tuple) else (value,)
    for a, b in zip(flat_back, flat_value):
        if isinstance(b, float):
            assert (math.isnan(a) and math.isnan(b)) or bits(a) == bits(b)
        else:
            assert a == b


def test_named_tuples_and_other_objects_are_refused_not_repr():
    from collections import namedtuple
    Point = namedtuple("Point", "x y")
    assert literal_node(Point(1.0, 2.0)) is None
    assert literal_node(object()) is None
    assert literal_node((1.0, object())) is None


# --- export never writes over what it read ---------------------------------------------

HELPERS = '''\
import math
import srcgrad


@srcgrad.primitive
def prim(u):
    return 2.0 * u + math.sin(u)


@prim.derivative
def _(u):
    return 2.0 + math.cos(u)
'''

MAIN = '''\
import plain_helpers
from helpers_mod import prim


def f(x):
    return prim(x) * x + plain_helpers.cube(x)
'''

PLAIN_HELPERS = "def cube(u):\n    return u * u * u\n"     # inlined by the frontend, not copied


@pytest.fixture
def two_files(tmp_path: Path) -> Path:
    (tmp_path / "helpers_mod.py").write_text(HELPERS)
    (tmp_path / "main_mod.py").write_text(MAIN)
    (tmp_path / "plain_helpers.py").write_text(PLAIN_HELPERS)
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "main_mod.py", tmp_path / "link_to_main.py")
    os.link(tmp_path / "main_mod.py", tmp_path / "hard_link.py")
    return tmp_path


@pytest.mark.parametrize("output", ["main_mod.py", "./main_mod.py", "sub/../main_mod.py",
                                    "{abs}/main_mod.py", "link_to_main.py", "hard_link.py",
                                    "helpers_mod.py", "./sub/../helpers_mod.py", "plain_helpers.py"])
def test_export_never_overwrites_a_source(two_files, output):
    output = output.format(abs=two_files)
    before = {p: p.read_bytes() for p in two_files.glob("*.py")}
    done = srcgrad_cli("export", "-o", output, "main_mod.py:f", cwd=two_files)
    assert_one_line_error(done, "refusing to write")
    assert {p: p.read_bytes() for p in two_files.glob("*.py")} == before


def test_export_api_refuses_to_overwrite_the_users_file(tmp_path):
    module = _load(tmp_path, "apiuser", PLAIN)
    from srcgrad.export import export_to_file
    before = (tmp_path / "apiuser.py").read_text()
    with pytest.raises(ExportError, match="refusing to write"):
        export_to_file(str(tmp_path / "apiuser.py"), [srcgrad.grad(module.f)])
    assert (tmp_path / "apiuser.py").read_text() == before


def test_export_next_to_the_sources_still_works(two_files):
    done = srcgrad_cli("export", "-o", "sub/grads.py", "main_mod.py:f", cwd=two_files)
    assert done.returncode == 0, done.stderr
    got = import_and_call(two_files / "sub", "grads", "grad_f", (0.6,))
    want = numeric_gradient(lambda x: (2.0 * x + math.sin(x)) * x + x ** 3, (0.6,), (0,))[0]
    assert close(got, want)


# --- the target module's own output and failures ----------------------------------------

CHATTY = '''\
import math
print("hello from the module")
print("def not_code(:")


def f(x):
    return math.sin(x) * x
'''


def test_show_output_stays_clean_when_the_module_prints(tmp_path):
    (tmp_path / "chatty.py").write_text(CHATTY)
    done = srcgrad_cli("show", "chatty.py:f", "--color", "never", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "hello from the module" in done.stderr and "hello" not in done.stdout
    grad_f = exec_source(done.stdout, "grad_f")
    assert close(grad_f(0.8), numeric_gradient(plain_f, (0.8,), (0,))[0])


def test_graph_output_stays_clean_when_the_module_prints(tmp_path):
    (tmp_path / "chatty.py").write_text(CHATTY)
    done = srcgrad_cli("graph", "chatty.py:f", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("digraph") and "hello" not in done.stdout


def test_in_process_prints_also_go_to_stderr(tmp_path):
    (tmp_path / "chatty2.py").write_text(CHATTY)
    status, out, err = run_cli("ir", f"{tmp_path / 'chatty2.py'}:f")
    assert status == 0 and "hello" not in out and "hello from the module" in err


@pytest.mark.parametrize("body, needles", [
    ("import sys\nsys.exit(3)\n", ["sys.exit(3)"]),
    ("import sys\nsys.exit('bye\\nnow')\n", ["sys.exit("]),
    ("raise SystemExit\n", ["sys.exit("]),
    ("x = 1 / 0\n", ["ZeroDivisionError", "division by zero", "line"]),
    ("raise ValueError('two\\nlines')\n", ["ValueError: two lines"]),
    ("class E(Exception):\n    def __str__(self):\n        raise RuntimeError\nraise E()\n", ["E"]),
    ("import no_such_module_for_srcgrad_tests\n", ["ModuleNotFoundError"]),
    ("class Code:\n    def __repr__(self):\n        raise ValueError\nraise SystemExit(Code())\n",
     ["sys.exit(<a Code>)"]),
    ("class Odd(BaseException):\n    pass\nraise Odd('not an Exception')\n", ["Odd: not an Exception"]),
    ("raise GeneratorExit\n", ["GeneratorExit"]),
])
def test_failing_imports_are_one_line_errors(tmp_path, body, needles):
    (tmp_path / "failing.py").write_text("def f(x):\n    return x * x\n\n" + body)
    done = srcgrad_cli("show", "failing.py:f", cwd=tmp_path)
    assert_one_line_error(done, "importing", "failing.py", *needles)


def test_module_attribute_lookup_that_raises_is_one_line(tmp_path):
    (tmp_path / "lazy.py").write_text("def __getattr__(name):\n    raise KeyError(name)\n")
    done = srcgrad_cli("show", "lazy.py:f", cwd=tmp_path)
    assert_one_line_error(done, "KeyError")


# --- every CLI error: a message, exit 2, no traceback -----------------------------------

@pytest.fixture
def cli_dir(tmp_path: Path) -> Path:
    (tmp_path / "f.py").write_text(PLAIN + "\nNUMBER = 3.0\n\n\ndef two(x, y):\n    return x * y\n")
    (tmp_path / "a dir").mkdir()
    (tmp_path / "a file.txt").write_text("not a folder")
    (tmp_path / "no_suffix").write_text(PLAIN)
    (tmp_path / "compiled.pyc").write_bytes(b"\x00\x01")
    (tmp_path / "\u00e9t\u00e9 space.py").write_text(PLAIN)
    return tmp_path


CLI_ERRORS = [
    (["export", "-o", "missing_folder/out.py", "f.py:f"], "does not exist"),
    (["export", "-o", "a dir", "f.py:f"], "is a directory"),
    (["export", "-o", ".", "f.py:f"], "is a directory"),
    (["export", "-o", "a file.txt/out.py", "f.py:f"], "not a directory"),
    (["export", "-o", "/proc/srcgrad_out.py", "f.py:f"], "cannot write"),
    (["export", "-o", "f.py", "f.py:f"], "refusing to write"),
    (["export", "-o", "-", "f.py:f"], "file name"),
    (["graph", "-o", "missing_folder/g.dot", "f.py:f"], "does not exist"),
    (["graph", "-o", "f.py.dot", "missing.py:f"], "no such file"),
    (["show", "missing.py:f"], "no such file"),
    (["show", "f.py"], "FILE.py:FUNC"),
    (["show", "f.py:"], "FILE.py:FUNC"),
    (["show", ":f"], "FILE.py:FUNC"),
    (["show", "f.py:f:g"], "no such file"),
    (["show", "f.py:1f"], "not a function name"),
    (["show", "f.py:f g"], "not a function name"),
    (["show", "f.py:f..g"], "not a function name"),
    (["show", "a dir:f"], "is a directory"),
    (["show", "./a dir:f"], "is a directory"),
    (["show", "..:f"], "is a directory"),
    (["show", "/:f"], "is a directory"),
    (["show", "compiled.pyc:f"], "not a Python source file"),
    (["show", "no_suffix:f"], "not a Python source file"),
    (["show", "../nowhere/f.py:f"], "no such file"),
    (["show", "sp ace/f.py:f"], "no such file"),
    (["show", "f.py:NUMBER"], "not a function"),
    (["show", "f.py:math"], "not a function"),
    (["show", "f.py:nope"], "has no function"),
    (["show", "f.py:f", "--argnums", "x,,y"], "empty item"),
    (["show", "f.py:two", "--argnums", "x,,y"], "empty item"),
    (["show", "f.py:f", "--argnums", ","], "empty item"),
    (["show", "f.py:f", "--argnums", ""], "empty"),
    (["show", "f.py:f", "--argnums", "1.5"], "1.5"),
    (["show", "f.py:f", "--argnums", "\u00b2"], "--argnums"),
    (["show", "f.py:f", "--argnums", "z"], "no parameter named 'z'"),
    (["show", "f.py:two", "--argnums", "x,q"], "no parameter named 'q'"),
    (["show", "f.py:f", "--argnums", "7"], "out of range"),
    (["export", "-o", "out.py", "f.py:f", "--argnums", "x,,y"], "empty item"),
]


@pytest.mark.parametrize("args, needle", CLI_ERRORS, ids=[" ".join(a) for a, _ in CLI_ERRORS])
def test_cli_errors_are_one_line_exit_2(cli_dir, args, needle):
    done = srcgrad_cli(*args, cwd=cli_dir)
    assert_one_line_error(done, needle)
    assert not (cli_dir / "out.py").exists()


NOT_DIFFERENTIABLE = """\
import functools
import math

lam = lambda x: x * x


class K:
    def __call__(self, x):
        return x

    @property
    def p(self):
        return 1.0


inst = K()
part = functools.partial(math.pow, 2.0)


@functools.lru_cache
def cached(x):
    return x * x


def gen(x):
    yield x
"""


@pytest.mark.parametrize("name", ["lam", "K", "inst", "part", "cached", "gen", "K.p", "K.__call__.x"])
def test_targets_that_are_not_plain_functions_exit_2(tmp_path, name):
    (tmp_path / "odd_targets.py").write_text(NOT_DIFFERENTIABLE)
    done = srcgrad_cli("show", f"odd_targets.py:{name}", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.strip()


def test_unwritable_file_is_refused(cli_dir):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere; the /proc case covers an unwritable path")
    locked = cli_dir / "locked.py"
    locked.write_text("")
    locked.chmod(0o444)
    assert_one_line_error(srcgrad_cli("export", "-o", "locked.py", "f.py:f", cwd=cli_dir), "cannot write")


@pytest.mark.parametrize("spec", ["\u00e9t\u00e9 space.py:f", "./\u00e9t\u00e9 space.py:f",
                                  "{abs}/\u00e9t\u00e9 space.py:f", "a dir/../f.py:f"])
def test_odd_but_valid_paths_work(cli_dir, spec):
    done = srcgrad_cli("show", spec.format(abs=cli_dir), "--color", "never", cwd=cli_dir)
    assert done.returncode == 0, done.stderr
    grad_f = exec_source(done.stdout, "grad_f")
    assert close(grad_f(0.3), numeric_gradient(plain_f, (0.3,), (0,))[0])


def test_a_trailing_comma_asks_for_a_tuple(cli_dir):
    done = srcgrad_cli("show", "f.py:two", "--argnums", "y,", "--color", "never", cwd=cli_dir)
    assert done.returncode == 0, done.stderr
    got = exec_source(done.stdout, "grad_two")(1.5, 2.0)
    assert isinstance(got, tuple) and len(got) == 1 and close(got[0], 1.5)


# --- random odd command lines, in process -----------------------------------------------

ODD_TEXT = st.lists(st.sampled_from(list("ab _-.:/\\\"'\n\t,\u00e9\u4e2d\u2028\x00$~*?") + ["..", "py"]),
                    max_size=8).map("".join)
PREFIXES = st.sampled_from(["", "./", "../", "/", "//", "~/", "no/such/dir/", "a dir/", "{tmp}/",
                            "{tmp}/a dir/../", "-"])
SUFFIXES = st.sampled_from([".py", ".pyc", "", ".PY", "/", ".py/", " .py"])


@st.composite
def odd_command_lines(draw):
    path = draw(PREFIXES) + draw(ODD_TEXT) + draw(SUFFIXES)
    if all(part.isidentifier() for part in path.split(".")):
        path = "./" + path        # a module name would import whatever is installed under it
    target = path + draw(st.sampled_from([":", ":f", ":f.g", ":1", ":", ""])) + draw(ODD_TEXT)
    command = draw(st.sampled_from(["show", "ir", "graph", "export", "verify"]))
    args = [command]
    if command == "export":
        args += ["-o", draw(PREFIXES) + draw(ODD_TEXT) + draw(SUFFIXES)]
    args.append(target)
    if draw(st.booleans()):
        args += ["--argnums", draw(ODD_TEXT)]
    return args


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(odd_command_lines())
def test_random_odd_command_lines_exit_2_without_uncaught_errors(tmp_path, argv):
    from srcgrad.cli import main
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    # the targets never name an existing file (none is created), so every line is an error
    status, _, err = run_cli(*argv)
    assert status == 2, (argv, err)
    assert "Traceback" not in err
    assert err.strip()


# --- map_points --------------------------------------------------------------------------

@pytest.mark.parametrize("chunk_size", [0, -1, -10, 1.5, 2.0, "2", True, False, None.__class__])
def test_map_points_refuses_bad_chunk_sizes_before_needing_dask(monkeypatch, chunk_size):
    from srcgrad.parallel import map_points
    monkeypatch.setitem(sys.modules, "dask", None)             # importing dask would fail
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ArgumentError, match="chunk_size"):
        map_points(abs, [1.0, 2.0], chunk_size=chunk_size)


@pytest.mark.parametrize("n_workers", [0, -2, 1.5])
def test_map_points_refuses_bad_worker_counts(monkeypatch, n_workers):
    from srcgrad.parallel import map_points
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(ArgumentError, match="n_workers"):
        map_points(abs, [1.0], n_workers=n_workers)


def test_map_points_accepts_integer_like_chunk_sizes_with_a_client():
    """A NumPy integer chunk size is a chunk size (checked with a stand-in
    client, no Dask needed)."""
    numpy = _numpy()
    if numpy is None:  # pragma: no cover
        pytest.skip("numpy not installed")
    from srcgrad.parallel import map_points

    class Client:
        def scheduler_info(self):
            return {"workers": {"w": None}}

        def scatter(self, items, broadcast):
            return items

        def map(self, fn, *iterables, pure):
            return [fn(*args) for args in zip(*iterables)]

        def gather(self, futures):
            return futures

    points = [0.5, 1.0, 1.5]
    df = srcgrad.grad(plain_f)
    got = map_points(df, points, client=Client(), chunk_size=numpy.int64(2))
    assert all(close(g, numeric_gradient(plain_f, (p,), (0,))[0]) for g, p in zip(got, points))


# --- output to a closed pipe, and code too deep -------------------------------------------

def test_show_into_a_closed_pipe_is_quiet(tmp_path):
    """``srcgrad show f.py:f | head -0``: the reader is gone before srcgrad
    writes; no traceback, no "Exception ignored" noise."""
    (tmp_path / "f.py").write_text(PLAIN)
    proc = subprocess.Popen([PYTHON, "-m", "srcgrad", "show", "f.py:f", "--color", "never"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                            env=env_with_srcgrad())
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert b"Traceback" not in err and b"Exception ignored" not in err


def test_writing_to_a_stdout_that_fails_in_process(tmp_path, monkeypatch):
    from srcgrad.cli import main

    class Closed:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

        def isatty(self):
            return False

    (tmp_path / "f2.py").write_text(PLAIN)
    monkeypatch.setattr(sys, "stdout", Closed())
    assert main(["ir", str(tmp_path / "f2.py") + ":f"]) == 2


def test_code_too_deep_for_srcgrad_is_a_one_line_error(tmp_path, monkeypatch):
    """srcgrad's passes recurse over expressions; code deeper than Python's
    recursion limit allows (thousands of chained lines) is a one-line error.
    (Simulated: a real case takes seconds to reach the limit.)"""
    import srcgrad.api

    def too_deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(srcgrad.api, "grad", too_deep)
    (tmp_path / "f3.py").write_text(PLAIN)
    assert_one_line_error(run_cli("show", f"{tmp_path / 'f3.py'}:f"), "nested too deeply")
