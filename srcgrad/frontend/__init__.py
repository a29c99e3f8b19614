"""The frontend: a Python function's source to the SSA IR."""
