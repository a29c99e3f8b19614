"""`check_grads`: numeric gradient checks for users' own test suites, as in JAX.

At the given point, along a random direction `v` over the checked
arguments, it compares

* reverse mode (`srcgrad.grad`) and forward mode (`srcgrad.jvp`) with a
  fourth-order central difference of `f`, and the two modes with each other
  through ``<v, vjp(c)> = <jvp(v), c>``;
* with ``order=2``, the Hessian (`srcgrad.hessian`, forward over reverse) and
  grad of grad (reverse over reverse) times `v` with central differences of
  the gradient, and ``v' H v`` with a second central difference of `f`.

A failure raises AssertionError saying which check, at which point, along
which direction, expected and got, and which arguments' partials differ
(each re-checked along its own axis).  The tolerance is
``atol + rtol * |expected| + (error bound of the difference quotient)``: the
step is halved from `eps` until successive estimates agree (see
`_Checker.converged`), so wiggly functions are not misjudged.
Needs neither sympy nor mpmath.
"""
from __future__ import annotations

import inspect
import math
import random
from typing import Any, Callable, Sequence

from .. import api
from .oracle import noise_level

Vector = tuple[float, ...]
EPS = 2.0 ** -52
HALVINGS = 10     # steps tried below `eps` when differences converge slowly


def check_grads(f: Callable[..., Any], args: Sequence[Any], argnums: Any = None, order: int = 1, *,
                modes: Sequence[str] = ("rev", "fwd"), eps: float = 1e-3, rtol: float = 1e-6,
                atol: float = 1e-8, seed: int = 0) -> None:
    """Check srcgrad's derivatives of `f` at `args` against central differences.

    `argnums` (positions or names; default: every float argument) says
    which arguments to perturb; `order` is 1 or 2; `modes` is any of
    ``"rev"`` (reverse mode) and ``"fwd"`` (forward mode).  `eps` is the
    finite-difference step (scaled by the size of the arguments), `seed`
    fixes the random direction.  Raises AssertionError on a disagreement.
    Reverse mode and ``order=2`` need `f` to return one number.
    """
    if order not in (1, 2):
        raise ValueError(f"check_grads supports order 1 and 2, not {order!r}")
    unknown = set(modes) - {"rev", "fwd"}
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}: use 'rev' and/or 'fwd'")
    checker = _Checker(f, tuple(args), argnums, eps, rtol, atol, random.Random(seed))
    checker.first_order(modes)
    if order == 2:
        checker.second_order(modes)


