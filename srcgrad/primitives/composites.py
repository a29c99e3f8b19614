"""Python callables whose lowering is a small composition of primitives.

These need no derivative rule: they are written once in terms of primitives,
and the primitives' rules differentiate them.  Keyed by the callable's id (the
object is kept alongside so the id cannot be reused).
"""
from __future__ import annotations

import builtins
import math
from typing import Any, Callable


def _log(b: Any, x: Any, base: Any = None) -> Any:
    """math.log(x) or math.log(x, base) == log(x) / log(base)."""
    if base is None:
        return b.log(x)
    return b.div(b.log(x), b.log(base))


def _round(b: Any, x: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return b.round(x)
    return b.round_ndigits(x, ndigits)


def _pow(b: Any, x: Any, y: Any) -> Any:
    return b.pow(x, y)


COMPOSITES: dict[int, tuple[Any, Callable[..., Any]]] = {
    id(fn): (fn, rule) for fn, rule in [(math.log, _log), (builtins.round, _round), (builtins.pow, _pow)]
}
