# grad(uses_helper, argnums=(0, 1)), from tests/golden_control_cases.py:
#
#   66 | def uses_helper(x, y):
#   67 |     u = smooth_step(x)
#   68 |     v = smooth_step(y, width=x)
#   69 |     return u * v

def grad_uses_helper(x, y):
    """Gradient of uses_helper() with respect to x, y."""
    t = x / 2.0
    t_1 = t * t
    t_2 = 3.0 - 2.0 * t
    u = t_1 * t_2
    t_3 = y / x
    t_4 = t_3 * t_3
    t_5 = 3.0 - 2.0 * t_3
    v = t_4 * t_5
    # backward of line 68: v = smooth_step(y, width=x)
    t_6 = u * t_5 * t_3
    dt = t_6 + t_6 - 2.0 * (u * t_4)
    dy = dt / x
    # backward of line 67: u = smooth_step(x)
    t_7 = v * t_2 * t
    dt_1 = t_7 + t_7 - 2.0 * (v * t_1)
    dx = dt_1 * 0.5 - dt * (t_3 / x)
    return dx, dy
