"""Initializers (knet.param, param0, xavier_uniform, xavier_normal, gaussian, bilinear)
and knet.seed.

Distributions are checked against the formulas: Glorot's bound / std with fans read
as (in, out) for dense weights, (n, 1) for vectors and (in*kh*kw, out*kh*kw) for
convolution weights (out, in, kh, kw). bilinear is checked by what it does: deconv4
with it upsamples constant and linear images into constant and linear images.
"""
import math

import numpy as np
import pytest

import knet_ast as knet


@pytest.fixture(autouse=True)
def _seeded():
    knet.seed(12345)


def glorot_sum(shape):
    """fan_in + fan_out, from the layout rules in the module docstring."""
    if len(shape) == 1:
        return shape[0] + 1
    if len(shape) == 2:
        return shape[0] + shape[1]
    out, inp, *kernel = shape
    k = math.prod(kernel)
    return inp * k + out * k


# ---------------------------------------------------------------------------
# param and param0: shapes, dtypes, atype
# ---------------------------------------------------------------------------

def test_param_default_is_float32_numpy():
    w = knet.param(3, 4)
    assert type(w) is np.ndarray and w.shape == (3, 4) and w.dtype == np.float32
    assert np.any(w != 0)


def test_param_accepts_a_shape_tuple():
    assert knet.param((2, 5)).shape == (2, 5)
    assert knet.param0((2, 5)).shape == (2, 5)


@pytest.mark.parametrize("atype, dtype", [
    (np.float64, np.float64),
    (np.float16, np.float16),
    (knet.ArrayType(np.float16), np.float16),
    (knet.ArrayType(np.float64), np.float64),
])
def test_param_atype_sets_the_dtype(atype, dtype):
    w = knet.param(4, 3, atype=atype)
    assert type(w) is np.ndarray and w.dtype == dtype and w.shape == (4, 3)
    z = knet.param0(5, atype=atype)
    assert z.dtype == dtype and z.shape == (5,) and not np.any(z)


def test_param_atype_callable_is_called_on_the_initial_array():
    seen = []

    def convert(a):
        seen.append((a.shape, a.dtype))
        return np.asarray(a, dtype=np.float64) + 100.0

    w = knet.param(2, 3, init=lambda *d: np.ones(d), atype=convert)
    assert seen == [((2, 3), np.float64)]
    np.testing.assert_array_equal(w, np.full((2, 3), 101.0))


def test_param_uses_the_given_init():
    w = knet.param(2, 3, init=lambda *d: np.full(d, 0.25))
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, np.full((2, 3), 0.25, np.float32))
    g = knet.param(400, 50, init=knet.gaussian)
    assert abs(float(np.std(g)) - 0.01) < 0.001


def test_param_of_an_existing_array_converts_it():
    a = np.arange(6).reshape(2, 3)
    w = knet.param(a)
    assert w.dtype == np.float32 and w.shape == (2, 3)
    np.testing.assert_array_equal(w, a)
    w64 = knet.param(np.arange(4, dtype=np.float32), atype=np.float64)
    assert w64.dtype == np.float64
    np.testing.assert_array_equal(w64, [0, 1, 2, 3])


def test_param0_is_zeros():
    z = knet.param0(3, 2)
    assert z.dtype == np.float32 and z.shape == (3, 2)
    np.testing.assert_array_equal(z, 0)


@pytest.mark.parametrize("make", [
    lambda: knet.param(-1, 3),
    lambda: knet.param(2.5),
    lambda: knet.param0(-2),
    lambda: knet.param0(3, "a"),
    lambda: knet.xavier_uniform(2, -3),
    lambda: knet.xavier_normal(1.5, 2),
    lambda: knet.gaussian(None),
])
def test_bad_dimensions_are_refused(make):
    with pytest.raises(ValueError):
        make()


# ---------------------------------------------------------------------------
# xavier_uniform, xavier_normal, gaussian
# ---------------------------------------------------------------------------

SHAPES = [(300, 200), (20000,), (16, 8, 5, 5), (32, 16, 3, 5)]


def test_xavier_is_xavier_uniform():
    knet.seed(1)
    a = knet.xavier(4, 5)
    knet.seed(1)
    np.testing.assert_array_equal(a, knet.xavier_uniform(4, 5))


@pytest.mark.parametrize("gain", [1.0, 2.5])
@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_uniform_bound_and_std(shape, gain):
    bound = gain * math.sqrt(6 / glorot_sum(shape))
    w = knet.xavier_uniform(*shape, gain=gain)
    assert w.shape == shape and w.dtype == np.float64
    assert np.max(np.abs(w)) <= bound
    assert np.max(np.abs(w)) > 0.99 * bound  # the bound is reached, so it is not smaller
    assert abs(np.std(w) / (bound / math.sqrt(3)) - 1) < 0.03
    assert abs(np.mean(w)) < 0.05 * bound


