"""Generated code against the user's names and text (issue 9: names that
capture user names, safe generation, one file name per generated function).

Every check runs the user's function as Python runs it (the module is written
to a temporary file and imported) and compares srcgrad's gradients with
central finite differences of it, or its value bit for bit.
"""
from __future__ import annotations

import ast
import builtins
import enum
import glob
import importlib.util
import inspect
import itertools
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import srcgrad
from srcgrad.codegen.emit import GeneratedTextError, check_text, comment_text
from srcgrad.codegen.naming import Namer
from srcgrad.codegen.literals import constant, plain_value
from srcgrad.ir.core import Var

from .cli_samples import env_with_srcgrad

_COUNTER = itertools.count()


def load_module(folder: Path, source: str, file_name: str | None = None):
    """Write `source` to a fresh file in `folder` and import it."""
    name = f"naming_subject_{next(_COUNTER)}"
    path = folder / (file_name or f"{name}.py")
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def finite_difference(f, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def assert_gradient(f, args, tolerance=1e-5):
    """grad, value_and_grad and jvp of `f` against `f` itself."""
    n = len(args)
    argnums = tuple(range(n))
    expected = [finite_difference(f, args, i) for i in range(n)]
    gradient = srcgrad.grad(f, argnums=argnums)(*args)
    value, gradient_2 = srcgrad.value_and_grad(f, argnums=argnums)(*args)
    assert value == f(*args)
    for got, got_2, want in zip(gradient, gradient_2, expected):
        assert got == got_2
        assert abs(got - want) <= tolerance * (1 + abs(want)), (got, want)
    for i in range(n):
        tangent = tuple(1.0 if j == i else 0.0 for j in range(n))
        primal_out, tangent_out = srcgrad.jvp(f)(tuple(args), tangent)
        assert primal_out == f(*args)
        assert abs(tangent_out - expected[i]) <= tolerance * (1 + abs(expected[i]))


# --- every name the code generator uses -------------------------------------------

# builtins and modules generated code reads, names it binds (locals, tapes,
# loop variables, exit codes), module-level names and group parameters
GENERATED_NAMES = [
    "math", "_math", "reversed", "range", "len", "float", "zip", "enumerate", "list", "abs", "min",
    "max", "int", "round", "_range", "_float", "_", "unused", "t", "t_1", "t_2", "dx", "dx_1", "dy",
    "x_dot", "x_tape", "s_tape", "ds", "dt", "i", "i_1", "c", "c_1", "exit_code", "result",
    "TABLE", "_TABLE", "grad_f", "value_and_grad_f", "jvp_f", "primals", "tangents", "sq", "_sq",
    "exp_x", "sin_u", "_default_y", "__srcgrad_comment_0__", "θ", "dθ", "builtins",
]

HELPERS = '''
import math
import srcgrad

TABLE = (0.5, -1.25, 2.0)


@srcgrad.primitive
def sq(v):
    return v * v


@sq.derivative
def _sq_rule(v):
    return 2.0 * v


def helper(u):
    s = 0.0
    for c in TABLE:
        s = s * u + c
    for k in range(3):
        s = s + math.sin(u) * k
    for k in range(2):
        s = s * 0.5 + sq(u)
    for k in range(3, 0, -1):
        s = s + float(k) * abs(u) + min(u, 0.25) + max(u, -0.25)
    for i, c in enumerate(TABLE):
        s = s + c * u * i
    return s
'''


def make_subject(params: list[str], locals_: list[str]) -> str:
    """A function named `f` of `params`, assigning `locals_`, reading the
    helper (which reads every builtin and module the generator uses)."""
    args = ", ".join(params)
    lines = [f"def f({args}):"]
    previous = params[0]
    for k, name in enumerate(locals_):
        other = params[k % len(params)]
        lines.append(f"    {name} = helper({previous}) * 0.25 + {other} * {previous}")
        previous = name
    lines.append(f"    return helper({params[-1]}) + {previous} * {params[0]}")
    return HELPERS + "\n\n" + "\n".join(lines) + "\n"


def _chunks(size: int) -> list[list[str]]:
    return [GENERATED_NAMES[k:k + size] for k in range(0, len(GENERATED_NAMES), size)]


@pytest.mark.parametrize("names", _chunks(6), ids=lambda names: ",".join(names))
def test_parameters_named_like_generated_code_keep_their_meaning(tmp_path, names):
    module = load_module(tmp_path, make_subject(["x"] + names, []))
    assert_gradient(module.f, [(0.35 + 0.07 * k) * (-1) ** k for k in range(len(names) + 1)])


@pytest.mark.parametrize("names", _chunks(8), ids=lambda names: ",".join(names))
def test_locals_named_like_generated_code_keep_their_meaning(tmp_path, names):
    # (f assigning math while its helper reads the module is fine: scopes differ)
    module = load_module(tmp_path, make_subject(["x", "y"], [n for n in names if n != "math"]))
    assert_gradient(module.f, [0.3, -0.7])


def test_parameters_keep_their_names_for_keyword_calls(tmp_path):
    module = load_module(tmp_path, make_subject(["math", "range", "_"], []))
    args = {"math": 0.2, "range": 0.4, "_": -0.3}
    df = srcgrad.grad(module.f, argnums=(0, 1, 2))
    assert list(inspect.signature(df).parameters) == ["math", "range", "_"]
    assert df(**args) == df(*args.values())


unique_names = st.lists(st.sampled_from(GENERATED_NAMES), min_size=3, max_size=6, unique=True)


@settings(max_examples=15, deadline=None)
@given(names=unique_names, split=st.integers(1, 3),
       # away from the helper's kinks (abs at 0, min/max at +-0.25)
       values=st.lists(st.floats(0.3, 0.9), min_size=3, max_size=3), signs=st.lists(st.booleans(), min_size=3,
                                                                                     max_size=3))
def test_programs_named_like_generated_code(names, split, values, signs):
    """Parameters and locals drawn from every name the code generator uses."""
    params, locals_ = names[:min(split, len(names) - 1)], names[min(split, len(names) - 1):]
    locals_ = [n for n in locals_ if n != "math"]
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        module = load_module(Path(folder), make_subject(params, locals_))
        assert_gradient(module.f, [-v if s else v for v, s in zip(values, signs)][:len(params)])


def test_unicode_names_stay_unicode(tmp_path):
    module = load_module(tmp_path, '''
        import math
        def f(θ, λ):
            φ = math.sin(θ) * λ
            return φ * φ
    ''')
    assert "dθ" in srcgrad.grad(module.f, mode="reverse").source
    assert "θ_dot" in srcgrad.jvp(module.f).source
    assert_gradient(module.f, [0.4, 1.3])


# --- the namer ------------------------------------------------------------------

def test_namer_numbers_names_in_order_and_reuses_released_ones():
    namer = Namer({"x"})
    names = [namer.name(Var(hint="t")) for _ in range(4)]
    assert names == ["t", "t_1", "t_2", "t_3"]
    assert namer.name(Var(hint="x")) == "x_1"
    namer.release("t_1")
    assert namer.name(Var(hint="t")) == "t_1"
    assert namer.name(Var(hint="t")) == "t_4"
    assert namer.name(Var(hint="len")) == "len_1"          # builtins are never shadowed
    assert namer.name(Var(hint="class")) == "class_1"      # nor keywords


def test_namer_skips_names_fixed_later():
    namer = Namer(set())
    namer.fix(Var(), "t_1")
    assert [namer.name(Var(hint="t")) for _ in range(3)] == ["t", "t_2", "t_3"]


# --- literals -----------------------------------------------------------------------

class Loud(float):
    def __repr__(self):
        return '__import__("os").system("echo pwned")'


class Two(enum.IntEnum):
    TWO = 2


def _literal_value(value):
    node = ast.Expression(constant(value, lambda name: ast.Name(id=name, ctx=ast.Load())))
    text = ast.unparse(node)
    assert "pwned" not in text
    return eval(compile(ast.parse(text, mode="eval"), "<literal>", "eval"), {"float": float})


@pytest.mark.parametrize("value", [0.1, -0.0, 0.0, -2.5, math.inf, -math.inf, 1e308, 5e-324, -7, 2 ** 70,
                                   True, Loud(1.5), Two.TWO])
def test_literals_are_plain_and_exact(value):
    got = _literal_value(value)
    assert type(got) in (bool, int, float)
    assert got == value and math.copysign(1, got) == math.copysign(1, value)


def test_nan_literal_is_nan():
    assert math.isnan(_literal_value(math.nan))


def test_numpy_scalars_are_plain_literals():
    np = pytest.importorskip("numpy")
    for value in (np.float64(0.1), np.float64(-0.0), np.float64(1) / 3):
        got = _literal_value(value)
        assert type(got) is float and got == float(value)
        assert math.copysign(1, got) == math.copysign(1, float(value))


def test_other_objects_are_not_literals():
    with pytest.raises(TypeError):
        plain_value(complex(1, 2))


def test_module_constants_of_number_subclasses(tmp_path):
    module = load_module(tmp_path, '''
        import enum
        class Loud(float):
            def __repr__(self):
                return '__import__("os").system("echo pwned")'
        class Two(enum.IntEnum):
            TWO = 2
        A = Loud(1.5)
        B = Two.TWO
        def f(x):
            return x * A + x ** B
    ''')
    df = srcgrad.value_and_grad(module.f)
    assert "pwned" not in df.source
    assert_gradient(module.f, [0.7])


# --- hostile text -----------------------------------------------------------------------

PAYLOAD_FLAG = "srcgrad_pwned_flag"
# code that leaves a mark if it ever runs (no slash: it is also a file name)
PAYLOAD = f'__import__("builtins").__setattr__("{PAYLOAD_FLAG}", 1)'


def test_hostile_file_name_docstring_and_comments(tmp_path):
    file_name = f'm"""+{PAYLOAD}+""".py'
    source = (
        'import math\n'
        'def f(x):\n'
        f'    """Doc: \\""" + {PAYLOAD} + \\""" \\\\ end"""\n'
        f'    y = x * 3.0  # """ + {PAYLOAD} + """ \\\n'
        f'    z = y * y  # \x0c\u2028\u2029\x85\x1c{PAYLOAD}\n'
        f'    w = z * 2.0  # \\\\\\\n'
        '    return w + math.sin(z)\n')
    module = load_module(tmp_path, source, file_name)
    for transform in (srcgrad.grad, srcgrad.value_and_grad, srcgrad.jvp):
        fn = transform(module.f)
        text = fn.source
        ast.parse(text)
        for line in text.splitlines():
            if PAYLOAD_FLAG in line:
                assert line.lstrip().startswith("#")     # quoted, only in comments
        exec(compile(text, "exported.py", "exec"), {})
        assert inspect.getsource(fn.generated) == text.split("\n\n\n")[-1] or text.endswith(
            inspect.getsource(fn.generated))
    assert_gradient(module.f, [0.3])
    assert not hasattr(builtins, PAYLOAD_FLAG)


@pytest.mark.parametrize("text", ["\r import os", "a\nimport os", "\x0c\x0b\x00", "\u2028\u2029\x85",
                                  'x"""\\', "tab\there", "θ é 中"])
def test_comments_are_one_line(text):
    safe = comment_text(text)
    assert len(("# " + safe + "\n").splitlines()) == 1
    assert safe.isprintable()
    module = ast.parse(f"# {safe}\nx = 1\n")
    assert len(module.body) == 1
    if text.isprintable():
        assert safe == text


def test_text_that_does_not_mean_the_tree_is_refused():
    tree = ast.parse("def f(x):\n    return x\n")
    check_text("def f(x):\n    return x\n", tree)
    with pytest.raises(GeneratedTextError):
        check_text("def f(x):\n    return x + 1\n", tree)
    with pytest.raises(GeneratedTextError):
        check_text("def f(x):\n    return x\nimport os\n", tree)


# --- file names, getsource and tracebacks ---------------------------------------------------

def test_each_generated_function_has_its_own_file(tmp_path):
    module = load_module(tmp_path, '''
        import math
        def f(x, y):
            return math.sin(x) * y
    ''')
    functions = [srcgrad.grad(module.f), srcgrad.grad(module.f, argnums=1),
                 srcgrad.value_and_grad(module.f), srcgrad.jvp(module.f)]
    names = [fn.__code__.co_filename for fn in functions]
    assert len(set(names)) == len(names)
    for fn in functions:
        assert inspect.getsource(fn.generated) in fn.source
        assert fn.module.name in os.path.basename(fn.__code__.co_filename)
    # the same text gets the same name (deterministic)
    assert srcgrad.grad(module.f).__code__.co_filename == names[0]


def test_redefinition_gets_its_own_file(tmp_path):
    first = load_module(tmp_path, "def f(x):\n    return x * 2.0\n", "same.py")
    old = srcgrad.grad(first.f)
    second = load_module(tmp_path, "def f(x):\n    return x * 3.0\n", "same.py")
    new = srcgrad.grad(second.f)
    assert old.__code__.co_filename != new.__code__.co_filename
    assert "2.0" in inspect.getsource(old.generated) and "3.0" in inspect.getsource(new.generated)
    assert (old(1.0), new(1.0)) == (2.0, 3.0)


def _pythons() -> list[str]:
    """This interpreter and every other CPython 3.11-3.13 on the machine that
    can import srcgrad's dependencies."""
    found = [sys.executable]
    for path in sorted(glob.glob("/root/.pyenv/versions/3.1[123]*/bin/python")) + \
            sorted(glob.glob("/tmp/*/bin/python3.1[123]")):
        probe = subprocess.run([path, "-c", "import astor"], capture_output=True)
        if probe.returncode == 0 and os.path.realpath(path) != os.path.realpath(sys.executable):
            found.append(path)
    return found


@pytest.mark.parametrize("python", _pythons())
def test_uncaught_error_shows_the_generated_line(tmp_path, python):
    """The default traceback of an error raised in generated code shows the
    generated line that raised.  The error: ``math.sqrt`` of a negative
    number, which the gradient evaluates because its derivative reads the
    value (README, "At kinks"; an infinite derivative such as sqrt's at 0
    is ``inf``, not an exception, so it cannot serve here)."""
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent('''
        import math
        import sys
        import srcgrad

        def f(x):
            return math.sqrt(x) * x

        g = srcgrad.grad(f)
        sys.stdout.write(g.source)
        sys.stdout.flush()
        g(-1.0)
    '''), encoding="utf-8")
    result = subprocess.run([python, str(script)], capture_output=True, text=True, env=env_with_srcgrad(),
                            timeout=120)
    assert result.returncode == 1, result.stderr
    assert "ValueError" in result.stderr
    frame = next(line for line in result.stderr.splitlines() if "grad_f@" in line)
    shown = result.stderr.split(frame, 1)[1].splitlines()[1].strip()
    generated = [line.strip() for line in result.stdout.splitlines()]
    # the line shown is the generated line computing the square root, not the user's line
    assert shown in generated and "math.sqrt(x)" in shown, result.stderr
    assert shown not in [line.strip() for line in script.read_text().splitlines()]


def test_function_names_that_are_not_identifiers(tmp_path):
    module = load_module(tmp_path, '''
        import math
        def f(x):
            return math.sin(x) * x
        f.__name__ = 'f"""+ 1 +"""'
    ''')
    df = srcgrad.grad(module.f)
    assert df.__code__.co_name.isidentifier()
    assert_gradient(module.f, [0.4])
