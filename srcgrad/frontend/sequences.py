"""Lowering of sequences, iteration and calls to the user's own functions.

Sequences inside a function are *static*: a list or tuple of IR values whose
length is known when `grad` is applied (literals, comprehensions and appends
in loops with constant bounds, which are unrolled).  They can be indexed by a
constant or, via ``pick``, by a run-time int such as a loop index.
Module-level lists and tuples of numbers are constant tables: a loop over
one stays a loop and reads ``TABLE[i]`` (``const_index``).

A call to one of the user's own functions is inlined: its IR (lowered, or
reused from the cache while all it read holds) is copied in with the
arguments bound, keyword arguments and defaults included; so is a srcgrad
transform called inside (``df = grad(f)``), as the IR of what it computes.
Inlining keeps generated code free of call overhead and lets activity
analysis and the passes see through helpers.
"""
from __future__ import annotations

import ast
import builtins
import linecache
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from ..ir.core import INT, Const, Var, arrange_results
from ..ir.inline import inline
from ..primitives.composites import SUM_N
from ..primitives.control import ConstTable
from .resolve import MISSING, is_number


@dataclass
class Iteration:
    """What a ``for`` loop iterates over, for `ControlFlowLowering`."""

    bounds: tuple = ()                         # (start, stop, step) for a structured loop
    index_hint: str = "i"
    target_names: set = field(default_factory=set)
    bind: Callable[[Any, Var], None] = lambda lowering, index: None
    unroll: list | None = None                 # items, when the loop is unrolled


def _is_table(obj: Any) -> bool:
    """A module-level list or tuple of numbers (maybe empty: a loop over it
    runs no times, as in Python)."""
    return isinstance(obj, (list, tuple)) and all(is_number(v) and not isinstance(v, bool) for v in obj)


