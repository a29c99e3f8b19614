"""Is the source srcgrad parsed the code Python runs?

srcgrad reads a function's text from its file (through `linecache`), but
Python runs ``f.__code__``, compiled from the text as it was at import.  If
the file was edited since, the two differ, and a gradient of the new text
would be a gradient of a function nobody calls.  `compiles_to` compiles the
parsed definition the way Python compiled the original -- inside its class
(for name mangling), as a closure over the same free variables, with the same
``from __future__`` flags -- and compares the code objects, ignoring
positions (line numbers, columns, qualified names, which depend on where the
definition stands, not on what it does).

Nothing here recurses on the user's code: a definition Python compiled (a
sum of thousands of terms, an `elif` chain of thousands of branches) is
checked at Python's default recursion limit.  Compiling a tree of objects
is limited well below compiling text on Python 3.11 and 3.12 (the tree is
validated recursively, on the interpreter's stack), so a tree too deep for
that is compiled from its text instead (`_compile_text`).
"""
from __future__ import annotations

import __future__
import ast
import copy
import functools
import inspect
import operator
import types
from typing import Any

_FUTURE_FLAGS = functools.reduce(operator.or_, (getattr(__future__, name).compiler_flag
                                                for name in __future__.all_feature_names))
# CO_NESTED only says the def stood inside a function: it changes no behaviour
_IGNORED_FLAGS = _FUTURE_FLAGS | inspect.CO_NESTED
_ENCLOSING = "__srcgrad_enclosing__"


def compiles_to(def_text: str, func: types.FunctionType, file_text: str) -> bool:
    """Whether compiling `def_text`, a definition as it stands (indented) in
    `file_text`, gives ``func.__code__`` (up to positions)."""
    code = func.__code__
    node = _parse_indented(def_text)
    if node is None:
        return False
    module, path = _definition_module(node, code, getattr(func, "__qualname__", code.co_name))
    target = _shape(code)
    # CPython compiles ``m.f(x)`` differently when ``m`` is imported at module
    # level in the same compilation (no method-call shortcut).  A module is
    # compiled whole; IPython compiles a cell one statement at a time, so
    # the def saw no imports: try both.
    imports = sorted(_module_imports(file_text))
    for declared in ([imports, []] if imports else [[]]):
        try:
            candidate = _compile(module, declared, path, code)
        except RecursionError:
            # compiling a syntax tree recurses along it in CPython (an elif
            # chain of 1,000 is 1,000 levels): compile the text, as Python did
            candidate = _compile_text(def_text, declared, path, code)
        if candidate is not None and _shape(candidate) == target:
            return True
    return False


def _parse_indented(text: str) -> ast.FunctionDef | None:
    """The definition in `text`, parsed with its indentation kept: dedenting
    would change the value of its multi-line strings (docstrings included)."""
    try:
        body = ast.parse("if 1:\n" + text if text[:1].isspace() else text).body
    except (SyntaxError, ValueError):
        return None
    node = body[0].body[0] if body and isinstance(body[0], ast.If) else (body[0] if body else None)
    return node if isinstance(node, ast.FunctionDef) else None


