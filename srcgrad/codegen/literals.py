"""Values written as AST literals: the one place srcgrad turns a Python value
into code, for generated modules (`constant`) and exported ones
(`literal_node`).

A value's text is never asked of the value: instances of subclasses
(``numpy.float64``, an ``IntEnum``, a float with its own ``__repr__`` or
``__float__``) are read with the base type's own methods, so no method of
the subclass runs, and become plain ``ast.Constant`` nodes that the printer
writes.  -0.0, inf and nan keep their values exactly.  What has no literal
is refused (`plain_value`: `TypeError`; `literal_node`: None), never
approximated by ``repr()``.
"""
from __future__ import annotations

import ast
import math
from typing import Any, Callable

Builtin = Callable[[str], ast.expr]


def plain_value(value: Any) -> Any:
    """`value` as a plain ``bool``/``int``/``float``/``str``/``None`` with
    exactly its value: a subclass (``numpy.float64``, an ``IntEnum``, a float
    with its own ``__repr__``) is never printed through its own methods.
    Anything else is refused (`TypeError`): only these can be literals in
    generated code.  So is an int with more digits than Python will print."""
    if value is None or type(value) in (bool, float, str):
        return value
    if isinstance(value, int):            # bool cannot be subclassed: an int, or an int subclass
        plain = int.__int__(value)
        try:
            int.__repr__(plain)
        except ValueError:                # past sys.get_int_max_str_digits()
            raise TypeError("an int with this many digits cannot be written as a literal") from None
        return plain
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    raise TypeError(f"a {type(value).__name__} cannot be written as a literal in generated code")


def constant(value: Any, builtin: Builtin | None) -> ast.expr:
    """A literal for the `plain_value` of `value`; -0.0 keeps its sign.

    inf and nan have no literal: with `builtin` (a node reading a builtin,
    as the naming authority decides) they are written ``float('inf')``;
    without it they stay ``ast.Constant`` nodes, which `ast.unparse` writes
    as name-free expressions (``1e309``) -- for modules where ``float``
    might not be the builtin."""
    value = plain_value(value)
    if isinstance(value, float) and not math.isfinite(value) and builtin is not None:
        text = "nan" if value != value else "inf"
        call = ast.Call(func=builtin("float"), args=[ast.Constant(text)], keywords=[])
        return ast.UnaryOp(op=ast.USub(), operand=call) if value < 0 else call
    if (isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
            and math.copysign(1, value) < 0):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))
    return ast.Constant(value)


def literal_node(value: Any, builtin: Builtin | None = None) -> ast.expr | None:
    """An AST literal of `value`'s plain value, or None when it has none.

    Besides what `constant` writes: ``complex`` and ``bytes`` (and their
    subclasses, read through the base type), and tuples and frozensets of
    literals, which must be exactly those types (a named tuple's fields
    would be lost).  A frozenset's items are sorted, so the text does not
    depend on hash order."""
    if isinstance(value, complex):
        return ast.Constant(complex(complex.real.__get__(value), complex.imag.__get__(value)))
    if isinstance(value, bytes):
        return ast.Constant(bytes.__bytes__(value))
    if type(value) is tuple:
        items = [literal_node(item, builtin) for item in value]
        return None if None in items else ast.Tuple(elts=items, ctx=ast.Load())
    if type(value) is frozenset:
        items = [literal_node(item, builtin) for item in value]
        if None in items or builtin is None:
            return None
        items.sort(key=ast.dump)
        return ast.Call(func=builtin("frozenset"),
                        args=[ast.Tuple(elts=items, ctx=ast.Load())] if items else [], keywords=[])
    try:
        return constant(value, builtin)
    except TypeError:
        return None
