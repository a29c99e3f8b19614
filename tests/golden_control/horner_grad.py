# grad(horner, mode='reverse'), from tests/golden_control_cases.py:
#
#   37 | def horner(x):
#   38 |     acc = 0.0
#   39 |     for c in COEFFS:
#   40 |         acc = acc * x + c
#   41 |     return acc

def grad_horner(x):
    """Gradient of horner() with respect to x."""
    acc_tape = []
    acc = 0.0
    for c in COEFFS:
        acc_tape.append(acc)
        acc = acc * x + c
    # backward of line 39: for c in COEFFS:
    dacc = 1.0
    dx = 0.0
    for acc_1 in reversed(acc_tape):
        # backward of line 40: acc = acc * x + c
        dacc_1 = dacc * x
        # backward of line 39: for c in COEFFS:
        dx = dx + dacc * acc_1
        dacc = dacc_1
    return dx
