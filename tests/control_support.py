"""Checks shared by the control-flow tests: which arguments to differentiate,
tolerances, and comparing a gradient with finite differences.

Float arguments are differentiated; int arguments are trip counts or flags
(piecewise constant), as in the corpus and in generated programs.
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable, Sequence

from .reference import central_difference

# srcgrad against fourth-order central differences (truncation ~h**4,
# rounding ~1e-16 * |f| / h): both far below these.
FD_REL, FD_ABS = 1e-6, 1e-7
# srcgrad against a derivative worked out by hand: a few float operations.
HAND_REL, HAND_ABS = 1e-9, 1e-12
# a generated primal against the user's function: the passes may reassociate.
VALUE_REL, VALUE_ABS = 1e-12, 1e-14


def float_argnums(point: Sequence[Any]) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(point) if isinstance(a, float))


def as_tuple(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def mismatches(got: Sequence[float], expected: Sequence[float], rel: float, abs_: float) -> list[str]:
    """Human-readable differences between two gradients ([] when close)."""
    assert len(got) == len(expected), (got, expected)
    return [f"d/darg{k}: srcgrad {g!r} != reference {e!r}" for k, (g, e) in enumerate(zip(got, expected))
            if not math.isclose(g, e, rel_tol=rel, abs_tol=abs_)]


def assert_gradient_matches_fd(fn: Callable[..., float], gradient: Callable[..., Any],
                               point: Sequence[Any], argnums: Sequence[int]) -> None:
    got = as_tuple(gradient(*point))
    expected = tuple(central_difference(fn, point, i) for i in argnums)
    bad = mismatches(got, expected, FD_REL, FD_ABS)
    assert not bad, f"{getattr(fn, '__name__', fn)}{tuple(point)}: " + "; ".join(bad)


def imports_of(source: str) -> set[str]:
    """Top-level module names a piece of generated source imports."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names
