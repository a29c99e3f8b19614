# grad(grad(log_exp)), from tests/golden_cases.py:
#
#   14 | def log_exp(x, y):
#   15 |     z = x * y
#   16 |     return math.log(z) + math.exp(z)

import math


def grad_grad_log_exp(x, y):
    """Gradient of grad_log_exp() with respect to x."""
    z = x * y
    return y * (math.exp(z) * y) - y / z / z * y
