"""Adversarial programs: names that collide with generated code, IEEE edge
values, duplicated helper results, loops with break/continue, nested
transforms.  Used by tests/test_adversarial_names.py and
tests/test_adversarial_hypothesis.py (tests/program_gen.py is left alone).

Two layers:

* `colliding_module(template, name)`: a user module in which `name` is used
  as a parameter, a local, a loop index, a module constant, a module table, a
  helper, a user primitive or the function's own name — every way a user
  name can meet a name the code generator writes or reads.  User code reads
  math through aliases (``msin``...) so that *any* name can be shadowed.
* `adversarial_programs()`: a hypothesis strategy drawing a module whose
  function ``f(x, y)`` mixes those names with the constants in `CONSTANTS`
  (signed zeros, huge and tiny values), helpers returning duplicated values,
  loops with break/continue, and calls of srcgrad transforms made at import.
"""
from __future__ import annotations

import keyword
from dataclasses import dataclass

from hypothesis import strategies as st

# every name the generated code of today reads or writes, and more it might
COLLIDING = (
    "_", "math", "reversed", "zip", "float", "range", "len", "enumerate", "sum", "abs", "min", "max", "int",
    "list", "tuple", "isinstance", "print", "round", "pow",
    "t", "t_1", "t_2", "i", "i_1", "c", "c_1", "k", "s", "s_1",
    "dx", "dx_1", "dx_2", "dy", "ds", "ds_1", "dt", "dc", "d_", "dθ",
    "x_dot", "y_dot", "s_dot", "t_dot", "x_tape", "s_tape", "tape", "_tape", "i_tape",
    "exit_code", "primals", "tangents", "result", "value", "out",
    "grad_f", "value_and_grad_f", "jvp_f", "hessian_f", "jacobian_f", "grad_grad_f",
    "sin_t", "cos_t", "exp_t", "sin_x", "inf", "nan", "p0", "p1", "_default_y", "srcgrad_generated_f",
    "θ", "ψ_1", "Δx",
)

HEADER = ("from math import sin as msin, cos as mcos, exp as mexp, tanh as mtanh, atan2 as matan2\n"
          "import srcgrad\n\n"
          "TAB = (0.5, -1.25, 2.0)\n\n\n")

# @@ is the colliding name; each template is a module (after HEADER) defining f(x, y)-like f
TEMPLATES: dict[str, str] = {
    "param": '''
def f(x, @@):
    s = x
    LOOP3
        s = s * 0.5 + msin(s) * @@
    for c in TAB:
        s = s + c * @@ * x
    return s + mexp(-@@ * @@)
''',
    "local": '''
def f(x, y):
    @@ = x * y
    s = 0.0
    for c in TAB:
        s = s * 0.5 + c * msin(@@)
    @@ = @@ + s
    return s + @@ * y
''',
    "index": '''
def f(x, y):
    s = y
    for @@ in RANGE(4):
        s = s * 0.7 + msin(x * @@) * y
    return s + x
''',
    "constant": '''
@@ = 1.5


def f(x, y):
    s = x
    LOOP3
        s = s * 0.5 + @@ * msin(s) * y
    return s + @@ * x
''',
    "table": '''
@@ = (0.25, -1.5, 2.0)


def f(x, y):
    s = 0.0
    for c in @@:
        s = s * x + c * y
    for c in @@:
        s = s * 0.5 + c * msin(x * c)
    return s
''',
    "helper": '''
def @@(u, v):
    return u * mcos(v) + v * v


def f(x, y):
    s = @@(x, y)
    for c in TAB:
        s = s + @@(s * c, x) * 0.1
    return s
''',
    "primitive": '''
@srcgrad.primitive
def @@(u):
    return u * u * u + u


@@@.derivative
def RULE(u):
    return 3.0 * u * u + 1.0


def f(x, y):
    return @@(x * y) + @@(x) * y
''',
    "function": '''
def helper(u):
    return u * u


def @@(x, y):
    s = helper(x) * msin(y)
    for c in TAB:
        s = s * 0.5 + c * x
    return s
''',
}

# builtins the user code of a template itself needs (a name shadowing one cannot be used there)
_NEEDS = {"param": {"range"}, "constant": {"range"}, "index": {"range"}}
_HEADER_NAMES = {"msin", "mcos", "mexp", "mtanh", "matan2", "srcgrad", "TAB", "helper", "RULE"}


def function_name(template: str, name: str) -> str:
    return name if template == "function" else "f"


