# grad(polynomial, argnums=(0, 1, 2)), from tests/golden_cases.py:
#
#   19 | def polynomial(a, b, c):
#   20 |     return 2*a*b*c*(a**2+b**2+c**2)

def grad_polynomial(a, b, c):
    """Gradient of polynomial() with respect to a, b, c."""
    t = 2 * a
    t_1 = t * b
    t_2 = t_1 * c
    t_3 = a ** 2 + b ** 2 + c ** 2
    # backward of line 20: return 2*a*b*c*(a**2+b**2+c**2)
    t_4 = t_3 * c
    da = t_4 * b * 2.0 + t_2 * t
    db = t_4 * t + t_2 * (2.0 * b)
    dc = t_3 * t_1 + t_2 * (2.0 * c)
    return da, db, dc
