"""Synthetic functions that grow with a size parameter (issue 10's scale suite).

Each generator returns Python source text for one module defining ``f``
(and, where the benchmark compares with one, a hand-written derivative).
`load` writes the text into a real file and imports it, so srcgrad reads it
the way it reads any user's module (``inspect.getsource`` works).

The programs are deterministic (no randomness at generation time) and keep
their values bounded (sines, contractions), so finite differences stay
meaningful at every size: the tests compare gradients at these sizes with
finite differences of the very function Python runs.
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import tempfile
from typing import Any

_counter = itertools.count()
_FOLDER: str | None = None

# One operation each; a, b are earlier variables.  Cycling through them gives
# a mix of unary, binary and constant operations with bounded values.
_OPS = (
    "math.sin({a})",
    "{a} * {b}",
    "{a} + {b}",
    "0.5 * {a}",
    "math.cos({b})",
    "{a} - {b}",
    "math.tanh({a})",
    "{a} * 0.9",
)


def straight_line(n_ops: int, n_inputs: int = 4) -> str:
    """`n_ops` assignments of one operation each over `n_inputs` inputs;
    every value is read again (no dead code), and the result sums the last
    few.  A model of long unrolled numeric code (e.g. generated kernels)."""
    params = [f"x{i}" for i in range(n_inputs)]
    names = list(params)
    lines = [f"def f({', '.join(params)}):"]
    for k in range(n_ops):
        a = names[-1]
        b = names[-1 - (1 + k % 7) % len(names)]
        name = f"v{k}"
        lines.append(f"    {name} = {_OPS[k % len(_OPS)].format(a=a, b=b)}")
        names.append(name)
    lines.append(f"    return {' + '.join(names[-4:])}")
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def long_expression(n_terms: int) -> str:
    """One `return` of `n_terms` terms in x and y (Python's parser stops near 2,500)."""
    terms = []
    for k in range(n_terms):
        c = 0.5 + (k % 10) / 10
        terms.append(("math.sin(x) * {c}", "x * y * {c}", "y * {c}", "math.cos(y * {c})")[k % 4].format(c=c))
    return "import math\n\n\ndef f(x, y):\n    return " + " + ".join(terms) + "\n"


def sequential_ifs(n: int) -> str:
    """`n` ifs one after another, each updating y on both sides."""
    lines = ["def f(x, y):"]
    for k in range(n):
        lines += [f"    if x > {k % 7 - 3}.25:",
                  f"        y = y * 0.999 + x * {0.001 * (k % 5 + 1):.3f}",
                  "    else:",
                  f"        y = y - math.sin(x) * {0.001 * (k % 3 + 1):.3f}"]
    lines.append("    return y")
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def sequential_loops(n: int, trips: int = 2) -> str:
    """`n` small for-loops one after another."""
    lines = ["def f(x, y):"]
    for k in range(n):
        lines += [f"    for i{k % 3} in range({trips}):",
                  f"        y = y * 0.999 + math.sin(x) * {0.001 * (k % 5 + 1):.3f}"]
    lines.append("    return y")
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def elif_chain(n: int) -> str:
    """`if / elif ... / else` of `n` branches on x."""
    lines = ["def f(x, y):"]
    for k in range(n):
        keyword = "if" if k == 0 else "elif"
        lines += [f"    {keyword} x < {-n / 2 + k:.1f}:",
                  f"        z = x * y * {1 + k % 4} + math.sin(x) * {k % 3}"]
    lines += ["    else:", "        z = x * x * y", "    return z"]
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def nested_ifs(depth: int) -> str:
    """`if`s nested `depth` deep, each level updating y before going deeper."""
    lines = ["def f(x, y):"]
    for k in range(depth):
        pad = "    " * (k + 1)
        lines += [f"{pad}y = y * 1.001 + math.sin(x) * 0.01",
                  f"{pad}if x > {-depth + k * 0.5:.2f}:"]
    pad = "    " * (depth + 1)
    lines += [f"{pad}y = y * x", "    return y"]
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def nested_loops(depth: int) -> str:
    """`for` loops nested `depth` deep (one trip each but the innermost)."""
    lines = ["def f(x, y):"]
    for k in range(depth):
        pad = "    " * (k + 1)
        trips = 3 if k == depth - 1 else 1
        lines.append(f"{pad}for i{k} in range({trips}):")
    pad = "    " * (depth + 1)
    lines += [f"{pad}y = y * 0.9 + math.sin(x * y)", "    return y"]
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def early_exits(n_blocks: int) -> str:
    """`n_blocks` of ``if c: y = ...`` followed by ``if d: return y``: the
    rest of the function after each exit must not be copied into branches."""
    lines = ["def f(x, y):"]
    for k in range(n_blocks):
        lines += [f"    if x > {k * 0.1 - 5:.2f}:",
                  f"        y = y * 1.01 + math.sin(x) * {0.01 * (k % 5 + 1):.2f}",
                  f"    if y > {1000 + k}.0:",
                  "        return y * x"]
    lines.append("    return y + x")
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def long_loop_body(n_stmts: int, trips: int = 20) -> str:
    """A loop whose body is `n_stmts` statements, with loop-invariant work."""
    lines = ["def f(x, y):", f"    for i in range({trips}):"]
    names = ["y"]
    for k in range(n_stmts):
        prev = names[-1]
        lines.append(f"        t{k} = {prev} * 0.999 + math.sin(x) * {0.0001 * (k % 7 + 1):.4f}")
        names.append(f"t{k}")
    lines += [f"        y = {names[-1]}", "    return y"]
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def nested_if_body(depth: int, trips: int = 20) -> str:
    """A loop over nested ifs whose branches do real work (backward-sweep cost)."""
    lines = ["def f(x, y):", f"    for i in range({trips}):"]
    for k in range(depth):
        pad = "    " * (k + 2)
        lines += [f"{pad}y = y * 0.999 + math.sin(x + y) * 0.001",
                  f"{pad}if x > {-depth + k * 0.5:.2f}:"]
    lines += ["    " * (depth + 2) + "y = y * math.cos(x) * 0.5 + 0.5 * y", "    return y"]
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def nested_loop_work(trips: int = 10) -> str:
    """Three nested loops with invariant work in the inner body."""
    return ("import math\n\n\ndef f(x, y):\n"
            f"    for i in range({trips}):\n"
            f"        for j in range({trips}):\n"
            f"            for k in range({trips}):\n"
            "                y = y * 0.999 + math.sin(x) * math.cos(x) * 0.001 + math.exp(-x * x) * 0.0001\n"
            "    return y\n")


def thirty_op(n_ops: int = 30) -> str:
    """A one-input function of about `n_ops` operations (higher orders)."""
    lines = ["def f(x):", "    a = x"]
    ops = ("math.sin({a})", "{a} * x", "{a} + x * 0.5", "math.exp({a} * 0.1)", "math.cos({a}) * x",
           "{a} * {a} * 0.3")
    prev = "a"
    for k in range(n_ops // 2):
        name = f"v{k}"
        lines.append(f"    {name} = {ops[k % len(ops)].format(a=prev)}")
        prev = name
    lines.append(f"    return {prev}")
    return "import math\n\n\n" + "\n".join(lines) + "\n"


def load(source: str, name: str = "scale") -> Any:
    """Write `source` to a new file and import it as a fresh module."""
    global _FOLDER
    if _FOLDER is None:
        _FOLDER = tempfile.mkdtemp(prefix="srcgrad-scale-")
    module_name = f"srcgrad_scale_{name}_{next(_counter)}"
    path = os.path.join(_FOLDER, module_name + ".py")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
