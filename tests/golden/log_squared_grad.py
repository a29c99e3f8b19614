# grad(log_squared, mode='reverse'), from tests/golden_cases.py:
#
#   52 | def log_squared(x):
#   53 |     return math.log(x)**2

import math


def grad_log_squared(x):
    """Gradient of log_squared() with respect to x."""
    # backward of line 53: return math.log(x)**2
    dx = 2.0 * math.log(x) / x
    return dx
