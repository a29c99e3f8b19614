"""The course examples, each as a Python function srcgrad reads and, written
separately by hand, the same function in sympy (the reference), with points
inside its domain.  Also tuple-returning functions for `jacobian`."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import sympy as sp

import srcgrad

from .ad_support import real_symbols


def cubic_form(a, b, c):
    return 2 * a * b * c * (a ** 2 + b ** 2 + c ** 2)


def log_ratio(x1, x2):
    return math.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2


def log_exp(x, y):
    z = x * y
    return math.log(z) + math.exp(z)


def linear_model_loss(x1, x2, w1, w2, b):
    return -math.log(1 / (1 + math.exp(-(x1 * w1 + x2 * w2 + b))))


def log_squared(x):
    return math.log(x) ** 2


def product_squared(x, y):
    return (x * y) ** 2


@dataclass(frozen=True)
class Example:
    function: Callable[..., Any]
    sympy: Callable[..., sp.Expr]          # the same function on sympy symbols
    points: tuple[tuple[float, ...], ...]

    @property
    def name(self) -> str:
        return self.function.__name__

    @property
    def arity(self) -> int:
        return self.function.__code__.co_argcount

    def __repr__(self) -> str:
        return self.name

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.function.__code__.co_varnames[:self.arity]

    def symbolic(self) -> tuple[tuple[sp.Symbol, ...], Any]:
        """Real sympy symbols for the parameters, and the function of them."""
        symbols = real_symbols(self.param_names)
        return symbols, self.sympy(*symbols)


COURSE = (
    Example(cubic_form, lambda a, b, c: 2 * a * b * c * (a ** 2 + b ** 2 + c ** 2),
            ((1.0, 2.0, 3.0), (-0.7, 1.3, 0.4))),
    Example(log_ratio, lambda x1, x2: sp.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2,
            ((1.5, 0.7), (2.0, 3.1))),
    Example(log_exp, lambda x, y: sp.log(x * y) + sp.exp(x * y), ((1.2, 0.8), (0.3, 2.5))),
    Example(linear_model_loss,
            lambda x1, x2, w1, w2, b: -sp.log(1 / (1 + sp.exp(-(x1 * w1 + x2 * w2 + b)))),
            ((0.5, -1.2, 0.8, 0.3, 0.1), (2.0, 1.0, -0.4, 1.5, -0.6))),
    Example(log_squared, lambda x: sp.log(x) ** 2, ((0.5,), (2.7,))),
    Example(product_squared, lambda x, y: (x * y) ** 2, ((1.5, -2.0), (0.3, 0.9))),
)


# --- functions returning tuples (jacobian) ------------------------------------

def polar(r, theta):
    return r * math.cos(theta), r * math.sin(theta)


def running_sums(x, y):
    s, p = 0.0, 1.0
    for i in range(3):
        s = s + x * i
        p = p * y + s
    return s, p


def one_tuple(x, y):
    return (x * math.sin(y),)


def mixed_outputs(x, y, z):
    s = x * y + z
    return math.exp(s), s / z, math.atan2(y, x), x


JACOBIAN = (
    Example(polar, lambda r, t: (r * sp.cos(t), r * sp.sin(t)), ((2.0, 0.6), (0.5, -2.2))),
    Example(mixed_outputs, lambda x, y, z: (sp.exp(x * y + z), (x * y + z) / z, sp.atan2(y, x), x),
            ((0.4, -1.1, 1.7), (1.3, 0.2, -0.9))),
    Example(running_sums, running_sums, ((0.7, 1.3), (-1.2, 0.4))),   # plain arithmetic: runs on symbols
    Example(one_tuple, lambda x, y: (x * sp.sin(y),), ((1.2, 0.8),)),
    Example(log_exp, lambda x, y: sp.log(x * y) + sp.exp(x * y), ((1.2, 0.8),)),   # scalar output
)


# --- user primitives: their derivative rules are differentiated again ---------

@srcgrad.primitive
def softplus(x):
    return math.log1p(math.exp(x))


@softplus.derivative
def _(x):
    return 1.0 / (1.0 + math.exp(-x))


@srcgrad.primitive
def scaled_sin(a, b):
    return a * math.sin(b)


@scaled_sin.derivative
def _(a, b):
    return math.sin(b), a * math.cos(b)


def user_rules(x, y):
    return softplus(x * y) + scaled_sin(x, y)


USER_RULES = Example(user_rules, lambda x, y: sp.log(1 + sp.exp(x * y)) + x * sp.sin(y),
                     ((0.7, 1.2), (-1.1, 0.4)))


# --- control flow and helper calls -------------------------------------------
# Each sympy form is the function on the branch (or iteration count) taken at
# the listed points.

def branchy(x, y):
    if x > y:
        z = x * math.sin(y)
    else:
        z = y * math.exp(x)
    return z * z


def conditional_expression(x, y):
    return x * y if x > 0 else math.cos(x) * y


def sine_sum(x, y):
    s = 0.0
    for i in range(4):
        s = s + math.sin(x * i) * y
    return s


def sine_sum_until(x, y):
    s = 0.0
    for i in range(10):
        s = s + math.sin(x * i) * y
        if s > 1.5:
            break
    return s


def cube_by_loop(x):
    p = 1.0
    for _ in range(3):
        p = p * x
    return p


def grow(x):
    while x < 10.0:
        x = x * 1.7 + 0.3
    return x * x


WEIGHTS = [0.5, 1.5, -2.0]


def indexed_sum(x, y):
    vals = (x, y * y, x * y)
    s = 0.0
    for i in range(3):
        s = s + vals[i] * vals[i] * WEIGHTS[i]
    return s


def _helper(u):
    return u * math.tanh(u)


def helper_calls(x, y):
    return _helper(x * y) + _helper(x)


def _grown(x):
    for _ in range(5):            # 5 iterations from x in (0.45, 0.65)
        x = x * 1.7 + 0.3
    return x * x


CONTROL_FLOW = (
    Example(branchy, lambda x, y: sp.Piecewise(((x * sp.sin(y)) ** 2, x > y), ((y * sp.exp(x)) ** 2, True)),
            ((1.3, 0.4), (0.3, 0.9))),
    Example(conditional_expression, lambda x, y: sp.Piecewise((x * y, x > 0), (sp.cos(x) * y, True)),
            ((0.7, 1.2), (-0.7, 1.2))),
    Example(sine_sum, lambda x, y: sum(sp.sin(x * i) * y for i in range(4)), ((0.7, 1.2), (-1.9, 0.3))),
    Example(sine_sum_until, lambda x, y: sum(sp.sin(x * i) * y for i in range(5)),   # breaks at i = 4
            ((0.2, 0.9), (0.4, 0.5))),
    Example(cube_by_loop, lambda x: x ** 3, ((1.3,), (-0.4,))),
    Example(grow, _grown, ((0.5,), (0.6,))),
    Example(indexed_sum, indexed_sum, ((0.7, 1.3), (-1.1, 0.4))),    # plain arithmetic: runs on symbols
    Example(helper_calls, lambda x, y: x * y * sp.tanh(x * y) + x * sp.tanh(x), ((0.7, 1.2), (-0.3, 2.0))),
)

# --- parameters named like the names transformations generate -----------------

def dotted_parameter(x, x_dot):
    return x * math.sin(x_dot)


def group_parameters(primals, tangents):
    return primals * math.exp(tangents)


NAME_CLASHES = (
    Example(dotted_parameter, lambda x, x_dot: x * sp.sin(x_dot), ((1.2, 0.5),)),
    Example(group_parameters, lambda p, t: p * sp.exp(t), ((1.2, 0.5),)),
)

# Scalar functions every transformation is checked on; the readable ones are
# those whose parameters leave generated names alone.
READABLE = COURSE + (USER_RULES,) + CONTROL_FLOW
SCALAR = READABLE + NAME_CLASHES
