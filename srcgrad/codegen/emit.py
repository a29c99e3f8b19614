"""Generated source text and the compiled function.

`emit_module` prints a function's IR as a standalone Python module (imports
first, then the function), with astor; `compile_module` compiles it under a
file name registered with `linecache` and backed by a loader in the module's
globals, so `inspect.getsource`, tracebacks and pdb all show the generated
code, even after `linecache.clearcache()`.
"""
from __future__ import annotations

import linecache
import re
from dataclasses import dataclass
from typing import Any

import astor

from ..ir.core import Function
from . import control  # noqa: F401  (statements for structured primitives)
from .naming import Namer
from .pyast import COMMENT_MARKER, CodegenContext, function_def

_MARKER = re.compile(r"^(\s*)" + COMMENT_MARKER.format(r"(\d+)") + r"\s*$")


@dataclass(frozen=True)
class GeneratedModule:
    name: str               # the function's name in the module
    source: str             # the whole module, imports included
    globals: dict[str, Any]  # objects the module needs besides its imports (user primitives)
    imports: tuple[str, ...]


def emit_module(fn: Function, docstring: str | None = None) -> GeneratedModule:
    reserved = {fn.name} | set(fn.param_names)
    ctx = CodegenContext(namer=Namer(reserved))
    _reserve_globals(fn, ctx)
    node = function_def(fn, ctx, docstring)
    text = astor.to_source(node)
    lines = []
    for line in text.splitlines():
        match = _MARKER.match(line)
        lines.append(f"{match.group(1)}# {ctx.comments[int(match.group(2))]}" if match else line)
    imports = tuple(sorted(ctx.imports))
    header = "".join(f"import {m}\n" for m in imports)
    source = (header + "\n\n" if header else "") + "\n".join(lines) + "\n"
    return GeneratedModule(fn.name, source, dict(ctx.globals), imports)


def _reserve_globals(fn: Function, ctx: CodegenContext) -> None:
    """Module names and user-primitive names must not be shadowed by locals."""
    for eqn in fn.body.walk():
        ctx.namer.taken |= set(eqn.prim.imports)
        ctx.namer.taken |= {name for name, _ in eqn.prim.globals}
        names = eqn.prim.hooks.get("global_names")
        if names is not None:
            ctx.namer.taken |= set(names(eqn))


class _SourceLoader:
    """Answers linecache's lazy look-up with the generated source."""

    def __init__(self, source: str) -> None:
        self._source = source

    def get_source(self, name: str) -> str:
        return self._source


def compile_module(module: GeneratedModule, origin: str) -> Any:
    """Compile and return the generated function.  `origin` says where the
    user's function lives; it becomes part of the generated file name."""
    filename = f"srcgrad-generated/{module.name}@{origin}.py"
    linecache.cache[filename] = (len(module.source), None, module.source.splitlines(True), filename)
    namespace: dict[str, Any] = {
        "__name__": f"srcgrad_generated_{module.name}",
        "__loader__": _SourceLoader(module.source),
        "__file__": filename,
    }
    namespace.update(module.globals)
    code = compile(module.source, filename, "exec")
    exec(code, namespace)
    return namespace[module.name]
