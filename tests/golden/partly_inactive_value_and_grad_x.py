# value_and_grad(partly_inactive, argnums=0, mode='reverse'), from tests/golden_cases.py:
#
#   89 | def partly_inactive(x, y):
#   90 |     unused = math.cos(y) * math.exp(y)
#   91 |     d = x * 3
#   92 |     k = math.sinh(y)
#   93 |     return d * d + y + k

import math


def value_and_grad_partly_inactive(x, y):
    """Value and gradient of partly_inactive() with respect to x."""
    cos_y = math.cos(y)
    exp_y = math.exp(y)
    d = x * 3
    k = math.sinh(y)
    # backward of line 93: return d * d + y + k
    dd = d + d
    # backward of line 91: d = x * 3
    dx = dd * 3.0
    return d * d + y + k, dx
