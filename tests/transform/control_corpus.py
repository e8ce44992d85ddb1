"""Plain user code with control flow: loops, while, branches, break/continue/return,
recursion, closures, lists built in loops and writes into local arrays.

Each top-level function that is not a helper returns a scalar loss. Inputs and
the differentiated arguments are in test_control.py; this module holds only the
code under test, written the way a user would write it (Knet's examples, the
LSTM from the Knet slides, the RNN from the issue).
"""
import numpy as np

# --- helpers (module level: called, recursed into, or passed around) ---


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def ping(x, n):
    if n == 0:
        return x
    return pong(np.sin(x), n - 1)


def pong(x, n):
    if n == 0:
        return 2.0 * x
    return ping(x * 1.1 + 0.1, n - 1)


def shrink(x, depth):
    if np.sum(x * x) < 1.0:
        return x
    if depth == 0:
        return x * 0.5
    return shrink(x * 0.7, depth - 1)


def tree_product(ws, lo, hi):
    if hi - lo == 1:
        return np.sum(ws[lo] ** 2)
    mid = (lo + hi) // 2
    return tree_product(ws, lo, mid) * tree_product(ws, mid, hi)


def chain_layers(h, ws, i):
    if i == len(ws):
        return h
    return chain_layers(np.tanh(h @ ws[i]), ws, i + 1)


def apply(fn, x):
    return fn(x)


def repeat(fn, x, n):
    for _ in range(n):
        x = fn(x)
    return x


def make_scale(c):
    def scale(x):
        return c * x
    return scale


def make_affine(a, b):
    return lambda v: a * v + b


scale3 = make_scale(3.0)
affine_half = make_affine(0.5, np.array([1.0, -2.0, 0.25]))


def sigm(x):
    return 1 / (1 + np.exp(-x))


