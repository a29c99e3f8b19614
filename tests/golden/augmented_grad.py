# grad(augmented, argnums=(0, 1)), from tests/golden_cases.py:
#
#   60 | def augmented(x, y):
#   61 |     z = x
#   62 |     z += y
#   63 |     z -= 0.5 * x
#   64 |     z *= y
#   65 |     z /= 1 + x * x
#   66 |     z **= 2
#   67 |     return z

def grad_augmented(x, y):
    """Gradient of augmented() with respect to x, y."""
    z = x + y
    z_1 = z - 0.5 * x
    z_2 = z_1 * y
    t = 1 + x * x
    z_3 = z_2 / t
    # backward of line 66: z **= 2
    dz = 2.0 * z_3
    # backward of line 65: z /= 1 + x * x
    dz_1 = dz / t
    t_1 = dz * (z_3 / t) * x
    # backward of line 64: z *= y
    dz_2 = dz_1 * y
    # backward of line 62: z += y
    dx = dz_2 - 0.5 * dz_2 - t_1 - t_1
    dy = dz_2 + dz_1 * z_1
    return dx, dy
