"""The extension API (knet.primitive, defgrad, nondiff, getval) and knet.gradcheck.

docs/extending.md's examples run in tests/test_docs.py.
"""
import re

import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet
from knet_ast.primitives import registry


def cube_slope(x):
    return 3 * x * x


@knet.primitive(x="dy * cube_slope(x)")
def cube(x):
    return x ** 3


@knet.primitive
def no_rule(x):
    return x * 2


def loss_with_cube(x, r):
    return np.sum(cube(x) * r)


def calls_no_rule(x):
    return np.sum(no_rule(x))


def test_a_primitive_is_called_not_transformed_and_its_template_is_inlined():
    source = knet.grad(loss_with_cube).source
    assert "cube_slope(x)" in source and "x ** 3" not in source


def test_a_primitive_rule_matches_finite_differences():
    rng = np.random.default_rng(0)
    check_grad(loss_with_cube, rng.standard_normal(5), rng.standard_normal(5))


def test_a_primitive_without_a_rule_names_the_call_and_the_fix():
    with pytest.raises(knet.NoRuleError, match="no_rule") as info:
        knet.grad(calls_no_rule)(np.ones(3))
    message = str(info.value)
    assert "knet.primitive" in message and "knet.defgrad" in message
    assert "test_extending.py" in message and "no_rule(x)" in message


def test_defgrad_attaches_a_rule_to_a_declared_primitive():
    knet.defgrad(no_rule, x="2 * dy")
    try:
        np.testing.assert_allclose(knet.grad(calls_no_rule)(np.ones(3)), 2.0)
    finally:
        registry.RULES.pop(no_rule)


def helper_a(x):
    return 1.0


def test_kernel_names_that_clash_get_fresh_names():
    """Two rules whose templates call different functions that share a name."""
    other = {"helper_a": lambda x: 2.0}

    def f1(x):
        return x

    def f2(x):
        return x

    try:
        knet.defgrad(f1, x="dy * helper_a(x)")
        knet.defgrad(f2, x="dy * helper_a(x)", namespace=other)
        first = registry.RULES[f1].templates["x"]
        second = registry.RULES[f2].templates["x"]
        name1, name2 = (next(n.id for n in __import__("gast").walk(t) if getattr(n, "id", "")
                             .startswith("helper_a")) for t in (first, second))
        assert name1 != name2
        assert registry.KERNELS[name1] is helper_a and registry.KERNELS[name2] is other["helper_a"]
    finally:
        registry.RULES.pop(f1, None)
        registry.RULES.pop(f2, None)


def test_a_template_with_an_unknown_name_is_refused_at_registration():
    def f(x):
        return x

    with pytest.raises(ValueError, match="not_defined_anywhere"):
        knet.defgrad(f, x="dy * not_defined_anywhere(x)")


def test_getval_and_stop_gradient_block_the_gradient():
    assert knet.getval is knet.stop_gradient

    def loss(x):
        return np.sum(x * knet.getval(x))

    x = np.array([1.0, -2.0, 3.0])
    np.testing.assert_allclose(knet.grad(loss)(x), x)  # d/dx (x * c) with c = x held fixed


# --- gradcheck ---
def smooth(w, x):
    return np.sum(np.tanh(x @ w) ** 2)


@knet.primitive(x="dy * (1 - y * y) * 1.01")  # 1 % off: a subtle error gradcheck must catch
def slightly_wrong_tanh(x):
    return np.tanh(x)


def subtle(x):
    return np.sum(slightly_wrong_tanh(x) * np.arange(1.0, 4.0))


def test_gradcheck_passes_a_correct_gradient_with_containers_and_float32():
    rng = np.random.default_rng(1)
    w = {"a": rng.standard_normal((3, 2)).astype(np.float32), "b": [rng.standard_normal(2)]}

    def loss(w, x):
        return np.sum(np.tanh(x @ w["a"] + w["b"][0]) ** 2)

    assert knet.gradcheck(loss, w, rng.standard_normal((4, 3)))
    assert knet.gradcheck(smooth, rng.standard_normal((3, 2)), rng.standard_normal((4, 3)), wrt=(0, 1))


def test_gradcheck_reports_the_worst_entry(capsys):
    assert not knet.gradcheck(subtle, np.array([0.1, 0.2, 0.3]))
    report = capsys.readouterr().out
    assert "worst" in report and "argument 0" in report
    assert re.search(r"analytic [-0-9.e]+, numeric [-0-9.e]+", report)


def test_gradcheck_is_silent_with_verbose_0(capsys):
    assert not knet.gradcheck(subtle, np.array([0.1, 0.2, 0.3]), verbose=0)
    assert capsys.readouterr().out == ""


def test_gradcheck_passes_keyword_arguments_to_f():
    def loss(x, scale=1.0):
        return scale * np.sum(np.sin(x))

    assert knet.gradcheck(loss, np.array([0.3, 0.7]), scale=3.0)


# --- what the review found ---
@knet.primitive(x="dy * 5")
def doubled(x):
    return 2 * x


def sums_doubled(x):
    return np.sum(doubled(x))


def test_replacing_a_rule_rebuilds_gradients_built_before():
    g = knet.grad(sums_doubled)
    np.testing.assert_allclose(g(np.ones(3)), 5.0)  # the (wrong) first rule
    try:
        knet.defgrad(doubled, x="dy * 2")
        np.testing.assert_allclose(g(np.ones(3)), 2.0)
        np.testing.assert_allclose(knet.grad(sums_doubled)(np.ones(3)), 2.0)
    finally:
        knet.defgrad(doubled, x="dy * 5")


def sorts_after_exp(a):
    np.random.seed(0)
    return np.sum(np.exp(a) * np.sort(a))


def test_module_functions_named_like_in_place_methods_are_not_writes():
    assert knet.gradcheck(sorts_after_exp, np.array([0.3, -1.0, 2.0]))


@knet.primitive(x="dy")  # forgets unbroadcast: x is broadcast against a matrix
def broadcasting_add(x, m):
    return x + m


def uses_broadcasting_add(x):
    return np.sum(broadcasting_add(x, np.ones((3, 4))))


def test_a_template_returning_the_wrong_shape_names_the_likely_fix():
    with pytest.raises(knet.KnetError, match="unbroadcast"):
        knet.grad(uses_broadcasting_add)(np.ones(4))
    with pytest.raises(knet.KnetError, match="unbroadcast"):
        knet.grad(uses_broadcasting_add)(1.5)


def star_args(x):
    parts = [x, x]
    return np.einsum("i,i", *parts)


def test_star_args_into_a_rule_say_to_spell_the_arguments_out():
    with pytest.raises(knet.NoRuleError, match="spell the arguments out"):
        knet.grad(star_args)(np.ones(3))


def test_gradcheck_takes_parameter_names():
    assert knet.gradcheck(smooth, np.ones((3, 2)) * 0.1, np.ones((4, 3)), wrt=("w", "x"))
