# grad(logs_and_powers, argnums=(0, 1)), from tests/golden_cases.py:
#
#   79 | def logs_and_powers(x, y):
#   80 |     return math.log(x, 2) + math.log(x, y) + pow(x, y) + math.sqrt(y)

import math


def grad_logs_and_powers(x, y):
    """Gradient of logs_and_powers() with respect to x, y."""
    log_x = math.log(x)
    t = log_x / 0.6931471805599453
    log_y = math.log(y)
    # backward of line 80: return math.log(x, 2) + math.log(x, y) + pow(x, y) + math.sqrt(y)
    dx = 1.4426950408889634 / x + 1.0 / log_y / x + y * x ** (y - 1)
    dy = x ** y * log_x - log_x / log_y / log_y / y + 0.5 / math.sqrt(y)
    return dx, dy
