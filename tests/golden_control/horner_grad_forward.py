# grad(horner), from tests/golden_control_cases.py:
#
#   37 | def horner(x):
#   38 |     acc = 0.0
#   39 |     for c in COEFFS:
#   40 |         acc = acc * x + c
#   41 |     return acc

def grad_horner(x):
    """Gradient of horner() with respect to x."""
    acc = 0.0
    acc_dot = 0.0
    for c in COEFFS:
        # tangent of line 40: acc = acc * x + c
        acc_dot = x * acc_dot + acc
        acc = acc * x + c
    return acc_dot
