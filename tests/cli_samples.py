"""Sample user files for the command-line, export and graph tests.

`write_sample(folder)` writes ``sample.py``: plain functions, a user
primitive whose source needs a helper, a module-level constant and a
``from math import`` name, a function already decorated with ``@grad``, a
loop calling a helper, and one that srcgrad must refuse.  `run_cli` runs ``srcgrad`` in this process.
"""
from __future__ import annotations

import io
import math
import os
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

SAMPLE = '''\
import math
from math import tanh as th

import srcgrad
from srcgrad import grad

SCALE = 2.5


def f(x, y):
    z = x * y
    return math.log(z) + math.exp(z)


def _squash_helper(u):
    return th(u) * SCALE


@srcgrad.primitive
def squash(u):
    """A user primitive: its source and helpers go into exported modules."""
    return _squash_helper(u) + math.cos(u)


@squash.derivative
def _(u):
    return SCALE * (1.0 - math.tanh(u) ** 2) - math.sin(u)


def g(x, w):
    return squash(x * w) * w + x


@grad(argnums=(0, 1))
def dh(a, b):
    return a * math.sin(b) + b ** 3


def accel(theta, omega, c):
    return -math.sin(theta) - c * omega


def pendulum(theta, c):
    omega = 0.0
    for _ in range(5):
        omega = omega + 0.1 * accel(theta, omega, c)
        theta = theta + 0.1 * omega
    return theta


def bad(x):
    total = x
    with open("log.txt") as handle:
        total = total * 2
    return total
'''

# the same functions, plainly, as references for the tests
def f(x: float, y: float) -> float:
    z = x * y
    return math.log(z) + math.exp(z)


def g(x: float, w: float) -> float:
    u = x * w
    return (math.tanh(u) * 2.5 + math.cos(u)) * w + x


def h(a: float, b: float) -> float:
    return a * math.sin(b) + b ** 3


def pendulum(theta: float, c: float) -> float:
    omega = 0.0
    for _ in range(5):
        omega = omega + 0.1 * (-math.sin(theta) - c * omega)
        theta = theta + 0.1 * omega
    return theta


def write_sample(folder: Path, name: str = "sample.py", text: str = SAMPLE) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def line_of(text: str, needle: str) -> tuple[int, int]:
    """1-based line and 0-based column of the first `needle` in `text`."""
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number, line.index(needle)
    raise ValueError(needle)


def run_cli(*args: str) -> tuple[int, str, str]:
    """``srcgrad ARGS`` in this process: (exit status, stdout, stderr)."""
    from srcgrad.cli import main
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse: --help, usage errors
            status = exc.code if isinstance(exc.code, int) else 2
    return status, out.getvalue(), err.getvalue()


def exec_source(source: str, name: str, namespace: dict | None = None):
    """Run generated module text and return the function `name` from it."""
    space = dict(namespace or {})
    exec(compile(source, f"<{name}>", "exec"), space)
    return space[name]


PYTHON = sys.executable


REPO = Path(__file__).resolve().parents[1]


def env_with_srcgrad() -> dict:
    """The environment, with this checkout first on PYTHONPATH (for subprocesses)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env
