"""What a primitive *is*: the one declaration that holds every fact about it.

A `Primitive` says how it runs (`impl`), how it prints in generated Python
(`emit`, building an `ast` expression), its derivative rule (`partials`, math
on IR values written with a `Builder`), its sympy counterpart, the domain its
arguments are sampled from in tests and verification, and which Python
callables or operators lower to it.  Nothing outside this package branches on
a primitive's name.

The derivative rule is a JVP rule in linear-combination form: a primitive
``y = p(x1, ..., xn)`` declares its partials ``(dp/dx1, ..., dp/dxn)``.  Forward
mode computes ``t_y = sum(dp/dxi * t_xi)``; reverse mode accumulates
``ct_xi += dp/dxi * ct_y``.  Both modes read the same declaration, so they
cannot disagree, and because partials are built from primitives they are
differentiable again (higher orders).
"""
from __future__ import annotations

import ast
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

from ..ir.core import BOOL, INT, REAL

Interval = tuple[float, float]
REALS: Interval = (-3.0, 3.0)
POSITIVE: Interval = (0.2, 4.0)
UNIT_OPEN: Interval = (-0.9, 0.9)


@dataclass(frozen=True)
class Choices:
    """The domain of a discrete argument (a condition, a digit count): the
    values it is sampled from, instead of an interval.  Such an argument
    carries no derivative; its kind is ``bool`` or ``int``."""

    values: tuple

    @property
    def kind(self) -> str:
        return BOOL if all(isinstance(v, bool) for v in self.values) else INT


BOOLS = Choices((False, True))
DIGITS = Choices((0, 1, 2))
Domain = Union[Interval, Choices]


def sample(domain: Domain, rng: random.Random) -> Any:
    """One point of `domain`: a uniform float in an interval, or one of the choices."""
    if isinstance(domain, Choices):
        return rng.choice(domain.values)
    return rng.uniform(*domain)

# (builder, *args, out) -> one partial per argument (None: no derivative wrt it)
PartialsRule = Callable[..., Sequence[Any]]
# (builder, args, out, tangents) -> tangent of out: for primitives whose JVP is
# not a linear combination with scalar coefficients (none of the scalar ones).
Emitter = Callable[..., ast.expr]


@dataclass(frozen=True, eq=False)
class Primitive:
    """One operation of the IR.  See the module docstring."""

    name: str
    nargs: int
    impl: Callable[..., Any]
    emit: Emitter
    partials: Optional[PartialsRule] = None
    piecewise_constant: bool = False
    sympy: Optional[Callable[..., Any]] = None
    domain: tuple[Domain, ...] = ()
    out_kind: str = REAL
    python: tuple[Any, ...] = ()
    operator: Optional[type] = None
    imports: frozenset[str] = frozenset()
    doc: str = ""
    # Structured primitives (control flow) carry regions and are transformed
    # by the hooks below rather than by `partials`.
    structured: bool = False
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
    # Free names the emitted code refers to, bound when it is compiled
    # (user-declared primitives call their own Python function).
    globals: tuple[tuple[str, Any], ...] = ()

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    @property
    def differentiable(self) -> bool:
        return self.partials is not None

    def arg_domain(self, i: int) -> Domain:
        return self.domain[i] if i < len(self.domain) else REALS


def constant_result(prim: Primitive, values: Sequence[Any]) -> Any:
    """`prim` applied to constant operands now, or None to leave it for run
    time: when it raises (``log(0)``), overflows, or gives an int beyond what a
    float holds exactly, so computing early never changes behaviour."""
    if prim.impl is None or prim.structured:
        return None
    try:
        value = prim.impl(*values)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) < 2 ** 53):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    return None


# What `may_raise` reads: a primitive's "raises" hook (declared with the
# arithmetic facts in `srcgrad.primitives.algebra`).
NEVER = "never"      # raises on no int, float or bool operands (comparisons, abs, select)


