"""Errors about the user's code: the right exception class, in this file, at the marked line.

Every function below puts the comment `# error` on the line the error must name.
The expected line number is found by searching the function's source for that
marker, so the tests keep working when lines move.
"""
import functools
import inspect
import math
import re

import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet
from knet_ast.errors import (
    InputMutationError,
    KnetError,
    NonScalarOutputError,
    NoRuleError,
    SourceError,
    UnsupportedSyntaxError,
)
from knet_ast.primitives import registry

MARKER = "# error"
HERE = __file__


def marked_line(obj, marker=MARKER):
    """(line number in this file, code text) of the line of `obj` carrying `marker`."""
    lines, start = inspect.getsourcelines(obj)
    hits = [i for i, line in enumerate(lines) if line.rstrip().endswith(marker)]
    assert len(hits) == 1, f"{obj.__name__} needs exactly one {marker!r} line"
    line = lines[hits[0]]
    return start + hits[0], line[:line.rindex(marker)].strip()


def assert_points_at(exc, obj, marker=MARKER):
    """The message names this file, the marked line's number, and the line's text."""
    lineno, text = marked_line(obj, marker)
    message = str(exc)
    assert HERE in message, f"file {HERE} not in:\n{message}"
    assert re.search(rf"\bline {lineno}\b", message), f"line {lineno} not in:\n{message}"
    assert text in message, f"{text!r} not in:\n{message}"


# --- unsupported syntax: rejected by knet.grad(f) itself, before any call ---


def uses_yield(x):
    yield x * 2.0  # error
    return np.sum(x)


def uses_yield_from(x):
    yield from [x]  # error
    return np.sum(x)


def uses_try(x):
    try:  # error
        y = np.log(x)
    except ValueError:
        y = x
    return np.sum(y)


def uses_with(x):
    with np.errstate(all="ignore"):  # error
        y = np.log(x)
    return np.sum(y)


counter = 0


def uses_global(x):
    global counter  # error
    counter = counter + 1
    return np.sum(x)


def make_uses_nonlocal():
    calls = 0

    def uses_nonlocal(x):
        nonlocal calls  # error
        calls = calls + 1
        return np.sum(x)
    return uses_nonlocal


uses_nonlocal = make_uses_nonlocal()


async def uses_async(x):  # error
    return np.sum(x)


def uses_class(x):
    class Box:  # error
        pass
    return np.sum(x)


def uses_del(x):
    y = x * 2.0
    del y  # error
    return np.sum(x)


def uses_import(x):
    import math as m  # error
    return np.sum(x) * m.pi


def uses_import_from(x):
    from math import pi  # error
    return np.sum(x) * pi


def uses_walrus(x):
    y = (z := x * 2.0) + 1.0  # error
    return np.sum(y * z)


def uses_match(x, mode):
    match mode:  # error
        case "double":
            y = x * 2.0
        case _:
            y = x
    return np.sum(y)


def uses_conditional_comprehension(w):
    squares = [np.sum(v * v) for v in w] if len(w) > 1 else w  # error
    return squares[0]


def uses_comprehension_after_or(w):
    d = w or {k: np.sum(v) for k, v in w.items()}  # error
    return d["a"]


def uses_comprehension_in_while_test(x):
    while sum([np.sum(x) for _ in range(2)]) < 10:  # error
        x = x * 2.0
    return np.sum(x)


def uses_set_comprehension(x):
    s = {v for v in range(3)}  # error
    return np.sum(x) * len(s)


def uses_no_return(x):
    np.sum(x)  # error


def uses_starred_target(x):
    first, *rest = x  # error
    return np.sum(first * rest[0])


SYNTAX_CASES = [
    uses_yield, uses_yield_from, uses_try, uses_with, uses_global, uses_nonlocal, uses_async,
    uses_class, uses_del, uses_import, uses_import_from, uses_walrus, uses_match,
    uses_conditional_comprehension,
    uses_comprehension_after_or, uses_comprehension_in_while_test, uses_set_comprehension, uses_no_return, uses_starred_target,
]


