# grad(partial_sum), from tests/golden_control_cases.py:
#
#   52 | def partial_sum(x, n):
#   53 |     s = 0.0
#   54 |     for i in range(n):
#   55 |         if s > 5.0:
#   56 |             break
#   57 |         s = s + x * i
#   58 |     return s

def grad_partial_sum(x, n):
    """Gradient of partial_sum() with respect to x."""
    s = 0.0
    s_dot = 0.0
    # exit_code: 0 goes on, 2 breaks out of the loop, 3 returns from the function
    exit_code = 0
    for i in range(n):
        if s > 5.0:
            exit_code = 2
        else:
            s = s + x * i
            # tangent of line 57: s = s + x * i
            s_dot = s_dot + float(i)
            exit_code = 0
        if exit_code >= 2:
            break
    return s_dot
