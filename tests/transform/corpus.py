"""Small plain functions for the transformer: what knet.grad must differentiate now.

Each function returns a scalar. Inputs and the differentiated arguments for each
function are in test_corpus.py; this module holds only the code under test, so
that it reads like the user code knet_ast is written for (after google/tangent's
tests/functions.py).
"""
import functools

import numpy as np

import knet_ast as knet

# --- straight-line code: assignment and unpacking ---


def assign_chain(x):
    y = x * 2.0
    z = y + x
    return np.sum(z * z)


def assign_reuse(x):
    y = x
    y = y * x
    y = y * x
    return np.sum(y)


def unpack_parallel(x, y):
    a, b = x, y
    return np.sum(a * b + a)


def unpack_swap(x, y):
    a, b = x, y
    a, b = b, a * 2.0
    return np.sum(a * a - b)


def unpack_pair(x):
    pair = (x, x * 3.0)
    a, b = pair
    return np.sum(a * b)


def unpack_nested_parallel(x, y):
    a, (b, c) = x, (y, x * y)
    return np.sum(a * b * c)


def unpack_nested_value(x, y):
    nested = (x, (y, x * y))
    a, (b, c) = nested
    return np.sum(a + b * c)


def unpack_list_target(x, y):
    [a, b] = [x * y, y]
    return np.sum(a / b)


def chained_assignment(x):
    a = b = x * 3.0
    return np.sum(a * b)


# --- straight-line code: augmented assignment ---


def augassign_add_sub(x, y):
    s = x + 0.0
    s += y
    s -= 0.5 * x
    return np.sum(s * s)


def augassign_mul_div(x, y):
    s = x * 1.0
    s *= y
    s /= y * y + 1.0
    return np.sum(s)


def augassign_pow(x):
    s = x + 0.0
    s **= 3
    return np.sum(s)


def augassign_matmul(x, w):
    h = x * 1.0
    h @= w
    return np.sum(h * h)


def augassign_name_only(x):
    n = 2
    n += 1
    s = 0.5
    s *= 3.0
    return np.sum(x * n * s)


def augassign_pow_array(x, p):
    s = x * 1.0
    s **= p
    return np.sum(s)


def augassign_div_broadcast(x, b):
    s = x * 1.0
    s /= b
    return np.sum(s * s)


def augassign_accumulate(x, y):
    total = 0.0
    total += np.sum(x * y)
    total += np.sum(x)
    return total


# --- straight-line code: operators ---


def op_add(x, y):
    return np.sum(x + y)


def op_sub(x, y):
    return np.sum(x - y * y)


def op_mul(x, y):
    return np.sum(x * y)


def op_div(x, y):
    return np.sum(x / y)


def op_matmul(x, w):
    return np.sum(np.tanh(x @ w))


def op_matvec(x, v):
    return np.sum(x @ v)


def op_vecvec(u, v):
    return u @ v


def op_neg(x):
    return np.sum(-x * x)


def op_pos(x):
    return np.sum(+x * x)


def op_broadcast(x, b):
    return np.sum((x + b) * (x - b))


def op_scalar_mix(x):
    return np.sum(2.0 * x - x / 3.0 + 1.0)


def op_all(x, y, w):
    h = (x + y) * (x - y) / (y * y + 1.0)
    return np.sum(-(h @ w) ** 2)


def pow_scalar_exponent(x):
    return np.sum(x ** 3 + x ** 0.5)


def pow_array_exponent(x, p):
    return np.sum(x ** p)


def pow_int_negative_base(x, n):
    return np.sum(x ** n)


def pow_scalar_base(x):
    return np.sum(2.0 ** x)


