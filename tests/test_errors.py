"""Refusals: unsupported code is rejected when `grad` is applied, with a
`SrcGradError` that points at the offending code like a SyntaxError does.

Each refused function below marks its offending line with ``# <- case-id``.
The expected line and column are found from that marker and the offending
text in *this file*, independently of srcgrad, and the rendered message must
quote the line with a caret under the offending code.

Loops, ``if`` and calls to the user's own functions are deliberately absent:
they are being implemented (issue 3).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import srcgrad
from srcgrad import (NoDerivativeRuleError, SourceNotFoundError, SrcGradError,
                     UnsupportedSyntaxError, grad)

THIS_FILE = str(Path(__file__).resolve())
LINES = Path(__file__).read_text().splitlines()
G = 1.0


def refuses_try(x):
    try:  # <- try
        y = x
    except ValueError:
        y = 0.0
    return y


def refuses_with(x):
    with open("data") as handle:  # <- with
        y = x
    return y


def refuses_yield(x):
    y = yield x  # <- yield
    return y


def refuses_yield_statement(x):
    yield x  # <- yield-statement


def refuses_global(x):
    global G  # <- global
    return x * G


def make_refuses_nonlocal():
    k = 1.0

    def refuses_nonlocal(x):
        nonlocal k  # <- nonlocal
        return x * k
    return refuses_nonlocal


def refuses_lambda(x):
    g = lambda t: t * t  # <- lambda  # noqa: E731
    return x


def refuses_del(x):
    y = x * 2
    del y  # <- del
    return x


def refuses_attribute_write(x, obj):
    obj.attr = x  # <- attribute
    return x


def refuses_subscript_write(x, arr):
    arr[0] = x  # <- subscript
    return x


def refuses_no_rule(x):
    return x * math.gamma(x)  # <- no-rule


def refuses_star_parameters(*args):  # <- star-args
    return args[0]


def refuses_unknown_name(x):
    return x + undefined_name  # <- unknown-name  # noqa: F821


def refuses_print(x):
    print(x)  # <- print
    return x


def refuses_string(x):
    y = x + "abc"  # <- string
    return y


def refuses_eval(x):
    return eval("x * x")  # <- eval


def refuses_import(x):
    import cmath  # <- import
    return x


@dataclass(frozen=True)
class Refusal:
    """`function` must be refused with `error` at `construct` on the line
    marked `marker`; the message contains every one of `words`."""

    function: object
    marker: str
    construct: str
    error: type
    words: tuple[str, ...] = ()
    # False for compound statements (try, with): the caret marks only their
    # start, since they span several lines.
    caret_covers_construct: bool = field(default=True)

    def __repr__(self) -> str:
        return self.marker


REFUSALS = [
    Refusal(refuses_try, "try", "try", UnsupportedSyntaxError, ("try",), False),
    Refusal(refuses_with, "with", "with", UnsupportedSyntaxError, ("with",), False),
    Refusal(refuses_yield, "yield", "yield x", UnsupportedSyntaxError, ("yield",)),
    Refusal(refuses_global, "global", "global G", UnsupportedSyntaxError, ("global",)),
    Refusal(make_refuses_nonlocal(), "nonlocal", "nonlocal k", UnsupportedSyntaxError, ("nonlocal",)),
    Refusal(refuses_lambda, "lambda", "lambda t: t * t", UnsupportedSyntaxError, ("lambda",)),
    Refusal(refuses_del, "del", "del y", UnsupportedSyntaxError, ("del",)),
    Refusal(refuses_attribute_write, "attribute", "obj.attr", UnsupportedSyntaxError, ("attribute",)),
    Refusal(refuses_subscript_write, "subscript", "arr[0]", UnsupportedSyntaxError, ("subscript",)),
    Refusal(refuses_no_rule, "no-rule", "math.gamma", NoDerivativeRuleError,
            ("math.gamma", "@srcgrad.primitive", ".derivative")),
    Refusal(refuses_star_parameters, "star-args", "args", UnsupportedSyntaxError, ("*args",)),
    Refusal(refuses_unknown_name, "unknown-name", "undefined_name", UnsupportedSyntaxError,
            ("undefined_name", "not defined")),
    Refusal(refuses_print, "print", "print(x)", UnsupportedSyntaxError, ("print",)),
    Refusal(refuses_string, "string", '"abc"', UnsupportedSyntaxError, ("'abc'", "not a number")),
    Refusal(refuses_eval, "eval", "eval", SrcGradError, ("eval",)),
    Refusal(refuses_import, "import", "import cmath", UnsupportedSyntaxError, ("import",)),
]


def marked_line(marker: str) -> tuple[int, str]:
    """(1-based line number, text) of the one line of this file marked `marker`."""
    hits = [(i + 1, line) for i, line in enumerate(LINES) if line.split("  # ")[1:2] == [f"<- {marker}"]]
    assert len(hits) == 1, f"marker {marker!r} found {len(hits)} times"
    return hits[0]


def assert_on_marked_line(error: SrcGradError, marker: str, below: int = 0) -> None:
    """The error names this file and the line `below` lines under `marker`
    (for refusals whose column is not pinned down)."""
    lineno, _ = marked_line(marker)
    assert (error.filename, error.lineno) == (THIS_FILE, lineno + below), str(error)


def refusal(function) -> SrcGradError:
    with pytest.raises(SrcGradError) as info:
        grad(function)
    return info.value


def assert_points_at(error: SrcGradError, marker: str, construct: str, caret_covers_construct: bool = True):
    lineno, line = marked_line(marker)
    col = line.index(construct)
    assert (error.filename, error.lineno, error.col_offset) == (THIS_FILE, lineno, col), str(error)
    # the message quotes the line (stripped) and puts a caret under the construct
    rendered = str(error).splitlines()
    quoted = "    " + line.strip()
    assert quoted in rendered, f"source line not quoted in:\n{error}"
    caret_line = rendered[rendered.index(quoted) + 1]
    indent = len(line) - len(line.lstrip())
    caret_start = 4 + col - indent
    assert caret_line[:caret_start].strip() == "" and caret_line[caret_start] == "^", f"caret misplaced:\n{error}"
    if caret_covers_construct:
        assert caret_line[caret_start:] == "^" * len(construct), f"caret does not cover {construct!r}:\n{error}"


@pytest.mark.parametrize("case", REFUSALS, ids=repr)
def test_refusal_points_at_offending_code(case: Refusal):
    error = refusal(case.function)
    assert isinstance(error, case.error)
    assert_points_at(error, case.marker, case.construct, case.caret_covers_construct)
    for word in case.words:
        assert word in error.message, f"{word!r} not in message: {error.message}"


def test_refusal_happens_before_the_function_runs(capsys):
    refusal(refuses_print)
    assert capsys.readouterr().out == ""


def test_decorator_refuses_at_definition():
    with pytest.raises(UnsupportedSyntaxError):
        @grad
        def refused_by_decorator(x):
            del x
            return 1.0


def test_yield_statement_is_refused_as_generator():
    error = refusal(refuses_yield_statement)
    assert_points_at(error, "yield-statement", "yield x")
    assert "generator" in error.message


def test_function_made_by_exec_has_no_source():
    namespace: dict = {}
    exec("def made_by_exec(x):\n    return x * x\n", namespace)
    error = refusal(namespace["made_by_exec"])
    assert isinstance(error, SourceNotFoundError)
    assert error.filename == "<string>"
    assert "exec" in error.message and "made_by_exec" in error.message


square_lambda = lambda x: x * x  # <- lambda-argument  # noqa: E731


def test_lambda_passed_to_grad_is_refused_with_its_line():
    error = refusal(square_lambda)
    assert isinstance(error, UnsupportedSyntaxError)
    assert_on_marked_line(error, "lambda-argument")
    assert "lambda" in error.message and "def" in error.message


def test_lambda_passed_to_grad_points_at_lambda():
    assert_points_at(refusal(square_lambda), "lambda-argument", "lambda x: x * x")


# --- user primitives -----------------------------------------------------------

@srcgrad.primitive
def has_no_rule(x):
    return 2.0 * x


def calls_primitive_without_rule(x):
    y = x + 1.0
    return 3.0 * has_no_rule(y)  # <- primitive-without-rule


def test_primitive_without_rule_is_refused_with_its_line():
    error = refusal(calls_primitive_without_rule)
    assert isinstance(error, NoDerivativeRuleError)
    assert_on_marked_line(error, "primitive-without-rule")
    assert "has_no_rule" in error.message and "has_no_rule.derivative" in error.message


def test_primitive_without_rule_points_at_the_call():
    assert_points_at(refusal(calls_primitive_without_rule), "primitive-without-rule", "has_no_rule(y)")


def test_primitive_without_rule_is_fine_where_not_differentiated():
    def uses_it_on_a_constant(x):
        return x * has_no_rule(2.0)
    # a nested def is read like any other function; the primitive's argument
    # is constant, so no derivative of it is needed
    assert grad(uses_it_on_a_constant)(1.5) == 4.0


@srcgrad.primitive
def two_arguments(x, y):
    return x * y


@two_arguments.derivative  # <- wrong-arity
def _(x, y):
    return y


def calls_wrong_arity(x):
    return two_arguments(x, 2.0)


def test_derivative_with_wrong_number_of_partials_is_refused_with_its_line():
    error = refusal(calls_wrong_arity)
    assert "two_arguments" in error.message and "2 partial derivative" in error.message
    assert_on_marked_line(error, "wrong-arity", below=1)   # the 'def' under the decorator
