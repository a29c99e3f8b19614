# grad(conditional_expression, mode='reverse'), from tests/golden_control_cases.py:
#
#  103 | def conditional_expression(x):
#  104 |     y = math.log(x) if x > 0.0 else -x
#  105 |     return y * 3.0

def grad_conditional_expression(x):
    """Gradient of conditional_expression() with respect to x."""
    # backward of line 104: y = math.log(x) if x > 0.0 else -x
    if x > 0.0:
        dx = 3.0 / x
    else:
        dx = -3.0
    return dx
