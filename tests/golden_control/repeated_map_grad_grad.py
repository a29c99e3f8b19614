# grad(grad(repeated_map, mode='reverse')), from tests/golden_control_cases.py:
#
#   31 | def repeated_map(x, n):
#   32 |     for _ in range(n):
#   33 |         x = math.sin(x) * 1.1 + 0.1 * x
#   34 |     return x

import math


def grad_grad_repeated_map(x, n):
    """Gradient of grad_repeated_map() with respect to x."""
    x_tape = []
    x_tape_dot = []
    x_dot = 1.0
    for _ in range(n):
        x_tape.append(x)
        # tangent of line 32: for _ in range(n):
        x_tape_dot.append(x_dot)
        x_1 = math.sin(x) * 1.1 + 0.1 * x
        # tangent of line 33: x = math.sin(x) * 1.1 + 0.1 * x
        x_dot = 1.1 * (math.cos(x) * x_dot) + 0.1 * x_dot
        x = x_1
    # backward of line 32: for _ in range(n):
    dx = 1.0
    dx_dot = 0.0
    for x_2, x_dot_1 in zip(reversed(x_tape), reversed(x_tape_dot)):
        # backward of line 33: x = math.sin(x) * 1.1 + 0.1 * x
        t = dx * 1.1
        cos_x_2 = math.cos(x_2)
        dx = t * cos_x_2 + dx * 0.1
        # tangent of line 33: x = math.sin(x) * 1.1 + 0.1 * x
        dx_dot = cos_x_2 * (1.1 * dx_dot) - t * (math.sin(x_2) * x_dot_1
            ) + 0.1 * dx_dot
    return dx_dot
