"""Lowering of control flow: if/elif/else, for, while, break, continue, return,
conditional expressions and short-circuit ``and``/``or``.

A lowered block reports its `Outcome`: which ways it may end (``normal``,
``continue``, ``break``, ``return``, and ``next`` inside a long elif chain)
and, when more than one, an int exit code value telling them apart.

Exits keep the IR (and the generated code) as deep as the source, up to a
constant, and its size linear in the source, however many there are:

* *Continuation*: when fewer than `NEST` exits follow an ``if`` that may
  exit, and only one of its branches can fall through, the statements after
  it are lowered into that branch (``if x < 0: return -x`` then ``return x *
  x`` is one conditional with a return value on each side).  Nothing is
  copied: the rest goes into exactly one branch.  This is the form of small
  functions, and the fastest (the backward sweep of one conditional needs no
  exit code).
* *Guarded segments* otherwise: after a statement that may have exited, the
  following statements, up to and including the next `NEST` that may exit,
  run inside one conditional on the exit code (``if exit_code == 0:``), the
  other side passing the exit code, return value and variables through.
  Blocks of any length stay flat: one guard per `NEST` exits, one after
  another.
* Long ``if``/``elif`` chains are cut into chunks of `NEST` tests, each
  nested as written; a chunk none of whose tests held ends with ``next``,
  and the next chunk runs under ``if exit_code == NEXT:``, from the values
  before the chain (a later test is evaluated exactly when Python would).

Names: after a block, `ControlFlowLowering.env` holds the names bound on every
path that goes on to the statements after it.  A path that left the block
(exited) needs no value for a name it did not bind: it gets a placeholder
there, never read; placeholders at a ``break`` or ``continue`` are recorded
in `Outcome.skipped`, since a loop's first iteration must bind a name on all
of its paths for it to have a value after the loop.

Branch and loop bodies are lowered into their own builders and then *closed*:
every outer value a region reads becomes one of its parameters, passed
explicitly by the structured equation (the IR invariant).
"""
from __future__ import annotations

import ast
import bisect
import copy
from dataclasses import dataclass
from typing import Any, Callable

from ..ir.builder import Builder
from ..ir.core import BOOL, INT, REAL, Atom, Const, Eqn, Region, Var
from ..ir.inline import Renamer
from ..primitives.control import BREAK, NORMAL, RETURN

MAX_UNROLL = 1000
# Exit codes made only here: a loop goes on after an iteration whose code is
# below BREAK, so CONTINUE needs no handling of its own there; NEXT never
# leaves the elif chain that made it.
CONTINUE = 1
NEXT = -1
CODES = {"normal": NORMAL, "continue": CONTINUE, "break": BREAK, "return": RETURN, "next": NEXT}
# How deep exits and elif tests nest, per level of the source: an elif of up
# to NEST tests, and up to NEST exits in a block, nest as written (reading as
# the user wrote them, and as fast as before); more are cut into consecutive
# chunks of NEST (an elif of 1,000 tests is 250 flat chunks, not 1,000 levels).
NEST = 4
EXIT_STMTS = (ast.Return, ast.Break, ast.Continue)
LOOP_EXITS = frozenset({"break", "continue"})


@dataclass
class Outcome:
    kinds: frozenset            # subset of CODES' keys
    code: Atom | None = None    # exit code when several kinds are possible
    value: Any = None           # the return value (a Value) when "return" in kinds
    # names with no value on some break/continue path (see the module docstring)
    skipped: frozenset = frozenset()
    # `code` is a loop's own exit code (RETURN when it returned, anything
    # else when it went on): tested as such by the guard that follows
    after_loop: bool = False

    @staticmethod
    def normal() -> "Outcome":
        return Outcome(frozenset({"normal"}))

    def code_atom(self) -> Atom:
        if self.code is not None:
            return self.code
        (kind,) = self.kinds
        return Const(CODES[kind])

    def without(self, kind: str) -> "Outcome":
        """The ways this outcome ends other than `kind` (for the paths where
        its code says so; the code is kept while it still tells several apart)."""
        kinds = self.kinds - {kind}
        code = self.code if len(kinds) > 1 and not self.after_loop else None
        return Outcome(kinds, code, self.value if "return" in kinds else None, self.skipped)


def flatten(value: Any) -> list[Atom]:
    if isinstance(value, tuple):
        return [a for v in value for a in flatten(v)]
    return [value]


def structure(value: Any) -> Any:
    return tuple(structure(v) for v in value) if isinstance(value, tuple) else None


