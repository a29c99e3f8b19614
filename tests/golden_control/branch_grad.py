# grad(branch, argnums=(0, 1)), from tests/golden_control_cases.py:
#
#   16 | def branch(x, y):
#   17 |     if x > y:
#   18 |         z = x * y
#   19 |     else:
#   20 |         z = math.sin(x) + y
#   21 |     return z * z

import math


def grad_branch(x, y):
    """Gradient of branch() with respect to x, y."""
    t = x > y
    if t:
        z = x * y
    else:
        z = math.sin(x) + y
    # backward of line 21: return z * z
    t_1 = 1.0 * z
    dz = t_1 + t_1
    # backward of line 17: if x > y:
    if t:
        # backward of line 18: z = x * y
        dx = dz * y
        dy = dz * x
    else:
        # backward of line 20: z = math.sin(x) + y
        dx = dz * math.cos(x)
        dy = dz
    return dx, dy