class _Checker:
    def __init__(self, f: Callable[..., Any], args: tuple, argnums: Any, eps: float, rtol: float,
                 atol: float, rng: random.Random) -> None:
        self.f, self.args, self.rtol, self.atol = f, args, rtol, atol
        self.names = _param_names(f, len(args))
        self.indices = _resolve(argnums, args, self.names)
        value = f(*args)
        self.scalar = not isinstance(value, (tuple, list))
        self.h = eps * max([1.0] + [abs(float(args[i])) for i in self.indices])
        gauss = [rng.gauss(0.0, 1.0) for _ in self.indices]
        norm = math.sqrt(sum(g * g for g in gauss)) or 1.0
        self.v: Vector = tuple(g / norm for g in gauss)

    # --- the checks --------------------------------------------------------------

    def first_order(self, modes: Sequence[str]) -> None:
        expected, noise = self.difference(self.f, self.v)
        rev = fwd = None
        if "rev" in modes and self.scalar:
            grads = self.gradient()
            rev = (_dot(grads, self.v),)
            self.compare("reverse mode (srcgrad.grad)", expected, rev, noise, lambda k: (grads[k],), self.f)
        if "fwd" in modes:
            fwd = self.tangent(self.v)
            self.compare("forward mode (srcgrad.jvp)", expected, fwd, noise,
                         lambda k: self.tangent(self.unit(k)), self.f)
        if rev is not None and fwd is not None:
            c = 0.5 + abs(self.v[0])          # any nonzero cotangent
            self.compare("<v, vjp(c)> = <jvp(v), c> (reverse against forward mode)", (c * fwd[0],),
                         (c * rev[0],), (0.0,), None, None)

    def second_order(self, modes: Sequence[str]) -> None:
        if not self.scalar:
            raise ValueError("check_grads(order=2) needs a function returning one number")
        grad_fn = api.grad(self.f, argnums=self.argnums())
        expected, noise = self.difference(grad_fn, self.v)
        if "fwd" in modes:
            hess = api.hessian(self.f, argnums=self.argnums())(*self.args)
            self.compare("Hessian times v (srcgrad.hessian, forward over reverse) against central differences "
                         "of srcgrad.grad", expected, _matvec(hess, self.v), noise,
                         lambda k: tuple(row[k] for row in hess), grad_fn)
        if "rev" in modes:
            rows = [api.grad(api.grad(self.f, argnums=i), argnums=self.argnums())(*self.args)
                    for i in self.indices]
            self.compare("grad of grad times v (reverse over reverse) against central differences of "
                         "srcgrad.grad", expected, _matvec(rows, self.v), noise,
                         lambda k: tuple(row[k] for row in rows), grad_fn)
            second, noise2 = self.second_difference()
            hv = _matvec(rows, self.v)
            self.compare("v' H v (grad of grad) against a second central difference of f", second,
                         (_dot(hv, self.v),), noise2, None, None)

    # --- srcgrad's answers -----------------------------------------------------------

    def argnums(self) -> tuple[int, ...]:
        return tuple(self.indices)

    def gradient(self) -> Vector:
        return tuple(api.grad(self.f, argnums=self.argnums())(*self.args))

    def tangent(self, direction: Vector) -> Vector:
        tangents = [0.0] * len(self.args)
        for i, d in zip(self.indices, direction):
            tangents[i] = d
        _, out = api.jvp(self.f, self.args, tangents)
        return _flat(out)

    # --- finite differences --------------------------------------------------------------

    def moved(self, t: float, direction: Vector) -> list:
        args = list(self.args)
        for i, d in zip(self.indices, direction):
            args[i] = args[i] + t * d
        return args

    def difference(self, fun: Callable[..., Any], direction: Vector) -> tuple[Vector, Vector]:
        """d/dt fun(args + t * direction) at 0, and a bound on its error."""
        noise = self.noise(fun, direction)

        def stencil(h: float) -> tuple[Vector, Vector]:
            ys = [_flat(fun(*self.moved(t * h, direction))) for t in (2, 1, -1, -2)]
            deriv = tuple((-a + 8 * b - 8 * c + d) / (12 * h) for a, b, c, d in zip(*ys))
            return deriv, tuple(18 * max(EPS * max(abs(y) for y in column), n) / (12 * h)
                                for column, n in zip(zip(*ys), noise))
        return self.converged(stencil)

    def second_difference(self) -> tuple[Vector, Vector]:
        """d²/dt² f(args + t * v) at 0, and a bound on its error."""
        noise = self.noise(self.f, self.v)[0]

        def stencil(h: float) -> tuple[Vector, Vector]:
            a, b, c, d, e = (_flat(self.f(*self.moved(t * h, self.v)))[0] for t in (2, 1, 0, -1, -2))
            roundoff = 64 * max(EPS * max(abs(a), abs(b), abs(c), abs(d), abs(e)), noise) / (12 * h * h)
            return ((-a + 16 * b - 30 * c + 16 * d - e) / (12 * h * h),), (roundoff,)
        return self.converged(stencil)

    def noise(self, fun: Callable[..., Any], direction: Vector) -> Vector:
        """`fun`'s own rounding noise along `direction`, per output
        (`oracle.noise_level`): a difference quotient resolves nothing
        below it, and it can be far above the size of the values."""
        # at the finest step `converged` may take, and finer: where a smooth
        # function's sixth differences vanish, however it wiggles
        spacing = self.h * 2.0 ** -(HALVINGS + 2)
        return noise_level(lambda t: _flat(fun(*self.moved(t, direction))), 0.0, spacing)

    def converged(self, stencil: Callable[[float], tuple[Vector, Vector]]) -> tuple[Vector, Vector]:
        """A fourth-order `stencil` at steps h, h/2, h/4, ...: the estimate
        whose error bound is smallest.  The truncation error of the finer of
        two successive estimates is about their difference / 15, the rounding
        error grows as the step shrinks; the search stops once the bound is
        far below the tolerance (at once, for most functions)."""
        h = self.h
        previous, _ = stencil(h)
        best: tuple[Vector, Vector] | None = None
        for _ in range(HALVINGS):
            h /= 2
            values, roundoff = stencil(h)
            bound = tuple(abs(p - v) / 15 + r for p, v, r in zip(previous, values, roundoff))
            if best is None or max(bound) < max(best[1]):
                best = (values, bound)
            if all(b < 1e-3 * (self.atol + self.rtol * abs(v)) for b, v in zip(bound, values)):
                break
            previous = values
        assert best is not None
        return best

    def unit(self, k: int) -> Vector:
        return tuple(1.0 if j == k else 0.0 for j in range(len(self.indices)))

    # --- verdicts ---------------------------------------------------------------------

    def compare(self, what: str, expected: Vector, got: Vector, noise: Vector,
                per_axis: Callable[[int], Vector] | None, fun: Callable[..., Any] | None) -> None:
        bad = [k for k in range(len(expected)) if not self.close(expected[k], got[k], noise[k])]
        if not bad:
            return
        lines = [f"check_grads({getattr(self.f, '__name__', 'f')}): {what} disagrees",
                 f"  at         {self.describe(self.args, range(len(self.args)))}",
                 f"  direction  v = ({', '.join(f'{self.names[i]}: {d:.6g}' for i, d in zip(self.indices, self.v))})",
                 f"  expected   {_show(expected)}",
                 f"  got        {_show(got)}"]
        if per_axis is not None and fun is not None:
            lines.append("  per argument (along its own axis):")
            for k, i in enumerate(self.indices):
                exp_k, noise_k = self.difference(fun, self.unit(k))
                got_k = per_axis(k)
                ok = all(self.close(a, b, n) for a, b, n in zip(exp_k, got_k, noise_k))
                lines.append(f"    {self.names[i]}: expected {_show(exp_k)}, got {_show(got_k)}"
                             f"{'' if ok else '   <-- differs'}")
        raise AssertionError("\n".join(lines))

    def close(self, expected: float, got: float, noise: float) -> bool:
        return abs(expected - got) <= self.atol + self.rtol * abs(expected) + noise

    def describe(self, args: Sequence[Any], positions: Any) -> str:
        return ", ".join(f"{self.names[i]}={args[i]!r}" for i in positions)


