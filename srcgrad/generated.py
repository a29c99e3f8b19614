"""Where generated functions live, for pickling.

`grad(f)` returns the generated function itself (no wrapper: calling it costs
what calling any Python function costs).  Python pickles a function by
reference, as ``module.qualname``; a generated function's module is this one
and its qualname is its *recipe*, readable and decodable::

    grad(mypkg/model:loss, {'argnums': (0, 1)})

(dots become slashes: pickle splits qualnames at dots).  Looking such a name
up here (`__getattr__`) returns the live function in the process that made it
(pickle checks it finds the very object), and elsewhere regenerates it from
the user's function, imported by its module and name, or returns the
decorated function itself when ``@grad`` replaced the user's function under
that name.  Either way the receiving process runs srcgrad on the user's
source; no generated code travels as text.

Unpickling a transformed function therefore imports the user's module, as
unpickling any function reference does.  A recipe rebuilds only the five
transforms (`TRANSFORMS`: grad, value_and_grad, jvp, jacobian, hessian) with
their literal options, applied to a function named by module and qualified
name; a crafted name that asks for anything else is refused, and what it
names is never called, only transformed (srcgrad refuses what is not a
plain function).
"""
from __future__ import annotations

import ast
import importlib
import threading
import weakref
from typing import Any

# What a recipe may rebuild: these five, with these options, and nothing else.
TRANSFORMS: dict[str, frozenset[str]] = {
    "grad": frozenset({"argnums", "order", "mode"}), "value_and_grad": frozenset({"argnums", "mode"}), "jvp": frozenset(),
    "jacobian": frozenset({"argnums"}), "hessian": frozenset({"argnums"}),
}

_LIVE: "weakref.WeakValueDictionary[str, Any]" = weakref.WeakValueDictionary()
_COUNTS: dict[str, int] = {}
_LOCK = threading.Lock()      # registered names stay unique when threads transform at once


def register(fn: Any, recipe: str) -> str:
    """Give `fn` a unique qualname built from `recipe`; return it."""
    with _LOCK:
        n = _COUNTS.get(recipe, 0)
        _COUNTS[recipe] = n + 1
        name = recipe if n == 0 else f"{recipe} #{n + 1}"
        _LIVE[name] = fn
    return name


def recipe_text(transform: str, fun: Any, options: dict) -> str | None:
    """The recipe of `transform(fun, **options)`, or None when `fun` cannot be
    found again by module and name (a function defined in a function)."""
    target = _target_text(fun)
    if target is None:
        return None
    opts = "" if not options else ", " + repr(dict(sorted(options.items())))
    if "." in opts or "<" in opts:
        return None
    return f"{transform}({target}{opts})"


def _target_text(fun: Any) -> str | None:
    key = getattr(fun, "__srcgrad_recipe__", None)
    if key is not None:
        return key
    module, qualname = getattr(fun, "__module__", None), getattr(fun, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str) or "<" in qualname or "(" in qualname:
        return None
    return f"{module.replace('.', '/')}:{qualname.replace('.', '/')}"


def __getattr__(name: str) -> Any:
    live = _LIVE.get(name)
    if live is not None:
        return live
    recipe = name.split(" #", 1)[0]
    from .errors import SrcGradError
    try:
        return _rebuild(recipe)
    except SrcGradError:        # a recipe, whose function srcgrad refuses: say why
        raise
    except (ValueError, SyntaxError) as exc:
        raise AttributeError(f"{name!r} is not a srcgrad recipe: {exc}") from None


def _rebuild(recipe: str) -> Any:
    from . import api
    transform, _, inner = recipe.partition("(")
    if transform not in TRANSFORMS or not inner.endswith(")"):
        raise ValueError(f"not of the form transform(target[, options]) with transform one of "
                         f"{', '.join(TRANSFORMS)}")
    inner = inner[:-1]
    target, options = _split_options(inner)
    if not isinstance(options, dict) or not set(options) <= TRANSFORMS[transform]:
        raise ValueError(f"{transform} takes options {sorted(TRANSFORMS[transform])} only")
    fun = _resolve(target)
    if getattr(fun, "__srcgrad_recipe__", None) == recipe:
        return fun                  # @grad replaced the user's function under that name
    made = getattr(api, transform)(fun, **options)
    with _LOCK:
        _LIVE.setdefault(recipe, made)
    return made


def _split_options(inner: str) -> tuple[str, dict]:
    depth = 0
    for i, ch in enumerate(inner):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "{" and depth == 0:
            return inner[:i].rstrip(", "), ast.literal_eval(inner[i:])
    return inner, {}


def _resolve(target: str) -> Any:
    """The function a recipe names: another recipe, or a module's attribute
    path, found as pickle finds any function (importing its module)."""
    if "(" in target:
        return _rebuild(target)
    module_name, sep, qualname = target.partition(":")
    parts = qualname.split("/")
    if not sep or not all(p.isidentifier() for p in module_name.split("/") + parts):
        raise ValueError(f"{target!r} is not module:qualname")
    obj: Any = importlib.import_module(module_name.replace("/", "."))
    for part in parts:
        obj = getattr(obj, part)
    return obj
