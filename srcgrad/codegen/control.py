"""Python statements for structured control flow and tapes.

* ``cond`` becomes ``if pred: ... else: ...``; each branch assigns the
  outputs (a branch value computed in the branch is named as the output
  directly), and a conditional whose branches compute nothing becomes a
  conditional expression ``y = a if c else b``.
* Loops keep one Python name per loop-carried value: the initial value's own
  name when it is not read after the loop (so ``for ...: x = f(x)`` prints as
  the user wrote it), a fresh one otherwise.  A value computed in the body
  takes the carried name directly when the old value is not read after it;
  other updates are one tuple assignment at the end of the body, so swaps
  stay correct.
* Tapes are lists: ``x_tape.append(x)``, ``x = x_tape.pop()``.
"""
from __future__ import annotations

import ast
from collections import Counter
from typing import Any

from ..ir.core import Const, Eqn, Var
from ..primitives.control import (BREAK, COND, CONST_INDEX, FOR_RANGE, NORMAL, RETURN, TAPE_POP, TAPE_PUSH,
                                  WHILE_LOOP, LoopParts)
from .pyast import CodegenContext, RegionPlan, plan_region, region_statements


def _name(id_: str, store: bool = False) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Store() if store else ast.Load())


def _assign_many(ctx: CodegenContext, names: list[str], values: list[ast.expr]) -> list[ast.stmt]:
    if not names:
        return []
    if len(names) == 1:
        return [ast.Assign(targets=[_name(names[0], True)], value=values[0], lineno=0)]
    target = ast.Tuple(elts=[_name(n, True) for n in names], ctx=ast.Store())
    return [ast.Assign(targets=[target], value=ast.Tuple(elts=values, ctx=ast.Load()), lineno=0)]


def _branch(ctx: CodegenContext, region: Any, out_names: list[str]) -> list[ast.stmt]:
    """A region's statements followed by assignments of its results."""
    counts = Counter(r for r in region.results if isinstance(r, Var))
    defined = {o for e in region.eqns for o in e.outs}
    candidates = [(name, r) for r, name in zip(region.results, out_names)
                  if isinstance(r, Var) and r in defined and counts[r] == 1 and r not in ctx.namer.names]
    plan = plan_region(region, {r for _, r in candidates})
    stmts = _emit_with_results_in_place(ctx, region, plan, candidates)
    pending = [(n, r) for n, r in zip(out_names, region.results) if ctx.name_of(r) != n]
    return stmts + _assign_many(ctx, [n for n, _ in pending], [ctx.atom(r) for _, r in pending])


def _emit_with_results_in_place(ctx: CodegenContext, region: Any, plan: RegionPlan,
                                candidates: list) -> list[ast.stmt]:
    """Emit `region`, writing results computed in it straight to the names
    they must end up in (``x = f(x)`` rather than ``t = f(x); ...; x = t``)
    where that is safe.

    A name may hold several values of the region (the carried input, a branch
    parameter standing for it); a result may take it only if all of those are
    read for the last time where the result is computed, or before:

    * a result of a plain statement is renamed after the region is emitted,
      when every name is final (the statement reads its operands before it
      writes; its temporary name is unique, so renaming it is safe);
    * a result of a conditional is named before, so that its branches see the
      name and order their own writes; the name is reserved meanwhile, so no
      loop before it in the region takes it over;
    * a result of a loop keeps its own name.
    """
    top_level = list(region.params) + [o for e in region.eqns for o in e.outs]

    def free_at(name: str, r: Var) -> bool:
        holders = [v for v in top_level if v is not r and ctx.existing_name(v) == name]
        return all(plan.last_use.get(v, -1) <= plan.definer[r] for v in holders)

    reserved = []
    for name, r in candidates:
        definer = region.eqns[plan.definer[r]]
        if definer.prim.hooks.get("results_named_before") and name not in ctx.reserved and free_at(name, r):
            ctx.namer.fix(r, name)
            reserved.append(name)
    ctx.reserved.update(reserved)
    try:
        stmts = region_statements(ctx, region, plan)
    finally:
        ctx.reserved.difference_update(reserved)
    for name, r in candidates:
        current = ctx.namer.names.get(r)
        definer = region.eqns[plan.definer[r]]
        if current is None or current == name or definer.regions or definer in ctx.handled:
            continue      # (a value the loop header defines keeps the header's name)
        if not ctx.namer.shared(current, r) and free_at(name, r):
            _rename(stmts, current, name)
            ctx.namer.rename(r, name)
            ctx.namer.release(current)     # no longer used anywhere: free for later values
    return stmts


def _rename(stmts: list[ast.stmt], old: str, new: str) -> None:
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and node.id == old:
                node.id = new


