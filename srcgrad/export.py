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
different things wanting the same name -- builtins the generated code reads
(``range``, ``float``) included: a user's global ``range = 0.5`` that a
copied primitive needs cannot share the module with a gradient's loop.
The finished text is compiled (not run) and every global name its code
loads is checked to be defined in it or a builtin, so an export either works
without srcgrad or is refused.

Nothing from the user's world (file, module and function names, docstrings,
string or number constants) is pasted into the module as text: everything
srcgrad writes around the code is built as AST nodes -- names checked to be
identifiers, values by the code generator's own `literals.literal_node`
(plain ``int``/``float``/``str``... values, never ``repr()`` of the user's
object) -- and printed by `ast.unparse`.  The only text copied as it is:
the code generator's output (checked to be one plain ``def``) and the
user's own primitive sources (checked to be one ``def`` of the function's
name).  `export_to_file` never writes over a source file it read.
"""
from __future__ import annotations

import ast
import builtins
import dis
import importlib
import inspect
import keyword
import os
import re
import sys
import sysconfig
import textwrap
import types
import unicodedata
from typing import Any, Iterable, Iterator, Sequence

from .codegen.literals import literal_node
from .errors import ExportError, SourceLocation
from .primitives.user import UserPrimitive
from .transform import Transformed, original

_MISSING = object()


def export_source(functions: Sequence[Transformed]) -> str:
    """The text of a standalone module defining every function in `functions`."""
    return _assemble(functions).text


def export_to_file(path: str, functions: Sequence[Transformed], protect: Iterable[str] = ()) -> str:
    """Write `export_source(functions)` to `path`; returns the text.

    Refuses (`ExportError`) to write over any source file the export read
    (the users' functions, helpers and primitives) or any file in `protect`
    (the command line passes its target files), however the path is spelt:
    relative, through a symbolic link, or a hard link to the same file."""
    module = _assemble(functions)
    refuse_overwriting(path, module.files_read | {os.fspath(p) for p in protect})
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(module.text)
    return module.text


def refuse_overwriting(path: str, sources: Iterable[str]) -> None:
    """`ExportError` if writing `path` would replace one of `sources`."""
    target = os.path.realpath(path)
    for source in sorted(set(sources)):
        if not source or source.startswith("<"):
            continue        # "<stdin>", "<string>": not a file
        same = os.path.realpath(source) == target
        if not same and os.path.exists(path) and os.path.exists(source):
            try:
                same = os.path.samefile(path, source)
            except OSError:
                same = False
        if same:
            raise ExportError(f"refusing to write {path}: it is {source}, a source file srcgrad read "
                              f"for this export; choose another output file")


class _Assembled:
    """An export's text and the files read to make it."""

    def __init__(self, text: str, files_read: set[str]) -> None:
        self.text = text
        self.files_read = files_read


def _assemble(functions: Sequence[Transformed]) -> _Assembled:
    if not functions:
        raise ExportError("nothing to export: give at least one function")
    module = _ModuleText()
    for fn in functions:
        module.add_transformed(fn)
    text = module.render()
    _check(text, [fn.module.name for fn in functions])
    return _Assembled(text, module.files_read)


class _ModuleText:
    """The pieces of the module being assembled, each name defined once."""

    def __init__(self) -> None:
        self.imports: dict[str, ast.stmt] = {}             # unparsed text -> import statement
        self.defined: dict[str, Any] = {}                  # name -> the object it stands for
        self.constants: list[ast.stmt] = []
        self.helpers: list[str] = []
        self.generated: list[str] = []
        self.names: list[str] = []                         # the generated functions, for __all__
        self.summary: list[str] = []
        self.files_read: set[str] = set()

    # --- the generated functions -------------------------------------------

    def add_transformed(self, fn: Transformed) -> None:
        if not isinstance(fn, Transformed):
            raise ExportError(f"{fn!r} is not a function made by srcgrad (grad, value_and_grad, ...)")
        gm = fn.module
        user_fn = original_function(fn)
        self.files_read |= _files_read(fn)
        name = identifier(gm.name, "generated function", _location(user_fn))
        earlier = self.defined.get(name)
        if isinstance(earlier, Transformed) and earlier.source == fn.source:
            return  # the same gradient asked for twice
        self.claim(name, fn, _location(user_fn))
        imports, definition = _generated_parts(gm.source, name)
        for node in imports:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    bound = alias.name if alias.asname else alias.name.split(".")[0]
                    self.provide(alias.asname or bound, importlib.import_module(bound), None)
            else:
                self.add_import(node)
        self.generated.append(definition)
        self.names.append(name)
        bound = set(gm.globals) | {a.asname or a.name.split(".")[0] for node in imports for a in node.names}
        for read in sorted(set(global_names(fn.generated.__code__)) - bound - {name}):
            if hasattr(builtins, read):
                self.builtin(read, _location(user_fn))
        where = os.path.basename(inspect.getsourcefile(user_fn) or "?")
        doc = (fn.generated.__doc__ or "").strip().splitlines()
        self.summary.append(f"{name}: {doc[0] if doc else fn.transform} ({where})")
        for global_name, obj in gm.globals.items():
            self.provide(global_name, obj, user_fn)

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
        identifier(name, "name", where)
        _refuse_srcgrad(name, obj, where)
        if not self.claim(name, obj, where):
            return
        if isinstance(obj, types.ModuleType):
            real = dotted_name(obj.__name__, "module name", where)
            alias = None if real == name else name
            self.add_import(ast.Import(names=[ast.alias(name=real, asname=alias)]))
        elif (value := literal_node(obj, lambda builtin: self.builtin(builtin, where))) is not None:
            self.constants.append(_assign(name, value))
        elif _importable(obj):
            real = identifier(obj.__name__, "name", where)
            alias = None if real == name else name
            module = dotted_name(obj.__module__, "module name", where)
            self.add_import(ast.ImportFrom(module=module, names=[ast.alias(name=real, asname=alias)],
                                           level=0))
        elif isinstance(obj, types.FunctionType):
            self.add_function_source(name, obj, where)
        else:
            raise ExportError(
                f"{name!r} is a {type(obj).__name__}, which cannot be written into a standalone module "
                f"(only modules, functions, numbers, strings and tuples of them can)", where)

    def builtin(self, name: str, where: SourceLocation | None = None) -> ast.Name:
        """A node reading the builtin `name`, which nothing else in the
        module may then be named (generated code and literals read it)."""
        self.claim(name, getattr(builtins, name), where)
        return ast.Name(id=name, ctx=ast.Load())

    def add_import(self, node: ast.stmt) -> None:
        self.imports[ast.unparse(node)] = node

    def add_function_source(self, name: str, fn: types.FunctionType, where: SourceLocation | None) -> None:
        if fn.__closure__:
            raise ExportError(f"{fn.__qualname__}() uses variables of an enclosing function "
                              f"({', '.join(fn.__code__.co_freevars)}); define it at module level to "
                              f"export it", _location(fn) or where)
        try:
            text, defined = _def_source(fn)
        except (OSError, TypeError, SyntaxError) as exc:
            raise ExportError(f"cannot read the source of {fn.__qualname__}() to export it ({exc})",
                              where) from None
        self.files_read.add(fn.__code__.co_filename)
        if defined != name:
            self.claim(defined, fn, _location(fn))
            text += "\n\n\n" + ast.unparse(_assign(name, ast.Name(id=defined, ctx=ast.Load())))
        self.helpers.append(text)
        for global_name in sorted(set(global_names(fn.__code__))):
            value = fn.__globals__.get(global_name, _MISSING)
            if value is not _MISSING:
                self.provide(global_name, value, fn)

    # --- the text ------------------------------------------------------------

    def render(self) -> str:
        doc = "\n".join(["Generated by srcgrad: gradient functions that run without srcgrad.", ""]
                        + [f"    {_encodable(line)}" for line in self.summary]) + "\n"
        imports = [self.imports[key] for key in sorted(self.imports, key=lambda t: (t.startswith("from"), t))]
        names = ast.List(elts=[ast.Constant(n) for n in self.names], ctx=ast.Load())
        parts = [ast.Module(body=[ast.Expr(ast.Constant(doc))], type_ignores=[]),
                 ast.Module(body=imports, type_ignores=[]),
                 ast.Module(body=self.constants, type_ignores=[]),
                 ast.Module(body=[_assign("__all__", names)], type_ignores=[])]
        header = "\n\n".join(ast.unparse(ast.fix_missing_locations(p)) for p in parts if p.body)
        return "\n\n\n".join([header] + self.helpers + self.generated) + "\n"


# --- names and values written as AST ---------------------------------------------

def _encodable(text: str) -> str:
    """`text` with what UTF-8 cannot hold (the surrogates standing for a file
    name's undecodable bytes) spelt as backslash escapes; `ast.unparse` of
    a docstring escapes them on some Python versions only."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def identifier(name: Any, what: str, where: SourceLocation | None = None) -> str:
    """`name` if Python source can spell it as a name; else `ExportError`.

    Refused: non-strings, non-identifiers, keywords, and names that Python
    would read as another name (identifiers are NFKC-normalised)."""
    if (not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name)
            or unicodedata.normalize("NFKC", name) != name):
        raise ExportError(f"{name!r} cannot be written as a {what} in Python source "
                          f"(it is not a plain identifier)", where)
    return name


def dotted_name(name: Any, what: str, where: SourceLocation | None = None) -> str:
    """A module path ``a.b.c`` whose every part is an `identifier`."""
    if not isinstance(name, str):
        raise ExportError(f"{name!r} cannot be written as a {what} in Python source", where)
    for part in name.split("."):
        identifier(part, what, where)
    return name


def _assign(name: str, value: ast.expr) -> ast.Assign:
    """``name = value``, with the positions `ast.unparse` reads (on 3.11 and
    3.12 it looks up ``lineno`` of every assignment for type comments)."""
    return ast.fix_missing_locations(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value))


def _generated_parts(source: str, name: str) -> tuple[list[ast.stmt], str]:
    """The import statements of a generated module, and its one ``def`` as text.

    The generated text is the code generator's output; it is copied (its
    comments kept) only after checking it is imports then one plain ``def
    name(...)``: no decorator or annotation, defaults that are only literals
    as `literals.constant` writes them or names of module globals (the code
    generator's ``_default_x``, which export provides or refuses as any
    other global) -- nothing that runs at import but the ``def`` itself."""
    tree = ast.parse(source)
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    rest = tree.body[len(imports):]
    plain = (len(rest) == 1 and isinstance(rest[0], ast.FunctionDef) and rest[0].name == name
             and not rest[0].decorator_list and rest[0].returns is None
             and all(_plain_default(d) for d in rest[0].args.defaults + rest[0].args.kw_defaults)
             and all(arg.annotation is None for arg in ast.walk(rest[0].args) if isinstance(arg, ast.arg)))
    if not plain or len(imports) != sum(1 for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))):
        raise ExportError(f"internal error: the generated code of {name}() is not one plain function "
                          f"definition; please report this")
    for node in imports:
        for alias in node.names:
            dotted_name(alias.name, "module name")
            if alias.asname is not None:
                identifier(alias.asname, "name")
        if isinstance(node, ast.ImportFrom):
            dotted_name(node.module, "module name")
    lines = source_lines(source)
    return imports, "".join(lines[rest[0].lineno - 1:]).strip("\n")


def _plain_default(node: ast.expr | None) -> bool:
    """A default value the code generator writes: a literal (``2.0``,
    ``-0.0``, ``float('inf')``, tuples of them) or a global's name."""
    if node is None or isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _plain_default(node.operand)
    if isinstance(node, ast.Tuple):
        return all(_plain_default(item) for item in node.elts)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "float"
            and not node.keywords and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in ("inf", "nan"))


