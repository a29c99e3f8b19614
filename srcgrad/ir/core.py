"""The SSA intermediate representation: values, equations, regions, functions.

Invariants (checked by `srcgrad.ir.verify_ir`):

* A `Var` is defined exactly once: as a parameter of a `Region` or as an output
  of one `Eqn`.  Vars compare by identity.
* An `Eqn` applies one primitive to atoms (`Var` or `Const`) and defines its
  `outs`.  Control flow is *structured*: an equation may carry regions in its
  params (a conditional has two, a loop one), and values flow in and out of a
  region only through its parameters and results, never implicitly.
* A `Region` is a straight-line list of equations; its results are atoms
  visible inside it.
* Everything is immutable; passes build new IR.

Value kinds are `real` (differentiable), `int` and `bool` (piecewise constant:
never carry derivatives).  The kind of a value is a static over-approximation:
a `real` may hold a Python int at run time.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence, Union

if TYPE_CHECKING:
    from ..errors import SourceLocation
    from ..primitives.core import Primitive

REAL = "real"
INT = "int"
BOOL = "bool"
KINDS = (REAL, INT, BOOL)

_ids = itertools.count(1)


@dataclass(frozen=True, eq=False)
class Var:
    """An SSA value.  `hint` is the user's name for it ('' for temporaries)."""

    hint: str = ""
    kind: str = REAL
    id: int = field(default_factory=lambda: next(_ids))

    def __repr__(self) -> str:
        return f"%{self.hint or 't'}{self.id}"

    @property
    def differentiable(self) -> bool:
        return self.kind == REAL


@dataclass(frozen=True)
class Const:
    """A literal constant: int, float or bool."""

    value: Any

    @property
    def kind(self) -> str:
        if isinstance(self.value, bool):
            return BOOL
        if isinstance(self.value, int):
            return INT
        return REAL

    @property
    def differentiable(self) -> bool:
        return False

    def __repr__(self) -> str:
        return repr(self.value)


Atom = Union[Var, Const]


@dataclass(frozen=True, eq=False)
class Eqn:
    """`outs = prim(*args; **params)`, attributed to a line of user source."""

    prim: "Primitive"
    args: tuple[Atom, ...]
    outs: tuple[Var, ...]
    params: tuple[tuple[str, Any], ...] = ()
    loc: "SourceLocation | None" = None
    # "" for primal code; "backward" / "tangent" for derivative code of `loc`'s
    # statement (codegen heads each such block with a comment quoting it).
    role: str = ""

    def param(self, name: str, default: Any = None) -> Any:
        for key, value in self.params:
            if key == name:
                return value
        return default

    @property
    def regions(self) -> tuple["Region", ...]:
        return tuple(v for _, v in self.params if isinstance(v, Region))

    def replace(self, **changes: Any) -> "Eqn":
        data = dict(prim=self.prim, args=self.args, outs=self.outs, params=self.params, loc=self.loc,
                    role=self.role)
        data.update(changes)
        return Eqn(**data)


@dataclass(frozen=True, eq=False)
class Region:
    """A straight-line block with explicit inputs (`params`) and `results`."""

    params: tuple[Var, ...]
    eqns: tuple[Eqn, ...]
    results: tuple[Atom, ...]

    def walk(self) -> Iterator[Eqn]:
        """Every equation, nested regions included, in program order."""
        for eqn in self.eqns:
            yield eqn
            for region in eqn.regions:
                yield from region.walk()


@dataclass(frozen=True, eq=False)
class Function:
    """A whole function: positional parameters, a body, where it came from.

    `param_names` are the Python parameter names (the generated function keeps
    them, with `defaults`, so keyword calls and defaults work unchanged).
    `origin` is the user's function object the IR was lowered from, if any.
    """

    name: str
    param_names: tuple[str, ...]
    body: Region
    defaults: tuple[Any, ...] = ()
    filename: str = "<srcgrad>"
    doc: str | None = None
    origin: Any = None
    # How the flat results are returned: None returns one result bare or
    # several as a tuple; otherwise a nested tuple of result indices, e.g.
    # (0, (1, 2)) for value_and_grad's ``value, (dx, dy)``.
    out_tree: Any = None
    # How callers pass the flat parameters: None for one Python parameter
    # each; otherwise ((group_name, count), ...), e.g. jvp's
    # (("primals", 2), ("tangents", 2)), unpacked at the top of the function.
    in_groups: Any = None
    # Whether the function fails where the user's function does: unused
    # primal work that may raise is kept (value_and_grad, jvp).  Transforms
    # returning derivatives only (grad, jacobian, hessian) evaluate just what
    # the derivative needs, as JAX does: ``grad(math.log)(-1.0)`` is -1.0.
    primal_errors: bool = True

    @property
    def params(self) -> tuple[Var, ...]:
        return self.body.params

    def with_body(self, body: Region, **changes: Any) -> "Function":
        data = dict(name=self.name, param_names=self.param_names, body=body,
                    defaults=self.defaults, filename=self.filename, doc=self.doc, origin=self.origin,
                    out_tree=self.out_tree, in_groups=self.in_groups, primal_errors=self.primal_errors)
        data.update(changes)
        return Function(**data)


def arrange_results(tree: Any, results: Sequence[Any], pack: Callable[[list], Any] = tuple) -> Any:
    """`results` (flat, one per region result) in the shape `tree` gives
    them (see `Function.out_tree`), tuples built by `pack`."""
    if tree is None:
        return results[0] if len(results) == 1 else pack(list(results))
    if isinstance(tree, int):
        return results[tree]
    return pack([arrange_results(t, results, pack) for t in tree])
