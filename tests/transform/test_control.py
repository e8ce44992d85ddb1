"""Control flow against finite differences: every function of control_corpus, plus
data-dependent paths, analytic gradients, the shape of the generated source, and errors.

The table gives, per corpus function, how to draw its inputs from a seeded
generator and which argument(s) to differentiate. Inputs stay away from points
where a branch, a trip count or a max/min switches, so that the function is
smooth around them and central differences are exact enough.
"""
import inspect
import re

import control_corpus as cc
import numpy as np
import pytest
from checkgrad import check_grad, check_gradloss_value
from tables import array, case, fixed, make_args, normal, number, tree, uniform

import knet_ast as knet
from knet_ast.errors import InputMutationError, SourceError, UnsupportedSyntaxError
from knet_ast.transform.pipeline import build_gradient


def squares(n, size=3, scale=0.6):
    return tree([normal(size, size, scale=scale) for _ in range(n)])


CASES = [
    # --- one sequence iterated twice ---
    case(cc.two_loops_over_list, squares(2, 2), normal(2), wrt=(0, 1)),
    case(cc.loop_and_comprehension_over_list, squares(3), normal(3)),
    case(cc.three_passes_over_tuple, tree((normal(2), normal(3), normal(2, 2)))),
    case(cc.two_loops_over_dict, tree({"a": normal(3), "b": normal(2, 2)})),
    case(cc.two_loops_over_rows, normal(4, 3)),
    # --- nested iteration helpers ---
    case(cc.enumerate_zip_layers, squares(3), tree([normal(3) for _ in range(3)]), normal(3), wrt=(0, 1, 2)),
    case(cc.zip_of_enumerate_and_reversed, squares(2), tree([normal(3) for _ in range(3)]), normal(3),
         wrt=(0, 1, 2)),
    case(cc.enumerate_reversed, squares(3), normal(3), wrt=(0, 1)),
    case(cc.zip_items_and_list, tree({"a": normal(3), "b": normal(2)}), tree([normal(), normal(), normal()]),
         wrt=(0, 1)),
    case(cc.closure_recursive, normal(3), normal(3), wrt=(0, 1)),
    case(cc.lambda_to_helper, normal(3)),
    case(cc.lambda_to_helper_reads_argument, normal(3, 2), normal(4, 3), wrt=(0, 1)),
    case(cc.closure_to_helper_loop, normal(3, 3), normal(2, 3), wrt=(0, 1)),
    # --- for over range(a, b, step) ---
    case(cc.range_args, normal(8), fixed(1), fixed(7), fixed(2)),
    case(cc.range_args, normal(8), fixed(6), fixed(0), fixed(-2), label="negative-step"),
    case(cc.range_args, normal(8), fixed(3), fixed(3), fixed(1), label="empty"),
    case(cc.range_negative_step, normal(5)),
    case(cc.range_negative_step_args, normal(7), fixed(6), fixed(0), fixed(-2)),
    case(cc.range_negative_step_args, normal(7), fixed(6), fixed(-1), fixed(-3), label="to-zero"),
    case(cc.range_from_shape, normal(5, 3), normal(3, 4, scale=0.5), wrt=(0, 1)),
    case(cc.range_step_from_data, normal(4, 3)),
    case(cc.range_reversed_from_shape, normal(6)),
    case(cc.range_reversed_builtin, normal(4)),
    # --- for over containers ---
    case(cc.for_over_list, tree([normal(3, 4), normal(4, 4), normal(4, 2)]), normal(5, 3)),
    case(cc.for_over_list, tree([normal(3, 4), normal(4, 2)]), normal(5, 3), wrt=(0, 1),
         label="both"),
    case(cc.for_over_tuple, tree((normal(3), normal(2, 2), number()))),
    case(cc.for_over_literal_list, normal(3), normal(3), wrt=(0, 1)),
    case(cc.for_zip, tree([normal(3, 4), normal(4, 2)]), tree([normal(4), normal(2)]), normal(5, 3),
         wrt=(0, 1)),
    case(cc.for_zip_rows, normal(3, 2), tree([normal(2, 4), normal(2, 4)]), wrt=(0, 1)),
    case(cc.for_enumerate, squares(3), normal(2, 3), wrt=(0, 1)),
    case(cc.for_enumerate_start, tree([normal(2), normal(3), normal(2, 2)])),
    case(cc.for_reversed_list, tree([normal(4, 3), normal(2, 4)]), normal(5, 2), wrt=(0, 1)),
    case(cc.for_rows, normal(5, 3), normal(3), wrt=(0, 1)),
    case(cc.for_rows_enumerate, normal(4, 3)),
    case(cc.for_elements, normal(5)),
    case(cc.for_dict_keys, tree({"a": normal(3), "bb": normal(2, 2), "ccc": normal(1)})),
    case(cc.for_dict_items, tree({"first": normal(3, 4), "second": normal(4, 4), "third": normal(4, 2)}),
         normal(2, 3), wrt=(0, 1)),
    case(cc.for_dict_values, tree({"a": normal(3), "b": normal(2)})),
    case(cc.for_key_tuple, tree({"w1": normal(3, 3), "w2": normal(3, 3), "unused": normal(2)}),
         normal(2, 3), wrt=(0, 1)),
    case(cc.for_nested_lists, tree([normal(3, 2), normal(3, 4)]), tree([normal(2, 3), normal(5, 3)]),
         wrt=(0, 1)),
    case(cc.for_nested_range_and_list, squares(2), normal(2, 3), fixed(3), wrt=(0, 1)),
    case(cc.loop_var_after_loop, normal(3)),
    case(cc.loop_element_after_loop, tree([normal(3, 3), normal(3, 2)]), normal(2, 3), wrt=(0, 1)),
    # --- while ---
    case(cc.while_data, normal(3)),
    case(cc.while_data, normal(3, scale=0.1), label="many-trips"),
    case(cc.while_data, array(8.0, -7.0, 6.0), label="no-trips"),
    case(cc.while_counter, normal(3)),
    case(cc.while_counter_and_data, uniform(0.2, 0.5, 3)),
    case(cc.while_counter_and_data, uniform(2.0, 3.0, 3), label="stops-on-data"),
    case(cc.while_halving, normal(4, scale=3.0)),
    case(cc.while_over_list, tree([normal(3, 4), normal(4, 2)]), normal(2, 3), wrt=(0, 1)),
    case(cc.while_in_for, array(0.3, -1.1, 2.5, -0.07, 5.0)),
    case(cc.while_nested, normal(3)),
    case(cc.while_true_break, normal(3)),
    # --- if / elif / else ---
    case(cc.if_elif_else_data, uniform(0.6, 1.0, 3), label="if"),
    case(cc.if_elif_else_data, uniform(-1.0, -0.6, 3), label="elif"),
    case(cc.if_elif_else_data, uniform(-0.2, 0.2, 3), label="else"),
    case(cc.if_and_or_not, uniform(0.2, 0.4, 3), uniform(-0.3, 0.2, 3), wrt=(0, 1), label="and"),
    case(cc.if_and_or_not, uniform(-0.4, -0.2, 3), uniform(0.2, 0.3, 3), wrt=(0, 1), label="or"),
    case(cc.if_and_or_not, uniform(0.2, 0.4, 3), uniform(0.4, 0.6, 3), wrt=(0, 1), label="else"),
    case(cc.if_nested_data, uniform(0.1, 1.0, 3), uniform(0.1, 1.0, 3), wrt=(0, 1), label="pos-pos"),
    case(cc.if_nested_data, uniform(0.1, 1.0, 3), uniform(-1.0, -0.1, 3), wrt=(0, 1), label="pos-neg"),
    case(cc.if_nested_data, uniform(-1.0, -0.1, 3), uniform(1.2, 2.0, 3), wrt=(0, 1), label="neg-big"),
    case(cc.if_nested_data, uniform(-1.0, -0.1, 3), uniform(0.0, 0.8, 3), wrt=(0, 1), label="neg-small"),
    case(cc.if_float_argument, number(0.6, 1.0), normal(3), wrt=(0, 1), label="if"),
    case(cc.if_float_argument, number(-1.0, 0.4), normal(3), wrt=(0, 1), label="else"),
    case(cc.ifexp_data, uniform(0.1, 1.0, 3), label="exp"),
    case(cc.ifexp_data, uniform(-1.0, -0.1, 3), label="sin"),
    case(cc.ifexp_in_loop, array(0.4, -1.2, 0.8, -0.3, 1.5, -0.9)),
    case(cc.branch_per_element, array(0.9, -0.2, 1.4, -0.8, 0.1, -1.6, 0.3, 0.7)),
    case(cc.branch_per_row, normal(5, 3), normal(3), wrt=(0, 1)),
    # --- break and continue ---
    case(cc.for_break, normal(3)),
    case(cc.for_break_on_data, normal(3)),
    case(cc.for_list_break, tree([normal(3, 4), normal(4, 4), normal(4, 4)]), normal(2, 3), wrt=(0, 1)),
    case(cc.for_continue, normal(3)),
    case(cc.for_continue_on_data, array(0.5, -0.4, 1.2, -2.0, 0.8, 0.3)),
    case(cc.while_break, normal(3)),
    case(cc.while_continue, normal(3, scale=0.5)),
    case(cc.nested_break, normal(3)),
    case(cc.break_in_nested_if, array(0.5, -0.3, 1.2, 2.0, 0.7)),
    case(cc.break_in_nested_if, array(0.5, -0.3, 1.2, 0.4), label="no-break"),
    case(cc.break_and_continue, array(0.3, -2.0, 0.8, 0.1, -1.5, 0.4, 0.6, 0.2)),
    # --- return inside loops and branches ---
    case(cc.return_in_loop, array(0.3, -0.4, 0.5, 1.6, 0.2)),
    case(cc.return_in_loop, array(0.3, -0.4, 0.5), label="falls-through"),
    case(cc.return_in_branch, uniform(0.1, 1.0, 3), label="early"),
    case(cc.return_in_branch, uniform(-1.0, -0.1, 3), label="late"),
    case(cc.return_in_elif, normal(3), fixed("square"), label="if"),
    case(cc.return_in_elif, normal(3), fixed("sin"), label="elif"),
    case(cc.return_in_elif, normal(3), fixed("other"), label="else"),
    case(cc.return_in_nested_loop, array(0.9, 1.1, 0.7, 1.3)),
    case(cc.return_in_nested_loop, array(0.2, -0.3, 0.4), label="falls-through"),
    case(cc.return_in_while, uniform(0.5, 1.0, 3)),
    case(cc.return_in_while, uniform(0.01, 0.02, 3), label="falls-through"),
    case(cc.return_in_list_loop, tree([normal(3, 4), normal(4, 4)]), normal(2, 3), wrt=(0, 1)),
    # --- recursion ---
    case(cc.power, number(0.5, 1.5), fixed(3)),
    case(cc.power, number(0.5, 1.5), fixed(0), label="zero"),
    case(cc.recursive_power_array, normal(3), fixed(4)),
    case(cc.mutual_recursion, normal(3), fixed(5), label="odd"),
    case(cc.mutual_recursion, normal(3), fixed(4), label="even"),
    case(cc.recursion_early_return, normal(3, scale=10.0), fixed(2), label="depth"),
    case(cc.recursion_early_return, array(2.0, -1.5, 1.0), fixed(10), label="norm"),
    case(cc.recursion_binary, tree([normal(2), normal(2), normal(2), normal(2)])),
    case(cc.recursion_binary, tree([normal(2), normal(3), normal(2)]), label="odd-length"),
    case(cc.recursion_over_list, tree([normal(3, 4), normal(4, 2)]), normal(2, 3), wrt=(0, 1)),
    # --- closures and lambdas ---
    case(cc.closure_layer, normal(3, 3), normal(2, 3), wrt=(0, 1)),
    case(cc.closure_two_outer, normal(3, 3), normal(3), normal(2, 3), wrt=(0, 1, 2)),
    case(cc.closure_with_default, normal(3)),
    case(cc.closure_default_from_argument, normal(3), normal(3), wrt=(0, 1)),
    case(cc.closure_calls_closure, normal(3, 3, scale=0.5), normal(2, 3), wrt=(0, 1)),
    case(cc.closure_sees_rebinding, normal(3)),
    case(cc.lambda_named, normal(3, 3), normal(2, 3), wrt=(0, 1)),
    case(cc.lambda_two_args, normal(3), normal(3), wrt=(0, 1)),
    case(cc.lambda_in_loop, normal(3)),
    case(cc.factory_closure, normal(3)),
    case(cc.factory_lambda, normal(3)),
    # --- lists, comprehensions, generator expressions ---
    case(cc.list_append_sum, normal(3)),
    case(cc.list_append_stack, normal(3, 3), normal(2, 3), wrt=(0, 1)),
    case(cc.list_append_last_and_index, normal(3)),
    case(cc.list_append_in_while, normal(3, scale=0.5)),
    case(cc.list_extend, normal(3), normal(3), wrt=(0, 1)),
    case(cc.listcomp_range, normal(4)),
    case(cc.listcomp_filter_index, normal(5)),
    case(cc.listcomp_filter_data, array(0.5, -0.4, 1.2, -2.0, 0.8, 0.3)),
    case(cc.listcomp_arrays, tree([normal(3, 2), normal(3, 2), normal(3, 2)]), normal(4, 3), wrt=(0, 1)),
    case(cc.listcomp_zip, tree([normal(3), normal(2, 2)]), tree([normal(3), normal(2, 2)]), wrt=(0, 1)),
    case(cc.listcomp_nested, normal(3), normal(2), wrt=(0, 1)),
    case(cc.listcomp_nested_filter, normal(4)),
    case(cc.listcomp_of_lists, normal(3)),
    case(cc.listcomp_stack, tree([normal(2, 3), normal(2, 3), normal(2, 3)])),
    case(cc.genexp_sum, normal(3)),
    case(cc.genexp_max, uniform(0.5, 2.0, 3)),
    case(cc.genexp_min, normal(3, scale=0.3)),
    case(cc.max_min_of_list, normal(3, scale=0.5), normal(3, scale=0.5), wrt=(0, 1)),
    case(cc.dict_comprehension, tree({"a": normal(3), "b": normal(2, 2)})),
    # --- writes into local arrays ---
    case(cc.array_write_rnn, normal(4, 3), normal(3), wrt=(0, 1)),
    case(cc.array_write_columns, normal(4, 3), normal(3), wrt=(0, 1)),
    case(cc.array_write_overwrite, normal(3)),
    case(cc.array_write_slices, normal(5)),
    case(cc.array_write_augmented, normal(7)),
    case(cc.array_write_entry_2d, normal(3)),
    # --- Knet's examples, the LSTM of the slides, the RNN of the issue ---
    case(cc.knet_example, array(0.7, -0.5, 1.3, -1.2, 0.2, 2.1)),
    case(cc.lstm_loss, normal(7, 16, scale=0.5), normal(16, scale=0.5), normal(20, 2, 3),
         normal(20, 2, 4, scale=0.5), wrt=(0, 1)),
    case(cc.lstm_loss, normal(7, 16, scale=0.5), normal(16, scale=0.5), normal(20, 2, 3),
         normal(20, 2, 4, scale=0.5), wrt=2, label="inputs"),
    case(cc.lstm_over_list, tree({"w": normal(7, 16, scale=0.5), "b": normal(16, scale=0.5)}),
         tree([normal(2, 3) for _ in range(5)]), normal(2, 4), normal(2, 4), wrt=(0, 2, 3)),
    case(cc.rnn_loss, tree({"Wx": normal(3, 4), "Wh": normal(4, 4, scale=0.5), "b": normal(4),
                            "Wy": normal(4, 2)}), normal(6, 5, 3), normal(5, 2)),
    case(cc.rnn_loss, tree({"Wx": normal(3, 4), "Wh": normal(4, 4, scale=0.5), "b": normal(4),
                            "Wy": normal(4, 2)}), normal(6, 5, 3), normal(5, 2), wrt=(0, 1, 2),
         label="all"),
]

