"""Optimizers (knet.SGD ... knet.Adam), knet.optimizers, knet.update, knet.train,
knet.progress and knet.epochs.

Every optimizer is checked against a float64 reference written in this file from the
textbook formulas (functional style: `ref(w, g, state, **options) -> (w, state)`), over
several steps of random gradients of varying size.
"""
import collections
import io

import numpy as np
import pytest

import knet_ast as knet

rng = np.random.default_rng(2024)


# ---------------------------------------------------------------------------
# Float64 references, written from the formulas (not from knet_ast.optim)
# ---------------------------------------------------------------------------

def ref_sgd(w, g, s, lr):
    return w - lr * g, s


def ref_momentum(w, g, s, lr, gamma):
    v = gamma * s.get("v", 0.0) - lr * g
    return w + v, {"v": v}


def ref_nesterov(w, g, s, lr, gamma):
    v = s.get("v", 0.0)
    v_new = gamma * v - lr * g
    return w - gamma * v + (1 + gamma) * v_new, {"v": v_new}


def ref_adagrad(w, g, s, lr, eps):
    G = s.get("G", 0.0) + g ** 2
    return w - lr * g / np.sqrt(G + eps), {"G": G}


def ref_rmsprop(w, g, s, lr, rho, eps):
    G = rho * s.get("G", 0.0) + (1 - rho) * g ** 2
    return w - lr * g / np.sqrt(G + eps), {"G": G}


def ref_adadelta(w, g, s, lr, rho, eps):
    G = rho * s.get("G", 0.0) + (1 - rho) * g ** 2
    D = s.get("D", 0.0)
    u = g * np.sqrt(D + eps) / np.sqrt(G + eps)
    return w - lr * u, {"G": G, "D": rho * D + (1 - rho) * u ** 2}


def ref_adam(w, g, s, lr, beta1, beta2, eps):
    t = s.get("t", 0) + 1
    m = beta1 * s.get("m", 0.0) + (1 - beta1) * g
    v = beta2 * s.get("v", 0.0) + (1 - beta2) * g ** 2
    mhat = m / (1 - beta1 ** t)
    vhat = v / (1 - beta2 ** t)
    return w - lr * mhat / (np.sqrt(vhat) + eps), {"t": t, "m": m, "v": v}


def ref_clip(g, gclip):
    norm = np.sqrt(np.sum(g ** 2))
    return g * (gclip / norm) if gclip and norm > gclip else g


REFERENCES = {
    knet.SGD: ref_sgd, knet.Momentum: ref_momentum, knet.Nesterov: ref_nesterov,
    knet.Adagrad: ref_adagrad, knet.Rmsprop: ref_rmsprop, knet.Adadelta: ref_adadelta,
    knet.Adam: ref_adam,
}

# Knet.jl's current defaults, as the documentation states them.
DEFAULTS = {
    knet.SGD: dict(lr=0.1),
    knet.Momentum: dict(lr=0.05, gamma=0.95),
    knet.Nesterov: dict(lr=0.05, gamma=0.95),
    knet.Adagrad: dict(lr=0.05, eps=1e-6),
    knet.Rmsprop: dict(lr=0.01, rho=0.9, eps=1e-6),
    knet.Adadelta: dict(lr=1.0, rho=0.9, eps=1e-6),
    knet.Adam: dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8),
}

# Every option away from its default.
CUSTOM = {
    knet.SGD: dict(lr=0.3),
    knet.Momentum: dict(lr=0.1, gamma=0.5),
    knet.Nesterov: dict(lr=0.1, gamma=0.7),
    knet.Adagrad: dict(lr=0.2, eps=1e-3),
    knet.Rmsprop: dict(lr=0.05, rho=0.5, eps=1e-4),
    knet.Adadelta: dict(lr=0.5, rho=0.7, eps=1e-3),
    knet.Adam: dict(lr=0.05, beta1=0.5, beta2=0.9, eps=1e-3),
}

ALL = list(REFERENCES)
STATEFUL = [o for o in ALL if o is not knet.SGD]
SCALES = [3.0, 0.05, 2.0, 1.0, 0.1]  # gradient sizes per step: some clipped by GCLIP, some not
GCLIP = 0.5


def random_problem(shape=(2, 3)):
    w = rng.normal(size=shape)
    grads = [scale * rng.normal(size=shape) for scale in SCALES]
    return w, grads


