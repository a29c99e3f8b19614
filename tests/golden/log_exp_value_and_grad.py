# value_and_grad(log_exp, argnums=(0, 1)), from tests/golden_cases.py:
#
#   14 | def log_exp(x, y):
#   15 |     z = x * y
#   16 |     return math.log(z) + math.exp(z)

import math


def value_and_grad_log_exp(x, y):
    """Value and gradient of log_exp() with respect to x, y."""
    z = x * y
    exp_z = math.exp(z)
    # backward of line 16: return math.log(z) + math.exp(z)
    dz = 1.0 / z + exp_z
    # backward of line 15: z = x * y
    dx = dz * y
    dy = dz * x
    return math.log(z) + exp_z, (dx, dy)
