# grad(partial_sum, mode='reverse'), from tests/golden_control_cases.py:
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
    s_tape = []
    s = 0.0
    iterations = 0
    # exit_code: 0 goes on, 2 breaks out of the loop, 3 returns from the function
    exit_code = 0
    for i in range(n):
        s_tape.append(s)
        if s > 5.0:
            exit_code = 2
        else:
            s = s + x * i
            exit_code = 0
        iterations = iterations + 1
        if exit_code >= 2:
            break
    # backward of line 54: for i in range(n):
    dx = 0.0
    for i_1, s_1 in zip(reversed(range(iterations)), reversed(s_tape)):
        # backward of line 55: if s > 5.0:
        if s_1 > 5.0:
            dx_1 = 0.0
        else:
            # backward of line 57: s = s + x * i
            dx_1 = float(i_1)
        dx = dx + dx_1
    return dx
