# grad(double_sum, mode='reverse'), from tests/golden_control_cases.py:
#
#   72 | def double_sum(x, n):
#   73 |     s = 0.0
#   74 |     for i in range(n):
#   75 |         for j in range(3):
#   76 |             s = s + math.sin(x * i + j) * x
#   77 |     return s

import math


def grad_double_sum(x, n):
    """Gradient of double_sum() with respect to x."""
    # backward of line 74: for i in range(n):
    dx = 0.0
    for i in reversed(range(n)):
        # backward of line 75: for j in range(3):
        dx_1 = 0.0
        for j in reversed(range(3)):
            t = x * i + j
            # backward of line 76: s = s + math.sin(x * i + j) * x
            dx_1 = dx_1 + (x * math.cos(t) * i + math.sin(t))
        dx = dx + dx_1
    return dx
