"""Issue 9, item 2: what is differentiated is what Python runs.

A module's file is edited after import (not reloaded): the function's body
changed, another function now stands at its line, a helper's body changed,
the file was deleted.  srcgrad must refuse with `SourceNotFoundError`, or
(where the running code is still the parsed code) give the gradient of the
running function; never the gradient of the new text.
"""
from __future__ import annotations

import os
import textwrap

import pytest

from srcgrad import SourceNotFoundError, SrcGradError, grad, hessian, jvp, value_and_grad

from .adversarial_support import close, fd, load, same_bits, write_source

MODULE = '''
import math

SCALE = 2.0


def helper(u):
    return u * u


def f(x):
    y = SCALE * math.sin(x)
    return y + helper(x)


def g(x):
    return math.exp(x) * 3.0
'''

TRANSFORMS = {
    "grad": lambda f, x: grad(f)(x),
    "value_and_grad": lambda f, x: value_and_grad(f)(x)[1],
    "jvp": lambda f, x: jvp(f)((x,), (1.0,))[1],
    "hessian": lambda f, x: hessian(f)(x),
    "grad_order_2": lambda f, x: grad(f, order=2)(x),
}

EDITS = {
    # the body of f changed in place (same line numbers)
    "body": lambda t: t.replace("y = SCALE * math.sin(x)", "y = SCALE * math.cos(x)"),
    # two lines inserted above f: g's text (or blank lines) now stands at f's line
    "shifted": lambda t: t.replace("def helper(u):", "def extra(u):\n    return u\n\n\ndef helper(u):"),
    # f swapped with g in the file
    "swapped": lambda t: t.replace("def f(x):", "def TMP(x):").replace("def g(x):", "def f(x):")
                          .replace("def TMP(x):", "def g(x):"),
    # the helper's body changed
    "helper": lambda t: t.replace("return u * u", "return u * u * u"),
    # the function rewritten to have a different signature
    "signature": lambda t: t.replace("def f(x):", "def f(x, z=1.0):").replace("return y + helper(x)",
                                                                               "return y + helper(x) * z"),
}


def refused_or_right(call, f, x: float) -> None:
    """Either a SourceNotFoundError (naming the file) or the derivative of
    the function Python runs; anything else is a silent wrong answer."""
    try:
        got = call(f, x)
    except SourceNotFoundError as exc:
        assert "changed" in str(exc) or "reload" in str(exc), str(exc)
        return
    want = fd(f, (x,), 0) if call is not TRANSFORMS["hessian"] and call is not TRANSFORMS["grad_order_2"] \
        else fd(lambda u: fd(f, (u,), 0), (x,), 0)
    assert close(got, want, rel=1e-4, abs_=1e-5), f"gradient of the edited text, not of the running code: {got} vs {want}"


@pytest.mark.parametrize("edit", ["body", "shifted", "swapped", "signature"])
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_edited_function_is_refused(edit, transform):
    mod = load(MODULE, "edited")
    write_source(mod, EDITS[edit](textwrap.dedent(MODULE)))
    with pytest.raises(SourceNotFoundError) as info:
        TRANSFORMS[transform](mod.f, 0.4)
    assert os.path.basename(mod.__file__) in str(info.value) or mod.__file__ in str(info.value)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_edited_helper_is_refused_or_right(transform):
    mod = load(MODULE, "edited")
    write_source(mod, EDITS["helper"](textwrap.dedent(MODULE)))
    refused_or_right(TRANSFORMS[transform], mod.f, 0.9)


def test_edit_after_a_first_gradient():
    mod = load(MODULE, "edited")
    grad(mod.f)(0.3)
    write_source(mod, EDITS["body"](textwrap.dedent(MODULE)))
    for call in TRANSFORMS.values():
        refused_or_right(call, mod.f, 0.3)


def test_constant_edited_on_disk_only_uses_the_running_value():
    mod = load(MODULE, "edited")
    write_source(mod, textwrap.dedent(MODULE).replace("SCALE = 2.0", "SCALE = 5.0"))
    # f's code is what was parsed; SCALE is read from the module, where it is still 2.0
    for x in (0.2, -1.3):
        refused_or_right(TRANSFORMS["grad"], mod.f, x)
        try:
            value, _ = value_and_grad(mod.f)(x)
        except SourceNotFoundError:
            continue
        assert same_bits(value, mod.f(x))


def test_comment_edit_is_not_a_change():
    mod = load(MODULE, "edited")
    write_source(mod, textwrap.dedent(MODULE).replace("y = SCALE * math.sin(x)", "y = SCALE * math.sin(x)  # why"))
    assert close(grad(mod.f)(0.7), fd(mod.f, (0.7,), 0))


def test_deleted_file_is_a_source_not_found_error():
    mod = load(MODULE, "deleted")
    os.remove(mod.__file__)
    import linecache
    linecache.checkcache(mod.__file__)
    with pytest.raises(SourceNotFoundError):
        grad(mod.g)(1.0)


def test_unrelated_function_edit_leaves_g_working():
    mod = load(MODULE, "edited")
    write_source(mod, EDITS["body"](textwrap.dedent(MODULE)))
    # g's own text is unchanged and at its line: its gradient is still right
    assert close(grad(mod.g)(0.5), fd(mod.g, (0.5,), 0))


def test_function_with_code_swapped_by_a_decorator():
    mod = load('''
        import math

        def _other(x):
            return math.cos(x) * 7.0

        def swap_code(fn):
            fn.__code__ = _other.__code__
            return fn

        @swap_code
        def f(x):
            return math.sin(x)
        ''', "swapped_code")
    try:
        got = grad(mod.f)(0.6)
    except SrcGradError:
        return
    assert close(got, fd(mod.f, (0.6,), 0)), "differentiated the text on disk, not the code that runs"


def test_notebook_cell_text_replaced_in_linecache():
    import linecache
    from .adversarial_support import Notebook
    nb = Notebook()
    nb.run("import math\ndef f(x):\n    return math.sin(x) * 2.0\n")
    f = nb["f"]
    filename = f.__code__.co_filename
    text = "import math\ndef f(x):\n    return math.cos(x) * 5.0\n"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    refused_or_right(TRANSFORMS["grad"], f, 0.3)
    refused_or_right(TRANSFORMS["hessian"], f, 0.3)


def test_function_typed_at_a_prompt_is_still_refused():
    space: dict = {}
    exec(compile("def f(x):\n    return x * x\n", "<stdin>", "exec"), space)
    with pytest.raises(SourceNotFoundError):
        grad(space["f"])(1.0)
