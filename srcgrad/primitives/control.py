"""Structured control flow and the sequences and tapes it needs.

* ``cond(pred, *free; then, else)``: ``then``/``else`` are regions taking the
  free values and returning the outputs; only the taken one runs, so a branch
  that would fail on the other side (``log(x) if x > 0 else 0``) is safe.
* ``for_range(start, stop, step, *state, *free; body)``: body region
  ``(i, *state, *free) -> ([exit], *state)``; ``reverse=True`` iterates
  ``reversed(range(...))``.  With ``has_exit`` the body's first result is an
  exit code and the loop stops after an iteration whose code is ``>= BREAK``;
  the loop's first output is then the last code (``NORMAL`` if none).
* ``while_loop(*state, *free; cond, body)``: ``cond`` region
  ``(*state, *free) -> (bool,)``, body as above without the index.
* ``pick(i, *items)``: ``(a, b, c)[i]`` for a sequence of IR values indexed at
  run time; ``const_index(i; table, name)``: ``NAME[i]`` for a constant table
  (a module-level list), which generated code binds as a global.
* ``tape_new``, ``tape_push``, ``tape_pop``: the lists reverse mode keeps
  through loops.  In the IR a tape is a value threaded through the program
  (``tape2 = tape_push(tape1, v)``), so every pass sees pure dataflow; each
  tape is used linearly, which lets generated code mutate one list in place.

Their differentiation, code generation and pruning live in hooks attached by
`srcgrad.ad.control` and `srcgrad.codegen.control`; evaluation is in `impl`.
"""
from __future__ import annotations

import ast
from typing import Any

from dataclasses import dataclass

from ..ir.core import REAL, Atom, Const, Eqn, Region, Var
from .core import REGISTRY, Primitive

NORMAL, BREAK, RETURN = 0, 2, 3
TAPE = "tape"


class ConstTable(tuple):
    """The numbers of a module-level list, as a `const_index` param: compared
    and hashed as a tuple, printed short in IR listings."""

    def __repr__(self) -> str:
        return f"<{len(self)} numbers>"


def _declare(name: str, nargs: int, impl: Any, emit: Any = None, **kw: Any) -> Primitive:
    kw.setdefault("hooks", {})
    return REGISTRY.add(Primitive(name=name, nargs=nargs, impl=impl, emit=emit or _no_expr, **kw))


def _no_expr(*args: Any) -> ast.expr:
    raise TypeError("structured primitives are emitted as statements")


def _pick_partials(b: Any, i: Any, *items_and_out: Any) -> tuple:
    items = items_and_out[:-1]
    n = len(items)
    # the derivative flows to the chosen item; Python's negative indices too
    return (None,) + tuple(b.select(b.eq(i, k), 1.0, b.select(b.eq(i, k - n), 1.0, 0.0)) for k in range(n))


COND = _declare("cond", -1, None, structured=True)
FOR_RANGE = _declare("for_range", -1, None, structured=True)
WHILE_LOOP = _declare("while_loop", -1, None, structured=True)
PICK = _declare("pick", -1, lambda i, *items: items[i],
                emit=lambda i, *items: ast.Subscript(value=ast.Tuple(elts=list(items), ctx=ast.Load()),
                                                     slice=i, ctx=ast.Load()),
                partials=_pick_partials,
                sympy=None,
                out_kind=lambda kinds: REAL if REAL in kinds[1:] else kinds[1])
CONST_INDEX = _declare("const_index", 1, None, piecewise_constant=True, out_kind=REAL)
TAPE_NEW = _declare("tape_new", 0, lambda: [], emit=lambda: ast.List(elts=[], ctx=ast.Load()), out_kind=TAPE)
TAPE_PUSH = _declare("tape_push", 2, None, out_kind=TAPE)
TAPE_POP = _declare("tape_pop", 1, None, out_kind=REAL)

for _prim in (TAPE_NEW, TAPE_PUSH, TAPE_POP):
    _prim.hooks["tape"] = True
    _prim.hooks["no_cse"] = True       # two empty tapes are two lists, never one
