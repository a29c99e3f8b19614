"""`verify(f)`: srcgrad's gradient of `f` against sympy's, argument by argument.

1. Lower `f` and build srcgrad's gradient IR as `grad` does (`cases`).
2. Translate both to sympy (`symbolic`); take sympy's own derivative of the
   primal with respect to each argument.
3. Compare both sides numerically at two sample points from the
   primitives' domains (`sampling`, `numeric`): a difference there is a
   mismatch, shown with the point.
4. Prove the other differences zero (`prove`), in child processes under
   `time_budget` (`budget`).
5. Compare what was not proved at the remaining sample points: agreement
   everywhere is "agrees numerically", with the largest relative error.
6. With control flow, steps 2-5 run per path taken at the sample points.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Sequence

import sympy

from ..ir.core import Function
from ..transform import primal_ir, resolve_argnums
from .budget import Outcome, Workers
from .cases import Case, cases, derivative_ir
from .numeric import RTOL, Comparison, Evaluator, ProgramEvaluator, merge
from .prove import Proof, prove_zero
from .report import MISMATCH, NUMERIC, PROVED, UNCHECKED, ArgumentResult, VerificationReport
from .sampling import param_domains, param_kind, sample_points
from .symbolic import Translator, Untranslatable, derivative, expression_size, signed, symbol, underived


def verify(fun: Any, argnums: Any = 0, *, registry: Any = None, time_budget: float = 5.0,
           points: int = 8, seed: int = 0, at: Sequence[Sequence[Any]] | None = None,
           rtol: float = RTOL) -> VerificationReport:
    """Check srcgrad's gradient of `fun` (a function, a srcgrad-transformed
    function, or a primal IR `Function`) with respect to `argnums` against
    sympy's derivative.

    ``time_budget`` (seconds) bounds the symbolic proofs of all arguments
    together; where none finishes, both sides are compared at `points`
    random points (drawn with `seed` from the primitives' domains, or the
    argument tuples given in `at`) at 50 digits, with relative tolerance
    `rtol`.  `registry` replaces srcgrad's primitive registry (tests plant
    wrong rules in a copy).  Returns a `VerificationReport`, truthy iff every
    argument was proved or agrees numerically.
    """
    start = time.perf_counter()
    primal = fun if isinstance(fun, Function) else primal_ir(fun, registry)
    indices, _ = resolve_argnums(primal, argnums)
    deriv = derivative_ir(primal, indices, registry)
    domains = param_domains(primal)
    symbols = [symbol(n, param_kind(p, d)) for n, p, d in zip(primal.param_names, primal.params, domains)]
    signs = {s: found for s, d in zip(symbols, domains) if (found := signed(s, d)) is not None}
    if at is not None:
        sample = [tuple(p) for p in at]
    else:   # no point at all: perhaps an argument not differentiated is a loop bound
        sample = (sample_points(primal, points, seed)
                  or sample_points(primal, points, seed, integers=set(range(len(symbols))) - set(indices)))
    todo = [i for i in indices if i not in deriv.failures]
    checks: list[CaseCheck] = []
    trouble = ""
    translator = Translator(registry)
    if deriv.fn is not None:
        found, trouble = cases(primal, deriv.fn, sample)
        checks = [CaseCheck(case, todo, deriv.position, symbols, translator, signs) for case in found]
    verdicts = _check(checks, todo, time_budget, rtol, Evaluator(symbols, translator.impls))
    results = []
    for i in indices:
        name = primal.param_names[i]
        reason = deriv.failures.get(i) or trouble
        if reason or not checks:
            result = ArgumentResult(name, i, UNCHECKED, reason=reason or "nothing to check")
        else:
            result = _verdict(name, i, checks, verdicts, time_budget)
        results.append(result)
    readings = {v: str(e) for v, e in translator.readings.items()}
    return VerificationReport(primal.name, tuple(results), readings, time.perf_counter() - start)


SCREEN = 2       # points compared before any proof is attempted
# Largest expression tree (nodes, see `expression_size`) handled
# symbolically; beyond it a case is compared numerically only.
SYMBOLIC_LIMIT = 5000


class CaseCheck:
    """sympy's and srcgrad's derivatives on one straight-line case."""

    def __init__(self, case: Case, indices: Sequence[int], position: dict[int, int],
                 symbols: Sequence[sympy.Symbol], translator: Translator,
                 signs: dict[sympy.Symbol, tuple[sympy.Symbol, str]]) -> None:
        self.case = case
        self.signs = signs
        self.position = position
        self.reference: dict[int, sympy.Expr] = {}
        self.generated: dict[int, sympy.Expr] = {}
        self.unchecked: dict[int, str] = {}
        self.size = max(expression_size(case.primal), expression_size(case.derivative))
        self.symbolic = self.size <= SYMBOLIC_LIMIT
        self.programs = ProgramEvaluator(translator, translator.impls)
        if not self.symbolic:
            return
        try:
            value = translator.function(case.primal, symbols)
            partials = translator.function(case.derivative, symbols)
        except (Untranslatable, TypeError, ValueError) as err:
            self.unchecked = {i: f"no sympy expression: {err}" for i in indices}
            return
        if len(value) != 1:
            self.unchecked = {i: "the function does not return one number" for i in indices}
            return
        for i in indices:
            self.reference[i] = derivative(value[0], symbols[i])
            self.generated[i] = partials[position[i]]
            if underived(self.reference[i]):
                why = "; ".join(translator.opaque.values()) or "sympy cannot differentiate it"
                self.unchecked[i] = f"sympy leaves the derivative unevaluated ({why})"

    def proof_job(self, i: int) -> Any:
        difference = self.reference[i] - self.generated[i]
        assume = {s: version for s, (version, _) in self.signs.items()}
        return lambda note: prove_zero(difference, note, assume)

    def compare(self, indices: Sequence[int], which: slice, evaluator: Evaluator,
                rtol: float) -> list[Comparison]:
        points = self.case.points[which]
        if self.symbolic:
            return evaluator.compare([(self.reference[i], self.generated[i]) for i in indices], points, rtol=rtol)
        return self.programs.compare(self.case.primal, self.case.derivative,
                                     [(i, self.position[i]) for i in indices], points, rtol=rtol)

    def assumptions(self, i: int) -> list[str]:
        """The sign assumptions that apply to the argument's derivative."""
        free = self.reference[i].free_symbols | self.generated[i].free_symbols
        return [text for s, (_, text) in self.signs.items() if s in free]