class SequenceLowering:
    """Mixin for `Lowering`."""

    # --- literals and operations on static sequences ----------------------------

    def expr_List(self, node: ast.List) -> Any:
        return tuple(self.expr(e) for e in node.elts)

    def expr_ListComp(self, node: ast.ListComp) -> Any:
        if len(node.generators) != 1 or node.generators[0].is_async:
            raise self.fail("only comprehensions with one 'for' are supported", node)
        gen = node.generators[0]
        items = self.static_items(gen.iter, gen)
        saved = dict(self.env)
        values = []
        for item in items:
            self.assign(gen.target, item)
            if all(self._keeps(cond) for cond in gen.ifs):
                values.append(self.expr(node.elt))
        # the comprehension's variable does not leak (Python 3 scoping)
        self.env = {k: v for k, v in self.env.items() if k in saved or k not in _targets(gen.target)}
        for name in _targets(gen.target):
            if name in saved:
                self.env[name] = saved[name]
        return tuple(values)

    def _keeps(self, cond: ast.expr) -> bool:
        """Whether a comprehension's ``if`` keeps the current item.  It must be
        decided now (it reads the loop variable over constants, module
        numbers...): the list's length is part of the program srcgrad writes."""
        value = self.truth(self.expr(cond), cond)
        if not isinstance(value, Const):
            raise self.fail("this comprehension's 'if' depends on values known only at run time, so the "
                            "length of the list it builds is not known when grad is applied; use a "
                            "conditional expression instead (x if cond else 0.0) or a loop", cond)
        return bool(value.value)

    def expr_Subscript(self, node: ast.Subscript) -> Any:
        if isinstance(node.slice, ast.Slice):
            raise self.fail("slices are not supported", node)
        index = self.expr(node.slice)
        if isinstance(node.value, (ast.Name, ast.Attribute)) and not self._is_local(node.value):
            table = self.object_of(node.value)
            if not _is_table(table):
                raise self.fail(f"{ast.unparse(node.value)!r} is not a list or tuple of numbers", node.value)
            if isinstance(index, Const):
                return Const(table[self._const_index(index, len(table), node)])
            if not table:
                raise self.fail(f"{ast.unparse(node.value)} is empty: indexing it raises IndexError", node)
            return self.b.apply("const_index", self.scalar(index, node),
                                params=(("table", ConstTable(table)), ("name", ast.unparse(node.value))))
        seq = self.expr(node.value)
        if not isinstance(seq, tuple):
            raise self.fail("only lists and tuples can be indexed", node.value)
        if isinstance(index, Const):
            return seq[self._const_index(index, len(seq), node)]
        index = self.scalar(index, node)
        if index.kind != INT:
            raise self.fail("a sequence index must be an int (a loop index, len(...) or int(...))", node.slice)
        if any(isinstance(v, tuple) for v in seq):
            raise self.fail("indexing nested sequences with a run-time index is not supported", node)
        return self.b.apply("pick", index, *seq)

    def _const_index(self, index: Const, length: int, node: ast.AST) -> int:
        if not isinstance(index.value, int) or isinstance(index.value, bool):
            raise self.fail("a sequence index must be an int", node)
        if not -length <= index.value < length:
            raise self.fail(f"index {index.value} is out of range for a sequence of length {length}", node)
        return index.value

    def _is_local(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.env

    def builtin_on_sequence(self, fn: Any, node: ast.Call) -> Any:
        """len(...) of static sequences and constant tables; sum(...) of them,
        also of a generator expression and with a start value."""
        is_sum = fn is builtins.sum
        start_node = None
        if is_sum and len(node.args) == 2 and not node.keywords:
            start_node = node.args[1]
        elif is_sum and len(node.args) == 1 and [k.arg for k in node.keywords] == ["start"]:
            start_node = node.keywords[0].value
        elif node.keywords or len(node.args) != 1:
            raise self.fail(f"{fn.__name__}() takes one sequence argument here"
                            + (" (and a start value)" if is_sum else ""), node)
        arg = node.args[0]
        start = self.atom(start_node) if start_node is not None else Const(0)
        if isinstance(arg, (ast.Name, ast.Attribute)) and not self._is_local(arg):
            table = self.object_of(arg)
            if not _is_table(table):
                raise self.fail(f"{ast.unparse(arg)!r} is not a list or tuple of numbers", arg)
            if not is_sum:
                return Const(len(table))
            seq: Any = tuple(Const(v) for v in table)
        elif is_sum:
            seq = self.consumed_sequence(arg)
        else:
            seq = self.expr(arg)
        if not isinstance(seq, tuple):
            raise self.fail(f"{fn.__name__}() needs a list or tuple", arg)
        if not is_sum:
            return Const(len(seq))
        if not seq:
            return start        # as Python's sum: the start value itself
        items = [self.scalar(item, arg) for item in seq]
        return self.apply(SUM_N, start, *items)

    def consumed_sequence(self, node: ast.expr) -> Any:
        """The items of an argument sum/min/max consume at once: a generator
        expression there is a comprehension (iterated once, right away)."""
        if isinstance(node, ast.GeneratorExp):
            return self.expr_ListComp(node)   # the same fields: elt, generators
        return self.expr(node)

    def min_max(self, fn: Any, node: ast.Call) -> Any:
        """min/max of two or more numbers, or of one list or tuple: a chain of
        the binary primitive, left to right, as Python compares them (an item
        replaces the current one only when strictly greater, for max, so of
        equal ones the first wins and receives the derivative)."""
        name = fn.__name__
        if node.keywords:
            raise self.fail(f"{name}() with key= or default= is not supported", node.keywords[0])
        if not node.args:
            raise self.fail(f"{name}() needs at least one argument (Python raises TypeError)", node)
        if len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, (ast.Name, ast.Attribute)) and not self._is_local(arg):
                table = self.object_of(arg)
                if not _is_table(table):
                    raise self.fail(f"{ast.unparse(arg)!r} is not a list or tuple of numbers", arg)
                if not table:
                    raise self.fail(f"{name}() of an empty sequence: Python raises ValueError", arg)
                return Const(fn(table))
            # range(...), enumerate/zip of sequences: their items, known now
            items = tuple(self.static_items(arg, arg)) if isinstance(arg, ast.Call) \
                else self.consumed_sequence(arg)
            if not isinstance(items, tuple):
                raise self.fail(f"{name}() of one number: Python raises TypeError (a number is not "
                                f"iterable); give it two or more numbers, or a list", arg)
            if not items:
                raise self.fail(f"{name}() of an empty sequence: Python raises ValueError", arg)
            where = arg
        else:
            items = tuple(self.expr(a) for a in node.args)
            where = node
        if any(isinstance(item, tuple) for item in items):
            raise self.fail(f"{name}() of sequences compares them item by item; srcgrad supports {name}() "
                            f"of numbers", where)
        prim = self.registry.for_callable(fn)
        result = items[0]
        # the call's own position, so an error about it points here
        statement_loc, self.b.loc = self.b.loc, self.src.location(node)
        try:
            for item in items[1:]:
                result = self.apply(prim, result, item)
        finally:
            self.b.loc = statement_loc
        return result

    def expand_starred(self, node: ast.Call) -> ast.Call:
        """``f(*xs)`` as ``f(xs[0], xs[1], ...)`` when the length of `xs` is
        known now: a list or tuple built in the function, a literal, or a
        module-level table."""
        args: list[ast.expr] = []
        for arg in node.args:
            if not isinstance(arg, ast.Starred):
                args.append(arg)
                continue
            inner = arg.value
            if isinstance(inner, (ast.List, ast.Tuple)) and not any(isinstance(e, ast.Starred)
                                                                    for e in inner.elts):
                args.extend(inner.elts)
                continue
            length = self._static_length(inner)
            if length is None and not isinstance(inner, (ast.Name, ast.Attribute)):
                # another expression (a comprehension, a call): evaluated once, held
                # under a name no Python code can spell
                value = self.expr(inner)
                if isinstance(value, tuple):
                    held = f"*{len(self.env)}:{ast.unparse(inner)}"
                    self.env[held] = value
                    inner, length = ast.copy_location(ast.Name(id=held, ctx=ast.Load()), inner), len(value)
            if length is None:
                raise self.fail("starred arguments are supported for lists and tuples whose length is "
                                "known when grad is applied (built in the function, or module-level)", arg)
            args.extend(ast.copy_location(ast.Subscript(value=inner, slice=ast.copy_location(ast.Constant(k), arg),
                                                        ctx=ast.Load()), arg) for k in range(length))
        return ast.copy_location(ast.Call(func=node.func, args=args, keywords=node.keywords), node)

    def _static_length(self, node: ast.expr) -> int | None:
        if isinstance(node, ast.Name) and node.id in self.env:
            value = self.env[node.id]
            return len(value) if isinstance(value, tuple) else None
        if isinstance(node, (ast.Name, ast.Attribute)):
            table = self.object_of(node)
            return len(table) if _is_table(table) else None
        return None

    def append(self, node: ast.Call) -> None:
        target = node.func.value
        if not isinstance(target, ast.Name) or target.id not in self.env or \
                not isinstance(self.env[target.id], tuple):
            raise self.fail("append() is supported on lists built inside the function", node)
        if len(node.args) != 1 or node.keywords:
            raise self.fail("append() takes one value", node)
        if self.loop_depth > self.unrolling:
            raise self.fail("append() inside a loop whose trip count is only known at run time is not "
                            "supported: the list's length must be known when grad is applied", node)
        self.env[target.id] = self.env[target.id] + (self.expr(node.args[0]),)

    # --- what a for loop iterates over -------------------------------------------

    def iteration(self, stmt: ast.For) -> Iteration:
        builds_sequence = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                              and n.func.attr == "append" for n in ast.walk(stmt))
        it = stmt.iter
        if builds_sequence or self._static_iterable(it) or isinstance(it, (ast.Tuple, ast.List)):
            return Iteration(unroll=self.static_items(it, stmt))
        names = set(_targets(stmt.target))
        if isinstance(it, ast.Call) and not self._is_local(it.func):
            fn = self.object_of(it.func) if isinstance(it.func, (ast.Name, ast.Attribute)) else None
            if fn is builtins.range:
                return self._range_iteration(stmt, it, names)
            if fn is builtins.enumerate:
                return self._table_iteration(stmt, it.args, names, enumerate_=True)
            if fn is builtins.zip:
                return self._table_iteration(stmt, it.args, names, enumerate_=False)
        if isinstance(it, (ast.Name, ast.Attribute)):
            return self._table_iteration(stmt, [it], names, enumerate_=False)
        raise self.fail("for loops are supported over range(...), module-level lists of numbers "
                        "(also with enumerate and zip) and lists built in the function", it)

    def _static_iterable(self, it: ast.expr) -> bool:
        """Iterating a sequence built in the function (also via enumerate/zip)."""
        if isinstance(it, ast.Name) and isinstance(self.env.get(it.id), tuple):
            return True
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id in ("enumerate", "zip"):
            return any(self._static_iterable(a) for a in it.args)
        return False

    def _range_iteration(self, stmt: ast.For, call: ast.Call, names: set) -> Iteration:
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise self.fail("range() takes 1 to 3 arguments", call)
        args = [self.atom(a) for a in call.args]
        start, stop, step = (Const(0), args[0], Const(1)) if len(args) == 1 else \
            (args[0], args[1], args[2] if len(args) == 3 else Const(1))
        if any(isinstance(a, Const) and (not isinstance(a.value, int) or isinstance(a.value, bool))
               for a in (start, stop, step)):
            raise self.fail("range() bounds must be ints", call)
        if isinstance(step, Const) and step.value == 0:
            raise self.fail("range() step must not be zero", call)
        if not isinstance(stmt.target, ast.Name):
            raise self.fail("the target of a loop over range() must be one name", stmt.target)
        name = stmt.target.id

        def bind(lowering: Any, index: Var) -> None:
            lowering.env[name] = index
        return Iteration(bounds=(start, stop, step), index_hint=name, target_names=names, bind=bind)

    def _table_iteration(self, stmt: ast.For, args: list, names: set, enumerate_: bool) -> Iteration:
        tables = []
        for arg in args:
            table = self.object_of(arg) if isinstance(arg, (ast.Name, ast.Attribute)) else MISSING
            if not _is_table(table):
                raise self.fail("for loops are supported over range(...), module-level lists of numbers "
                                "(also with enumerate and zip) and lists built in the function", arg)
            tables.append((ast.unparse(arg), tuple(table)))
        if enumerate_ and len(tables) != 1:
            raise self.fail("enumerate() takes one sequence here", stmt.iter)
        length = min(len(t) for _, t in tables)
        target = stmt.target
        if enumerate_:
            if not (isinstance(target, ast.Tuple) and len(target.elts) == 2
                    and all(isinstance(e, ast.Name) for e in target.elts)):
                raise self.fail("unpack enumerate() into two names: for i, x in enumerate(...)", target)
            index_name, value_targets = target.elts[0].id, [target.elts[1]]
        else:
            index_name = ""
            value_targets = [target] if len(tables) == 1 else list(getattr(target, "elts", []))
            if len(value_targets) != len(tables) or not all(isinstance(t, ast.Name) for t in value_targets):
                raise self.fail("unpack zip() into one name per sequence", target)

        def bind(lowering: Any, index: Var) -> None:
            if index_name:
                lowering.env[index_name] = index
            # zip stops at the shortest table (the loop's bounds); each table
            # keeps all its entries, so one name always means one table
            for t, (name, table) in zip(value_targets, tables):
                value = lowering.b.apply("const_index", index,
                                        params=(("table", ConstTable(table)), ("name", name)))
                lowering.env[t.id] = lowering.named(value, t.id)
        return Iteration(bounds=(Const(0), Const(length), Const(1)), index_hint=index_name or "index",
                         target_names=names, bind=bind)

    def static_items(self, it: ast.expr, node: ast.AST) -> list:
        """The items of an iterable whose length is known now."""
        if isinstance(it, ast.Call) and isinstance(it.func, (ast.Name, ast.Attribute)) \
                and not self._is_local(it.func):
            fn = self.object_of(it.func)
            if fn is builtins.range:
                args = [self.atom(a) for a in it.args]
                if it.keywords or not all(isinstance(a, Const) and isinstance(a.value, int) for a in args):
                    raise self.fail("this loop builds a list, so its range() bounds must be constants",
                                    it)
                return [Const(k) for k in range(*(a.value for a in args))]
            if fn is builtins.enumerate:
                return [(Const(k), v) for k, v in enumerate(self.static_items(it.args[0], node))]
            if fn is builtins.zip:
                return list(zip(*(self.static_items(a, node) for a in it.args)))
        if isinstance(it, (ast.Name, ast.Attribute)) and not self._is_local(it):
            table = self.object_of(it)
            if _is_table(table):
                return [Const(v) for v in table]
        value = self.expr(it)
        if not isinstance(value, tuple):
            raise self.fail("cannot iterate over a number", it)
        return list(value)

    # --- calls to the user's own functions ---------------------------------------

    def call_user_function(self, fn: types.FunctionType, node: ast.Call) -> Any:
        from .lower import _in_progress, read_function
        name = ast.unparse(node.func)
        if fn in _in_progress():
            raise self.fail(f"{name}() is called recursively (directly or through helpers): recursion is "
                            f"not supported; write it with a loop", node)
        if not linecache.getlines(fn.__code__.co_filename, fn.__globals__):
            # made by exec/eval, or from a frozen module: nothing to inline
            raise self.no_rule(fn, name, node, f", whose source Python does not have "
                                               f"({fn.__code__.co_filename})")
        reading = read_function(fn, self.registry)
        self.helpers[id(fn), id(reading)] = (fn, reading)
        return self.inline_call(reading.ir, name, node)

    def call_transformed(self, fn: Any, node: ast.Call) -> Any:
        """A srcgrad transform (``df = grad(f)``) called here: inlined as what
        it computes, its optimised IR, never as the function it was made from."""
        return self.inline_call(fn.fn_ir, ast.unparse(node.func), node)

    def inline_call(self, callee: Any, name: str, node: ast.Call) -> Any:
        """Bind the call's arguments to `callee`'s parameters as Python would
        (positions, keywords, defaults; a group parameter such as jvp's
        ``primals`` takes a tuple) and inline its body."""
        groups = callee.in_groups or tuple((p, None, ()) for p in callee.param_names)
        names = [g[0] for g in groups]
        args = [self.expr(a) for a in node.args]
        if len(args) > len(names):
            raise self.fail(f"{name}() takes {len(names)} arguments, got {len(args)}", node)
        bound: dict[str, Any] = dict(zip(names, args))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in names:
                raise self.fail(f"{name}() has no parameter {kw.arg!r}", kw)
            if kw.arg in bound:
                raise self.fail(f"{name}() got two values for {kw.arg!r}", kw)
            bound[kw.arg] = self.expr(kw.value)
        defaults = {} if callee.in_groups else \
            dict(zip(names[len(names) - len(callee.defaults):], callee.defaults))
        values = []
        for group, count, _ in groups:
            if group in bound:
                value = bound[group]
            elif group in defaults and is_number(defaults[group]):
                value = Const(defaults[group])
            else:
                raise self.fail(f"{name}() is missing a number for its parameter {group!r}", node)
            if count is None:
                values.append(self.scalar(value, node))
            elif isinstance(value, tuple) and len(value) == count:
                values.extend(self.scalar(v, node) for v in value)
            else:
                raise self.fail(f"{name}() takes a tuple of {count} numbers as {group!r}", node)
        results = inline(self.b, callee, values, restamp=True)
        return arrange_results(callee.out_tree, results)


def _targets(target: ast.expr) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
