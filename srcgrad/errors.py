"""Every exception srcgrad raises on purpose.

A `SrcGradError` points at the user's code the way Python's own SyntaxError
does: file, line, column, the source line and a caret.  It is raised when a
transformation is *applied* (at decoration time), never halfway through a call
of generated code, so a gradient is either produced whole or refused.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """Where a piece of user code lives: 1-based line, 0-based column."""

    filename: str
    lineno: int
    col_offset: int
    end_col_offset: int | None = None
    source_line: str = ""

    def caret_block(self) -> str:
        """The source line with a caret under the offending span."""
        if not self.source_line:
            return ""
        text = self.source_line.rstrip("\n")
        stripped = text.lstrip()
        indent = len(text) - len(stripped)
        start = max(self.col_offset - indent, 0)
        end = self.end_col_offset if self.end_col_offset is not None else self.col_offset + 1
        width = max(end - self.col_offset, 1)
        width = min(width, max(len(stripped) - start, 1))
        return f"    {stripped}\n    {' ' * start}{'^' * width}"

    def describe(self) -> str:
        return f'File "{self.filename}", line {self.lineno}, column {self.col_offset + 1}'


class SrcGradError(Exception):
    """Base class: srcgrad refused to transform some code.

    Attributes mirror SyntaxError: ``filename``, ``lineno`` (line in the user's
    file), ``col_offset`` (0-based) and ``source_line``.
    """

    def __init__(self, message: str, location: SourceLocation | None = None):
        self.message = message
        self.location = location
        self.filename = location.filename if location else None
        self.lineno = location.lineno if location else None
        self.col_offset = location.col_offset if location else None
        self.source_line = location.source_line if location else None
        super().__init__(self._render())

    def _render(self) -> str:
        if self.location is None:
            return self.message
        parts = [self.message, f"  {self.location.describe()}"]
        caret = self.location.caret_block()
        if caret:
            parts.append(caret)
        return "\n".join(parts)


class UnsupportedSyntaxError(SrcGradError):
    """The function uses a Python construct srcgrad does not differentiate."""


class NoDerivativeRuleError(SrcGradError):
    """The function calls something srcgrad has no derivative rule for."""


class SourceNotFoundError(SrcGradError):
    """The function's source code cannot be read (exec/eval, interactive prompt)."""


class ArgumentError(SrcGradError, ValueError):
    """Bad options to a transformation (argnums out of range, unknown name, ...)."""


class VerificationError(SrcGradError, AssertionError):
    """``verify=True`` found a gradient that disagrees with sympy."""


class ExportError(SrcGradError):
    """``srcgrad export`` cannot write something the generated code needs into
    a standalone module (a closure, an object that is not a module, function
    or literal, or anything that needs srcgrad at run time)."""


class InternalError(SrcGradError):
    """A bug in srcgrad itself: an IR that breaks its invariants (see
    `srcgrad.ir.check.verify_ir`), or a state no transformation should reach.
    Raised instead of generating code that could return a wrong number."""
