# grad(log_ratio, argnums=(0, 1)), from tests/golden_cases.py:
#
#   23 | def log_ratio(x1, x2):
#   24 |     return math.log(x1*x2*(x1+x2))/(x1-x2)**2

import math


def grad_log_ratio(x1, x2):
    """Gradient of log_ratio() with respect to x1, x2."""
    t = x1 * x2
    t_1 = x1 + x2
    t_2 = t * t_1
    t_3 = x1 - x2
    t_4 = t_3 ** 2
    # backward of line 24: return math.log(x1*x2*(x1+x2))/(x1-x2)**2
    t_5 = math.log(t_2) / t_4 / t_4 * (2.0 * t_3)
    t_6 = 1.0 / t_4 / t_2
    t_7 = t_6 * t_1
    t_8 = t_6 * t
    dx1 = t_7 * x2 + t_8 - t_5
    dx2 = t_7 * x1 + t_8 + t_5
    return dx1, dx2
