"""Lowering: a Python function's AST to the SSA IR.

Each assignment defines new SSA values; the environment maps the user's names
to the current value.  Names that are not locals are resolved here, when
`grad` is applied (`resolve.Scope`, which records each look-up so that the
`cache` reuses a lowering only while all it read still holds).  Anything outside the supported subset is
refused with a `SrcGradError` pointing at the offending node.

Statements and expressions dispatch on the node's class name (``stmt_Assign``,
``expr_BinOp``); what is not handled is refused by `refuse_stmt`/`refuse_expr`
with a message from `REFUSALS`.
"""
from __future__ import annotations

import ast
import builtins
import threading
import types
from typing import Any, Union

from ..errors import (ArgumentError, NoDerivativeRuleError, SrcGradError,
                      UnsupportedSyntaxError)
from ..ir.builder import Builder
from ..ir.check import check_stage
from ..ir.core import Atom, Const, Function, Region, Var
from ..primitives import REGISTRY
from ..primitives.core import constant_result
from ..primitives.composites import COMPOSITES
from . import cache
from .control import ControlFlowLowering, assigned_names, flatten, structure
from .resolve import MISSING, Scope, is_number
from .sequences import SequenceLowering
from .source import FunctionSource, read_source
from .wrappers import foreign_decorator, refused_wrapper, wrapper_description

# A lowered Python value: a scalar atom, or a fixed-length tuple of values.
Value = Union[Atom, tuple]

REFUSALS: dict[str, str] = {
    "Try": "try/except cannot be differentiated",
    "TryStar": "try/except* cannot be differentiated",
    "With": "'with' blocks cannot be differentiated",
    "AsyncWith": "'async with' cannot be differentiated",
    "AsyncFor": "'async for' cannot be differentiated",
    "Global": "'global' declarations are not supported: srcgrad differentiates pure functions",
    "Nonlocal": "'nonlocal' declarations are not supported: srcgrad differentiates pure functions",
    "Delete": "'del' is not supported",
    "Raise": "'raise' is not supported",
    "Assert": "'assert' is not supported",
    "Import": "imports inside the function are not supported: import at module level",
    "ImportFrom": "imports inside the function are not supported: import at module level",
    "FunctionDef": "nested function definitions are not supported: define helpers at module level",
    "AsyncFunctionDef": "nested function definitions are not supported",
    "ClassDef": "class definitions inside the function are not supported",
    "Match": "'match' statements are not supported",
    "Lambda": "lambda expressions are not supported: define a function at module level",
    "Yield": "generators ('yield') cannot be differentiated",
    "YieldFrom": "generators ('yield from') cannot be differentiated",
    "Await": "'await' cannot be differentiated",
    "NamedExpr": "assignment expressions (':=') are not supported",
    "GeneratorExp": "generator expressions are not supported",
    "SetComp": "set comprehensions are not supported",
    "DictComp": "dict comprehensions are not supported",
    "Dict": "dicts are not supported",
    "Set": "sets are not supported",
    "JoinedStr": "f-strings are not supported",
    "Starred": "starred expressions are not supported",
    "Slice": "slices are not supported",
}

ALLOWED_CALL_KEYWORDS = {"round": {"ndigits"}}


