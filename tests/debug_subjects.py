"""Functions whose generated gradients the debugging tests inspect and step into."""
import math


def log_exp(x, y):
    z = x * y
    return math.log(z) + math.exp(z)


def root(x):
    return math.sqrt(x) * 2.0
