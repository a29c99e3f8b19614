"""Logistic regression trained by gradient descent, with a gradient srcgrad wrote.

    python examples/logistic_regression.py

The data set is made here with `random` (two clouds of points, one per
class).  The loss of one example is the course's linear-model loss
``-log(sigmoid(x1*w1 + x2*w2 + b))`` for class 1 (and ``-log(1 - sigmoid(...))``
for class 0), written in the numerically stable form
``log1p(exp(-z)) + (1 - y) * z``.  `value_and_grad` gives the loss and its
partials with respect to the three parameters in one generated function.
"""
import math
import random

from srcgrad import value_and_grad


@value_and_grad(argnums=("w1", "w2", "b"))
def example_loss(w1, w2, b, x1, x2, y):
    z = x1 * w1 + x2 * w2 + b
    return math.log1p(math.exp(-z)) + (1.0 - y) * z


def make_data(n=100, seed=0):
    """`n` labelled points: class 1 around (1, 1), class 0 around (-1, -0.5)."""
    rng = random.Random(seed)
    data = []
    for i in range(n):
        y = i % 2
        cx, cy = (1.0, 1.0) if y else (-1.0, -0.5)
        data.append((rng.gauss(cx, 0.8), rng.gauss(cy, 0.8), float(y)))
    return data


def loss_and_gradient(params, data):
    """Mean loss over the data set and its gradient (sum of per-example gradients)."""
    total, grad = 0.0, [0.0, 0.0, 0.0]
    for x1, x2, y in data:
        value, partials = example_loss(*params, x1, x2, y)
        total += value
        for k, p in enumerate(partials):
            grad[k] += p
    n = len(data)
    return total / n, [g / n for g in grad]


def accuracy(params, data):
    w1, w2, b = params
    right = sum((x1 * w1 + x2 * w2 + b > 0) == (y == 1.0) for x1, x2, y in data)
    return right / len(data)


def check_gradient(params, data, h=1e-6):
    """The generated gradient against central differences of the mean loss."""
    _, grad = loss_and_gradient(params, data)
    for k in range(3):
        up, down = list(params), list(params)
        up[k] += h
        down[k] -= h
        numeric = (loss_and_gradient(up, data)[0] - loss_and_gradient(down, data)[0]) / (2 * h)
        assert math.isclose(grad[k], numeric, rel_tol=1e-5, abs_tol=1e-8), (k, grad[k], numeric)


def main(steps=200, learning_rate=0.5):
    data = make_data()
    params = [0.0, 0.0, 0.0]
    print("generated gradient of the per-example loss:\n")
    print(example_loss.source)
    check_gradient([0.3, -0.2, 0.1], data)
    losses = []
    for step in range(steps + 1):
        loss, grad = loss_and_gradient(params, data)
        losses.append(loss)
        if step % 40 == 0:
            print(f"step {step:3d}  loss {loss:.4f}  accuracy {accuracy(params, data):.0%}")
        params = [p - learning_rate * g for p, g in zip(params, grad)]
    final = accuracy(params, data)
    print(f"trained: w1={params[0]:.3f} w2={params[1]:.3f} b={params[2]:.3f}, "
          f"loss {losses[0]:.4f} -> {losses[-1]:.4f}, accuracy {final:.0%}")
    assert losses[-1] < 0.5 * losses[0], "the loss should go down"
    assert final >= 0.9, "the two clouds are easy to separate"


if __name__ == "__main__":
    main()
