# grad(first_large, mode='reverse'), from tests/golden_control_cases.py:
#
#   89 | def first_large(x):
#   90 |     for i in range(10):
#   91 |         x = x * 1.3
#   92 |         if x > 5.0:
#   93 |             return x * x
#   94 |     return x

def grad_first_large(x):
    """Gradient of first_large() with respect to x."""
    x_tape = []
    iterations = 0
    # exit_code: 0 goes on, 2 breaks out of the loop, 3 returns from the function
    exit_code = 0
    for _ in range(10):
        x_tape.append(x)
        x = x * 1.3
        exit_code = 3 if x > 5.0 else 0
        iterations = iterations + 1
        if exit_code >= 2:
            break
    # backward of line 90: for i in range(10):
    if exit_code == 3:
        dresult, dx = 1.0, 0.0
    else:
        dresult, dx = 0.0, 1.0
    for x_1 in reversed(x_tape):
        x_2 = x_1 * 1.3
        # backward of line 92: if x > 5.0:
        if x_2 > 5.0:
            # backward of line 93: return x * x
            t = dresult * x_2
            dx_1 = t + t
        else:
            dx_1 = 0.0
        dx_2 = dx_1 + dx
        # backward of line 91: x = x * 1.3
        dx = dx_2 * 1.3
        dresult = 0.0
    return dx
