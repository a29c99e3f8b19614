"""Helpers for the forward-mode and higher-order tests (issue 5).

* `load_module`: srcgrad reads source, so generated test functions are
  written to a real ``.py`` file and imported.
* `sympy_diff`, `numeric`: the sympy yardstick.  Derivatives of the
  piecewise-constant functions sympy leaves unevaluated (``floor`` inside
  ``Mod``) are 0 away from their jumps, the convention srcgrad documents.
* `assert_close`, `assert_nested_close`: one tolerance policy for comparing a
  srcgrad number (or tuple structure) with its reference.

Nothing here calls srcgrad's transformations: these are the references.
"""
from __future__ import annotations

import importlib.util
import itertools
import math
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

import sympy

_MODULE_DIR = Path(tempfile.mkdtemp(prefix="srcgrad_ad_tests_"))
_counter = itertools.count()

# Relative and absolute tolerance for srcgrad against sympy evaluated at 30
# digits: generated code does a few dozen float operations, each correct to
# ~1e-16, so 1e-9 leaves a wide margin without hiding a wrong rule.
REL, ABS = 1e-9, 1e-9


def load_module(source: str, stem: str = "generated") -> Any:
    """Write `source` to a fresh ``.py`` file and import it (unique name)."""
    name = f"{stem}_{next(_counter)}"
    path = _MODULE_DIR / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def real_symbols(names: Sequence[str]) -> tuple[sympy.Symbol, ...]:
    return tuple(sympy.Symbol(n, real=True) for n in names)


def _zero_piecewise_constant_derivatives(expr: sympy.Expr) -> sympy.Expr:
    def is_step_derivative(e: Any) -> bool:
        return isinstance(e, sympy.Derivative) and isinstance(e.expr, (sympy.floor, sympy.ceiling))
    return expr.replace(is_step_derivative, lambda e: sympy.S.Zero).doit()


def sympy_diff(expr: sympy.Expr, *wrt: sympy.Symbol) -> sympy.Expr:
    """``d expr / d wrt[0] d wrt[1] ...`` (``Mod`` rewritten with ``floor``)."""
    expr = expr.rewrite(sympy.floor) if expr.has(sympy.Mod) else expr
    for var in wrt:
        expr = _zero_piecewise_constant_derivatives(sympy.diff(expr, var))
    return expr


def numeric(expr: sympy.Expr, point: dict[sympy.Symbol, float]) -> float:
    """`expr` at `point`, evaluated by sympy to 30 digits."""
    value = sympy.sympify(expr).evalf(30, subs={s: sympy.Float(v, 30) for s, v in point.items()})
    return float(value)


def close(actual: float, expected: float, rel: float = REL, abs_: float = ABS) -> bool:
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_)


def assert_close(actual: float, expected: float, what: str, rel: float = REL, abs_: float = ABS) -> None:
    assert isinstance(actual, (int, float)), f"{what}: expected a number, got {actual!r}"
    assert close(actual, expected, rel, abs_), f"{what}: srcgrad {actual!r} != reference {expected!r}"


def assert_nested_close(actual: Any, expected: Any, what: str, rel: float = REL, abs_: float = ABS) -> None:
    """`actual` has exactly the tuple structure of `expected`, entries close."""
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), \
            f"{what}: structure {actual!r} does not match expected {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_nested_close(a, e, f"{what}[{i}]", rel, abs_)
    else:
        assert_close(actual, expected, what, rel, abs_)


def dot(xs: Sequence[float], ys: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(xs, ys))


# --- readability of generated source -----------------------------------------

# Arithmetic a careful person would not write; the passes should remove it.
CLUTTER = {
    "multiply by one": r"(?<!\*)[*/] 1(\.0)?\b(?!\.)|(?<![\w.])1(\.0)? \*",
    "add or subtract zero": r"[+-] 0(\.0)?\b(?!\.)|(?<![\w.])0(\.0)? [+-] ",
    "multiply by zero": r"(?<!\*)\* 0(\.0)?\b(?!\.)|(?<![\w.])0(\.0)? \*",
    "double negation": r"-\s*\(?\s*-|--",
    "adding a negation": r"\+\s*-",
    "multiplying by a negation": r"(?<!\*)[*/]\s*-",
    "power of zero or one": r"\*\* [01](\.0)?\b(?!\.)",
}


def clutter(source: str) -> list[str]:
    """The kinds of `CLUTTER` found in `source` (code lines only)."""
    code = "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("#", '"""')))
    return [kind for kind, pattern in CLUTTER.items() if re.search(pattern, code)]


def code_lines(source: str) -> list[str]:
    """The statements of the generated function's body: no blank lines,
    comments or docstring."""
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def ")) + 1
    return [line.strip() for line in lines[start:]
            if line.strip() and not line.strip().startswith(("#", '"""'))]