HELPERS = {"ping", "pong", "shrink", "tree_product", "chain_layers", "apply", "repeat", "make_scale",
           "make_affine", "scale3", "affine_half", "sigm", "lstm"}



@pytest.mark.parametrize("func, makers, wrt, rtol, atol", [row.param() for row in CASES])
def test_control_gradient(func, makers, wrt, rtol, atol):
    args = make_args(makers)
    check_grad(func, *args, wrt=wrt, rtol=rtol, atol=atol, seed=1)


@pytest.mark.parametrize("func, makers, wrt, rtol, atol", [row.param() for row in CASES])
def test_control_gradloss_returns_the_loss(func, makers, wrt, rtol, atol):
    check_gradloss_value(func, *make_args(makers), wrt=wrt)


def test_calling_a_closure_taken_from_a_list_is_a_clear_error():
    with pytest.raises(knet.errors.NoRuleError, match="fs0"):
        knet.grad(cc.closure_in_list_is_not_followed)(np.ones(2))


def closure_under_another_name(x, w):
    g = lambda v: v * w  # noqa: E731
    h = g
    return np.sum(h(x))


def closure_from_a_nested_factory(x, w):
    def make(c):
        return lambda v: v * c
    g = make(w)
    return np.sum(g(x))


@pytest.mark.parametrize("func", [closure_under_another_name, closure_from_a_nested_factory])
def test_a_closure_called_under_another_name_is_a_clear_error_not_a_zero(func):
    with pytest.raises(knet.errors.NoRuleError):
        knet.grad(func, wrt=1)(np.ones(3), 0.7)


