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
    t = x < 0.0
    if t:
        pass
    else:
        y = x * x
        t_1 = math.sqrt(y + 1.0)
    # backward of line 25: if x < 0.0:
    if t:
        dx = -2.0
    else:
        y_1 = x * x
        # backward of line 28: return math.sqrt(y + 1.0)
        dy = 0.5 / math.sqrt(y_1 + 1.0)
        # backward of line 27: y = x * x
        t_2 = dy * x
        dx = t_2 + t_2
    return dx
