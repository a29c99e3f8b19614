# grad(many_uses, mode='reverse'), from tests/golden_cases.py:
#
#   83 | def many_uses(x):
#   84 |     a = x * x
#   85 |     b = a * x
#   86 |     return a * b + a + b + x

def grad_many_uses(x):
    """Gradient of many_uses() with respect to x."""
    a = x * x
    b = a * x
    # backward of line 86: return a * b + a + b + x
    db = a + 1.0
    # backward of line 85: b = a * x
    da = db * x + b + 1.0
    # backward of line 84: a = x * x
    t = da * x
    dx = t + t + db * a + 1.0
    return dx
