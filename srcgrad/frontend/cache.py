"""The lowering cache: a lowering is reused only while all it read still holds.

Lowering a function reads live Python: its code and defaults, the names in
its closure cells, globals and builtins, attributes of modules, the current
rules of user primitives, and -- through the helpers it inlines -- all of
theirs.  A `Reading` keeps the lowered IR with that record, and `lookup`
returns it only when every read finds the same object now.  So a notebook
that rebinds a module constant, redefines a helper, reassigns a closure cell,
edits a module-level list or replaces a derivative rule gets a fresh lowering
from its next `grad`; a gradient made before keeps what it read.

A function's readings are kept in its own ``__dict__``, never in a table of
srcgrad's.  A reading cannot avoid referring to the function's world -- its
globals dict, the helpers and user primitives it inlined, whose globals
usually hold the function itself -- and Python has no ephemerons: a weakly
keyed table whose value reaches its key keeps the key alive for ever (every
function of a notebook namespace, say).  Kept on the function, the reading
is a plain cycle with it, collected when the function goes.  The IR is
stored without its `origin`.  The cache is shared by threads: two threads
lowering the same function at once both lower it, and either result is
valid (the readings dict is only ever replaced, never updated in place).
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


# The attribute of a function's __dict__ holding its `_Readings`.
# ``functools.wraps`` copies a function's __dict__ to its wrapper; a copied
# entry is never used there, since a reading holds only for the code it read.
_ATTRIBUTE = "__srcgrad_readings__"


class _Readings(dict):
    """{id(registry): Reading}.  Pickles as empty: a library pickling
    functions by value (cloudpickle, for a notebook's functions) carries
    their ``__dict__``, and a cache means nothing in another process."""

    def __reduce__(self) -> tuple:
        return (_Readings, ())


# Functions with readings, for tests of collection (weak: holds none alive).
_HOLDERS: "weakref.WeakSet[Any]" = weakref.WeakSet()
_HOLDERS_LOCK = threading.Lock()


def lookup(func: Any, registry: Any) -> Reading | None:
    """The cached reading of `func`, if everything it read is unchanged."""
    readings = getattr(func, "__dict__", {}).get(_ATTRIBUTE)
    reading = readings.get(id(registry)) if isinstance(readings, _Readings) else None
    if not isinstance(reading, Reading) or reading.registry is not registry or not reading.still_true(func):
        return None
    return reading


def store(func: Any, registry: Any, reading: Reading) -> None:
    readings = func.__dict__.get(_ATTRIBUTE)
    readings = _Readings(readings) if isinstance(readings, _Readings) else _Readings()
    readings[id(registry)] = reading
    func.__dict__[_ATTRIBUTE] = readings    # one atomic replacement: readers see old or new
    with _HOLDERS_LOCK:
        _HOLDERS.add(func)


def clear() -> None:
    """Forget every cached reading (benchmarks time lowering from scratch)."""
    with _HOLDERS_LOCK:
        holders = list(_HOLDERS)
        _HOLDERS.clear()
    for func in holders:
        func.__dict__.pop(_ATTRIBUTE, None)


def size() -> int:
    """How many live functions have a cached reading (for tests)."""
    with _HOLDERS_LOCK:
        return len(_HOLDERS)
