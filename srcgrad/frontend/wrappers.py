"""Wrappers and decorators: srcgrad differentiates the object it is given.

`inspect` follows ``__wrapped__``, so the source it shows for a
``functools.wraps`` decorator, an ``lru_cache`` or a ``staticmethod`` is the
source of the function inside, not of what Python calls.  srcgrad never looks
through: a callable that is not a plain function defined with ``def`` (or
one of srcgrad's own transforms and primitives, which the frontend handles
first) is refused, naming it (`wrapper_description`); and a ``def`` may only
carry srcgrad's own decorators, since with any other the name is bound to
something else than the plain function the ``def`` made (`foreign_decorator`).
"""
from __future__ import annotations

import ast
import builtins
import functools
import linecache
import types
from typing import Any

from ..errors import ArgumentError, SourceLocation
from .resolve import MISSING


def wrapper_description(obj: Any) -> str | None:
    """What `obj` wraps, said for an error message, or None when it wraps
    nothing (a plain function, or anything without ``__wrapped__``)."""
    if isinstance(obj, functools.partial):
        return f"a functools.partial of {_name(obj.func)}"
    if isinstance(obj, (staticmethod, classmethod)):
        return f"a {type(obj).__name__} object around {_name(obj.__func__)}"
    try:
        inner = getattr(obj, "__wrapped__", MISSING)
    except Exception:       # a proxy whose attribute access fails is not a plain function either
        return f"a {type(obj).__name__} object"
    if inner is MISSING:
        return None
    if isinstance(obj, types.FunctionType):
        # functools.wraps copied the inner name; the code's own name is the decorator's
        made = getattr(obj.__code__, "co_qualname", obj.__code__.co_name)
        return f"a wrapper function ({made}, made by a decorator) around {_name(inner)}"
    return f"a {type(obj).__module__}.{type(obj).__qualname__} object around {_name(inner)}"


def refused_wrapper(obj: Any) -> ArgumentError | None:
    """The one refusal of a wrapper given to a transform (``grad(cached)``,
    ``grad(functools.partial(f, k=0.5))``, a ``functools.wraps`` decorator's
    result...), naming it, at the ``def`` of the function innermost in it;
    None when `obj` wraps nothing.  Whether the wrapper is a function or
    another callable object, the error is the same."""
    wrapped = wrapper_description(obj)
    if wrapped is None:
        return None
    name = getattr(obj, "__qualname__", None)
    subject = f"{name} is {wrapped}" if isinstance(name, str) else f"got {wrapped}"
    return ArgumentError(
        f"{subject}: srcgrad differentiates the function it is given and never looks through a "
        f"wrapper, whose effect on the result it cannot see; write what the wrapper does in a plain "
        f"function, or make the wrapper a srcgrad.primitive with its own derivative", wrapper_location(obj))


def _name(obj: Any) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return f"{name}()" if isinstance(name, str) else repr(obj)


def foreign_decorator(node: ast.FunctionDef, func: types.FunctionType) -> ast.expr | None:
    """The first decorator on `node` that is not srcgrad's own (``@grad``,
    ``@srcgrad.primitive(domain=...)``, ``@p.derivative``, ...), or None."""
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        found = _resolve(target, func)
        if found is MISSING and _names_its_own_rule(decorator, func):
            continue
        if not _is_srcgrad_decorator(found):
            return decorator
    return None


def _names_its_own_rule(decorator: ast.expr, func: types.FunctionType) -> bool:
    """Whether `decorator` is ``@<something>.derivative`` on a function some
    user primitive holds as its rule.  The ``<something>`` may be a local of
    the scope the ``def`` ran in (``@mod.p.derivative`` in a test or a
    function body), which cannot be looked up afterwards; but the rule is
    the very function the primitive received, so that decorator was a
    primitive's ``.derivative``.  One that resolves to anything else is
    judged by what it resolves to."""
    from ..primitives.user import is_rule
    return isinstance(decorator, ast.Attribute) and decorator.attr == "derivative" and is_rule(func)


def _resolve(node: ast.expr, func: types.FunctionType) -> Any:
    """The object a dotted decorator name refers to now, looked up as Python
    would have when the ``def`` ran; MISSING when it cannot be told without
    running code (anything but names and attributes of modules and of
    srcgrad primitives) or names a local of the enclosing scope that the
    function does not itself use."""
    if isinstance(node, ast.Name):
        # a decorator runs in the scope enclosing the def: a name the body
        # also uses is one of the function's closure cells, the same variable
        code = func.__code__
        if node.id in code.co_freevars and func.__closure__:
            try:
                return func.__closure__[code.co_freevars.index(node.id)].cell_contents
            except ValueError:      # empty cell
                return MISSING
        scope = getattr(func, "__globals__", {})
        if node.id in scope:
            return scope[node.id]
        return getattr(builtins, node.id, MISSING)
    if isinstance(node, ast.Attribute):
        from ..primitives.user import UserPrimitive
        base = _resolve(node.value, func)
        if isinstance(base, (types.ModuleType, UserPrimitive)):
            return getattr(base, node.attr, MISSING)
    return MISSING


def _is_srcgrad_decorator(obj: Any) -> bool:
    from .. import api
    from ..primitives.user import UserPrimitive, primitive
    if obj is primitive or any(obj is getattr(api, name) for name in
                               ("grad", "value_and_grad", "jvp", "jacobian", "hessian")):
        return True
    if obj is builtins.staticmethod:
        # not srcgrad's, but reading the name through its class gives exactly
        # the def's plain function (a staticmethod object itself is refused)
        return True
    return getattr(obj, "__func__", None) is UserPrimitive.derivative and \
        isinstance(getattr(obj, "__self__", None), UserPrimitive)


def wrapper_location(obj: Any) -> SourceLocation | None:
    """Where the function innermost in a wrapper was defined, at its first
    decorator line: where the wrapping was asked for."""
    seen = set()
    while id(obj) not in seen:
        seen.add(id(obj))
        inner = getattr(obj, "func", None) if isinstance(obj, functools.partial) else \
            getattr(obj, "__wrapped__", getattr(obj, "__func__", None))
        if inner is None:
            break
        obj = inner
    code = getattr(obj, "__code__", None)
    if not isinstance(code, types.CodeType):
        return None
    line = linecache.getline(code.co_filename, code.co_firstlineno)
    return SourceLocation(code.co_filename, code.co_firstlineno, len(line) - len(line.lstrip()), None, line)
