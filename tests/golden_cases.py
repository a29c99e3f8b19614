"""Inputs of the golden tests (tests/test_golden.py).

`CASES` maps a golden file's name to the transformation whose generated
source it holds, written as the expression that builds it.  The functions
live here, not in the test module, because generated comments quote line
numbers of this file: add new functions at the end.
"""
import math

import srcgrad
from srcgrad import grad, value_and_grad


def log_exp(x, y):
    z = x * y
    return math.log(z) + math.exp(z)


def polynomial(a, b, c):
    return 2*a*b*c*(a**2+b**2+c**2)


def log_ratio(x1, x2):
    return math.log(x1*x2*(x1+x2))/(x1-x2)**2


def sin_double(x):
    return math.sin(2*x)


def linear_model_loss(x1, x2, w1, w2, b):
    t = x1*w1 + x2*w2 + b
    s = 1 / (1 + math.exp(-t))
    return -math.log(s)


@srcgrad.primitive
def sigmoid(t):
    return 1 / (1 + math.exp(-t))


@sigmoid.derivative
def _(t):
    s = sigmoid(t)
    return s * (1 - s)


def linear_model_loss_primitive(x1, x2, w1, w2, b):
    return -math.log(sigmoid(x1*w1 + x2*w2 + b))


def log_squared(x):
    return math.log(x)**2


def product_squared(x, y):
    return (x*y)**2


def augmented(x, y):
    z = x
    z += y
    z -= 0.5 * x
    z *= y
    z /= 1 + x * x
    z **= 2
    return z


def swap(a, b):
    a, b = b, a * 2
    return a * b + a


def min_max_abs(x, y):
    return min(x, y) * max(x, y) + abs(x - y)


def logs_and_powers(x, y):
    return math.log(x, 2) + math.log(x, y) + pow(x, y) + math.sqrt(y)


def many_uses(x):
    a = x * x
    b = a * x
    return a * b + a + b + x


def partly_inactive(x, y):
    unused = math.cos(y) * math.exp(y)
    d = x * 3
    k = math.sinh(y)
    return d * d + y + k


def chain(x):
    a = math.sin(x)
    b = math.exp(a)
    c = math.tanh(b)
    return math.sqrt(1 + c * c)


CASES = {
    "log_exp_grad_xy": "grad(log_exp, argnums=(0, 1))",
    "log_exp_value_and_grad": "value_and_grad(log_exp, argnums=(0, 1))",
    "log_exp_grad_grad": "grad(grad(log_exp, mode='reverse'), mode='reverse')",
    "polynomial_grad": "grad(polynomial, argnums=(0, 1, 2))",
    "log_ratio_grad": "grad(log_ratio, argnums=(0, 1))",
    "sin_double_grad": "grad(sin_double, mode='reverse')",
    "linear_model_loss_grad_weights": "grad(linear_model_loss, argnums=('w1', 'w2', 'b'))",
    "linear_model_loss_primitive_value_and_grad":
        "value_and_grad(linear_model_loss_primitive, argnums=('w1', 'w2', 'b'))",
    "log_squared_grad": "grad(log_squared, mode='reverse')",
    "product_squared_grad_y": "grad(product_squared, argnums='y', mode='reverse')",
    "augmented_grad": "grad(augmented, argnums=(0, 1))",
    "swap_grad": "grad(swap, argnums=(0, 1))",
    "min_max_abs_grad": "grad(min_max_abs, argnums=(0, 1))",
    "logs_and_powers_grad": "grad(logs_and_powers, argnums=(0, 1))",
    "many_uses_grad": "grad(many_uses, mode='reverse')",
    "partly_inactive_value_and_grad_x": "value_and_grad(partly_inactive, argnums=0, mode='reverse')",
    "chain_grad": "grad(chain, mode='reverse')",
    "chain_grad_forward": "grad(chain)",        # the default for one input: forward mode
    "log_exp_grad_grad_forward": "grad(grad(log_exp))",
}


def build(name: str):
    """The transformed function of case `name`."""
    return eval(CASES[name], {**globals(), "grad": grad, "value_and_grad": value_and_grad})
