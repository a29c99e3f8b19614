"""Random Python programs for tests/test_hypothesis_programs.py.

A hypothesis strategy draws a function ``f(x, y, n)`` (x, y floats, n a small
int) made of straight-line assignments, if/else on comparisons of intermediate
values, conditional expressions, ``for`` loops over ``range`` (constant
bounds, negative steps, or ``n``), ``while`` loops with a counter bound (and
sometimes a data-dependent condition), ``break``/``continue``/``return`` under
conditions, accumulation, and calls to a fixed set of helpers defined in the
same module (keyword arguments, defaults, tuple results, helpers calling
helpers, a helper with a loop and one with a branch).

Every comparison that decides control flow is written between ``<<`` and
``>>``.  `Program.plain` strips the markers (the module srcgrad reads);
`Program.traced` turns them into ``_seen(...)`` calls that record each
decision, so a test can tell whether a finite-difference stencil crosses a
branch boundary.  Loops never grow values faster than a constant factor per
iteration, so programs stay finite; the test still rejects huge values.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

HELPERS = '''\
def h_scale(u, s=2.0):
    return u * s + math.sin(u)


def h_pair(u, v):
    return u * math.cos(v), u - v


def h_branch(u):
    if <<u > 0.5>>:
        return u * u - 0.25
    return 0.5 * u + math.sin(u)


def h_loop(u, m):
    for j in range(m):
        u = 0.5 * u + math.cos(u)
    return u


def h_nested(u, s=1.5):
    return h_scale(u, s=s) * math.cos(u) + h_branch(u * 0.5)
'''

TRACER = '''\
DECISIONS = []


def _seen(decision):
    DECISIONS.append(bool(decision))
    return decision
'''

CONSTANTS = (0.5, 1.5, 2.0, -0.75, 0.3, 1.0, -1.25)
UNARY = ("math.sin", "math.cos", "math.tanh")
HELPER_CALLS = ("h_scale({e})", "h_scale({e}, s={c})", "h_scale({e}, {c})", "h_branch({e})", "h_loop({e}, {m})",
                "h_nested({e})", "h_nested(u={e}, s={c})")
MAX_DEPTH = 3          # nesting of blocks (if/loops)
MAX_LOOPS = 2          # nesting of loops


@dataclass
class Program:
    body: str          # the function f, with <<decision>> markers

    @property
    def plain(self) -> str:
        text = "import math\n\n\n" + HELPERS + "\n\n" + self.body
        return text.replace("<<", "(").replace(">>", ")")

    @property
    def traced(self) -> str:
        text = "import math\n\n\n" + TRACER + "\n\n" + HELPERS + "\n\n" + self.body
        return text.replace("<<", "_seen(").replace(">>", ")")


@dataclass
class Scope:
    """What a statement may read: float variables, int loop indices, and
    whether it is inside a loop (for break/continue)."""

    floats: list[str]
    ints: list[str] = field(default_factory=list)
    loops: int = 0
    depth: int = 0

    def inner(self, *, ints: tuple[str, ...] = (), loop: bool = False) -> "Scope":
        return Scope(list(self.floats), self.ints + list(ints), self.loops + int(loop), self.depth + 1)


class Names:
    """Fresh, unique variable names for one program."""

    def __init__(self) -> None:
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"


# --- expressions ---------------------------------------------------------------------

def expression(draw, scope: Scope, depth: int = 2) -> str:
    """A float-valued expression over the variables in scope."""
    leaves = ["var", "var", "const"] + (["index"] if scope.ints else [])
    kinds = leaves if depth == 0 else leaves + ["add", "sub", "scaled", "damped", "unary", "unary", "ratio",
                                                "helper", "ifexp"]
    kind = draw(st.sampled_from(kinds))
    sub = lambda: expression(draw, scope, depth - 1)  # noqa: E731
    if kind == "var":
        return draw(st.sampled_from(scope.floats))
    if kind == "const":
        return repr(draw(st.sampled_from(CONSTANTS)))
    if kind == "index":
        return f"{draw(st.sampled_from(CONSTANTS))!r} * {draw(st.sampled_from(scope.ints))}"
    if kind == "add":
        return f"({sub()} + {sub()})"
    if kind == "sub":
        return f"({sub()} - {sub()})"
    if kind == "scaled":
        return f"{draw(st.sampled_from(CONSTANTS))!r} * {sub()}"
    if kind == "damped":                     # a product that cannot blow up
        return f"{sub()} * math.tanh({sub()})"
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({sub()})"
    if kind == "ratio":
        return f"{sub()} / (1.0 + ({sub()}) ** 2)"
    if kind == "ifexp":
        return f"({sub()} if {condition(draw, scope, depth - 1)} else {sub()})"
    return helper_call(draw, sub)


def helper_call(draw, sub) -> str:
    """A call of one of `HELPERS`: positional, keyword and default arguments."""
    template = draw(st.sampled_from(HELPER_CALLS))
    return template.format(e=sub(), c=repr(draw(st.sampled_from(CONSTANTS))),
                           m=draw(st.sampled_from(["0", "1", "2", "n"])))


def condition(draw, scope: Scope, depth: int = 1) -> str:
    """A decision, marked for tracing: comparisons, possibly chained or
    combined with and/or/not."""
    kind = draw(st.sampled_from(["cmp", "cmp", "cmp", "const_cmp", "chain", "and", "or", "not"]
                                + (["index"] if scope.ints else [])))
    op = lambda: draw(st.sampled_from(["<", ">", "<=", ">="]))  # noqa: E731
    sub = lambda: expression(draw, scope, max(depth, 0))  # noqa: E731
    if kind == "cmp":
        return f"<<{sub()} {op()} {sub()}>>"
    if kind == "const_cmp":
        return f"<<{sub()} {op()} {draw(st.sampled_from(CONSTANTS))!r}>>"
    if kind == "chain":
        return f"<<-1.0 < {sub()} < 1.0>>"
    if kind == "index":
        return f"<<{draw(st.sampled_from(scope.ints))} % 2 == 0>>"
    if kind == "not":
        return f"(not <<{sub()} {op()} {sub()}>>)"
    joiner = kind
    return f"(<<{sub()} {op()} {sub()}>> {joiner} <<{sub()} {op()} {sub()}>>)"


# --- statements ------------------------------------------------------------------------

def block(draw, scope: Scope, names: Names, size: int) -> list[str]:
    """Up to `size` statements, at least one (lines without indentation)."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, size))):
        lines += statement(draw, scope, names)
    return lines


