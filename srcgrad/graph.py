"""`srcgrad graph`: the computation graph and its backward graph as box diagrams.

The pictures of autodiff course material, written as Graphviz DOT by this
module (no graphviz Python package needed):

* the *computation graph* (the primal IR): inputs as ovals, one box per
  primitive labelled with the Python it runs (``z = x * y``), arrows carrying
  values left to right, the result at the right;
* the *backward graph* (the derivative equations of the gradient's IR): one
  box per derivative equation, arrows running right to left as in the course
  diagrams (the chain rule multiplies from the output back to the inputs),
  the forward values it reads (``ctx.saved_values``) as grey ovals, and the
  partial derivatives as outputs at the left.

Equations carrying regions (structured control flow) get a box of their own
and their regions are drawn as nested clusters.  `render` turns DOT into SVG
or PNG by running Graphviz's ``dot`` program when it is installed.
"""
from __future__ import annotations

import ast
import os
import shutil
import subprocess
from typing import Any

from .codegen.naming import Namer
from .ir.core import Atom, Const, Eqn, Function, Region, Var
from .transform import Transformed

FORWARD_BOX = 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"'
BACKWARD_BOX = 'shape=box, style="rounded,filled", fillcolor="#fbe3d3"'
VALUE = 'shape=ellipse, style=filled, fillcolor="#ffffff"'
SAVED = 'shape=ellipse, style="filled,dashed", fillcolor="#eeeeee", fontcolor="#555555"'
OUTPUT = 'shape=ellipse, style="filled,bold", fillcolor="#e3f4dc"'
RENDERED = ("svg", "png", "pdf")


class RenderError(Exception):
    """The DOT could not be rendered (no ``dot`` program, or it failed)."""


def graph_dot(derivative: Transformed) -> str:
    """DOT text with the primal computation graph of the user's function and
    the backward graph of `derivative` (a `grad` or `value_and_grad`)."""
    primal, backward = derivative.primal_ir, derivative.fn_ir
    out = _Dot()
    out.line(f"digraph {_quote(primal.name)} {{")
    out.line('  rankdir=LR; compound=true; newrank=true;')
    out.line('  node [fontname="Helvetica", fontsize=11]; edge [fontname="Helvetica", fontsize=9];')
    out.line(f'  labelloc=t; label={_quote(f"{primal.name}: computation graph and backward graph")};')
    _Drawer(out, "f", reverse=False).function(primal, "computation graph")
    _Drawer(out, "b", reverse=True).function(backward, "backward graph")
    out.line("}")
    return out.text()


class _Dot:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, text: str) -> None:
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