def repeated_index_write(x):
    h = np.zeros(3)
    h[np.array([0, 2, 2])] = x  # NumPy keeps the last value written to entry 2
    return np.sum(h)


def test_a_write_through_repeated_indices_is_a_clear_error():
    with pytest.raises(knet.errors.KnetError, match="repeated entries"):
        knet.grad(repeated_index_write)(np.ones(3))


def test_a_lambda_inside_a_nested_function_captures_its_parameter():
    def loss(x, w):
        def scaled(c):
            return apply_twice(lambda v: v * c, x)
        return np.sum(scaled(w))
    check_grad(loss, np.array([0.5, -1.0, 2.0]), 0.7, wrt=1)
    check_grad(loss, np.array([0.5, -1.0, 2.0]), 0.7, wrt=0)


def apply_twice(fn, v):
    return fn(fn(v))


def test_every_control_function_is_tested():
    tested = {row.func for row in CASES}
    defined = {name: value for name, value in vars(cc).items()
               if inspect.isfunction(value) and value.__module__ == cc.__name__}
    untested = {name for name, value in defined.items() if value not in tested} - HELPERS - {
        "closure_in_list_is_not_followed"}
    assert untested == set()
    assert HELPERS <= set(defined), "a helper named here is gone from control_corpus"


# --- one gradient function, inputs that take different paths ---