def lstm(weight, bias, hidden, cell, input):
    gates = np.concatenate([input, hidden], axis=1) @ weight + bias
    h = hidden.shape[1]
    forget = sigm(gates[:, 0:h])
    ingate = sigm(gates[:, h:2 * h])
    outgate = sigm(gates[:, 2 * h:3 * h])
    change = np.tanh(gates[:, 3 * h:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return hidden, cell


# --- for over range(a, b, step) ---


def range_args(x, a, b, step):
    s = 0.0
    for i in range(a, b, step):
        s = s + np.sum(x[i] * x)
    return s


def range_negative_step(x):
    h = 0.0
    for i in range(len(x) - 1, -1, -1):
        h = np.tanh(h * 0.5 + x[i])
    return h * h


def range_negative_step_args(x, start, stop, step):
    s = 0.0
    for i in range(start, stop, step):
        s = s * 0.5 + np.sin(x[i]) * i
    return s


def range_from_shape(x, w):
    h = np.zeros(w.shape[1])
    for t in range(int(x.shape[0])):
        h = np.tanh(x[t] @ w + h)
    return np.sum(h ** 2)


def range_step_from_data(x):
    flat = x.reshape(-1)
    s = 0.0
    for i in range(0, flat.shape[0], x.shape[1]):
        s = s + np.sum(flat[i:i + 2] ** 2) * (i + 1)
    return s


def range_reversed_from_shape(x):
    n = int(x.shape[0])
    s = 0.0
    for i in range(n - 1, 0, -2):
        s = s + np.exp(x[i]) * x[i - 1]
    return s


def range_reversed_builtin(x):
    h = 0.0
    for i in reversed(range(len(x))):
        h = np.sin(h + x[i] * (i + 1))
    return h


# --- for over containers ---


def for_over_list(ws, x):
    h = x
    for w in ws:
        h = np.tanh(h @ w)
    return np.sum(h ** 2)


def for_over_tuple(t):
    s = 0.0
    for v in t:
        s = s + np.sum(np.sin(v) * v)
    return s


def for_over_literal_list(x, y):
    s = 0.0
    for v in [x, y, x * y]:
        s = s + np.sum(v * v)
    return s


def for_zip(ws, bs, x):
    h = x
    for w, b in zip(ws, bs):
        h = np.tanh(h @ w + b)
    return np.sum(h)


def for_zip_rows(X, ws):
    s = 0.0
    for row, w in zip(X, ws):
        s = s + np.sum(np.tanh(row @ w))
    return s


def for_enumerate(ws, x):
    h = x
    for i, w in enumerate(ws):
        h = h + (i + 1.0) * np.tanh(h @ w)
    return np.sum(h * h)


def for_enumerate_start(xs):
    s = 0.0
    for i, v in enumerate(xs, start=1):
        s = s + np.sum(v ** 2) / i
    return s


def for_reversed_list(ws, x):
    h = x
    for w in reversed(ws):
        h = np.tanh(h @ w)
    return np.sum(h)


def for_rows(X, w):
    s = 0.0
    for row in X:
        s = s + np.tanh(row @ w)
    return s


def for_rows_enumerate(X):
    s = 0.0
    for i, row in enumerate(X):
        s = s + (i + 1) * np.sum(row ** 2)
    return s


def for_elements(x):
    s = 0.0
    for v in x:
        s = s + np.exp(v) * v
    return s


def for_dict_keys(d):
    s = 0.0
    for k in d:
        s = s + np.sum(d[k] ** 2) * len(k)
    return s


def for_dict_items(d, x):
    h = x
    for name, w in d.items():
        h = np.tanh(h @ w)
    return np.sum(h ** 2)


def for_dict_values(d):
    s = 0.0
    for v in d.values():
        s = s + np.sum(np.exp(v))
    return s


def for_key_tuple(p, x):
    h = x
    for k in ("w1", "w2", "w1"):
        h = np.sin(h @ p[k])
    return np.sum(h)


def for_nested_lists(ws, xs):
    s = 0.0
    for w in ws:
        for x in xs:
            s = s + np.sum(np.tanh(x @ w))
    return s


def for_nested_range_and_list(ws, x, n):
    h = x
    for i in range(n):
        for w in ws:
            h = np.tanh(h @ w) + h * 0.1 * i
    return np.sum(h)


def loop_var_after_loop(x):
    for i in range(4):
        h = x * (i + 1.0)
    return np.sum(h * x) * i


def loop_element_after_loop(ws, x):
    h = x
    for w in ws:
        h = h @ w
    return np.sum(h) + np.sum(w ** 2)


# --- while ---


def while_data(x):
    while np.sum(x * x) < 100:
        x = x * 1.5
    return np.sum(x)


def while_counter(x):
    i = 0
    while i < 5:
        x = np.sin(x) + x * 0.5
        i = i + 1
    return np.sum(x)


def while_counter_and_data(x):
    h = x
    i = 0
    while i < 10 and np.max(np.abs(h)) < 5.0:
        h = h * 1.3 + 0.1
        i += 1
    return np.sum(h) * i


def while_halving(x):
    s = np.sum(x * x)
    n = 0
    while s > 1.0:
        s = s / 2.0
        n += 1
    return s * (n + 1)


def while_over_list(ws, x):
    h = x
    i = 0
    while i < len(ws):
        h = np.tanh(h @ ws[i])
        i += 1
    return np.sum(h ** 2)


def while_in_for(x):
    s = 0.0
    for i in range(len(x)):
        v = x[i]
        while abs(v) < 4.0:
            v = v * 2.0
        s = s + v
    return s


def while_nested(x):
    i = 0
    h = x
    while i < 3:
        j = 0
        while j < i + 1:
            h = np.sin(h) + x
            j += 1
        i += 1
    return np.sum(h)


def while_true_break(x):
    while True:
        x = x * 1.5
        if np.sum(x * x) > 50.0:
            break
    return np.sum(x)


# --- if / elif / else ---


def if_elif_else_data(x):
    a = np.sum(x)
    if a > 1.0:
        y = x * x
    elif a < -1.0:
        y = np.exp(x)
    else:
        y = np.sin(x) * 3.0
    return np.sum(y)


def if_and_or_not(x, y):
    a = np.sum(x)
    b = np.sum(y)
    if a > 0 and not b > 1.0:
        z = x * y
    elif a < 0 or b > 2.0:
        z = x + y * y
    else:
        z = x - y
    return np.sum(z ** 2)


def if_nested_data(x, y):
    if np.sum(x) > 0:
        if np.sum(y) > 0:
            z = x * y
        else:
            z = x - y
    else:
        if np.max(y) > 1.0:
            z = np.tanh(x + y)
        else:
            z = x * 2.0
    return np.sum(z)


def if_float_argument(a, x):
    if a > 0.5:
        y = x * a
    else:
        y = x + a * a
    return np.sum(y * y)


def ifexp_data(x):
    y = np.exp(x) if np.sum(x) > 0 else np.sin(x)
    z = y * 2.0 if np.max(y) > 1.0 else y
    return np.sum(z)


def ifexp_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        s = s + (x[i] ** 2 if x[i] > 0 else -x[i])
    return s


def branch_per_element(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.5:
            s = s + x[i] ** 2
        elif x[i] > -0.5:
            s = s + np.sin(x[i])
        else:
            s = s - x[i] * 3.0
    return s


def branch_per_row(X, w):
    s = 0.0
    for row in X:
        v = row @ w
        if v > 0:
            s = s + v * v
        else:
            s = s + np.exp(v)
    return s


# --- break and continue ---


def for_break(x):
    h = x
    for i in range(10):
        h = np.tanh(h * 1.2 + 0.3)
        if i >= 3:
            break
    return np.sum(h)


def for_break_on_data(x):
    h = x
    for _ in range(20):
        h = h * 1.3
        if np.sum(h * h) > 40.0:
            break
    return np.sum(h)


def for_list_break(ws, x):
    h = x
    for w in ws:
        h = np.tanh(h @ w) * 3.0
        if np.sum(h) > 0.0:
            break
    return np.sum(h ** 2) + np.sum(w)


def for_continue(x):
    s = 0.0
    for i in range(6):
        if i % 2 == 1:
            continue
        s = s + np.sum(x ** i)
    return s


def for_continue_on_data(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0:
            continue
        s = s + x[i] ** 3
    return s


def while_break(x):
    i = 0
    h = x
    while i < 100:
        h = np.sin(h) * 2.0
        i += 1
        if i == 4:
            break
    return np.sum(h)


def while_continue(x):
    i = 0
    h = x
    while i < 6:
        i += 1
        if i == 3:
            continue
        h = h * np.cos(h) + x
    return np.sum(h)


def nested_break(x):
    s = 0.0
    for i in range(3):
        for j in range(5):
            if j > i:
                break
            s = s + x[i] * x[j]
    return s


def break_in_nested_if(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0:
            if x[i] > 1.5:
                break
            s = s + x[i] ** 2
        else:
            s = s + np.exp(x[i])
    return s


def break_and_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < -1.0:
            continue
        if s > 3.0:
            break
        s = s + np.exp(x[i])
    return s


# --- return inside loops and branches ---


def return_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 1.0:
            return x[i] * s
        s = s + x[i]
    return s


def return_in_branch(x):
    if np.sum(x) > 0:
        return np.sum(x ** 2)
    return np.sum(np.exp(x))


def return_in_elif(x, mode):
    if mode == "square":
        return np.sum(x * x)
    elif mode == "sin":
        return np.sum(np.sin(x))
    else:
        y = x * 3.0
    return np.sum(y * x)


def return_in_nested_loop(x):
    s = 0.0
    for i in range(len(x)):
        for j in range(len(x)):
            s = s + x[i] * x[j]
            if s > 4.0:
                return s * 2.0
    return s


def return_in_while(x):
    h = x
    i = 0
    while i < 10:
        h = h * 1.4
        if np.max(h) > 3.0:
            return np.sum(h * x)
        i += 1
    return np.sum(h)


def return_in_list_loop(ws, x):
    h = x
    for w in ws:
        h = np.tanh(h @ w)
        if np.sum(h) < 0.0:
            return np.sum(h)
    return np.sum(h ** 2)


# --- recursion ---


def recursive_power_array(x, n):
    return np.sum(power(x, n))


def mutual_recursion(x, n):
    return np.sum(ping(x, n) ** 2)


def recursion_early_return(x, depth):
    return np.sum(shrink(x, depth) ** 2)


def recursion_binary(ws):
    return tree_product(ws, 0, len(ws))


def recursion_over_list(ws, x):
    return np.sum(chain_layers(x, ws, 0) ** 2)


# --- closures and lambdas ---


def closure_layer(w, x):
    def layer(h):
        return np.tanh(h @ w)
    h = layer(x)
    h = layer(h)
    h = layer(h)
    return np.sum(h ** 2)


def closure_two_outer(w, b, x):
    def step(h):
        return np.tanh(h @ w + b)
    h = x
    for _ in range(3):
        h = step(h)
    return np.sum(h)


def closure_with_default(x):
    def scale(v, factor=2.0):
        return v * factor * x
    return np.sum(scale(x) + scale(x, 0.5) + scale(x, factor=-1.0))


def closure_default_from_argument(x, b):
    def add(v, c=b):
        return v + c
    return np.sum(add(x) ** 2 + add(x, 1.0))


def closure_calls_closure(w, x):
    def inner(h):
        return h @ w
    def outer(h):
        return np.sin(inner(h)) + inner(h) * 0.5
    return np.sum(outer(outer(x)))


def closure_sees_rebinding(x):
    def g(v):
        return v * s
    s = x * 2.0
    a = g(x)
    s = x * 3.0
    b = g(x)
    return np.sum(a * b)


def lambda_named(w, x):
    f = lambda v: np.tanh(v @ w)
    return np.sum(f(f(x)))


def lambda_two_args(x, y):
    mul = lambda a, b: a * b + a
    return np.sum(mul(x, y) * mul(y, x))


def lambda_in_loop(x):
    h = x
    for i in range(3):
        f = lambda v: np.sin(v) * (i + 1.0)  # noqa: B023  (called in the same iteration)
        h = f(h)
    return np.sum(h)


def lambda_to_helper(x):
    return np.sum(apply(lambda v: np.sin(v) * v, x))


def lambda_to_helper_reads_argument(w, x):
    return np.sum(apply(lambda v: np.tanh(v @ w), x) ** 2)


def closure_to_helper_loop(w, x):
    def step(h):
        return np.tanh(h @ w) + 0.5 * h
    return np.sum(repeat(step, x, 3) ** 2)


def closure_recursive(x, w):
    def power_times(v, n):
        if n == 0:
            return v * 0.0 + 1.0
        return v * w * power_times(v, n - 1)
    return np.sum(power_times(x, 3))


def closure_in_list_is_not_followed(x):
    fs = [lambda v: v * 2.0, lambda v: v * 3.0]
    return np.sum(fs[0](x))


def factory_closure(x):
    return np.sum(scale3(x) * x)


def factory_lambda(x):
    return np.sum(affine_half(x) ** 2)


# --- lists built in loops, comprehensions, generator expressions ---


def list_append_sum(x):
    xs = []
    for i in range(4):
        xs.append(np.sum(np.sin(x * (i + 1))))
    return sum(xs)


def list_append_stack(w, x):
    hs = []
    h = x
    for _ in range(3):
        h = np.tanh(h @ w)
        hs.append(h)
    return np.sum(np.stack(hs) ** 2)


def list_append_last_and_index(x):
    xs = [x]
    for i in range(3):
        xs.append(np.sin(xs[i]) * 2.0)
    return np.sum(xs[-1] * xs[1])


def list_append_in_while(x):
    hs = []
    h = x
    while np.sum(h * h) < 30.0:
        h = h * 1.7
        hs.append(np.sum(h))
    return sum(hs) + len(hs)


def list_extend(x, y):
    xs = [x]
    xs.extend([y, x * y])
    xs.extend((np.sin(x), y * 2.0))
    return np.sum(np.stack(xs) ** 2)


def listcomp_range(x):
    squares = [x[i] ** 2 for i in range(len(x))]
    return sum(squares)


def listcomp_filter_index(x):
    terms = [np.exp(x[i]) for i in range(len(x)) if i % 2 == 0]
    return sum(terms)


def listcomp_filter_data(x):
    pos = [v * v for v in x if v > 0]
    return sum(pos)


def listcomp_arrays(ws, x):
    outs = [np.sum(np.tanh(x @ w)) for w in ws]
    return outs[0] * outs[1] + outs[-1]


def listcomp_zip(ws, bs):
    terms = [np.sum(w * b) for w, b in zip(ws, bs)]
    return sum(terms)


def listcomp_nested(x, y):
    prods = [x[i] * y[j] for i in range(len(x)) for j in range(len(y))]
    return sum(prods) + prods[1] ** 2


def listcomp_nested_filter(x):
    pairs = [x[i] * x[j] for i in range(len(x)) for j in range(len(x)) if i < j]
    return sum(pairs)


def listcomp_of_lists(x):
    rows = [[x[i] * x[j] for j in range(3)] for i in range(2)]
    return rows[0][1] + rows[1][2] * rows[1][0]


def listcomp_stack(ws):
    return np.sum(np.stack([w * 2.0 + 1.0 for w in ws]) ** 2)


def genexp_sum(x):
    return sum(np.sum(x ** k) for k in range(1, 4))


def genexp_max(x):
    return max(np.sum(x * c) for c in (1.0, -3.0, 10.0))


def genexp_min(x):
    return min(np.sum((x - c) ** 2) for c in (0.0, 5.0, -5.0))


def max_min_of_list(x, y):
    vals = [np.sum(x), np.sum(y) + 10.0, np.sum(x * y) - 10.0]
    return max(vals) * min(vals)


def dict_comprehension(p):
    norms = {k: np.sum(v ** 2) for k, v in p.items()}
    return norms["a"] * norms["b"]


# --- writes into local arrays ---


def array_write_rnn(x, w):
    T = x.shape[0]
    n = x.shape[1]
    h = np.zeros((T, n))
    for t in range(T):
        h[t] = np.tanh(x[t] * w + (h[t - 1] if t > 0 else 0))
    return np.sum(h ** 2)


def array_write_columns(x, w):
    T = x.shape[0]
    h = np.zeros((w.shape[0], T))
    for t in range(T):
        h[:, t] = np.sin(x[t] * w)
    return np.sum(h @ h.T)


def array_write_overwrite(x):
    h = np.zeros(3)
    h[0] = x[0] * 2.0
    h[1] = np.sum(x)
    h[0] = h[0] * x[1] + h[1]
    for k in range(3):
        h[2] = h[2] * x[k] + h[0]
    return np.sum(h ** 2)


def array_write_slices(x):
    out = np.zeros(6)
    out[1:4] = x[:3] ** 2
    out[4:] = np.exp(x[3:5])
    out[0] = out[2] * out[5]
    return np.sum(out * np.arange(1.0, 7.0))


def array_write_augmented(x):
    acc = np.zeros(3)
    for i in range(len(x)):
        acc[i % 3] += x[i] ** 2
    return np.sum(np.sin(acc))


def array_write_entry_2d(x):
    m = np.zeros((2, 2))
    m[0, 0] = x[0]
    m[0, 1] = x[1] * x[2]
    m[1, 0] = np.exp(x[2])
    m[1, 1] = m[0, 1] + 1.0
    return np.sum((m @ m) ** 2)


# --- Knet's examples ---


def knet_example(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] <= 0:
            s += np.exp(x[i])
        else:
            s += np.log(x[i])
    return s


def lstm_loss(weight, bias, xs, ys):
    hidden = np.zeros((xs.shape[1], bias.shape[0] // 4))
    cell = np.zeros((xs.shape[1], bias.shape[0] // 4))
    loss = 0.0
    for t in range(20):
        hidden, cell = lstm(weight, bias, hidden, cell, xs[t])
        loss = loss + np.sum((hidden - ys[t]) ** 2)
    return loss


def lstm_over_list(p, inputs, hidden, cell):
    hs = []
    for x in inputs:
        hidden, cell = lstm(p["w"], p["b"], hidden, cell, x)
        hs.append(hidden)
    return np.mean(np.stack(hs) ** 2)


def rnn_loss(w, xs, y):
    h = np.zeros((xs.shape[1], w['Wh'].shape[0]))
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ w['Wx'] + h @ w['Wh'] + w['b'])
    return np.mean((h @ w['Wy'] - y) ** 2)


# --- one sequence argument iterated by two loops: both loops' gradients add up ---


def two_loops_over_list(ws, x):
    for w in ws:
        x = np.tanh(x @ w)
    reg = 0.0
    for w in ws:
        reg = reg + np.sum(w * w)
    return np.sum(x) + reg


def loop_and_comprehension_over_list(ws, x):
    for w in ws:
        x = np.tanh(x @ w)
    return np.sum(x) + sum(np.sum(w ** 2) for w in ws)


def three_passes_over_tuple(ws):
    total = 0.0
    for w in ws:
        total = total + np.sum(np.sin(w))
    for i, w in enumerate(ws):
        total = total + i * np.sum(w * w)
    return total + sum([np.sum(w) for w in reversed(ws)])


def two_loops_over_dict(params):
    s = 0.0
    for key in params:
        s = s + np.sum(params[key] ** 2)
    for value in params.values():
        s = s + np.sum(np.cos(value))
    return s


def two_loops_over_rows(x):
    s = 0.0
    for row in x:
        s = s + np.sum(row ** 3)
    for row in x:
        s = s + np.max(row)
    return s


# --- nested iteration helpers: enumerate(zip(...)), zip(enumerate(...), reversed(...)) ---


def enumerate_zip_layers(ws, bs, x):
    for i, (w, b) in enumerate(zip(ws, bs)):
        x = np.tanh(x @ w + b) * (i + 1)
    return np.sum(x)


def zip_of_enumerate_and_reversed(ws, bs, x):
    s = 0.0
    for (i, w), b in zip(enumerate(ws, 1), reversed(bs)):
        s = s + i * np.sum(np.sin(x @ w + b))
    return s


def enumerate_reversed(ws, x):
    s = 0.0
    for k, w in enumerate(reversed(ws)):
        s = s + (k + 1) * np.sum(x @ w) ** 2
    return s


def zip_items_and_list(params, scales):
    s = 0.0
    for (key, value), scale in zip(params.items(), scales):
        s = s + scale * np.sum(value ** 2)
    return s