class Lowering(ControlFlowLowering, SequenceLowering):
    """Lowers one function.  Use `lower_function`."""

    def __init__(self, source: FunctionSource, registry: Any = None) -> None:
        self.src = source
        self.registry = registry if registry is not None else REGISTRY
        self.scope = Scope(source.func)
        self.b = Builder(self.registry)
        self.env: dict[str, Value] = {}
        self.loop_depth = 0      # loops around the statement being lowered
        self.unrolling = 0       # of which unrolled (their bodies may append)
        self.stmt_start = 0      # index in self.b.eqns where the current statement began
        self.helpers: dict = {}  # (function, Reading) of each helper inlined, once, for the cache
        self.unbound_why: dict[str, list] = {}

    # --- errors --------------------------------------------------------------

    def fail(self, message: str, node: ast.AST, cls: type = UnsupportedSyntaxError) -> SrcGradError:
        return cls(message, self.src.location(node))

    # --- the function --------------------------------------------------------

    def lower(self) -> Function:
        node = self.src.node
        args = node.args
        for kind, present in (("*args", args.vararg), ("**kwargs", args.kwarg)):
            if present is not None:
                raise self.fail(f"{kind} parameters are not supported", present)
        if args.kwonlyargs or args.posonlyargs:
            bad = (args.kwonlyargs or args.posonlyargs)[0]
            raise self.fail("keyword-only and positional-only parameters are not supported", bad)
        params = tuple(Var(hint=a.arg) for a in args.args)
        for p in params:
            self.env[p.hint] = p
        # As in Python, a name assigned anywhere in the function is local to
        # all of it: where it has no value, it is unbound, never a global.
        self.local_names = set(assigned_names(node.body)) | {p.hint for p in params}
        body = node.body
        if ast.get_docstring(node) is not None:
            body = body[1:]
        outcome = self.lower_stmts(body)
        if outcome.kinds != frozenset({"return"}):
            raise self.fail(f"{node.name}() does not return a value on every path: there is nothing to "
                            f"differentiate where it falls off the end", node)
        flat = tuple(flatten(outcome.value))
        out_tree = _index_tree(structure(outcome.value), iter(range(len(flat))))
        region = Region(params, tuple(self.b.eqns), flat)
        func = self.src.func
        return Function(
            name=node.name, param_names=tuple(p.hint for p in params), body=region,
            defaults=tuple(getattr(func, "__defaults__", None) or ()), filename=self.src.filename,
            doc=getattr(func, "__doc__", None), origin=func, out_tree=out_tree)

    # --- statements ----------------------------------------------------------

    def refusal(self, node: ast.AST) -> SrcGradError:
        name = type(node).__name__
        message = REFUSALS.get(name, f"{name} is not supported by srcgrad")
        return self.fail(message, node)

    def stmt_Pass(self, node: ast.Pass) -> None:
        pass

    def stmt_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a string used as a comment
        call = node.value
        if isinstance(call, (ast.Yield, ast.YieldFrom, ast.Await)):
            raise self.refusal(call)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "append":
            self.append(call)
            return
        raise self.fail("an expression statement has no effect on the result and may have side effects "
                        "(print, I/O, mutation), which srcgrad does not differentiate; remove it", node)

    def stmt_Assign(self, node: ast.Assign) -> None:
        value = self.expr(node.value)
        several = len(node.targets) > 1    # a = b = ...: one value under several names, none renamed
        for target in node.targets:
            self.assign(target, value, rename=not several)

    def stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is None:
            return
        self.assign(node.target, self.expr(node.value))

    def stmt_AugAssign(self, node: ast.AugAssign) -> None:
        if not isinstance(node.target, ast.Name):
            raise self.fail("augmented assignment to an attribute or subscript is not supported "
                            "(srcgrad differentiates pure functions)", node.target)
        current = self.load_name(node.target.id, node.target)
        value = self.binary(node.op, current, self.expr(node.value), node)
        self.assign(node.target, value)

    def assign(self, target: ast.expr, value: Value, rename: bool = True) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = self.named(value, target.id) if rename else value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if not isinstance(value, tuple):
                raise self.fail("cannot unpack a scalar", target)
            if any(isinstance(t, ast.Starred) for t in target.elts):
                raise self.fail("starred unpacking is not supported", target)
            if len(target.elts) != len(value):
                raise self.fail(f"cannot unpack {len(value)} values into {len(target.elts)} names", target)
            for sub, item in zip(target.elts, value):
                self.assign(sub, item, rename)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            raise self.fail("assignment to an attribute or subscript is not supported "
                            "(srcgrad differentiates pure functions)", target)
        else:
            raise self.refusal(target)

    def named(self, value: Value, name: str) -> Value:
        """Give the user's name to the value an assignment just computed.

        Only the temporary computed last, by the current statement, is named.
        It is named in place, keeping its identity: the statement may hold it
        elsewhere too (``a, b = pair(t)`` with ``pair`` returning ``p, p``, or
        ``a = b = t``), and a fresh Var would leave those holders pointing at
        a value nothing defines.  Anything else is simply bound."""
        if isinstance(value, Var) and not value.hint and len(self.b.eqns) > self.stmt_start:
            last = self.b.eqns[-1]
            if len(last.outs) == 1 and last.outs[0] is value:
                object.__setattr__(value, "hint", name)   # a hint is presentation only: Vars compare by identity
        return value

    # --- expressions ---------------------------------------------------------

    def expr(self, node: ast.expr) -> Value:
        handler = getattr(self, "expr_" + type(node).__name__, None)
        if handler is None:
            raise self.refusal(node)
        return handler(node)

    def atom(self, node: ast.expr) -> Atom:
        return self.scalar(self.expr(node), node)

    def scalar(self, value: Value, node: ast.AST) -> Atom:
        if isinstance(value, tuple):
            raise self.fail("a tuple is used where a number is expected", node)
        return value

    def expr_Constant(self, node: ast.Constant) -> Value:
        if isinstance(node.value, (bool, int, float)):
            return Const(node.value)
        raise self.fail(f"constant {node.value!r} is not a number", node)

    def expr_Name(self, node: ast.Name) -> Value:
        return self.load_name(node.id, node)

    def load_name(self, name: str, node: ast.AST) -> Value:
        if name in self.env:
            return self.env[name]
        return self.constant_value(self.global_object(name, node), name, node)

    def global_object(self, name: str, node: ast.AST) -> Any:
        if name in self.local_names:
            why = self.why_unbound(name, node) or (
                f"{name!r} has no value here: it is a local variable (assigned elsewhere in the function), "
                f"and nothing before this point assigns it on every path")
            raise self.fail(why, node)
        obj = self.scope.lookup(name)
        if obj is MISSING:
            raise self.fail(f"name {name!r} is not defined", node)
        if self.scope.is_closure(name) and isinstance(obj, (list, dict, set)):
            raise self.fail(f"{name!r} is a {type(obj).__name__} from an enclosing function: mutable state "
                            f"srcgrad would freeze when grad is applied; pass its values as arguments or "
                            f"use a module-level tuple", node)
        return obj

    def constant_value(self, obj: Any, name: str, node: ast.AST) -> Value:
        if isinstance(obj, bool) or is_number(obj):
            return Const(obj)
        if isinstance(obj, tuple) and all(is_number(v) for v in obj):
            return tuple(Const(v) for v in obj)
        raise self.fail(f"{name!r} is a {type(obj).__name__}, not a number srcgrad can use as a value", node)

    def expr_Attribute(self, node: ast.Attribute) -> Value:
        obj = self.object_of(node)
        return self.constant_value(obj, ast.unparse(node), node)

    def object_of(self, node: ast.expr) -> Any:
        """The Python object a dotted name (``math.pi``, ``np.sin``) refers to."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                raise self.fail(f"{node.id!r} is a local value, not a module or function", node)
            return self.global_object(node.id, node)
        if isinstance(node, ast.Attribute):
            base = self.object_of(node.value)
            if not isinstance(base, types.ModuleType):
                raise self.fail("attribute access on objects is not supported (only on modules, "
                                "such as math.pi)", node)
            obj = self.scope.attribute(base, node.attr)
            if obj is MISSING:
                raise self.fail(f"module {base.__name__!r} has no attribute {node.attr!r}", node)
            return obj
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
            maker = self.object_of(node.func)
            if _is_srcgrad_api(maker):
                raise self.fail(f"{ast.unparse(node)} makes a transform inside the differentiated function: "
                                f"make it once outside (df = {ast.unparse(node)}) and call df here, which "
                                f"srcgrad differentiates as the code it generated", node)
        raise self.fail("only names and module attributes can be called", node)

    def expr_Tuple(self, node: ast.Tuple) -> Value:
        return tuple(self.expr(e) for e in node.elts)

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Value:
        return self.operators(node)

    def unary(self, node: ast.UnaryOp, operand: Value) -> Value:
        operand = self.scalar(operand, node.operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        prim = self.registry.by_operator.get(type(node.op))
        if prim is None:
            raise self.fail(f"unary operator {type(node.op).__name__} is not supported", node)
        return self.apply(prim, operand)

    def operators(self, root: ast.expr) -> Value:
        """The value of a tree of arithmetic operators (``BinOp``, ``UnaryOp``).

        Python's parser takes such trees thousands of levels deep without
        brackets (``a + b + ... `` is left-deep, ``a ** b ** ...`` right-deep,
        ``- - x`` a chain), so they are walked with an explicit stack, never
        by recursion; operands are evaluated left to right, as Python does.
        Other operands (calls, subscripts, brackets) nest at most as deep as
        Python's parser allows brackets (200 levels)."""
        values: list[Value] = []
        todo: list[tuple[ast.expr, bool]] = [(root, False)]
        while todo:
            node, operands_done = todo.pop()
            if operands_done:
                if isinstance(node, ast.BinOp):
                    right = values.pop()
                    values.append(self.binary(node.op, values.pop(), right, node))
                else:
                    values.append(self.unary(node, values.pop()))
            elif isinstance(node, ast.BinOp):
                todo += [(node, True), (node.right, False), (node.left, False)]
            elif isinstance(node, ast.UnaryOp):
                todo += [(node, True), (node.operand, False)]
            else:
                values.append(self.expr(node))
        return values[0]

    def apply(self, prim: Any, *args: Atom) -> Atom:
        """Apply a primitive, computing it now when every operand is a
        constant, so that indices, bounds and conditions such as ``t[-1]``,
        ``range(2 * N)`` or ``if DEBUG`` are decided when grad is applied."""
        if args and all(isinstance(a, Const) for a in args):
            value = constant_result(prim, [a.value for a in args])
            if value is not None:
                return Const(value)
        return self.b.apply(prim, *args)

    def expr_BinOp(self, node: ast.BinOp) -> Value:
        return self.operators(node)

    def binary(self, op: ast.operator, left: Value, right: Value, node: ast.AST) -> Value:
        prim = self.registry.by_operator.get(type(op))
        if prim is None:
            raise self.fail(f"operator {type(op).__name__} is not supported on numbers", node)
        return self.apply(prim, self.scalar(left, node), self.scalar(right, node))

    def expr_Compare(self, node: ast.Compare) -> Value:
        left = self.atom(node.left)
        result: Atom | None = None
        for op, comparator in zip(node.ops, node.comparators):
            prim = self.registry.by_operator.get(type(op))
            if prim is None:
                raise self.fail(f"comparison {type(op).__name__} is not supported", node)
            right = self.atom(comparator)
            test = self.apply(prim, left, right)
            # a < b < c is (a < b) and (b < c); both are booleans, so 'and' is a select
            result = test if result is None else self.b.select(result, test, result)
            left = right
        return result

    def expr_Call(self, node: ast.Call) -> Value:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "append":
            raise self.fail("append() returns None; call it as a statement", node)
        fn = self.object_of(node.func)
        name = ast.unparse(node.func)
        if any(isinstance(a, ast.Starred) for a in node.args):
            node = self.expand_starred(node)
        from ..primitives.user import UserPrimitive
        from ..transform import Transformed
        if isinstance(fn, Transformed):     # grad(f) used inside: differentiate what it computes
            return self.call_transformed(fn, node)
        if fn is builtins.len or fn is builtins.sum:
            return self.builtin_on_sequence(fn, node)
        if fn is builtins.min or fn is builtins.max:
            return self.min_max(fn, node)
        if fn in (builtins.eval, builtins.exec, builtins.compile):
            raise self.fail(f"{name}() runs code srcgrad cannot see: it is not supported", node.func)
        if isinstance(fn, types.MethodType):
            raise self.fail(f"{name}() is a method: srcgrad differentiates plain functions "
                            f"(methods are refused)", node.func)
        if isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>":
            raise self.fail(f"{name} is a lambda: define it with 'def' at module level", node.func)
        known = isinstance(fn, UserPrimitive) or self.registry.for_callable(fn) is not None \
            or COMPOSITES.get(id(fn), (None,))[0] is fn
        wrapped = None if known else wrapper_description(fn)
        if wrapped is not None:
            raise self.fail(f"{name} is {wrapped}: srcgrad differentiates the function it is given and "
                            f"cannot see what the wrapper does; call the function itself, or make the "
                            f"wrapper's work a srcgrad.primitive", node.func)
        if isinstance(fn, types.FunctionType) and _is_srcgrad_api(fn) and not isinstance(fn, UserPrimitive):
            # srcgrad's own API (grad, jvp, verify...) is not a helper to inline
            raise self.fail(f"{name}() is srcgrad's own {fn.__name__}: apply it outside the differentiated "
                            f"function (df = srcgrad.{fn.__name__}(h)) and call the result here, which "
                            f"srcgrad differentiates as the code it generated", node.func)
        if isinstance(fn, types.FunctionType) and not isinstance(fn, UserPrimitive) \
                and self.registry.for_callable(fn) is None:
            self.check_helper_closure(fn, name, node)
            return self.call_user_function(fn, node)
        if isinstance(fn, UserPrimitive):
            return self.call_primitive(self.scope.user_primitive(fn, self.registry), name, node)
        composite = COMPOSITES.get(id(fn))
        if composite is not None and composite[0] is fn:
            args = [self.atom(a) for a in node.args]
            keywords = {k.arg: self.atom(k.value) for k in node.keywords}
            try:
                return composite[1](self.b, *args, **keywords)
            except TypeError:
                raise self.fail(f"unsupported arguments in call to {name}()", node) from None
        prim = self.registry.for_callable(fn)
        if prim is not None:
            return self.call_primitive(prim, name, node)
        raise self.no_rule(fn, name, node)

    def no_rule(self, fn: Any, name: str, node: ast.Call, why: str = "") -> SrcGradError:
        """The error for a call srcgrad can neither inline nor differentiate."""
        short = name.rsplit(".", 1)[-1]
        return self.fail(
            f"no derivative rule for {name}() ({_describe(fn)}{why}). To give it one, wrap it in a "
            f"primitive of your own and attach its partial derivatives:\n"
            f"    @srcgrad.primitive\n    def my_{short}(x): return {name}(x)\n"
            f"    @my_{short}.derivative\n    def _(x): return ...  # d my_{short} / dx\n"
            f"then call my_{short}() here.", node.func, NoDerivativeRuleError)

    def check_helper_closure(self, fn: Any, name: str, node: ast.Call) -> None:
        cells = fn.__closure__ or ()
        for var, cell in zip(fn.__code__.co_freevars, cells):
            try:
                value = cell.cell_contents
            except ValueError:
                value = None
            if not (isinstance(value, (int, float, types.ModuleType, types.FunctionType)) or callable(value)):
                raise self.fail(f"{name}() is a closure over {var!r} ({type(value).__name__}), mutable state "
                                f"srcgrad cannot treat as a constant; pass it as an argument", node.func)

    def call_primitive(self, prim: Any, name: str, node: ast.Call) -> Value:
        if node.keywords:
            raise self.fail(f"keyword arguments are not supported in calls to {name}()", node)
        args = [self.atom(a) for a in node.args]
        if len(args) != prim.nargs:
            raise self.fail(f"{name}() takes {prim.nargs} argument(s) here, got {len(args)}", node)
        # the call's own position, so an error about this primitive points at it
        statement_loc, self.b.loc = self.b.loc, self.src.location(node)
        try:
            return self.apply(prim, *args)
        finally:
            self.b.loc = statement_loc