def indented(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def statement(draw, scope: Scope, names: Names) -> list[str]:
    kinds = ["assign", "assign", "update", "update", "accumulate", "unpack"]
    if scope.depth < MAX_DEPTH:
        kinds += ["if", "if"]
        if scope.loops < MAX_LOOPS:
            kinds += ["for", "for", "for", "while", "while"]
    if scope.loops:
        kinds += ["break", "continue"]
    if scope.depth:
        kinds += ["return"]
    kind = draw(st.sampled_from(kinds))
    if kind == "assign":
        name = names.fresh("v")
        line = f"{name} = {expression(draw, scope)}"
        scope.floats.append(name)
        return [line]
    if kind == "update":
        target = draw(st.sampled_from(scope.floats))
        return [f"{target} = 0.5 * {target} + {expression(draw, scope)}"]
    if kind == "accumulate":
        target = draw(st.sampled_from(scope.floats))
        op = draw(st.sampled_from(["+=", "-="]))
        return [f"{target} {op} 0.25 * {expression(draw, scope, 1)}"]
    if kind == "unpack":
        first, second = names.fresh("p"), names.fresh("q")
        line = f"{first}, {second} = h_pair({expression(draw, scope, 1)}, {expression(draw, scope, 1)})"
        scope.floats += [first, second]
        return [line]
    if kind == "if":
        lines = [f"if {condition(draw, scope)}:"] + indented(block(draw, scope.inner(), names, 3))
        if draw(st.booleans()):
            lines += ["else:"] + indented(block(draw, scope.inner(), names, 3))
        return lines
    if kind == "for":
        index = names.fresh("i")
        bounds = draw(st.sampled_from(["3", "n", "1, 4", "4, 0, -1", "0, n, 2", "n, -1, -1", "0"]))
        return [f"for {index} in range({bounds}):"] + indented(
            block(draw, scope.inner(ints=(index,), loop=True), names, 3))
    if kind == "while":
        counter = names.fresh("k")
        bound = draw(st.sampled_from(["3", "n", "4"]))
        test = f"{counter} < {bound}"
        inner = scope.inner(ints=(counter,), loop=True)
        if draw(st.booleans()):
            test += f" and {condition(draw, inner)}"
        # the counter moves first, so a `continue` can never loop forever
        return [f"{counter} = 0", f"while {test}:", f"    {counter} = {counter} + 1"] + indented(
            block(draw, inner, names, 3))
    if kind == "return":
        return [f"if {condition(draw, scope)}:", f"    return {expression(draw, scope)}"]
    return [f"if {condition(draw, scope)}:", f"    {kind}"]


@st.composite
def programs(draw) -> Program:
    """A program; its accumulator may start as an int (``acc = 0``), as users write it."""
    names = Names()
    scope = Scope(floats=["x", "y"])
    lines = []
    if draw(st.booleans()):
        lines.append(f"acc = {draw(st.sampled_from(['0', '0.0', 'x']))}")
        scope.floats.append("acc")
    lines += block(draw, scope, names, 6)
    result = " + ".join(scope.floats[-3:])
    lines.append(f"return {result} + {expression(draw, scope, 1)}")
    return Program("def f(x, y, n):\n" + "\n".join(indented(lines)) + "\n")
