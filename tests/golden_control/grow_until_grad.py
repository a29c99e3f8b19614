# grad(grow_until, mode='reverse'), from tests/golden_control_cases.py:
#
#   44 | def grow_until(x):
#   45 |     steps = 0
#   46 |     while x < 10.0:
#   47 |         x = x * 1.5 + 0.1
#   48 |         steps += 1
#   49 |     return x * steps

def grad_grow_until(x):
    """Gradient of grow_until() with respect to x."""
    steps = 0
    iterations = 0
    while x < 10.0:
        x = x * 1.5 + 0.1
        steps = steps + 1
        iterations = iterations + 1
    # backward of line 49: return x * steps
    dx = float(steps)
    # backward of line 46: while x < 10.0:
    for _ in range(iterations):
        # backward of line 47: x = x * 1.5 + 0.1
        dx = dx * 1.5
    return dx
