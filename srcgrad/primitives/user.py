"""`@srcgrad.primitive`: the user's own primitives and derivative rules.

::

    @srcgrad.primitive
    def softplus(x):
        return math.log1p(math.exp(x))

    @softplus.derivative
    def _(x):
        return 1.0 / (1.0 + math.exp(-x))   # for f(a, b): return (df/da, df/db)

srcgrad treats ``softplus`` as opaque: generated code calls it.  Its
derivative function is ordinary Python that srcgrad lowers and inlines as the
primitive's partials, so the rule is itself differentiable (higher orders) and
generated code never needs srcgrad.
"""
from __future__ import annotations

import functools
import inspect
import itertools
import linecache
import threading
import types
import weakref
from typing import Any, Callable, Sequence

from ..errors import ArgumentError, SourceLocation, SrcGradError
from .core import REALS, Primitive, call

# The primitive holding each name.  A primitive is named after its function
# unless a live primitive holds that name already (another module's
# ``softplus``, or an earlier definition still in use): then it gets
# ``softplus_2``, ``softplus_3``...  So two primitives never share a name, a
# rule, a verification symbol or a global of a generated module.  Weak
# references: a redefinition (a notebook cell run again) gets the plain name
# back once the old primitive is gone, and no primitive is kept alive here.
_OWNERS: dict[str, weakref.ref] = {}
_OWNERS_LOCK = threading.Lock()


def _unique_name(owner: "UserPrimitive", name: str) -> str:
    with _OWNERS_LOCK:
        given = name
        for counter in itertools.count(2):
            holder = _OWNERS.get(given)
            if holder is None or holder() is None:
                break
            given = f"{name}_{counter}"
        _OWNERS[given] = weakref.ref(owner)
    return given


# Every function given to some primitive's `.derivative`: the frontend
# accepts a ``@<expr>.derivative`` decorator it cannot resolve on these
# (`frontend.wrappers`).  Weak: a replaced rule is not kept alive.
_RULES: "weakref.WeakSet[Callable[..., Any]]" = weakref.WeakSet()


def is_rule(fn: Any) -> bool:
    """Whether `fn` was given to a user primitive's `.derivative`."""
    try:
        return fn in _RULES
    except TypeError:       # not weakly referenceable: never registered
        return False


def _check_declarable(fn: Any) -> None:
    """Refuse what cannot be an opaque primitive: generated code calls it by
    a name and checks sample its positional arguments, so it must be a named
    function (defined with def, or a builtin) with a signature Python knows."""
    if isinstance(fn, UserPrimitive):
        raise ArgumentError(f"{fn.__name__} is already a primitive")
    where = None
    code = getattr(fn, "__code__", None)
    if code is not None:
        line = linecache.getline(code.co_filename, code.co_firstlineno)
        where = SourceLocation(code.co_filename, code.co_firstlineno, 0, None, line)
    if isinstance(fn, types.FunctionType) and fn.__name__ == "<lambda>":
        raise ArgumentError("@srcgrad.primitive needs a named function: define it with 'def' instead of "
                            "a lambda (generated code calls a primitive by its name)", where)
    if isinstance(fn, type):
        raise ArgumentError(f"@srcgrad.primitive needs a function, but {fn.__qualname__} is a class",
                            where)
    if not isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)):
        raise ArgumentError(f"@srcgrad.primitive needs a function defined with 'def' (or a builtin), got a "
                            f"{type(fn).__module__}.{type(fn).__qualname__} object; wrap it: "
                            f"def f(x): return obj(x)", where)
    try:
        inspect.signature(fn)
    except (TypeError, ValueError):
        raise ArgumentError(f"@srcgrad.primitive: Python does not know the parameters of "
                            f"{fn.__qualname__}(); wrap it in a function defined with 'def'", where) from None


class UserPrimitive:
    """A function srcgrad calls as an opaque primitive.  Calling it calls the
    function; `.derivative` attaches the partial derivatives."""

    def __init__(self, fn: Callable[..., Any], domain: Sequence[tuple[float, float]] | None = None) -> None:
        _check_declarable(fn)
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.name = _unique_name(self, fn.__name__)     # the primitive's, and its generated global's
        params = inspect.signature(fn).parameters.values()
        self.nargs = sum(1 for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        self.domain = tuple(domain) if domain else (REALS,) * self.nargs
        self.derivative_fn: Callable[..., Any] | None = None
        self._built: dict[int, Primitive] = {}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<srcgrad.primitive {self.__name__}>"

    def derivative(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: `fn(*args)` returns the partial derivative (one argument)
        or a tuple of partials, one per argument."""
        self.derivative_fn = fn
        try:
            _RULES.add(fn)
        except TypeError:   # not a def function: refused when the rule is lowered
            pass
        self._built.clear()
        return fn

    def primitive(self, registry: Any) -> Primitive:
        """The primitive for the current rule: a new one each time the rule
        is replaced, so lowerings that used the old one are not reused."""
        prim = self._built.get(id(registry))
        if prim is None:
            # two threads may both declare it: both get the one kept
            prim = self._built.setdefault(id(registry), self._declare(registry))
        return prim

    def _declare(self, registry: Any) -> Primitive:
        name = self.name
        partials = None if self.derivative_fn is None else self._partials_rule(registry)
        return Primitive(name=name, nargs=self.nargs, impl=self.fn, emit=call(name), partials=partials,
                         domain=self.domain, globals=((name, self.fn),),
                         hooks={"user": self}, doc=self.fn.__doc__ or "")

    def _partials_rule(self, registry: Any) -> Callable[..., Any]:
        from ..ir.inline import inline

        def partials(b: Any, *args_and_out: Any) -> tuple:
            # Lowered when used, not when the primitive is declared: a rule
            # that calls the primitive itself (sigmoid' = s * (1 - s) with
            # s = sigmoid(x)) then finds it declared instead of recursing.
            # Lowered each time (the cache reuses it while what it read
            # holds): a rule whose constants or helpers change is read anew.
            return inline(b, self._lower_rule(registry), args_and_out[:-1], restamp=True)
        return partials

    def _lower_rule(self, registry: Any) -> Any:
        from ..frontend.lower import lower_function
        from ..frontend.source import read_source
        rule_ir = lower_function(self.derivative_fn, registry)
        if len(rule_ir.params) != self.nargs or len(rule_ir.body.results) != self.nargs:
            source = read_source(self.derivative_fn)    # to point at the rule's 'def' line
            raise SrcGradError(
                f"the derivative of {self.fn.__name__}() must take the same {self.nargs} argument(s) and "
                f"return {self.nargs} partial derivative(s); it takes {len(rule_ir.params)} and "
                f"returns {len(rule_ir.body.results)}", source.location(source.node))
        return rule_ir


def primitive(fn: Callable[..., Any] | None = None, *, domain: Sequence[tuple[float, float]] | None = None):
    """Declare `fn` a primitive.  Use bare (``@primitive``) or with the
    `domain` its arguments are sampled from in checks (``@primitive(domain=[(0, 1)])``)."""
    if fn is None:
        return lambda f: UserPrimitive(f, domain)
    return UserPrimitive(fn, domain)