def colliding_module(template: str, name: str) -> str | None:
    """The module text, or None where `name` cannot be used that way in valid
    Python that still runs (a keyword, or shadowing what the template needs)."""
    if keyword.iskeyword(name) or not name.isidentifier() or name in _HEADER_NAMES or name == "f":
        return None
    body = TEMPLATES[template]
    shadowing_range = name == "range" and template in ("param", "constant")
    loop = "k = 0\n    while k < 3:\n        k = k + 1" if shadowing_range else "for i in range(3):"
    if template == "param" and name in ("x", "s", "c", "i", "k"):
        return None
    if template in ("local",) and name in ("x", "y", "s", "c"):
        return None
    if template == "index" and name in ("x", "y", "s", "range"):
        return None
    if template in ("constant", "table", "helper", "primitive") and name in ("x", "y", "s", "c", "i", "k", "u", "v"):
        return None
    if template == "function" and name in ("x", "y", "s", "c", "u"):
        return None
    body = (body.replace("LOOP3", loop).replace("RANGE", "range")
            .replace("@@@", "@" + name).replace("@@", name)
            .replace("RULE", "rule_" if name == "_" else "_"))
    return HEADER + body.lstrip("\n")


# the names of the issue's own examples meet every template; the others two templates each
CORE = ("_", "math", "reversed", "zip", "float", "range", "len", "t", "t_1", "dx", "x_dot", "x_tape",
        "exit_code", "primals", "tangents", "grad_f", "θ")


def colliding_cases(thorough: bool = False) -> list[tuple[str, str]]:
    """(template, name) pairs: all of them when `thorough`, else every core
    name in every template and each other name in two templates (rotating)."""
    templates = list(TEMPLATES)
    pairs = []
    for number, name in enumerate(COLLIDING):
        if thorough or name in CORE:
            chosen = templates
        else:
            chosen = [templates[number % len(templates)], templates[(number + 3) % len(templates)]]
        pairs += [(t, name) for t in chosen if colliding_module(t, name) is not None]
    return pairs


# --- the hypothesis strategy ---------------------------------------------------------------

CONSTANTS = (0.5, 1.5, -0.75, 2.0, 0.0, -0.0, 1e-300, -1e-300, 1e300, -1e300, 5e-324, 1e16, 0.1)
SAFE_CONSTANTS = (0.5, 1.5, -0.75, 2.0, 0.0, -0.0, 0.1, 0.25)
SAFE_NAMES = tuple(n for n in COLLIDING if n not in ("x", "y") and n.isidentifier()
                   and n not in _HEADER_NAMES and n != "f")

GEN_HELPERS = '''
def pair(p):
    return p, p


def pair_scaled(p, q):
    r = p * q
    return r, r, p


def same(p):
    a = p
    b = a
    return b


def looped(u):
    for j in range(3):
        if u > 4.0:
            break
        if j == 1:
            continue
        u = 0.5 * u + mcos(u)
    return u
'''


@dataclass
class AdvProgram:
    """A module text defining ``f(x, y)``; `names` are the colliding names used."""

    text: str
    names: tuple[str, ...]
    has_transform: bool = False


class _Locals:
    def __init__(self, draw, params: tuple[str, str]) -> None:
        self.draw = draw
        self.taken = set(params)

    def fresh(self) -> str:
        choices = [n for n in SAFE_NAMES if n not in self.taken and n not in BUILTIN_LIKE]
        name = self.draw(st.sampled_from(choices))
        self.taken.add(name)
        return name


# names whose shadowing inside f would break the user code itself (it calls them)
BUILTIN_LIKE = {"range", "pair", "pair_scaled", "same", "looped", "DF", "VG_VALUE", "VG_SLOPE", "JV", "_VG",
                "_JV", "_inner"}
# parameter names: the plain ones and colliding ones
PARAM_NAMES = ("x", "y", "_", "math", "θ", "t", "dx", "x_dot", "primals", "tangents", "grad_f", "zip",
               "reversed", "len", "float", "exit_code", "x_tape", "i", "s_1")


