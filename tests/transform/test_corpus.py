"""Every function of the corpus against finite differences, plus whole-gradient properties.

The table below gives, per corpus function, how to draw its inputs from a seeded
generator and which argument(s) to differentiate. Inputs stay away from points
where the function is not differentiable (ties, kinks, discontinuities).
"""
import inspect
import json
import os
import subprocess
import sys

import corpus as c
import numpy as np
import pytest
from checkgrad import check_grad, check_gradloss_value, leaves, tree_map
from tables import case, fixed, make_args, mlp, normal, number, positive, tree, zero_dim

import knet_ast as knet
from knet_ast.transform.pipeline import build_gradient

CASES = [
    # --- straight-line code: assignment and unpacking ---
    case(c.assign_chain, normal(3, 4)),
    case(c.assign_reuse, normal(5)),
    case(c.unpack_parallel, normal(3), normal(3), wrt=(0, 1)),
    case(c.unpack_swap, normal(4), normal(4), wrt=(0, 1)),
    case(c.unpack_pair, normal(2, 3)),
    case(c.unpack_nested_parallel, normal(3), normal(3), wrt=(0, 1)),
    case(c.unpack_nested_value, normal(3), normal(3), wrt=(0, 1)),
    case(c.unpack_list_target, normal(3), positive(3), wrt=(0, 1)),
    case(c.chained_assignment, normal(4)),
    # --- augmented assignment ---
    case(c.augassign_add_sub, normal(3, 2), normal(3, 2), wrt=(0, 1)),
    case(c.augassign_mul_div, normal(4), normal(4), wrt=(0, 1)),
    case(c.augassign_pow, normal(5)),
    case(c.augassign_matmul, normal(3, 4), normal(4, 4), wrt=(0, 1)),
    case(c.augassign_name_only, normal(3)),
    case(c.augassign_pow_array, positive(3), normal(3), wrt=(0, 1)),
    case(c.augassign_div_broadcast, normal(3, 2), positive(2), wrt=(0, 1)),
    case(c.augassign_accumulate, normal(3), normal(3), wrt=(0, 1)),
    # --- operators ---
    case(c.op_add, normal(3, 4), normal(3, 4), wrt=(0, 1)),
    case(c.op_sub, normal(3), normal(3), wrt=(0, 1)),
    case(c.op_mul, normal(2, 3), normal(2, 3), wrt=1),
    case(c.op_div, normal(4), positive(4), wrt=(0, 1)),
    case(c.op_matmul, normal(3, 4), normal(4, 2), wrt=(0, 1)),
    case(c.op_matvec, normal(3, 4), normal(4), wrt=(0, 1)),
    case(c.op_vecvec, normal(5), normal(5), wrt=(0, 1)),
    case(c.op_neg, normal(4)),
    case(c.op_pos, normal(4)),
    case(c.op_broadcast, normal(3, 4), normal(4), wrt=(0, 1)),
    case(c.op_broadcast, normal(3, 4), normal(3, 1), wrt=1, label="column"),
    case(c.op_scalar_mix, normal(3)),
    case(c.op_all, normal(2, 3), normal(2, 3), normal(3, 4), wrt=(0, 2)),
    case(c.pow_scalar_exponent, positive(4)),
    case(c.pow_array_exponent, positive(3, 2), normal(3, 2), wrt=(0, 1)),
    case(c.pow_array_exponent, positive(3, 2), normal(2), wrt=1, label="broadcast"),
    case(c.pow_scalar_base, normal(4)),
    case(c.pow_int_negative_base, normal(4), fixed(3)),
    case(c.pow_int_negative_base, normal(4), fixed(np.array([1, 2, 3, 4])), label="int-array"),
    case(c.builtin_abs, normal(4)),
    case(c.builtin_float, normal(4)),
    case(c.mixed_int_float, number(0.5, 1.0)),
    case(c.floordiv_zero_grad, normal(6)),
    case(c.floordiv_times, normal(6)),
    case(c.mod_identity_grad, normal(6)),
    case(c.mod_both, positive(5), positive(5), wrt=(0, 1)),
    case(c.compare_mask, normal(6)),
    case(c.compare_chain, normal(8), fixed(-0.5)),
    case(c.boolop_values, normal(3), fixed(4), label="and"),
    case(c.boolop_values, normal(3), fixed(5), label="or"),
    # --- attributes and methods ---
    case(c.attr_T, normal(3, 4), normal(3, 2), wrt=(0, 1)),
    case(c.attr_shape, normal(3, 4)),
    case(c.attr_ndim, normal(2, 3)),
    case(c.method_sum_axis, normal(3, 4)),
    case(c.method_sum_keepdims, normal(3, 4)),
    case(c.method_mean, normal(3, 4)),
    case(c.method_reshape, normal(3, 4)),
    case(c.method_reshape_tuple, normal(3, 4)),
    case(c.method_transpose, normal(3, 4), normal(3, 2), wrt=(0, 1)),
    case(c.method_transpose_axes, normal(2, 3, 4)),
    case(c.method_dot, normal(3, 4), normal(4, 2), wrt=(0, 1)),
    case(c.method_astype, normal(3)),
    case(c.method_max, normal(3, 4)),
    case(c.method_max_axis, normal(3, 4)),
    case(c.method_chain, normal(3, 4)),
    case(c.method_item, normal(4)),
    case(c.method_sum_positional_axis, normal(3, 4)),
    case(c.method_transpose_tuple, normal(2, 3, 4)),
    case(c.attr_T_vector, normal(3)),
    case(c.attr_shape_reshape, normal(3, 2, 2)),
    case(c.func_max, normal(3, 4)),
    case(c.func_mean_axes, normal(2, 3, 4)),
    case(c.func_dot, normal(2, 3), normal(3, 4), wrt=(0, 1)),
    # --- subscripts on containers ---
    case(c.list_index, tree([normal(3), normal(3), normal(2)])),
    case(c.list_slice, tree([normal(2), normal(2), normal(2), normal(2)])),
    case(c.list_slice_step, tree([normal(2), normal(3), normal(2), normal(3)])),
    case(c.tuple_index, tree((normal(2), normal(3), normal(2)))),
    case(c.dict_index, tree({"w": normal(3), "b": normal(3), "unused": normal(2, 2)})),
    case(c.nested_index, tree({"layers": [normal(2), (normal(3), normal(2))],
                               "scale": number()})),
    case(c.list_of_floats, tree([number(), number(), number()])),
    case(c.nested_lists, tree([[normal(2), normal(2)], [number(), normal(2)]])),
    case(c.dict_variable_key, normal(3), normal(3), fixed("k"), wrt=(0, 1)),
    case(c.unpack_array_rows, normal(2, 3)),
    # --- subscripts on arrays ---
    case(c.array_int, normal(4, 3)),
    case(c.array_scalar_entry, normal(3, 3)),
    case(c.array_slice, normal(6)),
    case(c.array_slice_step, normal(6)),
    case(c.array_slice_reverse, normal(5)),
    case(c.array_newaxis, normal(4)),
    case(c.array_ellipsis, normal(2, 3, 4)),
    case(c.array_column, normal(4, 3)),
    case(c.array_mixed_slice, normal(4, 5)),
    case(c.array_repeated_index, normal(3)),
    case(c.array_repeated_index, normal(4, 2), label="rows"),
    case(c.array_index_argument, normal(5), fixed(np.array([4, 0, 4, 4, 1]))),
    case(c.array_repeated_rows, normal(4, 3), fixed(np.array([2, 2, 0, 3, 2]))),
    case(c.array_index_list, normal(3, 2)),
    case(c.array_bool_mask, normal(7)),
    case(c.array_mask_argument, normal(6),
         fixed(np.array([True, False, True, True, False, True]))),
    case(c.array_index_with_loop_var, normal(5)),
    case(c.array_slice_from_arguments, normal(6), fixed(1), fixed(4)),
    case(c.array_negative_step_bounds, normal(6)),
    case(c.array_write_into_constant, normal(4)),
    # --- literals ---
    case(c.list_literal, normal(3), normal(3), wrt=(0, 1)),
    case(c.tuple_literal, normal(3), normal(3), wrt=(0, 1)),
    case(c.dict_literal, normal(3), normal(3), wrt=(0, 1)),
    case(c.nested_literal, normal(3), normal(3), wrt=(0, 1)),
    case(c.sum_of_list, normal(3), normal(2), wrt=(0, 1)),
    case(c.literal_next_to_builtin_list, normal(3)),
    case(c.literal_to_helper, normal(3), normal(3), wrt=(0, 1)),
    # --- calls ---
    case(c.call_keyword, normal(3, 4)),
    case(c.call_keyword_only_default, normal(3, 4)),
    case(c.call_literal_argument, positive(5)),
    case(c.call_helper, normal(4)),
    case(c.call_helper_twice, normal(4), normal(4), wrt=(0, 1)),
    case(c.call_helper_chain, normal(3, 4), normal(4, 2), normal(2), wrt=(0, 1, 2)),
    case(c.call_helper_tuple, normal(5)),
    case(c.call_helper_default, normal(3)),
    case(c.call_helper_keyword_args, normal(3, 4), normal(4, 2), normal(2), wrt=(1, 2)),
    case(c.call_helper_list, normal(3), normal(2), wrt=(0, 1)),
    case(c.call_helper_nested_lists, mlp(4, 5, 3), normal(6, 4)),
    case(c.call_helper_same_arg_twice, normal(4)),
    case(c.call_helper_ignores_argument, normal(3), normal(3), wrt=(0, 1)),
    case(c.call_helper_returns_dict, normal(3), normal(3), wrt=(0, 1)),
    case(c.call_recursive_helper, normal(3)),
    case(c.call_helper_keyword_only, normal(3)),
    case(c.call_helper_tuple_first_only, normal(5)),
    case(c.call_helper_in_branch, normal(3), fixed(True), label="true"),
    case(c.call_helper_in_branch, normal(3), fixed(False), label="false"),
    case(c.call_helper_dict, tree({"w": normal(3, 2), "b": normal(2), "extra": normal(1)}),
         normal(4, 3)),
    case(c.call_knet_loss, mlp(4, 5, 3), normal(6, 4), fixed(np.array([0, 2, 1, 1, 0, 2]))),
    # --- kinds of differentiated argument ---
    case(c.arg_float, number()),
    case(c.arg_float_with_array, number(), normal(4), wrt=(0, 1)),
    case(c.arg_zero_dim, zero_dim()),
    case(c.arg_float_identity, number()),
    case(c.arg_float_identity, zero_dim(), label="zero-dim"),
    case(c.arg_unused_constant_loss, normal(3)),
    case(c.arg_unused_constant_loss, tree({"w": normal(2), "b": (normal(3), number())}),
         label="tree"),
    case(c.arg_only_nondiff_paths, normal(4)),
    case(c.arg_list_unused, tree([normal(3), normal(2, 2), normal(3)])),
    case(c.arg_tuple, tree((normal(3), normal(3)))),
    case(c.arg_tuple_unused, tree((normal(2), normal(3), number()))),
    case(c.arg_dict_unused, tree({"w": normal(3), "b": normal(4)})),
    case(c.arg_nested, tree({"layers": [(normal(2), normal(2)), normal(3, 3)],
                             "bias": normal(2), "scale": number()})),
    case(c.arg_not_differentiated_used, normal(3), normal(3)),
    case(c.arg_not_differentiated_used, normal(3), normal(3), wrt=(1, 0), label="reversed"),
    # --- loops ---
    case(c.loop_range_stop, normal(4)),
    case(c.loop_range_start_stop_step, normal(4)),
    case(c.loop_trip_count_argument, normal(3), fixed(4)),
    case(c.loop_trip_count_argument, normal(3), fixed(1), label="one-trip"),
    case(c.loop_zero_trips, normal(3), fixed(0)),
    case(c.loop_zero_trips, normal(3), fixed(3), label="three-trips"),
    case(c.loop_nested, normal(2, 3), normal(3, 3), wrt=(0, 1)),
    case(c.loop_nested_plain, normal(2, 3), normal(3, 3), wrt=(0, 1)),
    case(c.loop_nested_inner_range, normal(3)),
    case(c.loop_carried_pair, normal(3), normal(3), wrt=(0, 1)),
    case(c.loop_accumulate, normal(5)),
    case(c.loop_over_list_params, tree([normal(3, 3), normal(3, 2), normal(2, 2)]), normal(4, 3)),
    case(c.loop_tuple_argument, tree((normal(3), normal(3))), fixed(3)),
    case(c.loop_var_shadows_argument, normal(3), fixed(7)),
    case(c.loop_reassigns_argument, normal(3)),
    case(c.loop_defines_value_used_after, normal(3)),
    case(c.loop_reads_list_entry_repeatedly, tree([normal(2), normal(2), normal(2)])),
    case(c.loop_calls_helper_with_index, normal(3)),
    case(c.loop_calls_helper_with_loop, normal(3)),
    case(c.loop_calls_helper, normal(4)),
    case(c.loop_calls_helper_params, mlp(3, 4, 2), normal(5, 3)),
    # --- branches ---
    case(c.branch_on_data, positive(4), label="then"),
    case(c.branch_on_data, positive(4, low=-2.0, high=-0.5), label="else"),
    case(c.branch_on_argument, normal(3), fixed("square"), label="if"),
    case(c.branch_on_argument, normal(3), fixed("cube"), label="elif"),
    case(c.branch_on_argument, normal(3), fixed("exp"), label="else"),
    case(c.branch_without_else, normal(3), fixed(True), label="taken"),
    case(c.branch_without_else, normal(3), fixed(False), label="skipped"),
    case(c.branch_one_side_uses, normal(3), normal(3), fixed(True), wrt=(0, 1), label="both"),
    case(c.branch_one_side_uses, normal(3), normal(3), fixed(False), wrt=(0, 1), label="one"),
    case(c.branch_in_loop, normal(3)),
    case(c.branch_on_data_in_loop, normal(3)),
    case(c.branch_on_data_in_loop, positive(3), label="positive"),
    case(c.branch_assigns_in_loop, normal(3)),
    case(c.branch_bool_and_elif, positive(3), fixed(True), label="if"),
    case(c.branch_bool_and_elif, positive(3), fixed(False), label="elif"),
    case(c.branch_chained_comparison, normal(3), fixed(0.5), wrt=(0, 1), label="inside"),
    case(c.branch_chained_comparison, normal(3), fixed(1.5), wrt=(0, 1), label="outside"),
    case(c.branch_defines_only_on_one_side, normal(3), fixed(True), label="true"),
    case(c.branch_defines_only_on_one_side, normal(3), fixed(False), label="false"),
    case(c.branch_nested, normal(3), fixed(1.5), wrt=(0, 1), label="inner-if"),
    case(c.branch_nested, normal(3), fixed(0.5), wrt=(0, 1), label="inner-else"),
    case(c.branch_nested, normal(3), fixed(-0.7), wrt=(0, 1), label="outer-else"),
    case(c.ifexp_on_argument, normal(3), fixed(True), label="true"),
    case(c.ifexp_on_argument, normal(3), fixed(False), label="false"),
    case(c.ifexp_on_data, positive(3), label="true"),
    case(c.ifexp_on_data, positive(3, low=-2.0, high=-0.5), label="false"),
    case(c.ifexp_nested, normal(3), fixed(False), fixed(True), label="inner-true"),
    case(c.ifexp_nested, normal(3), fixed(False), fixed(False), label="inner-false"),
    case(c.ifexp_inline, normal(3), normal(3), fixed(True), wrt=(0, 1), label="true"),
    case(c.ifexp_inline, normal(3), normal(3), fixed(False), wrt=(0, 1), label="false"),
    # --- what the error messages suggest instead ---
    case(c.instead_of_setitem_where, normal(4)),
    case(c.instead_of_setitem_concatenate, normal(4)),
    case(c.instead_of_setitem_stack, normal(4)),
    case(c.instead_of_append_concat, tree([normal(3), normal(3)])),
    case(c.instead_of_append_in_loop, normal(3)),
    # --- decorated functions ---
    case(c.decorated_identity, normal(3)),
    case(c.decorated_wraps, normal(3)),
    case(c.Model.loss, normal(3, 2), normal(4, 3), wrt=(0, 1)),
    # --- regressions found by adversarial testing ---
    case(c.loop_counter_inside_branch, normal(3)),
    case(c.loop_scale_decays_under_branch, normal(4)),
    case(c.loop_target_reused_after_empty_loop, normal(3), fixed(0)),
    case(c.loop_target_reused_after_empty_loop, normal(3), fixed(2), label="two-trips"),
    case(c.loop_value_first_assigned_in_branch, normal(3)),
    case(c.stack_same_list_twice, tree([normal(3), normal(3)])),
    case(c.or_returns_an_operand, fixed(1.5)),
    case(c.and_returns_an_operand, fixed(1.5), fixed(-2.0), wrt=(0, 1)),
    case(c.cast_to_int_has_no_gradient, fixed(np.array([0.3, 1.4, 2.2]))),
    case(c.boolean_times_one_stays_a_number, fixed(np.array([-0.5, 0.5, 2.0]))),
    case(c.transpose_negative_axes, normal(2, 3, 4)),
    case(c.loop_body_only_pass, normal(3)),
    # --- user names that clash with names of generated code ---
    case(c.grad_clash_global, normal(3)),
    case(c.clash_locals, normal(3)),
    case(c.calls_positional_only_helper, normal(3)),
    case(c.builtin_names_as_locals, normal(3)),
]



