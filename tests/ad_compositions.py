"""Every way srcgrad can compute a second (and third) derivative, and the
finite-difference references they are compared with.

`second_derivatives` runs each composition of transforms that yields a
Hessian entry d²f/dxi dxj: ``hessian``, ``grad(grad)``, ``grad(order=2)``,
``jacobian(grad)``, ``jvp(grad)``, ``jacobian(jvp)``, ``value_and_grad(grad)``.  The test
modules check they agree with each other and with nested central differences
of the real Python function (`nested_difference`).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from srcgrad import grad, hessian, jacobian, jvp, value_and_grad

from .reference import central_difference


def second_derivatives(f: Callable[..., float], point: Sequence[Any],
                       argnums: tuple[int, int] = (0, 1)) -> dict[str, dict[tuple[int, int], float]]:
    """{composition: {(i, j): d²f / d args[i] d args[j]}} at `point`."""
    a, b = argnums
    out: dict[str, dict[tuple[int, int], float]] = {}
    h = hessian(f, argnums)(*point)
    out["hessian"] = {(a, a): h[0][0], (a, b): h[0][1], (b, a): h[1][0], (b, b): h[1][1]}
    out["grad(grad)"] = {(i, j): grad(grad(f, j), i)(*point) for i in argnums for j in argnums}
    out["grad(order=2)"] = {(i, i): grad(f, i, order=2)(*point) for i in argnums}
    jg = jacobian(grad(f, argnums), argnums)(*point)
    out["jacobian(grad)"] = {(i, j): jg[jj][ii] for ii, i in enumerate(argnums) for jj, j in enumerate(argnums)}
    forward = jvp(grad(f, a))
    rows = {}
    for i in argnums:
        tangent = tuple(1.0 if k == i else 0.0 for k in range(len(point)))
        rows[(i, a)] = forward(tuple(point), tangent)[1]
    out["jvp(grad)"] = rows
    # the Jacobian of jvp's tangent output, in direction e_i, is row i
    forward_jacobian = jacobian(jvp(f), argnums)
    rows = {}
    for i in argnums:
        tangent = tuple(1.0 if k == i else 0.0 for k in range(len(point)))
        _, tangent_row = forward_jacobian(tuple(point), tangent)
        rows.update({(i, j): tangent_row[jj] for jj, j in enumerate(argnums)})
    out["jacobian(jvp)"] = rows
    out["value_and_grad(grad)"] = {(i, b): value_and_grad(grad(f, b), i)(*point)[1] for i in argnums}
    return out


def third_derivatives(f: Callable[..., float], point: Sequence[Any], i: int = 0) -> dict[str, float]:
    """d³f / d args[i]³ by each composition that yields it."""
    return {
        "grad(order=3)": grad(f, i, order=3)(*point),
        "grad(grad(grad))": grad(grad(grad(f, i), i), i)(*point),
        "grad(hessian)": grad(hessian(f, i), i)(*point),
        "jacobian(hessian)": jacobian(hessian(f, i), i)(*point),
        "hessian(grad)": hessian(grad(f, i), i)(*point),
    }


def nested_difference(f: Callable[..., float], point: Sequence[Any], i: int, j: int,
                      h: float = 2e-3) -> float:
    """d²f / d args[i] d args[j]: a fourth-order central difference (in i) of
    fourth-order central differences (in j) of `f` as Python runs it."""
    def inner(*p: Any) -> float:
        return central_difference(f, p, j, h * max(1.0, abs(p[j])))
    return central_difference(inner, point, i, h * max(1.0, abs(point[i])))


def second_difference(g: Callable[..., float], point: Sequence[Any], i: int, h: float = 2e-3) -> float:
    """d²g / d args[i]² by a fourth-order central difference."""
    x = float(point[i])
    h = h * max(1.0, abs(x))

    def at(delta: float) -> float:
        moved = list(point)
        moved[i] = x + delta
        return g(*moved)
    return (-at(2 * h) + 16 * at(h) - 30 * at(0.0) + 16 * at(-h) - at(-2 * h)) / (12 * h * h)


def disagreements(values: dict[str, dict[tuple[int, int], float]], expected: dict[tuple[int, int], float],
                  rel: float, abs_: float) -> list[str]:
    """Each composition's entry that differs from `expected`."""
    bad = []
    for name, entries in values.items():
        for key, got in entries.items():
            if not math.isclose(got, expected[key], rel_tol=rel, abs_tol=abs_):
                bad.append(f"{name}{key}: {got!r}, expected {expected[key]!r}")
    return bad
