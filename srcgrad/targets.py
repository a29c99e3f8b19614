"""Finding the function a command-line target names.

A target is ``FILE.py:FUNC`` (a file path) or ``module:func`` (an importable
module), where ``FUNC`` may be dotted (``Model.loss``).  A file is loaded as a
module named after its stem, with its directory put first on ``sys.path`` so
its own imports work; its ``if __name__ == "__main__":`` block does not run.

Also here: parsing ``--argnums`` text (``0``, ``x``, ``0,1``, ``x,y``) into
what `srcgrad.grad` takes.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import os
import sys
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Iterator

from .errors import SrcGradError


class TargetError(Exception):
    """A target that cannot be found or loaded (the CLI exits with status 2)."""


@dataclass(frozen=True)
class Target:
    spec: str        # as given on the command line
    module: ModuleType
    qualname: str
    obj: Any


def split_target(spec: str) -> tuple[str, str]:
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise TargetError(f"target {spec!r} must be FILE.py:FUNC or module:func")
    return where, name


def is_file_spec(where: str) -> bool:
    return where.endswith(".py") or os.sep in where or "/" in where or os.path.isfile(where)


def load_file(path: str) -> ModuleType:
    """Import the Python file at `path` as a module named after its stem."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise TargetError(f"no such file: {path}")
    for module in list(sys.modules.values()):
        if os.path.abspath(getattr(module, "__file__", None) or "") == path:
            return module
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier() or name in sys.modules:
        name = "srcgrad_target_" + hashlib.sha1(path.encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        with _reporting_import_errors(path):
            spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@contextlib.contextmanager
def _reporting_import_errors(what: str) -> Iterator[None]:
    """An exception while importing the user's code becomes a `TargetError`
    quoting it; srcgrad's own refusals (module-level ``@grad``) pass through."""
    try:
        yield
    except SrcGradError:
        raise
    except SyntaxError as exc:
        raise TargetError("".join(traceback.format_exception_only(type(exc), exc)).rstrip()) from None
    except Exception as exc:
        missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
        if missing and (what == missing or what.startswith(missing + ".")):
            raise TargetError(f"no module named {missing!r} (for a file, write FILE.py:FUNC)") from None
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
                  if frame.filename != __file__ and not frame.filename.startswith("<frozen")]
        text = "".join(traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc))
        raise TargetError(f"importing {what} raised an exception:\n"
                          f"Traceback (most recent call last):\n{text.rstrip()}") from None


def load_module(where: str) -> ModuleType:
    if is_file_spec(where):
        return load_file(where)
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    with _reporting_import_errors(where):
        return importlib.import_module(where)


def lookup(module: ModuleType, qualname: str, spec: str) -> Any:
    obj: Any = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                           and getattr(v, "__module__", None) == module.__name__)
            hint = f" (it defines: {', '.join(names)})" if names else ""
            raise TargetError(f"{spec}: {module.__name__} has no function {qualname!r}{hint}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise TargetError(f"{spec}: {qualname!r} is a {type(obj).__name__}, not a function")
    return obj


def load_target(spec: str) -> Target:
    where, qualname = split_target(spec)
    module = load_module(where)
    return Target(spec, module, qualname, lookup(module, qualname, spec))


def load_targets(specs: list[str]) -> list[Target]:
    """The first spec names a file or module; later ones may be bare function
    names in that same file or module, or full specs of their own."""
    first = load_target(specs[0])
    targets = [first]
    for spec in specs[1:]:
        if ":" in spec:
            targets.append(load_target(spec))
        else:
            targets.append(Target(spec, first.module, spec, lookup(first.module, spec, spec)))
    return targets


def parse_argnums(text: str | None) -> Any:
    """``"0"`` -> 0, ``"x"`` -> "x", ``"0,y"`` -> (0, "y"); None stays None."""
    if text is None:
        return None
    items = [item.strip() for item in text.split(",")]
    values: list[Any] = []
    for item in items:
        if not item:
            continue
        if item.lstrip("-").isdigit():
            values.append(int(item))
        elif item.isidentifier():
            values.append(item)
        else:
            raise TargetError(f"--argnums takes integers or parameter names separated by commas, "
                              f"got {item!r}")
    if not values:
        raise TargetError("--argnums is empty")
    return tuple(values) if "," in text else values[0]
