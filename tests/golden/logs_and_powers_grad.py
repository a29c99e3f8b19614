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
    t_1 = x ** y
    sqrt_y = math.sqrt(y)
    # backward of line 80: return math.log(x, 2) + math.log(x, y) + pow(x, y) + math.sqrt(y)
    t_2 = t_1 == 0
    t_3 = x if t_2 else 1.0
    t_4 = y - 1
    t_5 = 1.0 if x == 0 else x
    dx = 1.4426950408889634 / x + 1.0 / log_y / x + (0.0 if y == 0 else y *
        ((t_3 ** t_4 if t_3 or t_4 >= 0 else math.inf) if t_2 else t_1 / t_5))
    dy = t_1 * (math.log(t_5) if t_5 > 0 else -math.inf if t_5 == 0 else
        math.nan) - log_x / log_y / log_y / y + (0.5 / sqrt_y if sqrt_y else
        0.5 * math.copysign(math.inf, sqrt_y))
    return dx, dy