def floordiv_zero_grad(x):
    return np.sum(x // 0.7 + x)


def floordiv_times(x):
    return np.sum((x // 0.5) * x)


def mod_identity_grad(x):
    return np.sum(x % 1.5)


def mod_both(x, y):
    return np.sum(x % y)


def builtin_abs(x):
    return np.sum(abs(x) + np.abs(x) * 2.0)


def builtin_float(x):
    return float(np.sum(x * x))


def mixed_int_float(a):
    b = a * 2
    c = 1 / (b + 3)
    return c ** 2


def compare_mask(x):
    mask = x > 0
    return np.sum(x * mask)


def compare_chain(x, lo):
    inside = (x > lo) & (x < 1.0)
    return np.sum(x * x * inside)


def boolop_values(x, n):
    flag = n > 2 and not n > 10
    other = n < 0 or n == 5
    scale = 2.0 if flag else 1.0
    shift = 3.0 if other else 0.0
    return np.sum(x * scale + shift)


# --- attributes and array methods ---


def attr_T(x, y):
    return np.sum(x.T @ y)


def attr_shape(x):
    n, m = x.shape
    return np.sum(x * x) / (n * m)


def attr_ndim(x):
    return np.sum(x) * x.ndim


def method_sum_axis(x):
    s = x.sum(axis=0)
    return np.sum(s * s)


def method_sum_keepdims(x):
    s = x.sum(axis=1, keepdims=True)
    return np.sum(x * s)


def method_mean(x):
    return (x * x).mean()


def method_reshape(x):
    r = x.reshape(4, 3)
    return np.sum(r[0] * r[1])


def method_reshape_tuple(x):
    r = x.reshape((2, -1))
    return np.sum(r[1] ** 2)


def method_transpose(x, y):
    return np.sum(x.transpose() @ y)


def method_transpose_axes(x):
    t = x.transpose(1, 0, 2)
    return np.sum(t[0] * t[1])


def method_dot(x, y):
    return np.sum(x.dot(y) ** 2)


def method_astype(x):
    return np.sum(x.astype(np.float64) * x)


def method_max(x):
    return x.max() + np.sum(x)


def method_max_axis(x):
    return np.sum(x.max(axis=1) ** 2)


def method_item(x):
    return (x * x).sum().item() + x[0].item()


def method_sum_positional_axis(x):
    return np.sum(np.sum(x, 0) ** 2) + np.sum(x.sum(1) ** 2)


def method_transpose_tuple(x):
    return np.sum(x.transpose((2, 0, 1))[0] ** 2)


def attr_T_vector(x):
    return np.sum(x.T * x)


def attr_shape_reshape(x):
    n = x.shape[0]
    return np.sum(x.reshape(n, -1).T ** 2)


def func_max(x):
    return np.max(x) + np.sum(np.max(x, axis=0))


def func_mean_axes(x):
    return np.sum(np.mean(x, axis=(0, 1)) ** 2)


def func_dot(x, y):
    return np.sum(np.dot(x, y))


def method_chain(x):
    return x.T.reshape(-1).sum()


# --- subscripts: lists, tuples, dicts ---


def list_index(w):
    return np.sum(w[0] * w[1]) + np.sum(w[-1])


def list_slice(w):
    pair = w[1:3]
    return np.sum(pair[0] * pair[1])


def list_slice_step(w):
    every_other = w[::2]
    return np.sum(every_other[0] + every_other[1] * every_other[1])


def tuple_index(t):
    return np.sum(t[0] * t[-1])


def dict_index(d):
    return np.sum(d["w"] * d["b"])


def list_of_floats(w):
    return w[0] * w[1] + w[2]


def nested_lists(w):
    return np.sum(w[0][0] * w[1][1]) + w[1][0]


def dict_variable_key(x, y, key):
    d = {key: x, "other": y}
    return np.sum(d[key] * d["other"])


def unpack_array_rows(x):
    a, b = x
    return np.sum(a * b)


def nested_index(p):
    return np.sum(p["layers"][0] * p["layers"][1][1]) + p["scale"]


# --- subscripts: arrays ---


def array_int(x):
    return np.sum(x[1] * x[-1])


def array_scalar_entry(x):
    return x[0, 1] * x[2, 0]


def array_slice(x):
    return np.sum(x[1:4] ** 2)


def array_slice_step(x):
    return np.sum(x[::2] * x[1::2])


def array_slice_reverse(x):
    return np.sum(x[::-1] * np.arange(len(x)))


def array_newaxis(x):
    outer = x[:, None] * x[None, :]
    return np.sum(outer)


def array_ellipsis(x):
    return np.sum(x[..., 0] * x[..., -1])


def array_column(x):
    return np.sum(x[:, 0] * x[:, 2])


def array_mixed_slice(x):
    return np.sum(x[1:, ::2] ** 2)


def array_repeated_index(x):
    idx = np.array([0, 2, 2, 1, 0, 2])
    return np.sum(x[idx] ** 2)


def array_index_argument(x, idx):
    return np.sum(x[idx] * x[idx])


def array_repeated_rows(x, rows):
    return np.sum(x[rows, 1] ** 3)


def array_index_list(x):
    return np.sum(x[[0, 0, 1]] * 2.0)


def array_bool_mask(x):
    return np.sum(x[x > 0] ** 2)


def array_mask_argument(x, mask):
    return np.sum(np.tanh(x[mask]))


def array_slice_from_arguments(x, start, stop):
    return np.sum(x[start:stop] ** 2)


def array_negative_step_bounds(x):
    return np.sum(x[4:0:-2] * x[:2])


def array_write_into_constant(x):
    m = np.zeros(len(x))
    m[1] = 2.0
    m[2:] = 0.5
    return np.sum(x * m)


def array_index_with_loop_var(x):
    s = 0.0
    for i in range(1, 4):
        s = s + x[i - 1] * x[i]
    return np.sum(s)


# --- literals built from differentiated values ---


def list_literal(x, y):
    items = [x, y, x * y]
    return np.sum(items[0] + items[2] * items[1])


def tuple_literal(x, y):
    items = (x * 2.0, y)
    return np.sum(items[0] * items[1])


def dict_literal(x, y):
    d = {"a": x, "b": y * y}
    return np.sum(d["a"] * d["b"])


def nested_literal(x, y):
    tree = {"pair": (x, y), "list": [x * y]}
    return np.sum(tree["pair"][1] * tree["list"][0])


def sum_of_list(x, y):
    return np.sum([np.sum(x), np.sum(y * y)])


def literal_next_to_builtin_list(x):
    a = np.sum([x, x * 2.0])
    n = len(list(range(3)))
    return a * n


def literal_to_helper(x, y):
    return sum_squares([x, y, x + y])


# --- calls: arguments and module-level helpers ---


def square(x):
    return x * x


def sum_squares(items):
    total = 0.0
    for i in range(len(items)):
        total = total + np.sum(items[i] * items[i])
    return total


def affine(x, w, b):
    return x @ w + b


def layer(x, w, b):
    return np.tanh(affine(x, w, b))


def scaled(x, factor=2.0):
    return x * factor


def split_halves(x):
    return x[:2], x[2:]


def predict(w, x):
    for i in range(0, len(w) - 2, 2):
        x = knet.relu(x @ w[i] + w[i + 1])
    return x @ w[-2] + w[-1]


def mul(a, b):
    return a * b


def ignore_first(a, b):
    return b * 2.0


def make_dict(x, y):
    return {"p": x * y, "q": y}


def power_rec(x, n):
    if n == 0:
        r = x * 0.0 + 1.0
    else:
        r = x * power_rec(x, n - 1)
    return r


def kwonly(x, *, scale=1.0):
    return x * scale


def rebinds_parameter(v, n):
    for _ in range(n):
        v = np.tanh(v) * 1.1
    return v


def branchy(v, flag):
    if flag:
        r = v * v
    else:
        r = np.sin(v)
    return r


def uses_dict(p, x):
    return np.tanh(x @ p["w"] + p["b"])


def call_keyword(x):
    return np.sum(x, axis=None) + np.sum(np.sum(x, axis=0) ** 2)


def call_keyword_only_default(x):
    return np.sum(np.mean(x, axis=1, keepdims=True) * x)


def call_literal_argument(x):
    return np.sum(np.maximum(x, 0.1) + np.power(x, 2))


def call_helper(x):
    return np.sum(square(x))


def call_helper_twice(x, y):
    return np.sum(square(x) + square(y * x))


def call_helper_chain(x, w, b):
    h = layer(x, w, b)
    return np.sum(h * h)


def call_helper_tuple(x):
    a, b = split_halves(x)
    return np.sum(a * a) + np.sum(b)


def call_helper_default(x):
    return np.sum(scaled(x) + scaled(x, 0.5) + scaled(x, factor=3.0))


def call_helper_keyword_args(x, w, b):
    return np.sum(affine(b=b, w=w, x=x))


def call_helper_list(x, y):
    return sum_squares([x, y])


def call_helper_nested_lists(w, x):
    return np.sum(predict(w, x) ** 2)


def call_helper_same_arg_twice(x):
    return np.sum(mul(x, x))


def call_helper_ignores_argument(x, y):
    return np.sum(ignore_first(x, y) * y)


def call_helper_returns_dict(x, y):
    d = make_dict(x, y)
    return np.sum(d["p"] + d["q"])


def call_recursive_helper(x):
    return np.sum(power_rec(x, 3))


def call_helper_keyword_only(x):
    return np.sum(kwonly(x, scale=3.0) * x)


def call_helper_tuple_first_only(x):
    a, b = split_halves(x)
    return np.sum(a * a)


def call_helper_in_branch(x, flag):
    if flag:
        y = branchy(x, flag)
    else:
        y = branchy(x * 2.0, flag)
    return np.sum(y)


def call_helper_dict(p, x):
    return np.sum(uses_dict(p, x) ** 2)


def call_knet_loss(w, x, labels):
    return knet.nll(predict(w, x), labels)


# --- differentiated arguments of every kind ---


def arg_float(a):
    return a * a + 3.0 * a


def arg_float_with_array(a, x):
    return np.sum(np.tanh(a * x))


def arg_zero_dim(a):
    return a * np.exp(a)


def arg_float_identity(a):
    return a


def arg_unused_constant_loss(x):
    return 3.0


def arg_only_nondiff_paths(x):
    return float(np.argmax(x)) + np.sum(np.sign(x))


def arg_list_unused(w):
    return np.sum(w[0] * w[2])


def arg_tuple(t):
    a, b = t
    return np.sum(a * b)


def arg_tuple_unused(t):
    return np.sum(t[1] ** 2)


def arg_dict_unused(p):
    return np.sum(p["w"] ** 2)


def arg_nested(p):
    layers = p["layers"]
    first = layers[0]
    return np.sum(first[0] * first[1]) + np.sum(p["bias"]) * p["scale"]


def arg_not_differentiated_used(x, y):
    return np.sum(x * y)


# --- for loops over range ---


def loop_range_stop(x):
    s = x
    for _ in range(3):
        s = np.sin(s) + x
    return np.sum(s)


def loop_range_start_stop_step(x):
    s = x * 0.0
    for i in range(1, 8, 3):
        s = s + x * i
    return np.sum(s * s)


def loop_trip_count_argument(x, n):
    h = x
    for _i in range(n):
        h = np.tanh(h * 1.5)
    return np.sum(h)


def loop_zero_trips(x, n):
    h = x * 2.0
    for _i in range(n):
        h = h * x
    return np.sum(h)


def loop_nested(x, w):
    h = x
    for _i in range(2):
        for j in range(3):
            h = np.tanh(h @ w) + h * j
    return np.sum(h)


def loop_nested_plain(x, w):
    h = x
    for _i in range(2):
        for _ in range(3):
            h = np.tanh(h @ w) + h
    return np.sum(h)


def loop_nested_inner_range(x):
    s = x * 0.0
    for i in range(3):
        for _j in range(i, 3):
            s = s + x * (i + 1)
    return np.sum(s * s)


def loop_carried_pair(x, y):
    a, b = x, y
    for _ in range(4):
        a, b = b, a * b * 0.5
    return np.sum(a + b)


def loop_accumulate(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * x[i]
    return total


def loop_over_list_params(w, x):
    h = x
    for i in range(len(w)):
        h = np.tanh(h @ w[i])
    return np.sum(h)


def loop_tuple_argument(t, n):
    a, b = t
    for _i in range(n):
        a = a * b
    return np.sum(a)


def loop_var_shadows_argument(x, i):
    for i in range(3):
        x = x * (i + 1.0)
    return np.sum(x)


def loop_reassigns_argument(x):
    x = x * 2.0
    x = np.sin(x)
    return np.sum(x)


def loop_defines_value_used_after(x):
    last = x
    for i in range(3):
        h = np.sin(x * (i + 1.0))
        last = h * x
    return np.sum(last)


def loop_reads_list_entry_repeatedly(w):
    s = 0.0
    for i in range(3):
        s = s + np.sum(w[0] * w[1]) * i
    return s


def loop_calls_helper_with_index(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(scaled(x, i + 1.0))
    return s


def loop_calls_helper_with_loop(x):
    h = x
    for i in range(3):
        h = rebinds_parameter(h, i + 1)
    return np.sum(h)


def loop_calls_helper(x):
    h = x
    for _ in range(3):
        h = square(h) * 0.5
    return np.sum(h)


def loop_calls_helper_params(w, x):
    h = x
    for i in range(0, len(w), 2):
        h = layer(h, w[i], w[i + 1])
    return np.sum(h * h)


# --- if/elif/else and conditional expressions ---


def branch_on_data(x):
    if np.sum(x) > 0:
        y = x * x
    else:
        y = -x
    return np.sum(y)


def branch_on_argument(x, mode):
    if mode == "square":
        y = x * x
    elif mode == "cube":
        y = x * x * x
    else:
        y = np.exp(x)
    return np.sum(y)


def branch_without_else(x, flag):
    y = x
    if flag:
        y = y * 3.0
    return np.sum(y * x)


def branch_one_side_uses(x, y, flag):
    if flag:
        z = x * y
    else:
        z = y * 2.0
    return np.sum(z)


def branch_in_loop(x):
    h = x
    for i in range(4):
        if i % 2 == 0:
            h = h * x
        else:
            h = np.sin(h)
    return np.sum(h)


def branch_on_data_in_loop(x):
    h = x
    for _i in range(3):
        if np.sum(h) > 0:
            h = h * 0.5 - 1.0
        else:
            h = h * h
    return np.sum(h)


def branch_defines_only_on_one_side(x, flag):
    if flag:
        y = x * 2.0
        z = y * y
    else:
        z = x
    return np.sum(z)


def branch_assigns_in_loop(x):
    acc = x * 0.0
    for i in range(4):
        if i % 2 == 0:
            t = x * i
        else:
            t = np.cos(x)
        acc = acc + t
    return np.sum(acc * acc)


def branch_bool_and_elif(x, flag):
    if np.sum(x) > 0 and flag:
        y = x * x
    elif np.sum(x) > -100:
        y = x * 2.0
    else:
        y = x
    return np.sum(y)


def branch_chained_comparison(x, a):
    if 0.0 < a < 1.0:
        y = x * a
    else:
        y = x
    return np.sum(y)


def branch_nested(x, a):
    if a > 0:
        if a > 1:
            y = x * a
        else:
            y = x + a
    else:
        y = x - a * a
    return np.sum(y * y)


def ifexp_on_argument(x, flag):
    y = x * 2.0 if flag else x * x
    return np.sum(y)


def ifexp_on_data(x):
    y = np.tanh(x) if np.sum(x) > 0 else np.sin(x)
    return np.sum(y)


def ifexp_nested(x, a, b):
    y = x if a else (x * x if b else x * 3.0)
    return np.sum(y)


def ifexp_inline(x, y, flag):
    return np.sum(x * (y if flag else 2.0))


# --- what the error messages suggest instead of writing into a differentiated value ---


def instead_of_setitem_where(x):
    y = np.where(np.arange(len(x)) == 0, 1.0, x)
    return np.sum(y * y)


def instead_of_setitem_concatenate(x):
    y = np.concatenate([x[:1], x[1:] * 2.0])
    return np.sum(y * y)


def instead_of_setitem_stack(x):
    rows = [x * 2.0, x]
    y = np.stack(rows)
    return np.sum(y * y)


def instead_of_append_concat(w):
    w = w + [w[0] * 2.0]
    return np.sum(w[-1] * w[0])


def instead_of_append_in_loop(x):
    hs = [x]
    for i in range(3):
        hs = hs + [np.sin(hs[i])]
    return np.sum(hs[0] * hs[3])


# --- decorated functions ---


def doubled(f):
    @functools.wraps(f)
    def wrapper(x):
        return 2.0 * f(x)
    return wrapper


def identity_decorator(f):
    return f


@identity_decorator
def decorated_identity(x):
    return np.sum(np.sin(x))


@doubled
def decorated_wraps(x):
    return np.sum(x * x)


class Model:
    def loss(w, x):
        return np.sum(np.tanh(x @ w))


# --- regressions found by adversarial testing ---


def loop_counter_inside_branch(w):
    count = 0
    s = 0.0
    for i in range(3):
        if w[i] > -10:
            count = count + 1
            s = s + w[i] * count
    return s


def loop_scale_decays_under_branch(w):
    scale = 1.0
    s = 0.0
    for i in range(4):
        if i > 0:
            scale = scale * 0.5
        s = s + w[i] * scale
    return s


def loop_target_reused_after_empty_loop(x, n):
    s = 0.0
    for i in range(n):
        s = s + x[i]
    for i in range(3):
        s = s * x[i] + x[i]
    return s


def loop_value_first_assigned_in_branch(w):
    s = 0.0
    for i in range(3):
        if i == 0:
            h = w * 2
        else:
            h = h * w
        s = s + np.sum(h)
    return s


def stack_same_list_twice(ws):
    return np.sum(np.stack(ws) ** 2) + np.sum(np.stack(ws))


def or_returns_an_operand(s):
    z = s or 1.0
    return z * z


def and_returns_an_operand(s, t):
    z = s and t
    return z * z


def cast_to_int_has_no_gradient(x):
    return np.sum(x.astype(int) * x)


def boolean_times_one_stays_a_number(x):
    level = (x > 0) * 1.0 + (x > 1) * 1.0
    return np.sum(level * x ** 2)


def transpose_negative_axes(x):
    return np.sum(np.transpose(x, (-1, 0, 1)) * np.arange(24.0).reshape(4, 2, 3))


def loop_body_only_pass(x):
    for i in range(2):
        pass
    return np.sum(x * x)


# --- user names that clash with names of generated code ---


def seed_gradient(v):  # also the name of a runtime helper
    return v


def sq(v):
    return v * v


def sq_fwd(v):  # also the name knet_ast gives sq's forward function
    return v + 1.0


def grad_clash_global(x):
    return np.sum(x) * seed_gradient(2.0)


def clash_locals(x):
    unbroadcast = x * 2.0
    slice = x[0:2]
    _tape = 3.0
    dx = np.sum(unbroadcast * slice[0]) * _tape
    for i in range(2):
        dx = dx + np.sum(sq(x)) * sq_fwd(1.0)
    return dx


def positional_only(x, y, /):
    return x * y


def calls_positional_only_helper(x):
    return np.sum(positional_only(x, x))


def builtin_names_as_locals(x):
    range = 3
    len = 2.0
    return np.sum(x[0:2] * len) + range
