"""Sensitivities of a simulation: a damped pendulum integrated in a loop.

    python examples/ode_step.py

`final_angle` integrates theta'' = -(g/L) sin(theta) - c theta' with the
semi-implicit Euler method, calling the helper `acceleration` at every step.
srcgrad differentiates through the loop and the helper call: the generated
gradient keeps what the backward sweep needs on a tape (a plain list) and
runs the steps backwards.  The sensitivities d theta(T) / d theta0 and
d theta(T) / d c are checked against central differences.
"""
import math

from srcgrad import grad

G_OVER_L = 9.81      # g / L for a 1 m pendulum
DT = 0.01            # time step (s)
STEPS = 200          # 2 seconds


def acceleration(theta, omega, damping):
    """theta'' of the damped pendulum."""
    return -G_OVER_L * math.sin(theta) - damping * omega


def final_angle(theta0, damping):
    theta = theta0
    omega = 0.0
    for _ in range(STEPS):
        omega = omega + DT * acceleration(theta, omega, damping)
        theta = theta + DT * omega
    return theta


def central_difference(fun, args, i, h=1e-6):
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (fun(*up) - fun(*down)) / (2 * h)


def main():
    sensitivities = grad(final_angle, argnums=("theta0", "damping"))
    print("generated gradient (loop run backwards, values taped):\n")
    print(sensitivities.source)
    theta0, damping = 0.8, 0.3
    d_theta0, d_damping = sensitivities(theta0, damping)
    fd = [central_difference(final_angle, (theta0, damping), i) for i in range(2)]
    print(f"theta(T) = {final_angle(theta0, damping):.10f}")
    print(f"d theta(T) / d theta0  = {d_theta0:.10f}   (finite difference {fd[0]:.10f})")
    print(f"d theta(T) / d damping = {d_damping:.10f}   (finite difference {fd[1]:.10f})")
    assert math.isclose(d_theta0, fd[0], rel_tol=1e-6, abs_tol=1e-9)
    assert math.isclose(d_damping, fd[1], rel_tol=1e-6, abs_tol=1e-9)
    print("\nBoth sensitivities agree with finite differences.")


if __name__ == "__main__":
    main()
