# grad(sin_double, mode='reverse'), from tests/golden_cases.py:
#
#   27 | def sin_double(x):
#   28 |     return math.sin(2*x)

import math


def grad_sin_double(x):
    """Gradient of sin_double() with respect to x."""
    # backward of line 28: return math.sin(2*x)
    dx = math.cos(2 * x) * 2.0
    return dx
