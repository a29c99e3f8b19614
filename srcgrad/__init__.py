"""srcgrad: automatic differentiation by source transformation.

``@grad`` reads a Python function's source, lowers it to an SSA IR of
primitives, applies derivative rules, optimises, and emits a plain Python
function computing the gradient, which you can read (``df.source``), step
into with pdb and export.  sympy is imported only by verification.
"""
from .api import grad, hessian, jacobian, jvp, value_and_grad
from .errors import (ArgumentError, NoDerivativeRuleError, SourceNotFoundError, SrcGradError,
                     UnsupportedSyntaxError, VerificationError)
from .primitives.user import primitive
from .transform import Transformed

__version__ = "0.1.0"

__all__ = [
    "grad", "value_and_grad", "jvp", "jacobian", "hessian", "primitive", "Transformed",
    "SrcGradError", "UnsupportedSyntaxError", "NoDerivativeRuleError", "SourceNotFoundError",
    "ArgumentError", "VerificationError", "verify", "check_grads",
]


def __getattr__(name: str):
    # verification pulls in sympy and mpmath: load it only when asked for.
    # (`from . import verify` here would recurse into this hook; and once the
    # subpackage is imported, `srcgrad.verify` *is* the subpackage, which is
    # callable as `srcgrad.verify.verify`, so return it for that name.)
    if name in ("verify", "check_grads", "VerificationReport"):
        import importlib
        package = importlib.import_module(".verify", __name__)
        return package if name == "verify" else getattr(package, name)
    raise AttributeError(f"module 'srcgrad' has no attribute {name!r}")