def while_trips(x):
    trips = 0
    while np.sum(x * x) < 100:
        x = x * 1.5
        trips += 1
    return trips


def test_while_gradient_serves_different_trip_counts():
    g = knet.grad(cc.while_data)
    inputs = [np.array([8.0, -7.0, 6.0]), np.array([0.3, -0.2, 0.5]), np.array([2.0, 1.0, -3.0])]
    trips = [while_trips(x) for x in inputs]
    assert trips[0] == 0 and len(set(trips)) == 3
    for x, n in zip(inputs, trips):
        check_grad(cc.while_data, x, grad=g)
        np.testing.assert_allclose(g(x), np.full(3, 1.5 ** n), rtol=1e-12)


def test_while_with_counter_and_data_serves_different_trip_counts():
    g = knet.grad(cc.while_counter_and_data)
    for x in (np.array([0.2, 0.3, 0.25]), np.array([2.0, 2.5, 2.2]), np.array([4.0, 3.0, 3.5])):
        check_grad(cc.while_counter_and_data, x, grad=g)


def test_branch_gradient_serves_both_sides():
    g = knet.grad(cc.if_elif_else_data)
    for x in (np.array([0.9, 0.8, 0.7]), np.array([-0.9, -0.8, -0.7]), np.array([0.1, -0.2, 0.05]),
              np.array([0.6, 0.7, 0.9])):
        check_grad(cc.if_elif_else_data, x, grad=g)
    x = np.array([0.9, 0.8, 0.7])
    np.testing.assert_allclose(g(x), 2 * x, rtol=1e-12)
    x = -x
    np.testing.assert_allclose(g(x), np.exp(x), rtol=1e-12)


