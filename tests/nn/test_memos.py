"""What nll and conv4 keep from their forward pass for their rules: matched exactly, and
let go when the gradient call ends."""
import numpy as np
from checkgrad import check_grad

import knet_ast as knet
from knet_ast import nn
from knet_ast.primitives import conv


def two_axes(s, y0, y1):
    first = knet.nll(s, y1, axis=1)
    knet.nll(s, y0, axis=0)  # the same scores along the other axis, last, and not used
    return first


def test_nll_reuses_its_normaliser_only_for_the_same_scores_and_axis():
    s = np.random.default_rng(0).standard_normal((3, 4))
    check_grad(two_axes, s, np.array([0, 1, 2, 1]), np.array([3, 0, 2]))


def loss(w, x):
    return np.sum(knet.conv4(w, x) ** 2) + knet.nll(knet.mat(x), np.array([0, 1]))


def test_nothing_is_kept_after_a_gradient_call():
    rng = np.random.default_rng(1)
    w, x = rng.standard_normal((2, 1, 3, 3)), rng.standard_normal((2, 1, 5, 5))
    knet.grad(loss, wrt=1)(w, x)           # conv4_dw never runs: its matrix would stay
    assert not getattr(conv._COLS, "recent", None)
    assert getattr(nn._LAST_NLL, "saved", None) is None
    check_grad(loss, w, x)
