"""Trace hooks for the control-flow primitives, as `srcgrad.ir.interpret`
specifies them: a draft for `srcgrad.primitives.control` to adopt.

`installed()` is a context manager attaching each hook a primitive does not
already have (so once the real hooks land, they are the ones tested), and
removing them again afterwards.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from srcgrad.ir.core import Const
from srcgrad.primitives import control


def trace_cond(tracer: Any, eqn: Any, args: tuple) -> tuple:
    taken = bool(tracer.value(args[0]))
    tracer.decide(eqn, taken)
    return tracer.inline(eqn.param("then" if taken else "else"), args[1:])


def _loop(tracer: Any, eqn: Any, state: tuple, free: tuple, indices: Any) -> tuple:
    """Run the body while `indices` yields (an index atom tuple, empty for
    a while loop) and no iteration exits with a code of BREAK or more."""
    has_exit = eqn.param("has_exit")
    code: Any = Const(control.NORMAL)
    count = 0
    for index in indices(lambda: state + free):
        results = tracer.inline(eqn.param("body"), index + state + free)
        code, state = (results[0], tuple(results[1:])) if has_exit else (code, tuple(results))
        count += 1
        if has_exit and tracer.value(code) >= control.BREAK:
            break
    tracer.decide(eqn, count)
    return ((code,) if has_exit else ()) + state


def trace_for_range(tracer: Any, eqn: Any, args: tuple) -> tuple:
    start, stop, step = (tracer.value(a) for a in args[:3])
    n_state = eqn.param("n_state")
    steps = range(start, stop, step)
    steps = reversed(steps) if eqn.param("reverse") else steps
    return _loop(tracer, eqn, tuple(args[3:3 + n_state]), tuple(args[3 + n_state:]),
                 lambda current: ((Const(i),) for i in steps))


def trace_while_loop(tracer: Any, eqn: Any, args: tuple) -> tuple:
    n_state = eqn.param("n_state")

    def holds(current: Any) -> Iterator[tuple]:
        while tracer.value(tracer.inline(eqn.param("cond"), current())[0]):
            yield ()
    return _loop(tracer, eqn, tuple(args[:n_state]), tuple(args[n_state:]), holds)


def trace_pick(tracer: Any, eqn: Any, args: tuple) -> tuple:
    index = tracer.value(args[0])
    tracer.decide(eqn, index)
    return (args[1:][index],)


def trace_const_index(tracer: Any, eqn: Any, args: tuple) -> tuple:
    index = tracer.value(args[0])
    tracer.decide(eqn, index)
    return (Const(eqn.param("table")[index]),)


HOOKS = {
    control.COND: trace_cond,
    control.FOR_RANGE: trace_for_range,
    control.WHILE_LOOP: trace_while_loop,
    control.PICK: trace_pick,
    control.CONST_INDEX: trace_const_index,
    control.TAPE_NEW: lambda tracer, eqn, args: (tracer.hold(()),),
    control.TAPE_PUSH: lambda tracer, eqn, args: (tracer.hold(tracer.value(args[0]) + (args[1],)),),
    control.TAPE_POP: lambda tracer, eqn, args: (tracer.value(args[0])[-1], tracer.hold(tracer.value(args[0])[:-1])),
}


@contextlib.contextmanager
def installed() -> Iterator[None]:
    added = [prim for prim in HOOKS if "trace" not in prim.hooks]
    for prim in added:
        prim.hooks["trace"] = HOOKS[prim]
    try:
        yield
    finally:
        for prim in added:
            del prim.hooks["trace"]
