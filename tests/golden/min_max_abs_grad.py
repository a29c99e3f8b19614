# grad(min_max_abs, argnums=(0, 1)), from tests/golden_cases.py:
#
#   75 | def min_max_abs(x, y):
#   76 |     return min(x, y) * max(x, y) + abs(x - y)

def grad_min_max_abs(x, y):
    """Gradient of min_max_abs() with respect to x, y."""
    t = min(x, y)
    t_1 = max(x, y)
    t_2 = x - y
    # backward of line 76: return min(x, y) * max(x, y) + abs(x - y)
    t_3 = 1.0 if t_2 > 0.0 else -1.0 if t_2 < 0.0 else 0.0
    t_4 = y > x
    t_5 = y < x
    dx = (0.0 if t_5 else t_1) + (0.0 if t_4 else t) + t_3
    dy = (t_1 if t_5 else 0.0) + (t if t_4 else 0.0) - t_3
    return dx, dy
