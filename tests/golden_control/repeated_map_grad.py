# grad(repeated_map, mode='reverse'), from tests/golden_control_cases.py:
#
#   31 | def repeated_map(x, n):
#   32 |     for _ in range(n):
#   33 |         x = math.sin(x) * 1.1 + 0.1 * x
#   34 |     return x

import math


def grad_repeated_map(x, n):
    """Gradient of repeated_map() with respect to x."""
    x_tape = []
    for _ in range(n):
        x_tape.append(x)
        x = math.sin(x) * 1.1 + 0.1 * x
    # backward of line 32: for _ in range(n):
    dx = 1.0
    for x_1 in reversed(x_tape):
        # backward of line 33: x = math.sin(x) * 1.1 + 0.1 * x
        dx = dx * 1.1 * math.cos(x_1) + dx * 0.1
    return dx