@pytest.mark.parametrize("func", SYNTAX_CASES, ids=lambda f: f.__name__)
def test_unsupported_syntax_is_rejected_by_grad(func):
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.grad(func)
    assert_points_at(info.value, func)


@pytest.mark.parametrize("func", [uses_try, uses_with, uses_conditional_comprehension],
                         ids=lambda f: f.__name__)
def test_unsupported_syntax_is_rejected_by_gradloss(func):
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.gradloss(func, wrt=0)
    assert_points_at(info.value, func)


def test_unsupported_syntax_is_rejected_at_decoration():
    with pytest.raises(UnsupportedSyntaxError) as info:
        @knet.grad
        def loss(x):
            with np.errstate(all="ignore"):  # error
                y = np.log(x)
            return np.sum(y)
    assert_points_at(info.value, test_unsupported_syntax_is_rejected_at_decoration)


def identity_decorator(f):
    return f


def doubling_decorator(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


@identity_decorator
def decorated_with_try(x):
    try:  # error
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)


@doubling_decorator
def wrapped_with_try(x):
    try:  # error
        y = x * 2.0
    except ValueError:
        y = x
    return np.sum(y)


class Model:
    def loss_with_try(x):
        try:  # error
            x = x * 2.0
        finally:
            pass
        return np.sum(x)


def comprehension_on_second_line(x, w):
    y = (x +
         np.sum([np.sum(v) for v in w] if x[0] > 0 else w[0]))  # error
    return np.sum(y)


@pytest.mark.parametrize("func, where", [
    (decorated_with_try, decorated_with_try),
    (Model.loss_with_try, Model.loss_with_try),
    (comprehension_on_second_line, comprehension_on_second_line),
], ids=["decorated", "method", "continuation-line"])
def test_unsupported_syntax_line_in_unusual_places(func, where):
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.grad(func)
    assert_points_at(info.value, where)


def test_functools_wraps_differentiates_the_wrapper_and_reports_the_wrapped_line():
    # the wrapper itself is fine; the wrapped function it calls is a helper, transformed
    # (and fenced) when the gradient is first built
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.grad(wrapped_with_try)(np.ones(3))
    assert_points_at(info.value, wrapped_with_try.__wrapped__)


def augassign_on_shared_array(x, y):
    s = x * 1.0
    t = s
    s += y  # error
    return np.sum(t * y)


def test_augmented_assignment_on_an_array_another_name_shares_is_refused():
    # NumPy would update `t` too; rebinding `s` instead would give a different loss
    with pytest.raises(InputMutationError, match=re.escape("`s += ...`")) as info:
        knet.grad(augassign_on_shared_array, wrt=1)(np.ones(2), np.full(2, 2.0))
    lineno, text = marked_line(augassign_on_shared_array)
    notes = "\n".join(getattr(info.value, "__notes__", []))
    if hasattr(info.value, "add_note"):  # Python 3.11+: the note names the user's line
        assert f"your line {lineno}" in notes and text in notes and HERE in notes


def test_syntax_message_names_construct_and_fix():
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.grad(uses_try)
    message = str(info.value).lower()
    assert "try" in message
    assert info.value.hint, "the error should say what to write instead"
    assert info.value.hint in str(info.value)


def test_unsupported_syntax_in_a_helper_names_the_helper_line():
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.grad(calls_helper_with_try)(np.ones(3))
    assert_points_at(info.value, helper_with_try)


def helper_with_try(v):
    try:  # error
        y = v * 2.0
    except ValueError:
        y = v
    return y


def calls_helper_with_try(x):
    return np.sum(helper_with_try(x))


# --- writing into differentiated values ---


def writes_element(x):
    y = x * 2.0
    x[0] = 1.0  # error
    return np.sum(y)


def writes_slice(x):
    x[1:] = x[1:] * 2.0  # error
    return np.sum(x)


