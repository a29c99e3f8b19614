# grad(logs_and_powers, argnums=(0, 1)), from tests/golden_cases.py:
#
#   79 | def logs_and_powers(x, y):
#   80 |     return math.log(x, 2) + math.log(x, y) + pow(x, y) + math.sqrt(y)

import math


def grad_logs_and_powers(x, y):
    """Gradient of logs_and_powers() with respect to x, y."""
    log_y = math.log(y)
    t = x ** y
    sqrt_y = math.sqrt(y)
    # backward of line 80: return math.log(x, 2) + math.log(x, y) + pow(x, y) + math.sqrt(y)
    t_1 = t == 0
    t_2 = x if t_1 else 1.0
    t_3 = y - 1
    t_4 = 1.0 if x == 0 else x
    dx = 1.4426950408889634 / x + 1.0 / log_y / x + (0.0 if y == 0 else y *
        ((t_2 ** t_3 if t_2 or t_3 >= 0 else math.inf) if t_1 else t / t_4))
    dy = t * (math.log(t_4) if t_4 > 0 else -math.inf if t_4 == 0 else math.nan
        ) - math.log(x) / log_y / log_y / y + (0.5 / sqrt_y if sqrt_y else 
        0.5 * math.copysign(math.inf, sqrt_y))
    return dx, dy
