"""The transformations users call, named as in JAX: `grad`, `value_and_grad`,
`jvp`, `jacobian`, `hessian`.

Each reads the function's source (or, for an already transformed function,
its optimised IR), builds the transformed IR, and returns a `Transformed`.
"""
from __future__ import annotations

import inspect
import operator
import sys
import types
from typing import Any, Sequence

from .ad.forward import forward
from .ad.reverse import has_tapes, reverse
from .ad.taylor import taylor
from .codegen.naming import Namer, transformed_name
from .errors import ArgumentError, NoDerivativeRuleError, SourceLocation
from .ir.builder import Builder
from .ir.core import Function, Region, Var
from .ir.inline import inline
from .transform import Transformed, build, describe_argnums, primal_ir, resolve_argnums


def _primal(fun: Any) -> Any:
    """`primal_ir(fun)`, after refusing what is callable but not a function
    srcgrad can read: a class, a builtin without a rule, a callable object."""
    if isinstance(fun, Transformed) or inspect.isfunction(fun) or inspect.ismethod(fun):
        return primal_ir(fun)
    from .primitives import REGISTRY
    from .primitives.user import UserPrimitive
    if isinstance(fun, UserPrimitive) or REGISTRY.for_callable(fun) is not None:
        return primal_ir(fun)
    name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or type(fun).__name__
    if isinstance(fun, type):
        raise ArgumentError(f"{name} is a class: srcgrad differentiates functions defined with 'def' "
                            f"(write one that computes the number you need)", _where(fun))
    if isinstance(fun, (types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType,
                        types.MethodWrapperType, types.ClassMethodDescriptorType)):
        raise NoDerivativeRuleError(f"no derivative rule for {name}() (a builtin, which has no Python "
                                    f"source to differentiate); wrap it in an @srcgrad.primitive with a "
                                    f"derivative to give it one")
    if not callable(fun):
        raise ArgumentError(f"expected a function, got {type(fun).__name__}")
    from .frontend.wrappers import refused_wrapper
    refusal = refused_wrapper(fun)      # partial, lru_cache...: as for a wrapper function
    if refusal is not None:
        raise refusal
    kind = f"{type(fun).__module__}.{type(fun).__qualname__}"
    raise ArgumentError(f"got a callable {kind} object, not a function: srcgrad differentiates "
                        f"functions defined with 'def' (define one that computes what the object "
                        f"computes)", _where(type(fun)))


def _where(obj: Any) -> SourceLocation | None:
    """Where `obj` (a class, or a decorated function) is defined, when it
    is the user's own (not the standard library's)."""
    if getattr(obj, "__module__", "").split(".")[0].lstrip("_") in sys.stdlib_module_names:
        return None
    try:
        lines, first = inspect.getsourcelines(obj)
        filename = inspect.getsourcefile(obj) or "?"
    except (OSError, TypeError):
        return None
    return SourceLocation(filename, first, 0, None, lines[0] if lines else "")


def _decorator_or_call(fun: Any, make: Any) -> Any:
    return make if fun is None else make(fun)


def grad(fun: Any = None, argnums: Any = 0, *, order: int = 1, mode: str | None = None,
         verify: bool = False) -> Any:
    """The gradient of a scalar function.

    ``grad(f)(x, y)`` is df/dx; ``argnums`` picks arguments by position or
    name (a tuple gives a tuple of partials); ``order=n`` gives the n-th
    derivative of a one-argument function.  Usable as ``@grad`` or
    ``@grad(argnums=(0, 1))``.  With ``verify=True`` the gradient is checked
    when `grad` is applied (`srcgrad.verify`): a mismatch, or anything
    verify could not check, raises `srcgrad.VerificationError`.

    ``mode`` is ``"forward"``, ``"reverse"`` or None (srcgrad chooses by
    `choose_mode`'s cost estimate: forward mode for one argnum, reverse
    mode for several).  Both give the same derivatives.  With ``order=n > 1``
    and no mode, the n-th derivative comes from one Taylor-mode sweep
    (`srcgrad.ad.taylor`); a mode given nests `grad` n times in that mode.
    """
    count = _order(order)
    mode = _mode(mode)

    def make(f: Any) -> Transformed:
        if count > 1 and mode is None:      # one forward sweep (Taylor mode) where it applies
            made = _higher_order(f, argnums, count, verify)
            if made is not None:
                return made
        result = f
        for _ in range(count):
            result = _grad(result, argnums, False, verify, mode)
        return result
    return _decorator_or_call(fun, make)