@pytest.mark.parametrize("func, makers, wrt, rtol, atol", [row.param() for row in CASES])
def test_corpus_gradient(func, makers, wrt, rtol, atol):
    args = make_args(makers)
    check_grad(func, *args, wrt=wrt, rtol=rtol, atol=atol, seed=1)


@pytest.mark.parametrize("func, makers, wrt, rtol, atol",
                         [row.param(for_loss=True) for row in CASES])
def test_corpus_gradloss_returns_the_loss(func, makers, wrt, rtol, atol):
    check_gradloss_value(func, *make_args(makers), wrt=wrt)


def test_every_corpus_function_is_tested():
    tested = {row.func.__name__ for row in CASES}
    helpers = {"square", "sum_squares", "affine", "layer", "scaled", "split_halves", "predict",
               "mul", "ignore_first", "make_dict", "power_rec", "kwonly", "rebinds_parameter",
               "branchy", "uses_dict", "doubled", "identity_decorator", "seed_gradient", "sq",
               "sq_fwd", "positional_only"}
    defined = {name for name, value in vars(c).items()
               if inspect.isfunction(value) and value.__module__ == c.__name__}
    assert defined - helpers - tested == set()


# --- unused entries and container types of the gradient ---


def test_unused_entries_are_zeros_of_the_right_kind():
    g = knet.grad(c.arg_dict_unused)({"w": np.full(3, 2.0), "b": np.ones(4, dtype=np.float32)})
    assert type(g) is dict and list(g) == ["w", "b"]
    assert np.array_equal(g["w"], np.full(3, 4.0))
    assert g["b"].dtype == np.float32 and g["b"].shape == (4,) and not g["b"].any()

    g = knet.grad(c.arg_tuple_unused)((np.ones(2), np.float32(1.5), 0.5))
    assert type(g) is tuple and len(g) == 3
    assert g[0].shape == (2,) and not g[0].any()
    assert isinstance(g[1], np.float32) and g[1] == np.float32(3.0)
    assert isinstance(g[2], float) and g[2] == 0.0

    g = knet.grad(c.arg_list_unused)([np.ones(3), np.ones((2, 2), np.float32), np.full(3, 5.0)])
    assert type(g) is list and len(g) == 3
    assert np.array_equal(g[0], np.full(3, 5.0)) and np.array_equal(g[2], np.ones(3))
    assert g[1].shape == (2, 2) and g[1].dtype == np.float32 and not g[1].any()