def unflatten(shape: Any, atoms: list[Atom]) -> Any:
    if shape is None:
        return atoms.pop(0)
    return tuple(unflatten(s, atoms) for s in shape)


def zeros_like(shape: Any) -> Any:
    return Const(0.0) if shape is None else tuple(zeros_like(s) for s in shape)


def merge_kind(kinds: list[str]) -> str:
    return kinds[0] if all(k == kinds[0] for k in kinds) else REAL


def placeholder_like(value: Any) -> Any:
    """A constant of `value`'s shape and kinds, for a path that never reads it."""
    if isinstance(value, tuple):
        return tuple(placeholder_like(v) for v in value)
    return Const({BOOL: False, INT: 0}.get(value.kind, 0.0))


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return (isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b)
                and all(same_value(x, y) for x, y in zip(a, b)))
    return a is b or (isinstance(a, Const) and a == b)


def close_region(eqns: list[Eqn], results: list[Atom], params: tuple[Var, ...],
                 free_order: list[Var]) -> Region:
    """A region over fresh copies of `params` plus one parameter per var in
    `free_order` (the outer values it reads).  Everything inside is copied
    with fresh vars, so regions never share a definition."""
    renamer = Renamer()
    new_params = tuple(renamer.fresh(v) for v in tuple(params) + tuple(free_order))
    body = tuple(renamer.eqn(e) for e in eqns)
    return Region(new_params, body, tuple(renamer.atom(r) for r in results))


def free_vars(eqns: list[Eqn], results: list[Atom], bound: tuple[Var, ...]) -> list[Var]:
    """Vars read by `eqns`/`results` that they do not define (nested regions
    are closed already: they read only their equation's args)."""
    defined = set(bound)
    free: dict[Var, None] = {}
    for eqn in eqns:
        for a in eqn.args:
            if isinstance(a, Var) and a not in defined:
                free[a] = None
        defined.update(eqn.outs)
    for r in results:
        if isinstance(r, Var) and r not in defined:
            free[r] = None
    return list(free)


