"""What verification checks: straight-line (primal, derivative) program pairs.

`derivative_ir` builds srcgrad's gradient IR exactly as `grad` does (reverse
mode, then the optimisation passes), remembering which arguments have no
derivative at all (a primitive without a rule).  `cases` turns the pair into
straight-line programs: itself when there is no control flow, otherwise one
pair per path taken at the sample points (`srcgrad.ir.interpret.trace`), so
each path is a program sympy can differentiate.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from ..ad.reverse import reverse
from ..errors import ArgumentError, SrcGradError
from ..ir.core import Function
from ..ir.interpret import MissingTraceHook, PathTooLong, needs_tracing, trace
from ..passes import optimize
from .sampling import PATH_LIMIT


@dataclass
class Derivative:
    """srcgrad's gradient IR: ``fn`` returns the partials of the arguments in
    `position` (argument index -> result index); `failures` says why the
    others have none."""

    fn: Function | None
    position: dict[int, int]
    failures: dict[int, str] = field(default_factory=dict)


def derivative_ir(primal: Function, indices: Sequence[int], registry: Any = None) -> Derivative:
    try:
        return Derivative(optimize(reverse(primal, indices, registry=registry)),
                          {i: k for k, i in enumerate(indices)})
    except ArgumentError:
        raise
    except SrcGradError:
        pass
    failures = {}
    for i in indices:           # find out which arguments the error belongs to
        try:
            reverse(primal, (i,), registry=registry)
        except SrcGradError as err:
            failures[i] = f"srcgrad refuses to differentiate: {err.message}"
    good = [i for i in indices if i not in failures]
    fn = optimize(reverse(primal, good, registry=registry)) if good else None
    return Derivative(fn, {i: k for k, i in enumerate(good)}, failures)


@dataclass
class Case:
    """One straight-line primal and its derivative, with the points where
    they apply.  `label` names the path ('' without control flow)."""

    primal: Function
    derivative: Function
    points: list[tuple] = field(default_factory=list)
    label: str = ""
    decisions: tuple = ()      # the primal's and the derivative's, as traced


def cases(primal: Function, derivative: Function, points: Sequence[tuple]) -> tuple[list[Case], str]:
    """The straight-line cases to check, and a reason if paths could not be
    followed (then the list is empty)."""
    if not needs_tracing(primal) and not needs_tracing(derivative):
        return [Case(primal, derivative, list(points))], ""
    by_path: dict[tuple, Case] = {}
    for point in points:
        try:
            p, d = trace(primal, point, PATH_LIMIT), trace(derivative, point, PATH_LIMIT)
        except MissingTraceHook as err:
            return [], str(err)
        except (ArithmeticError, ValueError, TypeError, IndexError, PathTooLong):
            continue            # undefined here, or too long a path
        key = (p.decisions, d.decisions)
        if key not in by_path:
            # decisions only the derivative makes (a user rule's own `if`) tell paths apart too
            own = tuple(x for x in d.decisions if x[0] not in {where for where, _ in p.decisions})
            label = _label(p.decisions) + (f" (derivative: {_label(own)})" if own else "")
            by_path[key] = Case(p.fn, d.fn, [], label, p.decisions + d.decisions)
        by_path[key].points.append(point)
    if not by_path:
        return [], "no sample point where the function and its derivative are both defined"
    return list(by_path.values()), ""


def _label(decisions: tuple) -> str:
    """The path's decisions, per place in first-seen order, repeats counted:
    ``cond@24=[False×2, True], for_range@22=3``."""
    runs: dict[str, list[list]] = {}
    for where, choice in decisions:
        seen = runs.setdefault(where, [])
        if seen and seen[-1][0] == choice:
            seen[-1][1] += 1
        else:
            seen.append([choice, 1])
    parts = []
    for where, seen in runs.items():
        text = ", ".join(f"{choice}×{count}" if count > 1 else f"{choice}" for choice, count in seen)
        parts.append(f"{where}={text}" if len(seen) == 1 and seen[0][1] == 1 else f"{where}=[{text}]")
    return ", ".join(parts) or "straight line"
