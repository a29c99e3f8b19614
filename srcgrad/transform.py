"""From a user's function to a compiled transformed function.

`Transformed` is what `grad`, `value_and_grad`, `jvp`, `jacobian` and
`hessian` return.  Each instance gets its own small subclass whose
``__call__`` *is* the generated function (a staticmethod), so calling it costs
what calling a plain function costs: no wrapper frame, no tracing.  It keeps
the IR it was generated from (`.fn_ir`), so transformations compose at the IR
level: ``grad(grad(f))`` differentiates the optimised IR of ``grad(f)``.
"""
from __future__ import annotations

import functools
import inspect
import importlib
import sys
from typing import Any, Callable, Sequence

from .codegen.emit import compile_module, emit_module
from .errors import ArgumentError
from .frontend.lower import lower_function
from .ir.core import Function
from .ir.printer import format_function
from .passes import optimize


class Transformed:
    """A generated function plus everything needed to read, check and rebuild it.

    Attributes: ``source`` (the generated module's text), ``ir`` (IR listings:
    the primal and the optimised result), ``fn_ir`` (the optimised IR),
    ``primal_ir``, ``argnums`` (resolved to indices), ``transform`` (its
    kind), ``__wrapped__`` (the user's function), ``generated`` (the plain
    generated function).
    """

    source: str
    ir: str
    fn_ir: Function
    primal_ir: Function
    generated: Callable[..., Any]
    transform: str
    recipe: tuple

    def __repr__(self) -> str:
        return f"<srcgrad {self.transform} of {getattr(self.__wrapped__, '__qualname__', '?')}>"

    def __reduce__(self):
        """Pickled by reference, regenerated on load: by qualified name when
        this very object is what its module holds under that name (``@grad``
        on a module-level function), else as the recipe that made it (the
        transform, the user's function -- itself pickled by reference -- and
        the options).  Either way the receiving process needs the user's
        module importable, and runs srcgrad on it, never generated code
        shipped as text."""
        if _reachable(self.__module__, self.__qualname__) is self:
            return (_load_global, (self.__module__, self.__qualname__))
        return (_rebuild, self.recipe)

    def __copy__(self) -> "Transformed":
        return self  # immutable: a copy is the same function

    def __deepcopy__(self, memo: dict) -> "Transformed":
        return self

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        # not a method: looked up on a class it stays the same function
        return self


def _reachable(module_name: Any, qualname: Any) -> Any:
    """What `module_name`.`qualname` refers to now, or None (module not
    importable by that name, e.g. a file loaded from a path)."""
    if not isinstance(module_name, str) or not isinstance(qualname, str) or "<locals>" in qualname:
        return None
    module = sys.modules.get(module_name)
    if module is None:
        try:
            module = importlib.import_module(module_name)
        except Exception:  # noqa: BLE001 - any import failure means "not by reference"
            return None
    return _lookup_qualname(module, qualname)


def _lookup_qualname(module: Any, qualname: str) -> Any:
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _load_global(module: str, qualname: str) -> Any:
    return _lookup_qualname(importlib.import_module(module), qualname)


def _rebuild(transform: str, fun: Any, options: dict) -> Any:
    from . import api
    return getattr(api, transform)(fun, **options)


def primal_ir(fun: Any, registry: Any = None) -> Function:
    """The IR a transformation starts from: an already transformed function's
    optimised IR, a primitive applied to its arguments (``grad(math.sin)``,
    as in JAX), or the lowered source of a user's function."""
    if isinstance(fun, Transformed):
        return fun.fn_ir
    prim = _as_primitive(fun, registry)
    if prim is not None:
        return _primitive_function(prim, fun)
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
        elif isinstance(item, int) and not isinstance(item, bool):
            if not -n <= item < n:
                raise ArgumentError(f"argnums {item} is out of range for {fn.name}(), which takes {n} "
                                    f"argument(s)")
            index = item % n
        else:
            raise ArgumentError(f"argnums must be ints or parameter names, got {item!r}")
        if index in indices:
            raise ArgumentError(f"argnums names parameter {fn.param_names[index]!r} twice")
        indices.append(index)
    return tuple(indices), single


def build(fun: Any, transform: str, fn_ir: Function, options: dict, docstring: str) -> Transformed:
    """Optimise `fn_ir`, generate and compile its code, wrap it."""
    fn_ir = optimize(fn_ir)
    module = emit_module(fn_ir, docstring)
    user_fn = original(fun)
    code = getattr(user_fn, "__code__", None)
    origin = f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}" if code else "?"
    generated = compile_module(module, origin)
    cls = type(f"{transform}_{fn_ir.name}", (Transformed,), {"__call__": staticmethod(generated)})
    obj = cls.__new__(cls)
    functools.update_wrapper(obj, user_fn)
    obj.__wrapped__ = fun
    obj.generated = generated
    obj.source = module.source
    obj.module = module
    obj.fn_ir = fn_ir
    obj.primal_ir = primal_ir(fun)
    obj.ir = f"# primal\n{format_function(obj.primal_ir)}\n\n# {transform} (optimised)\n{format_function(fn_ir)}"
    obj.transform = transform
    obj.recipe = (transform, fun, options)
    obj.argnums = options.get("argnums")
    return obj


def describe_argnums(fn: Function, indices: Sequence[int]) -> str:
    return ", ".join(fn.param_names[i] for i in indices)
