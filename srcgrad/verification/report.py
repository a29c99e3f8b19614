"""What verification found: one `ArgumentResult` per argument, in a
`VerificationReport` that is truthy exactly when every argument checked out.

Statuses, strongest first:

* ``proved``: srcgrad's derivative minus sympy's simplifies to zero;
* ``agrees numerically``: no proof within the time budget, but the two agree
  at every sample point, evaluated at 50 digits (max relative error and
  number of points reported);
* ``MISMATCH``: they differ; both expressions and a point are shown;
* ``could not check``: and why.  Never counted as success.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import VerificationError

PROVED = "proved"
NUMERIC = "agrees numerically"
MISMATCH = "MISMATCH"
UNCHECKED = "could not check"


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
    paths: int = 0               # straight-line paths checked (0: no control flow)

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
        where = f" on {self.paths} path(s)" if self.paths else ""
        given = f" for {', '.join(self.assumptions)}" if self.assumptions else ""
        if self.status == PROVED:
            text = f"proved{where}{given} ({self.method})"
            if self.except_on:
                text += (f", except on the measure-zero set {' or '.join(self.except_on)} where branches "
                         f"meet (srcgrad's convention at kinks applies there)")
            return text
        if self.status == NUMERIC:
            return (f"agrees numerically{where}{given}: max relative error {self.max_rel_error:.1e} over "
                    f"{self.points} point(s); {self.reason}")
        if self.status == MISMATCH:
            return f"MISMATCH{where}"
        return f"could not check: {self.reason}"

    def lines(self) -> list[str]:
        out = [f"  d/d{self.name}: {self.summary()}"]
        for n, line in enumerate(self.reference.splitlines()):
            out.append(f"      {'sympy:' if n == 0 else '':<9}{line}")
        if self.status == MISMATCH and self.generated_expr is not None:
            out.append(f"      srcgrad: {self.generated}")
            if self.counterexample:
                at = ", ".join(f"{k}={v!r}" for k, v in self.counterexample["at"].items())
                out.append(f"      at {at}: sympy gives {self.counterexample['sympy']!r}, "
                           f"srcgrad gives {self.counterexample['srcgrad']!r}")
            if self.reason:
                out.append(f"      {self.reason}")
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
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

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
        verdict = "ok" if self.ok else "FAILED"
        lines = [f"verification of {self.function}(): {verdict} ({self.seconds:.2f} s)"]
        for r in self.results:
            lines.extend(r.lines())
        if self.readings:
            read = ", ".join(f"{value!r} as {text}" for value, text in self.readings.items())
            lines.append(f"  float constants read exactly: {read}")
        return "\n".join(lines)

    __repr__ = __str__

    def raise_if_failed(self) -> "VerificationReport":
        """Raise `srcgrad.VerificationError` (with this report) unless ok."""
        if not self.ok:
            raise VerificationError(f"srcgrad could not confirm the gradient of {self.function}():\n{self}")
        return self
