"""Hypothesis strategy: small random programs with their sympy meaning.

A program has parameters (1 to 3 of ``x, y, z``), up to two assignments
``t0 = ...`` and a ``return``; every right-hand side is a random tree of
``+ - * /``, unary minus, ``sin cos exp tanh`` and the guarded ``log(1 + u*u)``,
``sqrt(1 + u*u)``, ``v / (1 + u*u)`` (defined everywhere), over the parameters,
earlier assignments and a few exact constants.  Each node is built twice,
as Python source and as a sympy expression, so sympy differentiates exactly
what srcgrad reads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sympy
from hypothesis import assume, settings, strategies as st

from .ad_support import load_module, real_symbols

PARAMS = ("x", "y", "z")
CONSTANTS = (0.5, 1.5, 2.0, 3.0, -0.75)
# Examples for each test drawing programs: half the profile's ("ci": 100), so
# the tests stay fast; the "thorough" profile scales it up.
EXAMPLES = max(1, settings().max_examples // 2)
# Generated values beyond this are rejected: exp(exp(...)) overflows, and a
# function that large is not a test of derivatives.
MAX_MAGNITUDE = 1e6

Node = tuple[str, sympy.Expr]   # (Python source, sympy expression)

_UNARY = {
    "neg": (lambda s: f"(-{s})", lambda e: -e),
    "sin": (lambda s: f"math.sin({s})", sympy.sin),
    "cos": (lambda s: f"math.cos({s})", sympy.cos),
    "exp": (lambda s: f"math.exp({s})", sympy.exp),
    "tanh": (lambda s: f"math.tanh({s})", sympy.tanh),
    "log": (lambda s: f"math.log(1 + {s} * {s})", lambda e: sympy.log(1 + e * e)),
    "sqrt": (lambda s: f"math.sqrt(1 + {s} * {s})", lambda e: sympy.sqrt(1 + e * e)),
}
_BINARY = {
    "+": (lambda a, b: f"({a} + {b})", lambda a, b: a + b),
    "-": (lambda a, b: f"({a} - {b})", lambda a, b: a - b),
    "*": (lambda a, b: f"({a} * {b})", lambda a, b: a * b),
    "/": (lambda a, b: f"({a} / (1 + {b} * {b}))", lambda a, b: a / (1 + b * b)),
}


def _unary(op: str, node: Node) -> Node:
    py, sp = _UNARY[op]
    return py(node[0]), sp(node[1])


def _binary(op: str, left: Node, right: Node) -> Node:
    py, sp = _BINARY[op]
    return py(left[0], right[0]), sp(left[1], right[1])


def trees(leaves: list[Node]) -> st.SearchStrategy[Node]:
    constants = [(repr(c), sympy.Float(c)) for c in CONSTANTS]
    names = st.sampled_from(leaves)
    leaf = names | names | st.sampled_from(constants)     # twice as many names as constants
    return st.recursive(
        leaf,
        lambda sub: st.builds(_unary, st.sampled_from(sorted(_UNARY)), sub)
        | st.builds(_binary, st.sampled_from(sorted(_BINARY)), sub, sub),
        max_leaves=6)


@dataclass
class Program:
    """A generated function, its sympy value, and a point to test it at."""

    source: str
    function: Any
    expr: sympy.Expr
    symbols: tuple[sympy.Symbol, ...]
    point: tuple[float, ...]

    def at(self, point: tuple[float, ...] | None = None) -> dict[sympy.Symbol, float]:
        return dict(zip(self.symbols, point or self.point))


@st.composite
def programs(draw: Any) -> Program:
    params = PARAMS[:draw(st.integers(1, len(PARAMS)))]
    symbols = real_symbols(params)
    names: list[Node] = list(zip(params, symbols))
    body = []
    for i in range(draw(st.integers(0, 2))):
        py, sp = draw(trees(names))
        body.append(f"t{i} = {py}")
        names.append((f"t{i}", sp))
    py, expr = draw(trees(names))
    assume(expr.free_symbols & set(symbols))
    body.append(f"return {py}")
    source = f"import math\n\n\ndef f({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    point = tuple(draw(st.floats(-2.0, 2.0, allow_subnormal=False)) for _ in params)
    function = load_module(source, "hyp").f
    try:
        value = function(*point)
    except (OverflowError, ValueError, ZeroDivisionError):
        value = math.inf
    assume(math.isfinite(value) and abs(value) < MAX_MAGNITUDE)
    return Program(source, function, expr, symbols, point)
