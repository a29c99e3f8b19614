"""What verification found: one `ArgumentResult` per argument, in a
`VerificationReport` whose `status` sums them up.

Statuses (``report.status``, ``result.status``, per path ``PathResult.status``):

* ``proved``: srcgrad's derivative minus sympy's simplifies to zero on every
  path, and the generated gradient agrees with finite differences of `f`
  itself wherever they could be compared;
* ``agreed``: no proof (within the time budget, or sympy cannot read part of
  `f`), but srcgrad's gradient agrees at every sample point that carries
  information (a point where every partial is zero does not), with 50-digit
  sympy evaluation and/or with finite differences of `f` as Python runs it;
* ``mismatch``: they differ; the expressions and a point are shown;
* ``unchecked``: not checked, and why (a path nothing could compare, a
  branch side no sample point reached, sympy cannot read `f` and `f` cannot be
  compared).  Never counted as success.

An argument is a mismatch if any path is, else unchecked if any path or
branch side is, else agreed if any path only agreed, else proved; the report
likewise over its arguments.  ``report.ok`` is true for proved and agreed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import VerificationError

PROVED = "proved"
NUMERIC = "agreed"
MISMATCH = "mismatch"
UNCHECKED = "unchecked"
_SEVERITY = (MISMATCH, UNCHECKED, NUMERIC, PROVED)     # the first one present wins


def combine(statuses: Iterable[str]) -> str:
    """The status of a whole made of parts with these statuses (none: unchecked)."""
    present = set(statuses)
    if not present:
        return UNCHECKED
    return next(status for status in _SEVERITY if status in present)


@dataclass(frozen=True)
class PathResult:
    """One straight-line path's verdict for one argument."""

    label: str
    status: str
    note: str = ""
    proof: Any = None                  # the `prove.Proof`, when proved
    generated_expr: Any = None         # srcgrad's derivative, on a symbolic mismatch
    counterexample: dict[str, Any] | None = None


@dataclass
class ArgumentResult:
    """The verdict on the derivative with respect to one argument."""

    name: str
    index: int
    status: str
    # sympy's own derivative, as (path label, expression) pairs: one pair
    # with label '' without control flow; the mismatching path on a mismatch
    references: tuple[tuple[str, Any], ...] = ()
    generated_expr: Any = None   # srcgrad's derivative in sympy, on a mismatch
    method: str = ""             # proof step, when proved
    except_on: tuple[str, ...] = ()   # measure-zero sets the proof excludes
    assumptions: tuple[str, ...] = ()  # e.g. ("x > 0",) from the domains
    points: int = 0
    max_rel_error: float | None = None
    counterexample: dict[str, Any] | None = None   # {"at": {name: value}, "sympy": v, "srcgrad": v}
    reason: str = ""
    paths: int = 0               # straight-line paths found (0: no control flow)
    path_results: tuple[PathResult, ...] = ()
    unreached: tuple[str, ...] = ()      # branch sides no sample point took: not checked
    measure_zero: tuple[str, ...] = ()   # ... of which only on equality tests (x == c)
    searched: int = 0            # points tried to reach unreached branch sides
    compared: int = 0            # points where the generated gradient agreed with f's finite differences
    flat: int = 0                # points where both were zero (no evidence)
    not_run: str = ""            # why the generated gradient was not run against f, if it was not

    @property
    def ok(self) -> bool:
        return self.status in (PROVED, NUMERIC)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def reference(self) -> str:
        """sympy's derivative as text (one line per path, labelled)."""
        return "\n".join((f"[{label}] " if label else "") + show(expr) for label, expr in self.references)

    @property
    def generated(self) -> str:
        return "" if self.generated_expr is None else show(self.generated_expr)

    def summary(self) -> str:
        where = self._where()
        given = f" for {', '.join(self.assumptions)}" if self.assumptions else ""
        if self.status == PROVED:
            text = f"proved{where}{given} ({self.method})"
            if self.except_on:
                text += (f", except on the measure-zero set {' or '.join(self.except_on)} where branches "
                         f"meet (srcgrad's convention at kinks applies there)")
            return text + self._ran()
        if self.status == NUMERIC:
            error = f"max relative error {self.max_rel_error:.1e} over {self.points} point(s); " \
                if self.max_rel_error is not None else ""
            return f"agrees numerically{where}{given}: {error}{self.reason}{self._ran()}"
        if self.status == MISMATCH:
            return f"MISMATCH{where}"
        return f"not checked: {self.reason}"

    def _where(self) -> str:
        if not self.paths:
            return ""
        found = self.paths + len(self.unreached)
        return f" on {self.paths} path(s)" if found == self.paths else f" on {self.paths} of {found}+ path(s)"

    def _ran(self) -> str:
        if self.not_run:
            return f"; the generated gradient was not run against f ({self.not_run})"
        if not self.compared and not self.flat:
            return ""
        flat = (f" ({self.flat} more where the partial cannot be told from zero: flat, no evidence)"
                if self.flat else "")
        return f"; the generated gradient agrees with finite differences of f at {self.compared} point(s){flat}"

    def lines(self) -> list[str]:
        out = [f"  d/d{self.name}: {self.summary()}"]
        for n, line in enumerate(self.reference.splitlines()):
            out.append(f"      {'sympy:' if n == 0 else '':<9}{line}")
        if self.status == MISMATCH:
            if self.generated_expr is not None:
                out.append(f"      srcgrad: {self.generated}")
            if self.counterexample:
                at = ", ".join(f"{k}={v!r}" for k, v in self.counterexample["at"].items())
                said = ", ".join(f"{k} gives {v!r}" for k, v in self.counterexample.items() if k != "at")
                out.append(f"      at {at}: {said}")
            if self.reason:
                out.append(f"      {self.reason}")
        if len(self.path_results) > 1 or self.unreached or self.measure_zero:
            for path in self.path_results:
                note = f": {path.note}" if path.note and path.status != PROVED else ""
                out.append(f"      path [{path.label}]: {path.status}{note}")
            for side in self.unreached:
                out.append(f"      branch {side}: unchecked (no sample point reached it; "
                           f"{self.searched} point(s) searched)")
            for side in self.measure_zero:
                out.append(f"      branch {side}: taken only on a set of measure zero (an equality test); "
                           f"not checked there")
        return out


