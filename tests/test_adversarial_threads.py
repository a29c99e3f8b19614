"""Issue 9, concurrency: ``grad()`` is thread-safe.

Thread storms (8 threads released together by a barrier) differentiate the
same function, functions sharing helpers, and mixed transforms, from a cold
start; every result must equal the single-threaded one (computed afterwards
on a fresh copy of the module) and agree with finite differences; no
thread may see a false "recursion" error or a KeyError; transformed
functions made concurrently pickle to themselves.
"""
from __future__ import annotations

import pickle
import sys
import threading
from typing import Any, Callable

import pytest

from srcgrad import grad, hessian, jvp, value_and_grad

from .adversarial_support import close, fd, load

THREADS = 8
ROUNDS = 6

MODULE = '''
import math

W = (0.5, -1.0, 2.0)


def shared(u):
    s = u
    for c in W:
        s = s * 0.5 + c * math.sin(s)
    return s


def deeper(u):
    return shared(u) * shared(0.5 * u)


def f(x):
    return shared(x) + x * x


def g(x):
    return deeper(x) - shared(x * x)


def h(x):
    s = 0.0
    for i in range(4):
        s = s * 0.7 + deeper(x + 0.1 * i)
    return s
'''

X = 0.37


def storm(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, all released at once; exceptions are results."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)      # switch threads as often as CPython allows: races show up
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    finally:
        sys.setswitchinterval(interval)
    return results


def no_errors(results: list[Any]) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} thread(s) failed: {errors[0]!r}"


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_eight_threads_one_function(round_):
    mod = load(MODULE, "storm")
    results = storm([lambda: grad(mod.f)(X) for _ in range(THREADS)])
    no_errors(results)
    single = grad(load(MODULE, "single").f)(X)
    assert all(r == single for r in results), (results, single)
    assert close(single, fd(mod.f, (X,), 0))


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_eight_threads_functions_sharing_helpers(round_):
    mod = load(MODULE, "storm")
    names = ["f", "g", "h", "f", "g", "h", "g", "h"]
    results = storm([lambda n=n: grad(getattr(mod, n))(X) for n in names])
    no_errors(results)
    ref = load(MODULE, "single")
    for n, r in zip(names, results):
        assert r == grad(getattr(ref, n))(X), n
        assert close(r, fd(getattr(mod, n), (X,), 0)), n


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_eight_threads_mixed_transforms(round_):
    mod = load(MODULE, "storm")
    jobs = [lambda: grad(mod.h)(X), lambda: value_and_grad(mod.h)(X), lambda: jvp(mod.h)((X,), (1.0,)),
            lambda: hessian(mod.g)(X), lambda: grad(grad(mod.g))(X), lambda: grad(mod.g, order=2)(X),
            lambda: value_and_grad(mod.f)(X), lambda: jvp(mod.g)((X,), (1.0,))]
    results = storm(jobs)
    no_errors(results)
    ref = load(MODULE, "single")
    expected = [grad(ref.h)(X), value_and_grad(ref.h)(X), jvp(ref.h)((X,), (1.0,)), hessian(ref.g)(X),
                grad(grad(ref.g))(X), grad(ref.g, order=2)(X), value_and_grad(ref.f)(X), jvp(ref.g)((X,), (1.0,))]
    assert results == expected


def test_eight_threads_make_distinct_picklable_gradients():
    mod = load(MODULE, "storm")
    made = storm([lambda k=k: (grad(mod.f) if k % 2 else grad(grad(mod.g))) for k in range(THREADS)])
    no_errors(made)
    for k, fn in enumerate(made):
        back = pickle.loads(pickle.dumps(fn))
        assert back(X) == fn(X), k
    ref = load(MODULE, "single")
    assert made[1](X) == grad(ref.f)(X) and made[0](X) == grad(grad(ref.g))(X)


def test_threads_calling_generated_gradients_while_others_transform():
    mod = load(MODULE, "storm")
    df = grad(mod.h)
    want = df(X)
    jobs = [(lambda: [df(X) for _ in range(200)]) if k % 2 else (lambda: grad(mod.h)(X)) for k in range(THREADS)]
    results = storm(jobs)
    no_errors(results)
    for r in results:
        values = r if isinstance(r, list) else [r]
        assert all(v == want for v in values)
