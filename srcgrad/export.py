"""`srcgrad export`: generated functions written out as one standalone module.

The module holds the generated code of one or more transformed functions and
everything that code needs besides srcgrad: the imports it uses (``import
math``) and the objects in each generated module's ``globals`` -- for a user
primitive, its plain Python source with the decorators stripped, together
with what *that* source needs (module-level numbers, helper functions,
imports), found from the names its bytecode loads as globals.  Functions and
objects of installed packages and the standard library are imported, not
copied.

What cannot be written out is refused with an `ExportError` naming it: a
closure, a function without source, an object that is neither a module, a
function nor a literal, anything that would need srcgrad at run time, and two
different things wanting the same name.  The finished text is executed once
in a fresh namespace and every global name its functions load is checked,
so an export either works without srcgrad or is refused.
"""
from __future__ import annotations

import ast
import builtins
import dis
import importlib
import inspect
import os
import sys
import sysconfig
import textwrap
import types
from typing import Any, Iterator, Sequence

from .errors import ExportError, SourceLocation
from .primitives.user import UserPrimitive
from .transform import Transformed, original

_MISSING = object()


def export_source(functions: Sequence[Transformed]) -> str:
    """The text of a standalone module defining every function in `functions`."""
    if not functions:
        raise ExportError("nothing to export: give at least one function")
    module = _ModuleText()
    for fn in functions:
        module.add_transformed(fn)
    text = module.render()
    _check(text, [fn.module.name for fn in functions])
    return text


def export_to_file(path: str, functions: Sequence[Transformed]) -> str:
    """Write `export_source(functions)` to `path`; returns the text."""
    text = export_source(functions)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return text


class _ModuleText:
    """The pieces of the module being assembled, each name defined once."""

    def __init__(self) -> None:
        self.imports: dict[str, None] = {}                 # ordered set of import lines
        self.defined: dict[str, Any] = {}                  # name -> the object it stands for
        self.constants: list[str] = []
        self.helpers: list[str] = []
        self.generated: list[str] = []
        self.summary: list[str] = []

    # --- the generated functions -------------------------------------------

    def add_transformed(self, fn: Transformed) -> None:
        if not isinstance(fn, Transformed):
            raise ExportError(f"{fn!r} is not a function made by srcgrad (grad, value_and_grad, ...)")
        gm = fn.module
        earlier = self.defined.get(gm.name)
        if isinstance(earlier, Transformed) and earlier.source == fn.source:
            return  # the same gradient asked for twice
        self.claim(gm.name, fn, _location(original_function(fn)))
        tree = ast.parse(gm.source)
        lines = gm.source.splitlines(True)
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.name if alias.asname else alias.name.split(".")[0]
                    self.provide(alias.asname or bound, importlib.import_module(bound), None)
            elif isinstance(node, ast.ImportFrom):
                self.imports[ast.get_source_segment(gm.source, node) or ""] = None
        body_start = next(node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom)))
        self.generated.append("".join(lines[body_start.lineno - 1:]).strip("\n"))
        user_fn = original_function(fn)
        where = os.path.basename(inspect.getsourcefile(user_fn) or "?")
        doc = (fn.generated.__doc__ or "").strip().splitlines()
        self.summary.append(f"{gm.name}: {doc[0] if doc else fn.transform} ({where})")
        for name, obj in gm.globals.items():
            self.provide(name, obj, user_fn)

    # --- what generated code and user primitives need -----------------------

    def claim(self, name: str, obj: Any, where: SourceLocation | None) -> bool:
        """Reserve `name` for `obj`; False if it is already there (same object)."""
        if name in self.defined:
            if self.defined[name] is obj or _same_value(self.defined[name], obj):
                return False
            raise ExportError(f"two different objects would both be named {name!r} in the exported "
                              f"module; rename one of them", where)
        self.defined[name] = obj
        return True

    def provide(self, name: str, obj: Any, needed_by: Any) -> None:
        where = _location(needed_by)
        if isinstance(obj, UserPrimitive):
            obj = obj.fn
        _refuse_srcgrad(name, obj, where)
        if not self.claim(name, obj, where):
            return
        if isinstance(obj, types.ModuleType):
            real = obj.__name__
            self.imports[f"import {real}" if real == name else f"import {real} as {name}"] = None
        elif _is_literal(obj):
            self.constants.append(f"{name} = {obj!r}")
        elif _importable(obj):
            real = obj.__name__
            alias = "" if real == name else f" as {name}"
            self.imports[f"from {obj.__module__} import {real}{alias}"] = None
        elif isinstance(obj, types.FunctionType):
            self.add_function_source(name, obj, where)
        else:
            raise ExportError(
                f"{name!r} is a {type(obj).__name__}, which cannot be written into a standalone module "
                f"(only modules, functions, numbers, strings and tuples of them can)", where)

    def add_function_source(self, name: str, fn: types.FunctionType, where: SourceLocation | None) -> None:
        if fn.__closure__:
            raise ExportError(f"{fn.__qualname__}() uses variables of an enclosing function "
                              f"({', '.join(fn.__code__.co_freevars)}); define it at module level to "
                              f"export it", _location(fn) or where)
        try:
            text = strip_decorators(fn)
        except (OSError, TypeError) as exc:
            raise ExportError(f"cannot read the source of {fn.__qualname__}() to export it ({exc})",
                              where) from None
        if fn.__name__ != name:
            self.claim(fn.__name__, fn, _location(fn))
            text += f"\n\n\n{name} = {fn.__name__}"
        self.helpers.append(text)
        for global_name in sorted(set(global_names(fn.__code__))):
            value = fn.__globals__.get(global_name, _MISSING)
            if value is not _MISSING:
                self.provide(global_name, value, fn)

    # --- the text ------------------------------------------------------------

    def render(self) -> str:
        names = [text.split("(", 1)[0].removeprefix("def ") for text in self.generated]
        doc = "\n".join(["Generated by srcgrad: gradient functions that run without srcgrad.", ""]
                        + [f"    {line}" for line in self.summary])
        imports = sorted(self.imports, key=lambda line: (line.startswith("from"), line))
        parts = [f'"""{doc}\n"""', "\n".join(imports)]
        if self.constants:
            parts.append("\n".join(self.constants))
        parts.append(f"__all__ = {names!r}")
        blocks = ["\n\n".join(p for p in parts if p)] + self.helpers + self.generated
        return "\n\n\n".join(blocks) + "\n"