def emit_cond(ctx: CodegenContext, eqn: Eqn, plan: RegionPlan, index: int) -> list[ast.stmt]:
    pred, free = eqn.args[0], eqn.args[1:]
    then_region, else_region = eqn.param("then"), eqn.param("else")
    for region in (then_region, else_region):
        for p, a in zip(region.params, free):
            ctx.aliases[p] = a
    out_names = [ctx.namer.name(o) for o in eqn.outs]
    test = ctx.atom(pred)
    if len(eqn.outs) == 1 and not then_region.eqns and not else_region.eqns:
        value = ast.IfExp(test=test, body=ctx.atom(then_region.results[0]), orelse=ctx.atom(else_region.results[0]))
        return [ast.Assign(targets=[_name(out_names[0], True)], value=value, lineno=0)]
    body = _branch(ctx, then_region, out_names) or [ast.Pass()]
    orelse = _branch(ctx, else_region, out_names)
    return [ast.If(test=test, body=body, orelse=orelse)]


def _range_call(ctx: CodegenContext, bounds: tuple, reverse: bool) -> ast.expr:
    start, stop, step = bounds
    if isinstance(step, Const) and step.value == 1:
        args = [stop] if isinstance(start, Const) and start.value == 0 else [start, stop]
    else:
        args = [start, stop, step]
    call = ast.Call(func=ctx.builtin("range"), args=[ctx.atom(a) for a in args], keywords=[])
    return _reversed(ctx, call) if reverse else call


def emit_loop(ctx: CodegenContext, eqn: Eqn, plan: RegionPlan, index: int) -> list[ast.stmt]:
    parts = LoopParts.of(eqn)
    loop_index, state_p, free_p = parts.body_params()
    for p, a in zip(free_p, parts.free):
        ctx.aliases[p] = a
    stmts: list[ast.stmt] = []
    arg_counts = Counter(a for a in eqn.args if isinstance(a, Var))
    names: list[str] = []
    for a, o, p in zip(parts.init, parts.state_outs(), state_p):
        reusable = (isinstance(a, Var) and arg_counts[a] == 1 and plan.dead_after(a, index)
                    and a not in ctx.aliases and a not in ctx.inlined)
        name = ctx.name_of(a) if reusable else None
        if name in ctx.reserved:        # a later result of this region is to be written there
            name = None
        if name is None or name in names:
            name = ctx.namer.name(o)
            stmts.append(ast.Assign(targets=[_name(name, True)], value=ctx.atom(a), lineno=0))
        names.append(name)
        ctx.namer.fix(o, name)
        ctx.namer.fix(p, name)
    code_name = None
    if parts.has_exit:
        code_name = ctx.namer.name(eqn.outs[0])
        stmts.append(ctx.comment(f"{code_name}: {NORMAL} goes on, {BREAK} breaks out of the loop, "
                                 f"{RETURN} returns from the function"))
        stmts.append(ast.Assign(targets=[_name(code_name, True)], value=ast.Constant(NORMAL), lineno=0))
    body = parts.body
    results = list(parts.state_results())
    slots = list(zip(names, state_p, results))
    if parts.has_exit:
        slots.append((code_name, None, body.results[0]))
    counts = Counter(r for r in body.results if isinstance(r, Var))
    defined = {o for e in body.eqns for o in e.outs}
    candidates = [(name, r) for name, _, r in slots if isinstance(r, Var) and r in defined and counts[r] == 1
                  and r not in ctx.namer.names]
    bplan = plan_region(body, {r for _, r in candidates})
    header = _walked(ctx, eqn, parts, names) if parts.indexed else None
    inner = _emit_with_results_in_place(ctx, body, bplan, candidates)
    pending = [(n, r) for n, _, r in slots if ctx.name_of(r) != n]
    inner += _assign_many(ctx, [n for n, _ in pending], [ctx.atom(r) for _, r in pending])
    if code_name is not None:
        test = ast.Compare(left=_name(code_name), ops=[ast.GtE()], comparators=[ast.Constant(BREAK)])
        inner.append(ast.If(test=test, body=[ast.Break()], orelse=[]))
    if header is not None:
        target, iterable = header
        loop = ast.For(target=target, iter=iterable, body=inner or [ast.Pass()], orelse=[], lineno=0)
    else:
        loop = _while(ctx, parts, names, inner)
    return stmts + [loop]


