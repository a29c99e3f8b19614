"""Random expression trees: srcgrad's gradient against sympy's `diff`.

Hypothesis builds a tree over ``+ - * / **``, unary ``-``/``+`` and math
functions in 1 to 4 variables.  Every node is rendered twice, as Python source
and as a sympy expression, so sympy differentiates exactly what srcgrad reads.
Operations that are not defined everywhere get a guard (``log(1 + u*u)``,
``v / (1 + u*u)``, ``(1 + u*u) ** v``) so every tree is defined at every
point.  The function is written to a real module file (srcgrad reads source)
and its gradient, with respect to every argument, is compared at a random
point with sympy's derivative evaluated to 30 digits and with central finite
differences.  The generated module must also run on its own, and every IR
must pass `verify_ir`.

``SRCGRAD_HYPOTHESIS=thorough`` runs thousands of trees instead of hundreds.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import sympy
from hypothesis import assume, event, given, strategies as st

from srcgrad import grad
from srcgrad.ir import verify_ir

from .ad_support import load_module, numeric, real_symbols
from .reference import central_difference

VARIABLES = ("x", "y", "z", "w")
# exact binary fractions and small ints, so the sympy twin is exact
CONSTANTS = (0.5, 1.5, 0.25, 2, 3)
# A tree whose value leaves this range (exp of exp of ...) tests overflow,
# not derivatives: such draws are rejected.
MAX_MAGNITUDE = 1e6
# srcgrad (float arithmetic) against sympy evaluated to 30 digits.
SYMPY_REL, SYMPY_ABS = 1e-8, 1e-10
# srcgrad against finite differences, checked only where the difference has
# converged (two step sizes agree): FD is the coarser, independent yardstick.
FD_REL, FD_ABS = 1e-5, 1e-7


@dataclass(frozen=True)
class Node:
    """One subtree: its Python text, its sympy twin, the variables it reads."""

    py: str
    sp: Any
    uses: frozenset[str]


def _apply(py: Callable[..., str], sp: Callable[..., Any], *children: Node) -> Node:
    return Node(py(*(c.py for c in children)), sp(*(c.sp for c in children)),
                frozenset().union(*(c.uses for c in children)))


# Functions defined on all reals, written math.<name>(u) in Python and sympy.<name>(u).
TOTAL_FUNCTIONS = ("sin", "cos", "tanh", "atan", "asinh", "exp", "erf", "sinh")

UNARY: dict[str, tuple[Callable[..., str], Callable[..., Any]]] = {
    **{name: ((lambda n: lambda u: f"math.{n}({u})")(name), getattr(sympy, name)) for name in TOTAL_FUNCTIONS},
    "neg": (lambda u: f"(-{u})", lambda u: -u),
    "pos": (lambda u: f"(+{u})", lambda u: u),
    "square": (lambda u: f"({u} ** 2)", lambda u: u ** 2),
    "cube": (lambda u: f"({u} ** 3)", lambda u: u ** 3),
    "log": (lambda u: f"math.log(1 + {u} * {u})", lambda u: sympy.log(1 + u * u)),
    "log1p": (lambda u: f"math.log1p({u} * {u})", lambda u: sympy.log(1 + u * u)),
    "sqrt": (lambda u: f"math.sqrt(1 + {u} * {u})", lambda u: sympy.sqrt(1 + u * u)),
    "root": (lambda u: f"((1 + {u} * {u}) ** 0.5)", lambda u: sympy.sqrt(1 + u * u)),
}

BINARY: dict[str, tuple[Callable[..., str], Callable[..., Any]]] = {
    "add": (lambda u, v: f"({u} + {v})", lambda u, v: u + v),
    "sub": (lambda u, v: f"({u} - {v})", lambda u, v: u - v),
    "mul": (lambda u, v: f"({u} * {v})", lambda u, v: u * v),
    "div": (lambda u, v: f"({u} / (1 + {v} * {v}))", lambda u, v: u / (1 + v * v)),
    "pow": (lambda u, v: f"((1 + {u} * {u}) ** {v})", lambda u, v: (1 + u * u) ** v),
    "atan2": (lambda u, v: f"math.atan2({u}, 1 + {v} * {v})", lambda u, v: sympy.atan2(u, 1 + v * v)),
    "hypot": (lambda u, v: f"math.hypot({u}, 1 + {v} * {v})", lambda u, v: sympy.sqrt(u * u + (1 + v * v) ** 2)),
}


def trees(variables: tuple[str, ...], symbols: tuple[sympy.Symbol, ...]) -> st.SearchStrategy[Node]:
    names = [Node(v, s, frozenset({v})) for v, s in zip(variables, symbols)]
    constants = [Node(repr(c), sympy.Rational(c), frozenset()) for c in CONSTANTS]
    leaf = st.sampled_from(names) | st.sampled_from(constants)

    def extend(sub: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        unary = st.sampled_from(sorted(UNARY)).flatmap(lambda op: st.builds(_apply, st.just(UNARY[op][0]),
                                                                             st.just(UNARY[op][1]), sub))
        binary = st.sampled_from(sorted(BINARY)).flatmap(lambda op: st.builds(_apply, st.just(BINARY[op][0]),
                                                                               st.just(BINARY[op][1]), sub, sub))
        return unary | binary

    return st.recursive(leaf, extend, max_leaves=8)


@dataclass
class Program:
    variables: tuple[str, ...]
    symbols: tuple[sympy.Symbol, ...]
    tree: Node
    function: Any
    point: tuple[float, ...]


@st.composite
def programs(draw) -> Program:
    variables = VARIABLES[:draw(st.integers(1, len(VARIABLES)))]
    symbols = real_symbols(variables)
    tree = draw(trees(variables, symbols))
    source = f"import math\n\n\ndef f({', '.join(variables)}):\n    return {tree.py}\n"
    point = tuple(draw(st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False)) for _ in variables)
    function = load_module(source, "hypothesis_expr").f
    try:
        value = float(function(*point))   # an expression of int constants may give a huge exact int
    except OverflowError:
        value = math.inf
    assume(math.isfinite(value) and abs(value) < MAX_MAGNITUDE)
    return Program(variables, symbols, tree, function, point)


def converged_difference(f: Callable[..., float], point: tuple[float, ...], i: int) -> float | None:
    """A central difference, or None when halving the step changes it by more
    than the tolerance (the function is too curved there for FD to judge)."""
    h = 1e-3 * max(1.0, abs(point[i]))
    try:
        coarse, fine = central_difference(f, point, i, h), central_difference(f, point, i, h / 2)
    except (OverflowError, ValueError):
        return None
    if not math.isclose(coarse, fine, rel_tol=FD_REL / 10, abs_tol=FD_ABS / 10):
        event("finite difference not converged: FD check skipped for one partial")
        return None
    return fine


@given(programs())
def test_gradient_matches_sympy_and_finite_differences(program: Program):
    argnums = tuple(range(len(program.variables)))
    df = grad(program.function, argnums=argnums)
    verify_ir(df.primal_ir)
    verify_ir(df.fn_ir)
    try:
        got = df(*program.point)
    except OverflowError:
        assume(False)   # an intermediate derivative overflows: outside what we test
    assert isinstance(got, tuple) and len(got) == len(argnums)
    at = dict(zip(program.symbols, program.point))
    for name, symbol, partial in zip(program.variables, program.symbols, got):
        what = f"d/d{name} of {program.tree.py} at {program.point}"
        if name not in program.tree.uses:
            assert partial == 0.0 and type(partial) is float, f"{what}: unused argument gave {partial!r}"
            continue
        exact = numeric(sympy.diff(program.tree.sp, symbol), at)
        assert math.isclose(partial, exact, rel_tol=SYMPY_REL, abs_tol=SYMPY_ABS), \
            f"{what}: srcgrad {partial!r}, sympy {exact!r}\n{df.source}"
        fd = converged_difference(program.function, program.point, program.variables.index(name))
        if fd is not None:
            assert math.isclose(partial, fd, rel_tol=FD_REL, abs_tol=FD_ABS), \
                f"{what}: srcgrad {partial!r}, finite difference {fd!r}\n{df.source}"
    assert_runs_standalone(df, program.point, got)


def assert_runs_standalone(df: Any, point: tuple[float, ...], expected: tuple) -> None:
    """The generated module compiles and, run with nothing but its own imports,
    gives the same numbers."""
    namespace: dict = {}
    exec(compile(df.source, "<generated>", "exec"), namespace)
    assert namespace[df.fn_ir.name](*point) == expected