def original_function(fn: Any) -> Any:
    """The user's plain function under (possibly nested) transforms."""
    while isinstance(fn, Transformed):
        fn = original(fn)
    return fn


def strip_decorators(fn: types.FunctionType) -> str:
    """`fn`'s source from its ``def`` line on, dedented, comments kept."""
    text = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(text).body[0]
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(f"{fn.__qualname__} is not defined by a 'def' statement")
    return "".join(text.splitlines(True)[node.lineno - 1:node.end_lineno]).rstrip("\n")


def global_names(code: types.CodeType) -> Iterator[str]:
    """Names `code` (and code nested in it) loads as globals."""
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
            yield instruction.argval
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from global_names(const)


def _check(text: str, names: Sequence[str]) -> None:
    """Run the module text once and check every global its functions load
    exists; an export that would fail at run time is refused here."""
    namespace: dict[str, Any] = {"__name__": "srcgrad_export_check"}
    try:
        exec(compile(text, "<srcgrad export>", "exec"), namespace)
    except Exception as exc:  # pragma: no cover - a bug in export, reported clearly
        raise ExportError(f"the exported module does not run: {type(exc).__name__}: {exc}") from exc
    for value in list(namespace.values()):
        if isinstance(value, types.FunctionType) and value.__module__ == "srcgrad_export_check":
            missing = [n for n in global_names(value.__code__)
                       if n not in namespace and not hasattr(builtins, n)]
            if missing:
                raise ExportError(f"{value.__name__}() in the exported module needs "
                                  f"{', '.join(sorted(set(missing)))}, which could not be exported")
    absent = [n for n in names if n not in namespace]
    if absent:  # pragma: no cover
        raise ExportError(f"the exported module does not define {', '.join(absent)}")


def _refuse_srcgrad(name: str, obj: Any, where: SourceLocation | None) -> None:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    if isinstance(obj, Transformed) or (isinstance(module, str) and module.split(".")[0] == "srcgrad"):
        raise ExportError(f"{name!r} is part of srcgrad, and the exported module must run without "
                          f"srcgrad: export the transformed functions themselves instead", where)


def _is_literal(obj: Any) -> bool:
    if not isinstance(obj, (int, float, complex, str, bytes, bool, tuple, frozenset, type(None))):
        return False
    try:
        return ast.literal_eval(repr(obj)) == obj
    except (ValueError, SyntaxError):
        return False


def _same_value(a: Any, b: Any) -> bool:
    return _is_literal(a) and _is_literal(b) and type(a) is type(b) and a == b


def _importable(obj: Any) -> bool:
    """True for a function or class of the standard library or an installed
    package, reachable as ``from module import name`` (not one of the user's
    own modules: those are copied, or refused)."""
    module_name = getattr(obj, "__module__", None)
    name = getattr(obj, "__name__", None)
    if not module_name or not name or getattr(obj, "__qualname__", name) != name:
        return False
    module = sys.modules.get(module_name)
    if module is None or getattr(module, name, None) is not obj:
        return False
    file = getattr(module, "__file__", None)
    return module_name in sys.builtin_module_names if file is None else _installed(file)


def _installed(file: str) -> bool:
    file = os.path.realpath(file)
    roots = {sysconfig.get_path(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    return any(root and file.startswith(os.path.realpath(root) + os.sep) for root in roots)


def _location(fn: Any) -> SourceLocation | None:
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return SourceLocation(code.co_filename, code.co_firstlineno, 0)
    offset = next((i for i, line in enumerate(lines) if line.lstrip().startswith("def ")), 0)
    line = lines[offset]
    return SourceLocation(code.co_filename, first + offset, len(line) - len(line.lstrip()), None, line)
