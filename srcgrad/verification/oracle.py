"""The oracle that runs what the user wrote: the generated gradient against
finite differences of the user's own function object.

The symbolic proof (`prove`) checks srcgrad's derivative IR against sympy's
derivative of srcgrad's *reading* of the source.  If the reading is wrong (a
stale cache, a wrapper, a captured name, a user rule that lies), both sides
share the error.  This oracle shares nothing with srcgrad but the sample
point: it calls `f` as Python runs it, in floats, and compares the partials
returned by the generated callable with Ridders' extrapolated central
differences of `f` (Numerical Recipes' ``dfridr``).

Robustness, so that a disagreement is a real one:

* each partial is estimated from two starting steps; where the two
  estimates disagree beyond their error bounds, `f` is not smooth near the
  point (a kink, a branch boundary, a discontinuity): the point is *not
  checked*, never a mismatch;
* the tolerance scales with the size of the partial and of `f` (relative
  1e-6, plus the extrapolation's own error estimate, plus the rounding error
  of differencing values as large as ``f(x)``), so large magnitudes
  (``exp(17)``, ``1e8 * x**3``) do not give false mismatches;
* a point where the reference partial is indistinguishable from zero (or
  known only to within 0.1%) is *flat*: agreement there is counted, but it
  is not evidence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

EPS = 2.0 ** -52
CONVERGED = 1e-4     # largest relative error bound of an estimate that counts
RTOL = 1e-6          # what a float finite difference of a smooth function reliably gives
RESOLVED = 1e-3      # agreement counts as evidence only with an error bound below this, relative
# starting steps (central, one-sided) relative to max(|x|, 1): wide first; a
# function that wiggles on a finer scale (a chaotic loop) settles only at the later ones
STARTS = ((1e-2, 1e-3), (1e-4, 1e-5), (1e-6, 1e-7))
# further central starts, which must not contradict an estimate (aliasing)
FINER_STARTS = (1e-8, 1e-9, 1e-10, 1e-11, 1e-12)
_CON, _NTAB, _SAFE = 1.4, 10, 2.0


@dataclass(frozen=True)
class Estimate:
    """A finite-difference partial with an error bound."""

    value: float
    error: float


@dataclass
class OracleResult:
    """One argument's partials from the generated callable against `f` at
    some points."""

    agreed: int = 0              # points with a nonzero partial where both agree
    flat: int = 0                # points where both are zero or unresolved (agree, prove nothing)
    skipped: int = 0             # points not checked (f not smooth there, or a call raised)
    why_skipped: str = ""
    max_rel_error: float = 0.0   # over the `agreed` points
    counterexample: tuple[tuple, float, float] | None = None   # (point, finite difference, srcgrad)

    @property
    def mismatch(self) -> bool:
        return self.counterexample is not None

    def merge(self, other: "OracleResult") -> "OracleResult":
        return OracleResult(self.agreed + other.agreed, self.flat + other.flat, self.skipped + other.skipped,
                            self.why_skipped or other.why_skipped,
                            max(self.max_rel_error, other.max_rel_error),
                            self.counterexample or other.counterexample)


class Oracle:
    """Compares `gradient` (returning the partials with respect to
    `indices`, one number or a tuple) with finite differences of `f`."""

    def __init__(self, f: Callable[..., Any], gradient: Callable[..., Any], indices: Sequence[int]) -> None:
        self.f = f
        self.gradient = gradient
        self.indices = tuple(indices)

    def check(self, points: Sequence[tuple]) -> dict[int, OracleResult]:
        results = {i: OracleResult() for i in self.indices}
        for point in points:
            for i, outcome in self.at(tuple(point)).items():
                results[i] = results[i].merge(outcome)
        return results

    def at(self, point: tuple) -> dict[int, OracleResult]:
        """Each argument's outcome at one point."""
        try:
            got = self.gradient(*point)
            float(self.f(*point))
        except Exception as err:   # a raising call gives no number to be wrong: not checked
            return {i: _skip(f"{type(err).__name__} at {point!r}") for i in self.indices}
        partials = got if isinstance(got, tuple) else (got,)
        out = {}
        for i, g in zip(self.indices, partials):
            estimate = self.partial(point, i)
            if estimate is None:
                out[i] = _skip(f"f is not smooth (or not defined) near {point!r}")
                continue
            out[i] = _judge(point, estimate, _as_float(g))
            if out[i].mismatch and self.agrees_at_some_scale(point, i, _as_float(g)):
                out[i] = _skip(f"finite differences of f at {point!r} depend on the step (f rounds "
                               f"coarsely, or oscillates faster than the steps, here)")
        return out

    def partial(self, point: tuple, i: int) -> Estimate | None:
        """d f / d point[i], or None where f is not smooth near the point
        (a central and two one-sided extrapolations disagree, at every scale
        of `STARTS`) or cannot be evaluated nearby.  A finer scale where f
        takes one value at every step is skipped: f's rounding of its
        intermediates (``log(1 + 1e-12)``) makes plateaus a wider step sees
        through."""
        for k, (wide, narrow) in enumerate(STARTS):
            found = self._partial(point, i, wide, narrow, plateau_is_flat=k == 0)
            if found is not None:
                return found if self._confirmed_finer(point, i, found) else None
        return None

    def _confirmed_finer(self, point: tuple, i: int, found: Estimate) -> bool:
        """Whether `found` stands against finer steps.  A function
        oscillating faster than the steps (cos(x * x) at x = 3e4) aliases into
        a smooth-looking, converged but wrong limit, and only steps below its
        period see the truth.  Finer steps also see the rounding of f's
        intermediates, so they contradict `found` only when two finer starts
        settle (error, rounding included, below 1%) on one value that
        differs from it."""
        phi = self._along(point, i, [0.0], [])
        x = float(point[i])
        settled: list[Estimate] = []
        for start in FINER_STARTS:
            step = start * max(abs(x), 1.0)
            smallest = step / _CON ** (_NTAB - 1)
            try:
                fine = _central(phi, x, step)
                # Ridders' error sees no rounding: add f's measured noise over the smallest step
                noise = (10 * noise_level(phi, x, smallest) + 10 * EPS * abs(phi(x))) / smallest
            except (ArithmeticError, ValueError, TypeError, IndexError):
                continue
            if fine is None or fine.error + noise > 10 * RESOLVED * abs(fine.value):
                continue        # rounding dominates at this step: no evidence either way
            fine = Estimate(fine.value, fine.error + noise)
            if any(_same(fine, other) and not _same(fine, found) for other in settled):
                return False
            settled.append(fine)
        return True

    def agrees_at_some_scale(self, point: tuple, i: int, got: float) -> bool:
        """Whether a central extrapolation from some starting step, within
        its own error, gives `got`: then the disagreement depends on the step
        (coarse rounding inside f), and is no evidence of a wrong gradient."""
        phi = self._along(point, i, [0.0], [])
        x = float(point[i])
        for wide, _ in STARTS:
            try:
                estimate = _central(phi, x, wide * max(abs(x), 1.0))
            except (ArithmeticError, ValueError, TypeError, IndexError):
                continue
            if estimate is not None and _same(estimate, Estimate(got, 0.0)):
                return True
        return False

    def _along(self, point: tuple, i: int, largest: list[float], seen: list[float]) -> Callable[[float], float]:
        """f as a function of argument `i`, recording its largest value and
        the values it took."""
        def phi(t: float) -> float:
            moved = list(point)
            moved[i] = t
            value = float(self.f(*moved))
            largest[0] = max(largest[0], abs(value))
            seen.append(value)
            return value
        return phi

    def _partial(self, point: tuple, i: int, wide: float, narrow: float,
                 plateau_is_flat: bool) -> Estimate | None:
        x = float(point[i])
        largest = [0.0]
        seen: list[float] = []
        phi = self._along(point, i, largest, seen)

        scale = max(abs(x), 1.0)
        wide, narrow = wide * scale, narrow * scale
        try:
            here = phi(x)
            estimates = (_central(phi, x, wide),
                         ridders(lambda s: _quotient(phi, x, x + s, at_down=here), narrow, 1),
                         ridders(lambda s: _quotient(phi, x - s, x, at_up=here), narrow, 1))
        except (ArithmeticError, ValueError, TypeError, IndexError):
            return None
        if any(e is None for e in estimates):
            return None
        if not plateau_is_flat and min(seen) == max(seen):
            return None          # one value at every step: a rounding plateau, or truly flat
        values = [e.value for e in estimates]
        # smoothness is judged with the rounding of values as large as any f
        # computed (a kink inflates a measured noise level: it would hide itself)
        noise = 10 * EPS * largest[0] / narrow + 1e-300
        if any(e.error > CONVERGED * abs(e.value) + noise for e in estimates):
            return None          # no limit: a jump within the steps, or f too wild here
        spread = max(values) - min(values)
        error = max(e.error for e in estimates) + noise
        if spread > RTOL * max(abs(v) for v in values) + 4 * error:
            return None          # the sides disagree: a kink, a jump, a branch boundary
        # the verdict allows for f's own measured noise too (cancellation of
        # large intermediates: cosh(x)**2 - sinh(x)**2 is all rounding)
        try:
            measured = 10 * noise_level(phi, x, narrow / _CON ** _NTAB) / narrow
        except (ArithmeticError, ValueError, TypeError, IndexError):
            return None
        return Estimate(estimates[0].value, error + spread + measured)


