"""Golden-source tests: the shape of the generated code, reviewed by hand.

Each expected text was read line by line and checked to be the correct adjoint
written the way a person would write it. A change here is a change users see
in `g.source`: update the text only after reading the new output.
"""
import textwrap

import golden_functions as gf

from knet_ast.transform.emit import render
from knet_ast.transform.pipeline import build_gradient, prepare


def _after_passes(func, wrt):
    return render([prepare(func, wrt).node])


def _expect(text):
    return textwrap.dedent(text).lstrip("\n")


def test_desugar_and_ssa_of_swap():
    assert _after_passes(gf.swap, ("x",)) == _expect("""
        def swap(x, y):
            a = x
            b = y
            a_1 = b
            b_1 = a
            a_2 = a_1
            b_2 = b_1
            refuse_shared_inplace(a_2, 'a')
            a_3 = a_2 + 1.0
            result = a_3 * b_2
            return result
        """)


def test_anf_names_temporaries_for_what_they_compute():
    assert _after_passes(gf.layer, ("w",)) == _expect("""
        def layer(w, x):
            w0 = w[0]
            x_at_w0 = x @ w0
            w1 = w[1]
            x_at_w0_plus_w1 = x_at_w0 + w1
            h = np.tanh(x_at_w0_plus_w1)
            result = np.sum(h)
            return result
        """)


def test_ssa_gives_a_loop_carried_value_one_loop_version():
    assert _after_passes(gf.doubling, ("x",)) == _expect("""
        def doubling(x, n):
            x_1 = x
            for i in range(n):
                x_2 = x_1 * 2.0
                x_1 = x_2
            result = np.sum(x_1)
            return result
        """)


def test_straight_line_gradient_needs_no_tape():
    source = build_gradient(gf.layer, ("w",)).source
    assert source == _expect("""
        def grad_layer(w, x):
            w0 = w[0]
            x_at_w0 = x @ w0
            w1 = w[1]
            x_at_w0_plus_w1 = x_at_w0 + w1
            h = np.tanh(x_at_w0_plus_w1)
            result = np.sum(h)

            # reverse sweep
            dresult = seed_gradient(result)
            # line 14: return np.sum(h)
            dh = unreduce(dresult, h)
            # line 13: h = np.tanh(x @ w[0] + w[1])
            dx_at_w0_plus_w1 = dh * (1 - h * h)
            dx_at_w0 = unbroadcast(dx_at_w0_plus_w1, x_at_w0)
            dw1 = unbroadcast(dx_at_w0_plus_w1, w1)
            dw = add_at(None, w, 1, dw1)
            dw0 = matmul_db(dx_at_w0, x, w0)
            dw = add_in_place(dw, w, 0, dw0)
            return (result, finalize_grad(dw, w))
        """)


def test_loop_pushes_once_per_iteration_and_counts_trips():
    source = build_gradient(gf.doubling, ("x",)).source
    assert source == _expect("""
        def grad_doubling(x, n):
            _tape = []
            x_1 = x
            n_i = 0
            for i in range(n):
                x_2 = x_1 * 2.0
                _tape.append(shape_of(x_1))
                x_1 = x_2
                n_i += 1
            result = np.sum(x_1)

            # reverse sweep
            dresult = seed_gradient(result)
            # line 20: return np.sum(x)
            dx_1 = unreduce(dresult, x_1)
            # line 18: for i in range(n):
            for _ in range(n_i):
                x_1 = _tape.pop()
                dx_2 = dx_1
                # line 19: x = x * 2.0
                dx_1 = unbroadcast(dx_2 * 2.0, x_1)
            dx = dx_1
            return (result, finalize_grad(dx, x))
        """)


def test_branch_outside_a_loop_takes_the_same_branch_without_a_tape():
    source = build_gradient(gf.branch, ("x",)).source
    assert "_tape" not in source
    assert source == _expect("""
        def grad_branch(x):
            cond = x > 0
            if cond:
                y_1 = x * x
                y = y_1
            else:
                y_2 = -x
                y = y_2

            # reverse sweep
            dy = seed_gradient(y)
            # line 24: if x > 0:
            if cond:
                dy_1 = dy
                # line 25: y = x * x
                dx = dy_1 * x
                dx = dx + dy_1 * x
            else:
                dy_2 = dy
                # line 27: y = -x
                dx = -dy_2
            return (y, finalize_grad(dx, x))
        """)


def test_unbroadcast_only_where_shapes_can_differ():
    source = build_gradient(gf.elementwise_chain, ("x", "b")).source
    assert "dx = dsin_x * np.cos(x)\n" in source  # sin keeps the shape of x
    # either operand of sin(x) + b may be the smaller one
    assert "dsin_x = unbroadcast(dt, sin_x)" in source and "db = unbroadcast(dt, b)" in source


def test_same_function_gives_byte_identical_source():
    first = build_gradient(gf.doubling, ("x",)).source
    second = build_gradient(gf.doubling, ("x",)).source
    assert first == second