# --- gradloss ---


@pytest.mark.parametrize("func, makers, wrt", [
    (c.op_all, (normal(2, 3), normal(2, 3), normal(3, 4)), (0, 2)),
    (c.loop_calls_helper_params, (mlp(3, 4, 2), normal(5, 3)), 0),
    (c.arg_float, (number(),), 0),
    (c.branch_on_argument, (normal(3), fixed("cube")), 0),
], ids=["tuple-wrt", "helpers-in-loop", "float", "branch"])
def test_gradloss_returns_gradient_and_loss(func, makers, wrt):
    args = make_args(makers, seed=3)
    g, loss = knet.gradloss(func, wrt=wrt)(*args)
    assert loss == pytest.approx(func(*args), rel=1e-12, abs=1e-12)
    expected = knet.grad(func, wrt=wrt)(*args)
    for a, b in zip(leaves(g), leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=0)
    check_grad(func, *args, wrt=wrt, grad=lambda *a: knet.gradloss(func, wrt=wrt)(*a)[0])


# --- the generated source ---


@pytest.mark.parametrize("func, wrt_names", [
    (c.op_all, ("x", "w")),
    (c.unpack_swap, ("x", "y")),
    (c.call_helper_chain, ("x", "w", "b")),
    (c.loop_calls_helper_params, ("w",)),
    (c.branch_in_loop, ("x",)),
    (c.ifexp_on_data, ("x",)),
    (c.call_knet_loss, ("w",)),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_source_is_deterministic(func, wrt_names):
    first = fresh_source(func, wrt_names)
    second = fresh_source(func, wrt_names)
    assert isinstance(first, str) and "def " in first
    assert first == second
    assert knet.grad(func, wrt=wrt_names).source == first


def fresh_source(func, wrt_names):
    """The generated source of a new build, bypassing knet.grad's cache."""
    source = build_gradient(func, wrt_names).source
    return source


DETERMINISM_SCRIPT = """
import json, sys
sys.path[:0] = sys.argv[1:3]
import corpus
from knet_ast.transform.pipeline import build_gradient
cases = json.loads(sys.argv[3])
sources = []
for name, wrt in cases:
    source = build_gradient(getattr(corpus, name), tuple(wrt)).source
    sources.append(source)
print(json.dumps(sources))
"""


def test_source_is_identical_across_processes_and_hash_seeds():
    cases = [("op_all", ["x", "w"]), ("loop_calls_helper_params", ["w"]),
             ("branch_assigns_in_loop", ["x"]), ("call_helper_dict", ["p"]),
             ("arg_nested", ["p"]), ("call_knet_loss", ["w"])]
    here = os.path.dirname(os.path.abspath(__file__))
    expected = [fresh_source(getattr(c, name), tuple(wrt)) for name, wrt in cases]
    for seed in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run([sys.executable, "-c", DETERMINISM_SCRIPT, here,
                              os.path.dirname(here), json.dumps(cases)],
                             env=env, capture_output=True, text=True, check=True)
        assert json.loads(run.stdout) == expected, f"PYTHONHASHSEED={seed}"


def test_source_names_user_lines():
    lines, start = inspect.getsourcelines(c.call_helper_chain)
    offset = next(i for i, line in enumerate(lines) if "h = layer(x, w, b)" in line)
    source = knet.grad(c.call_helper_chain, wrt=(0, 1, 2)).source
    assert f"# line {start + offset}: h = layer(x, w, b)" in source, source


# --- one gradient function, many shapes ---


@pytest.mark.parametrize("func, shapes", [
    (c.assign_chain, [(3, 4), (5,), (2, 1, 3)]),
    (c.method_sum_axis, [(3, 4), (6, 2), (1, 7)]),
    (c.array_mixed_slice, [(4, 5), (2, 3), (7, 9)]),
    (c.loop_range_stop, [(4,), (2, 2)]),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_gradient_works_for_new_shapes(func, shapes):
    g = knet.grad(func)
    rng = np.random.default_rng(5)
    for shape in shapes:
        check_grad(func, rng.standard_normal(shape), grad=g)


def test_gradient_works_for_new_structures():
    g = knet.grad(c.loop_over_list_params)
    rng = np.random.default_rng(6)
    for sizes in [(3, 3, 2), (2, 4), (5, 1, 1, 2)]:
        w = [rng.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        check_grad(c.loop_over_list_params, w, rng.standard_normal((4, sizes[0])), grad=g)


# --- float32 stays float32 ---


@pytest.mark.parametrize("func, makers, wrt", [
    (c.op_all, (normal(2, 3), normal(2, 3), normal(3, 4)), (0, 2)),
    (c.method_mean, (normal(3, 4),), 0),
    (c.array_repeated_index, (normal(3),), 0),
    (c.loop_calls_helper_params, (mlp(3, 4, 2), normal(5, 3)), 0),
    (c.branch_in_loop, (normal(3),), 0),
    (c.pow_scalar_base, (normal(4),), 0),
    (c.arg_zero_dim, (zero_dim(),), 0),
    (c.call_knet_loss, (mlp(4, 5, 3), normal(6, 4), fixed(np.array([0, 2, 1, 1, 0, 2]))), 0),
    (c.call_helper_list, (normal(3), normal(2)), (0, 1)),
    (c.arg_nested, (tree({"layers": [(normal(2), normal(2)), normal(3, 3)], "bias": normal(2),
                          "scale": fixed(np.float32(0.5))}),), 0),
], ids=lambda v: v.__name__ if callable(v) else None)
def test_float32_inputs_give_float32_gradients(func, makers, wrt):
    args64 = make_args(makers, seed=7)
    args32 = tuple(tree_map(_to_float32, a) for a in args64)
    g64 = knet.grad(func, wrt=wrt)(*args64)
    g32, loss32 = knet.gradloss(func, wrt=wrt)(*args32)
    assert np.asarray(loss32).dtype == np.asarray(func(*args32)).dtype == np.float32
    for a32, a64 in zip(leaves(g32), leaves(g64)):
        assert a32.dtype == np.float32, f"{a32.dtype} gradient for float32 input"
        np.testing.assert_allclose(a32, a64, rtol=2e-4, atol=1e-5)


def _to_float32(x):
    if isinstance(x, np.ndarray) and x.dtype == np.float64:
        return x.astype(np.float32)
    return x
