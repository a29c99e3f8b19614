"""Issue 9, "concurrency, limits and clear errors" (the API part): raw Python
errors become `SrcGradError`s; what users pass (NumPy integers, int inputs)
works; ``jvp``'s signature, generated file names and tracebacks show the
truth; ``map_points`` rejects a non-positive chunk size.
"""
from __future__ import annotations

import functools
import inspect
import math
import pickle
import subprocess
import sys

import pytest

import srcgrad
from srcgrad import SrcGradError, grad, hessian, jacobian, jvp, primitive, value_and_grad

from .adversarial_support import close, env_with_srcgrad, fd, load

MODULE = '''
import math


def f(x, y=2.0):
    return math.sin(x) * y + x * x


def g(x):
    return math.exp(0.5 * x)


def printing(x):
    print(x)
    return x * x


def uses_vars(x):
    return x * len(vars())


def uses_id(x):
    return x * id(x)


class Model:
    def __call__(self, x):
        return x * x


class Plain:
    pass


MODEL = Model()
'''


@pytest.fixture(scope="module")
def mod():
    return load(MODULE, "api")


@pytest.mark.parametrize("order", [1.5, "2", None, 0, -1, 2.0, [2]])
def test_bad_order_is_a_srcgrad_error(mod, order):
    with pytest.raises(SrcGradError):
        grad(mod.g, order=order)


@pytest.mark.parametrize("primals, tangents", [((1.0, 2.0), (1.0,)), ((1.0,), (1.0, 0.0)), ((1.0, 2.0), ()),
                                               ((1.0, 2.0), (1.0, 0.0, 0.0))])
def test_jvp_with_the_wrong_number_of_tangents(mod, primals, tangents):
    with pytest.raises(SrcGradError):
        jvp(mod.f, primals, tangents)
    # jvp(f) is the generated function itself (no wrapper, no per-call
    # checks): it completes a short group with f's defaults (zero tangents),
    # as f(*primals) would; a group too short or too long for f's parameters
    # fails in its own tuple unpacking, never with a number
    if not all(1 <= len(group) <= 2 for group in (primals, tangents)):
        with pytest.raises(ValueError, match="values to unpack"):
            jvp(mod.f)(primals, tangents)


def test_primitive_from_lambda_and_partial():
    with pytest.raises(SrcGradError):
        primitive(lambda u: u * u)
    with pytest.raises(SrcGradError):
        primitive(functools.partial(math.pow, 2.0))


def test_two_primitives_with_the_same_name_in_one_function():
    mod = load('''
import srcgrad


def _make(scale):
    @srcgrad.primitive
    def twin(u):
        return scale * u
    @twin.derivative
    def _(u):
        return scale
    return twin


A = _make(2.0)
B = _make(5.0)


def f(x):
    return A(x) + B(x)
''', "twins")
    try:
        got = grad(mod.f)(1.0)
    except SrcGradError:
        return
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"raw {type(exc).__name__}: {exc}")
    assert close(got, 7.0)        # hand-derived: 2 + 5


@pytest.mark.parametrize("what", ["Model", "Plain", "MODEL"])
def test_classes_and_callable_instances(mod, what):
    with pytest.raises(SrcGradError):
        grad(getattr(mod, what))(1.0)


@pytest.mark.parametrize("builtin", [print, len, id, vars, sorted])
def test_builtins_without_a_rule(builtin):
    with pytest.raises(SrcGradError) as info:
        grad(builtin)(1.0)
    assert "prompt" not in str(info.value), "a builtin is not a function typed at an interactive prompt"


@pytest.mark.parametrize("name, called", [("printing", "print"), ("uses_vars", "vars"), ("uses_id", "id")])
def test_calls_of_builtins_without_a_rule(mod, name, called):
    with pytest.raises(SrcGradError) as info:
        grad(getattr(mod, name))
    assert called in str(info.value) and info.value.lineno is not None


def test_numpy_integer_argnums(mod):
    np = pytest.importorskip("numpy")
    want = (fd(mod.f, (0.4, 1.5), 0), fd(mod.f, (0.4, 1.5), 1))
    assert close(grad(mod.f, argnums=np.int64(1))(0.4, 1.5), want[1])
    assert close(grad(mod.f, argnums=np.int32(0))(0.4, 1.5), want[0])
    got = grad(mod.f, argnums=(np.int64(0), np.intp(1)))(0.4, 1.5)
    assert close(got[0], want[0]) and close(got[1], want[1])
    assert close(hessian(mod.f, argnums=np.int16(0))(0.4, 1.5), -math.sin(0.4) * 1.5 + 2.0)


