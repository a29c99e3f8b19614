"""The primitive registry.  Importing this package declares every built-in
primitive; `REGISTRY` maps names, Python callables and operators to them."""
from .core import REGISTRY, Primitive, Registry  # noqa: F401
from . import scalar  # noqa: F401  (declares the built-in primitives)
from . import algebra  # noqa: F401  (attaches their algebraic identities)
from . import control  # noqa: F401  (structured control flow, sequences, tapes)