def _walked(ctx: CodegenContext, eqn: Eqn, parts: LoopParts, names: list[str]) -> tuple[ast.expr, ast.expr]:
    """Target and iterable of a ``for`` over range: what the body reads at
    each step is walked directly where it can be, as a person would write it.

    * a tape the body pops once per step (a backward loop) is walked
      backwards: ``for x in reversed(x_tape)``; it holds exactly one entry
      per step by construction;
    * a constant table read at the index, over the table's whole length, is
      walked itself: ``for c in COEFFS``;
    * the index, when something else reads it, is walked as ``range(...)``
      (zipped with the rest); nothing reads it and nothing else is walked:
      ``for _ in range(n)``, whichever way the loop runs.
    The equations those walks replace are not emitted.
    """
    body = parts.body
    index, state_p, _ = parts.body_params()
    reverse = bool(eqn.param("reverse"))
    walks: list[tuple[str, ast.expr]] = []
    handled: list[Eqn] = []
    if reverse and not parts.has_exit:
        results = parts.state_results()
        for e in body.eqns:
            if e.prim is TAPE_POP and e.args[0] in state_p and results[state_p.index(e.args[0])] is e.outs[1]:
                tape = names[state_p.index(e.args[0])]
                ctx.namer.fix(e.outs[1], tape)
                walks.append((ctx.namer.name(e.outs[0]), _reversed(ctx, _name(tape))))
                handled.append(e)
    start, stop, step = parts.bounds
    whole = (isinstance(start, Const) and start.value == 0 and isinstance(step, Const) and step.value == 1
             and isinstance(stop, Const))
    for e in body.eqns:
        if (whole and e.prim is CONST_INDEX and e.args[0] is index and e.outs[0].hint
                and len(e.param("table")) == stop.value):
            table = ctx.expr(e).value          # binds the table as a global; `NAME[i]` -> `NAME`
            walks.append((ctx.namer.name(e.outs[0]), _reversed(ctx, table) if reverse else table))
            handled.append(e)
    ctx.handled.update(handled)
    used = any(index in e.args for e in body.eqns if e not in handled) or index in body.results
    if used or not walks:
        name = (ctx.namer.name(index) if index.hint else ctx.namer.name(index, "i")) if used else _unused(ctx)
        ctx.namer.fix(index, name)
        walks.insert(0, (name, _range_call(ctx, parts.bounds, reverse and used)))
    if len(walks) == 1:
        return _name(walks[0][0], True), walks[0][1]
    target = ast.Tuple(elts=[_name(n, True) for n, _ in walks], ctx=ast.Store())
    return target, ast.Call(func=ctx.builtin("zip"), args=[w for _, w in walks], keywords=[])


def _unused(ctx: CodegenContext) -> str:
    """The loop variable nobody reads: ``_``, unless the user's code holds
    something there (a parameter named ``_``); it is shared by every such
    loop of the function, since nothing reads it."""
    if ctx.unused_name is None:
        ctx.unused_name = "_" if "_" not in ctx.namer.taken else ctx.namer.fresh("unused")
    return ctx.unused_name


def _reversed(ctx: CodegenContext, iterable: ast.expr) -> ast.expr:
    return ast.Call(func=ctx.builtin("reversed"), args=[iterable], keywords=[])


def _while(ctx: CodegenContext, parts: LoopParts, names: list[str], inner: list[ast.stmt]) -> ast.stmt:
    cond = parts.cond
    n = parts.n_state
    for p, name in zip(cond.params[:n], names):
        ctx.namer.fix(p, name)
    for p, a in zip(cond.params[n:], parts.free):
        ctx.aliases[p] = a
    cplan = plan_region(cond)
    test_stmts = region_statements(ctx, cond, cplan)
    test = ctx.atom(cond.results[0])
    if not test_stmts:
        return ast.While(test=test, body=inner or [ast.Pass()], orelse=[])
    stop = ast.If(test=ast.UnaryOp(op=ast.Not(), operand=test), body=[ast.Break()], orelse=[])
    return ast.While(test=ast.Constant(True), body=test_stmts + [stop] + inner, orelse=[])


def emit_push(ctx: CodegenContext, eqn: Eqn, plan: RegionPlan, index: int) -> list[ast.stmt]:
    tape, value = eqn.args
    name = ctx.name_of(tape)
    ctx.namer.fix(eqn.outs[0], name)
    call = ast.Call(func=ast.Attribute(value=_name(name), attr="append", ctx=ast.Load()),
                    args=[ctx.atom(value)], keywords=[])
    return [ast.Expr(value=call)]


def emit_pop(ctx: CodegenContext, eqn: Eqn, plan: RegionPlan, index: int) -> list[ast.stmt]:
    name = ctx.name_of(eqn.args[0])
    ctx.namer.fix(eqn.outs[1], name)
    call = ast.Call(func=ast.Attribute(value=_name(name), attr="pop", ctx=ast.Load()), args=[], keywords=[])
    return [ast.Assign(targets=[ctx.store(eqn.outs[0])], value=call, lineno=0)]


def emit_const_index(ctx: CodegenContext, eqn: Eqn) -> ast.expr:
    table = ctx.global_object(eqn.param("name"), tuple(eqn.param("table")))
    return ast.Subscript(value=table, slice=ctx.atom(eqn.args[0]), ctx=ast.Load())


COND.hooks["emit_stmt"] = emit_cond
COND.hooks["results_named_before"] = True
for _loop in (FOR_RANGE, WHILE_LOOP):
    _loop.hooks["emit_stmt"] = emit_loop
    _loop.hooks["pinned_args"] = lambda eqn: LoopParts.of(eqn).free
TAPE_PUSH.hooks["emit_stmt"] = emit_push
TAPE_POP.hooks["emit_stmt"] = emit_pop
CONST_INDEX.hooks["emit_expr"] = emit_const_index
CONST_INDEX.hooks["global_names"] = lambda eqn: (eqn.param("name"),)
