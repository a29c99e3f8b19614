"""`verify_ir` rejects each broken invariant and accepts well-formed IR.

The other test modules run `verify_ir` on every IR srcgrad generates; these
tests make sure it would notice: each builds a small function by hand with
one invariant broken.
"""
from __future__ import annotations

import pytest

from srcgrad.ir import Const, Eqn, Function, Region, Var, verify_ir
from srcgrad.primitives import REGISTRY

MUL, SIN, COND = REGISTRY["mul"], REGISTRY["sin"], REGISTRY["cond"]


def function(params: tuple[Var, ...], eqns: list[Eqn], results: tuple) -> Function:
    return Function(name="f", param_names=tuple(p.hint for p in params), body=Region(params, tuple(eqns), results))


def nested(region: Region, *args) -> Eqn:
    """A conditional whose two branches are `region` and a copy of it, on a
    constant predicate, passing `args` to them."""
    other = Region(tuple(Var(p.hint, p.kind) for p in region.params), (), tuple(Const(0.0) for _ in region.results))
    return Eqn(COND, (Const(True),) + tuple(args), (Var("out"),), params=(("then", region), ("else", other)))


def test_accepts_well_formed_function_with_nested_region():
    x, y = Var("x"), Var("y")
    inner_x, s = Var("x"), Var("s")
    inner = Region((inner_x,), (Eqn(SIN, (inner_x,), (s,)),), (s,))
    z = Var("z")
    eqns = [Eqn(MUL, (x, Const(2.0)), (z,)), nested(inner, z)]
    verify_ir(function((x, y), eqns, (eqns[1].outs[0],)))


def test_rejects_var_defined_twice():
    x, z = Var("x"), Var("z")
    eqns = [Eqn(MUL, (x, x), (z,)), Eqn(SIN, (x,), (z,))]
    with pytest.raises(AssertionError, match="defined twice"):
        verify_ir(function((x,), eqns, (z,)))


def test_rejects_use_before_definition():
    x, z, w = Var("x"), Var("z"), Var("w")
    eqns = [Eqn(MUL, (x, w), (z,)), Eqn(SIN, (x,), (w,))]
    with pytest.raises(AssertionError, match="not defined before"):
        verify_ir(function((x,), eqns, (z,)))


def test_rejects_undefined_result():
    x = Var("x")
    with pytest.raises(AssertionError, match="result of body"):
        verify_ir(function((x,), [], (Var("ghost"),)))


def test_rejects_region_reading_enclosing_value():
    x, p = Var("x"), Var("p")
    leak = Var("leak")
    inner = Region((p,), (Eqn(MUL, (p, x), (leak,)),), (leak,))   # reads x, not a parameter
    with pytest.raises(AssertionError, match="outside this region"):
        verify_ir(function((x,), [nested(inner, x)], (x,)))


def test_rejects_region_reading_its_own_equation_output():
    x, p = Var("x"), Var("p")
    eqn = nested(Region((p,), (), (p,)), x)
    out = eqn.outs[0]
    looped = eqn.replace(params=(("then", Region((p,), (Eqn(SIN, (out,), (Var("s"),)),), (p,))),))
    with pytest.raises(AssertionError, match="outside this region|not defined before"):
        verify_ir(function((x,), [looped], (out,)))


def test_rejects_wrong_arity():
    x, z = Var("x"), Var("z")
    with pytest.raises(AssertionError, match="takes 2"):
        verify_ir(function((x,), [Eqn(MUL, (x,), (z,))], (z,)))


def test_rejects_unknown_kind():
    x, z = Var("x"), Var("z", kind="complex")
    with pytest.raises(AssertionError, match="unknown kind"):
        verify_ir(function((x,), [Eqn(SIN, (x,), (z,))], (z,)))


def test_rejects_non_numeric_constant():
    x, z = Var("x"), Var("z")
    with pytest.raises(AssertionError, match="not a number"):
        verify_ir(function((x,), [Eqn(MUL, (x, Const("2")), (z,))], (z,)))


def test_rejects_parameter_name_count_mismatch():
    x = Var("x")
    broken = Function(name="f", param_names=("x", "y"), body=Region((x,), (), (x,)))
    with pytest.raises(AssertionError, match="parameter names"):
        verify_ir(broken)


def test_rejects_conditional_whose_branch_takes_the_wrong_number_of_values():
    x, p, q = Var("x"), Var("p"), Var("q")
    branch = Region((p, q), (), (p,))
    other = Region((Var("r"),), (), (Const(0.0),))
    eqn = Eqn(COND, (Const(True), x), (Var("out"),), params=(("then", branch), ("else", other)))
    with pytest.raises(AssertionError, match="region 'then' takes 2"):
        verify_ir(function((x,), [eqn], (eqn.outs[0],)))


def test_rejects_loop_body_of_the_wrong_shape():
    loop = REGISTRY["for_range"]
    x, i, s, extra = Var("x"), Var("i", "int"), Var("s"), Var("e")
    body = Region((i, s, extra), (), (s,))       # one state value, no free value, but three params
    eqn = Eqn(loop, (Const(0), Const(3), Const(1), x), (Var("out"),),
              params=(("body", body), ("n_state", 1), ("has_exit", False)))
    with pytest.raises(AssertionError, match="the body takes 3"):
        verify_ir(function((x,), [eqn], (eqn.outs[0],)))


def test_rejects_out_tree_that_misses_a_result():
    x = Var("x")
    fn = function((x,), [], (x, x)).with_body(Region((x,), (), (x, x)), out_tree=(0, 0))
    with pytest.raises(AssertionError, match="out_tree"):
        verify_ir(fn)
