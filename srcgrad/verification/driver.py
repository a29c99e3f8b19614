"""`verify(f)`: srcgrad's gradient of `f` against sympy's, argument by argument,
and the gradient that runs against `f` as Python runs it.

1. Lower `f` and build srcgrad's gradient IR as `grad` does (`cases`).
2. Find the paths the sample points take; search for points reaching every
   branch side no point took (`coverage`).  A side still unreached is "not
   checked".
3. Translate both to sympy (`symbolic`); take sympy's own derivative of the
   primal with respect to each argument.
4. Compare both sides numerically at two sample points (`numeric`): a
   difference there is a mismatch, shown with the point.
5. Prove the other differences zero (`prove`), in child processes under
   `time_budget` (`budget`); compare what was not proved at the remaining
   points ("agrees numerically").
6. Run the generated gradient (what ``grad(f, argnums)`` returns) at every
   point and compare it with finite differences of `f` itself (`oracle`):
   a disagreement is a mismatch even where step 5 proved the reading right,
   since the reading may not be what runs.
7. Per path and per argument: mismatch, else not checked, else agreed, else
   proved (`report`).
8. For a gradient srcgrad made (``verify(grad(f))``), also run it against
   finite differences of what it was made from (`claim`): a gradient made
   before ``f`` changed is a mismatch.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Sequence

import sympy

from ..errors import SrcGradError
from ..ir.core import INT, Function
from ..primitives.core import REALS
from ..ir.interpret import MissingTraceHook, PathTooLong, trace
from ..transform import primal_ir, resolve_argnums
from .budget import Outcome, Workers
from .claim import broken_claim
from .cases import Case, Derivative, cases, derivative_ir
from .coverage import Side, branch_sides, describe, reached, search, wide_points
from .numeric import RTOL, Comparison, Evaluator, ProgramEvaluator, merge
from .oracle import Oracle, OracleResult
from .prove import Proof, prove_zero
from .report import (MISMATCH, NUMERIC, PROVED, UNCHECKED, ArgumentResult, PathResult, VerificationReport,
                     combine)
from .sampling import PATH_LIMIT, defined_at, param_domains, param_kind, sample_points
from .symbolic import Translator, Untranslatable, derivative, expression_size, signed, symbol, underived


def verify(fun: Any, argnums: Any = 0, *, registry: Any = None, time_budget: float = 5.0,
           points: int = 8, seed: int = 0, at: Sequence[Sequence[Any]] | None = None,
           rtol: float = RTOL, gradient: Any = None) -> VerificationReport:
    """Check srcgrad's gradient of `fun` (a function, a srcgrad-transformed
    function, or a primal IR `Function`) with respect to `argnums`.

    Symbolically: srcgrad's derivative IR against sympy's derivative of
    srcgrad's reading of `fun`.  ``time_budget`` (seconds) bounds the proofs
    of all arguments together; where none finishes, both sides are compared
    at `points` random points (drawn with `seed` from the primitives'
    domains, plus as many of both signs at magnitudes from 1e-2 to 1e5, or the argument
    tuples given in `at`; plus points found to reach every branch) at 50
    digits, with relative tolerance `rtol`.

    Against what runs: `gradient` (default: what ``grad(fun, argnums)``
    returns; with `registry`, code generated from the derivative IR checked)
    is called at the same points and compared with finite differences of
    `fun` itself.  Not done for an IR `Function`, which has no Python to run.

    `registry` replaces srcgrad's primitive registry (tests plant wrong
    rules in a copy).  Returns a `VerificationReport`; its `status` is
    proved, agreed, unchecked or mismatch, and it is truthy (``.ok``) only
    for proved or agreed.
    """
    start = time.perf_counter()
    primal = fun if isinstance(fun, Function) else primal_ir(fun, registry)
    indices, _ = resolve_argnums(primal, argnums)
    deriv = derivative_ir(primal, indices, registry)
    domains = param_domains(primal)
    symbols = [symbol(n, param_kind(p, d)) for n, p, d in zip(primal.param_names, primal.params, domains)]
    signs = {s: found for s, d in zip(symbols, domains) if (found := signed(s, d)) is not None}
    sample = [tuple(p) for p in at] if at is not None else _sample(primal, indices, domains, points, seed)
    todo = [i for i in indices if i not in deriv.failures]
    checks: list[CaseCheck] = []
    trouble = ""
    coverage = Coverage()
    translator = Translator(registry)
    if deriv.fn is not None:
        found, trouble = cases(primal, deriv.fn, sample)
        if found:
            found, coverage = _reach_every_branch(primal, deriv.fn, found, sample, domains, seed)
        checks = [CaseCheck(case, todo, deriv.position, symbols, translator, signs) for case in found]
    verdicts = _check(checks, todo, time_budget, rtol, Evaluator(symbols, translator.impls))
    oracle, no_oracle = _oracle(fun, deriv, registry, gradient, todo)
    runs = {c: oracle.check(check.case.points) for c, check in enumerate(checks)} if oracle else {}
    results = []
    for i in indices:
        name = primal.param_names[i]
        reason = deriv.failures.get(i) or trouble
        if reason or not checks:
            result = ArgumentResult(name, i, UNCHECKED, reason=reason or "nothing to check")
        else:
            result = _verdict(name, i, checks, verdicts, time_budget, runs, no_oracle, coverage)
        results.append(result)
    broken = None if isinstance(fun, Function) else broken_claim(fun, sample, primal.param_names)
    if broken is not None:      # a stale gradient: right about itself, wrong as what it claims to be
        results = [replace(r, status=MISMATCH, reason=broken.reason, counterexample=broken.counterexample)
                   for r in results]
    readings = {v: str(e) for v, e in translator.readings.items()}
    return VerificationReport(primal.name, tuple(results), readings, time.perf_counter() - start)


def _sample(primal: Function, indices: Sequence[int], domains: Sequence[Any], points: int,
            seed: int) -> list[tuple]:
    """`points` points from the primitives' domains, and points of both signs
    and many magnitudes beside them."""
    sample = (sample_points(primal, points, seed)   # none: perhaps an argument not differentiated is a loop bound
              or sample_points(primal, points, seed, integers=set(range(len(primal.params))) - set(indices)))
    return sample + wide_points(lambda point: defined_at(primal, point), max(2, points // 2),
                                _bounded(domains), _whole(primal, sample), seed)


def _whole(primal: Function, sample: Sequence[tuple]) -> list[bool]:
    """Which parameters take whole numbers (int parameters, loop bounds)."""
    return [p.kind == INT or any(type(point[k]) is int for point in sample) for k, p in enumerate(primal.params)]


def _bounded(domains: Sequence[Any]) -> list[Any]:
    return [d if d is not None else REALS for d in domains]


class Coverage:
    """The branch sides no sample point reached (after the search), and the
    measure-zero ones among them (sides of an equality test)."""

    def __init__(self, unreached: Sequence[Side] = (), measure_zero: Sequence[Side] = (), tried: int = 0) -> None:
        self.unreached = tuple(describe(s) for s in unreached)
        self.measure_zero = tuple(describe(s) for s in measure_zero)
        self.tried = tried


def _reach_every_branch(primal: Function, derivative: Function, found: list[Case], sample: list[tuple],
                        domains: Sequence[Any], seed: int) -> tuple[list[Case], Coverage]:
    sides = branch_sides(primal, derivative)
    seen = set().union(*(reached(case.decisions) for case in found))
    missing = {s for s in sides if s not in seen}
    tried = 0
    if missing:
        extra, tried = search(lambda point: _sides_at(primal, derivative, point), missing, sample,
                              _bounded(domains), _whole(primal, sample), seed)
        if extra:
            more, _ = cases(primal, derivative, sample + extra)
            found = more or found
            seen = set().union(*(reached(case.decisions) for case in found))
    left = [s for s in sides if s not in seen]
    return found, Coverage([s for s in left if not sides[s]], [s for s in left if sides[s]], tried)


def _sides_at(primal: Function, derivative: Function, point: tuple) -> set[Side]:
    """The branch sides `point` takes (none where the function is undefined there)."""
    try:
        sides = reached(trace(primal, point, PATH_LIMIT).decisions + trace(derivative, point, PATH_LIMIT).decisions)
    except (MissingTraceHook, ArithmeticError, ValueError, TypeError, IndexError, PathTooLong):
        return set()
    return sides if defined_at(primal, point) else set()


def _oracle(fun: Any, deriv: Derivative, registry: Any, gradient: Any,
            indices: Sequence[int]) -> tuple[Oracle | None, str]:
    """The oracle running `fun` against the gradient that runs, or None and why not."""
    if isinstance(fun, Function) or not callable(fun):
        return None, "given as IR, with no Python function to run"
    if deriv.fn is None or not indices:
        return None, "no gradient to run"
    if gradient is None:
        try:
            gradient = _generated(fun, deriv, registry, indices)
        except SrcGradError as err:
            return None, f"srcgrad does not generate the gradient ({err.message})"
    return Oracle(fun, gradient, indices), ""


def _generated(fun: Any, deriv: Derivative, registry: Any, indices: Sequence[int]) -> Any:
    """What runs: ``grad(fun, argnums)``; with a planted `registry`, the
    code generated from the derivative IR under check."""
    if registry is None:
        from ..api import grad
        return grad(fun, argnums=tuple(indices))
    from ..codegen.emit import compile_module, emit_module
    return compile_module(emit_module(deriv.fn), "verify")


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

    def identical(self, i: int) -> bool:
        return self.reference[i] == self.generated[i]

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
    todo = [(c, i) for c in keys for i in keys[c] if checks[c].symbolic and not screened[(c, i)].mismatch]
    # sides built equal need no worker, nor any time budget
    same = {key: Outcome(Proof("identical"), finished=True) for key in todo if checks[key[0]].identical(key[1])}
    workers = Workers({key: checks[key[0]].proof_job(key[1]) for key in todo if key not in same}, seconds)
    outcomes = {**workers.collect(), **same}
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


def _verdict(name: str, i: int, checks: list[CaseCheck], verdicts: dict, seconds: float,
             runs: dict[int, dict[int, OracleResult]], no_oracle: str, coverage: Coverage) -> ArgumentResult:
    """One argument's result: each path judged (`_path`), then combined with
    the branch sides no point reached."""
    labelled = any(c.case.label for c in checks)
    paths = tuple(_path(check, i, verdicts.get((c, i)), runs.get(c, {}).get(i), seconds)
                  for c, check in enumerate(checks))
    result = ArgumentResult(name, i, PROVED, paths=len(checks) if labelled else 0, path_results=paths,
                            references=tuple((c.case.label, c.reference[i]) for c in checks if i in c.reference),
                            unreached=coverage.unreached, measure_zero=coverage.measure_zero,
                            searched=coverage.tried, not_run=no_oracle)
    outcomes = [(check, *verdicts[(c, i)]) for c, check in enumerate(checks) if (c, i) in verdicts]
    result.points = sum(comparison.points for _, comparison, _ in outcomes)
    errors = [comparison.max_rel_error for _, comparison, _ in outcomes if comparison.informative]
    result.max_rel_error = max(errors, default=None)
    ran = [run for c in runs for j, run in runs[c].items() if j == i]
    result.compared = sum(run.agreed for run in ran)
    result.flat = sum(run.flat for run in ran)
    result.status = combine([p.status for p in paths] + ([UNCHECKED] if coverage.unreached else []))
    if result.status == MISMATCH:
        c, bad = next((c, p) for c, p in enumerate(paths) if p.status == MISMATCH)
        check = checks[c]
        return replace(result, generated_expr=bad.generated_expr, reason=bad.note,
                       references=((check.case.label, check.reference[i]),) if i in check.reference else (),
                       counterexample=bad.counterexample)
    if result.status == UNCHECKED:
        first = next((p for p in paths if p.status == UNCHECKED), None)
        reason = (first.note if first is not None else
                  f"the branch side(s) {', '.join(coverage.unreached)} were reached by no sample point "
                  f"({coverage.tried} more point(s) searched): what srcgrad does there is not checked")
        return replace(result, reason=reason)
    if result.status == NUMERIC:
        return replace(result, reason=next(p.note for p in paths if p.status == NUMERIC))
    proofs = [p.proof for p in paths]
    assumed = [text for p, check in zip(paths, checks) if p.proof.assumed for text in check.assumptions(i)]
    return replace(result, method=", ".join(dict.fromkeys(p.step for p in proofs)),
                   except_on=tuple(dict.fromkeys(e for p in proofs for e in p.except_on)),
                   assumptions=tuple(dict.fromkeys(assumed)))


def _path(check: CaseCheck, i: int, verdict: tuple[Comparison, Outcome] | None, run: OracleResult | None,
          seconds: float) -> PathResult:
    """One path's verdict for argument `i`: the symbolic side (proof, or
    50-digit comparison) and the run of the generated gradient against `f`."""
    label = check.case.label
    if verdict is not None and verdict[0].mismatch:
        point, expected, got = verdict[0].counterexample
        return PathResult(label, MISMATCH, f"on the path {label}" if label else "",
                          generated_expr=check.generated.get(i), counterexample={
                              "at": dict(zip(check.case.primal.param_names, point)),
                              "sympy": expected, "srcgrad": got})
    if run is not None and run.mismatch:
        point, expected, got = run.counterexample
        return PathResult(label, MISMATCH, _oracle_mismatch(label), counterexample={
            "at": dict(zip(check.case.primal.param_names, point)),
            "finite differences of f": expected, "srcgrad": got})
    ran = run is not None and run.agreed + run.flat > 0
    evidence = run is not None and run.agreed > 0
    unrun = (f"the generated gradient could not be compared with f on this path ({run.why_skipped})"
             if run is not None else "")
    if verdict is None:                   # no symbolic check at all on this path
        why = check.unchecked.get(i, "no symbolic check")
        if evidence:
            return PathResult(label, NUMERIC, f"agrees with finite differences of f at {run.agreed} point(s); "
                                              f"no symbolic check ({why})")
        return PathResult(label, UNCHECKED, why + (f"; {_flat(run)}" if run is not None and run.flat else ""))
    comparison, outcome = verdict
    if isinstance(outcome.result, Proof):
        if run is not None and not ran:
            return PathResult(label, UNCHECKED, f"proved for srcgrad's reading of f, but {unrun}")
        return PathResult(label, PROVED, "", proof=outcome.result)
    if comparison.points == 0:
        if evidence:
            return PathResult(label, NUMERIC, f"agrees with finite differences of f at {run.agreed} point(s); "
                                              f"no proof, and no sample point where the symbolic "
                                              f"sides could be compared")
        why = f"; {run.why_skipped}" if run is not None and run.why_skipped else ""
        return PathResult(label, UNCHECKED, "no proof, and no sample point where the two sides could be compared "
                                            "(undefined there, or a numerical derivative that does not settle: "
                                            f"an ill-conditioned point){why}")
    if not comparison.informative and not evidence:
        return PathResult(label, UNCHECKED, "no proof, and every sample point is flat (all partials zero): "
                                            "zero agreeing with zero proves nothing")
    if run is not None and not ran:
        return PathResult(label, UNCHECKED, f"no proof, and {unrun}")
    reason = (f"too large for sympy (an expression of ~{check.size:.3g} nodes): compared with a "
              f"50-digit numerical derivative of the primal" if not check.symbolic else _no_proof(outcome, seconds))
    return PathResult(label, NUMERIC, reason)


def _oracle_mismatch(label: str) -> str:
    where = f" on the path {label}" if label else ""
    return (f"the generated gradient disagrees with finite differences of f itself (as Python runs it){where}: "
            f"srcgrad's reading of f, or a derivative rule, is not what runs")


def _flat(run: OracleResult) -> str:
    return f"f is flat at {run.flat} point(s) (all partials zero), which proves nothing"


def _no_proof(outcome: Outcome, seconds: float) -> str:
    if outcome.error:
        return f"the proof failed ({outcome.error})"
    if outcome.finished:
        return "sympy could not simplify the difference to zero"
    doing = f" (was trying {outcome.last_note})" if outcome.last_note else ""
    return f"no proof within the time budget of {seconds:g} s{doing}"
