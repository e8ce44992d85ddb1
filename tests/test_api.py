"""The public API: grad, gradloss, wrt, the decorator forms, caching, .source, user rules."""
import types

import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet
from knet_ast.errors import KnetError

rng = np.random.default_rng(0)


def predict(w, x):
    h = np.tanh(x @ w[0] + w[1])
    return h @ w[2] + w[3]


def loss(w, x, y):
    d = predict(w, x) - y
    return np.mean(d * d) + 0.01 * (np.sum(w[0] ** 2) + np.sum(w[2] ** 2))


def _params(dtype=np.float64):
    shapes = [(3, 4), (4,), (4, 2), (2,)]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def _data(dtype=np.float64):
    return rng.standard_normal((5, 3)).astype(dtype), rng.standard_normal((5, 2)).astype(dtype)


def test_issue_example_gradient_matches_finite_differences():
    x, y = _data()
    check_grad(loss, _params(), x, y)


def test_gradloss_returns_gradient_and_loss():
    w, (x, y) = _params(), _data()
    dw, value = knet.gradloss(loss)(w, x, y)
    assert np.isclose(value, loss(w, x, y))
    for a, b in zip(dw, knet.grad(loss)(w, x, y)):
        assert np.allclose(a, b)


def test_wrt_tuple_returns_gradients_in_that_order():
    w, (x, y) = _params(), _data()
    dy, dw = knet.grad(loss, wrt=(2, 0))(w, x, y)
    assert dy.shape == y.shape and isinstance(dw, list)
    check_grad(loss, w, x, y, wrt=(0, 2))


def test_wrt_by_name_and_one_element_tuple():
    w, (x, y) = _params(), _data()
    dx = knet.grad(loss, wrt="x")(w, x, y)
    (dx_again,) = knet.grad(loss, wrt=("x",))(w, x, y)
    assert np.allclose(dx, dx_again)
    check_grad(loss, w, x, y, wrt=1)


def test_decorator_forms():
    @knet.grad
    def square_sum(x):
        return np.sum(x * x)

    @knet.grad(wrt=1)
    def scaled(a, x):
        return a * np.sum(x)

    x = rng.standard_normal(4)
    assert np.allclose(square_sum(x), 2 * x)
    assert np.allclose(scaled(3.0, x), 3.0 * np.ones(4))
    assert square_sum.primal.__name__ == "square_sum"


def test_float32_stays_float32():
    w, (x, y) = _params(np.float32), _data(np.float32)
    dw = knet.grad(loss)(w, x, y)
    assert [d.dtype for d in dw] == [np.float32] * 4
    dw64 = knet.grad(loss)([p.astype(np.float64) for p in w], x.astype(np.float64),
                           y.astype(np.float64))
    for a, b in zip(dw, dw64):
        assert np.allclose(a, b, rtol=1e-3, atol=1e-4)


def test_one_gradient_function_serves_new_values_and_shapes():
    g = knet.grad(loss)
    for batch in (2, 7):
        x, y = rng.standard_normal((batch, 3)), rng.standard_normal((batch, 2))
        check_grad(loss, _params(), x, y, grad=g)


def test_building_twice_reuses_the_generated_code():
    first, second = knet.grad(loss), knet.grad(loss)
    assert first._compiled() is second._compiled()
    assert first.source == second.source


def test_source_is_readable_python_with_line_comments():
    source = knet.grad(loss).source
    compile(source, "<check>", "exec")
    assert "def grad_loss(w, x, y):" in source
    assert "def predict_fwd(_tape, w, x):" in source and "def predict_bwd(_tape," in source
    line = loss.__code__.co_firstlineno + 2
    assert f"# line {line}: return np.mean(d * d)" in source


def test_verbose_prints_the_source_after_each_pass(capsys):
    def tiny(x):
        return np.sum(np.exp(x))

    knet.grad(tiny, verbose=2)(np.ones(2))
    out = capsys.readouterr().out
    for name in ("fence", "desugar", "anf", "ssa"):
        assert f"after {name}" in out
    assert "def grad_tiny(x):" in out


def test_unknown_wrt_is_an_error_naming_the_function():
    with pytest.raises(KnetError, match="does not name a parameter of loss"):
        knet.grad(loss, wrt=5)
    with pytest.raises(KnetError, match="does not name a parameter of loss"):
        knet.grad(loss, wrt="z")


def test_grad_of_gradloss_is_a_clear_error():
    with pytest.raises(KnetError, match="gradloss"):
        knet.grad(knet.gradloss(loss))


def test_user_rule_with_defgrad():
    def softclip(x):
        return np.log1p(np.exp(x))

    knet.defgrad(softclip, "x", x="dy / (1 + np.exp(-x))")

    def uses_rule(x):
        return np.sum(softclip(x) * 2.0)

    x = rng.standard_normal(5)
    assert np.allclose(knet.grad(uses_rule)(x), 2.0 / (1 + np.exp(-x)))
    assert "dy" not in knet.grad(uses_rule).source.split("reverse sweep")[0]