class ControlFlowLowering:
    """Mixin for `Lowering`: statements and expressions that branch or loop."""

    b: Builder
    env: dict[str, Any]
    loop_depth: int
    # why a local name may have no value: per name, (end of the construct that
    # left it without one, message), in the order recorded (see `why_unbound`)
    unbound_why: dict[str, list[tuple[tuple[int, int], str]]]

    # --- blocks with exits --------------------------------------------------

    def lower_stmts(self, stmts: list[ast.stmt]) -> Outcome:
        """Lower a block; after a statement that may have exited, the rest runs
        in guarded segments (see the module docstring), so this loop, not
        recursion, walks a block of any length."""
        stmts = self.expand_loop_else(stmts)
        # statements that may exit and go on otherwise (a plain return, break
        # or continue just ends the block), and how many follow each statement
        exits = [not isinstance(stmt, EXIT_STMTS) and may_exit(stmt) for stmt in stmts]
        at = [k for k, e in enumerate(exits) if e]
        later = [len(at) - bisect.bisect_right(at, k) for k in range(len(stmts))]
        pending: Outcome | None = None
        index = 0
        while index < len(stmts):
            if pending is not None:
                # the next NEST exits nest by continuation inside one guard (all, if few are left)
                p = bisect.bisect_left(at, index)
                end = len(stmts) if len(at) - p <= NEST else at[p + NEST - 1] + 1
                outcome = self.guarded(pending, stmts[index:end])
                index = end
            else:
                stmt = stmts[index]
                self.b.loc = self.src.location(stmt)
                self.stmt_start = len(self.b.eqns)
                outcome, absorbed = self.lower_stmt(stmt, stmts[index + 1:], later[index] < NEST)
                index = len(stmts) if absorbed else index + 1
            if "normal" not in outcome.kinds:
                return outcome
            pending = outcome if outcome.kinds != {"normal"} else None
        return pending or Outcome.normal()

    def lower_stmt(self, stmt: ast.stmt, rest: list[ast.stmt], may_continue: bool) -> tuple[Outcome, bool]:
        """One statement of a block, and whether it took in `rest` too (by
        continuation, allowed when `may_continue`: fewer than `NEST` exits
        follow, so continuations nest at most that deep)."""
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise self.fail("'return' without a value: there is nothing to differentiate", stmt)
            return Outcome(frozenset({"return"}), value=self.expr(stmt.value)), True
        if isinstance(stmt, (ast.Break, ast.Continue)):
            if self.loop_depth == 0:
                raise self.fail(f"'{type(stmt).__name__.lower()}' outside a loop", stmt)
            return Outcome(frozenset({"break" if isinstance(stmt, ast.Break) else "continue"})), True
        if isinstance(stmt, ast.If):
            links, final_else = if_chain(stmt)
            if len(links) > NEST:
                return self.lower_chain(links, final_else), False
            if rest and may_continue and may_exit(stmt):
                falls = (not always_exits(stmt.body), not always_exits(stmt.orelse))
                if sum(falls) <= 1:     # the rest goes into the one branch that falls through, if any
                    return self.lower_if(stmt.test, stmt.body + (rest if falls[0] else []),
                                         stmt.orelse + (rest if falls[1] else []), stmt), True
            return self.lower_if(stmt.test, stmt.body, stmt.orelse, stmt), False
        if isinstance(stmt, (ast.For, ast.While)):
            outcome = self.lower_loop(stmt)
            if "return" not in outcome.kinds or "normal" not in outcome.kinds:
                return outcome, False
            if may_continue:
                return self.after_returning_loop(outcome, rest, stmt), True
            return Outcome(outcome.kinds, outcome.code, outcome.value, outcome.skipped, after_loop=True), False
        handler = getattr(self, "stmt_" + type(stmt).__name__, None)
        if handler is None:
            raise self.refusal(stmt)
        handler(stmt)
        return Outcome.normal(), False

    def guarded(self, pending: Outcome, segment: list[ast.stmt]) -> Outcome:
        """`segment` runs only when nothing before it exited, as `pending` says."""
        code = pending.code_atom()
        if pending.after_loop:
            went_on = self.constant_or(code, RETURN, "ne")
        else:
            went_on = self.constant_or(code, NORMAL, "eq")
        left = pending.without("normal")
        return self.branch(went_on, lambda: self.lower_stmts(segment), lambda: left, segment[0])

    def constant_or(self, code: Atom, value: int, op: str) -> Atom:
        """``code == value`` (``op`` "eq") or ``!=`` ("ne"), decided now when `code` is known."""
        if isinstance(code, Const):
            return Const((code.value == value) == (op == "eq"))
        return self.b.apply(op, code, Const(value))

    def lower_chain(self, links: list[ast.If], final_else: list[ast.stmt]) -> Outcome:
        """An if/elif chain longer than `NEST` tests: chunks of that many
        nested as written, one after another; a chunk runs only when no test
        before it held (``next``), starting from the values before the chain,
        so each test is evaluated exactly when Python evaluates it."""
        before = dict(self.env)
        outcome: Outcome | None = None
        for start in range(0, len(links), NEST):
            chunk = links[start:start + NEST]
            tail = final_else if start + NEST >= len(links) else None
            self.b.loc = self.src.location(chunk[0])
            if outcome is None:
                outcome = self.lower_links(chunk, tail)
            else:
                left = outcome.without("next")
                outcome = self.branch(self.constant_or(outcome.code_atom(), NEXT, "eq"),
                                      lambda c=chunk, t=tail: self.lower_links(c, t), lambda: left, chunk[0],
                                      then_env=before)
            if "next" not in outcome.kinds:     # a test known true now: the later ones never run
                break
        assert outcome is not None and "next" not in outcome.kinds
        return outcome

    def lower_links(self, links: list[ast.If], tail: list[ast.stmt] | None) -> Outcome:
        """``if``/``elif`` `links` nested, ending in `tail` (an ``else``), or,
        with None, in ``next``: no test held and the chain goes on."""
        link = links[0]
        self.b.loc = self.src.location(link)
        self.stmt_start = len(self.b.eqns)

        def otherwise() -> Outcome:
            if len(links) > 1:
                return self.lower_links(links[1:], tail)
            return Outcome(frozenset({"next"})) if tail is None else self.lower_stmts(tail)
        pred = self.truth(self.expr(link.test), link.test)
        return self.branch(pred, lambda: self.lower_stmts(link.body), otherwise, link)

    def note_unbound(self, name: str, construct: ast.AST, message: str) -> None:
        """Record that after `construct` `name` may have no value, and why."""
        end = (construct.end_lineno or construct.lineno, construct.end_col_offset or 0)
        self.unbound_why.setdefault(name, []).append((end, message))

    def why_unbound(self, name: str, read: ast.AST) -> str | None:
        """Why `name` has no value at `read`: the latest reason recorded by a
        construct that ends before it (a reason from a construct further on,
        such as a branch later in a loop body, does not explain this read)."""
        at = (getattr(read, "lineno", 0), getattr(read, "col_offset", 0))
        for end, message in reversed(self.unbound_why.get(name, [])):
            if end <= at:
                return message
        return None

    def expand_loop_else(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        """A loop's ``else:`` runs when the loop ends without ``break``: with
        no ``break`` of its own, always, so it is the statements after it."""
        expanded: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, (ast.For, ast.While)) and stmt.orelse:
                own_break = _own_break(stmt)
                if own_break is not None:
                    raise self.fail("a loop 'else' clause in a loop with 'break' is not supported (whether "
                                    "it runs depends on the break); set a flag before the break instead",
                                    own_break)
                loop = copy.copy(stmt)
                loop.orelse = []
                expanded += [loop, *stmt.orelse]
            else:
                expanded.append(stmt)
        return expanded

    def sub_block(self, lower: Callable[[], Outcome], env: dict[str, Any]) -> tuple[list[Eqn], dict, Outcome]:
        """Lower into a fresh builder and environment; restore ours after."""
        saved_b, saved_env, saved_start = self.b, self.env, self.stmt_start
        self.b = Builder(self.registry, loc=saved_b.loc)
        self.env = dict(env)
        self.stmt_start = 0
        try:
            outcome = lower()
            return self.b.eqns, self.env, outcome
        finally:
            self.b, self.env, self.stmt_start = saved_b, saved_env, saved_start

    # --- if / conditional expressions -----------------------------------------

    def truth(self, value: Any, node: ast.AST) -> Atom:
        atom = self.scalar(value, node)
        if atom.kind == BOOL or (isinstance(atom, Const) and isinstance(atom.value, bool)):
            return atom
        if isinstance(atom, Const):
            return Const(bool(atom.value))
        return self.b.ne(atom, Const(0))

    def lower_if(self, test: ast.expr, then_stmts: list, else_stmts: list, node: ast.AST) -> Outcome:
        pred = self.truth(self.expr(test), test)
        return self.branch(pred, lambda: self.lower_stmts(then_stmts), lambda: self.lower_stmts(else_stmts), node)

    def branch(self, pred: Atom, then_fn: Callable[[], Outcome], else_fn: Callable[[], Outcome],
               node: ast.AST, then_env: dict[str, Any] | None = None) -> Outcome:
        """A conditional: each side lowered into its own region, from the
        current names (the then side from `then_env` when given); after it,
        the names bound on every path that goes on (see the module docstring)."""
        if isinstance(pred, Const):          # decided now: lower only the branch taken
            if pred.value and then_env is not None:
                self.env = dict(then_env)
            return then_fn() if pred.value else else_fn()
        env0 = dict(self.env)
        loc = self.b.loc
        then_eqns, then_env, then_out = self.sub_block(then_fn, env0 if then_env is None else then_env)
        else_eqns, else_env, else_out = self.sub_block(else_fn, env0)
        self.b.loc = loc
        kinds = then_out.kinds | else_out.kinds
        sides = ((then_env, then_out), (else_env, else_out))
        env_after: dict[str, Any] = {}
        names: list[str] = []         # those the conditional defines anew
        reference: dict[str, Any] = {}   # a value of each one's shape, from a side that goes on
        skipped = set(then_out.skipped | else_out.skipped)
        dropped = []
        for n in dict.fromkeys(list(then_env) + list(else_env)):
            lacking = [out for env, out in sides if n not in env]
            if any("normal" in out.kinds for out in lacking):
                dropped.append(n)
                continue
            if any(out.kinds & LOOP_EXITS for out in lacking):
                skipped.add(n)
            values = [(env[n], out) for env, out in sides if n in env]
            if n in env0 and all(same_value(v, env0[n]) for v, _ in values):
                env_after[n] = env0[n]
                continue
            going_on = [v for v, out in values if "normal" in out.kinds] or [values[0][0]]
            if any(structure(v) != structure(going_on[0]) for v in going_on):
                raise self.fail(f"{n!r} holds sequences of different lengths in the two branches", node)
            reference[n] = going_on[0]
            names.append(n)
        self._note_one_sided(dropped, node)
        ret_shape = self._return_shape(then_out, else_out, node)
        branch_results = []
        for out, env in ((then_out, then_env), (else_out, else_env)):
            results: list[Atom] = []
            if len(kinds) > 1:
                results.append(out.code_atom())
            if "return" in kinds:
                results += flatten(out.value if "return" in out.kinds else zeros_like(ret_shape))
            for n in names:
                # a side that does not go on with a value of this shape never reads it
                value = env.get(n)
                if value is None or structure(value) != structure(reference[n]):
                    value = placeholder_like(reference[n])
                results += flatten(value)
            branch_results.append(results)
        free = free_vars(then_eqns, branch_results[0], ()) + free_vars(else_eqns, branch_results[1], ())
        free = list(dict.fromkeys(free))
        then_region = close_region(then_eqns, branch_results[0], (), free)
        else_region = close_region(else_eqns, branch_results[1], (), free)
        ret_count = len(flatten(zeros_like(ret_shape))) if "return" in kinds else 0
        hints = ((["exit_code"] if len(kinds) > 1 else []) + ["result"] * ret_count
                 + [n for n in names for _ in flatten(reference[n])])
        # each output's kind merges the two branches' (the exit code is an int on both sides)
        out_kinds = [merge_kind([t.kind, e.kind]) for t, e in zip(*branch_results)]
        outs = self._apply_structured("cond", [pred] + free, (("then", then_region), ("else", else_region)),
                                      hints, out_kinds)
        outs = list(outs)
        code = outs.pop(0) if len(kinds) > 1 else None
        value = unflatten(ret_shape, outs[:ret_count]) if "return" in kinds else None
        rest = outs[ret_count:]
        for n in names:
            env_after[n] = unflatten(structure(reference[n]), rest)
        self.env = env_after
        return Outcome(kinds, code, value, frozenset(skipped))

    def _note_one_sided(self, dropped: list[str], node: ast.AST) -> None:
        """Record why a name bound on only some paths has no value after."""
        line = self.src.location(node).lineno
        for n in dropped:
            self.note_unbound(n, node, f"{n!r} is assigned in only one branch of the condition at line {line}: "
                                       f"srcgrad reads it here as possibly unassigned, since it has no value when "
                                       f"the other branch is taken (srcgrad does not prove that this line is "
                                       f"then skipped); give it a value before the condition or in both "
                                       f"branches")

    def _return_shape(self, a: Outcome, b: Outcome, node: ast.AST) -> Any:
        shapes = [structure(o.value) for o in (a, b) if "return" in o.kinds]
        if len(shapes) == 2 and shapes[0] != shapes[1]:
            raise self.fail("the branches return values of different shapes", node)
        return shapes[0] if shapes else None

    def _apply_structured(self, name: str, args: list[Atom], params: tuple, hints: list[str],
                          kinds: list[str]) -> tuple[Var, ...]:
        outs = tuple(Var(hint=h, kind=k) for h, k in zip(hints, kinds))
        self.b.eqns.append(Eqn(self.registry[name], tuple(args), outs, params, self.b.loc))
        return outs

    def expr_IfExp(self, node: ast.IfExp) -> Any:
        pred = self.truth(self.expr(node.test), node.test)
        outcome = self.branch(pred, lambda: self._value_outcome(node.body),
                              lambda: self._value_outcome(node.orelse), node)
        return outcome.value

    def _value_outcome(self, node: ast.expr) -> Outcome:
        return Outcome(frozenset({"return"}), value=self.expr(node))

    def expr_BoolOp(self, node: ast.BoolOp) -> Any:
        # Python semantics: 'a and b' is b if a is truthy else a (b not evaluated)
        value = self.expr(node.values[0])
        for operand in node.values[1:]:
            current = value
            pred = self.truth(current, node)
            later = (lambda o=operand: self._value_outcome(o))
            keep = (lambda c=current: Outcome(frozenset({"return"}), value=c))
            if isinstance(node.op, ast.And):
                value = self.branch(pred, later, keep, node).value
            else:
                value = self.branch(pred, keep, later, node).value
        return value

    # --- loops -------------------------------------------------------------------

    def after_returning_loop(self, outcome: Outcome, rest: list, node: ast.AST) -> Outcome:
        """Statements after a loop that may return run only if it did not."""
        if outcome.kinds == frozenset({"return"}):
            return outcome
        returned = self.b.eq(outcome.code, Const(RETURN))
        value = outcome.value
        return self.branch(returned, lambda: Outcome(frozenset({"return"}), value=value),
                           lambda: self.lower_stmts(rest), node)

    def lower_loop(self, stmt: ast.stmt) -> Outcome:
        if stmt.orelse:
            raise self.fail("a loop 'else' clause is not supported", stmt.orelse[0])
        if isinstance(stmt, ast.For):
            return self.lower_for(stmt)
        return self.lower_while(stmt)

    def carried_names(self, body: list[ast.stmt], targets: set[str]) -> list[str]:
        """Names the loop carries: those it assigns that have a value before
        it.  The loop variable is one of them when it has a value before the
        loop: after it, it holds its last value, as in Python (one with no
        value before stays unbound after, since the loop may not run)."""
        names = list(dict.fromkeys(sorted(targets) + assigned_names(body)))
        for n in names:
            if n in self.env and isinstance(self.env[n], tuple):
                raise self.fail(f"the sequence {n!r} is reassigned inside a loop whose length is only known "
                                f"at run time; build it with a comprehension or a loop over constant bounds",
                                body[0])
        return [n for n in names if n in self.env]

    def bind_first_assignments(self, stmt: ast.stmt, body: list[ast.stmt], iteration: Any,
                               targets: set[str]) -> dict[str, str]:
        """Names the loop assigns that have no value before it have one after
        it exactly when the loop surely runs (its bounds or first test are
        known now) and its first iteration assigns them on every path, as
        Python runs it.  Such names are carried by the loop from a
        placeholder the first iteration overwrites before any read (the first
        iteration is lowered once, here, to check that: a read before the
        assignment fails as it would in Python).  For the others, record why
        they have no value after the loop (returned, for the error if one is read)."""
        new = [n for n in dict.fromkeys(sorted(targets) + assigned_names(body)) if n not in self.env]
        why: dict[str, str] = {}
        if not new:
            return why
        line = self.src.location(stmt).lineno
        runs = self.runs_at_least_once(stmt, iteration)
        if runs is None:
            bound = "bounds" if iteration is not None else "test"
            for n in new:
                why[n] = (
                    f"{n!r} is assigned only inside the loop at line {line}, whose {bound} are known only at "
                    f"run time: when it runs zero times, {n!r} has no value after it, so srcgrad reads it "
                    f"here as possibly unassigned; give it a value before the loop")
            return why
        if not runs:
            for n in new:
                why[n] = (f"{n!r} is assigned only inside the loop at line {line}, which never "
                                       f"runs, so it has no value here (Python raises UnboundLocalError)")
            return why

        def first_iteration() -> Outcome:
            if iteration is not None:
                iteration.bind(self, iteration.bounds[0])
            self.loop_depth += 1
            try:
                return self.lower_stmts(body)
            finally:
                self.loop_depth -= 1
        _, after_first, first = self.sub_block(first_iteration, dict(self.env))
        for n in new:
            value = after_first.get(n)
            if value is None or isinstance(value, tuple) or n in first.skipped:
                why[n] = (
                    f"{n!r} is assigned inside the loop at line {line}, but not on every path through its "
                    f"first iteration (a branch, 'break', 'continue' or 'return' may skip the assignment), so "
                    f"srcgrad cannot be sure it has a value here; give it a value before the loop")
                continue
            # never read: the first iteration assigns it before any use
            self.env[n] = Const({BOOL: False, INT: 0}.get(value.kind, 0.0))
        return why

    def note_not_carried(self, stmt: ast.stmt, body: list[ast.stmt], targets: set[str]) -> None:
        """A name the loop assigns but does not carry, read in its body before
        the body assigns it, would be a value from an earlier iteration."""
        line = self.src.location(stmt).lineno
        start = ast.Pass(lineno=stmt.lineno, col_offset=stmt.col_offset, end_lineno=stmt.lineno,
                         end_col_offset=stmt.col_offset)
        for n in dict.fromkeys(sorted(targets) + assigned_names(body)):
            if n not in self.env:
                self.note_unbound(n, start, (
                    f"{n!r} may have no value here: the loop at line {line} assigns it only further on or not on "
                    f"every path, so here it would be the value from an earlier iteration, which srcgrad cannot "
                    f"be sure exists; give it a value before the loop"))

    def runs_at_least_once(self, stmt: ast.stmt, iteration: Any) -> bool | None:
        """Whether the loop's body surely runs: True, False, or None when that
        is decided only at run time."""
        if iteration is not None:
            start, stop, step = iteration.bounds
            if all(isinstance(a, Const) for a in (start, stop, step)):
                return len(range(start.value, stop.value, step.value)) > 0
            return None

        def first_test() -> Outcome:
            return Outcome(frozenset({"return"}), value=self.truth(self.expr(stmt.test), stmt.test))
        _, _, test = self.sub_block(first_test, dict(self.env))
        return bool(test.value.value) if isinstance(test.value, Const) else None

    def lower_for(self, stmt: ast.For) -> Outcome:
        iteration = self.iteration(stmt)
        if iteration.unroll is not None:
            return self.unroll(stmt, iteration.unroll)
        return self.structured_loop(stmt, stmt.body, iteration)

    def lower_while(self, stmt: ast.While) -> Outcome:
        return self.structured_loop(stmt, stmt.body, None)

    def structured_loop(self, stmt: ast.stmt, body: list[ast.stmt], iteration: Any) -> Outcome:
        targets = iteration.target_names if iteration is not None else set()
        unbound_after = self.bind_first_assignments(stmt, body, iteration, targets)
        carried = self.carried_names(body, targets)
        self.note_not_carried(stmt, body, targets)
        kinds = {n: self.env[n].kind for n in carried}
        for _attempt in range(3):
            lowered = self._loop_body(stmt, body, iteration, carried, kinds)
            widened = {n: merge_kind([kinds[n], k]) for n, k in lowered["result_kinds"].items()}
            if widened == kinds:
                break
            kinds = widened
        outcome = self._emit_loop(stmt, iteration, carried, kinds, lowered)
        # after the loop, the loop's reason explains these (not a branch in its body)
        for n, message in unbound_after.items():
            self.note_unbound(n, stmt, message)
        return outcome

    def _loop_body(self, stmt: ast.stmt, body: list, iteration: Any, carried: list[str],
                   kinds: dict[str, str]) -> dict:
        state = tuple(Var(hint=n, kind=kinds[n]) for n in carried)
        index = Var(hint=iteration.index_hint, kind=INT) if iteration is not None else None
        env = dict(self.env)
        env.update(zip(carried, state))
        loc = self.b.loc

        def lower_body() -> Outcome:
            if iteration is not None:
                iteration.bind(self, index)
            self.loop_depth += 1
            try:
                return self.lower_stmts(body)
            finally:
                self.loop_depth -= 1

        eqns, body_env, outcome = self.sub_block(lower_body, env)
        cond_eqns: list[Eqn] = []
        cond_result: list[Atom] = []
        if iteration is None:
            def lower_test() -> Outcome:
                return Outcome(frozenset({"return"}), value=self.truth(self.expr(stmt.test), stmt.test))
            cond_eqns, _, test_out = self.sub_block(lower_test, env)
            cond_result = [test_out.value]
        self.b.loc = loc
        exits = outcome.kinds - {"normal", "continue"}     # continuing is going on to the next iteration
        results: list[Atom] = []
        if exits:
            results.append(outcome.code_atom())
        ret_shape = structure(outcome.value) if "return" in outcome.kinds else None
        ret_state: tuple[Var, ...] = ()
        if "return" in outcome.kinds:
            ret_state = tuple(Var(hint="result", kind=REAL) for _ in flatten(zeros_like(ret_shape)))
            results += flatten(outcome.value)
        results += [body_env[n] for n in carried]
        return dict(eqns=eqns, results=results, state=state, index=index, exits=exits, outcome=outcome,
                    ret_shape=ret_shape, ret_state=ret_state, cond_eqns=cond_eqns, cond_result=cond_result,
                    result_kinds={n: body_env[n].kind for n in carried})

    def _emit_loop(self, stmt: ast.stmt, iteration: Any, carried: list[str], kinds: dict, low: dict) -> Outcome:
        # body state: (return slots..., carried...); the returning iteration's value is the last one
        state = low["ret_state"] + low["state"]
        bound = ((low["index"],) if low["index"] is not None else ()) + state
        free = free_vars(low["eqns"], low["results"], bound)
        if iteration is None:
            free = list(dict.fromkeys(free + free_vars(low["cond_eqns"], low["cond_result"], low["state"])))
        body = close_region(low["eqns"], low["results"], bound, free)
        init = [Const(0.0)] * len(low["ret_state"]) + [self.env[n] for n in carried]
        has_exit = bool(low["exits"])
        hints = (["exit_code"] if has_exit else []) + ["result"] * len(low["ret_state"]) + carried
        out_kinds = ([INT] if has_exit else []) + [REAL] * len(low["ret_state"]) + [kinds[n] for n in carried]
        common = (("body", body), ("n_state", len(state)), ("has_exit", has_exit))
        if iteration is None:
            cond_state = tuple(Var(hint=v.hint, kind=v.kind) for v in low["ret_state"])
            cond = close_region(low["cond_eqns"], low["cond_result"], cond_state + low["state"], free)
            outs = self._apply_structured("while_loop", init + free, common + (("cond", cond),), hints, out_kinds)
        else:
            outs = self._apply_structured("for_range", list(iteration.bounds) + init + free, common, hints,
                                          out_kinds)
        outs = list(outs)
        code = outs.pop(0) if has_exit else None
        n_ret = len(low["ret_state"])
        value = unflatten(low["ret_shape"], outs[:n_ret]) if n_ret else None
        for n, v in zip(carried, outs[n_ret:]):
            self.env[n] = v
        # `while True:` ends only through break or return
        endless = iteration is None and low["cond_result"] == [Const(True)]
        falls_out = not endless or "break" in low["exits"]
        kinds_after = ({"normal"} if falls_out else set()) | ({"return"} if "return" in low["exits"] else set())
        return Outcome(frozenset(kinds_after), code if "return" in kinds_after else None, value)

    def unroll(self, stmt: ast.For, items: list[Any]) -> Outcome:
        """A loop over a sequence whose length is known now: lower the body once
        per item (needed when the body builds a list with append)."""
        if len(items) > MAX_UNROLL:
            raise self.fail(f"loop of {len(items)} iterations builds a sequence; at most {MAX_UNROLL} are "
                            f"unrolled", stmt)
        for sub in ast.walk(ast.Module(body=stmt.body, type_ignores=[])):
            if isinstance(sub, (ast.Break, ast.Continue, ast.Return)):
                raise self.fail("break, continue and return are not supported in a loop that builds a "
                                "sequence", sub)
        if not items:
            line = self.src.location(stmt).lineno
            for n in _loop_names(stmt):
                if n not in self.env:
                    self.note_unbound(n, stmt, f"{n!r} is assigned only inside the loop at line {line}, which "
                                               f"runs zero times (its sequence is empty), so it has no value "
                                               f"here (Python raises UnboundLocalError)")
        for item in items:
            self.assign(stmt.target, item)
            self.loop_depth += 1
            self.unrolling += 1
            try:
                outcome = self.lower_stmts(stmt.body)
            finally:
                self.loop_depth -= 1
                self.unrolling -= 1
            assert outcome.kinds == frozenset({"normal"})
        return Outcome.normal()