class _Drawer:
    """Draws one function as a cluster.  With `reverse`, only derivative
    equations (role != "") are drawn as boxes and arrows point right to left;
    the primal values they read become grey 'saved' ovals."""

    def __init__(self, out: _Dot, prefix: str, reverse: bool) -> None:
        self.out = out
        self.prefix = prefix
        self.reverse = reverse
        self.nodes: dict[Var, str] = {}       # var -> node id drawing (or defining) it
        self.count = 0
        self.namer: Namer | None = None
        self.defined_by: dict[Var, Eqn] = {}
        self.region_params: dict[Var, str] = {}   # region parameter -> indent, until first used

    def new_id(self) -> str:
        self.count += 1
        return f"{self.prefix}{self.count}"

    def node(self, label: str, style: str, indent: str) -> str:
        node_id = self.new_id()
        self.out.line(f"{indent}{node_id} [label={_quote(label)}, {style}];")
        return node_id

    def edge(self, src: str, dst: str, indent: str) -> None:
        if self.reverse:  # laid out right to left: written backwards, the arrow drawn back
            self.out.line(f"{indent}{dst} -> {src} [dir=back];")
        else:
            self.out.line(f"{indent}{src} -> {dst};")

    def name(self, atom: Atom) -> str:
        if isinstance(atom, Const):
            return repr(atom.value)
        assert self.namer is not None
        return self.namer.name(atom, "t")

    def function(self, fn: Function, title: str) -> None:
        self.namer = Namer({fn.name} | set(fn.param_names))
        self.defined_by = {out: eqn for eqn in fn.body.walk() for out in eqn.outs}
        for var, pname in zip(fn.params, fn.param_names):
            self.namer.fix(var, pname)
        indent = "    "
        self.out.line(f"  subgraph cluster_{self.prefix} {{")
        signature = f"{fn.name}({', '.join(fn.param_names)})"
        self.out.line(f"{indent}label={_quote(f'{title}: {signature}')};")
        self.out.line(f'{indent}style="rounded"; color="#999999";')
        if not self.reverse:
            for var in fn.params:
                self.nodes[var] = self.node(self.name(var), VALUE, indent)
        self.region(fn.body, indent)
        results = self.result_labels(fn)
        for atom, label in zip(fn.body.results, results):
            target = self.node(label, OUTPUT, indent)
            source = self.source_of(atom, indent)
            if source is not None:
                self.edge(source, target, indent)
        self.out.line("  }")

    def result_labels(self, fn: Function) -> list[str]:
        names = [self.name(r) for r in fn.body.results]
        if not self.reverse:
            return [f"{fn.name}({', '.join(fn.param_names)}) = {names[0]}"] if len(names) == 1 else names
        return [f"{n}" if isinstance(r, Var) else f"= {n}" for r, n in zip(fn.body.results, names)]

    def source_of(self, atom: Atom, indent: str) -> str | None:
        """The node an arrow carrying `atom` starts at (None for a constant)."""
        if isinstance(atom, Const):
            return None
        found = self.nodes.get(atom)
        if found is None and atom in self.region_params:  # drawn when first used
            found = self.nodes[atom] = self.node(self.name(atom), VALUE, self.region_params.pop(atom))
        if found is None:  # a primal value read by the backward graph
            eqn = self.defined_by.get(atom)
            label = self.name(atom) if eqn is None else f"{self.name(atom)} = {_expression(eqn, self.name)}"
            found = self.node(label, SAVED, indent)
            self.nodes[atom] = found
        return found

    def region(self, region: Region, indent: str) -> None:
        for eqn in region.eqns:
            if self.reverse and not eqn.role:
                continue  # primal work (and forward sweeps) in the gradient: shown as saved values
            self.equation(eqn, indent)

    def equation(self, eqn: Eqn, indent: str) -> None:
        outs = ", ".join(self.name(o) for o in eqn.outs)
        label = f"{outs} = {_expression(eqn, self.name)}" if outs else _expression(eqn, self.name)
        box = self.node(label, BACKWARD_BOX if eqn.role else FORWARD_BOX, indent)
        for out in eqn.outs:
            self.nodes[out] = box
        for arg in dict.fromkeys(a for a in eqn.args if isinstance(a, Var)):
            source = self.source_of(arg, indent)
            if source is not None:
                self.edge(source, box, indent)
        for key, sub in ((k, v) for k, v in eqn.params if isinstance(v, Region)):
            self.nested(box, key, sub, indent)

    def nested(self, owner: str, key: str, region: Region, indent: str) -> None:
        inner = indent + "  "
        self.out.line(f"{indent}subgraph cluster_{owner}_{key} {{")
        self.out.line(f'{inner}label={_quote(key)}; style="dashed"; color="#999999";')
        for var in region.params:
            self.region_params[var] = inner
        self.region(region, inner)
        yielded = self.node("yield " + ", ".join(self.name(r) for r in region.results), OUTPUT, inner)
        for atom in region.results:
            source = self.source_of(atom, inner)
            if source is not None:
                self.edge(source, yielded, inner)
        self.out.line(f"{indent}}}")
        self.out.line(f'{indent}{yielded} -> {owner} [style=dotted, arrowhead=none];')


def _expression(eqn: Eqn, name: Any) -> str:
    """The Python an equation runs (``x * y``), or ``prim(args)`` for one that
    does not print as an expression."""
    args = [ast.Name(id=name(a), ctx=ast.Load()) for a in eqn.args]
    if not eqn.regions:
        try:
            return ast.unparse(eqn.prim.emit(*args))
        except Exception:  # noqa: BLE001 - any primitive that cannot print inline
            pass
    return f"{eqn.prim.name}({', '.join(a.id for a in args)})"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot_program() -> str | None:
    return shutil.which("dot")


def render(dot_path: str, out_path: str) -> None:
    """Render the DOT file `dot_path` to `out_path` (format from its suffix)
    with Graphviz's ``dot``; `RenderError` if it is missing or fails."""
    fmt = os.path.splitext(out_path)[1].lstrip(".").lower()
    program = dot_program()
    if program is None:
        raise RenderError(
            f"the Graphviz 'dot' program is not installed, so {out_path} was not drawn; "
            f"the graph is in {dot_path}. Install Graphviz (e.g. 'apt-get install graphviz' or "
            f"'brew install graphviz') or render it yourself: dot -T{fmt} {dot_path} -o {out_path}")
    done = subprocess.run([program, f"-T{fmt}", dot_path, "-o", out_path], capture_output=True, text=True)
    if done.returncode != 0:
        raise RenderError(f"dot failed to render {dot_path} (exit status {done.returncode}): "
                          f"{done.stderr.strip()}")
