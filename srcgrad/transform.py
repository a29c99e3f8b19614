"""From a user's function to a compiled transformed function.

`grad`, `value_and_grad`, `jvp`, `jacobian` and `hessian` return the
generated function itself, with its source, IR and recipe as attributes
(`Transformed` describes them), so calling it costs what calling a plain
Python function costs: no wrapper, no tracing.  It keeps the IR it was
generated from (`.fn_ir`), so transformations compose at the IR level:
``grad(grad(f))`` differentiates the optimised IR of ``grad(f)``.
"""
from __future__ import annotations

import contextlib
import gc
import inspect
import threading
import operator
import types
from typing import Any, Callable, Iterator, Sequence

from . import generated
from .codegen.emit import compile_module, emit_module
from .errors import ArgumentError
from .frontend.lower import lower_function
from .ir.core import Function
from .ir.printer import format_function
from .passes import optimize


# CPython 3.11 and 3.12 keep the AST converter's recursion depth in state
# shared by all threads, so two threads parsing or compiling ASTs at once can
# fail with "SystemError: AST constructor recursion depth mismatch".  srcgrad
# parses while it lowers and compiles while it generates code: one thread at a
# time does either (reentrant: lowering a helper happens inside lowering).  The
# generated functions themselves run without any lock.
COMPILER_LOCK = threading.RLock()
_depth = 0       # nesting of `compiling` blocks; only the thread holding the lock touches it


@contextlib.contextmanager
def compiling() -> Iterator[None]:
    """Hold `COMPILER_LOCK`, with the cyclic garbage collector paused.

    Compiling builds many small immutable objects (IR, ASTs) that live until
    it ends; every full collection walks all of them, which made compile time
    superlinear (31% of `grad()` of 10,000 operations went to collection).
    The compiler makes no cyclic garbage worth collecting on the way, so
    collection waits until the outermost block ends, and the collector's
    previous state (enabled or not, as the user left it) is restored exactly.
    Reentrant like the lock: only the outermost block pauses and restores.
    Other threads' objects are still freed by reference counting meanwhile;
    only their cycles wait.
    """
    global _depth
    with COMPILER_LOCK:
        pause = _depth == 0 and gc.isenabled()
        if pause:
            gc.disable()
        _depth += 1
        try:
            yield
        finally:
            _depth -= 1
            if pause:
                gc.enable()


class _TransformedType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return getattr(obj, "__srcgrad_transform__", None) is not None


class Transformed(metaclass=_TransformedType):
    """What `grad` and friends return: the generated function itself, with
    everything needed to read, check and rebuild it as attributes.
    (``isinstance(df, Transformed)`` is true of every such function.)

    Attributes: ``source`` (the generated module's text), ``ir`` (IR listings:
    the primal and the optimised result), ``fn_ir`` (the optimised IR),
    ``primal_ir``, ``argnums``, ``transform`` (its kind), ``__wrapped__`` (the
    user's function), ``generated`` (the same function without ``__wrapped__``,
    so `inspect.getsource` shows generated code), ``module``.
    Pickled by reference (see `srcgrad.generated`).
    """

    source: str
    ir: str
    fn_ir: Function
    primal_ir: Function
    generated: Callable[..., Any]
    transform: str
    recipe: tuple


def primal_ir(fun: Any, registry: Any = None) -> Function:
    """The IR a transformation starts from: an already transformed function's
    optimised IR, a primitive applied to its arguments (``grad(math.sin)``,
    as in JAX), or the lowered source of a user's function."""
    if isinstance(fun, Transformed):
        return fun.fn_ir
    if inspect.ismethod(fun):
        from .errors import UnsupportedSyntaxError
        from .frontend.source import read_source
        source = read_source(fun.__func__)
        raise UnsupportedSyntaxError(
            f"{fun.__qualname__} is a bound method: srcgrad differentiates plain functions (define it at "
            f"module level and pass what it reads from self as arguments)", source.location(source.node))
    prim = _as_primitive(fun, registry)
    if prim is not None:
        return _primitive_function(prim, fun)
    with compiling():
        return lower_function(fun, registry)


def _as_primitive(fun: Any, registry: Any) -> Any:
    from .primitives import REGISTRY
    from .primitives.user import UserPrimitive
    if isinstance(fun, UserPrimitive):
        return fun.primitive(registry if registry is not None else REGISTRY)
    prim = (registry if registry is not None else REGISTRY).for_callable(fun)
    return prim if prim is not None and prim.nargs >= 1 else None


