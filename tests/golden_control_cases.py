"""Inputs of the control-flow golden tests (tests/test_golden_control.py).

`CASES` maps a golden file's name (in tests/golden_control/) to the
transformation whose generated source it holds, written as the expression
that builds it.  Generated comments quote line numbers of this file: add new
functions at the end.  Some functions repeat ones of tests/control_corpus.py
on purpose: the corpus grows anywhere, and these line numbers must not move.
"""
import math

from srcgrad import grad, jvp, value_and_grad

COEFFS = [0.5, -1.0, 2.0, 3.0, -0.25]


def branch(x, y):
    if x > y:
        z = x * y
    else:
        z = math.sin(x) + y
    return z * z


def early_return(x):
    if x < 0.0:
        return -2.0 * x
    y = x * x
    return math.sqrt(y + 1.0)


def repeated_map(x, n):
    for _ in range(n):
        x = math.sin(x) * 1.1 + 0.1 * x
    return x


def horner(x):
    acc = 0.0
    for c in COEFFS:
        acc = acc * x + c
    return acc


def grow_until(x):
    steps = 0
    while x < 10.0:
        x = x * 1.5 + 0.1
        steps += 1
    return x * steps


def partial_sum(x, n):
    s = 0.0
    for i in range(n):
        if s > 5.0:
            break
        s = s + x * i
    return s


def smooth_step(a, width=2.0):
    t = a / width
    return t * t * (3.0 - 2.0 * t)


def uses_helper(x, y):
    u = smooth_step(x)
    v = smooth_step(y, width=x)
    return u * v


def double_sum(x, n):
    s = 0.0
    for i in range(n):
        for j in range(3):
            s = s + math.sin(x * i + j) * x
    return s


def odd_powers(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        s += x ** i
    return s


def first_large(x):
    for i in range(10):
        x = x * 1.3
        if x > 5.0:
            return x * x
    return x


def fibonacci_like(a, b, n):
    for _ in range(n):
        a, b = b, a * 2.0 + b
    return a + b


def conditional_expression(x):
    y = math.log(x) if x > 0.0 else -x
    return y * 3.0


CASES = {
    "branch_grad": "grad(branch, argnums=(0, 1))",
    "early_return_grad": "grad(early_return, mode='reverse')",
    "repeated_map_grad": "grad(repeated_map, mode='reverse')",
    "repeated_map_value_and_grad": "value_and_grad(repeated_map, mode='reverse')",
    "repeated_map_jvp": "jvp(repeated_map)",
    "horner_grad": "grad(horner, mode='reverse')",
    "grow_until_grad": "grad(grow_until, mode='reverse')",
    "partial_sum_grad": "grad(partial_sum, mode='reverse')",
    "uses_helper_grad": "grad(uses_helper, argnums=(0, 1))",
    "double_sum_grad": "grad(double_sum, mode='reverse')",
    "odd_powers_grad": "grad(odd_powers, mode='reverse')",
    "first_large_grad": "grad(first_large, mode='reverse')",
    "fibonacci_like_grad": "grad(fibonacci_like, argnums=(0, 1))",
    "conditional_expression_grad": "grad(conditional_expression, mode='reverse')",
    "repeated_map_grad_grad": "grad(grad(repeated_map, mode='reverse'))",
    # the default for one input: forward mode, no tape
    "repeated_map_grad_forward": "grad(repeated_map)",
    "horner_grad_forward": "grad(horner)",
    "early_return_grad_forward": "grad(early_return)",
    "partial_sum_grad_forward": "grad(partial_sum)",
}


def build(name: str):
    """The transformed function of case `name`."""
    return eval(CASES[name], {**globals(), "grad": grad, "value_and_grad": value_and_grad, "jvp": jvp})
