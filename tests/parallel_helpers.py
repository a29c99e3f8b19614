"""Functions for the process-pool and Dask tests: worker processes import
this module by name (``tests.parallel_helpers``) to regenerate gradients."""
import math

import srcgrad
from srcgrad import grad, value_and_grad


def loss(x, y):
    return math.sin(x * y) + x ** 2 * math.exp(-y) + softclip(x + y)


@srcgrad.primitive
def softclip(u):
    return math.tanh(u)


@softclip.derivative
def _(u):
    return 1.0 - math.tanh(u) ** 2


@grad(argnums=(0, 1))
def dloss(x, y):
    """The same expression as `loss`, decorated: pickled by its global name."""
    return math.sin(x * y) + x ** 2 * math.exp(-y) + softclip(x + y)


# not the module's binding for its qualname ('loss'): pickled by recipe
dloss_by_recipe = grad(loss, argnums=(0, 1))
value_and_dloss = value_and_grad(loss, argnums=("x", "y"))


def sin_cubed(x):
    return math.sin(x) ** 3


def evaluate(point):
    """A top-level function a pool can run: the gradient at one point."""
    return dloss_by_recipe(*point)
