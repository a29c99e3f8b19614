# grad(swap, argnums=(0, 1)), from tests/golden_cases.py:
#
#   70 | def swap(a, b):
#   71 |     a, b = b, a * 2
#   72 |     return a * b + a

def grad_swap(a, b):
    """Gradient of swap() with respect to a, b."""
    b_1 = a * 2
    # backward of line 71: a, b = b, a * 2
    da = 2.0 * b
    # backward of line 72: return a * b + a
    db = b_1 + 1.0
    return da, db
