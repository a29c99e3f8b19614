"""The SSA IR: data structures, builder, printer and invariant check."""
from .core import BOOL, INT, REAL, Atom, Const, Eqn, Function, Region, Var  # noqa: F401
from .builder import Builder, as_atom  # noqa: F401
from .check import verify_ir  # noqa: F401