@pytest.mark.parametrize("gain", [1.0, 3.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_normal_std(shape, gain):
    std = gain * math.sqrt(2 / glorot_sum(shape))
    w = knet.xavier_normal(*shape, gain=gain)
    assert w.shape == shape and w.dtype == np.float64
    assert abs(np.std(w) / std - 1) < 0.03
    assert abs(np.mean(w)) < 0.05 * std


def test_initializer_dtype_option():
    for init in (knet.xavier_uniform, knet.xavier_normal, knet.gaussian):
        assert init(3, 4, dtype=np.float32).dtype == np.float32
    assert knet.bilinear(2, 2, 1, 1, dtype=np.float32).dtype == np.float32


def test_gaussian_defaults():
    w = knet.gaussian(500, 200)
    assert w.shape == (500, 200) and w.dtype == np.float64
    assert abs(np.std(w) - 0.01) < 0.0003
    assert abs(np.mean(w)) < 5 * 0.01 / math.sqrt(w.size)


def test_gaussian_mean_and_std():
    w = knet.gaussian(400, 100, mean=3.0, std=0.5)
    assert abs(np.std(w) - 0.5) < 0.015
    assert abs(np.mean(w) - 3.0) < 5 * 0.5 / math.sqrt(w.size)


# ---------------------------------------------------------------------------
# knet.seed
# ---------------------------------------------------------------------------

def draws():
    return [knet.param(3, 4), knet.xavier_uniform(5), knet.xavier_normal(2, 3), knet.gaussian(6)]


def test_seed_makes_initializers_reproducible():
    knet.seed(7)
    first = draws()
    knet.seed(7)
    again = draws()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    knet.seed(8)
    other = draws()
    for a, b in zip(first, other):
        assert not np.array_equal(a, b)


def test_draws_without_reseeding_differ():
    a, b = knet.gaussian(5), knet.gaussian(5)
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------------------
# bilinear
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("f, k", [(1, 1), (2, 4), (3, 5), (4, 8)])
def test_bilinear_shape_and_channels(f, k):
    C = 3
    w = knet.bilinear(f, f, C, C)
    assert w.shape == (C, C, k, k) and w.dtype == np.float64
    assert k == 2 * f - f % 2
    for i in range(C):
        assert np.all(w[i, i] > 0) or f == 1
        np.testing.assert_array_equal(w[i, i], w[0, 0])
        for j in range(C):
            if i != j:
                np.testing.assert_array_equal(w[i, j], 0)
    np.testing.assert_allclose(w[0, 0], w[0, 0].T)  # the same interpolation on both axes


def upsample(f, x):
    w = knet.bilinear(f, f, x.shape[1], x.shape[1])
    return knet.deconv4(w, x, stride=f, padding=f // 2)


def interior(y, f):
    """The output away from the zero-padded border."""
    return y[..., 2 * f:-2 * f, 2 * f:-2 * f]


@pytest.mark.parametrize("f", [2, 3])
def test_bilinear_upsamples_a_constant_image(f):
    H, W = 8, 7
    values = np.array([2.0, -0.5])
    x = np.ones((1, 2, H, W)) * values[None, :, None, None]
    y = upsample(f, x)
    assert y.shape == (1, 2, f * H, f * W)
    for c, value in enumerate(values):
        middle = interior(y[0, c], f)
        assert middle.size > 0
        np.testing.assert_allclose(middle, value, rtol=1e-12)


@pytest.mark.parametrize("f", [2, 3])
def test_bilinear_upsamples_a_ramp_into_a_ramp(f):
    H, W = 9, 8
    a, b, c = 0.5, -0.25, 1.0
    i, j = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    x = (a * i + b * j + c)[None, None]
    y = upsample(f, x)[0, 0]
    assert y.shape == (f * H, f * W)
    middle = interior(y, f)
    # A ramp with the slopes divided by f...
    np.testing.assert_allclose(np.diff(middle, axis=0), a / f, atol=1e-12)
    np.testing.assert_allclose(np.diff(middle, axis=1), b / f, atol=1e-12)
    # ...whose output pixel p sits at input coordinate (p + 0.5) / f - 0.5.
    p, q = np.meshgrid(np.arange(f * H), np.arange(f * W), indexing="ij")
    ramp = a * ((p + 0.5) / f - 0.5) + b * ((q + 0.5) / f - 0.5) + c
    np.testing.assert_allclose(middle, interior(ramp, f), atol=1e-12)


@pytest.mark.parametrize("args", [(2, 3, 1, 1), (2, 2, 1, 2), (3, 2, 2, 3)])
def test_bilinear_refuses_unequal_factors_or_channels(args):
    with pytest.raises(ValueError):
        knet.bilinear(*args)
