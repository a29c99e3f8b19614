"""Quickstart: decorate a function, read its generated gradient, check it.

    pip install -e . && python examples/quickstart.py

srcgrad reads the *source* of a Python function and writes a new Python
function that computes its gradient.  This prints that generated function,
evaluates it, and compares it with a finite difference.
"""
import math

from srcgrad import grad, value_and_grad


def f(x, y):
    z = x * y
    return math.log(z) + math.exp(z)


@grad                      # the decorator form: d/dx by default
def dsin2(x):
    return math.sin(2 * x)


def central_difference(fun, args, i, h=1e-6):
    """d fun / d args[i], numerically: the yardstick srcgrad is measured by."""
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (fun(*up) - fun(*down)) / (2 * h)


def main():
    df = grad(f, argnums=(0, 1))        # both partials; argnums=("x", "y") works too
    print("The generated gradient of f (df.source):\n")
    print(df.source)

    x, y = 1.2, 0.8
    dx, dy = df(x, y)
    value, (dx2, dy2) = value_and_grad(f, argnums=(0, 1))(x, y)
    fd = (central_difference(f, (x, y), 0), central_difference(f, (x, y), 1))
    print(f"{f'f({x}, {y})':<18} = {value:.12f}")
    print(f"{'df/dx, df/dy':<18} = {dx:.12f}, {dy:.12f}")
    print(f"{'finite difference':<18} = {fd[0]:.12f}, {fd[1]:.12f}")
    assert (dx, dy) == (dx2, dy2)
    assert math.isclose(dx, fd[0], rel_tol=1e-6) and math.isclose(dy, fd[1], rel_tol=1e-6)

    print("\n@grad on sin(2x) at 0.3:", dsin2(0.3), " (by hand: 2 cos(0.6) =", 2 * math.cos(0.6), ")")
    assert math.isclose(dsin2(0.3), 2 * math.cos(0.6), rel_tol=1e-12)
    print("\nAll gradients agree with finite differences.")


if __name__ == "__main__":
    main()