def run_reference(otype, w, grads, gclip=0.0, **options):
    w, state = np.array(w, dtype=np.float64), {}
    for g in grads:
        w, state = REFERENCES[otype](w, ref_clip(np.asarray(g, np.float64), gclip), state, **options)
    return w


def run_library(opt, w, grads):
    w = w.copy()
    for g in grads:
        knet.update(w, g, opt)
    return w


def assert_steps_close(w0, got, want, rtol=1e-10):
    """Compare the total change made by the steps (not just the parameter) and check
    that the reference did move the parameter."""
    want_delta = want - w0
    assert np.max(np.abs(want_delta)) > 1e-6
    np.testing.assert_allclose(got - w0, want_delta, rtol=rtol, atol=1e-14)


# ---------------------------------------------------------------------------
# Optimizers against the references
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("otype", ALL)
def test_defaults_are_knets(otype):
    opt = otype()
    for name, value in DEFAULTS[otype].items():
        assert getattr(opt, name) == value, name
    assert opt.gclip == 0


@pytest.mark.parametrize("otype", ALL)
def test_default_steps_match_reference(otype):
    w0, grads = random_problem()
    got = run_library(otype(), w0, grads)
    assert_steps_close(w0, got, run_reference(otype, w0, grads, **DEFAULTS[otype]))


@pytest.mark.parametrize("otype", ALL)
def test_steps_with_options_match_reference(otype):
    w0, grads = random_problem((4,))
    opt = otype(**CUSTOM[otype])
    for name, value in CUSTOM[otype].items():
        assert getattr(opt, name) == value
    got = run_library(opt, w0, grads)
    assert_steps_close(w0, got, run_reference(otype, w0, grads, **CUSTOM[otype]))


