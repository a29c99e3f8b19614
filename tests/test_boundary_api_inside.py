"""srcgrad's own API called inside a differentiated function: a transform
made outside is differentiated as its generated code; one made inside (or
``jvp(h, primals, tangents)``) is refused at the user's line, by name, never
read as a helper from srcgrad's own source."""
import pytest

from srcgrad import SrcGradError, grad

from .adversarial_support import load
from .reference import central_difference

MODULE = '''
from srcgrad import grad, hessian, jvp, value_and_grad


def inner(x):
    return x ** 3


jf = jvp(inner)
dinner = grad(inner)


def prebound(x):
    return jf((x,), (1.0,))[1] + dinner(x)


def jvp_inline(x):
    return jvp(inner, (x,), (1.0,))[1] + x


def grad_inline(x):
    return grad(inner)(x) + x


def hessian_inline(x):
    return hessian(inner)(x)


def value_and_grad_inline(x):
    return value_and_grad(inner)(x)[1]
'''


@pytest.fixture(scope="module")
def mod():
    return load(MODULE, "api_inside")


def test_transforms_made_outside_are_differentiated(mod):
    for x in (0.5, 1.5, -2.0):
        assert grad(mod.prebound)(x) == pytest.approx(central_difference(mod.prebound, (x,), 0), rel=1e-8)


@pytest.mark.parametrize("name, line", [("jvp_inline", 18), ("grad_inline", 22), ("hessian_inline", 26),
                                        ("value_and_grad_inline", 30)])
def test_transforms_made_inside_are_refused_at_the_users_line(mod, name, line):
    with pytest.raises(SrcGradError) as info:
        grad(getattr(mod, name))
    err = info.value
    assert err.filename == mod.__file__ and err.lineno == line
    assert "outside" in str(err)
