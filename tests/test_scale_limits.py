"""No size limits below Python's own (issue 10, item 2).

Each function here is one Python itself compiles and runs; srcgrad must
differentiate it at Python's default recursion limit, on the main thread and
in a thread, and the generated code must itself compile.  Gradients are
compared with central differences of the very function Python runs.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable

import pytest

import srcgrad
from benchmarks import scale_programs as sp

# (generator, size, point): points keep clear of every branch threshold
CASES = {
    "expression of 2,000 terms": (sp.long_expression, 2000, (0.3, 0.7)),
    "2,000 sequential ifs": (sp.sequential_ifs, 2000, (0.1, 0.4)),
    "1,000 sequential loops": (sp.sequential_loops, 1000, (0.3, 0.2)),
    "elif chain of 1,000 branches": (sp.elif_chain, 1000, (0.3, 0.6)),
    "ifs nested 80 deep": (sp.nested_ifs, 80, (0.3, 0.6)),
    "19 nested loops": (sp.nested_loops, 19, (0.3, 0.6)),
}


def central(f: Callable[..., float], args: tuple, i: int, h: float = 1e-6) -> float:
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def check(f: Callable[..., float], point: tuple) -> None:
    df = srcgrad.grad(f, argnums=(0, 1))
    got = df(*point)
    for i in (0, 1):
        assert got[i] == pytest.approx(central(f, point, i), rel=1e-5, abs=1e-7)
    depth = max(len(line) - len(line.lstrip(" ")) for line in df.source.splitlines()) // 4
    assert depth < 90         # Python stops at about 98 levels of indentation


@pytest.mark.parametrize("name", list(CASES))
def test_differentiated_at_the_default_recursion_limit(name: str) -> None:
    assert sys.getrecursionlimit() <= 1000 + 100       # what users have: nothing raised it
    generate, size, point = CASES[name]
    module = sp.load(generate(size), "limits")
    check(module.f, point)


def test_in_a_thread() -> None:
    # a thread's stack is smaller than the main thread's
    module = sp.load(sp.long_expression(2000), "limits_thread")
    failures: list[BaseException] = []

    def run() -> None:
        try:
            check(module.f, (0.3, 0.7))
        except BaseException as exc:      # reported on the main thread
            failures.append(exc)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert not failures, failures[0]


def test_higher_order_and_jvp_of_a_long_expression() -> None:
    module = sp.load(sp.long_expression(1500), "limits_jvp")
    f: Any = module.f
    value, tangent = srcgrad.jvp(f, (0.3, 0.7), (1.0, 0.0))
    assert value == f(0.3, 0.7)
    assert tangent == pytest.approx(central(f, (0.3, 0.7), 0), rel=1e-5)
    g = srcgrad.grad(module.f, argnums=1)      # one input: forward mode
    assert g(0.3, 0.7) == pytest.approx(central(f, (0.3, 0.7), 1), rel=1e-5)
