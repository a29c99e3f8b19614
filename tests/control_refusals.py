"""Functions srcgrad must refuse when `grad` is applied (issue 3), and tricky
ones it must either refuse or differentiate correctly.

`tests/test_control_errors.py` pairs each refused function with the piece of
its source the error must point at; the expected line and column are found
by searching the function's own source, independently of srcgrad.
"""
import math

W = [1.0, 2.0]
TABLE = {"a": 1.0}


# --- loop else clauses ------------------------------------------------------------

def for_else(x):
    # with no loop exit the else clause is the code after the loop (supported)
    for i in range(3):
        x = x * 2.0
        if x > 100.0:
            break
    else:
        x = x + 1.0
    return x


def while_else(x):
    while x < 5.0:
        x = x * 2.0
        if x > 3.0:
            break
    else:
        x = x - 1.0
    return x


# --- recursion ----------------------------------------------------------------------

def recursive(x, n):
    if n == 0:
        return x
    return recursive(x * 1.5, n - 1) + x


def ping(x, n):
    if n <= 0:
        return x
    return pong(x, n - 1)


def pong(x, n):
    return ping(math.sin(x), n)


def calls_recursive(x):
    return recursive(x, 3) * 2.0


# --- methods, lambdas, closures ---------------------------------------------------------

class Scaler:
    factor = 2.0

    def scale(self, x):
        return self.factor * x

    def twice(self, x):
        return 2.0 * x

    @staticmethod
    def static_scale(x):
        return 2.0 * x


SCALER = Scaler()
bound_scale = SCALER.scale
square = lambda t: t * t  # noqa: E731


def calls_bound_method(x):
    return bound_scale(x) + x


def calls_method_on_object(x):
    return SCALER.scale(x) + x


def calls_static_method(x):
    return Scaler.static_scale(x) + x


def calls_module_lambda(x):
    return square(x) + 1.0


def defines_lambda(x):
    double = lambda t: t * 2.0  # noqa: E731
    return double(x)


def make_helper_closure():
    weights = [1.0, 2.0]

    def weighted(t):
        return t * len(weights)

    def f(x):
        return weighted(x) + x
    return f


def make_direct_closure():
    weights = [1.0, 2.0]

    def f(x):
        s = 0.0
        for w in weights:
            s = s + w * x
        return s
    return f, weights


helper_closure = make_helper_closure()
direct_closure, direct_closure_weights = make_direct_closure()


# --- append with a run-time trip count ------------------------------------------------------

def append_in_runtime_loop(x, n):
    ys = []
    for i in range(n):
        ys.append(x * i)
    return sum(ys)


def append_in_while(x):
    ys = [x]
    k = 0
    while k < 3:
        ys.append(x * k)
        k += 1
    return sum(ys)


def append_inside_runtime_inner_loop(x, n):
    ys = []
    for i in range(3):
        for j in range(n):
            ys.append(x * j)
    return sum(ys)


# --- functions that do not return on every path ------------------------------------------------

def falls_off_after_if(x):
    if x > 0.0:
        return x * 2.0


def falls_off_after_loop(x, n):
    for i in range(n):
        if x > i:
            return x * i


def returns_nothing(x):
    y = x * 2.0
    return


# --- unpacking mismatches ----------------------------------------------------------------------

def triple(a):
    return a, a * 2.0, a * 3.0


def unpack_too_few(x):
    a, b = triple(x)
    return a + b


def unpack_too_many(x, y):
    a, b, c = (x, y)
    return a + b + c


def unpack_scalar(x):
    a, b = x
    return a + b


def unpack_helper_scalar(x):
    a, b = math.sin(x)
    return a * b


def unpack_zip_target(x):
    s = 0.0
    for a, b in zip(W):
        s = s + a * x
    return s


def unpack_enumerate_target(x):
    s = 0.0
    for i in enumerate(W):
        s = s + x
    return s


def tuple_used_as_number(x):
    t = triple(x)
    return t * 2.0


# --- iterating over something unsupported --------------------------------------------------------

def iterate_number(x):
    s = 0.0
    for v in x:
        s = s + v
    return s


def iterate_string(x):
    s = x
    for ch in "abc":
        s = s * 2.0
    return s


def iterate_dict(x):
    s = x
    for k in TABLE:
        s = s * 2.0
    return s


def iterate_reversed(x):
    s = x
    for w in reversed(W):
        s = s * w
    return s


def iterate_float_range(x):
    s = x
    for k in range(2.5):
        s = s * 2.0
    return s


def iterate_generator_expression(x):
    # consumed at once by sum() it is supported; stored, it is a one-shot iterator
    gen = (x * i for i in range(3))
    return sum(gen)


def iterate_range_with_keywords(x):
    s = x
    for k in range(3, step=1):
        s = s * 2.0
    return s


# --- other refusals of sequences and loops -------------------------------------------------------

def zero_step(x):
    s = x
    for k in range(0, 3, 0):
        s = s * 2.0
    return s


def comprehension_with_condition(x):
    # the condition depends on x: the list's length is known only at run time
    vals = [x * k for k in range(5) if x > k]
    return sum(vals)


def index_out_of_range(x):
    vals = [x, x * 2.0]
    return vals[2]


def float_index(x):
    vals = [x, x * 2.0]
    return vals[x]


def slice_of_list(x):
    vals = [x, x * 2.0, x * 3.0]
    return sum(vals[1:])


def sequence_lengths_differ(x):
    if x > 0.0:
        vals = [x, x]
    else:
        vals = [x]
    return sum(vals)


def returns_differ_in_shape(x):
    if x > 0.0:
        return x, x
    return x


def reassign_sequence_in_runtime_loop(x, n):
    vals = [x, x]
    for i in range(n):
        vals = [vals[1], vals[0] * x]
    return vals[0]


def subscript_store(x):
    vals = [x, x]
    vals[0] = x * 2.0
    return vals[0]


def print_in_loop(x):
    for i in range(3):
        print(i)
        x = x * 2.0
    return x
