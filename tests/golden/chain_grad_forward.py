# grad(chain), from tests/golden_cases.py:
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
    # tangent of line 97: a = math.sin(x)
    a_dot = math.cos(x)
    b = math.exp(a)
    # tangent of line 98: b = math.exp(a)
    b_dot = b * a_dot
    c = math.tanh(b)
    # tangent of line 99: c = math.tanh(b)
    t = c * c
    c_dot = (1.0 - t) * b_dot
    # tangent of line 100: return math.sqrt(1 + c * c)
    t_1 = c * c_dot
    t_2 = math.sqrt(1.0 + t)
    return (0.5 / t_2 if t_2 else 0.5 * math.copysign(math.inf, t_2)) * (t_1 +
        t_1)
