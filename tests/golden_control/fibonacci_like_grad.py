# grad(fibonacci_like, argnums=(0, 1)), from tests/golden_control_cases.py:
#
#   97 | def fibonacci_like(a, b, n):
#   98 |     for _ in range(n):
#   99 |         a, b = b, a * 2.0 + b
#  100 |     return a + b

def grad_fibonacci_like(a, b, n):
    """Gradient of fibonacci_like() with respect to a, b."""
    # backward of line 98: for _ in range(n):
    da = 1.0
    db = 1.0
    for _ in range(n):
        # backward of line 99: a, b = b, a * 2.0 + b
        da_1 = db * 2.0
        db = db + da
        da = da_1
    return da, db