@pytest.mark.parametrize("otype", ALL)
def test_gclip_active_clips_large_gradients_only(otype):
    w0, grads = random_problem((2, 3))
    norms = [np.linalg.norm(g) for g in grads]
    assert any(n > GCLIP for n in norms) and any(n < GCLIP for n in norms)
    got = run_library(otype(gclip=GCLIP, **CUSTOM[otype]), w0, grads)
    want = run_reference(otype, w0, grads, gclip=GCLIP, **CUSTOM[otype])
    assert_steps_close(w0, got, want)
    unclipped = run_reference(otype, w0, grads, **CUSTOM[otype])
    assert not np.allclose(want, unclipped, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("otype", ALL)
def test_gclip_inactive_when_norms_are_small(otype):
    w0, grads = random_problem((3,))
    big = 10 * max(np.linalg.norm(g) for g in grads)
    got = run_library(otype(gclip=big, **CUSTOM[otype]), w0, grads)
    assert_steps_close(w0, got, run_reference(otype, w0, grads, **CUSTOM[otype]))


@pytest.mark.parametrize("otype", ALL)
def test_float32_parameters_stay_float32(otype):
    w0, grads = random_problem((3, 4))
    w32 = w0.astype(np.float32)
    g32 = [g.astype(np.float32) for g in grads]
    opt = otype(**CUSTOM[otype])
    w = w32.copy()
    for g in g32:
        knet.update(w, g, opt)
        assert w.dtype == np.float32
    for buffer in opt.state or ():
        assert buffer.dtype == np.float32
    want = run_reference(otype, w32.astype(np.float64), [g.astype(np.float64) for g in g32],
                         **CUSTOM[otype])
    np.testing.assert_allclose(w, want, rtol=1e-5, atol=1e-5)
    assert not np.allclose(w, w32)


@pytest.mark.parametrize("gclip", [0.0, GCLIP])
@pytest.mark.parametrize("otype", ALL)
def test_gradient_is_not_modified(otype, gclip):
    w0, grads = random_problem()
    copies = [g.copy() for g in grads]
    run_library(otype(gclip=gclip), w0, grads)
    for g, kept in zip(grads, copies):
        np.testing.assert_array_equal(g, kept)


@pytest.mark.parametrize("otype", ALL)
@pytest.mark.parametrize("lr", [0.0, -0.1])
def test_nonpositive_learning_rate_is_refused(otype, lr):
    with pytest.raises(ValueError):
        otype(lr=lr)
    with pytest.raises(ValueError):
        knet.optimizers([np.ones(2)], otype, lr=lr)


@pytest.mark.parametrize("otype", STATEFUL)
def test_reusing_an_optimizer_for_another_shape_is_refused(otype):
    opt = otype()
    knet.update(np.ones(3), np.ones(3), opt)
    with pytest.raises(ValueError):
        knet.update(np.ones(4), np.ones(4), opt)


# ---------------------------------------------------------------------------
# knet.optimizers
# ---------------------------------------------------------------------------

Pair = collections.namedtuple("Pair", "weight count")


def nested_params():
    return [
        np.ones(3),
        (np.ones(2), 5),
        {"a": np.ones((2, 2)), "name": "layer", "index": np.arange(3), "scale": 1.5},
        Pair(np.ones(1, np.float32), 2),
    ]


def test_optimizers_builds_the_same_structure():
    opt = knet.optimizers(nested_params(), knet.Adam, lr=0.01)
    assert type(opt) is list and len(opt) == 4
    assert type(opt[1]) is tuple and len(opt[1]) == 2
    assert type(opt[2]) is dict and set(opt[2]) == {"a", "name", "index", "scale"}
    assert type(opt[3]) is Pair
    adams = [opt[0], opt[1][0], opt[2]["a"], opt[2]["scale"], opt[3].weight]
    for a in adams:
        assert type(a) is knet.Adam and a.lr == 0.01 and a.beta1 == 0.9
    assert len({id(a) for a in adams}) == len(adams)
    assert opt[1][1] is None and opt[2]["name"] is None and opt[2]["index"] is None
    assert opt[3].count is None


def test_optimizers_default_is_adam_with_defaults():
    opt = knet.optimizers([np.ones(2)])
    assert type(opt[0]) is knet.Adam and opt[0].lr == 0.001


def test_optimizers_from_an_instance_makes_independent_copies():
    proto = knet.Momentum(lr=0.2, gamma=0.3)
    w = [np.ones(3), np.ones(3)]
    opt = knet.optimizers(w, proto)
    assert all(type(o) is knet.Momentum and o.lr == 0.2 and o.gamma == 0.3 for o in opt)
    assert opt[0] is not proto and opt[1] is not proto and opt[0] is not opt[1]
    knet.update(w, [np.ones(3), None], opt)
    assert opt[0].state is not None
    assert opt[1].state is None and proto.state is None
    # A second step on w[1] from fresh state: a plain first step, not one with momentum.
    knet.update(w, [None, np.ones(3)], opt)
    np.testing.assert_allclose(w[1], 1 - 0.2)


def test_optimizers_refuses_bad_types():
    with pytest.raises(TypeError):
        knet.optimizers([np.ones(2)], "adam")
    with pytest.raises(TypeError):
        knet.optimizers([np.ones(2)], dict)
    with pytest.raises(TypeError):
        knet.optimizers([np.ones(2)], knet.Adam(), lr=0.1)


# ---------------------------------------------------------------------------
# knet.update
# ---------------------------------------------------------------------------

def test_update_is_in_place_across_structures():
    lr = 0.1
    w = [rng.normal(size=3), (rng.normal(size=2), rng.normal(size=(2, 2))), {"k": rng.normal(size=4)}]
    g = [rng.normal(size=3), (rng.normal(size=2), rng.normal(size=(2, 2))), {"k": rng.normal(size=4)}]
    arrays = [w[0], w[1][0], w[1][1], w[2]["k"]]
    before = [a.copy() for a in arrays]
    grads = [g[0], g[1][0], g[1][1], g[2]["k"]]
    inner = w[1]
    assert knet.update(w, g, knet.optimizers(w, knet.SGD, lr=lr)) is w
    assert w[1] is inner
    for a, now, b, gi in zip(arrays, [w[0], w[1][0], w[1][1], w[2]["k"]], before, grads):
        assert now is a
        np.testing.assert_allclose(a, ref_sgd(b, gi, {}, lr)[0], rtol=1e-14)


@pytest.mark.parametrize("skipped", [None, 0, 0.0])
def test_update_skips_none_and_zero_gradients(skipped):
    w = [np.ones(3), np.ones(2)]
    opt = knet.optimizers(w, knet.Adam, lr=0.1)
    knet.update(w, [skipped, np.ones(2)], opt)
    np.testing.assert_array_equal(w[0], np.ones(3))
    assert opt[0].t == 0 and opt[0].state is None
    assert opt[1].t == 1 and not np.allclose(w[1], 1)


@pytest.mark.parametrize("skipped", [None, 0])
def test_update_skips_a_whole_none_or_zero_gradient(skipped):
    for w in ([np.ones(2)], {"a": np.ones(2)}):
        opt = knet.optimizers(w, knet.Adam)
        assert knet.update(w, skipped, opt) is w
        leaf = w[0] if isinstance(w, list) else w["a"]
        np.testing.assert_array_equal(leaf, np.ones(2))


def test_update_skips_none_optimizers():
    w = [np.ones(3), np.ones(3)]
    opt = [None, knet.SGD(lr=0.5)]
    knet.update(w, [np.ones(3), np.ones(3)], opt)
    np.testing.assert_array_equal(w[0], np.ones(3))
    np.testing.assert_allclose(w[1], 0.5)


def test_update_skips_dict_keys_missing_from_the_gradient():
    w = {"a": np.ones(2), "b": np.ones(2)}
    opt = knet.optimizers(w, knet.Adam, lr=0.1)
    knet.update(w, {"b": np.ones(2)}, opt)
    np.testing.assert_array_equal(w["a"], np.ones(2))
    assert opt["a"].t == 0 and opt["a"].state is None
    assert opt["b"].t == 1 and not np.allclose(w["b"], 1)


@pytest.mark.parametrize("container", ["list", "dict"])
def test_update_replaces_python_floats(container):
    options = CUSTOM[knet.Adam]
    grads = [0.7, -2.0, 0.3]
    w = [1.5] if container == "list" else {"x": 1.5}
    key = 0 if container == "list" else "x"
    opt = knet.optimizers(w, knet.Adam, **options)
    for gi in grads:
        g = [gi] if container == "list" else {"x": gi}
        knet.update(w, g, opt)
        assert type(w[key]) is float
    assert opt[key].t == len(grads)
    want = run_reference(knet.Adam, 1.5, grads, **options)
    assert abs(w[key] - float(want)) < 1e-12 and abs(w[key] - 1.5) > 1e-3


def test_update_refuses_a_float_inside_a_tuple():
    w = (np.ones(2), 1.5)
    with pytest.raises(TypeError):
        knet.update(w, (np.ones(2), 1.0), knet.optimizers(w, knet.SGD))


def test_update_refuses_mismatched_lengths():
    w = [np.ones(2), np.ones(2)]
    opt = knet.optimizers(w, knet.SGD)
    with pytest.raises(ValueError):
        knet.update(w, [np.ones(2)], opt)
    with pytest.raises(ValueError):
        knet.update(w, [np.ones(2), np.ones(2)], opt[:1])


@pytest.mark.parametrize("otype", [knet.SGD, knet.Adam])
def test_update_zero_dimensional_array_in_place(otype):
    w = np.array(0.8)
    grads = [np.array(0.5), np.array(-1.5), np.array(0.25)]
    opt = otype(**CUSTOM[otype])
    for g in grads:
        assert knet.update(w, g, opt) is w
    assert w.shape == ()
    want = run_reference(otype, 0.8, grads, **CUSTOM[otype])
    assert abs(float(w) - float(want)) < 1e-12 and abs(float(w) - 0.8) > 1e-3


# ---------------------------------------------------------------------------
# knet.train
# ---------------------------------------------------------------------------

def quad_loss(w, x, y):
    return np.sum((x @ w[0] - y) ** 2)


def single_arg_loss(w, x):
    return np.sum((x @ w[0]) ** 2)


def quad_data(batches=4):
    return [(rng.normal(size=(5, 3)), rng.normal(size=(5, 2))) for _ in range(batches)]


def test_train_returns_one_loss_per_batch_before_each_step():
    data = quad_data()
    w = [rng.normal(size=(3, 2))]
    w0 = w[0].copy()
    array = w[0]
    losses = knet.train(quad_loss, w, data, knet.SGD, lr=0.01)
    assert len(losses) == len(data)
    assert abs(float(losses[0]) - np.sum((data[0][0] @ w0 - data[0][1]) ** 2)) < 1e-10
    assert w[0] is array and not np.allclose(w[0], w0)


def test_train_equals_gradloss_and_update_by_hand():
    data = quad_data()
    w = [rng.normal(size=(3, 2))]
    w_hand = [w[0].copy()]
    losses = knet.train(quad_loss, w, data, knet.Adam, lr=0.05)
    opt = knet.optimizers(w_hand, knet.Adam, lr=0.05)
    lossgrad = knet.gradloss(quad_loss)
    for (x, y), loss in zip(data, losses):
        g, want = lossgrad(w_hand, x, y)
        knet.update(w_hand, g, opt)
        assert abs(float(loss) - float(want)) < 1e-12
    np.testing.assert_allclose(w[0], w_hand[0], rtol=0, atol=1e-12)


def test_train_passes_a_non_tuple_batch_as_one_argument():
    data = [rng.normal(size=(4, 3)) for _ in range(3)]
    w = [rng.normal(size=(3, 2))]
    w0 = w[0].copy()
    losses = knet.train(single_arg_loss, w, data, knet.SGD, lr=0.01)
    assert len(losses) == 3
    assert abs(float(losses[0]) - np.sum((data[0] @ w0) ** 2)) < 1e-10


def test_train_accepts_an_instance():
    data = quad_data()
    w = [rng.normal(size=(3, 2))]
    w0 = w[0].copy()
    knet.train(quad_loss, w, data, knet.SGD(lr=0.01))
    assert not np.allclose(w[0], w0)


def test_train_keeps_the_state_of_an_optimizer_structure():
    data = quad_data(3)
    w = [rng.normal(size=(3, 2))]
    opt = knet.optimizers(w, knet.Adam, lr=0.01)
    knet.train(quad_loss, w, data, opt)
    assert opt[0].t == 3
    knet.train(quad_loss, w, data, opt)
    assert opt[0].t == 6


def test_train_reduces_a_quadratic_loss():
    data = quad_data()
    w = [rng.normal(size=(3, 2))]
    losses = knet.train(quad_loss, w, knet.epochs(data, 30), knet.SGD, lr=0.01)
    first = sum(float(v) for v in losses[:4])
    last = sum(float(v) for v in losses[-4:])
    assert last < first


def test_train_refuses_options_with_an_optimizer_structure():
    w = [np.ones((3, 2))]
    opt = knet.optimizers(w, knet.Adam)
    with pytest.raises(TypeError):
        knet.train(quad_loss, w, quad_data(), opt, lr=0.1)


# ---------------------------------------------------------------------------
# knet.progress and knet.epochs
# ---------------------------------------------------------------------------

def test_progress_yields_the_same_numbers_and_shows_the_loss():
    items = [3.0, 2.5, 1.25]
    out = io.StringIO()
    assert list(knet.progress(items, every=0, file=out)) == items
    text = out.getvalue()
    assert "loss=" in text and "loss=1.25" in text


def test_progress_shows_the_loss_of_numpy_scalars():
    items = [np.float64(2.0), np.array(0.5)]
    out = io.StringIO()
    got = list(knet.progress(items, every=0, file=out))
    assert len(got) == 2 and all(a is b for a, b in zip(got, items))
    assert "loss=0.5" in out.getvalue()


def test_progress_works_with_a_generator_without_len():
    out = io.StringIO()
    assert list(knet.progress((i * i for i in range(6)), file=out)) == [0, 1, 4, 9, 16, 25]
    assert out.getvalue()


def test_progress_passes_non_numbers_through():
    items = [(1, "a"), (2, "b"), (3, "c")]
    out = io.StringIO()
    assert list(knet.progress(items, every=0, file=out)) == items
    assert "loss=" not in out.getvalue()


def test_train_with_a_progress_bar(capsys):
    data = quad_data(3)
    w = [rng.normal(size=(3, 2))]
    losses = knet.train(quad_loss, w, data, knet.SGD, lr=0.01, progress="fitting")
    err = capsys.readouterr().err
    assert len(losses) == 3 and "fitting" in err and f"loss={float(losses[-1]):.4g}" in err


def test_epochs_repeats_the_data():
    data = [1, 2, 3]
    passes = knet.epochs(data, 4)
    assert len(passes) == 12
    assert list(passes) == data * 4
    assert list(passes) == data * 4  # iterable again
    assert list(knet.epochs(data, 0)) == []


def test_epochs_over_minibatches():
    x = np.arange(10.0).reshape(10, 1)
    data = knet.minibatch(x, 3)
    passes = knet.epochs(data, 2)
    assert len(passes) == 2 * len(data) == 6
    batches = list(passes)
    assert len(batches) == 6
    np.testing.assert_array_equal(batches[3], batches[0])
