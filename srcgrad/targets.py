"""Finding the function a command-line target names.

A target is ``FILE.py:FUNC`` (a file path) or ``module:func`` (an importable
module), where ``FUNC`` may be dotted (``Model.loss``).  A file is loaded as a
module named after its stem, with its directory put first on ``sys.path`` so
its own imports work; its ``if __name__ == "__main__":`` block does not run.
While the user's module is imported, whatever it prints goes to standard
error, so the command's own output on standard output stays clean
(``srcgrad show f.py:f > g.py``); an exception or ``sys.exit()`` at import is
a one-line `TargetError` naming the file and the exception.

Also here: parsing ``--argnums`` text (``0``, ``x``, ``0,1``, ``x,y``) into
what `srcgrad.grad` takes.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import keyword
import os
import re
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
    if not all(part.isidentifier() for part in name.split(".")):
        raise TargetError(f"target {spec!r}: {name!r} is not a function name (FILE.py:FUNC, where FUNC "
                          f"may be dotted, as in Model.loss)")
    return where, name


def is_file_spec(where: str) -> bool:
    return (where.endswith(".py") or os.sep in where or "/" in where
            or (os.altsep is not None and os.altsep in where) or os.path.isfile(where)
            or not all(part.isidentifier() for part in where.split(".")))


def load_file(path: str) -> ModuleType:
    """Import the Python file at `path` as a module named after its stem."""
    if "\x00" in path:
        raise TargetError(f"{path!r} is not a file name (it holds a NUL character)")
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise TargetError(f"{path} is a directory, not a Python file (FILE.py:FUNC)")
    if not os.path.isfile(path):
        raise TargetError(f"no such file: {path}")
    if not path.endswith(".py"):
        raise TargetError(f"{path} is not a Python source file: srcgrad reads the source, so the target "
                          f"must be a .py file")
    for module in list(sys.modules.values()):
        if os.path.abspath(getattr(module, "__file__", None) or "") == path:
            return module
    name = os.path.splitext(os.path.basename(path))[0]
    if not name.isidentifier() or name in sys.modules:
        name = "srcgrad_target_" + hashlib.sha1(os.fsencode(path)).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise TargetError(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        with importing_user_code(path):
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


@contextlib.contextmanager
def importing_user_code(what: str) -> Iterator[None]:
    """Run the user's module code with its prints sent to standard error, and
    its failures -- any exception, ``sys.exit()`` -- made a one-line
    `TargetError` naming `what`; srcgrad's own refusals (module-level
    ``@grad``) pass through.  (Ctrl-C still interrupts.)"""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    except (SrcGradError, TargetError):
        raise
    except SyntaxError as exc:
        raise TargetError("".join(traceback.format_exception_only(type(exc), exc)).rstrip()) from None
    except SystemExit as exc:
        raise TargetError(f"importing {what} failed: it called sys.exit({_safe_repr(exc.code)}) "
                          f"at import") from None
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        missing = getattr(exc, "name", None) if isinstance(exc, ModuleNotFoundError) else None
        if missing and (what == missing or what.startswith(missing + ".")):
            raise TargetError(f"no module named {missing!r} (for a file, write FILE.py:FUNC)") from None
        frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
                  if frame.filename != __file__ and not frame.filename.startswith("<frozen")]
        at = f" (at {frames[-1].filename}, line {frames[-1].lineno})" if frames else ""
        raise TargetError(f"importing {what} failed: {describe_exception(exc)}{at}") from None


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line, even for a message with newlines or an
    exception whose ``__str__`` itself fails."""
    try:
        message = str(exc)
    except Exception:
        message = "<the exception's message could not be printed>"
    name = type(exc).__name__
    return _one_line(f"{name}: {message}" if message else name)


def _safe_repr(value: Any) -> str:
    try:
        return _one_line(repr(value))
    except Exception:
        return f"<a {type(value).__name__}>"


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def load_module(where: str) -> ModuleType:
    if is_file_spec(where):
        return load_file(where)
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    with importing_user_code(where):
        return importlib.import_module(where)


def lookup(module: ModuleType, qualname: str, spec: str) -> Any:
    with importing_user_code(spec):     # a module __getattr__ or class property is user code too
        return _lookup(module, qualname, spec)


def _lookup(module: ModuleType, qualname: str, spec: str) -> Any:
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
    """``"0"`` -> 0, ``"x"`` -> "x", ``"0,y"`` -> (0, "y"), ``"0,"`` -> (0,);
    None stays None.  An empty item (``x,,y``) is refused."""
    if text is None:
        return None
    items = [item.strip() for item in text.split(",")]
    if len(items) > 1 and not items[-1]:
        items.pop()             # "0," is the tuple (0,), as in Python
    if not text.strip():
        raise TargetError("--argnums is empty")
    values: list[Any] = []
    for item in items:
        if not item:
            raise TargetError(f"--argnums {text!r} has an empty item: write positions or parameter "
                              f"names separated by single commas, e.g. 0,1 or x,y")
        if _INTEGER.fullmatch(item):
            values.append(int(item))
        elif item.isidentifier() and not keyword.iskeyword(item):
            values.append(item)
        else:
            raise TargetError(f"--argnums takes integers or parameter names separated by commas, "
                              f"got {item!r}")
    return tuple(values) if "," in text else values[0]


_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
