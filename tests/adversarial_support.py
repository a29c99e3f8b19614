"""Black-box yardsticks for the adversarial suite (tests/test_adversarial_*.py).

Nothing here uses srcgrad: these helpers build user modules the way users
do (files imported with importlib, notebook cells compiled under a file name
registered in `linecache` as IPython does), and compute references from the
function object as Python runs it (finite differences, nested finite
differences, bitwise comparison of values and of raised exception types).
"""
from __future__ import annotations

import atexit
import importlib
import importlib.util
import itertools
import linecache
import math
import os
import shutil
import struct
import sys
import tempfile
import textwrap
import types
from pathlib import Path
from typing import Any, Callable, Sequence

from .reference import central_difference

WORKDIR = Path(tempfile.mkdtemp(prefix="srcgrad_adversarial_"))
atexit.register(shutil.rmtree, WORKDIR, True)
_counter = itertools.count()

# errors Python's math raises on a bad input: a value part must raise the same one
MATH_ERRORS = (ValueError, OverflowError, ZeroDivisionError)


# --- user modules ------------------------------------------------------------------------

def fresh_name(stem: str = "adv") -> str:
    return f"{stem}_{os.getpid()}_{next(_counter)}"


def load(text: str, stem: str = "adv", folder: Path | None = None, name: str | None = None) -> types.ModuleType:
    """Import `text` (dedented) from a fresh file, as a user's module is imported."""
    name = name or fresh_name(stem)
    folder = folder or WORKDIR
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write_source(module: types.ModuleType, text: str) -> None:
    """Overwrite `module`'s file on disk (the running code is unchanged), with a
    modification time no cache could mistake for the old one."""
    path = Path(module.__file__)
    old = path.stat().st_mtime_ns
    path.write_text(textwrap.dedent(text))
    os.utime(path, ns=(old + 2_000_000_000, old + 2_000_000_000))
    linecache.checkcache(str(path))


def reload_with(module: types.ModuleType, text: str) -> types.ModuleType:
    """Edit `module`'s file and re-run it in the same namespace (``importlib.reload``
    semantics: new function objects, same module dict), as after an edit + reload."""
    write_source(module, text)
    code = compile(textwrap.dedent(text), module.__file__, "exec")
    exec(code, module.__dict__)
    return module


class Notebook:
    """Cells run as IPython runs them: each cell's text is registered in
    `linecache` under its own file name (never on disk, mtime ``None``) and
    executed in one shared namespace, so re-running a cell redefines names."""

    def __init__(self) -> None:
        self.name = fresh_name("notebook")
        self.module = types.ModuleType(self.name)
        sys.modules[self.name] = self.module
        self.ns = self.module.__dict__
        self.cells = 0

    def run(self, text: str) -> None:
        self.cells += 1
        text = textwrap.dedent(text)
        filename = f"/tmp/ipykernel_{os.getpid()}/{abs(hash((self.name, self.cells)))}.py"
        linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
        exec(compile(text, filename, "exec"), self.ns)

    def __getitem__(self, key: str) -> Any:
        return self.ns[key]


# --- values ------------------------------------------------------------------------------

def bits(value: Any) -> Any:
    """A float's exact bit pattern (tells -0.0 from 0.0, keeps nan payload-free
    identity by kind); tuples map element-wise; ints stay ints."""
    if isinstance(value, tuple):
        return tuple(bits(v) for v in value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return struct.pack("<d", value)
    return value


def outcome(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """('value', bits) or ('raises', exception type) of ``fn(*args)``."""
    try:
        return "value", bits(fn(*args))
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return "raises", type(exc)


def same_bits(a: Any, b: Any) -> bool:
    return bits(a) == bits(b)


# --- references --------------------------------------------------------------------------

# the suite's one fourth-order central difference of the real `f`
fd = central_difference


def fd_grad(f: Callable[..., float], args: Sequence[float], argnums: Sequence[int]) -> tuple[float, ...]:
    return tuple(fd(f, args, i) for i in argnums)


def fd2(f: Callable[..., float], args: Sequence[float], i: int, j: int, h: float = 1e-3) -> float:
    """d2 f / d args[i] d args[j] by nested central differences of the real `f`."""
    def partial_i(*moved: float) -> float:
        return fd(f, moved, i, h)
    return fd(partial_i, args, j, h)


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def all_close(got: Any, want: Any, rel: float = 1e-6, abs_: float = 1e-6) -> bool:
    if isinstance(want, (tuple, list)):
        return (isinstance(got, (tuple, list)) and len(got) == len(want)
                and all(all_close(g, w, rel, abs_) for g, w in zip(got, want)))
    return isinstance(got, (int, float)) and close(float(got), float(want), rel, abs_)


def env_with_srcgrad() -> dict:
    """The environment, with this checkout first on PYTHONPATH (for subprocesses)."""
    repo = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(repo), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def drop_module(name: str) -> None:
    sys.modules.pop(name, None)
    importlib.invalidate_caches()
