# grad(grad(log_exp, mode='reverse'), mode='reverse'), from tests/golden_cases.py:
#
#   14 | def log_exp(x, y):
#   15 |     z = x * y
#   16 |     return math.log(z) + math.exp(z)

import math


def grad_grad_log_exp(x, y):
    """Gradient of grad_log_exp() with respect to x."""
    z = x * y
    # backward of line 16: return math.log(z) + math.exp(z)
    dz = y * math.exp(z) - y * (1.0 / z / z)
    # backward of line 15: z = x * y
    dx = dz * y
    return dx