FOR_RANGE.hooks["indexed"] = True
# Made by the compiler, not written by users as calls: tests that sweep the
# registry with sampled scalar arguments skip these.
for _prim in (COND, FOR_RANGE, WHILE_LOOP, PICK, CONST_INDEX, TAPE_NEW, TAPE_PUSH, TAPE_POP):
    _prim.hooks["internal"] = True


@dataclass
class LoopParts:
    """A loop equation taken apart (see `srcgrad.primitives.control`)."""

    eqn: Eqn
    indexed: bool
    bounds: tuple
    init: tuple
    free: tuple
    body: Region
    cond: Region | None
    has_exit: bool

    @staticmethod
    def of(eqn: Eqn) -> "LoopParts":
        indexed = eqn.prim.hooks.get("indexed", False)
        n_bounds = 3 if indexed else 0
        n_state = eqn.param("n_state")
        args = eqn.args
        return LoopParts(eqn, indexed, args[:n_bounds], args[n_bounds:n_bounds + n_state],
                         args[n_bounds + n_state:], eqn.param("body"), eqn.param("cond"),
                         eqn.param("has_exit"))

    @property
    def n_state(self) -> int:
        return len(self.init)

    def body_params(self) -> tuple[Var | None, tuple[Var, ...], tuple[Var, ...]]:
        params = self.body.params
        start = 1 if self.indexed else 0
        index = params[0] if self.indexed else None
        return index, params[start:start + self.n_state], params[start + self.n_state:]

    def state_results(self) -> tuple[Atom, ...]:
        return self.body.results[1:] if self.has_exit else self.body.results

    def state_outs(self) -> tuple[Var, ...]:
        return self.eqn.outs[1:] if self.has_exit else self.eqn.outs

    def cond_with(self, extra_state: tuple = (), extra_free: tuple = ()) -> "Region | None":
        """The loop test taking more carried and loop-invariant inputs (as new
        parameters it ignores), for a loop rebuilt with extra state; None for a
        ``for`` loop."""
        if self.cond is None:
            return None
        c, n = self.cond, self.n_state
        unused = lambda vs: tuple(Var(hint=v.hint, kind=v.kind) for v in vs)  # noqa: E731
        return Region(c.params[:n] + unused(extra_state) + c.params[n:] + unused(extra_free), c.eqns, c.results)

    def rebuild(self, b: Any, bounds: tuple, init: tuple, free: tuple, body: Region, cond: Region | None,
                outs: tuple[Var, ...], **extra: Any) -> None:
        """Append the loop rebuilt from new parts.  Params not given anew
        (such as ``reverse``, the direction of a ``for``) carry over from the
        original equation: a rebuilt loop runs the way the original ran."""
        params = [("body", body), ("n_state", len(init)), ("has_exit", self.has_exit)]
        if cond is not None:
            params.append(("cond", cond))
        kept = {k: v for k, v in self.eqn.params if k not in ("body", "cond", "n_state", "has_exit")}
        kept.update(extra)
        params += list(kept.items())
        b.eqns.append(Eqn(self.eqn.prim, tuple(bounds) + tuple(init) + tuple(free), outs, tuple(params),
                          self.eqn.loc, role=self.eqn.role))


# --- how they run: `hooks["trace"]` (contract in `srcgrad.ir.interpret`) --------------

def _trace_cond(tracer: Any, eqn: Eqn, args: tuple) -> tuple:
    taken = bool(tracer.value(args[0]))
    tracer.decide(eqn, taken)
    return tracer.inline(eqn.param("then" if taken else "else"), args[1:])


def _run_loop(tracer: Any, parts: "LoopParts", state: list, free: tuple, indices: Any) -> tuple:
    """Run a loop body until its indices (None: the loop test) run out or an
    iteration exits; return ``([code], *state)`` and the iteration count."""
    code: Atom = Const(NORMAL)
    count = 0
    for i in indices:
        if parts.cond is not None:
            test = tracer.inline(parts.cond, tuple(state) + tuple(free))[0]
            if not tracer.value(test):
                break
        head = (Const(i),) if parts.indexed else ()
        outs = tracer.inline(parts.body, head + tuple(state) + tuple(free))
        count += 1
        if parts.has_exit:
            code, state = outs[0], list(outs[1:])
            if tracer.value(code) >= BREAK:
                break
        else:
            state = list(outs)
    return ((code,) if parts.has_exit else ()) + tuple(state), count