def _index_tree(shape: Any, counter: Any) -> Any:
    """`Function.out_tree` for a returned value of this `structure`: None for
    a bare scalar, else nested tuples of result indices."""
    if shape is None:
        return None
    return tuple(next(counter) if s is None else _index_tree(s, counter) for s in shape)


def _is_srcgrad_api(obj: Any) -> bool:
    """Whether `obj` comes from srcgrad itself (grad, jvp, verify...):
    never a helper to read and inline."""
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "srcgrad"


def _describe(fn: Any) -> str:
    if isinstance(fn, type):
        return f"the class {fn.__qualname__}: calling it makes an object, not a number srcgrad can follow"
    if isinstance(fn, (types.BuiltinFunctionType, types.FunctionType)):
        module = getattr(fn, "__module__", None)
        kind = "a builtin" if isinstance(fn, types.BuiltinFunctionType) else "a function"
        return f"{kind} from module {module!r}" if module else kind
    return f"a callable {type(fn).__module__}.{type(fn).__qualname__} object"


def lower_function(func: Any, registry: Any = None) -> Function:
    """The primal IR of a Python function as it is now (see `cache`)."""
    return read_function(func, registry).function(func)


def read_function(func: Any, registry: Any = None) -> cache.Reading:
    """Lower `func`, or reuse a lowering of it whose every read still holds."""
    if not callable(func):
        raise ArgumentError(f"expected a function, got {type(func).__name__}")
    refusal = refused_wrapper(func)
    if refusal is not None:
        raise refusal
    if not isinstance(func, types.FunctionType):
        raise ArgumentError(f"srcgrad differentiates functions defined with 'def'; "
                            f"{func!r} is a {type(func).__name__}")
    in_progress = _in_progress()
    if func in in_progress:      # only reached for the function grad was applied to
        raise UnsupportedSyntaxError(
            f"{func.__qualname__}() calls itself (directly or through helpers): recursion is not supported; "
            f"write it with a loop", in_progress[func])
    hit = cache.lookup(func, registry)
    if hit is not None:
        return hit
    source = read_source(func)
    decorator = foreign_decorator(source.node, func)
    if decorator is not None:
        raise UnsupportedSyntaxError(
            f"{func.__qualname__} is decorated with @{ast.unparse(decorator)}, which is not srcgrad's: the "
            f"name is bound to whatever the decorator returned, not to this function, and srcgrad cannot "
            f"see what it does; remove the decorator, or apply it to what srcgrad returns",
            source.location(decorator))
    code, defaults = func.__code__, func.__defaults__    # as read: the lowering reflects these
    in_progress[func] = source.location(source.node)
    try:
        lowering = Lowering(source, registry)
        fn = check_stage(lowering.lower(), f"lowering of {func.__qualname__}")
    finally:
        del in_progress[func]
    reading = cache.Reading(fn.with_body(fn.body, origin=None), code, defaults, lowering.scope,
                            tuple(lowering.helpers.values()), registry)
    cache.store(func, registry, reading)
    return reading


_THREAD = threading.local()


def _in_progress() -> dict[Any, Any]:
    """Functions this thread is lowering right now (helpers are lowered while
    their caller is), to refuse recursion instead of looping forever.  Per
    thread: another thread lowering the same function is not recursion."""
    progress = getattr(_THREAD, "in_progress", None)
    if progress is None:
        progress = _THREAD.in_progress = {}
    return progress
