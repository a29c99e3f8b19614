# grad(early_return), from tests/golden_control_cases.py:
#
#   24 | def early_return(x):
#   25 |     if x < 0.0:
#   26 |         return -2.0 * x
#   27 |     y = x * x
#   28 |     return math.sqrt(y + 1.0)

import math


def grad_early_return(x):
    """Gradient of early_return() with respect to x."""
    if x < 0.0:
        result_dot = -2.0
    else:
        y = x * x
        # tangent of line 27: y = x * x
        t = x * 1.0
        y_dot = t + t
        t_1 = math.sqrt(y + 1.0)
        # tangent of line 28: return math.sqrt(y + 1.0)
        result_dot = (0.5 / t_1 if t_1 else 0.5 * math.copysign(math.inf, t_1)
            ) * y_dot
    return result_dot
