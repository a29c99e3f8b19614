"""Name resolution at decoration time.

A name that is not a local variable is looked up, once, in the function's
closure cells, then its globals, then builtins: exactly where Python would look
at call time.  What it finds is classified: a number becomes a constant (so
``SCALE = 1.5`` at module level is baked into the generated code), a module can
be used for attribute access (``math.sin``, ``m.pi``), a callable must be a
primitive, a user primitive or a user function.
"""
from __future__ import annotations

import builtins
from typing import Any

_MISSING = object()


class Scope:
    """Closure, global and builtin names visible to one function."""

    def __init__(self, func: Any) -> None:
        self.globals: dict[str, Any] = getattr(func, "__globals__", {})
        self.closure: dict[str, Any] = {}
        code = getattr(func, "__code__", None)
        cells = getattr(func, "__closure__", None) or ()
        if code is not None:
            for name, cell in zip(code.co_freevars, cells):
                try:
                    self.closure[name] = cell.cell_contents
                except ValueError:  # empty cell: defined later in the enclosing scope
                    self.closure[name] = _MISSING

    def lookup(self, name: str) -> Any:
        """The object `name` refers to, or `_MISSING`."""
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, _MISSING)

    def is_closure(self, name: str) -> bool:
        return name in self.closure


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, complex)


MISSING = _MISSING
