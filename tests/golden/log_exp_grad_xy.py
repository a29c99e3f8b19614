# grad(log_exp, argnums=(0, 1)), from tests/golden_cases.py:
#
#   14 | def log_exp(x, y):
#   15 |     z = x * y
#   16 |     return math.log(z) + math.exp(z)

import math


def grad_log_exp(x, y):
    """Gradient of log_exp() with respect to x, y."""
    z = x * y
    # backward of line 16: return math.log(z) + math.exp(z)
    dz = 1.0 / z + math.exp(z)
    # backward of line 15: z = x * y
    dx = dz * y
    dy = dz * x
    return dx, dy