def _files_read(fn: Transformed) -> set[str]:
    """Every file whose source may have gone into `fn`: the user's function
    and everything of the user's it reaches (see `_user_files`), with the
    files stamped on its IR.  A superset is safe: these are only protected
    from being written over."""
    files: set[str] = set()
    while isinstance(fn, Transformed):
        for ir in (getattr(fn, "primal_ir", None), getattr(fn, "fn_ir", None)):
            if ir is not None:
                files.add(ir.filename)
                files.update(eqn.loc.filename for eqn in ir.body.walk()
                             if eqn.loc is not None and eqn.loc.filename)
        fn = original(fn)
    return files | _user_files(fn)


def _user_files(root: Any) -> set[str]:
    """The files of `root` and of every function and module of the user's
    (not installed) that it reaches through the globals its code loads,
    its closure cells, ``__wrapped__`` chains and user primitives' rules --
    where the frontend may have read inlined helpers from."""
    files: set[str] = set()
    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, UserPrimitive):
            todo += [obj.fn, getattr(obj, "derivative_fn", None)]
        elif isinstance(obj, Transformed):
            todo.append(original(obj))
        elif isinstance(obj, types.ModuleType):
            file = getattr(obj, "__file__", None)
            if isinstance(file, str) and not _installed(file):
                files.add(file)
        elif isinstance(obj, (types.FunctionType, types.MethodType)):
            fn = obj.__func__ if isinstance(obj, types.MethodType) else obj
            code = fn.__code__
            if code.co_filename.startswith("<") or _installed(code.co_filename):
                continue
            files.add(code.co_filename)
            todo.append(sys.modules.get(fn.__module__ or ""))
            todo += [fn.__globals__.get(name) for name in set(global_names(code))]
            todo += [cell.cell_contents for cell in fn.__closure__ or () if _filled(cell)]
            todo.append(getattr(fn, "__wrapped__", None))
    return files


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def original_function(fn: Any) -> Any:
    """The user's plain function under (possibly nested) transforms."""
    while isinstance(fn, Transformed):
        fn = original(fn)
    return fn