def test_data_dependent_break_serves_different_trip_counts():
    g = knet.grad(cc.for_break_on_data)
    for x in (np.array([0.1, 0.2, -0.1]), np.array([1.5, 2.0, -1.75]), np.array([10.0, 0.0, 0.0])):
        check_grad(cc.for_break_on_data, x, grad=g)


def test_early_return_serves_both_exits():
    g = knet.grad(cc.return_in_loop)
    for x in (np.array([0.3, -0.4, 0.5, 1.6, 0.2]), np.array([1.5, 0.2]), np.array([0.3, 0.1, -0.2])):
        check_grad(cc.return_in_loop, x, grad=g)
    np.testing.assert_allclose(g(np.array([0.3, -0.4, 0.5, 1.6, 0.2])), [1.6, 1.6, 1.6, 0.4, 0.0])


def test_recursion_with_data_dependent_depth():
    g = knet.grad(cc.recursion_early_return)
    for x in (np.array([0.3, 0.2, 0.1]), np.array([2.0, -1.5, 1.0]), np.array([20.0, 5.0, -9.0])):
        check_grad(cc.recursion_early_return, x, 6, grad=g)


def test_per_element_branches_in_a_loop_serve_new_lengths():
    g = knet.grad(cc.knet_example)
    for x in (np.array([0.5]), np.array([-0.5, 0.4]), np.array([1.1, -2.0, 0.3, -0.1, 0.9, 0.6, -1.3])):
        check_grad(cc.knet_example, x, grad=g)


