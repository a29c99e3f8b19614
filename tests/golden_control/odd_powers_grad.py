# grad(odd_powers, mode='reverse'), from tests/golden_control_cases.py:
#
#   80 | def odd_powers(x):
#   81 |     s = 0.0
#   82 |     for i in range(6):
#   83 |         if i % 2 == 0:
#   84 |             continue
#   85 |         s += x ** i
#   86 |     return s

import math


def grad_odd_powers(x):
    """Gradient of odd_powers() with respect to x."""
    # backward of line 85: s += x ** i
    t = 1.0 if x == 0 else x
    # backward of line 82: for i in range(6):
    dx = 0.0
    for i in reversed(range(6)):
        # backward of line 83: if i % 2 == 0:
        if i % 2 == 0:
            dx_1 = 0.0
        else:
            t_1 = x ** i
            # backward of line 85: s += x ** i
            t_2 = t_1 == 0
            t_3 = x if t_2 else 1.0
            t_4 = i - 1
            dx_1 = 1.0 * (0.0 if i == 0 else i * ((t_3 ** t_4 if t_3 or t_4 >=
                0 else math.inf) if t_2 else t_1 / t))
        dx = dx + dx_1
    return dx
