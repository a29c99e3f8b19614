"""Reading a function's source and mapping AST positions back to the user's file.

`FunctionSource` holds the dedented, parsed `ast.FunctionDef` of a function
(decorators dropped), the file it came from and the offsets needed to turn an
AST node's position into a `SourceLocation` in that file.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import textwrap
from dataclasses import dataclass

from ..errors import SourceLocation, SourceNotFoundError, UnsupportedSyntaxError


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
    """Parse `func`'s source.  Raises `SourceNotFoundError` with the best
    location available when Python has no source for it."""
    code = getattr(func, "__code__", None)
    filename = code.co_filename if code else "<unknown>"
    firstline = code.co_firstlineno if code else 0
    name = getattr(func, "__qualname__", repr(func))
    try:
        lines, first = inspect.getsourcelines(func)
    except (OSError, TypeError) as exc:
        raise SourceNotFoundError(
            f"cannot read the source of {name!r}: srcgrad transforms source code, and Python has "
            f"none for this function (it was made by exec/eval or typed at an interactive prompt). "
            f"Define it in a .py file. ({exc})",
            SourceLocation(filename, firstline, 0, None, linecache.getline(filename, firstline)))
    filename = inspect.getsourcefile(func) or filename
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_removed(text, dedented)
    try:
        module = ast.parse(dedented)
    except SyntaxError as exc:  # e.g. a lambda taken out of the middle of a line
        raise SourceNotFoundError(f"cannot parse the source of {name!r}: {exc.msg}",
                                  SourceLocation(filename, first, 0, None, lines[0] if lines else ""))
    node = module.body[0] if module.body else None
    source = FunctionSource(func, filename, first, indent, lines, node)  # type: ignore[arg-type]
    if isinstance(node, ast.AsyncFunctionDef):
        raise UnsupportedSyntaxError("async functions cannot be differentiated", source.location(node))
    if not isinstance(node, ast.FunctionDef) or getattr(func, "__name__", "") == "<lambda>":
        line = lines[0] if lines else ""
        col, end = _lambda_span(line)
        raise UnsupportedSyntaxError(
            f"{name!r} is a lambda: srcgrad differentiates functions defined with 'def'",
            SourceLocation(filename, first, col, end, line))
    return source


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
