"""Where to test a function: sample points from its primitives' domains.

Each primitive declares the domain each argument is sampled from
(``prim.arg_domain(i)``: an interval, or `Choices` for a discrete argument
such as a condition).  A parameter's domain is the intersection of the
domains of every place it is passed directly; points where the function is
still undefined (``log(x - y)`` with ``x < y``) are rejected by running the
function (`srcgrad.ir.interpret.run`).
"""
from __future__ import annotations

import math
import random
from typing import Any, Sequence

from ..ir.core import INT, Function, Var
from ..ir.interpret import MissingTraceHook, PathTooLong, run
from ..primitives.core import REALS, Choices, Domain, sample

# Longest path (equations executed) worth checking: sympy reads each path as
# one expression.  Points whose path is longer (a loop that never ends) are
# rejected.
PATH_LIMIT = 20_000


def param_domains(fn: Function) -> list[Domain | None]:
    """One domain per parameter (None: the intersection is empty)."""
    domains: dict[Var, Domain | None] = {}
    for eqn in fn.body.walk():
        if eqn.prim.structured:
            continue
        for i, arg in enumerate(eqn.args):
            if isinstance(arg, Var) and arg in fn.params:
                here = eqn.prim.arg_domain(i)
                domains[arg] = _intersect(domains[arg], here) if arg in domains else here
    return [domains.get(p, REALS) for p in fn.params]


def _intersect(a: Domain | None, b: Domain) -> Domain | None:
    if a is None:
        return None
    if isinstance(a, Choices) or isinstance(b, Choices):
        choices, other = (a, b) if isinstance(a, Choices) else (b, a)
        keep = tuple(v for v in choices.values if _within(v, other))
        return Choices(keep) if keep else None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo < hi else None


def _within(value: Any, domain: Domain) -> bool:
    if isinstance(domain, Choices):
        return value in domain.values
    return domain[0] <= value <= domain[1]


def param_kind(param: Var, domain: Domain | None) -> str:
    """A parameter's kind as verification treats it: a discrete domain makes
    it ``bool`` or ``int``."""
    return domain.kind if isinstance(domain, Choices) else param.kind


def sample_points(fn: Function, n: int, seed: int = 0, integers: Sequence[int] = (),
                  max_tries: int = 40) -> list[tuple]:
    """Up to `n` points where `fn` runs and returns finite real numbers.
    Parameters with an empty domain intersection are drawn from `REALS`;
    those at the positions in `integers` (and int-kind ones) are whole
    numbers (a loop bound)."""
    rng = random.Random(seed)
    domains = [d if d is not None else REALS for d in param_domains(fn)]
    whole = [p.kind == INT or k in integers for k, p in enumerate(fn.params)]
    points: list[tuple] = []
    for _ in range(n * max_tries):
        if len(points) == n:
            break
        point = tuple(_draw(rng, d, w) for d, w in zip(domains, whole))
        if defined_at(fn, point):
            points.append(point)
    return points


def _draw(rng: random.Random, domain: Domain, whole: bool) -> Any:
    if whole and not isinstance(domain, Choices):
        return rng.randint(math.ceil(domain[0]), math.floor(domain[1]))
    return sample(domain, rng)


def defined_at(fn: Function, point: Sequence[Any]) -> bool:
    """Whether `fn` runs at `point` and returns finite numbers.  (Where the
    path cannot be followed, every point is kept: the caller reports that.)"""
    try:
        values = run(fn, point, limit=PATH_LIMIT)
    except MissingTraceHook:
        return True
    except (ArithmeticError, ValueError, TypeError, IndexError, PathTooLong):
        return False
    return all(isinstance(v, (bool, int)) or (isinstance(v, float) and math.isfinite(v)) for v in values)