def _def_source(fn: types.FunctionType) -> tuple[str, str]:
    """`fn`'s source from its ``def`` line on (decorators stripped, dedented,
    comments kept) and the name that ``def`` binds.

    The copied text must be exactly one ``def`` of the name `fn` was compiled
    under; anything else (a lambda, a class, source that no longer matches)
    is a `TypeError`."""
    text = textwrap.dedent(inspect.getsource(fn))
    node = ast.parse(text).body[0]
    if not isinstance(node, ast.FunctionDef):
        raise TypeError(f"{fn.__qualname__} is not defined by a 'def' statement")
    copied = "".join(source_lines(text)[node.lineno - 1:node.end_lineno]).rstrip("\r\n")
    body = ast.parse(copied).body
    if len(body) != 1 or not isinstance(body[0], ast.FunctionDef) or body[0].name != fn.__code__.co_name:
        raise TypeError(f"the source found for {fn.__qualname__} is not its 'def' statement")
    return copied, identifier(body[0].name, "function name", _location(fn))


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def source_lines(text: str) -> list[str]:
    """`text` cut into lines as Python's tokenizer counts them (only \\n, \\r\\n
    and \\r end a line; `str.splitlines` also cuts at form feeds and U+2028,
    which would shift the line numbers `ast` gives)."""
    return [line for line in _LINE.findall(text) if line]


