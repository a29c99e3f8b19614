"""Reading a function's source and mapping AST positions back to the user's file.

`FunctionSource` holds the dedented, parsed `ast.FunctionDef` of a function
(decorators dropped), checked to compile to the code Python runs, the file
it came from and the offsets needed to turn an AST node's position into a
`SourceLocation` in that file.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
import tokenize
from dataclasses import dataclass

from ..errors import SourceLocation, SourceNotFoundError, UnsupportedSyntaxError
from .codecheck import compiles_to


@dataclass
class FunctionSource:
    func: object
    filename: str
    first_lineno: int          # line in the file of the source's first line
    indent: int                # columns removed by dedent
    lines: list[str]           # the original (not dedented) lines
    node: ast.FunctionDef

    def location(self, node: ast.AST) -> SourceLocation:
        lineno = getattr(node, "lineno", self.node.lineno)
        col = getattr(node, "col_offset", 0) + self.indent
        end_line = getattr(node, "end_lineno", lineno)
        end_col = getattr(node, "end_col_offset", None)
        end = end_col + self.indent if end_col is not None and end_line == lineno else None
        index = lineno - 1
        text = self.lines[index] if 0 <= index < len(self.lines) else ""
        return SourceLocation(self.filename, self.first_lineno + index, col, end, text)

    def line_text(self, node: ast.AST) -> str:
        """The user's source of the statement `node`, on one line (for comments)."""
        segment = ast.get_source_segment(textwrap.dedent("".join(self.lines)), node) or ""
        return " ".join(part.strip() for part in segment.splitlines())


def read_source(func) -> FunctionSource:
    """Parse `func`'s source, checked to be the code Python runs.

    The text is found from ``func.__code__`` (never by following
    ``__wrapped__``), read afresh when the file changed on disk (so a
    re-imported module's new text is seen), and compiled to compare with
    ``func.__code__`` (`codecheck`).  Raises `SourceNotFoundError` with the
    best location available when Python has no source for it, or when the
    file no longer holds the code Python runs (edited after import)."""
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    firstline = code.co_firstlineno if code else 0
    name = getattr(func, "__qualname__", repr(func))
    if code is not None and not (filename.startswith("<") and filename.endswith(">")):
        linecache.checkcache(filename)
    try:
        if code is None:
            raise TypeError(f"{name!r} has no code object")
        lines, first = inspect.getsourcelines(code)
    except (OSError, TypeError, SyntaxError, tokenize.TokenError) as exc:   # the last two: a broken file
        if code is not None and linecache.getlines(filename):
            raise _changed(name, filename, firstline) from None
        raise SourceNotFoundError(
            f"cannot read the source of {name!r}: srcgrad transforms source code, and Python has "
            f"none for this function (it was made by exec/eval or typed at an interactive prompt). "
            f"Define it in a .py file. ({exc})",
            SourceLocation(filename, firstline, 0, None, linecache.getline(filename, firstline)))
    filename = inspect.getsourcefile(code) or filename
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_removed(text, dedented)
    lambda_ = getattr(func, "__name__", "") == "<lambda>"
    try:
        module = ast.parse(dedented)
    except SyntaxError as exc:  # e.g. a lambda taken out of the middle of a line
        if not lambda_:         # Python compiled this def: text that does not parse is not it
            raise _changed(name, filename, firstline) from None
        raise SourceNotFoundError(f"cannot parse the source of {name!r}: {exc.msg}",
                                  SourceLocation(filename, first, 0, None, lines[0] if lines else ""))
    node = module.body[0] if module.body else None
    source = FunctionSource(func, filename, first, indent, lines, node)  # type: ignore[arg-type]
    if isinstance(node, ast.AsyncFunctionDef):
        raise UnsupportedSyntaxError("async functions cannot be differentiated", source.location(node))
    if not isinstance(node, ast.FunctionDef) or lambda_:
        if not lambda_:
            raise _changed(name, filename, firstline)
        line = lines[0] if lines else ""
        col, end = _lambda_span(line)
        raise UnsupportedSyntaxError(
            f"{name!r} is a lambda: srcgrad differentiates functions defined with 'def'",
            SourceLocation(filename, first, col, end, line))
    # codecheck parses `text` itself, as it stands in the file (reusing
    # `node`, parsed from the dedented text, missed a line added above the
    # def on Python 3.13: tests/test_boundary_fresh.py)
    file_text = "".join(linecache.getlines(filename, getattr(func, "__globals__", None)))
    if not compiles_to(text, func, file_text):
        raise _changed(name, filename, firstline)
    return source


def _changed(name: str, filename: str, lineno: int) -> SourceNotFoundError:
    return SourceNotFoundError(
        f"the source of {name} in {filename} has changed since it was imported; reload the module "
        f"(srcgrad differentiates the code Python runs, and the file no longer holds it)",
        SourceLocation(filename, lineno, 0, None, linecache.getline(filename, lineno)))


def _lambda_span(line: str) -> tuple[int, int | None]:
    """Columns of the first lambda expression on `line` (for the caret)."""
    stripped = line.lstrip()
    indent = len(line) - len(stripped)
    try:
        tree = ast.parse(stripped)
    except SyntaxError:
        col = max(line.find("lambda"), 0)
        return col, col + len("lambda")
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and node.end_lineno == node.lineno:
            return node.col_offset + indent, node.end_col_offset + indent
    return 0, None


def _indent_removed(text: str, dedented: str) -> int:
    for original, stripped in zip(text.splitlines(), dedented.splitlines()):
        if stripped.strip():
            return len(original) - len(stripped)
    return 0
