"""Generated source text and the compiled function.

`emit_module` prints a function's IR as a standalone Python module (imports
first, then the function), with astor.  Everything in it is built as `ast`:
names the naming authority decided (`naming`), literals as ``ast.Constant``.
The only text added by hand are comments, which quote the user's source: they
are escaped so that nothing in them can end the comment line, and the module
text is parsed back and compared with the tree it was printed from, so the
text means exactly that tree (a hostile docstring, file or function name
cannot become code).

`compile_module` compiles it under a file name of its own (the function, where
its user function lives, and a digest of the text), registered with
`linecache` and backed by a loader in the module's globals, so
`inspect.getsource`, tracebacks and pdb all show the generated code, even
after `linecache.clearcache()`.  The default traceback of Python 3.11 and 3.12
is printed by C code that reads the file from disk: the text is therefore
also written, once, to a private cache folder under that name (best effort:
nothing depends on it but that display).
"""
from __future__ import annotations

import ast
import hashlib
import linecache
import os
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import astor

from ..ir.core import Function
from . import control  # noqa: F401  (statements for structured primitives)
from .naming import Namer
from .pyast import COMMENT_MARKER, CodegenContext, function_def


@dataclass(frozen=True)
class GeneratedModule:
    name: str               # the function's name in the module
    source: str             # the whole module, imports included
    globals: dict[str, Any]  # objects the module needs besides its imports (user primitives)
    imports: tuple[str, ...]  # modules imported (``import math`` or ``import math as _math``)


def emit_module(fn: Function, docstring: str | None = None) -> GeneratedModule:
    groups = {group[0] for group in fn.in_groups or ()}
    ctx = CodegenContext(namer=Namer({fn.name} | set(fn.param_names) | groups))
    _reserve_globals(fn, ctx)
    node = function_def(fn, ctx, docstring)
    imports, bindings = ctx.module_names.resolve(node)
    import_nodes: list[ast.stmt] = [
        ast.Import(names=[ast.alias(name=module, asname=None if bound == module else bound)])
        for module, bound in imports]
    tree = ast.Module(body=import_nodes + [node], type_ignores=[])
    printed = astor.to_source(tree)
    source = _with_comments(printed, ctx.comments, _marker_lines(printed))
    try:
        check_text(source, tree, skip=_is_marker_stmt)
    except GeneratedTextError:
        # a marker's text as a line of a string (a docstring of the user's):
        # find the marker statements by parsing, and check again
        source = _with_comments(printed, ctx.comments, _marker_statements(printed))
        check_text(source, tree, skip=_is_marker_stmt)
    return GeneratedModule(fn.name, source, bindings, tuple(module for module, _ in imports))


def _reserve_globals(fn: Function, ctx: CodegenContext) -> None:
    """Locals avoid the names of modules and objects the code reads, so those
    keep their own names (the code reads ``math.exp``, not an alias), unless a
    parameter holds one."""
    for eqn in fn.body.walk():
        ctx.namer.taken |= set(eqn.prim.imports)
        ctx.namer.taken |= {name for name, _ in eqn.prim.globals}
        names = eqn.prim.hooks.get("global_names")
        if names is not None:
            ctx.namer.taken |= set(names(eqn))


# --- comments --------------------------------------------------------------------