def _expr(draw, env: list[str], depth: int, constants: tuple[float, ...]) -> str:
    kind = draw(st.sampled_from(["var", "var", "const"] + (["add", "mul", "sin", "helper", "pair", "tanh",
                                                             "transform", "neg", "sub"] if depth else [])))
    sub = lambda: _expr(draw, env, depth - 1, constants)  # noqa: E731
    if kind == "var":
        return draw(st.sampled_from(env))
    if kind == "const":
        return f"({draw(st.sampled_from(constants))!r})"
    if kind == "add":
        return f"({sub()} + {sub()})"
    if kind == "sub":
        return f"({sub()} - {sub()})"
    if kind == "neg":
        return f"(-{sub()})"
    if kind == "mul":
        return f"({sub()} * {sub()})"
    if kind == "sin":
        return f"msin({sub()})"
    if kind == "tanh":
        return f"mtanh({sub()})"
    if kind == "pair":
        return f"pair({sub()})[{draw(st.sampled_from([0, 1]))}]"
    if kind == "transform":
        return f"{draw(st.sampled_from(['DF', 'VG_VALUE', 'VG_SLOPE', 'JV']))}({sub()})"
    return f"{draw(st.sampled_from(['same', 'looped']))}({sub()})"


@st.composite
def adversarial_programs(draw, edge_constants: bool = False) -> AdvProgram:
    """``f(p, q)`` (parameter and local names drawn from the colliding set),
    duplicated helper results, loops with break/continue, and calls of
    transforms made at import; with `edge_constants`, constants include
    signed zeros, subnormals and huge values."""
    constants = CONSTANTS if edge_constants else SAFE_CONSTANTS
    params = tuple(draw(st.lists(st.sampled_from(PARAM_NAMES), min_size=2, max_size=2, unique=True)))
    names = _Locals(draw, params)
    env = list(params)
    lines: list[str] = []
    used: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["assign", "assign", "unpack", "unpack3", "loop", "update"]))
        if kind == "assign":
            name = names.fresh()
            lines.append(f"{name} = {_expr(draw, env, 2, constants)}")
            env.append(name)
            used.append(name)
        elif kind == "unpack":
            a, b = names.fresh(), names.fresh()
            lines.append(f"{a}, {b} = pair({_expr(draw, env, 1, constants)})")
            env += [a, b]
            used += [a, b]
        elif kind == "unpack3":
            a, b, c = names.fresh(), names.fresh(), names.fresh()
            lines.append(f"{a}, {b}, {c} = pair_scaled({_expr(draw, env, 1, constants)}, "
                         f"{_expr(draw, env, 1, constants)})")
            env += [a, b, c]
            used += [a, b, c]
        elif kind == "update":
            target = draw(st.sampled_from(env))
            lines.append(f"{target} = 0.5 * {target} + {_expr(draw, env, 1, constants)}")
        else:
            index = names.fresh()
            target = draw(st.sampled_from(env))
            bound = draw(st.sampled_from(["3", "1, 4", "3, -1, -1", "0"]))
            body = [f"    {target} = 0.5 * {target} + {_expr(draw, env + [f'0.25 * {index}'], 1, constants)}"]
            if draw(st.booleans()):
                body.insert(0, f"    if {_expr(draw, env, 1, constants)} > {draw(st.sampled_from(constants))!r}:\n"
                               f"        {draw(st.sampled_from(['break', 'continue']))}")
            lines.append(f"for {index} in range({bound}):")
            lines += body
            used.append(index)
    result = " + ".join(env[-3:])
    # atan2(v, -1) is +pi or -pi by the sign of a zero v: signed zeros become visible in the value
    lines.append(f"return matan2({result}, -1.0)" if edge_constants else f"return {result}")
    body = "\n".join("    " + line for line in "\n".join(lines).splitlines())
    has_transform = any(k in body for k in ("DF(", "VG_", "JV("))
    text = HEADER + GEN_HELPERS + "\n\n" + (TRANSFORMS if has_transform else "")
    text += f"def f({params[0]}, {params[1]}):\n" + body + "\n"
    return AdvProgram(text, params + tuple(used), has_transform)


# transforms made at import and called inside f: differentiated as what they compute
TRANSFORMS = ("def _inner(u):\n    return msin(u) * u + 0.5 * u * u\n\n\n"
              "DF = srcgrad.grad(_inner)\n_VG = srcgrad.value_and_grad(_inner)\n_JV = srcgrad.jvp(_inner)\n\n\n"
              "def VG_VALUE(u):\n    v, d = _VG(u)\n    return v\n\n\n"
              "def VG_SLOPE(u):\n    v, d = _VG(u)\n    return d\n\n\n"
              "def JV(u):\n    p, t = _JV((u,), (1.0,))\n    return t\n\n\n")
