"""Automatic differentiation on the IR: activity analysis, reverse mode,
forward mode, and the rules for structured control flow."""
from . import control  # noqa: F401  (attaches the control-flow derivative hooks)
