# grad(chain, mode='reverse'), from tests/golden_cases.py:
#
#   96 | def chain(x):
#   97 |     a = math.sin(x)
#   98 |     b = math.exp(a)
#   99 |     c = math.tanh(b)
#  100 |     return math.sqrt(1 + c * c)

import math


def grad_chain(x):
    """Gradient of chain() with respect to x."""
    a = math.sin(x)
    b = math.exp(a)
    c = math.tanh(b)
    t = c * c
    t_1 = math.sqrt(1.0 + t)
    # backward of line 100: return math.sqrt(1 + c * c)
    t_2 = (0.5 / t_1 if t_1 else 0.5 * math.copysign(math.inf, t_1)) * c
    dc = t_2 + t_2
    # backward of line 99: c = math.tanh(b)
    db = dc * (1.0 - t)
    # backward of line 98: b = math.exp(a)
    da = db * b
    # backward of line 97: a = math.sin(x)
    dx = da * math.cos(x)
    return dx
