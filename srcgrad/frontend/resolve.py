"""Name resolution when `grad` is applied, recorded.

A name that is not a local variable is looked up in the function's closure
cells, then its globals, then builtins: exactly where Python would look at
call time.  What it finds is classified by the lowering: a number becomes a
constant (so ``SCALE = 1.5`` at module level is baked into the generated
code), a module can be used for attribute access (``math.sin``, ``m.pi``), a
callable must be a primitive, a user primitive or a user function.

Every look-up into live Python -- names, attributes of modules, a user
primitive's current rule -- goes through a `Scope`, which records what it
found, so that a cached lowering can be checked later against what those
look-ups find *now* (`Scope.still_true`).  The record holds the globals dict
and closure cells, never the function itself, so a cache keyed weakly on the
function does not keep it alive.
"""
from __future__ import annotations

import builtins
from typing import Any

_MISSING = object()


class Scope:
    """Closure, global and builtin names visible to one function, and a
    record of every look-up made through it."""

    def __init__(self, func: Any) -> None:
        self.globals: dict[str, Any] = getattr(func, "__globals__", {})
        code = getattr(func, "__code__", None)
        cells = getattr(func, "__closure__", None) or ()
        self.cells: dict[str, Any] = dict(zip(code.co_freevars, cells)) if code is not None else {}
        # (kind, where, key, found, snapshot): replayed by `still_true`;
        # a look-up repeated with the same result (in an unrolled loop) once
        self.reads: list[tuple[str, Any, Any, Any, Any]] = []
        self._seen: set[tuple[str, int, Any, int]] = set()

    def lookup(self, name: str) -> Any:
        """The object `name` refers to, or `MISSING` (recorded)."""
        return self._record("name", None, name, self._lookup(name))

    def attribute(self, base: Any, attr: str) -> Any:
        """``base.attr`` for a module `base`, or `MISSING` (recorded)."""
        return self._record("attr", base, attr, getattr(base, attr, _MISSING))

    def user_primitive(self, user: Any, registry: Any) -> Any:
        """The `Primitive` a user primitive declares now: a new one whenever
        its derivative rule is replaced (recorded)."""
        return self._record("prim", user, registry, user.primitive(registry))

    def is_closure(self, name: str) -> bool:
        return name in self.cells

    def still_true(self) -> bool:
        """Whether every recorded look-up finds the same thing now.  Objects
        are compared by identity (a rebound name, even to an equal number,
        counts as changed); lists, mutable in place, also by their items."""
        for kind, where, key, found, snapshot in self.reads:
            if kind == "name":
                now = self._lookup(key)
            elif kind == "attr":
                now = getattr(where, key, _MISSING)
            else:
                now = where.primitive(key)
            if now is not found or (snapshot is not None and not _same_items(now, snapshot)):
                return False
        return True

    def _lookup(self, name: str) -> Any:
        if name in self.cells:
            try:
                return self.cells[name].cell_contents
            except ValueError:  # empty cell: defined later in the enclosing scope
                return _MISSING
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, _MISSING)

    def _record(self, kind: str, where: Any, key: Any, found: Any) -> Any:
        seen = (kind, id(where), key if isinstance(key, str) else id(key), id(found))
        if seen not in self._seen:
            self._seen.add(seen)
            snapshot = tuple(found) if isinstance(found, list) else None
            self.reads.append((kind, where, key, found, snapshot))
        return found


def _same_items(now: list, snapshot: tuple) -> bool:
    return len(now) == len(snapshot) and all(a is b for a, b in zip(now, snapshot))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, complex)


MISSING = _MISSING