def comment_text(text: str) -> str:
    """`text` made safe to follow ``#``: every character that is not
    printable (line and paragraph separators, ``\\r``, form feeds, NUL, ...)
    is written as its escape, so the comment is one line to Python, to
    `linecache` and to every editor."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _is_marker(stmt: ast.stmt) -> int | None:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Name):
        prefix, _, rest = COMMENT_MARKER.partition("{}")
        name = stmt.value.id
        if name.startswith(prefix) and name.endswith(rest):
            digits = name[len(prefix):len(name) - len(rest)]
            if digits.isdigit():
                return int(digits)
    return None


_MARKER_PREFIX = COMMENT_MARKER.partition("{}")[0]


def _marker_lines(text: str) -> Iterator[tuple[int, int]]:
    """(line number, comment index) of each line that is a marker statement
    alone: fast, and `check_text` then proves the text means the tree."""
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith(_MARKER_PREFIX):
            index = _is_marker(ast.Expr(value=ast.Name(id=stripped, ctx=ast.Load())))
            if index is not None:
                yield lineno, index


def _marker_statements(text: str) -> Iterator[tuple[int, int]]:
    """The same, found by parsing: only statements count (never a line of a
    string that happens to look like a marker)."""
    for stmt in ast.walk(ast.parse(text)):
        index = _is_marker(stmt) if isinstance(stmt, ast.stmt) else None
        if index is not None:
            yield stmt.lineno, index


def _with_comments(text: str, comments: list[str], markers: Iterable[tuple[int, int]]) -> str:
    """Replace each marker statement of the printed module by its comment."""
    lines = text.splitlines(True)
    for lineno, index in markers:
        line = lines[lineno - 1]
        indent = line[:len(line) - len(line.lstrip())]
        lines[lineno - 1] = f"{indent}# {comment_text(comments[index])}\n"
    return "".join(lines)


class GeneratedTextError(AssertionError):
    """The printed module does not mean the tree it was printed from (an
    internal error: nothing is compiled)."""


def _is_marker_stmt(node: Any) -> bool:
    return isinstance(node, ast.Expr) and _is_marker(node) is not None


def check_text(source: str, tree: ast.AST, skip: Callable[[Any], bool] = lambda node: False) -> None:
    """Raise unless `source` parses to exactly `tree`, the statements of
    `tree` that `skip` says became comments left out (compared in place:
    copying the tree to strip them cost as much as the rest of codegen)."""
    try:
        parsed = ast.parse(source)
    except SyntaxError as exc:
        raise GeneratedTextError(f"generated code does not parse: {exc}") from None
    difference = _first_difference(parsed, tree, skip)
    if difference is not None:
        raise GeneratedTextError(f"generated text does not mean the generated tree: {difference}")


def _first_difference(a: Any, b: Any, skip: Callable[[Any], bool]) -> str | None:
    """Where `a` and `b` differ (a path such as ``module.body[1].value``), or
    None.  Iterative, with paths spelled only for the difference found: the
    trees are as large as the generated function."""
    stack: list[tuple[Any, Any, Any]] = [(a, b, ("module",))]
    while stack:
        a, b, where = stack.pop()
        if isinstance(a, ast.AST) or isinstance(b, ast.AST):
            if type(a) is not type(b):
                return f"{_path(where)}: {type(a).__name__} != {type(b).__name__}"
            stack.extend((_field(a, field), _field(b, field), (where, "." + field))
                         for field in reversed(a._fields))
        elif isinstance(a, list) and isinstance(b, list):
            b = [node for node in b if not skip(node)]
            if len(a) != len(b):
                return f"{_path(where)}: {len(a)} != {len(b)} items"
            stack.extend((x, y, (where, f"[{i}]")) for i, x, y in reversed(list(zip(range(len(a)), a, b))))
        elif type(a) is not type(b) or repr(a) != repr(b):
            return f"{_path(where)}: {a!r} != {b!r}"
    return None


def _path(where: tuple) -> str:
    parts = []
    while len(where) == 2:
        where, step = where
        parts.append(step)
    return where[0] + "".join(reversed(parts))


def _field(node: ast.AST, field: str) -> Any:
    value = getattr(node, field, None)
    return None if isinstance(value, list) and not value else value    # an absent list field reads as empty


# --- compiling ---------------------------------------------------------------------

class _SourceLoader:
    """Answers linecache's lazy look-up with the generated source."""

    def __init__(self, source: str) -> None:
        self._source = source

    def get_source(self, name: str) -> str:
        return self._source


def generated_filename(module: GeneratedModule, origin: str) -> str:
    """``srcgrad-generated/grad_f@model.py:12-1a2b3c4d.py``: the function,
    where its user function lives, and a digest of the text, so two
    different generated functions never share a name, and the same text
    always gets the same one."""
    digest = hashlib.sha256(module.source.encode("utf-8")).hexdigest()[:10]
    where = "".join(c if c.isprintable() and c not in _NOT_IN_FILE_NAMES else "_" for c in origin)[-80:]
    return os.path.join(_cache_folder(), f"{module.name}@{where}-{digest}.py")


_NOT_IN_FILE_NAMES = '/\\<>"|?*' + (":" if os.name == "nt" else "")
_FOLDER: list[str] = []


def _cache_folder() -> str:
    """A folder private to this user for the texts of generated modules
    (``srcgrad-generated`` under the temporary folder), or a relative name
    when it cannot be made."""
    if not _FOLDER:
        folder = os.path.join(tempfile.gettempdir(), f"srcgrad-generated-{_user_id()}")
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            info = os.lstat(folder)
            foreign = hasattr(os, "getuid") and info.st_uid != os.getuid()
            if os.path.islink(folder) or not os.path.isdir(folder) or foreign:   # not ours: do not write there
                folder = "srcgrad-generated"
        except OSError:
            folder = "srcgrad-generated"
        _FOLDER.append(folder)
    return _FOLDER[0]


def _user_id() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "user"


def _write_once(filename: str, source: str) -> None:
    """Best effort: the C traceback printer of Python 3.11/3.12 reads lines
    from this file.  Written atomically; a file already there with this name
    holds this text (the name carries its digest)."""
    if not os.path.isabs(filename) or os.path.exists(filename):
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(filename), suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(source)
        os.replace(temporary, filename)
    except OSError:
        pass


def compile_module(module: GeneratedModule, origin: str) -> Any:
    """Compile and return the generated function.  `origin` says where the
    user's function lives; it becomes part of the generated file name."""
    filename = generated_filename(module, origin)
    linecache.cache[filename] = (len(module.source), None, module.source.splitlines(True), filename)
    _write_once(filename, module.source)
    namespace: dict[str, Any] = {
        "__name__": f"srcgrad_generated_{module.name}",
        "__loader__": _SourceLoader(module.source),
        "__file__": filename,
    }
    namespace.update(module.globals)
    code = compile(module.source, filename, "exec")
    exec(code, namespace)
    return namespace[module.name]