def _trace_loop(tracer: Any, eqn: Eqn, args: tuple) -> tuple:
    parts = LoopParts.of(eqn)
    n_bounds = 3 if parts.indexed else 0
    state = list(args[n_bounds:n_bounds + parts.n_state])
    free = tuple(args[n_bounds + parts.n_state:])
    if parts.indexed:
        indices: Any = range(*(tracer.value(a) for a in args[:3]))
        if eqn.param("reverse"):
            indices = reversed(indices)
    else:
        indices = _forever()
    outs, count = _run_loop(tracer, parts, state, free, indices)
    tracer.decide(eqn, count)
    return outs


def _forever():
    i = 0
    while True:
        yield i
        i += 1


def _trace_pick(tracer: Any, eqn: Eqn, args: tuple) -> tuple:
    index = tracer.value(args[0])
    tracer.decide(eqn, index)
    return (args[1:][index],)


def _trace_const_index(tracer: Any, eqn: Eqn, args: tuple) -> tuple:
    index = tracer.value(args[0])
    tracer.decide(eqn, index)          # which entry is read is part of the path, as for pick
    return (Const(eqn.param("table")[index]),)


# --- their shapes: `hooks["check_shape"]` (run by `srcgrad.ir.check.verify_ir`) ---------

def _cond_shape(eqn: Eqn) -> str | None:
    """None when a conditional is well formed, else what is wrong."""
    n_free = len(eqn.args) - 1
    for key in ("then", "else"):
        region = eqn.param(key)
        if not isinstance(region, Region):
            return f"no {key!r} region"
        if len(region.params) != n_free or len(region.results) != len(eqn.outs):
            return (f"region {key!r} takes {len(region.params)} and returns {len(region.results)} value(s); "
                    f"the conditional passes {n_free} and defines {len(eqn.outs)}")
    return None


def _loop_shape(eqn: Eqn) -> str | None:
    """None when a loop is well formed, else what is wrong."""
    if not isinstance(eqn.param("body"), Region) or not isinstance(eqn.param("n_state"), int):
        return "no body region or state count"
    parts = LoopParts.of(eqn)
    n_head, n_code = int(parts.indexed), int(parts.has_exit)
    if len(eqn.args) < len(parts.bounds) + parts.n_state or len(parts.bounds) != 3 * n_head:
        return f"{len(eqn.args)} argument(s) for {parts.n_state} state value(s)"
    if len(parts.body.params) != n_head + parts.n_state + len(parts.free):
        return (f"the body takes {len(parts.body.params)} value(s), not {n_head} index + {parts.n_state} "
                f"state + {len(parts.free)} free")
    if len(parts.body.results) != n_code + parts.n_state or len(eqn.outs) != n_code + parts.n_state:
        return (f"the body returns {len(parts.body.results)} and the loop defines {len(eqn.outs)} value(s) "
                f"for {parts.n_state} state value(s)")
    if (parts.cond is None) == (eqn.prim is WHILE_LOOP):
        return "a while loop needs a test region, and only a while loop has one"
    if parts.cond is not None and (len(parts.cond.params) != parts.n_state + len(parts.free)
                                   or len(parts.cond.results) != 1):
        return "the loop test does not take the state and free values, or does not return one value"
    return None


COND.hooks["check_shape"] = _cond_shape
FOR_RANGE.hooks["check_shape"] = _loop_shape
WHILE_LOOP.hooks["check_shape"] = _loop_shape

COND.hooks["trace"] = _trace_cond
FOR_RANGE.hooks["trace"] = _trace_loop
WHILE_LOOP.hooks["trace"] = _trace_loop
PICK.hooks["trace"] = _trace_pick
CONST_INDEX.hooks["trace"] = _trace_const_index
TAPE_NEW.hooks["trace"] = lambda tracer, eqn, args: (tracer.hold(()),)
TAPE_PUSH.hooks["trace"] = lambda tracer, eqn, args: (tracer.hold(tracer.value(args[0]) + (args[1],)),)
TAPE_POP.hooks["trace"] = lambda tracer, eqn, args: (tracer.value(args[0])[-1],
                                                     tracer.hold(tracer.value(args[0])[:-1]))
