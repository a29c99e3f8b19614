"""Functions that look innocent but are easy to differentiate wrongly.

srcgrad may refuse each of them when `grad` is applied, or differentiate it;
what it must never do is return a number that disagrees with the function
Python runs.  `tests/test_control_errors.py` checks them against finite
differences at points where the primal runs, and expects the gradient to fail
too where the primal raises.
"""
import math

shadowed = 5.0           # a global with the name of a local of `defined_in_one_branch_shadowing`
temp = 7.0               # likewise for `defined_in_loop_shadowing`
FACTORS = (0.5, 2.0, 3.0)
EMPTY: list = []


def defined_in_one_branch(x):
    if x > 0.0:
        z = x * 2.0
    return z * x


def defined_in_one_branch_shadowing(x):
    if x > 0.0:
        shadowed = x * 2.0
    return shadowed * x


def defined_in_loop(x, n):
    for i in range(n):
        t = x * i
    return t * x


def defined_in_loop_shadowing(x, n):
    for i in range(n):
        temp = x * (i + 1)
    return temp * x


def loop_target_read_after_loop(x):
    i = 0.0
    for i in range(3):
        x = x * 1.1
    return x * i


def loop_target_read_after_runtime_loop(x, n):
    for i in range(n):
        x = x * 1.1
    return x * i


def table_target_read_after_loop(x):
    c = 1.0
    for c in FACTORS:
        x = x * c
    return x * c


def int_counter_divides(x):
    k = 0
    while k < 3:
        x = x * 1.5
        k = k + 1
    return x / k


def int_state_becomes_float(x):
    k = 0
    for i in range(2):
        if x > 1.0:
            k = k + x
    return k * x


def int_index_in_float_arithmetic(x, n):
    s = 0
    for i in range(n):
        s = s + i * x + i // 2 - i % 3
    return s * x


def zero_trip_runtime(x, n):
    s = x * 2.0
    for i in range(n):
        s = s * x + i
    return s


def zero_trip_table(x):
    s = x * 3.0
    for c in EMPTY:
        s = s * c
    for a, b in zip(FACTORS, EMPTY):
        s = s * a * b
    return s + sum(EMPTY) + len(EMPTY)


def zero_trip_constant(x):
    s = x * 3.0
    for i in range(5, 2):
        s = s * x
    for j in range(0, 5, -1):
        s = s * x
    return s


def zero_trip_while(x):
    k = 10
    while k < 3:
        x = x * x
        k = k + 1
    return x * 2.0


def negative_step_constant(x):
    s = 0.0
    for i in range(10, -3, -2):
        s = s + math.sin(x * i)
    return s


def negative_step_runtime(x, start, stop, step):
    s = x
    for i in range(start, stop, step):
        s = s * x + i * s
    return s


def untaken_log(x):
    return math.log(x) if x > 0.0 else 0.0


def untaken_sqrt_return(x):
    if x > 0.0:
        return math.sqrt(x) * math.log(x)
    return x * x


def untaken_and(x):
    return (x > 0.0 and math.log(x)) or x * 3.0


def guarded_division(x):
    return 1.0 / x if x != 0.0 else 0.0


def chained_guard(x):
    if 0.0 < x < math.log(x + 2.0):
        return x * x
    return 2.0 * x


def guarded_while(x):
    k = 0
    while x > 0.0 and math.log(x) > -1.0 and k < 10:
        x = x - 0.3
        k = k + 1
    return x * k


def list_element_also_named(x):
    t = [math.sin(x)]
    s = t[0]
    return s + t[0]


def branch_in_loop_overwrites(x):
    for i in range(2):
        if x > 1.0:
            x = x * x
        else:
            x = math.cos(x)
    return x


def while_nested_in_for(x, n):
    for i in range(2):
        k = 0
        while k < n:
            k = k + 1
        x = x * 2.0
    return x


def while_after_returning_loop(x, n):
    for i in range(3):
        if x > 0.5:
            return x
    k = 0
    while k < n:
        k = k + 1
    return x * 2.0