@pytest.mark.parametrize("make", [lambda f: grad(f), lambda f: (lambda *a: value_and_grad(f)(*a)[1]),
                                  lambda f: hessian(f), lambda f: jacobian(f), lambda f: grad(f, order=2)])
def test_integer_inputs_give_float_gradients(mod, make):
    square = load("def sq(x):\n    return x * x * 3\n", "intin").sq
    for x in (3, 0, -2):
        got = make(square)(x)
        assert type(got) is float, f"{type(got).__name__} from an int input"
    assert make(square)(3) == make(square)(3.0)


def test_jvp_signature(mod):
    sig = inspect.signature(jvp(mod.f))
    assert list(sig.parameters) == ["primals", "tangents"]
    import pydoc
    assert "(primals, tangents)" in pydoc.render_doc(jvp(mod.g), renderer=pydoc.plaintext)


def test_generated_functions_have_their_own_file_names(mod):
    made = [grad(mod.f), grad(mod.f, argnums=1), value_and_grad(mod.g), jvp(mod.g), hessian(mod.g),
            grad(grad(mod.g))]
    names = [t.generated.__code__.co_filename for t in made]
    assert len(set(names)) == len(names), names
    for t in made:
        text = inspect.getsource(t.generated)
        assert f"def {t.generated.__name__}" in text or t.generated.__name__ in text
        assert text in t.source


TRACEBACK = '''
import math
import srcgrad


def f(x):
    return math.sqrt(x) * x


df = srcgrad.grad(f)
df(-4.0)
'''


def _interpreters() -> list[str]:
    """This Python, and every other 3.11-3.13 on the machine that can import srcgrad."""
    import shutil
    found = [sys.executable]
    for version in ("3.11", "3.12", "3.13"):
        exe = shutil.which(f"python{version}")
        if exe and version != f"{sys.version_info.major}.{sys.version_info.minor}":
            probe = subprocess.run([exe, "-c", "import srcgrad"], capture_output=True, env=env_with_srcgrad(),
                                   timeout=120)
            if probe.returncode == 0:
                found.append(exe)
    return found


@pytest.mark.parametrize("python", _interpreters())
def test_traceback_of_a_generated_gradient_shows_its_line(tmp_path, python):
    script = tmp_path / "tb_script.py"
    script.write_text(TRACEBACK)
    done = subprocess.run([python, str(script)], capture_output=True, text=True, env=env_with_srcgrad(),
                          timeout=120)
    assert done.returncode != 0 and "ValueError" in done.stderr
    generated_lines = [line.strip() for line in srcgrad.grad(load(TRACEBACK.split("df =")[0], "tb").f).source
                       .splitlines() if "sqrt" in line]
    assert any(line and line in done.stderr for line in generated_lines), done.stderr


def test_pickled_gradients_with_different_options_stay_different(mod):
    d0, d1 = grad(mod.f, argnums=0), grad(mod.f, argnums=1)
    r0, r1 = pickle.loads(pickle.dumps(d0)), pickle.loads(pickle.dumps(d1))
    assert close(r0(0.4, 1.5), fd(mod.f, (0.4, 1.5), 0)) and close(r1(0.4, 1.5), fd(mod.f, (0.4, 1.5), 1))


class _FakeClient:
    """Enough of a dask client for map_points to run in this process."""

    def scheduler_info(self):
        return {"workers": {"a": {}, "b": {}}}

    def scatter(self, items, broadcast=False):
        return list(items)

    def map(self, fn, *iterables, pure=True):
        return [fn(*args) for args in zip(*iterables)]

    def gather(self, futures):
        return futures


@pytest.mark.parametrize("size", [0, -1, -7])
def test_map_points_rejects_a_non_positive_chunk_size(size):
    from srcgrad.parallel import map_points
    with pytest.raises((ValueError, SrcGradError)):
        map_points(abs, [1.0, -2.0, 3.0], client=_FakeClient(), chunk_size=size)


def test_map_points_with_a_valid_chunk_size_still_works():
    from srcgrad.parallel import map_points
    assert map_points(abs, [1.0, -2.0, 3.0], client=_FakeClient(), chunk_size=2) == [1.0, 2.0, 3.0]
