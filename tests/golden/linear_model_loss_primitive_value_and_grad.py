# value_and_grad(linear_model_loss_primitive, argnums=('w1', 'w2', 'b')), from tests/golden_cases.py:
#
#   48 | def linear_model_loss_primitive(x1, x2, w1, w2, b):
#   49 |     return -math.log(sigmoid(x1*w1 + x2*w2 + b))

import math


def value_and_grad_linear_model_loss_primitive(x1, x2, w1, w2, b):
    """Value and gradient of linear_model_loss_primitive() with respect to w1, w2, b."""
    t = sigmoid(x1 * w1 + x2 * w2 + b)
    # backward of line 49: return -math.log(sigmoid(x1*w1 + x2*w2 + b))
    db = -(t * (1.0 - t) / t)
    dw2 = db * x2
    dw1 = db * x1
    return -math.log(t), (dw1, dw2, db)
