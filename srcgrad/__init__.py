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
    # verification pulls in sympy and mpmath: load it only when asked for
    if name in ("verify", "check_grads", "VerificationReport"):
        from . import verification
        return getattr(verification, name)
    raise AttributeError(f"module 'srcgrad' has no attribute {name!r}")
