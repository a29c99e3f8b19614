# grad(early_return, mode='reverse'), from tests/golden_control_cases.py:
#
#   24 | def early_return(x):
#   25 |     if x < 0.0:
#   26 |         return -2.0 * x
#   27 |     y = x * x
#   28 |     return math.sqrt(y + 1.0)

import math


def grad_early_return(x):
    """Gradient of early_return() with respect to x."""
    # backward of line 25: if x < 0.0:
    if x < 0.0:
        dx = -2.0
    else:
        y = x * x
        t = math.sqrt(y + 1.0)
        # backward of line 28: return math.sqrt(y + 1.0)
        dy = 1.0 * (0.5 / t if t else 0.5 * math.copysign(math.inf, t))
        # backward of line 27: y = x * x
        t_1 = dy * x
        dx = t_1 + t_1
    return dx
