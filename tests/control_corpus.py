"""User-style functions with branches, loops, helpers and lists (issue 3).

Each function is listed in `CASES` with points on both sides of each of its
branches (and at different trip counts of data-dependent loops); float
arguments are differentiated, int arguments are trip counts.  Where the
derivative is easy to work out by hand, `HAND` gives it as plain Python.

`tests/test_control_flow.py` checks every case; it also checks, by tracing
the primal, that the points together run every line of every function here,
so a branch left unexercised shows up as a failure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

COEFFS = [0.5, -1.0, 2.0, 3.0, -0.25]
WEIGHTS = (0.5, 1.5, -2.0)
BIASES = (1.0, 0.0, 3.0)
RATE = 0.25


# --- branches ----------------------------------------------------------------------

def piecewise(x):
    if x < -1.0:
        y = -x * x
    elif x < 1.0:
        y = math.sin(x) * 2.0
    else:
        y = x ** 3
    return y + x


def branch_on_two(x, y):
    if x > y:
        z = x * y
    else:
        z = math.sin(x) + y
    return z * z


def chained_comparison(x):
    if 0.0 < x < 1.0:
        return x * x
    elif x >= 1.0:
        return 2.0 * x - 1.0
    else:
        return -x * 0.5


def bool_ops(x, y):
    if x > 0.0 and y > 0.0:
        s = x * y
    elif x < -1.0 or not y < 0.5:
        s = x + 3.0 * y
    else:
        s = x * x - y
    return s * x


def conditional_expression(x):
    y = math.log(x) if x > 0.0 else -x * x
    return y * 3.0


def and_or_values(x, y):
    z = (x > 0.0 and y) or 2.0 * x
    return z * x


def nested_branches(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y * y
    else:
        if x * y > 1.0:
            r = math.exp(x) * y
        else:
            r = math.cos(x + y)
    return r + x * 0.5


def early_return(x):
    if x < 0.0:
        return -x * 2.0
    y = x * x
    if y > 4.0:
        return math.sqrt(y) * 3.0
    return y + 1.0


def safe_log(x):
    # the untaken side would raise: math.log of a negative number
    return math.log(x) * x if x > 0.0 else 0.0


def branch_on_int_arg(x, k):
    if k > 2:
        return x * x * k
    return math.sin(x) * k


# --- for loops -----------------------------------------------------------------------

def repeated_map(x, n):
    for _ in range(n):
        x = math.sin(x) * 1.1 + 0.1 * x
    return x


def power_series(x):
    s = 0.0
    for i in range(5):
        s = s + x ** i / (i + 1)
    return s


def range_steps(x):
    s = 0.0
    for i in range(1, 10, 3):
        s = s + x ** i
    for j in range(6, 0, -2):
        s = s * x + j
    return s


def runtime_range_steps(x, start, stop, step):
    s = x
    for i in range(start, stop, step):
        s = s * x + i * s * 0.5
    return s


def len_of_table(x):
    s = 0.0
    for i in range(len(COEFFS)):
        s = s + COEFFS[i] * x ** i
    return s


def horner(x):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return acc


def tuple_table(x, y):
    s = 0.0
    for w in WEIGHTS:
        s = s + math.tanh(w * x + y)
    return s


def enumerate_table(x):
    s = 0.0
    for i, c in enumerate(COEFFS):
        s = s + c * i * math.cos(x * i)
    return s


def zip_tables(x):
    s = 0.0
    for w, b in zip(WEIGHTS, BIASES):
        s = s + math.tanh(w * x + b)
    return s


def nested_loops(x, n):
    s = 0.0
    for i in range(n):
        for j in range(3):
            s = s + math.sin(x * i + j) * x
    return s


def state_updated_in_outer_and_inner_loop(x, y):
    v = x
    for i in range(3):
        v = 0.5 * v + x
        for j in range(3):
            v = 0.5 * v + x * y
    return v + x


def triangular_loops(x, y):
    s = 0.0
    for i in range(4):
        for j in range(i):
            s = s + x ** j * y ** (i - j)
    return s


def loop_with_branch(x, n):
    s = 0.0
    for i in range(n):
        if s < 2.0:
            s = s + x * (i + 1)
        else:
            s = s - math.sin(x) * 0.5
    return s


# --- while loops ---------------------------------------------------------------------

def while_counter(x, n):
    k = 0
    while k < n:
        x = x * 0.9 + math.sin(x)
        k += 1
    return x


def while_data(x):
    k = 0
    while x < 10.0:
        x = x * 1.5 + 0.1
        k += 1
    return x * k


def while_true_break(x):
    n = 0
    while True:
        x = math.cos(x) + x * 0.5
        n += 1
        if n >= 5:
            break
    return x


def while_data_break(x, y):
    while True:
        x = x * 1.2 + y
        if x > 3.0:
            break
    return x * y


def while_returns(x):
    k = 0
    while k < 20:
        x = x * 1.3 + 0.05
        if x > 4.0:
            return x * k
        k += 1
    return -x


def while_true_return(x):
    while True:
        x = x * 1.5 + 0.1
        if x > 3.0:
            return x * x


def nested_while_break(x):
    s = 0.0
    i = 0
    while i < 4:
        j = 0
        while True:
            j += 1
            s = s + math.sin(x * j) * i
            if j >= i:
                break
        i += 1
    return s


def continue_in_while(x):
    k = 0
    s = 0.0
    while k < 6:
        k += 1
        if k % 2 == 0:
            continue
        s = s + math.sin(x * k)
    return s


# --- break, continue, return inside loops ----------------------------------------------

def break_on_data(x, n):
    s = 0.0
    for i in range(n):
        if s > 5.0:
            break
        s = s + x * i
    return s


def continue_on_index(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s += x ** i
    return s


def continue_on_data(x):
    s = 0.0
    for i in range(1, 8):
        t = math.sin(x * i)
        if t < 0.0:
            continue
        s = s + t * i
    return s


def return_in_loop(x):
    for i in range(10):
        x = x * 1.3
        if x > 5.0:
            return x * x
    return x


def return_in_nested_loop(x):
    s = 0.0
    for i in range(4):
        for j in range(4):
            s = s + x * (i + j)
            if s > 6.0:
                return s * s
    return s


def break_inner_loop(x):
    s = 0.0
    for i in range(5):
        for j in range(5):
            if j > i:
                break
            s = s + math.sin(x * (j + 1))
    return s


def break_and_continue(x):
    s = 0.0
    for i in range(10):
        if i % 3 == 0:
            continue
        s = s + x * i
        if s > 4.0:
            break
    return s * x


# --- helpers -------------------------------------------------------------------------

def helper(a, b=2.0):
    return a * b + math.sin(a)


def pair(a):
    return a * a, a + 1.0


def inner_helper(a):
    return math.exp(-a * a)


def outer_helper(a, scale=1.5):
    return inner_helper(a) * scale + helper(a, b=scale)


def step(v, rate=0.1):
    if v > 1.0:
        return v - rate * v * v
    return v + rate * math.cos(v)


def helper_with_loop(a, times):
    for _ in range(times):
        a = a * 0.5 + 1.0
    return a


def uses_helpers(x, y):
    u = helper(x)
    v = helper(y, b=x)
    p, q = pair(u)
    return p * v + q


def helpers_calling_helpers(x):
    return outer_helper(x) + outer_helper(x * 2.0, scale=0.5)


def helper_in_loop(x, n):
    for i in range(n):
        x = step(x, rate=0.1 * (i + 1))
    return x


def helper_tuple_in_loop(x, y):
    for _ in range(3):
        a, b = pair(x)
        x, y = b * 0.5, a * y * 0.25 + RATE
    return x + y


def helper_loop_inside(x, n):
    return helper_with_loop(x, n) * helper_with_loop(x * x, 2)


# --- sequences -----------------------------------------------------------------------

def list_operations(x, y):
    vals = [x, y, x * y]
    total = sum(vals)
    squares = [v * v for v in vals]
    out = 0.0
    for i in range(len(vals)):
        out = out + vals[i] * squares[i]
    return out + total


def appending(x):
    ys = []
    for k in range(4):
        ys.append(x ** k)
    return sum(ys) * ys[2]


def tuples_and_indexing(x, y):
    t = (x, y * 2.0, math.sin(x))
    first, second, third = t
    return t[0] * t[-1] + second * first + third


def comprehension_over_range(x):
    powers = [x ** k for k in range(5)]
    s = 0.0
    for i in range(len(powers)):
        s = s + powers[i] * COEFFS[i]
    return s + len(powers)


def index_with_loop_index(x, y):
    vals = [x, y, x - y, x * y]
    s = 0.0
    for i in range(4):
        if vals[i] > 0.0:
            s = s + vals[i] * vals[3 - i]
    return s


def comprehension_over_table(x):
    ys = [c * x * x for c in COEFFS]
    return sum(ys)


def iterate_local_list(x, y):
    vals = [x, y, x * y]
    s = 0.0
    for v in vals:
        s = s * 0.5 + math.sin(v)
    return s


def enumerate_and_zip_local_list(x, y):
    vals = [x, y, x * y]
    s = 0.0
    for i, v in enumerate(vals):
        s = s + i * v * v
    for v, c in zip(vals, COEFFS):
        s = s + c * v
    return s


def nested_lists(x, y):
    m = [[x, y], [y * 2.0, x * x]]
    return m[0][1] * m[1][1] + m[1][0]


def list_index_in_runtime_loop(x, y, n):
    vals = [x, y, x * y]
    s = 0.0
    for i in range(n):
        s = s + vals[i % 3] * s + vals[i % 3]
    return s


def list_built_in_branches(x, y):
    if x > y:
        vals = [x, y]
    else:
        vals = [y, x * 2.0]
    return vals[0] * vals[1] + vals[0]


def appended_list_read_in_runtime_loop(x, n):
    ys = []
    for k in range(3):
        ys.append(x ** (k + 1))
    s = 0.0
    for i in range(n):
        s = s + ys[i % 3] * s + 0.1
    return s


# --- swaps and counters ----------------------------------------------------------------

def swap_in_loop(a, b, n):
    for _ in range(n):
        a, b = b, a * 2.0 + b
    return a + b


def rotate_three(a, b, c):
    for _ in range(4):
        a, b, c = b * 0.5, c + a, a * b
    return a * b + c


def int_counter_mixed(x):
    k = 0
    for i in range(4):
        k = k + i
        if x > 1.0:
            k = k + 0.5 * x
    return k * x


def loop_index_arithmetic(x):
    s = 0.0
    for i in range(5):
        s = s + x * (i // 2) + x ** (i / 2) + (i % 3) * x * x
    return s


# --- the table ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    fn: Callable[..., float]
    points: tuple[tuple[Any, ...], ...]
    hand: Callable[..., tuple[float, ...]] | None = field(default=None, compare=False)


def _hand_piecewise(x):
    if x < -1.0:
        return (-2.0 * x + 1.0,)
    if x < 1.0:
        return (2.0 * math.cos(x) + 1.0,)
    return (3.0 * x * x + 1.0,)


def _hand_power_series(x):
    return (sum(i * x ** (i - 1) / (i + 1) for i in range(1, 5)),)


def _hand_horner(x):
    # d/dx of sum(c_k x^(4-k))
    n = len(COEFFS) - 1
    return (sum(c * (n - k) * x ** (n - k - 1) for k, c in enumerate(COEFFS) if n - k > 0),)


def _hand_continue_on_index(x):
    return (1.0 + 3.0 * x * x + 5.0 * x ** 4,)


def _hand_branch_on_two(x, y):
    if x > y:
        z = x * y
        return (2 * z * y, 2 * z * x)
    z = math.sin(x) + y
    return (2 * z * math.cos(x), 2 * z)


def _hand_while_data(x):
    k = 0
    dx = 1.0
    while x < 10.0:
        x, dx, k = x * 1.5 + 0.1, dx * 1.5, k + 1
    return (dx * k,)


def _hand_swap(a, b, n):
    # the state is linear: (a, b) <- (b, 2a + b); track d/da and d/db of both
    da, db = (1.0, 0.0), (0.0, 1.0)
    for _ in range(n):
        da, db = db, (2 * da[0] + db[0], 2 * da[1] + db[1])
    return (da[0] + db[0], da[1] + db[1])


CASES: list[Case] = [
    Case(piecewise, ((-2.0,), (0.3,), (-0.7,), (1.7,)), hand=_hand_piecewise),
    Case(branch_on_two, ((0.7, 0.3), (0.3, 0.7), (-1.2, -2.0)), hand=_hand_branch_on_two),
    Case(chained_comparison, ((-0.5,), (0.5,), (1.5,))),
    Case(bool_ops, ((0.6, 0.8), (-1.5, 0.2), (0.5, -0.3), (-0.5, 0.9), (-0.4, 0.1))),
    Case(conditional_expression, ((0.5,), (-0.5,), (2.5,))),
    Case(and_or_values, ((0.5, 1.5), (-0.5, 1.5), (0.7, -0.4))),
    Case(nested_branches, ((0.5, 0.7), (0.5, -0.7), (-1.5, -2.0), (-0.5, 0.3))),
    Case(early_return, ((-0.5,), (0.5,), (3.0,))),
    Case(safe_log, ((-0.5,), (0.5,), (2.0,))),
    Case(branch_on_int_arg, ((0.4, 3), (0.4, 1))),
    Case(repeated_map, ((0.3, 7), (-1.1, 3), (0.3, 0))),
    Case(power_series, ((0.7,), (-1.3,)), hand=_hand_power_series),
    Case(range_steps, ((0.8,), (-1.1,))),
    Case(runtime_range_steps, ((0.9, 5, 1, -1), (0.9, 1, 8, 2), (0.9, 7, -2, -3), (0.9, 3, 3, 1))),
    Case(len_of_table, ((0.6,), (-1.4,))),
    Case(horner, ((1.3,), (-0.6,)), hand=_hand_horner),
    Case(tuple_table, ((0.3, -0.2), (-1.0, 0.5))),
    Case(enumerate_table, ((0.3,), (1.7,))),
    Case(zip_tables, ((0.3,), (-1.2,))),
    Case(nested_loops, ((0.4, 4), (0.4, 0), (-0.9, 2))),
    Case(state_updated_in_outer_and_inner_loop, ((0.3, 1.1), (-0.8, 0.4))),
    Case(triangular_loops, ((0.6, 1.3), (-1.2, 0.4))),
    Case(loop_with_branch, ((0.3, 6), (1.2, 5), (-0.4, 3))),
    Case(while_counter, ((0.4, 5), (0.4, 0), (-2.0, 2))),
    Case(while_data, ((1.2,), (4.0,), (12.0,)), hand=_hand_while_data),
    Case(while_true_break, ((0.3,), (-2.0,))),
    Case(while_data_break, ((0.5, 0.4), (3.5, 0.4), (-1.0, 1.1))),
    Case(while_returns, ((0.6,), (3.5,), (-9.0,))),
    Case(while_true_return, ((0.7,), (2.7,))),
    Case(nested_while_break, ((0.7,), (-1.3,))),
    Case(continue_in_while, ((0.7,), (-0.4,))),
    Case(break_on_data, ((0.9, 10), (0.1, 6), (0.9, 0))),
    Case(break_and_continue, ((0.7,), (0.2,))),
    Case(continue_on_index, ((1.1,), (-0.7,)), hand=_hand_continue_on_index),
    Case(continue_on_data, ((0.6,), (1.3,))),
    Case(return_in_loop, ((0.5,), (0.01,), (6.0,))),
    Case(return_in_nested_loop, ((0.55,), (0.05,))),
    Case(break_inner_loop, ((0.3,), (-1.2,))),
    Case(uses_helpers, ((0.7, 1.3), (-0.4, 2.0))),
    Case(helpers_calling_helpers, ((0.3,), (-0.8,))),
    Case(helper_in_loop, ((0.4, 4), (1.5, 3), (0.9, 0))),
    Case(helper_tuple_in_loop, ((0.7, 1.3), (-0.4, 0.6))),
    Case(helper_loop_inside, ((0.7, 3), (-0.4, 0))),
    Case(list_operations, ((0.7, 1.3), (-0.5, 0.9))),
    Case(appending, ((1.2,), (-0.8,))),
    Case(tuples_and_indexing, ((0.7, 1.3), (-0.5, 0.2))),
    Case(comprehension_over_range, ((0.7,), (-1.6,))),
    Case(index_with_loop_index, ((0.7, 1.3), (-0.5, 0.9), (1.1, -0.6), (-0.3, -0.8))),
    Case(comprehension_over_table, ((0.7,), (-1.1,))),
    Case(iterate_local_list, ((0.7, 1.3), (-0.5, 0.2))),
    Case(enumerate_and_zip_local_list, ((0.7, 1.3), (-0.5, 0.2))),
    Case(nested_lists, ((0.7, 1.3), (-0.5, 0.2))),
    Case(list_index_in_runtime_loop, ((0.7, 0.3, 5), (-0.4, 0.9, 2))),
    Case(list_built_in_branches, ((0.7, 0.3), (0.3, 0.7))),
    Case(appended_list_read_in_runtime_loop, ((0.7, 4), (-0.6, 6))),
    Case(swap_in_loop, ((0.3, 0.6, 5), (-0.2, 1.1, 0)), hand=_hand_swap),
    Case(rotate_three, ((0.3, 0.6, 0.9), (-0.7, 0.4, 1.2))),
    Case(int_counter_mixed, ((0.5,), (1.5,))),
    Case(loop_index_arithmetic, ((0.7,), (1.9,))),
]