def test_nondiff_function_blocks_the_gradient():
    def noisy_scale(x):
        return np.round(x * 100) / 100

    knet.nondiff(noisy_scale)

    def f(x):
        return np.sum(x * noisy_scale(x))

    x = rng.standard_normal(3)
    assert np.allclose(knet.grad(f)(x), np.round(x * 100) / 100)


def test_runtime_error_in_generated_code_names_the_user_line():
    def mismatch(w, x):
        a = w @ x
        return np.sum(a)

    with pytest.raises(ValueError) as info:
        knet.grad(mismatch)(np.ones((2, 3)), np.ones(4))
    line = mismatch.__code__.co_firstlineno + 1
    if hasattr(info.value, "__notes__"):
        assert any(f"your line {line}" in note and "a = w @ x" in note
                   for note in info.value.__notes__)


class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, w, x):
        return self.scale * np.sum((x @ w) ** 2)


def test_bound_method_is_differentiated_with_its_instance():
    model = Model(0.5)
    w, x = rng.standard_normal((3, 2)), rng.standard_normal((4, 3))
    check_grad(model.loss, w, x, grad=knet.grad(model.loss))
    assert np.allclose(knet.grad(model.loss, wrt=1)(w, x),
                       0.5 * 2 * (x @ w) @ w.T)


def _sum_of_products(a, b, c):
    return np.sum((a + b) * c)


def test_gradients_of_different_arguments_never_share_memory():
    a, b, c = (rng.standard_normal(3) for _ in range(3))
    da, db = knet.grad(_sum_of_products, wrt=(0, 1))(a, b, c)
    da += 1.0
    assert np.allclose(db, c)


ACTIVATION = np.tanh


def _double(x):
    return 2.0 * x


def _square(x):
    return x * x


HELPER = _double


def _uses_rebindable_globals(x):
    return np.sum(ACTIVATION(x)) + np.sum(HELPER(x))


def test_rebinding_a_global_function_rebuilds_the_gradient():
    global ACTIVATION, HELPER
    g = knet.grad(_uses_rebindable_globals)
    x = rng.standard_normal(4)
    check_grad(_uses_rebindable_globals, x, grad=g)
    ACTIVATION, HELPER = np.sin, _square
    try:
        check_grad(_uses_rebindable_globals, x, grad=g)
        check_grad(_uses_rebindable_globals, x)
    finally:
        ACTIVATION, HELPER = np.tanh, _double


CONFIG = types.SimpleNamespace(activation=np.tanh)


def _uses_config_attribute(x):
    return np.sum(CONFIG.activation(x))


def _closure_over_activation():
    activation = np.tanh

    def loss(x):
        return np.sum(activation(x))

    def rebind(fn):
        nonlocal activation
        activation = fn
    return loss, rebind


def test_rebinding_an_attribute_or_closure_function_rebuilds_the_gradient():
    x = rng.standard_normal(3)
    g = knet.grad(_uses_config_attribute)
    check_grad(_uses_config_attribute, x, grad=g)
    CONFIG.activation = np.sin
    try:
        check_grad(_uses_config_attribute, x, grad=g)
    finally:
        CONFIG.activation = np.tanh
    loss_fn, rebind = _closure_over_activation()
    g = knet.grad(loss_fn)
    check_grad(loss_fn, x, grad=g)
    rebind(np.sin)
    check_grad(loss_fn, x, grad=g)


def _scaled(w, n):
    return np.sum(w * n)


def _half_sum(w):
    return np.sum(w * 0.5)


@pytest.mark.parametrize("value, where, fix", [
    (np.array([1, 2, 3]), "`w`", "w.astype(float)"),
    (3, "`w`", "float(w)"),
    (np.int32(3), "`w`", "float(w)"),
    ({"a": np.ones(2), "n": np.arange(3)}, "`w['n']`", "astype(float)"),
    ([np.ones(2), [True]], "`w[1][0]`", "float("),
])
def test_integer_inputs_to_a_differentiated_argument_are_refused(value, where, fix):
    with pytest.raises(knet.KnetError, match="integer") as info:
        knet.grad(_half_sum)(value)
    assert where in str(info.value) and fix in str(info.value)


def test_integers_in_arguments_that_are_not_differentiated_are_fine():
    dw = knet.grad(_scaled, wrt="w")(np.ones(3), n=2)
    np.testing.assert_allclose(dw, 2.0)


def test_a_rule_cannot_differentiate_a_double_star_parameter():
    with pytest.raises(ValueError, match=r"\*\*kw"):
        knet.defgrad(_half_sum, "**kw", kw="dy")