def writes_augmented(x, i):
    x[i] += 2.0  # error
    return np.sum(x * x)


def writes_list_entry(w):
    w[0] = w[0] * 2.0  # error
    return np.sum(w[0] * w[1])


def writes_local_copy(x):
    h = x * 2.0
    h[0] = 0.0  # error
    return np.sum(h)


def writes_other_into_array(x, buffer):
    buffer[0] = np.sum(x)  # error
    return np.sum(buffer * x)


def calls_append(w):
    w.append(w[0] * 2.0)  # error
    return np.sum(w[-1])


LOG = []


def appends_to_a_global_list(x):
    LOG.append(x * 3.0)  # error
    return np.sum(x)


def writes_attribute(x, config):
    config.scale = np.sum(x)  # error
    return np.sum(x) * config.scale


class Config:
    scale = 1.0


def writes_in_loop_branch(x):
    for i in range(3):
        if i > 0:
            x[i] = 0.0  # error
    return np.sum(x)


def helper_writes_parameter(v):
    v[0] = 1.0  # error
    return np.sum(v)


def calls_helper_that_writes(x):
    return helper_writes_parameter(x * 1.0)


MUTATION_CASES = [
    (writes_element, (np.ones(3),)),
    (writes_slice, (np.ones(3),)),
    (writes_augmented, (np.ones(3), 1)),
    (writes_list_entry, ([np.ones(2), np.ones(2)],)),
    (writes_local_copy, (np.ones(3),)),
    (writes_other_into_array, (np.ones(3), np.zeros(3))),
    (calls_append, ([np.ones(2)],)),
    (writes_attribute, (np.ones(3), Config())),
    (appends_to_a_global_list, (np.ones(3),)),
    (writes_in_loop_branch, (np.ones(3),)),
    (calls_helper_that_writes, (np.ones(3),)),
]


@pytest.mark.parametrize("func, args", MUTATION_CASES,
                         ids=[case[0].__name__ for case in MUTATION_CASES])
def test_writing_into_a_differentiated_value_is_rejected(func, args):
    snapshot = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(InputMutationError) as info:
        knet.grad(func)(*args)
    assert_points_at(info.value, helper_writes_parameter
                     if func is calls_helper_that_writes else func)
    for before, after in zip(snapshot, args):
        if isinstance(before, np.ndarray):
            assert np.array_equal(before, after), "the rejected call modified its input"


def test_writing_into_a_constant_array_is_allowed():
    def loss(x):
        m = np.zeros(3)
        m[1] = 2.0
        return np.sum(x * m)
    assert np.array_equal(knet.grad(loss)(np.ones(3)), np.array([0.0, 2.0, 0.0]))


# --- calls with no rule and no source ---


def calls_cumsum(x):
    c = np.cumsum(x)  # error
    return np.sum(c * c)


def calls_cumsum_method(x):
    c = x.cumsum()  # error
    return np.sum(c * c)


def calls_svd(x):
    u, s, vt = np.linalg.svd(x)  # error
    return np.sum(s)


def calls_math_erf(a):
    b = math.erf(a)  # error
    return b * a


def calls_no_rule_in_helper(x):
    return np.sum(helper_calling_cumsum(x))


def helper_calling_cumsum(v):
    c = np.cumsum(v * 2.0)  # error
    return c


def calls_cumsum_in_loop(x):
    for _ in range(2):
        x = np.cumsum(x)  # error
    return np.sum(x)


double = functools.partial(np.multiply, 2.0)


def calls_partial(x):
    y = double(x)  # error
    return np.sum(y * y)


NO_RULE_CASES = [
    (calls_cumsum, np.cumsum, "cumsum", (np.ones(3),)),
    (calls_cumsum_method, ("method", "cumsum"), "cumsum", (np.ones(3),)),
    (calls_svd, np.linalg.svd, "svd", (np.eye(3) + 0.1,)),
    (calls_math_erf, math.erf, "erf", (0.3,)),
    (calls_no_rule_in_helper, np.cumsum, "cumsum", (np.ones(3),)),
    (calls_cumsum_in_loop, np.cumsum, "cumsum", (np.ones(3),)),
    (calls_partial, double, "partial", (np.ones(3),)),
]


