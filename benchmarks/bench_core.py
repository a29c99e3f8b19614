"""Straight-line functions (issue 2): the course examples and the 30-op expression.

Each primal comes with the gradient a careful person would write by hand:
every partial, subexpressions shared, no tape.  `CASES` lists them for the
runner (`benchmarks/run.py`), with the point they are timed at.
"""
from __future__ import annotations

import math

from benchmarks.harness import Case


# --- course functions ---------------------------------------------------------

def poly3(a, b, c):
    return 2 * a * b * c * (a ** 2 + b ** 2 + c ** 2)


def poly3_hand(a, b, c):
    s = a * a + b * b + c * c
    return (2.0 * b * c * (s + 2.0 * a * a),
            2.0 * a * c * (s + 2.0 * b * b),
            2.0 * a * b * (s + 2.0 * c * c))


def logratio(x1, x2):
    return math.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2


def logratio_hand(x1, x2):
    s = x1 + x2
    d = x1 - x2
    inv_d2 = 1.0 / (d * d)
    g = 2.0 * math.log(x1 * x2 * s) * inv_d2 / d
    r = 1.0 / s
    return (1.0 / x1 + r) * inv_d2 - g, (1.0 / x2 + r) * inv_d2 + g


def logexp(x, y):
    z = x * y
    return math.log(z) + math.exp(z)


def logexp_hand(x, y):
    z = x * y
    dz = 1.0 / z + math.exp(z)
    return dz * y, dz * x


def sin2x(x):
    return math.sin(2 * x)


def sin2x_hand(x):
    return 2.0 * math.cos(2.0 * x)


def logistic_loss(w1, w2, b, x1, x2):
    return -math.log(1.0 / (1.0 + math.exp(-(x1 * w1 + x2 * w2 + b))))


def logistic_loss_hand(w1, w2, b, x1, x2):
    e = math.exp(-(x1 * w1 + x2 * w2 + b))
    dt = -e / (1.0 + e)              # d/dt -log(sigmoid(t)) = sigmoid(t) - 1
    return dt * x1, dt * x2, dt, dt * w1, dt * w2


def log_squared(x):
    return math.log(x) ** 2


def log_squared_hand(x):
    return 2.0 * math.log(x) / x


def product_squared(x, y):
    return (x * y) ** 2


def product_squared_hand(x, y):
    t = 2.0 * x * y
    return t * y, t * x


# --- the 30-operation expression ----------------------------------------------

def f30(a, b, c, d):
    t1 = math.sin(a * b) + math.cos(c / d)
    t2 = math.exp(-a * a) * math.tanh(b + c)
    t3 = math.sqrt(1.0 + d * d) * (a - c) / (1.0 + b * b)
    t4 = math.sin(t1 * t2) * math.cos(t3) + t1 / (2.0 + math.cos(t2))
    return t4 * math.exp(0.1 * t3) + math.tanh(t1 - t2 * t3) * math.sqrt(2.0 + math.sin(d))


def f30_hand(a, b, c, d):
    # forward sweep, keeping what the backward sweep reads
    ab = a * b
    cd = c / d
    t1 = math.sin(ab) + math.cos(cd)
    ea = math.exp(-a * a)
    th = math.tanh(b + c)
    t2 = ea * th
    sq = math.sqrt(1.0 + d * d)
    amc = a - c
    den = 1.0 + b * b
    t3 = sq * amc / den
    p = t1 * t2
    sp = math.sin(p)
    ct3 = math.cos(t3)
    q = 2.0 + math.cos(t2)
    t4 = sp * ct3 + t1 / q
    e3 = math.exp(0.1 * t3)
    h = math.tanh(t1 - t2 * t3)
    r = math.sqrt(2.0 + math.sin(d))
    # out = t4 * e3 + h * r
    du = r * (1.0 - h * h)               # u = t1 - t2 * t3
    # t4 = sin(p) * cos(t3) + t1 / q
    dp = e3 * math.cos(p) * ct3
    e3_q = e3 / q
    dt1 = du + e3_q + dp * t2
    dt2 = dp * t1 - du * t3 + e3_q * t1 / q * math.sin(t2)
    dt3 = 0.1 * t4 * e3 - du * t2 - e3 * sp * math.sin(t3)
    # t3 = sq * amc / den
    g = dt3 / den
    da = g * sq
    db = -2.0 * b * dt3 * t3 / den
    dc = -da
    dd = h * math.cos(d) * 0.5 / r + g * amc * d / sq
    # t2 = exp(-a * a) * tanh(b + c)
    da -= 2.0 * a * dt2 * t2
    dth = dt2 * ea * (1.0 - th * th)
    db += dth
    dc += dth
    # t1 = sin(a * b) + cos(c / d)
    dab = dt1 * math.cos(ab)
    dcd = dt1 * math.sin(cd) / d
    da += dab * b
    db += dab * a
    dc -= dcd
    dd += dcd * cd
    return da, db, dc, dd


CASES = [
    Case("2abc(a²+b²+c²)", poly3, poly3_hand, (0.7, -1.3, 0.4)),
    Case("log(x1x2(x1+x2))/(x1-x2)²", logratio, logratio_hand, (1.3, 0.4)),
    Case("z=xy; log z + exp z", logexp, logexp_hand, (1.2, 0.8)),
    Case("sin(2x)", sin2x, sin2x_hand, (0.9,)),
    Case("-log(sigmoid(x·w + b))", logistic_loss, logistic_loss_hand, (0.5, -1.2, 0.3, 1.1, 0.7)),
    Case("log(x)²", log_squared, log_squared_hand, (1.7,)),
    Case("(xy)²", product_squared, product_squared_hand, (1.3, -0.6)),
    Case("30-op expression", f30, f30_hand, (0.7, -0.4, 1.1, 1.6)),
]