def _compile(module: ast.Module, imports: list[str], path: list[str],
             code: types.CodeType) -> types.CodeType | None:
    # only the import stubs lack positions: everything else was parsed (a
    # walk of the whole definition to fix positions costs as much as compiling it)
    stubs: list[ast.stmt] = [_fix_locations(ast.Import(names=[ast.alias(name=n)])) for n in imports]
    tree = ast.Module(body=stubs + module.body, type_ignores=[])
    try:
        compiled = compile(tree, code.co_filename, "exec", flags=code.co_flags & _FUTURE_FLAGS,
                           dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return _find_code(compiled, path)


def _compile_text(def_text: str, imports: list[str], path: list[str],
                  code: types.CodeType) -> types.CodeType | None:
    """`_compile` from text: the definition as it stands, under the same
    wrappers (``def __srcgrad_enclosing__():`` for a closure, ``class C:``
    for a method) written as header lines.  The wrappers' indentations are
    prefixes of the definition's own, so the text nests no deeper than the
    file Python compiled.  Decorators stay: they run where the ``def``
    stands and are no part of its code."""
    wrappers = path[:-1]
    first = def_text.splitlines()[0] if def_text else ""
    indent = first[:len(first) - len(first.lstrip())]
    if len(indent) < len(wrappers):
        return None
    lines = [f"import {name}" for name in imports]
    for level, name in enumerate(wrappers):
        inner = indent[:level + 1] if level + 1 < len(wrappers) else indent
        if name == _ENCLOSING:
            freevars = [v for v in code.co_freevars if v != "__class__" or len(wrappers) == 1]
            lines += [f"{indent[:level]}def {_ENCLOSING}():", f"{inner}{' = '.join(freevars)} = None"]
        else:
            lines.append(f"{indent[:level]}class {name}:")
    if indent and not wrappers:
        lines.append("if 1:")
    text = "\n".join(lines + [def_text])
    try:
        compiled = compile(text, code.co_filename, "exec", flags=code.co_flags & _FUTURE_FLAGS,
                           dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return _find_code(compiled, path)


def _find_code(compiled: types.CodeType, path: list[str]) -> types.CodeType | None:
    for name in path:
        compiled = next((c for c in compiled.co_consts
                         if isinstance(c, types.CodeType) and c.co_name == name), None)
        if compiled is None:
            return None
    return compiled


def _fix_locations(tree: ast.AST) -> ast.AST:
    """`ast.fix_missing_locations` as a walk: it recurses along the tree."""
    todo = [(tree, (1, 0, 1, 0))]
    fields = ("lineno", "col_offset", "end_lineno", "end_col_offset")
    while todo:
        node, inherited = todo.pop()
        if "lineno" in node._attributes:
            for name, value in zip(fields, inherited):
                if getattr(node, name, None) is None:
                    setattr(node, name, value)
            inherited = tuple(getattr(node, name) for name in fields)
        todo.extend((child, inherited) for child in ast.iter_child_nodes(node))
    return tree


def _definition_module(node: ast.FunctionDef, code: types.CodeType,
                       qualname: str) -> tuple[ast.Module, list[str]]:
    """A module whose compilation holds `node`'s code as Python made it, and
    the names leading to that code object through nested ``co_consts``."""
    definition = copy.copy(node)
    definition.decorator_list = []       # evaluated where the def stands, not part of its code
    statement: ast.stmt = definition
    path = [node.name]
    parts = qualname.split(".")
    if len(parts) >= 2 and parts[-2] != "<locals>":
        # defined in a class body: private names (``__x``) are mangled with its name
        holder = ast.parse(f"class {parts[-2]}:\n    pass").body[0]
        holder.body = [statement]
        statement, path = holder, [parts[-2]] + path
    freevars = [v for v in code.co_freevars if v != "__class__" or statement is definition]
    if freevars:
        # a closure: its free variables must be cells of an enclosing function
        enclosing = ast.parse(f"def {_ENCLOSING}():\n    {' = '.join(freevars)} = None").body[0]
        enclosing.body.append(statement)
        statement, path = enclosing, [_ENCLOSING] + path
    # every statement here was parsed (or copied from a parsed one): all have positions
    return ast.Module(body=[statement], type_ignores=[]), path


@functools.lru_cache(maxsize=64)        # a few files at a time; thread-safe
def _module_imports(text: str) -> frozenset[str]:
    """Names bound by ``import`` statements in the module scope of `text`."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return frozenset()
    found: set[str] = set()
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return frozenset(found)


def _shape(code: types.CodeType) -> tuple:
    """What a code object does, without where it stands."""
    return (code.co_name, code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount,
            code.co_flags & ~_IGNORED_FLAGS, code.co_code, tuple(_const(c) for c in code.co_consts),
            code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars,
            getattr(code, "co_exceptiontable", b""), code.co_nlocals)


def _const(value: Any) -> Any:
    if isinstance(value, types.CodeType):
        return ("code", _shape(value))
    if isinstance(value, (float, complex)):
        return (type(value), repr(value))       # tells 0.0 from -0.0, and nan equals itself
    if isinstance(value, (tuple, frozenset)):
        items = [_const(v) for v in value]
        return (type(value), tuple(sorted(items, key=repr) if isinstance(value, frozenset) else items))
    return (type(value), value)