def _central(phi: Callable[[float], float], x: float, step: float) -> Estimate | None:
    """d phi / dx at `x` by Ridders' extrapolation of central differences from `step` down."""
    return ridders(lambda s: _quotient(phi, x - s, x + s), step, 2)


def _same(a: Estimate, b: Estimate) -> bool:
    """Whether two estimates agree within their error bounds."""
    return abs(a.value - b.value) <= RTOL * max(abs(a.value), abs(b.value)) + 4 * (a.error + b.error)


def noise_level(phi: Callable[[float], Any], x: float, spacing: float) -> Any:
    """A bound on the rounding noise in `phi`'s values near `x`, measured
    from sixth differences of nine values `spacing` apart (as Moré and
    Wild's ECnoise does): a smooth function's sixth differences vanish at
    small spacings, however it wiggles; noise's are about 30 times the noise.  The size of phi's
    values can understate it badly: ``cosh(x)**2 - sinh(x)**2`` is all
    rounding.  With a safety factor of 4; for a `phi` returning a tuple,
    one bound per entry."""
    values = [phi(x + k * spacing) for k in range(-4, 5)]
    columns = list(zip(*values)) if isinstance(values[0], tuple) else [values]
    bounds = tuple(4 * max(abs(sum(c * column[j + k] for k, c in enumerate(_SIXTH))) for j in range(3)) / 30
                   for column in columns)
    return bounds if isinstance(values[0], tuple) else bounds[0]