def may_raise(prim: Primitive) -> bool:
    """Whether applying `prim` can raise on some operand values: a domain
    error (``log(-1)``), an overflow (``math.exp(1000)``, ``1e200 ** 2``), a
    division by zero, an int too large for a float.  Dead-code elimination
    keeps unused primal equations that may raise, so a transform fails where
    the user's function does.

    The default is conservative: a primitive declares that it cannot fail.
    The sampling `domain` is no evidence: ``math.sin`` is sampled on reals
    but raises at ``inf``, ``math.exp`` overflows, and every `math` function
    raises on an int too large for a float.  Compiler-made primitives (loop
    tables, tapes) cannot fail on the values the compiler gives them, and a
    structured primitive fails only through its regions' equations."""
    if prim.structured or prim.hooks.get("internal"):
        return False
    return prim.hooks.get("raises") != NEVER


class Registry:
    """Primitives by name, by the Python callable that lowers to them, and by
    the `ast` operator class that lowers to them."""

    def __init__(self) -> None:
        self.by_name: dict[str, Primitive] = {}
        self.by_callable: dict[int, tuple[Any, Primitive]] = {}
        self.by_operator: dict[type, Primitive] = {}

    def add(self, prim: Primitive) -> Primitive:
        if prim.name in self.by_name:
            raise ValueError(f"primitive {prim.name!r} declared twice")
        self.by_name[prim.name] = prim
        for fn in prim.python:
            # keep the object alive alongside its id so the id stays unique
            self.by_callable[id(fn)] = (fn, prim)
        if prim.operator is not None:
            self.by_operator[prim.operator] = prim
        return prim

    def __getitem__(self, name: str) -> Primitive:
        return self.by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    def __iter__(self):
        return iter(self.by_name.values())

    def for_callable(self, fn: Any) -> Primitive | None:
        hit = self.by_callable.get(id(fn))
        return hit[1] if hit is not None and hit[0] is fn else None

    def copy(self) -> "Registry":
        new = Registry()
        new.by_name = dict(self.by_name)
        new.by_callable = dict(self.by_callable)
        new.by_operator = dict(self.by_operator)
        return new

    def replace(self, prim: Primitive) -> None:
        """Swap the declaration of an existing primitive (used by tests that
        plant a wrong rule in a *copy* of the registry)."""
        old = self.by_name[prim.name]
        self.by_name[prim.name] = prim
        for key, (fn, p) in list(self.by_callable.items()):
            if p is old:
                self.by_callable[key] = (fn, prim)
        for op, p in list(self.by_operator.items()):
            if p is old:
                self.by_operator[op] = prim


REGISTRY = Registry()


# --- how primitives print: small builders of `ast` expressions -------------

def dotted_name(path: str) -> ast.expr:
    parts = path.split(".")
    node: ast.expr = ast.Name(id=parts[0], ctx=ast.Load())
    for attr in parts[1:]:
        node = ast.Attribute(value=node, attr=attr, ctx=ast.Load())
    return node


def call(path: str) -> Emitter:
    def emit(*args: ast.expr) -> ast.expr:
        return ast.Call(func=dotted_name(path), args=list(args), keywords=[])
    return emit


def infix(op: type) -> Emitter:
    def emit(left: ast.expr, right: ast.expr) -> ast.expr:
        return ast.BinOp(left=left, op=op(), right=right)
    return emit


def prefix(op: type) -> Emitter:
    def emit(operand: ast.expr) -> ast.expr:
        return ast.UnaryOp(op=op(), operand=operand)
    return emit


def compare(op: type) -> Emitter:
    def emit(left: ast.expr, right: ast.expr) -> ast.expr:
        return ast.Compare(left=left, ops=[op()], comparators=[right])
    return emit


def imports_of(path: str) -> frozenset[str]:
    return frozenset({path.split(".")[0]}) if "." in path else frozenset()
