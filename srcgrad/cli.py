"""The ``srcgrad`` command (also ``python -m srcgrad``): argument parsing and dispatch.

::

    srcgrad show   FILE.py:FUNC [--argnums 0,1] [--transform grad]   generated source
    srcgrad ir     FILE.py:FUNC [--argnums ...]                      primal and derivative IR
    srcgrad verify FILE.py:FUNC [--argnums ...]                      check against sympy
    srcgrad export -o OUT.py FILE.py:FUNC [FUNC ...]                 standalone module
    srcgrad graph  -o OUT.{dot,svg,png} FILE.py:FUNC                 box diagrams (Graphviz)

A target is ``FILE.py:FUNC`` or ``module:func`` (`srcgrad.targets`).  Exit
status: 0 done, 1 ``verify`` found a mismatch, 3 ``verify`` could not check,
2 an error -- srcgrad refusing the code (printed like Python's SyntaxError:
file, line, caret), a target not found or failing to import, bad options, an
output path that cannot be written or is one of the inputs, or ``graph``
unable to render for want of Graphviz.  Every error is a message on stderr,
never a traceback.  Output files are checked before any work is done.
The work itself lives in `srcgrad.export`, `srcgrad.graph` and the API.
"""
from __future__ import annotations

import argparse
import inspect
import os
import sys
from typing import Any, Callable, Sequence

from . import __version__, api
from .errors import SrcGradError
from .primitives.user import UserPrimitive
from .targets import Target, TargetError, load_target, load_targets, parse_argnums
from .transform import Transformed

TRANSFORMS = ("grad", "value_and_grad", "jacobian", "hessian")
EXIT_OK, EXIT_MISMATCH, EXIT_ERROR, EXIT_UNCHECKED = 0, 1, 2, 3


class CommandError(Exception):
    """A problem to report in one line and exit with status 2."""


# --- the commands ---------------------------------------------------------------

def cmd_show(args: argparse.Namespace) -> int:
    fn = transformed(load_target(args.target), args.transform, args.argnums)
    _write(highlight(fn.source, args.color))
    return EXIT_OK


def cmd_ir(args: argparse.Namespace) -> int:
    fn = transformed(load_target(args.target), args.transform, args.argnums)
    _write(fn.ir + "\n")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        from .verification import verify
    except ImportError as exc:
        raise CommandError(f"verification is not available in this installation ({exc})") from None
    target = load_target(args.target)
    report = verify(user_function(target), argnums=argnums_for(target, parse_argnums(args.argnums)))
    _write(f"{report}\n")
    if report.ok:
        return EXIT_OK
    return EXIT_UNCHECKED if getattr(report, "status", None) == "unchecked" else EXIT_MISMATCH


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_to_file
    check_output(args.output)
    targets = load_targets(args.targets)
    inputs = target_files(targets)
    check_output(args.output, inputs)
    functions = [transformed(t, args.transform, args.argnums) for t in targets]
    try:
        export_to_file(args.output, functions, protect=inputs)
    except OSError as exc:
        raise CommandError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    names = ", ".join(fn.module.name for fn in functions)
    print(f"wrote {args.output} ({names})", file=sys.stderr)
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    from .graph import RENDERED, RenderError, graph_dot, render
    output = args.output
    fmt = os.path.splitext(output)[1].lstrip(".").lower() if output else "dot"
    if fmt not in ("dot", "gv") + RENDERED:
        raise CommandError(f"cannot tell the picture format from {output!r}: "
                           f"use a .dot, {', '.join('.' + f for f in RENDERED)} file")
    dot_path = None if output is None else (
        output if fmt in ("dot", "gv") else os.path.splitext(output)[0] + ".dot")
    for path in {output, dot_path} - {None}:
        check_output(path)
    target = load_target(args.target)
    for path in {output, dot_path} - {None}:
        check_output(path, target_files([target]))
    dot = graph_dot(transformed(target, "grad", args.argnums))
    if output is None or dot_path is None:
        _write(dot)
        return EXIT_OK
    try:
        with open(dot_path, "w", encoding="utf-8") as handle:
            handle.write(dot)
    except OSError as exc:
        raise CommandError(f"cannot write {dot_path}: {exc.strerror or exc}") from None
    if dot_path != output:
        try:
            render(dot_path, output)
        except RenderError as exc:
            raise CommandError(str(exc)) from None
    print(f"wrote {output}" + (f" (and {dot_path})" if dot_path != output else ""), file=sys.stderr)
    return EXIT_OK


# --- shared pieces ---------------------------------------------------------------

def check_output(path: str, inputs: Sequence[str] = ()) -> None:
    """Refuse, before any work, an output file that cannot be written or
    that is one of the `inputs` (however spelt: see `refuse_overwriting`)."""
    from .export import refuse_overwriting
    if not path or path == "-" or "\x00" in path:
        raise CommandError(f"give a file name to write to, not {path!r}")
    if os.path.isdir(path):
        raise CommandError(f"{path} is a directory: give the name of the file to write")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        what = "is not a directory" if os.path.exists(folder) else "does not exist"
        raise CommandError(f"cannot write {path}: the folder {folder} {what}")
    if not os.access(path if os.path.exists(path) else folder, os.W_OK):
        raise CommandError(f"cannot write {path}: permission denied")
    try:
        refuse_overwriting(path, inputs)
    except SrcGradError as exc:
        raise CommandError(exc.message) from None


def target_files(targets: Sequence[Target]) -> list[str]:
    """The files the targets were loaded from (never to be written over)."""
    files = {getattr(t.module, "__file__", None) for t in targets}
    return sorted(f for f in files if isinstance(f, str))