_SIXTH = (1, -6, 15, -20, 15, -6, 1)


def _quotient(phi: Callable[[float], float], down: float, up: float, at_up: float | None = None,
              at_down: float | None = None) -> float:
    """(phi(up) - phi(down)) / (up - down) over the steps actually taken in floats."""
    high = phi(up) if at_up is None else at_up
    low = phi(down) if at_down is None else at_down
    return (high - low) / (up - down)


def ridders(quotient: Callable[[float], float], h: float, power: int) -> Estimate | None:
    """Ridders' extrapolation to step 0 of `quotient(step)`, whose error is a
    series in ``step ** power`` (2: central differences, 1: one-sided),
    from step `h` down: the best estimate and its error (None if not finite)."""
    ratio = _CON ** power
    table = [[0.0] * _NTAB for _ in range(_NTAB)]
    table[0][0] = quotient(h)
    best, error = table[0][0], math.inf
    for i in range(1, _NTAB):
        h /= _CON
        table[0][i] = quotient(h)
        factor = ratio
        for j in range(1, i + 1):
            table[j][i] = (table[j - 1][i] * factor - table[j - 1][i - 1]) / (factor - 1)
            factor *= ratio
            step_error = max(abs(table[j][i] - table[j - 1][i]), abs(table[j][i] - table[j - 1][i - 1]))
            if step_error <= error:
                best, error = table[j][i], step_error
        if abs(table[i][i] - table[i - 1][i - 1]) >= _SAFE * error:
            break
    if not (math.isfinite(best) and math.isfinite(error)):
        return None
    return Estimate(best, error)


def _judge(point: tuple, estimate: Estimate, got: float) -> OracleResult:
    zero = 4 * estimate.error          # what cannot be told from 0
    if not math.isfinite(got):
        return OracleResult(counterexample=(point, estimate.value, got))
    difference = abs(got - estimate.value)
    if difference > RTOL * max(abs(estimate.value), abs(got)) + zero:
        return OracleResult(counterexample=(point, estimate.value, got))
    if zero > RESOLVED * abs(estimate.value):
        return OracleResult(flat=1)     # zero, or not resolved finely enough to be evidence
    return OracleResult(agreed=1, max_rel_error=difference / max(abs(estimate.value), abs(got)))


def _skip(why: str) -> OracleResult:
    return OracleResult(skipped=1, why_skipped=why)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
