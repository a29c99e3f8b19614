# grad(product_squared, argnums='y', mode='reverse'), from tests/golden_cases.py:
#
#   56 | def product_squared(x, y):
#   57 |     return (x*y)**2

def grad_product_squared(x, y):
    """Gradient of product_squared() with respect to y."""
    # backward of line 57: return (x*y)**2
    dy = 2.0 * (x * y) * x
    return dy