SHOWN_NODES = 1500     # larger expressions are summarised, not printed


def show(expr: Any) -> str:
    """`expr` as text, or a summary when it is too large to read."""
    nodes = _tree_size(expr, {})
    return str(expr) if nodes <= SHOWN_NODES else f"<an expression of {nodes} nodes>"


def _tree_size(expr: Any, memo: dict) -> int:
    size = memo.get(expr)
    if size is None:
        size = memo[expr] = 1 + sum(_tree_size(a, memo) for a in getattr(expr, "args", ()))
    return size


@dataclass
class VerificationReport:
    """Per-argument verdicts for one function.  ``bool(report)`` is
    ``report.ok``; ``report["x"]`` or ``report[0]`` is an argument's result."""

    function: str
    results: tuple[ArgumentResult, ...]
    readings: dict[float, str] = field(default_factory=dict)   # float constants read exactly
    seconds: float = 0.0

    @property
    def status(self) -> str:
        """proved, agreed, unchecked or mismatch: the weakest of the arguments'."""
        return combine(r.status for r in self.results)

    @property
    def ok(self) -> bool:
        return self.status in (PROVED, NUMERIC)

    def __bool__(self) -> bool:
        return self.ok

    def __getitem__(self, key: int | str) -> ArgumentResult:
        for r in self.results:
            if key in (r.name, r.index):
                return r
        raise KeyError(key)

    def __iter__(self):
        return iter(self.results)

    def __str__(self) -> str:
        verdict = {PROVED: "ok, proved", NUMERIC: "ok, agreed numerically", UNCHECKED: "NOT CHECKED",
                   MISMATCH: "FAILED, MISMATCH"}[self.status]
        lines = [f"verification of {self.function}(): {verdict} ({self.seconds:.2f} s)"]
        for r in self.results:
            lines.extend(r.lines())
        if self.readings:
            read = ", ".join(f"{value!r} as {text}" for value, text in self.readings.items())
            lines.append(f"  float constants read exactly: {read}")
        return "\n".join(lines)

    __repr__ = __str__

    def raise_if_failed(self) -> "VerificationReport":
        """Raise `srcgrad.VerificationError` (with this report) unless ok:
        on a mismatch, and when something could not be checked (so that
        ``grad(f, verify=True)`` never returns an unverified gradient)."""
        if not self.ok:
            what = "found a wrong gradient for" if self.status == MISMATCH else "could not check the gradient of"
            raise VerificationError(f"srcgrad {what} {self.function}():\n{self}")
        return self