def _primitive_function(prim: Any, fun: Any) -> Function:
    from .ir.builder import Builder
    from .ir.core import Region, Var
    try:
        names = tuple(inspect.signature(fun).parameters)[:prim.nargs]
    except (TypeError, ValueError):
        names = ()
    if len(names) != prim.nargs:
        names = ("x",) if prim.nargs == 1 else tuple(f"x{i}" for i in range(1, prim.nargs + 1))
    params = tuple(Var(hint=n) for n in names)
    b = Builder()
    out = b.apply(prim, *params)
    name = getattr(fun, "__name__", prim.name)
    return Function(name=name, param_names=names, body=Region(params, tuple(b.eqns), (out,)), origin=fun)


def original(fun: Any) -> Any:
    return fun.__wrapped__ if isinstance(fun, Transformed) else fun


def resolve_argnums(fn: Function, argnums: Any) -> tuple[tuple[int, ...], bool]:
    """Indices for `argnums` (ints, names, or a tuple of them), and whether
    the caller asked for a single one (bare result) or a tuple."""
    single = not isinstance(argnums, (tuple, list))
    items = (argnums,) if single else tuple(argnums)
    if not items:
        raise ArgumentError("argnums is empty: say which arguments to differentiate with respect to")
    indices = []
    n = len(fn.param_names)
    for item in items:
        if isinstance(item, str):
            if item not in fn.param_names:
                raise ArgumentError(f"{fn.name}() has no parameter named {item!r} "
                                    f"(its parameters: {', '.join(fn.param_names) or 'none'})")
            index = fn.param_names.index(item)
        else:
            position = _position(item)
            if not -n <= position < n:
                raise ArgumentError(f"argnums {position} is out of range for {fn.name}(), which takes {n} "
                                    f"argument(s)" + (f" (use 0 to {n - 1}, or -{n} to -1)" if n else ""))
            index = position % n
        if index in indices:
            raise ArgumentError(f"argnums names parameter {fn.param_names[index]!r} twice "
                                f"({', '.join(repr(i) for i in items)})")
        indices.append(index)
    return tuple(indices), single


def _position(item: Any) -> int:
    """An argnum as an int: Python and NumPy integers (`operator.index`), not bools."""
    try:
        if not isinstance(item, bool):
            return operator.index(item)
    except TypeError:
        pass
    raise ArgumentError(f"argnums must be ints or parameter names, got {item!r} ({type(item).__name__})")


def build(fun: Any, transform: str, fn_ir: Function, options: dict, docstring: str) -> Transformed:
    """Optimise `fn_ir`, generate and compile its code, and return the
    compiled function with its attributes (see `Transformed`)."""
    with compiling():
        fn_ir = optimize(fn_ir)
        module = emit_module(fn_ir, docstring)
    user_fn = original(fun)
    code = getattr(user_fn, "__code__", None)
    origin = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}" if code else "?"
    with compiling():
        fn = compile_module(module, origin)
    fn.__name__ = getattr(user_fn, "__name__", fn.__name__)
    fn.__doc__ = getattr(user_fn, "__doc__", None)
    fn.__wrapped__ = fun
    fn.__srcgrad_transform__ = transform
    # the same code without __wrapped__, which inspect.getsource would follow
    fn.generated = types.FunctionType(fn.__code__, fn.__globals__, fn.__code__.co_name, fn.__defaults__)
    fn.source = module.source
    fn.module = module
    fn.fn_ir = fn_ir
    fn.primal_ir = primal_ir(fun)
    fn.ir = f"# primal\n{format_function(fn.primal_ir)}\n\n# {transform} (optimised)\n{format_function(fn_ir)}"
    fn.transform = transform
    fn.recipe = (transform, fun, options)
    fn.argnums = options.get("argnums")
    recipe = generated.recipe_text(transform, fun, options)
    if recipe is not None:
        fn.__srcgrad_recipe__ = recipe
        fn.__module__ = generated.__name__
        fn.__qualname__ = generated.register(fn, recipe)
    return fn


def describe_argnums(fn: Function, indices: Sequence[int]) -> str:
    return ", ".join(fn.param_names[i] for i in indices)
