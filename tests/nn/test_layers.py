"""Activations, losses, dropout, batchnorm and embeddings: values against direct formulas,
gradients against finite differences, training-mode behaviour."""
import numpy as np
import pytest
from checkgrad import check_grad

import knet_ast as knet

rng = np.random.default_rng(7)


# --- activations ---

def test_activation_values_match_their_definitions():
    x = np.linspace(-4, 4, 17)
    assert np.allclose(knet.elu(x, 0.5), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)))
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    assert np.allclose(knet.selu(x), scale * np.where(x > 0, x, alpha * (np.exp(x) - 1)))
    assert np.allclose(knet.softplus(x), np.log1p(np.exp(x)))
    assert knet.tanh is np.tanh and knet.logsoftmax is knet.logp


def test_softplus_and_sigm_do_not_overflow():
    x = np.array([-1000.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        assert np.allclose(knet.softplus(x), [0.0, 1000.0])
        assert np.allclose(knet.sigm(x), [0.0, 1.0])


def _activation_loss(x, r, which):
    if which == 0:
        return np.sum(knet.elu(x, 0.7) * r)
    if which == 1:
        return np.sum(knet.selu(x) * r)
    if which == 2:
        return np.sum(knet.softplus(x) * r)
    return np.sum(knet.tanh(knet.sigm(x)) * r)


@pytest.mark.parametrize("which", range(4))
def test_activation_gradients(which):
    x = rng.standard_normal((4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # away from elu's and selu's kink
    check_grad(_activation_loss, x, rng.standard_normal((4, 5)), which)


# --- losses and metrics ---

def test_bce_and_logistic_match_their_definitions():
    scores, bits = rng.standard_normal((6, 3)), rng.integers(0, 2, (6, 3)).astype(float)
    p = 1 / (1 + np.exp(-scores))
    assert np.isclose(knet.bce(scores, bits), -np.mean(bits * np.log(p) + (1 - bits) * np.log(1 - p)))
    signs = 2 * bits - 1
    assert np.isclose(knet.logistic(scores, signs), np.mean(np.log1p(np.exp(-signs * scores))))
    total, count = knet.bce(scores, bits, average=False)
    assert count == 18 and np.isclose(total / count, knet.bce(scores, bits))


def _bce_loss(scores, labels):
    return knet.bce(scores, labels)


def _logistic_loss(scores, labels):
    total, count = knet.logistic(scores, labels, average=False)
    return total / count


def test_bce_and_logistic_gradients():
    scores = rng.standard_normal((5, 2))
    check_grad(_bce_loss, scores, rng.integers(0, 2, (5, 2)).astype(float))
    check_grad(_logistic_loss, scores, rng.choice([-1.0, 1.0], (5, 2)))


def _nll_loss(scores, labels, axis, average):
    if average:
        return knet.nll(scores, labels, axis=axis)
    total, count = knet.nll(scores, labels, axis=axis, average=False)
    return total / count


@pytest.mark.parametrize("axis,average", [(-1, True), (0, True), (1, False)])
def test_nll_gradient(axis, average):
    scores = rng.standard_normal((4, 3, 2))  # classes along `axis`
    labels = rng.integers(0, scores.shape[axis], np.delete(scores.shape, axis))
    check_grad(_nll_loss, scores, labels, axis, average)


def test_nll_matches_the_definition_along_any_axis():
    scores = rng.standard_normal((3, 5))
    labels = rng.integers(0, 3, 5)  # classes along axis 0
    logp = scores - np.log(np.exp(scores).sum(0, keepdims=True))
    assert np.isclose(knet.nll(scores, labels, axis=0), -np.mean(logp[labels, np.arange(5)]))
    with pytest.raises(ValueError, match="labels"):
        knet.nll(scores, labels[:4], axis=0)


def _linear(w):
    def model(x):
        return x @ w
    return model


def test_nll_and_accuracy_over_minibatches():
    w = rng.standard_normal((4, 3))
    data = [(rng.standard_normal((n, 4)), rng.integers(0, 3, n)) for n in (5, 5, 2)]
    x, y = np.concatenate([b[0] for b in data]), np.concatenate([b[1] for b in data])
    assert np.isclose(knet.nll(_linear(w), data), knet.nll(x @ w, y))  # weighted by batch size
    assert np.isclose(knet.accuracy(_linear(w), data), knet.accuracy(x @ w, y))
    correct, count = knet.accuracy(_linear(w), data, average=False)
    assert count == 12 and correct == np.sum(np.argmax(x @ w, 1) == y)
    with pytest.raises(ValueError, match="no minibatches"):
        knet.nll(_linear(w), [])


def _classify(w, x, y):
    return knet.nll(x @ w, y) + 0.0 * knet.accuracy(x @ w, y)


def test_accuracy_inside_a_loss_carries_no_gradient():
    w, x = rng.standard_normal((4, 3)), rng.standard_normal((6, 4))
    check_grad(_classify, w, x, rng.integers(0, 3, 6))


# --- dropout ---

def _dropout_loss(x, r, p, seed, drop):
    return np.sum(knet.dropout(x, p, seed=seed, drop=drop) * r)


def test_dropout_is_off_outside_training_and_on_inside_a_gradient():
    x, r = rng.standard_normal((50, 40)), rng.standard_normal((50, 40))
    assert not knet.training()
    assert np.array_equal(knet.dropout(x, 0.5), x)
    g = knet.grad(_dropout_loss)(x, r, 0.3, None, None)  # drop=None: training() decides
    dropped = g == 0
    assert 0.2 < dropped.mean() < 0.4
    assert np.allclose(g[~dropped], r[~dropped] / 0.7)


def test_dropout_seed_reproduces_the_mask_and_drop_forces_it():
    x = rng.standard_normal((30, 30))
    a, b = knet.dropout(x, 0.5, seed=3, drop=True), knet.dropout(x, 0.5, seed=3, drop=True)
    assert np.array_equal(a, b) and not np.array_equal(a, x)
    assert not np.array_equal(a, knet.dropout(x, 0.5, seed=4, drop=True))
    assert np.array_equal(knet.dropout(x, 0.5, seed=3, drop=False), x)
    assert knet.dropout(x.astype(np.float32), 0.5, drop=True).dtype == np.float32
    with pytest.raises(ValueError, match="probability"):
        knet.dropout(x, 1.0, drop=True)


@pytest.mark.parametrize("drop", [True, False])
def test_dropout_gradient(drop):
    x = rng.standard_normal((6, 5))
    check_grad(_dropout_loss, x, rng.standard_normal((6, 5)), 0.4, 11, drop)


# --- batchnorm ---

def test_batchnorm_training_normalises_and_updates_the_running_moments():
    x = rng.normal(3.0, 2.0, (8, 3, 4, 4))
    params = np.concatenate([rng.uniform(0.5, 2, 3), rng.standard_normal(3)])
    moments = knet.bnmoments(momentum=0.25)
    y = knet.batchnorm(x, moments, params, training=True)
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    var = x.var(axis=(0, 2, 3), keepdims=True)
    expected = (x - mean) / np.sqrt(var + 1e-5) * params[:3].reshape(1, 3, 1, 1) \
        + params[3:].reshape(1, 3, 1, 1)
    assert np.allclose(y, expected)
    n = 8 * 4 * 4
    assert np.allclose(moments.mean, 0.75 * 0 + 0.25 * mean)
    assert np.allclose(moments.var, 0.75 * 1 + 0.25 * var * n / (n - 1))
    inference = knet.batchnorm(x, moments, params)  # training() is false out here
    assert np.allclose(inference, (x - moments.mean) / np.sqrt(moments.var + 1e-5)
                       * params[:3].reshape(1, 3, 1, 1) + params[3:].reshape(1, 3, 1, 1))


def _bn_loss(x, params, r, mean, var, training):
    moments = None if mean is None else knet.bnmoments(0.1, mean, var)
    return np.sum(knet.batchnorm(x, moments, params, training=training) * r)


@pytest.mark.parametrize("shape", [(7, 3), (4, 3, 3, 2), (2, 3, 2, 2, 2)])
@pytest.mark.parametrize("training", [True, False, None])
def test_batchnorm_gradient(shape, training):
    x, r = rng.standard_normal(shape), rng.standard_normal(shape)
    params = np.concatenate([rng.uniform(0.5, 2, 3), rng.standard_normal(3)])
    moment_shape = (1, 3) + (1,) * (len(shape) - 2)
    mean, var = rng.standard_normal(moment_shape), rng.uniform(0.5, 2, moment_shape)
    # training=None differs inside the gradient (batch statistics) from the finite differences
    # outside it (running moments), so it is checked without moments: batch statistics both times
    moments = (None, None) if training is None else (mean, var)
    check_grad(_bn_loss, x, params, r, *moments, training, wrt=(0, 1))
    check_grad(_bn_loss, x, None, r, *moments, training)


def test_batchnorm_inside_a_gradient_uses_the_batch_and_updates_moments():
    x, r = rng.standard_normal((6, 2)), rng.standard_normal((6, 2))
    moments = knet.bnmoments()
    knet.grad(_bn_moments_loss)(x, knet.bnparams(2), r, moments)
    assert np.allclose(moments.mean, 0.1 * x.mean(0, keepdims=True))


def _bn_moments_loss(x, params, r, moments):
    return np.sum(knet.batchnorm(x, moments, params) * r)


def test_batchnorm_rejects_wrong_params():
    with pytest.raises(ValueError, match=r"bnparams\(3\)"):
        knet.batchnorm(np.ones((2, 3)), None, np.ones(4))


# --- embeddings ---

def _embedding_loss(w, tokens, r):
    return np.sum(w[tokens] * r)


def test_embedding_gradient_adds_up_repeated_tokens():
    w = rng.standard_normal((6, 4))
    tokens = np.array([[1, 3, 1], [5, 1, 0]])
    r = rng.standard_normal((2, 3, 4))
    g = check_grad(_embedding_loss, w, tokens, r)
    assert np.allclose(g[1], r[0, 0] + r[0, 2] + r[1, 1])
    assert np.allclose(g[[2, 4]], 0)


def test_pool_and_conv_reject_bad_options():
    x = np.ones((1, 1, 4, 4))
    with pytest.raises(ValueError, match="smaller than the window"):
        knet.pool(x, window=2, padding=2)
    with pytest.raises(ValueError, match="mode"):
        knet.pool(x, mode=3)
    with pytest.raises(ValueError, match="input channels"):
        knet.conv4(np.ones((2, 3, 2, 2)), x)
    with pytest.raises(ValueError, match="does not fit"):
        knet.conv4(np.ones((1, 1, 5, 5)), x)
    with pytest.raises(ValueError, match="4-d"):
        knet.conv4(np.ones((1, 1, 2)), x)


def _minibatch_loss(w, data):
    return knet.nll(_linear(w), data)


def test_nll_over_minibatches_inside_a_gradient_is_refused_not_zero():
    w = rng.standard_normal((4, 3))
    data = [(rng.standard_normal((n, 4)), rng.integers(0, 3, n)) for n in (5, 2)]
    with pytest.raises(knet.KnetError, match="loop over the minibatches"):
        knet.grad(_minibatch_loss)(w, data)


def test_labels_are_checked_and_may_be_a_column():
    scores = rng.standard_normal((5, 3))
    column = np.argmax(scores, 1)[:, None]
    assert knet.accuracy(scores, column) == 1.0
    assert np.isclose(knet.nll(scores, column), knet.nll(scores, column.ravel()))
    with pytest.raises(ValueError, match=r"0 \.\. 2"):
        knet.nll(scores, np.array([0, 1, 2, 3, 0]))
    with pytest.raises(ValueError, match="-1"):
        knet.nll(scores, np.array([0, 1, 2, -1, 0]))
    with pytest.raises(ValueError, match="integers"):
        knet.nll(scores, np.zeros(5))


def test_float32_scores_keep_float32_with_integer_labels():
    scores = rng.standard_normal((4, 2)).astype(np.float32)
    assert knet.bce(scores, rng.integers(0, 2, (4, 2))).dtype == np.float32
    assert knet.logistic(scores, 2 * rng.integers(0, 2, (4, 2)) - 1).dtype == np.float32
    assert knet.dropout(scores, 0.5, drop=True).dtype == np.float32


def test_dropout_of_numbers_and_integers_scales_in_floating_point():
    assert knet.dropout(3.0, 0.5, seed=1, drop=True) in (0.0, 6.0)
    kept = knet.dropout(np.full(1000, 10), 0.3, seed=1, drop=True)
    assert np.allclose(kept[kept != 0], 10 / 0.7)


def test_logsumexp_of_a_row_of_minus_infinity_is_minus_infinity():
    x = np.array([[-np.inf, -np.inf], [0.0, 0.0]])
    with np.errstate(divide="ignore"):
        out = knet.logsumexp(x)
    assert out[0, 0] == -np.inf and np.isclose(out[1, 0], np.log(2))


def test_embedding_with_small_integer_tokens_and_a_large_vocabulary():
    w = rng.standard_normal((300, 2))
    tokens = np.array([3, 250, 3], dtype=np.uint8)
    g = check_grad(_embedding_loss, w, tokens, rng.standard_normal((3, 2)))
    assert np.abs(g[250]).sum() > 0


def test_integer_max_pool_with_padding():
    x = np.arange(16).reshape(1, 1, 4, 4)
    assert np.array_equal(knet.pool(x, window=3, padding=1, stride=2), [[[[5, 7], [13, 15]]]])


def _bn_plain_loss(x, r):
    return np.sum(knet.batchnorm(x) * r)


def test_batchnorm_without_params_does_not_keep_every_output_alive():
    import gc

    from knet_ast.primitives import batchnorm as module
    g = knet.grad(_bn_plain_loss)
    for _ in range(5):
        dx = g(rng.standard_normal((4, 3)), rng.standard_normal((4, 3)))
    gc.collect()
    assert len(module._SAVED) <= 1  # at most the latest, held by the fused backward's memo
    assert dx.shape == (4, 3)