def _higher_order(fun: Any, argnums: Any, order: int, verify: bool) -> Transformed | None:
    """``grad(f, order=k)`` by Taylor mode (`srcgrad.ad.taylor`), or None
    where nesting `grad` k times is left to do it: a tuple of argnums (whose
    gradient is no scalar: the nested form refuses it), a non-scalar output,
    a function Taylor mode does not handle."""
    plain = _plain_argnums(argnums)
    if isinstance(plain, (tuple, list)):
        return None
    fn = _primal(fun)
    if fn.out_tree is not None:
        return None
    (index,), _ = resolve_argnums(fn, plain)
    ir = taylor(fn, index, order, transformed_name("grad", fn.name))
    if ir is None:
        return None
    ir = ir.with_body(ir.body, primal_errors=False)
    doc = f"Derivative of order {order} of {fn.name}() with respect to {describe_argnums(fn, (index,))}."
    result = build(fun, "grad", ir, {"argnums": plain, "order": order}, doc)
    if verify:      # as the nested form: each order the gradient of the one below, down to fun
        from .verification import verify as run_verify
        below = grad(fun, plain, order=order - 1, verify=True)
        run_verify(below, argnums=plain, gradient=result).raise_if_failed()
    return result


def _order(order: Any) -> int:
    """`order` as an int of at least 1 (NumPy integers too), or ArgumentError."""
    try:
        count = None if isinstance(order, bool) else operator.index(order)
    except TypeError:
        count = None
    if count is None or count < 1:
        raise ArgumentError(f"order must be a whole number of at least 1 (1 for the gradient, 2 for the "
                            f"second derivative, ...), got {order!r}")
    return count


MODES = ("forward", "reverse")


def _mode(mode: Any) -> str | None:
    """`mode` checked: None (srcgrad chooses), "forward" or "reverse", as a
    plain str (a str subclass, e.g. NumPy's, is read by its characters, so
    the recipe stays plain and an overridden ``__eq__`` cannot pass)."""
    plain = str.__str__(mode) if isinstance(mode, str) else None
    if mode is not None and plain not in MODES:
        raise ArgumentError(f"mode must be 'forward', 'reverse' or None (srcgrad chooses by its cost "
                            f"estimate), got {mode!r}")
    return plain


def choose_mode(fn: Function, indices: Sequence[int]) -> str:
    """The cheaper mode for the gradient of `fn` with respect to `indices`.

    Both modes do the primal work and one multiply-add per partial: forward
    mode once per differentiated input (its tangents), reverse mode once in
    all (its cotangents), plus, for every value a loop's backward sweep
    reads, a push onto a tape and a pop from it.  So with k inputs forward
    mode costs about k tangent sweeps (and, in a loop, k copies of the
    loop's primal work, which common-subexpression elimination cannot share)
    against one backward sweep plus tape traffic.  For k = 1 forward mode is
    as fast on straight-line code, faster in loops, and needs no tape; from
    k = 2 the second tangent sweep costs more than the tape saves.  Measured
    by ``python benchmarks/run.py --scale`` (forward / reverse run time at
    k = 1, 2, 3, 4): 1.00, 1.18, 1.32, 1.40 for a 30-operation expression of
    four inputs, 0.77, 1.43, 1.77, 2.21 for a loop over four inputs (README,
    "How it works").
    """
    return "forward" if len(indices) == 1 else "reverse"


def value_and_grad(fun: Any = None, argnums: Any = 0, *, mode: str | None = None,
                   verify: bool = False) -> Any:
    """Like `grad`, but returns ``(value, gradient)`` from one generated function."""
    mode = _mode(mode)
    return _decorator_or_call(fun, lambda f: _grad(f, argnums, True, verify, mode))


def _plain_argnums(argnums: Any) -> Any:
    """`argnums` with NumPy integers as Python ints, so the recipe of the
    result (its pickled form) stays plain; what is not an integer is left for
    `resolve_argnums` to refuse."""
    def plain(item: Any) -> Any:
        if isinstance(item, (bool, str)) or not hasattr(type(item), "__index__"):
            return item
        return operator.index(item)
    if isinstance(argnums, (tuple, list)):
        return type(argnums)(plain(a) for a in argnums)
    return plain(argnums)


