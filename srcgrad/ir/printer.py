"""The one text format for IR at every stage (``df.ir``).

In the spirit of JAX's jaxpr: one equation a line, the user's names kept,
temporaries numbered, constants inline, nested regions indented::

    def f(x, y):
      z = mul x y                     # line 3
      t1 = log z                      # line 4
      t2 = exp z
      t3 = add t1 t2
      return t3
"""
from __future__ import annotations

from typing import Any

from .core import Atom, Const, Eqn, Function, Region, Var


class _Names:
    def __init__(self) -> None:
        self.names: dict[Var, str] = {}
        self.used: set[str] = set()
        self.temps = 0
        self.suffix: dict[str, int] = {}     # hint -> the last suffix tried (naming stays O(1))

    def __call__(self, var: Var) -> str:
        name = self.names.get(var)
        if name is None:
            if var.hint:
                name, n = var.hint, self.suffix.get(var.hint, 0)
                if n:
                    name = f"{var.hint}_{n}"
                while name in self.used:
                    n += 1
                    name = f"{var.hint}_{n}"
                self.suffix[var.hint] = n
            else:
                self.temps += 1
                name = f"t{self.temps}"
                while name in self.used:
                    self.temps += 1
                    name = f"t{self.temps}"
            self.names[var] = name
            self.used.add(name)
        return name


def format_atom(names: _Names, atom: Atom) -> str:
    return repr(atom.value) if isinstance(atom, Const) else names(atom)


def _eqn_lines(names: _Names, eqn: Eqn, indent: str, last_line: list[Any]) -> list[str]:
    outs = ", ".join(names(o) + _kind_suffix(o) for o in eqn.outs)
    args = " ".join(format_atom(names, a) for a in eqn.args)
    extra = " ".join(f"{k}={v}" for k, v in eqn.params if not isinstance(v, Region))
    text = f"{indent}{outs} = {eqn.prim.name} {args}{(' ' + extra) if extra else ''}".rstrip()
    where = eqn.loc.lineno if eqn.loc is not None else None
    if where is not None and (where, eqn.role) != last_line[0]:
        text = f"{text:<40}  # {eqn.role + ' of ' if eqn.role else ''}line {where}"
        last_line[0] = (where, eqn.role)
    lines = [text]
    for key, value in eqn.params:
        if isinstance(value, Region):
            lines.extend(_region_lines(names, value, indent + "  ", key))
    return lines


def _kind_suffix(var: Var) -> str:
    return "" if var.kind == "real" else f":{var.kind}"


def _region_lines(names: _Names, region: Region, indent: str, label: str) -> list[str]:
    params = ", ".join(names(p) for p in region.params)
    lines = [f"{indent}{label}({params}):"]
    last: list[Any] = [None]
    for eqn in region.eqns:
        lines.extend(_eqn_lines(names, eqn, indent + "  ", last))
    results = ", ".join(format_atom(names, r) for r in region.results)
    lines.append(f"{indent}  yield {results}")
    return lines


def format_function(fn: Function) -> str:
    names = _Names()
    for p, n in zip(fn.params, fn.param_names):
        names.names[p] = n
        names.used.add(n)
    lines = [f"def {fn.name}({', '.join(fn.param_names)}):"]
    last: list[Any] = [None]
    for eqn in fn.body.eqns:
        lines.extend(_eqn_lines(names, eqn, "  ", last))
    lines.append("  return " + ", ".join(format_atom(names, r) for r in fn.body.results))
    return "\n".join(lines)
