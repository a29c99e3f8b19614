"""Which branches the sample points reach, and a search for the others.

Verification checks a function with control flow path by path, at the
paths its sample points take.  A branch side no point takes is checked by
nothing, so it must never pass for "proved": `branch_sides` lists every side
of every ``if`` (``cond``) in the primal and the derivative IR, `reached`
those the traced paths took, and `search` looks for points reaching the rest
(both signs, magnitudes from 1e-3 to 1e6, one coordinate at a time and all
together; at most `SEARCH_TRIES` points or `SEARCH_SECONDS`).  What stays
unreached is reported as not checked — except the side
of an equality test (``x == 0``) reached only on a set of measure zero,
which is reported as such, as for kinks.
"""
from __future__ import annotations

import math
import random
import time
from typing import Any, Callable, Iterable, Sequence

from ..ir.core import Const, Function, Region
from ..primitives.core import Choices, Domain

BRANCH = "cond"
SEARCH_TRIES = 300           # candidate points tried at most
SEARCH_SECONDS = 2.0         # ... and for at most this long (a slow function)
MAGNITUDES = (-3.0, 6.0)     # log10 range of the magnitudes tried
WHOLE = 10                   # largest whole number tried (a loop bound: long paths are slow)

Side = tuple[str, bool]      # ("cond@12", True)


def branch_sides(*fns: Function) -> dict[Side, bool]:
    """Every side of every branch in `fns`, each with whether it is decided
    by an equality test (measure zero), keyed as the tracer names decisions."""
    sides: dict[Side, bool] = {}
    for fn in fns:
        _collect(fn.body, sides)
    return sides


def _collect(region: Region, sides: dict[Side, bool]) -> None:
    made_by = {out: eqn for eqn in region.eqns for out in eqn.outs}
    for eqn in region.eqns:
        if eqn.prim.name == BRANCH:
            where = f"{BRANCH}@{eqn.loc.lineno if eqn.loc is not None else '?'}"
            if isinstance(eqn.args[0], Const):
                continue        # a constant condition: the other side is dead code, no path at all
            test = made_by.get(eqn.args[0])
            rare = {"eq": True, "ne": False}.get(test.prim.name) if test is not None else None
            for side in (True, False):
                key = (where, side)
                sides[key] = sides.get(key, True) and side == rare
        for inner in eqn.regions:
            _collect(inner, sides)


def reached(decisions: Iterable[tuple[str, Any]]) -> set[Side]:
    return {(where, choice) for where, choice in decisions if where.startswith(BRANCH + "@")}


def describe(side: Side) -> str:
    return f"{side[0]} = {side[1]}"


def search(new_sides: Callable[[tuple], set[Side]], missing: set[Side], start: Sequence[tuple],
           domains: Sequence[Domain], whole: Sequence[bool], seed: int) -> tuple[list[tuple], int]:
    """Points reaching sides in `missing`, found by trying wider points
    around `start`; `new_sides(point)` gives the sides a point reaches (empty
    where the function is undefined).  Returns the points and how many were
    tried."""
    rng = random.Random(seed + 1)
    found: list[tuple] = []
    tries = 0
    base = list(start) or [tuple(_wide(rng, d, w) for d, w in zip(domains, whole))]
    stop = time.monotonic() + SEARCH_SECONDS
    while missing and tries < SEARCH_TRIES and time.monotonic() < stop:
        tries += 1
        point = list(rng.choice(base))
        moving = [k for k, d in enumerate(domains) if not isinstance(d, Choices)]
        if not moving:
            break
        change = moving if rng.random() < 0.3 else [rng.choice(moving)]
        for k in change:
            point[k] = _wide(rng, domains[k], whole[k])
        candidate = tuple(point)
        hit = new_sides(candidate) & missing
        if hit:
            found.append(candidate)
            missing = missing - hit
    return found, tries


def wide_points(defined: Callable[[tuple], bool], n: int, domains: Sequence[Domain],
                whole: Sequence[bool], seed: int) -> list[tuple]:
    """Points of both signs at `n` magnitudes spread from 1e-2 to 1e5 (each
    argument its own sign and a jittered magnitude), where `defined` holds:
    a derivative wrong only far from the primitives' sampling domains (a
    rule wrong for x > 5 through a kink rather than a branch) is compared
    there.  Up to ``2 * n`` points."""
    rng = random.Random(seed + 2)
    found: list[tuple] = []
    for level in range(n):
        exponent = -2.0 + 7.0 * level / max(n - 1, 1)
        for sign in (1.0, -1.0):
            for _ in range(10):         # a few tries for a point where the function is defined
                point = tuple(_scaled(rng, d, w, sign if k % 2 == 0 else rng.choice((-1.0, 1.0)), exponent)
                              for k, (d, w) in enumerate(zip(domains, whole)))
                if defined(point):
                    found.append(point)
                    break
    return found


def _scaled(rng: random.Random, domain: Domain, whole: bool, sign: float, exponent: float) -> Any:
    if isinstance(domain, Choices):
        return rng.choice(domain.values)
    if whole:
        return _wide(rng, domain, whole)
    value = sign * 10 ** (exponent + rng.uniform(-0.5, 0.5))
    lo, hi = domain
    return abs(value) if lo >= 0 else (-abs(value) if hi <= 0 else value)


def _wide(rng: random.Random, domain: Domain, whole: bool) -> Any:
    """A value of either sign and any magnitude, inside `domain`'s bounds
    where it has a finite one (the function's own domain still decides)."""
    if isinstance(domain, Choices):
        return rng.choice(domain.values)
    lo, hi = domain
    if rng.random() < 0.3:
        value = rng.uniform(lo, hi)
    else:
        value = rng.choice((-1.0, 1.0)) * 10 ** rng.uniform(*MAGNITUDES)
        if lo >= 0:
            value = abs(value)
        elif hi <= 0:
            value = -abs(value)
    if whole:       # a loop bound, an index: small, or the path is too long to follow
        return rng.randint(max(0, math.ceil(lo)) if lo >= 0 else -WHOLE, WHOLE)
    return value