def has_exit(node: ast.AST, in_loop: bool = False) -> bool:
    """Whether `node` contains a return, or a break/continue of the loop
    around it (not of a loop nested inside it)."""
    todo = [(child, in_loop) for child in ast.iter_child_nodes(node)]
    while todo:                          # a walk, not recursion: elif chains may be 1,000 long
        child, inside = todo.pop()
        if isinstance(child, ast.Return) or (isinstance(child, (ast.Break, ast.Continue)) and not inside):
            return True
        if isinstance(child, ast.stmt):
            inside = inside or isinstance(child, (ast.For, ast.While))
            todo.extend((c, inside) for c in ast.iter_child_nodes(child))
    return False


def may_exit(stmt: ast.stmt) -> bool:
    """Whether running `stmt` may leave the block it is in."""
    return isinstance(stmt, EXIT_STMTS) or has_exit(ast.Module(body=[stmt], type_ignores=[]))


def always_exits(stmts: list[ast.stmt]) -> bool:
    """Whether every path through `stmts` surely leaves the block (a return,
    break or continue on it; False when unsure, e.g. for loops)."""
    for stmt in stmts:
        if isinstance(stmt, EXIT_STMTS):
            return True
        if isinstance(stmt, ast.If):
            links, final_else = if_chain(stmt)
            if all(always_exits(link.body) for link in links) and always_exits(final_else):
                return True
    return False


def if_chain(stmt: ast.If) -> tuple[list[ast.If], list[ast.stmt]]:
    """An ``if``/``elif`` chain: its links (each with its test and body) and
    the final ``else`` (``else:`` holding only an ``if`` is the same chain)."""
    links = [stmt]
    while len(links[-1].orelse) == 1 and isinstance(links[-1].orelse[0], ast.If):
        links.append(links[-1].orelse[0])
    return links, links[-1].orelse


def _own_break(loop: ast.stmt) -> ast.Break | None:
    """A ``break`` of `loop` itself (not of a loop nested in it), if any."""
    todo = list(loop.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Break):
            return node
        if not isinstance(node, (ast.For, ast.While, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
        else:
            todo.extend(node.orelse if isinstance(node, (ast.For, ast.While)) else [])
    return None


def _loop_names(stmt: ast.For) -> list[str]:
    """Names a for loop binds: its target and what its body assigns."""
    return list(dict.fromkeys([n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)]
                              + assigned_names(stmt.body)))


def assigned_names(stmts: list[ast.stmt]) -> list[str]:
    names: dict[str, None] = {}
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names[node.id] = None
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "append" and isinstance(node.func.value, ast.Name):
                names[node.func.value.id] = None
    return list(names)
