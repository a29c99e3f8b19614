"""Running IR directly, and tracing the straight-line path a call takes.

`run(fn, args)` evaluates a `Function` with Python values, each equation by
its primitive's ``impl``.  `trace_path(fn, args)` evaluates it the same way and
also records the *path taken*: a straight-line `Function` (no structured
equations) with the same parameters, computing the same results as `fn` for
every input that takes the same branches and trip counts.  Verification
checks a program with control flow path by path through it
(`srcgrad.verification.cases`).

Control flow is structured (`srcgrad.ir.core`): an equation whose primitive
has ``structured=True`` carries regions in its params.  The interpreter does
not know what such a primitive means; it asks the primitive's
``hooks["trace"]``.  Any primitive may have one, and must when it is
structured or has no ``impl``; a hook takes precedence over ``impl``.  The
contract::

    hooks["trace"](tracer: Tracer, eqn: Eqn, args: tuple[Atom, ...]) -> tuple[Atom, ...]

* ``args`` are the equation's arguments as atoms *of the trace* (one per
  ``eqn.args``); ``tracer.value(atom)`` is the concrete Python value of any
  such atom (a branch condition, a trip count).
* The hook picks the path (``tracer.decide(eqn, choice)`` records the choice,
  any hashable, e.g. ``True``/``False`` for a branch or the trip count of a
  loop), and runs regions with ``tracer.inline(region, atoms)``, which binds
  ``region.params`` to ``atoms`` (trace atoms), runs the region's equations
  (nested structured equations dispatch to their own hooks), and returns the
  trace atoms of ``region.results``.  A loop inlines its body once per
  iteration, feeding each iteration's results to the next.
* It returns one trace atom per ``eqn.outs``.

For example, a two-way conditional ``outs = cond(c, *xs; then=R1, else=R2)``::

    def trace_cond(tracer, eqn, args):
        taken = bool(tracer.value(args[0]))
        tracer.decide(eqn, taken)
        return tracer.inline(eqn.param("then" if taken else "else"), args[1:])

A primitive that only moves values around returns existing trace atoms and
records nothing, so the trace is plain arithmetic sympy can read.  Tapes, for
instance, hold the trace atoms pushed on them (`Tracer.hold`)::

    tape_new:  return (tracer.hold(()),)
    tape_push: return (tracer.hold(tracer.value(args[0]) + (args[1],)),)
    tape_pop:  items = tracer.value(args[0]); return (items[-1], tracer.hold(items[:-1]))

and ``pick(i, *items)`` returns ``args[1:][tracer.value(args[0])]`` (after
``tracer.decide(eqn, i)``: which item is taken is part of the path).

The same hook serves `run` (the tracer then evaluates without recording).  A
primitive that needs a hook and has none raises `MissingTraceHook`, which
verification reports as "could not check", never as a proof.
"""
from __future__ import annotations

from typing import Any, Hashable, Sequence

from .core import Atom, Const, Eqn, Function, Region, Var


class MissingTraceHook(Exception):
    """A primitive that needs ``hooks["trace"]`` has none: the path cannot be followed."""

    def __init__(self, prim: Any) -> None:
        self.prim = prim
        what = "control-flow primitive" if prim.structured else "primitive"
        super().__init__(f"the {what} {prim.name!r} has no 'trace' hook, so the path taken through it "
                         f"cannot be followed")


class PathTooLong(RuntimeError):
    """More equations executed than the tracer's `limit` (a loop that does
    not end, or a path too long to check)."""