@pytest.mark.parametrize("func, key, name, args", NO_RULE_CASES,
                         ids=[case[0].__name__ for case in NO_RULE_CASES])
def test_call_without_rule_or_source_is_rejected(func, key, name, args):
    if registry.lookup(key) is not None:
        pytest.skip(f"{name} has a rule now; this case needs a function without one")
    where = helper_calling_cumsum if func is calls_no_rule_in_helper else func
    with pytest.raises(NoRuleError) as info:
        knet.grad(func)(*args)
    assert_points_at(info.value, where)
    assert name in str(info.value)


def test_call_without_rule_is_fine_when_no_gradient_flows():
    def loss(x, y):
        c = np.cumsum(y)
        return np.sum(x * c)
    x, y = np.ones(3), np.array([1.0, 2.0, 3.0])
    assert np.array_equal(knet.grad(loss)(x, y), np.cumsum(y))


# --- non-scalar results ---


def returns_array(x):
    y = x * 2.0
    return y  # error


def returns_expression(x, w):
    return x @ w  # error


def returns_tuple(x):
    return np.sum(x), np.sum(x * x)  # error


def returns_list(x):
    r = [np.sum(x)]
    return r  # error


def returns_array_from_helper(x):
    y = helper_returns_array(x)
    return y  # error


def helper_returns_array(v):
    return v * 2.0


@pytest.mark.parametrize("func, args", [
    (returns_array, (np.ones(3),)),
    (returns_expression, (np.ones((2, 3)), np.ones((3, 2)))),
    (returns_tuple, (np.ones(3),)),
    (returns_list, (np.ones(3),)),
    (returns_array_from_helper, (np.ones(3),)),
], ids=["array", "expression", "tuple", "list", "helper-result"])
def test_non_scalar_return_is_rejected_at_call_time(func, args):
    g = knet.grad(func)  # building is fine: the shape is known only when it runs
    with pytest.raises(NonScalarOutputError) as info:
        g(*args)
    assert_points_at(info.value, func)


def test_size_one_array_return_is_a_scalar():
    def loss(x):
        return np.sum(x * x, keepdims=True)
    g = knet.grad(loss)(np.array([1.0, 2.0]))
    assert np.array_equal(g, np.array([2.0, 4.0]))


# --- unknown wrt ---


def two_params(x, y):
    return np.sum(x * y)


@pytest.mark.parametrize("wrt", [2, -1, "z", (0, 5), (0, "w"), 1.0, True],
                         ids=lambda w: repr(w))
def test_unknown_wrt_names_the_function(wrt):
    with pytest.raises(KnetError) as info:
        knet.grad(two_params, wrt=wrt)
    assert not isinstance(info.value, SourceError) or HERE in str(info.value)
    message = str(info.value)
    assert "two_params" in message
    assert "x" in message and "y" in message, "the error should list the parameters"


def test_repeated_wrt_is_rejected():
    with pytest.raises(KnetError):
        knet.grad(two_params, wrt=(0, "x"))


def test_known_wrt_by_name_and_index_agree():
    x, y = np.arange(3.0), np.ones(3)
    by_name = knet.grad(two_params, wrt="y")(x, y)
    by_index = knet.grad(two_params, wrt=1)(x, y)
    assert np.array_equal(by_name, x) and np.array_equal(by_index, x)


# --- errors raised while the generated code runs name the user's line ---


def bad_shapes(x, w):
    h = np.tanh(x)
    y = h @ w  # error
    return np.sum(y)