def _param_names(f: Callable[..., Any], n: int) -> list[str]:
    try:
        names = [p.name for p in inspect.signature(f).parameters.values()]
    except (TypeError, ValueError):
        names = []
    return (names + [f"arg{i}" for i in range(len(names), n)])[:n]


def _resolve(argnums: Any, args: tuple, names: list[str]) -> list[int]:
    if argnums is None:
        indices = [i for i, a in enumerate(args) if isinstance(a, float)]
        if not indices:
            raise ValueError("check_grads: no float arguments to differentiate; pass argnums")
        return indices
    items = argnums if isinstance(argnums, (tuple, list)) else (argnums,)
    indices = []
    for item in items:
        if isinstance(item, str):
            if item not in names:
                raise ValueError(f"check_grads: no argument named {item!r} (arguments: {', '.join(names)})")
            item = names.index(item)
        indices.append(item % len(args))
    return indices


def _flat(value: Any) -> Vector:
    if isinstance(value, (tuple, list)):
        return tuple(x for item in value for x in _flat(item))
    return (float(value),)


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b))


def _matvec(rows: Sequence[Sequence[float]], v: Vector) -> Vector:
    return tuple(_dot(_flat(row), v) for row in rows)


def _show(values: Vector) -> str:
    return ", ".join(f"{x:.12g}" for x in values) if len(values) != 1 else f"{values[0]:.12g}"
