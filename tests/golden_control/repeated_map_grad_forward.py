# grad(repeated_map), from tests/golden_control_cases.py:
#
#   31 | def repeated_map(x, n):
#   32 |     for _ in range(n):
#   33 |         x = math.sin(x) * 1.1 + 0.1 * x
#   34 |     return x

import math


def grad_repeated_map(x, n):
    """Gradient of repeated_map() with respect to x."""
    x_dot = 1.0
    for _ in range(n):
        x_1 = math.sin(x) * 1.1 + 0.1 * x
        # tangent of line 33: x = math.sin(x) * 1.1 + 0.1 * x
        x_dot = 1.1 * (math.cos(x) * x_dot) + 0.1 * x_dot
        x = x_1
    return x_dot