def test_runtime_error_names_the_user_line():
    with pytest.raises(ValueError) as info:
        knet.grad(bad_shapes)(np.ones((2, 3)), np.ones((4, 2)))
    text = str(info.value) + "\n" + "\n".join(getattr(info.value, "__notes__", []))
    lineno, code = marked_line(bad_shapes)
    assert HERE in text and re.search(rf"\bline {lineno}\b", text) and code in text, text


def write_through_a_copy_after_use(x, c):
    a = c.copy()
    b = a
    y = x * b
    a[0] = 5.0  # error
    return np.sum(y)


def write_after_a_view_was_used(x, c):
    a = c.copy()
    b = a.reshape(-1)
    y = x * b
    a[0] = 5.0  # the reverse sweep puts the old a[0] back before it reads b
    return np.sum(y * a)


def test_writing_into_a_local_array_after_a_view_was_used_is_differentiated():
    rng = np.random.default_rng(5)
    check_grad(write_after_a_view_was_used, rng.standard_normal(3), rng.standard_normal(3))


def view_used_after_write(x):
    a = np.zeros(3)
    b = a[1:]
    a[1] = x[0] * 2.0
    return np.sum(b * x[1:])  # error


def test_a_view_used_after_a_write_into_its_array_is_refused():
    with pytest.raises(InputMutationError) as info:
        knet.grad(view_used_after_write)(np.ones(3))
    assert_points_at(info.value, view_used_after_write)


@pytest.mark.parametrize("func", [write_through_a_copy_after_use])
def test_writing_into_an_array_an_alias_was_used_through_is_refused(func):
    with pytest.raises(InputMutationError) as info:
        knet.grad(func)(np.ones(3), np.arange(3.0))
    assert_points_at(info.value, func)


def augassign_on_a_view(x):
    y = x * 2
    z = y.reshape(-1)
    z += 1  # error
    return np.sum(y ** 2)


def test_augmented_assignment_on_a_view_is_refused():
    with pytest.raises(InputMutationError, match=re.escape("`z += ...`")):
        knet.grad(augassign_on_a_view)(np.ones(3))


def fill_after_use(w):
    m = np.ones(3)
    y = w * m
    m.fill(5.0)  # error
    return np.sum(y * w)


def out_into_after_use(w):
    m = np.ones(3)
    y = w * m
    np.multiply(m, 5.0, out=m)  # error
    return np.sum(y * w)


def write_through_view_method_after_use(w):
    m = np.ones(3)
    v = m.view()
    y = w * m
    v[0] = 5.0  # error
    return np.sum(y * w)


@pytest.mark.parametrize("func", [fill_after_use, out_into_after_use,
                                  write_through_view_method_after_use])
def test_in_place_changes_after_a_differentiated_use_are_refused(func):
    with pytest.raises(InputMutationError) as info:
        knet.grad(func)(np.array([0.3, -0.7, 1.1]))
    assert_points_at(info.value, func)


def augassign_on_shared_list(w):
    xs = [w]
    ys = xs
    xs += [w * 2]  # error
    return np.sum(np.stack(ys))


def test_augmented_assignment_on_a_shared_list_is_refused():
    with pytest.raises(InputMutationError, match=re.escape("`xs += ...`")):
        knet.grad(augassign_on_shared_list)(np.ones(3))


def test_appending_a_constant_to_a_global_list_is_a_side_effect_kept():
    log = []

    def loss(x):
        log.append(len(x))          # not the function's own list: a plain call, run as written
        return np.sum(x * x)

    grad = knet.grad(loss)
    assert np.allclose(grad(np.ones(3)), 2.0) and log == [3]


def test_out_argument_and_attribute_writes_get_their_own_messages():
    def into_out(x, y):
        np.exp(x, out=y)
        return np.sum(y)

    with pytest.raises(InputMutationError, match="`out=` writes a differentiated result"):
        knet.grad(into_out)(np.ones(2), np.ones(2))
    with pytest.raises(InputMutationError, match=r"setting an attribute \(`config.scale = ...`\)"):
        knet.grad(writes_attribute)(np.ones(3), Config())