def test_list_built_in_a_while_serves_different_lengths():
    g = knet.grad(cc.list_append_in_while)
    for x in (np.array([0.1, 0.2, 0.1]), np.array([1.0, 1.0, 1.0]), np.array([3.0, 3.0, 3.0])):
        check_grad(cc.list_append_in_while, x, grad=g)


def test_one_gradient_serves_different_list_lengths():
    g = knet.grad(cc.for_over_list)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 3))
    for n in (1, 2, 4):
        ws = [rng.standard_normal((3, 3)) * 0.7 for _ in range(n)]
        check_grad(cc.for_over_list, ws, x, grad=g)


# --- gradients known in closed form ---


def test_knet_example_analytic_gradient():
    x = np.array([0.7, -0.5, 1.3, -1.2, 0.2, 2.1, -0.01, 0.03])
    g = knet.grad(cc.knet_example)(x)
    np.testing.assert_allclose(g, np.where(x <= 0, np.exp(x), 1 / x), rtol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_power_analytic_gradient(n):
    x = 1.3
    g = knet.grad(cc.power)(x, n)
    assert g == pytest.approx(n * x ** (n - 1), rel=1e-12)


def test_recursive_power_array_analytic_gradient():
    x = np.array([0.5, -1.2, 2.0])
    np.testing.assert_allclose(knet.grad(cc.recursive_power_array)(x, 4), 4 * x ** 3, rtol=1e-12)


def test_return_in_branch_analytic_gradient():
    g = knet.grad(cc.return_in_branch)
    x = np.array([0.4, -0.1, 0.3])
    np.testing.assert_allclose(g(x), 2 * x, rtol=1e-12)
    x = np.array([-0.4, -0.1, 0.3])
    np.testing.assert_allclose(g(x), np.exp(x), rtol=1e-12)


def test_genexp_max_min_analytic_gradient():
    x = np.array([0.5, 1.0, 2.0])
    np.testing.assert_allclose(knet.grad(cc.genexp_max)(x), np.full(3, 10.0), rtol=1e-12)
    x = np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(knet.grad(cc.genexp_min)(x), 2 * x, rtol=1e-12)


def test_closure_sees_rebinding_analytic_gradient():
    x = np.array([0.5, -1.0, 2.0])
    # a = 2 x^2, b = 3 x^2: the closure reads s when called, so the loss is sum(6 x^4)
    np.testing.assert_allclose(knet.grad(cc.closure_sees_rebinding)(x), 24 * x ** 3, rtol=1e-12)


def test_for_zip_rows_stops_at_the_shorter_list():
    rng = np.random.default_rng(4)
    X, ws = rng.standard_normal((3, 2)), [rng.standard_normal((2, 4)) for _ in range(2)]
    dX = knet.grad(cc.for_zip_rows)(X, ws)
    assert not dX[2].any()


# --- the shape of the generated source ---


def source_of(func, *args, wrt=0):
    g = knet.grad(func, wrt=wrt)
    g(*args)
    source = g.source
    compile(source, "<generated>", "exec")
    return source


def main_function(source):
    """The text of the first function in the generated source (the gradient itself)."""
    parts = re.split(r"\n(?=def )", source)
    return parts[0]


def halves(source):
    main = main_function(source)
    assert "# reverse sweep" in main, main
    return main.split("# reverse sweep", 1)


def blocks(text, header):
    """Each block of `text` opened by a line matching `header`, with its indented body."""
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if re.match(header, line.strip()):
            indent = len(line) - len(line.lstrip())
            body = []
            for inner in lines[i + 1:]:
                if inner.strip() and len(inner) - len(inner.lstrip()) <= indent:
                    break
                body.append(inner)
            found.append("\n".join(body))
    return found


def user_line(func, text):
    lines, start = inspect.getsourcelines(func)
    offset = next(i for i, line in enumerate(lines) if line.strip() == text)
    return start + offset


def loop_else_without_break(x):
    s = 0.0
    for i in range(3):
        s = s + np.sum(x) * i
    else:  # runs when the loop ends: always, without a break
        s = s + np.sum(x * x)
    k = 0
    while k < 2:
        x = x * 2.0
        k += 1
    else:
        s = s + np.sum(np.sin(x))
    return s


def test_loop_else_without_break_runs_after_the_loop():
    check_grad(loop_else_without_break, np.random.default_rng(3).standard_normal(4))


def test_source_of_while_loops_forward_and_counts_backward():
    source = source_of(cc.while_data, np.array([0.3, -0.2, 0.5]))
    forward, reverse = halves(source)
    assert blocks(forward, r"while\b"), forward
    assert blocks(reverse, r"for \w+ in range\("), reverse
    assert f"# line {user_line(cc.while_data, 'x = x * 1.5')}: x = x * 1.5" in source, source


@pytest.mark.parametrize("func, makers, wrt", [
    (cc.rnn_loss, (tree({"Wx": normal(3, 4), "Wh": normal(4, 4), "b": normal(4), "Wy": normal(4, 2)}),
                   normal(6, 5, 3), normal(5, 2)), 0),
    (cc.for_over_list, (squares(3), normal(2, 3)), 0),
    (cc.range_from_shape, (normal(5, 3), normal(3, 4)), (0, 1)),
    (cc.array_write_rnn, (normal(4, 3), normal(3)), (0, 1)),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_source_of_loops_pushes_forward_and_pops_backward(func, makers, wrt):
    source = source_of(func, *make_args(makers), wrt=wrt)
    forward, reverse = halves(source)
    assert "_tape = []" in forward or "_tape = " in forward, forward
    forward_loops = blocks(forward, r"(for|while)\b")
    assert any("_tape.append(" in body for body in forward_loops), forward
    reverse_loops = blocks(reverse, r"for \w+ in range\(")
    assert any("_tape.pop()" in body for body in reverse_loops), reverse


@pytest.mark.parametrize("func, args", [
    (cc.if_elif_else_data, (np.array([0.9, 0.8, 0.7]),)),
    (cc.ifexp_data, (np.array([0.9, 0.8, 0.7]),)),
    (cc.return_in_branch, (np.array([0.9, 0.8, 0.7]),)),
    (cc.if_and_or_not, (np.array([0.3, 0.2, 0.3]), np.array([0.1, -0.2, 0.1]))),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_source_without_loops_has_no_tape(func, args):
    source = source_of(func, *args)
    assert "_tape" not in source, source


def test_source_of_recursion_has_forward_and_backward_helpers():
    source = source_of(cc.power, 1.3, 3)
    assert re.search(r"^def power\w*fwd\w*\(", source, re.M), source
    assert re.search(r"^def power\w*bwd\w*\(", source, re.M), source


def test_source_of_mutual_recursion_has_both_functions():
    source = source_of(cc.mutual_recursion, np.array([0.1, 0.2, 0.3]), 5)
    for name in ("ping", "pong"):
        assert re.search(rf"^def {name}\w*fwd\w*\(", source, re.M), source
        assert re.search(rf"^def {name}\w*bwd\w*\(", source, re.M), source


def test_source_of_break_names_the_user_lines():
    source = source_of(cc.for_break_on_data, np.array([0.1, 0.2, -0.1]))
    assert f"# line {user_line(cc.for_break_on_data, 'h = h * 1.3')}: h = h * 1.3" in source, source


@pytest.mark.parametrize("func, wrt_names", [
    (cc.while_data, ("x",)),
    (cc.for_break_on_data, ("x",)),
    (cc.return_in_nested_loop, ("x",)),
    (cc.closure_layer, ("w", "x")),
    (cc.listcomp_nested_filter, ("x",)),
    (cc.array_write_rnn, ("x", "w")),
    (cc.lstm_loss, ("weight", "bias")),
    (cc.mutual_recursion, ("x",)),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_source_is_deterministic(func, wrt_names):
    first = build_gradient(func, wrt_names).source
    second = build_gradient(func, wrt_names).source
    assert isinstance(first, str) and "def " in first
    assert first == second


# --- errors: each names the user's line ---


MARKER = "# error"


def marked_lines(obj):
    """(line number, code text) of each line of `obj` that ends with the marker."""
    lines, start = inspect.getsourcelines(obj)
    hits = [(start + i, line[:line.rindex(MARKER)].strip())
            for i, line in enumerate(lines) if line.rstrip().endswith(MARKER)]
    assert hits, f"{obj.__name__} has no {MARKER!r} line"
    return hits


def assert_names_a_marked_line(exc, obj):
    message = str(exc)
    assert any(re.search(rf"\bline {n}\b", message) or text in message for n, text in marked_lines(obj)), (
        f"none of the lines {marked_lines(obj)} named in:\n{message}")


def yields_in_loop(x):
    for i in range(3):
        yield x * i  # error


def yields_in_nested_def(x):
    def gen():
        yield x * 2.0  # error
    return np.sum(sum(gen()))


def for_else_with_break(x):
    s = 0.0
    for i in range(3):  # error
        s = s + np.sum(x) * i
        if s > 100.0:
            break  # error
    else:  # error
        s = s + 1.0  # error
    return s


def while_else_with_break(x):
    i = 0
    while i < 3:  # error
        x = x * 2.0
        if np.sum(x) > 100.0:
            break  # error
        i += 1
    else:  # error
        x = x + 1.0  # error
    return np.sum(x)


counter = 0


def global_in_loop(x):
    global counter  # error
    for i in range(3):
        counter += 1
    return np.sum(x)


def nonlocal_in_closure(x):
    s = 0.0

    def add(v):
        nonlocal s  # error
        s = s + np.sum(v)
    add(x)
    return s


@pytest.mark.parametrize("func", [yields_in_loop, yields_in_nested_def,
                                  for_else_with_break, while_else_with_break, global_in_loop,
                                  nonlocal_in_closure],
                         ids=lambda f: f.__name__)
def test_unsupported_syntax_names_the_line(func):
    with pytest.raises(UnsupportedSyntaxError) as info:
        knet.grad(func)(np.ones(3))
    assert_names_a_marked_line(info.value, func)


def writes_input_in_loop(x):
    for i in range(len(x)):
        x[i] = x[i] * 2.0  # error
    return np.sum(x)


def writes_input_in_while(x):
    i = 0
    while i < 2:
        x[i] = 0.0  # error
        i += 1
    return np.sum(x * x)


def writes_input_under_branch_in_loop(x):
    for i in range(len(x)):
        if x[i] > 0:
            x[i] += 1.0  # error
    return np.sum(x * x)


def writes_list_input_in_loop(ws):
    for i in range(len(ws)):
        ws[i] = ws[i] * 2.0  # error
    return np.sum(ws[0])


def appends_to_input_in_loop(ws):
    for i in range(2):
        ws.append(ws[i] * 2.0)  # error
    return np.sum(ws[-1])


def writes_input_row_view(X):
    for row in X:
        row[0] = 1.0  # error
    return np.sum(X * X)


def writes_input_in_closure(x):
    def clear(i):
        x[i] = 0.0  # error
    for i in range(2):
        clear(i)
    return np.sum(x * x)


@pytest.mark.parametrize("func, arg, kind", [
    (writes_input_in_loop, np.array([0.5, 1.0, 2.0]), InputMutationError),
    (writes_input_in_while, np.array([0.5, 1.0, 2.0]), InputMutationError),
    (writes_input_under_branch_in_loop, np.array([0.5, -1.0, 2.0]), InputMutationError),
    (writes_list_input_in_loop, [np.ones(2), np.full(2, 3.0)], InputMutationError),
    (appends_to_input_in_loop, [np.ones(2), np.full(2, 3.0)], InputMutationError),
    (writes_input_row_view, np.arange(6.0).reshape(3, 2), SourceError),
    (writes_input_in_closure, np.array([0.5, 1.0, 2.0]), InputMutationError),
], ids=lambda v: v.__name__ if callable(v) and not isinstance(v, type) else None)
def test_writing_into_a_differentiated_input_in_control_flow_names_the_line(func, arg, kind):
    before = [np.copy(a) for a in arg] if isinstance(arg, list) else np.copy(arg)
    length = len(arg)
    with pytest.raises(kind) as info:
        knet.grad(func)(arg)
    assert_names_a_marked_line(info.value, func)
    assert len(arg) == length, "the input list was modified"
    for a, b in zip(arg if isinstance(arg, list) else [arg], before if isinstance(arg, list) else [before]):
        assert np.array_equal(a, b), "the input was modified"