class Tracer:
    """Evaluates IR; with ``record`` also builds the straight-line trace.

    Trace atoms are fresh `Var`s (one per equation executed: a loop body run
    three times defines three copies) or `Const`s.  At most `limit`
    equations are executed (`PathTooLong`).
    """

    def __init__(self, record: bool = True, limit: int | None = None) -> None:
        self.record = record
        self.steps_left = limit
        self.eqns: list[Eqn] = []
        self.values: dict[Var, Any] = {}
        self.decisions: list[tuple[str, Hashable]] = []

    # --- the API trace hooks use -----------------------------------------------

    def value(self, atom: Atom) -> Any:
        """The concrete value of a trace atom."""
        return atom.value if isinstance(atom, Const) else self.values[atom]

    def hold(self, value: Any, kind: str = "tape") -> Var:
        """A trace atom holding a Python value that no recorded equation
        reads: e.g. a tape, held as the tuple of trace atoms pushed on it."""
        var = Var(hint=kind, kind=kind)
        self.values[var] = value
        return var

    def decide(self, eqn: Eqn, choice: Hashable) -> None:
        """Record a control decision (branch taken, trip count) of `eqn`."""
        line = eqn.loc.lineno if eqn.loc is not None else "?"
        self.decisions.append((f"{eqn.prim.name}@{line}", choice))

    def inline(self, region: Region, atoms: Sequence[Atom]) -> tuple[Atom, ...]:
        """Run `region` with its params bound to trace `atoms`; its results."""
        if len(atoms) != len(region.params):
            raise ValueError(f"region takes {len(region.params)} values, got {len(atoms)}")
        env: dict[Var, Atom] = dict(zip(region.params, atoms))
        for eqn in region.eqns:
            args = tuple(env.get(a, a) if isinstance(a, Var) else a for a in eqn.args)
            outs = self.apply(eqn, args)
            env.update(zip(eqn.outs, outs))
        return tuple(env.get(r, r) if isinstance(r, Var) else r for r in region.results)

    # --- one equation ---------------------------------------------------------

    def apply(self, eqn: Eqn, args: tuple[Atom, ...]) -> tuple[Atom, ...]:
        if self.steps_left is not None:
            self.steps_left -= 1
            if self.steps_left < 0:
                raise PathTooLong("the path is longer than the tracer's limit")
        hook = eqn.prim.hooks.get("trace")
        if hook is None and (eqn.prim.structured or eqn.prim.impl is None):
            raise MissingTraceHook(eqn.prim)
        if hook is not None:
            outs = tuple(hook(self, eqn, args))
            if len(outs) != len(eqn.outs):
                raise ValueError(f"trace hook of {eqn.prim.name!r} returned {len(outs)} values for "
                                 f"{len(eqn.outs)} outputs")
            return outs
        result = eqn.prim.impl(*(self.value(a) for a in args))
        values = (result,) if len(eqn.outs) == 1 else tuple(result)
        outs = tuple(Var(hint=o.hint, kind=o.kind) for o in eqn.outs)
        self.values.update(zip(outs, values))
        if self.record:
            self.eqns.append(eqn.replace(args=args, outs=outs, params=_plain_params(eqn)))
        return outs


def _plain_params(eqn: Eqn) -> tuple:
    return tuple((k, v) for k, v in eqn.params if not isinstance(v, Region))


def _start(fn: Function, args: Sequence[Any], record: bool,
           limit: int | None) -> tuple[Tracer, tuple[Atom, ...]]:
    if len(args) != len(fn.params):
        raise TypeError(f"{fn.name}() takes {len(fn.params)} arguments, got {len(args)}")
    tracer = Tracer(record, limit)
    tracer.values.update(zip(fn.params, args))
    return tracer, tracer.inline(fn.body, fn.params)


def run(fn: Function, args: Sequence[Any], limit: int | None = None) -> tuple[Any, ...]:
    """Evaluate `fn` at `args` (Python values); the flat tuple of its results.

    Errors of the primitives (``math domain error``, division by zero)
    propagate as Python raises them; more than `limit` equations executed
    raise `PathTooLong`."""
    tracer, results = _start(fn, args, False, limit)
    return tuple(tracer.value(r) for r in results)


class Path:
    """The straight-line program of one path through a function."""

    def __init__(self, fn: Function, decisions: tuple, values: tuple[Any, ...]) -> None:
        self.fn = fn                    # straight-line Function, same params
        self.decisions = decisions      # ((where, choice), ...): identifies the path
        self.values = values            # the results at the traced point

    def __repr__(self) -> str:
        taken = ", ".join(f"{w}: {c}" for w, c in self.decisions) or "straight line"
        return f"<path {taken}>"


def trace_path(fn: Function, args: Sequence[Any], limit: int | None = None) -> Function:
    """The straight-line `Function` of the path `fn` takes at `args`
    (`PathTooLong` after `limit` equations)."""
    return trace(fn, args, limit).fn


def trace(fn: Function, args: Sequence[Any], limit: int | None = None) -> Path:
    """Like `trace_path`, with the decisions that identify the path and the values."""
    tracer, results = _start(fn, args, True, limit)
    body = Region(fn.params, tuple(tracer.eqns), results)
    path_fn = fn.with_body(body, name=f"{fn.name}_path")
    return Path(path_fn, tuple(tracer.decisions), tuple(tracer.value(r) for r in results))


def needs_tracing(fn: Function) -> bool:
    """Whether `fn` has equations only a trace hook can follow (control
    flow, tapes, indexing), so that it is checked path by path."""
    return any(e.prim.structured or e.prim.impl is None or "trace" in e.prim.hooks for e in fn.body.walk())

