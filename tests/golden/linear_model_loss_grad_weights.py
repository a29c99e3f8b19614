# grad(linear_model_loss, argnums=('w1', 'w2', 'b')), from tests/golden_cases.py:
#
#   31 | def linear_model_loss(x1, x2, w1, w2, b):
#   32 |     t = x1*w1 + x2*w2 + b
#   33 |     s = 1 / (1 + math.exp(-t))
#   34 |     return -math.log(s)

import math


def grad_linear_model_loss(x1, x2, w1, w2, b):
    """Gradient of linear_model_loss() with respect to w1, w2, b."""
    t = x1 * w1 + x2 * w2 + b
    t_1 = math.exp(-t)
    # backward of line 33: s = 1 / (1 + math.exp(-t))
    dt = -(t_1 / (1.0 + t_1))
    # backward of line 32: t = x1*w1 + x2*w2 + b
    dw2 = dt * x2
    dw1 = dt * x1
    return dw1, dw2, dt