def _grad(fun: Any, argnums: Any, with_value: bool, verify: bool, mode: str | None = None) -> Transformed:
    argnums = _plain_argnums(argnums)
    fn = _primal(fun)
    if fn.out_tree is not None:
        raise ArgumentError(f"grad needs a scalar output (one number), but {fn.name}() returns a tuple; "
                            f"use srcgrad.jacobian for functions returning tuples")
    indices, single = resolve_argnums(fn, argnums)
    kind = "value_and_grad" if with_value else "grad"
    ir = _gradient_ir(fn, indices, with_value, transformed_name(kind, fn.name), mode)
    # results are flat: [value,] *partials; shape them as JAX does
    first = 1 if with_value else 0
    partials: Any = first if single else tuple(range(first, first + len(indices)))
    if with_value:
        out_tree: Any = (0, partials)
    else:
        out_tree = None if single else partials
    ir = ir.with_body(ir.body, out_tree=out_tree, primal_errors=with_value)
    what = "value and gradient" if with_value else "gradient"
    doc = f"{what[0].upper()}{what[1:]} of {fn.name}() with respect to {describe_argnums(fn, indices)}."
    options = {"argnums": argnums} if mode is None else {"argnums": argnums, "mode": mode}
    result = build(fun, kind, ir, options, doc)
    if verify:      # the very callable returned, run against fun itself (raises unless ok)
        from .verification import verify as run_verify
        runs = result if not with_value else (lambda *args: result(*args)[1])
        run_verify(fun, argnums=argnums, gradient=runs).raise_if_failed()
    return result


def jvp(fun: Any, primals: Sequence[Any] | None = None, tangents: Sequence[Any] | None = None) -> Any:
    """Forward mode.  ``jvp(f)`` returns a function of ``(primals, tangents)``
    giving ``(value, directional derivative)``; ``jvp(f, primals, tangents)``
    evaluates it at once, as ``jax.jvp`` does."""
    if primals is not None or tangents is not None:
        # checked before anything is read or generated: a wrong call is the caller's error
        _check_jvp_groups(fun, primals, tangents)
    fn = _primal(fun)
    ir = forward(fn, name=transformed_name("jvp", fn.name))
    n_params, n_out = len(fn.params), len(fn.body.results)
    # values and tangents both in the structure of f's output (a 1-tuple
    # stays a 1-tuple, value_and_grad's (v, (dx, dy)) stays nested)
    tree = _output_tree(fn)
    out_tree = (tree, _map_tree(tree, lambda r: n_out + r))
    # the two group parameters must not be named like a parameter they unpack
    # into (``f(primals, tangents)``): unpacking would overwrite them
    namer = Namer(set(ir.param_names))
    groups = tuple(namer.name(Var(hint=group)) for group in ("primals", "tangents"))
    # defaults apply as in f(*primals), with zero tangents (numbers only: they are printed)
    defaults = tuple(d for d in fn.defaults if isinstance(d, (int, float)) and not isinstance(d, bool))
    if len(defaults) != len(fn.defaults):
        defaults = ()
    zeros = (0.0,) * len(defaults)
    ir = ir.with_body(ir.body, out_tree=out_tree,
                      in_groups=((groups[0], n_params, defaults), (groups[1], n_params, zeros)))
    doc = f"Value and directional derivative (forward mode) of {fn.name}()."
    transformed = build(fun, "jvp", ir, {}, doc)
    # inspect.signature would follow __wrapped__ to f's own (x, y): show what is called
    transformed.__signature__ = inspect.signature(transformed.generated)
    if primals is None:
        return transformed
    required = n_params - len(defaults)
    for group, values in (("primals", primals), ("tangents", tangents)):
        if not required <= len(values) <= n_params:
            count = str(n_params) if required == n_params else f"{required} to {n_params}"
            raise ArgumentError(f"jvp of {fn.name}() needs {count} {group} (one per parameter: "
                                f"{', '.join(fn.param_names) or 'none'}), got {len(values)}")
    if len(primals) != len(tangents):
        raise ArgumentError(f"jvp of {fn.name}() needs one tangent per primal, got {len(primals)} primals "
                            f"and {len(tangents)} tangents")
    return transformed(tuple(primals), tuple(tangents))


def _check_jvp_groups(fun: Any, primals: Any, tangents: Any) -> None:
    for group, values in (("primals", primals), ("tangents", tangents)):
        if not isinstance(values, (tuple, list)):
            raise ArgumentError(f"jvp(f, primals, tangents) takes {group} as a tuple or list, one number per "
                                f"parameter of f (e.g. (x,) for one), got {type(values).__name__}")