def user_function(target: Target) -> Any:
    """The user's plain function a target names, under any srcgrad transforms
    the file applied; refuses what srcgrad cannot read."""
    obj = target.obj
    while isinstance(obj, Transformed):
        obj = obj.__wrapped__
    if isinstance(obj, UserPrimitive):
        raise CommandError(f"{target.spec} is a @srcgrad.primitive, opaque to srcgrad: its derivative is "
                           f"the rule you gave; differentiate a function that calls it")
    if not inspect.isfunction(obj):
        raise CommandError(f"{target.spec} is a {type(obj).__name__}, not a Python function defined "
                           f"with 'def' whose source srcgrad can read")
    return obj


def argnums_for(target: Target, argnums: Any) -> Any:
    """`argnums` as given, else those of a target decorated in its file, else 0."""
    if argnums is None and isinstance(target.obj, Transformed) and target.obj.argnums is not None:
        return target.obj.argnums
    return 0 if argnums is None else argnums


def transformed(target: Target, transform: str | None, argnums_text: str | None) -> Transformed:
    """The transform of a target.  A target the file already decorated
    (``@grad``) is used as it is unless options say otherwise."""
    argnums = parse_argnums(argnums_text)
    obj = target.obj
    if isinstance(obj, Transformed) and argnums is None and transform in (None, obj.transform):
        return obj
    return getattr(api, transform or "grad")(user_function(target), argnums=argnums_for(target, argnums))


def highlight(source: str, color: str) -> str:
    """`source` with terminal colours when asked for (``always``), or when
    ``auto`` and stdout is a terminal and pygments is installed."""
    if color == "never" or (color == "auto" and not sys.stdout.isatty()):
        return source
    try:
        from pygments import highlight as pyg_highlight
        from pygments.formatters import TerminalFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return source
    return pyg_highlight(source, PythonLexer(), TerminalFormatter())


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush of a closed
    pipe does not print "Exception ignored ... BrokenPipeError"."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # stdout replaced by an object without a file
        pass


def format_error(exc: SrcGradError) -> str:
    """Like Python's SyntaxError: where, the line, a caret, then the message."""
    name = f"srcgrad.{type(exc).__name__}"
    if exc.location is None or not exc.location.lineno:
        return f"{name}: {exc.message}"
    caret = exc.location.caret_block()
    return f"  {exc.location.describe()}\n{caret + chr(10) if caret else ''}{name}: {exc.message}"


# --- argument parsing --------------------------------------------------------------

def _add_target(parser: argparse.ArgumentParser, transform: bool = True) -> None:
    parser.add_argument("target", help="the function: FILE.py:FUNC or module:func")
    _add_options(parser, transform)


def _add_options(parser: argparse.ArgumentParser, transform: bool) -> None:
    parser.add_argument("--argnums", metavar="A[,B...]",
                        help="arguments to differentiate with respect to, by position or name "
                             "(e.g. 0 or x or 0,1); a comma gives a tuple of partials (default: 0)")
    if transform:
        parser.add_argument("--transform", choices=TRANSFORMS, default=None,
                            help="which transformation to apply (default: grad)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srcgrad",
        description="Automatic differentiation by source transformation: read, check, export and "
                    "draw the generated gradient of a Python function.",
        epilog="Targets are FILE.py:FUNC or module:func. Exit status: 0 ok, 1 verify mismatch, "
               "3 verify could not check, 2 error.")
    parser.add_argument("--version", action="version", version=f"srcgrad {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int],
                help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(handler=handler)
        return sub

    show = command("show", cmd_show, "print the generated gradient source")
    _add_target(show)
    show.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="syntax highlighting (auto: on a terminal, when pygments is installed)")
    _add_target(command("ir", cmd_ir, "print the SSA IR: the primal function and its derivative"))
    _add_target(command("verify", cmd_verify,
                        "check the generated gradient against sympy's diff and finite differences of the "
                        "function itself; exit status 0 proved or agreed, 1 mismatch, 3 could not "
                        "check, 2 error"),
                transform=False)
    export = command("export", cmd_export,
                     "write a standalone module with the gradients of one or more functions "
                     "(runs without srcgrad)")
    export.add_argument("-o", "--output", required=True, metavar="OUT.py", help="the module to write")
    export.add_argument("targets", nargs="+", metavar="TARGET",
                        help="FILE.py:FUNC, then more FUNC names in the same file, or more targets")
    _add_options(export, transform=True)
    graph = command("graph", cmd_graph,
                    "draw the computation graph and its backward graph (Graphviz DOT; SVG/PNG "
                    "rendered with the 'dot' program)")
    graph.add_argument("-o", "--output", metavar="OUT.{dot,svg,png}",
                       help="the picture to write (default: DOT on standard output)")
    _add_target(graph, transform=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return args.handler(args)
    except SrcGradError as exc:
        print(format_error(exc), file=sys.stderr)
    except (TargetError, CommandError) as exc:
        print(f"srcgrad {args.command}: error: {exc}", file=sys.stderr)
    except RecursionError:      # deeper code than srcgrad's recursive passes handle
        print(f"srcgrad {args.command}: error: the function is nested too deeply for srcgrad to "
              f"transform (Python's recursion limit was reached); split it into smaller functions",
              file=sys.stderr)
    except BrokenPipeError:     # `srcgrad show f.py:f | head`: the reader has gone; nothing to say
        _silence_stdout()
    except OSError as exc:      # a file that vanished or cannot be read midway
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"srcgrad {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
