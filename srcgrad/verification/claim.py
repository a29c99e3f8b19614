"""What a transformed function given to `verify` claims, checked as it runs.

``verify(df)`` for ``df = grad(f)`` checks srcgrad's derivative of ``df``
(a second derivative of ``f``), and its oracle runs ``df`` itself: a ``df``
made before ``f`` changed (``SCALE = 10.0``, a redefined helper, a corrected
rule) is differentiated right, as the stale function it is.  But ``df`` is
offered as the gradient of ``f``, and ``f`` as Python runs it now is the
only reference for that claim.  So a gradient is also run against finite
differences of what it was made from, and that one, if srcgrad made it too
(``grad(grad(f))``, ``grad(f, order=2)``), against what it was made from,
down to the user's function; where one is not the gradient of the next, the
report is a mismatch, whatever the proof of its own derivative says.
(Other transforms return tuples, which `verify` does not take.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from .oracle import Oracle


@dataclass(frozen=True)
class Broken:
    """A claim that does not hold: why, and where."""

    reason: str
    counterexample: dict[str, Any]


def broken_claim(fun: Any, points: Sequence[tuple], names: Sequence[str]) -> Broken | None:
    """Where `fun`, or a srcgrad gradient it was made from, is not the
    gradient of the function it was made from as Python runs that function
    now; None when each is at every point (or `fun` is no srcgrad gradient)."""
    seen: set[int] = set()
    while id(fun) not in seen:
        seen.add(id(fun))
        recipe = getattr(fun, "recipe", None)
        if getattr(fun, "__srcgrad_transform__", None) != "grad" or not isinstance(recipe, tuple) \
                or len(recipe) != 3:
            return None
        origin, options = recipe[1], recipe[2]
        order = options.get("order", 1)
        if order > 1:       # grad(f, order=k) is the gradient of grad(f, order=k - 1), as f is now
            from ..api import grad
            origin = grad(origin, options.get("argnums", 0), order=order - 1)
        broken = _not_its_gradient(fun, origin, options.get("argnums", 0), points, names)
        if broken is not None:
            return broken
        fun = origin
    return None


def _not_its_gradient(fun: Any, origin: Any, argnums: Any, points: Sequence[tuple],
                      names: Sequence[str]) -> Broken | None:
    indices = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    oracle = Oracle(origin, fun, indices)
    made = getattr(origin, "__qualname__", None) or getattr(origin, "__name__", "f")
    this = f"grad({made})"
    for point in points:
        point = tuple(point)
        for i, result in oracle.at(point).items():
            if result.mismatch:
                _, expected, got = result.counterexample
                return Broken(f"{this} is not the gradient of {made} as Python runs it now (d/d{names[i]}): "
                              f"{made} (or what it reads) changed since the gradient was made, or srcgrad's "
                              f"reading of it is not what runs",
                              {"at": dict(zip(names, point)), f"finite differences of {made}": expected, this: got})
    return None