def jacobian(fun: Any = None, argnums: Any = 0) -> Any:
    """The Jacobian of a function returning a scalar or a tuple of scalars,
    by forward mode (one directional derivative per argument in `argnums`).

    The result has the structure of the output, each entry a partial (one
    argnum) or a tuple of partials (a tuple of argnums), as in JAX.
    """
    plain = _plain_argnums(argnums)

    def make(f: Any) -> Transformed:
        fn = _primal(f)
        indices, single = resolve_argnums(fn, plain)
        ir = _forward_columns(fn, indices, single, transformed_name("jacobian", fn.name))
        ir = ir.with_body(ir.body, primal_errors=False)     # derivatives only, as grad
        doc = f"Jacobian of {fn.name}() with respect to {describe_argnums(fn, indices)}."
        return build(f, "jacobian", ir, {"argnums": plain}, doc)
    return _decorator_or_call(fun, make)


def hessian(fun: Any = None, argnums: Any = 0) -> Any:
    """The Hessian of a scalar function: the Jacobian (forward mode) of the
    gradient, itself in the mode `grad` chooses (`choose_mode`: reverse for
    several argnums).  A tuple of tuples for a tuple of argnums, a number for one."""
    plain = _plain_argnums(argnums)

    def make(f: Any) -> Transformed:
        fn = _primal(f)
        indices, single = resolve_argnums(fn, plain)
        g = _gradient_ir(fn, indices)
        # the gradient is a tuple for a tuple of argnums, even of one, so its
        # Jacobian is ((h,),) for argnums=(0,), as in JAX
        g = g.with_body(g.body, out_tree=None if single else tuple(range(len(indices))))
        ir = _forward_columns(g, indices, single, transformed_name("hessian", fn.name))
        ir = ir.with_body(ir.body, primal_errors=False)     # derivatives only, as grad
        doc = f"Hessian of {fn.name}() with respect to {describe_argnums(fn, indices)}."
        return build(f, "hessian", ir, {"argnums": plain}, doc)
    return _decorator_or_call(fun, make)


def _gradient_ir(fn: Function, indices: Sequence[int], with_value: bool = False, name: str | None = None,
                 mode: str | None = None) -> Function:
    """The flat gradient ``[value,] *partials`` of a scalar function in
    `mode` (None: `choose_mode`'s).  Forward mode is one directional
    derivative per argument, exact as reverse mode; it is also the only mode
    for a function that already holds a reverse sweep's tapes (the gradient
    of a reverse-mode gradient through loops)."""
    if has_tapes(fn.body):
        if mode == "reverse":
            raise ArgumentError(f"mode='reverse' cannot differentiate {fn.name}(), a reverse-mode gradient "
                                f"through a loop (reverse mode over its tapes is not supported); use "
                                f"mode='forward' or let srcgrad choose (mode=None)")
        mode = "forward"
    if (mode or choose_mode(fn, indices)) == "forward":
        columns = _forward_columns(fn, indices, False, name or fn.name, with_value=with_value)
        return columns.with_body(columns.body, out_tree=None)
    return reverse(fn, indices, with_value=with_value, name=name or fn.name)


def _forward_columns(fn: Function, indices: Sequence[int], single: bool, name: str,
                     with_value: bool = False) -> Function:
    """One function computing d out_i / d x_j for every output i and j in
    `indices`: forward mode seeded with one unit direction per column (the
    other tangents structurally zero, so they generate no code), inlined
    once per column, the shared primal work merged by CSE.  The result has
    the structure of `fn`'s output, each leaf replaced by its row: a partial
    (one argnum) or a tuple of partials."""
    params = fn.params
    n_out, k = len(fn.body.results), len(indices)
    b = Builder()
    columns = []
    for j in indices:
        outs = inline(b, forward(fn, seeds={j: 1.0}), list(params))
        columns.append(outs)
    results = tuple(columns[c][n_out + r] for r in range(n_out) for c in range(k))
    if with_value:      # value_and_grad of a scalar function: (value, *partials), flat
        # the value is the primal output the first column computed already
        # (CSE cannot merge a second copy of a loop, which holds a region)
        return fn.with_body(Region(params, tuple(b.eqns), (columns[0][0],) + results), name=name,
                            out_tree=None)
    tree = _map_tree(_output_tree(fn), lambda r: r * k if single else tuple(range(r * k, r * k + k)))
    out_tree = None if isinstance(tree, int) else tree
    return fn.with_body(Region(params, tuple(b.eqns), results), name=name, out_tree=out_tree)


def _output_tree(fn: Function) -> Any:
    """The structure of `fn`'s results as an explicit tree of result indices
    (`Function.out_tree`, where None means one result bare, several a tuple)."""
    if fn.out_tree is not None:
        return fn.out_tree
    n = len(fn.body.results)
    return 0 if n == 1 else tuple(range(n))


def _map_tree(tree: Any, leaf: Any) -> Any:
    return leaf(tree) if isinstance(tree, int) else tuple(_map_tree(t, leaf) for t in tree)
