"""Code generation at scale: the text check and comment markers (issue 10).

The generated text is checked to parse to exactly the tree it was printed
from (`emit.check_text`); comment markers are found by scanning lines, and by
parsing only if that check fails.  These tests pin both paths and the
check's independence from Python's recursion limit.
"""
from __future__ import annotations

import ast
import sys

import pytest

from srcgrad.codegen import emit
from srcgrad.codegen.pyast import COMMENT_MARKER

MARKER = COMMENT_MARKER.format(0)


def deep_sum(depth: int) -> ast.Module:
    expr: ast.expr = ast.Name(id="x", ctx=ast.Load())
    for _ in range(depth):
        expr = ast.BinOp(left=expr, op=ast.Add(), right=ast.Constant(1.0))
    return ast.Module(body=[ast.Expr(value=expr)], type_ignores=[])


def test_tree_comparison_does_not_recurse_on_depth() -> None:
    depth = 5 * sys.getrecursionlimit()
    a, b = deep_sum(depth), deep_sum(depth)
    assert emit._first_difference(a, b, lambda node: False) is None
    node = b.body[0].value
    for _ in range(depth // 2):
        node = node.left
    node.op = ast.Sub()
    found = emit._first_difference(a, b, lambda node: False)
    assert found is not None and found.endswith(".op: Add != Sub")
    assert found.startswith("module.body[0].value" + ".left" * (depth // 2))


def test_check_text_names_the_first_difference() -> None:
    tree = ast.parse("def f(x):\n    y = x * 2.0\n    return y + 1\n")
    emit.check_text("def f(x):\n    y = x * 2.0\n    return y + 1\n", tree)
    with pytest.raises(emit.GeneratedTextError, match=r"module\.body\[0\]\.body\[1\]\.value\.op: Sub != Add"):
        emit.check_text("def f(x):\n    y = x * 2.0\n    return y - 1\n", tree)
    with pytest.raises(emit.GeneratedTextError, match="3 != 2 items"):
        emit.check_text("def f(x):\n    y = x * 2.0\n    return y + 1\n    pass\n", tree)


def test_a_marker_inside_a_string_is_found_only_by_parsing() -> None:
    text = f'def f():\n    """\n{MARKER}\n"""\n    {MARKER}\n'
    assert list(emit._marker_lines(text)) == [(3, 0), (5, 0)]
    assert list(emit._marker_statements(text)) == [(5, 0)]
    tree = ast.parse(text)
    skip = emit._is_marker_stmt
    fast = emit._with_comments(text, ["a comment"], emit._marker_lines(text))
    # the fast path changed the string: the check catches it, so emit parses instead
    with pytest.raises(emit.GeneratedTextError):
        emit.check_text(fast, tree, skip=skip)
    exact = emit._with_comments(text, ["a comment"], emit._marker_statements(text))
    emit.check_text(exact, tree, skip=skip)
    assert f"\n{MARKER}\n" in exact and "    # a comment\n" in exact


def test_comments_of_a_large_generated_function_are_all_placed() -> None:
    from benchmarks import scale_programs
    import srcgrad
    module = scale_programs.load(scale_programs.straight_line(2000), "codegen_comments")
    df = srcgrad.grad(module.f, argnums=(0, 1, 2, 3))
    assert "__srcgrad_comment" not in df.source
    assert df.source.count("# backward of line") >= 100
    x = (0.3, -0.2, 0.7, 1.1)
    h = 1e-6
    fd = (module.f(x[0] + h, *x[1:]) - module.f(x[0] - h, *x[1:])) / (2 * h)
    assert df(*x)[0] == pytest.approx(fd, rel=1e-5, abs=1e-8)