def _check(checks: list[CaseCheck], indices: Sequence[int], seconds: float, rtol: float,
           evaluator: Evaluator) -> dict[tuple[int, int], tuple[Comparison, Outcome]]:
    """Per (case, argument): a numeric screen at the first `SCREEN` points
    (a mismatch needs no proof), then the proofs under the deadline, then
    the remaining points for what was not proved."""
    keys = {c: [i for i in indices if i not in check.unchecked] for c, check in enumerate(checks)}
    screened = _compare(checks, keys, evaluator, rtol, slice(0, SCREEN))
    workers = Workers({(c, i): checks[c].proof_job(i) for c in keys for i in keys[c]
                       if checks[c].symbolic and not screened[(c, i)].mismatch}, seconds)
    outcomes = workers.collect()
    unproved = {c: [i for i in keys[c] if not isinstance(outcomes.get((c, i), Outcome()).result, Proof)
                    and not screened[(c, i)].mismatch] for c in keys}
    rest = _compare(checks, unproved, evaluator, rtol, slice(SCREEN, None))
    return {(c, i): (merge(screened[(c, i)], rest[(c, i)]) if (c, i) in rest else screened[(c, i)],
                     outcomes.get((c, i), Outcome()))
            for c in keys for i in keys[c]}


def _compare(checks: list[CaseCheck], keys: dict[int, list[int]], evaluator: Evaluator, rtol: float,
             which: slice) -> dict[tuple[int, int], Comparison]:
    found = {}
    for c, indices in keys.items():
        for i, comparison in zip(indices, checks[c].compare(indices, which, evaluator, rtol)):
            found[(c, i)] = comparison
    return found


def _verdict(name: str, i: int, checks: list[CaseCheck], verdicts: dict, seconds: float) -> ArgumentResult:
    """One argument's result from its per-case outcomes: a mismatch on any
    path, else anything not checked, else numeric agreement, else proved."""
    paths = len(checks) if any(c.case.label for c in checks) else 0
    result = ArgumentResult(name, i, PROVED, paths=paths,
                            references=tuple((c.case.label, c.reference[i]) for c in checks if i in c.reference))
    outcomes = [(check, *verdicts[(c, i)]) for c, check in enumerate(checks) if i not in check.unchecked]
    result.points = sum(comparison.points for _, comparison, _ in outcomes)
    result.max_rel_error = max((comparison.max_rel_error for _, comparison, _ in outcomes), default=None)
    for check, comparison, _ in outcomes:
        if comparison.mismatch:
            point, expected, got = comparison.counterexample
            return replace(result, status=MISMATCH, generated_expr=check.generated.get(i),
                           reason=f"on the path {check.case.label}" if paths else "",
                           references=((check.case.label, check.reference[i]),) if i in check.reference else (),
                           counterexample={"at": dict(zip(check.case.primal.param_names, point)),
                                           "sympy": expected, "srcgrad": got})
    for check in checks:
        if i in check.unchecked:
            return replace(result, status=UNCHECKED, reason=check.unchecked[i])
    proofs = [outcome.result for _, _, outcome in outcomes if isinstance(outcome.result, Proof)]
    unproved = [(comparison, outcome) for _, comparison, outcome in outcomes
                if not isinstance(outcome.result, Proof)]
    if any(comparison.points == 0 for comparison, _ in unproved):
        return replace(result, status=UNCHECKED,
                       reason="no proof, and no sample point where both derivatives are defined")
    if unproved:
        large = [check.size for check, _, outcome in outcomes if not check.symbolic]
        reason = (f"too large for sympy (an expression of ~{max(large):.3g} nodes): compared with a "
                  f"50-digit numerical derivative of the primal" if large else _no_proof(unproved[0][1], seconds))
        return replace(result, status=NUMERIC, reason=reason)
    assumed = [text for check, _, outcome in outcomes if outcome.result.assumed for text in check.assumptions(i)]
    return replace(result, method=", ".join(dict.fromkeys(p.step for p in proofs)),
                   except_on=tuple(dict.fromkeys(e for p in proofs for e in p.except_on)),
                   assumptions=tuple(dict.fromkeys(assumed)))


def _no_proof(outcome: Outcome, seconds: float) -> str:
    if outcome.error:
        return f"the proof failed ({outcome.error})"
    if outcome.finished:
        return "sympy could not simplify the difference to zero"
    doing = f" (was trying {outcome.last_note})" if outcome.last_note else ""
    return f"no proof within the time budget of {seconds:g} s{doing}"
