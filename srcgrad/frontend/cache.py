"""The lowering cache: a lowering is reused only while all it read still holds.

Lowering a function reads live Python: its code and defaults, the names in
its closure cells, globals and builtins, attributes of modules, the current
rules of user primitives, and -- through the helpers it inlines -- all of
theirs.  A `Reading` keeps the lowered IR with that record, and `lookup`
returns it only when every read finds the same object now.  So a notebook
that rebinds a module constant, redefines a helper, reassigns a closure cell,
edits a module-level list or replaces a derivative rule gets a fresh lowering
from its next `grad`; a gradient made before keeps what it read.

Entries are keyed weakly on the function and hold neither it nor anything
that refers to it (the IR is stored without its `origin`), so a throwaway
function is collected with its entry.  The cache is shared by threads: a
lock guards the dictionary; two threads lowering the same function at once
both lower it, and either result is valid.
"""
from __future__ import annotations

import threading
import types
import weakref
from dataclasses import dataclass
from typing import Any

from ..ir.core import Function
from .resolve import Scope


@dataclass(eq=False)
class Reading:
    """One lowering of a function and everything it depended on."""

    ir: Function                       # origin stripped: see the module docstring
    code: types.CodeType
    defaults: tuple | None
    scope: Scope                       # the recorded look-ups
    helpers: tuple[tuple[Any, "Reading"], ...]    # (helper function, its reading), inlined
    registry: Any

    def still_true(self, func: Any) -> bool:
        return (func.__code__ is self.code and func.__defaults__ is self.defaults
                and self.scope.still_true()
                and all(reading.still_true(helper) for helper, reading in self.helpers))

    def function(self, func: Any) -> Function:
        """The IR, naming `func` as its origin."""
        return self.ir.with_body(self.ir.body, origin=func)


_LOCK = threading.Lock()
_CACHE: "weakref.WeakKeyDictionary[Any, dict[int, Reading]]" = weakref.WeakKeyDictionary()


def lookup(func: Any, registry: Any) -> Reading | None:
    """The cached reading of `func`, if everything it read is unchanged."""
    with _LOCK:
        reading = _CACHE.get(func, {}).get(id(registry))
    if reading is None or reading.registry is not registry or not reading.still_true(func):
        return None
    return reading


def store(func: Any, registry: Any, reading: Reading) -> None:
    with _LOCK:
        _CACHE.setdefault(func, {})[id(registry)] = reading


def size() -> int:
    """How many functions have a cached reading (for tests of collection)."""
    with _LOCK:
        return len(_CACHE)
