"""IR -> Python `ast`: one statement per named value, expressions inlined.

A temporary (a value with no user name) that is read exactly once, in the same
region, is inlined into the expression that reads it, so ``t = cos(x); dx =
t * dy`` prints as ``dx = math.cos(x) * dy``.  Named values (the user's and
the derivatives named after them) always get a statement: they are the lines
a reader follows.

Inlining stops at `MAX_INLINE_DEPTH` operations: a deeper expression (a sum of
thousands of terms) is cut into statements, each reading the temporary the
one before it computed.  So every expression printed is shallow: building,
printing (astor recurses on it) and compiling it stay far inside Python's
limits whatever the size of the function.

Derivative code is headed by a comment quoting the user's source line it
differentiates; comments are carried through `ast` as marker statements that
`emit` turns into ``#`` lines.  Structured primitives emit their own
statements through an ``emit_stmt`` hook.
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..ir.core import Atom, Const, Eqn, Function, Region, Var, arrange_results
from .literals import constant
from .naming import BUILTIN, MODULE, OBJECT, ModuleNames, Namer, builtin_name, temporary_name

COMMENT_MARKER = "__srcgrad_comment_{}__"


@dataclass
class CodegenContext:
    namer: Namer
    comments: list[str] = field(default_factory=list)
    # every module, builtin and object the code reads (see naming.ModuleNames)
    module_names: ModuleNames = field(default_factory=ModuleNames)
    inlined: dict[Var, Eqn] = field(default_factory=dict)
    # region parameters that stand for an outer value (no Python name of their own)
    aliases: dict[Var, Atom] = field(default_factory=dict)
    # (role, line) of the comment heading the code being emitted, so a nested
    # block does not repeat its parent's comment
    heading: tuple | None = None
    # names that results of the regions being emitted will be written to
    # (see codegen.control): loops must not take them over meanwhile
    reserved: set[str] = field(default_factory=set)
    # equations a loop header already accounts for (``for x in reversed(x_tape)``)
    handled: set[Eqn] = field(default_factory=set)
    # the loop variable of loops that do not read it, when ``_`` is the user's
    unused_name: str | None = None

    def comment(self, text: str) -> ast.stmt:
        self.comments.append(text)
        marker = COMMENT_MARKER.format(len(self.comments) - 1)
        return ast.Expr(value=ast.Name(id=marker, ctx=ast.Load()))

    def builtin(self, name: str) -> ast.Name:
        """A node reading the builtin `name` (``range``, ``float``)."""
        return self.module_names.ref(BUILTIN, name)

    def global_object(self, name: str, obj: Any) -> ast.Name:
        """A node reading `obj`, bound in the module's globals as `name`
        (or under an alias, when `name` is taken)."""
        return self.module_names.ref(OBJECT, name, obj)

    def constant(self, value: Any) -> ast.expr:
        return constant(value, self.builtin)

    def atom(self, atom: Atom) -> ast.expr:
        while isinstance(atom, Var) and atom in self.aliases:
            atom = self.aliases[atom]
        if isinstance(atom, Const):
            return self.constant(atom.value)
        eqn = self.inlined.get(atom)
        if eqn is not None:
            return self.expr(eqn)
        return ast.Name(id=self.namer.name(atom), ctx=ast.Load())

    def expr(self, eqn: Eqn) -> ast.expr:
        prim = eqn.prim
        hook = prim.hooks.get("emit_expr")
        if hook is not None:
            return hook(self, eqn)
        args = [self.atom(a) for a in eqn.args]
        node = prim.emit(*args)
        self._claim_free_names(prim, node, args)
        return node

    def _claim_free_names(self, prim: Any, node: ast.expr, args: list[ast.expr]) -> None:
        """The names a primitive's printed form reads itself (``math`` in
        ``math.exp(x)``, ``abs``, a user primitive's own name), as opposed to
        its operands, become references the module names decide."""
        operands = {id(a) for a in args}
        objects = dict(prim.globals)
        # the primitive's own nodes only: an operand (an inlined expression,
        # perhaps deep) is not walked again, so this costs the size of the
        # printed form, not of everything inlined into it
        stack: list[ast.AST] = [node]
        while stack:
            sub = stack.pop()
            if id(sub) in operands:
                continue
            stack.extend(ast.iter_child_nodes(sub))
            if not isinstance(sub, ast.Name):
                continue
            if sub.id in objects:
                self.module_names.ref(OBJECT, sub.id, objects[sub.id], node=sub)
            elif sub.id in prim.imports:
                self.module_names.ref(MODULE, sub.id, node=sub)
            elif builtin_name(sub.id):
                self.module_names.ref(BUILTIN, sub.id, node=sub)
            else:
                raise AssertionError(f"primitive {prim.name} prints a name {sub.id!r} it does not declare")

    def name_of(self, atom: Atom) -> str | None:
        """The Python name holding `atom` here, if it has one of its own."""
        while isinstance(atom, Var) and atom in self.aliases:
            atom = self.aliases[atom]
        if not isinstance(atom, Var) or atom in self.inlined:
            return None
        return self.namer.name(atom)

    def existing_name(self, atom: Atom) -> str | None:
        """The Python name `atom` already has here (through aliases), without
        allocating one."""
        while isinstance(atom, Var) and atom in self.aliases:
            atom = self.aliases[atom]
        return self.namer.names.get(atom) if isinstance(atom, Var) and atom not in self.inlined else None

    def store(self, var: Var, fallback: str = "t") -> ast.Name:
        return ast.Name(id=self.namer.name(var, fallback), ctx=ast.Store())

    def assign(self, var: Var, value: ast.expr, fallback: str = "t") -> ast.stmt:
        return ast.Assign(targets=[self.store(var, fallback)], value=value, lineno=0)

    def temporary_name(self, eqn: Eqn) -> str:
        return temporary_name(eqn.prim.name, [self.name_of(a) if isinstance(a, Var) else None
                                              for a in eqn.args])


END = 1 << 30
# Operations one printed expression holds at most (see the module docstring);
# small enough that `atom`/`expr` (three frames an operation) and astor stay
# shallow, large enough that no expression a person writes is cut.
MAX_INLINE_DEPTH = 16


@dataclass
class RegionPlan:
    """Which equations of a region are inlined, and where each value is last
    read once inlining has moved expressions to their single user."""

    region: Region
    inlined: set[Var]
    position: dict[int, int]          # equation index -> where its expression is evaluated
    last_use: dict[Var, int]          # var -> last evaluation position reading it (END: results)
    definer: dict[Var, int]           # var -> index of its defining equation

    def dead_after(self, var: Var, index: int) -> bool:
        return self.last_use.get(var, -1) <= self.position.get(index, index)


def _inlinable(eqn: Eqn, counts: Counter, keep: set[Var]) -> bool:
    return (len(eqn.outs) == 1 and not eqn.regions and not eqn.prim.structured
            and not eqn.outs[0].hint and counts[eqn.outs[0]] == 1 and eqn.outs[0] not in keep
            and not eqn.prim.hooks.get("effect") and not eqn.prim.hooks.get("emit_stmt"))


def plan_region(region: Region, keep: set[Var] = frozenset()) -> RegionPlan:
    """Decide inlining (temporaries read once, not in `keep`) and liveness."""
    counts: Counter = Counter()
    user: dict[Var, int] = {}
    definer: dict[Var, int] = {}
    for j, eqn in enumerate(region.eqns):
        for a in eqn.args:
            if isinstance(a, Var):
                counts[a] += 1
                user[a] = j
        for o in eqn.outs:
            definer[o] = j
    for r in region.results:
        if isinstance(r, Var):
            counts[r] += 1
            user[r] = END
    keep = set(keep)
    for eqn in region.eqns:
        pinned = eqn.prim.hooks.get("pinned_args")   # read repeatedly (inside a loop body)
        if pinned is not None:
            keep.update(a for a in pinned(eqn) if isinstance(a, Var))
    inlined = {e.outs[0] for e in region.eqns if _inlinable(e, counts, keep)}
    _cap_depth(region, inlined)
    position: dict[int, int] = {}
    for j in range(len(region.eqns) - 1, -1, -1):
        eqn = region.eqns[j]
        if eqn.outs and eqn.outs[0] in inlined:
            u = user[eqn.outs[0]]
            position[j] = END if u == END else position[u]
        else:
            position[j] = j
    last_use: dict[Var, int] = {}
    for j, eqn in enumerate(region.eqns):
        for a in eqn.args:
            if isinstance(a, Var):
                last_use[a] = max(last_use.get(a, -1), position[j])
    for r in region.results:
        if isinstance(r, Var):
            last_use[r] = END
    return RegionPlan(region, inlined, position, last_use, definer)


def _cap_depth(region: Region, inlined: set[Var]) -> None:
    """Take out of `inlined` the temporaries at which an expression would
    grow deeper than `MAX_INLINE_DEPTH` operations: each becomes a statement
    of its own (a fresh root, of depth 0)."""
    depth: dict[Var, int] = {}
    for eqn in region.eqns:
        operands = [a for a in eqn.args if isinstance(a, Var) and a in inlined]
        while operands and 1 + max(depth[a] for a in operands) > MAX_INLINE_DEPTH:
            deepest = max(depth[a] for a in operands)
            for a in operands:
                if depth[a] == deepest:
                    inlined.discard(a)
            operands = [a for a in operands if a in inlined]
        if eqn.outs and eqn.outs[0] in inlined:
            depth[eqn.outs[0]] = 1 + max((depth[a] for a in operands), default=0)


def region_statements(ctx: CodegenContext, region: Region, plan: RegionPlan | None = None) -> list[ast.stmt]:
    """Statements for a region's equations (its results are the caller's)."""
    plan = plan or plan_region(region)
    for eqn in region.eqns:
        if eqn.outs and eqn.outs[0] in plan.inlined:
            ctx.inlined[eqn.outs[0]] = eqn
    body: list[ast.stmt] = []
    outer_heading = ctx.heading
    for j, eqn in enumerate(region.eqns):
        if (eqn.outs and eqn.outs[0] in plan.inlined) or eqn in ctx.handled:
            continue
        block = (eqn.role, eqn.loc.lineno) if eqn.role and eqn.loc is not None else None
        if block is not None and block != ctx.heading:
            text = eqn.loc.source_line.strip()
            body.append(ctx.comment(f"{eqn.role} of line {eqn.loc.lineno}: {text}"))
        ctx.heading = block
        hook = eqn.prim.hooks.get("emit_stmt")
        if hook is not None:
            body.extend(hook(ctx, eqn, plan, j))
            ctx.heading = block
            continue
        body.append(ctx.assign(eqn.outs[0], ctx.expr(eqn), ctx.temporary_name(eqn)))
    ctx.heading = outer_heading
    return body


def function_def(fn: Function, ctx: CodegenContext, docstring: str | None) -> ast.FunctionDef:
    for var, name in zip(fn.params, fn.param_names):
        ctx.namer.fix(var, name)
    body: list[ast.stmt] = []
    if docstring:
        body.append(ast.Expr(value=ast.Constant(docstring)))
    signature = list(fn.param_names)
    if fn.in_groups is not None:
        signature, start = [], 0
        for group, count, *rest in fn.in_groups:
            names = [ast.Name(id=n, ctx=ast.Store()) for n in fn.param_names[start:start + count]]
            target = ast.Tuple(elts=names, ctx=ast.Store())
            value = _group_value(ctx, group, count, rest[0] if rest else ())
            body.append(ast.Assign(targets=[target], value=value, lineno=0))
            signature.append(group)
            start += count
    body.extend(region_statements(ctx, fn.body))
    results = [ctx.atom(r) for r in fn.body.results]
    body.append(ast.Return(value=arrange_results(fn.out_tree, results,
                                                 lambda elts: ast.Tuple(elts=elts, ctx=ast.Load()))))
    defaults = [_default(ctx, name, value) for name, value in
                zip(signature[len(signature) - len(fn.defaults):], fn.defaults)]
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in signature], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=defaults)
    return ast.FunctionDef(name=fn.name, args=args, body=body, decorator_list=[], returns=None,
                           lineno=1, col_offset=0)


def _group_value(ctx: CodegenContext, group: str, count: int, defaults: tuple) -> ast.expr:
    """``primals`` itself, or, when its last parameters have defaults, the
    group completed with them: ``(*primals, *(2.0,)[len(primals) - 1:])``."""
    if not defaults:
        return ast.Name(id=group, ctx=ast.Load())
    required = count - len(defaults)
    length = ast.Call(func=ctx.builtin("len"), args=[ast.Name(id=group, ctx=ast.Load())],
                      keywords=[])
    start = ast.BinOp(left=length, op=ast.Sub(), right=ast.Constant(required)) if required else length
    tail = ast.Subscript(value=ast.Tuple(elts=[ctx.constant(d) for d in defaults], ctx=ast.Load()),
                         slice=ast.Slice(lower=start, upper=None, step=None), ctx=ast.Load())
    return ast.Tuple(elts=[ast.Starred(value=ast.Name(id=group, ctx=ast.Load()), ctx=ast.Load()),
                           ast.Starred(value=tail, ctx=ast.Load())], ctx=ast.Load())


def _default(ctx: CodegenContext, name: str, value: Any) -> ast.expr:
    if value is None or isinstance(value, (bool, int, float, str)):
        return ctx.constant(value)
    return ctx.global_object(f"_default_{name}", value)