def global_names(code: types.CodeType) -> Iterator[str]:
    """Names `code` (and code nested in it) loads as globals."""
    for inner in _code_objects(code):
        for instruction in dis.get_instructions(inner):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                yield instruction.argval


def _check(text: str, names: Sequence[str]) -> None:
    """Check, without running it, that the module text compiles, defines
    `names`, and that every global name loaded anywhere in it (its functions,
    nested code, module-level expressions) is defined at its top level or is
    a builtin; an export that would fail at run time is refused here.
    Nothing is executed: exporting runs none of the code it writes."""
    try:
        tree = ast.parse(text)
        code = compile(tree, "<srcgrad export>", "exec")
    except (SyntaxError, ValueError) as exc:  # pragma: no cover - a bug in export, reported clearly
        raise ExportError(f"the exported module does not compile: {type(exc).__name__}: {exc}") from exc
    defined = _top_level_names(tree)
    for inner in _code_objects(code):
        missing = sorted({n for n in global_names(inner) if n not in defined and not hasattr(builtins, n)})
        if missing:
            where = "the exported module" if inner is code else f"{inner.co_name}() in the exported module"
            raise ExportError(f"{where} needs {', '.join(missing)}, which could not be exported")
    absent = [n for n in names if n not in defined]
    if absent:  # pragma: no cover
        raise ExportError(f"the exported module does not define {', '.join(absent)}")


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def _refuse_srcgrad(name: str, obj: Any, where: SourceLocation | None) -> None:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", None)
    if isinstance(obj, Transformed) or (isinstance(module, str) and module.split(".")[0] == "srcgrad"):
        raise ExportError(f"{name!r} is part of srcgrad, and the exported module must run without "
                          f"srcgrad: export the transformed functions themselves instead", where)


def _same_value(a: Any, b: Any) -> bool:
    """Two literals of the same type whose written values are the same
    (0.0 and -0.0 differ; nan is nan)."""
    if type(a) is not type(b):
        return False
    node_a, node_b = literal_node(a, _name), literal_node(b, _name)
    return node_a is not None and node_b is not None and ast.dump(node_a) == ast.dump(node_b)


def _name(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


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
