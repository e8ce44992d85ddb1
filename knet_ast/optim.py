"""Knet's optimizers: SGD, Momentum, Nesterov, Adagrad, Adadelta, Rmsprop, Adam.

One optimizer object per parameter array holds that array's state (velocity,
moment estimates). `optimizers(w, Adam, lr=...)` builds them in w's structure and
`update(w, g, opt)` applies a gradient in place, walking list / tuple / dict
structures in parallel. Knet's defaults (its current train20 code) and formulas; every step keeps the
parameter's dtype and array module (float32 stays float32, CuPy stays CuPy).
"""
import copy
import inspect
import numbers

import numpy as np

from .runtime.backend import array_module, is_array


class Optimizer:
    """Base class: option checks, gradient clipping, state allocation, the in-place step.
    An optimizer serves one parameter array: the first step binds it to that array.

    Examples
    --------
    A new optimizer defines `apply(w, g, *state)` (and `init_state(w)` if it keeps state):

    >>> class SignSGD(knet.Optimizer):
    ...     def apply(self, w, g):
    ...         w -= self.lr * np.sign(g)
    >>> w = np.array([1.0, -2.0])
    >>> opt = SignSGD(lr=0.5)
    >>> knet.update(w, np.array([3.0, -0.1]), opt)
    array([ 0.5, -1.5])
    >>> opt
    SignSGD(lr=0.5, gclip=0.0)
    """

    def __init__(self, lr, gclip=0.0):
        _check(self, "lr", lr, lr > 0, "positive")
        _check(self, "gclip", gclip, gclip >= 0, "0 (no clipping) or positive")
        self.lr = lr
        self.gclip = gclip
        self.reset()

    def reset(self):
        """Forget the state (velocity, moments) and the array it belongs to."""
        self.state = None
        self._owner = self._box = None

    def __repr__(self):
        accepted = inspect.signature(type(self)).parameters    # the options, not the state
        options = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k in accepted)
        return f"{type(self).__name__}({options})"

    def step(self, w, g):
        """Update the array w in place with gradient g (not modified)."""
        if np.shape(g) != w.shape:
            raise ValueError(f"{type(self).__name__}: the gradient has shape {np.shape(g)}, "
                             f"the parameter {w.shape}")
        if self.state is None:
            self.state, self._owner = self.init_state(w), id(w)
        elif self._owner != id(w):
            raise ValueError(f"this {type(self).__name__} holds the state of another array; "
                             f"give each parameter its own: knet.optimizers(w, "
                             f"{type(self).__name__}, ...)")
        self.apply(w, clip(g, self.gclip), *self.state)

    def init_state(self, w):
        return ()

    def apply(self, w, g, *state):
        raise NotImplementedError


def _check(optimizer, name, value, ok, expected):
    if not ok:
        raise ValueError(f"{type(optimizer).__name__}: {name} must be {expected}, got {value!r}")


def _fraction(optimizer, name, value):
    _check(optimizer, name, value, 0 <= value < 1, "in [0, 1)")


def clip(g, gclip):
    """g scaled down to norm gclip if its norm is larger (gclip 0: no clipping)."""
    if not gclip:
        return g
    norm = float(array_module(g).linalg.norm(g))
    return g * (gclip / norm) if norm > gclip else g


def _zeros(w, count):
    xp = array_module(w)
    return tuple(xp.zeros_like(w) for _ in range(count))


class SGD(Optimizer):
    """w -= lr g.

    Examples
    --------
    >>> w = np.array([1.0, 2.0])
    >>> opt = knet.SGD(lr=0.1)
    >>> knet.update(w, np.array([1.0, -1.0]), opt)
    array([0.9, 2.1])
    >>> knet.SGD(lr=0.1, gclip=1.0).step(w, np.array([30.0, 40.0]))   # clipped to norm 1
    >>> w
    array([0.84, 2.02])
    """

    def __init__(self, lr=0.1, gclip=0.0):
        super().__init__(lr, gclip)

    def apply(self, w, g):
        w -= self.lr * g


class Momentum(Optimizer):
    """v = gamma v + lr g; w -= v (Polyak's heavy ball).

    Examples
    --------
    With a constant gradient the steps grow, 0.1, 0.19, 0.271, ..., towards lr / (1 - gamma):

    >>> w = np.array([1.0])
    >>> opt = knet.Momentum(lr=0.1, gamma=0.9)
    >>> for _ in range(3):
    ...     print(knet.update(w, np.array([1.0]), opt))
    [0.9]
    [0.71]
    [0.439]
    """

    def __init__(self, lr=0.05, gclip=0.0, gamma=0.95):
        super().__init__(lr, gclip)
        _fraction(self, "gamma", gamma)
        self.gamma = gamma

    def init_state(self, w):
        return _zeros(w, 1)

    def apply(self, w, g, v):
        v *= self.gamma
        v += self.lr * g
        w -= v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the form of Sutskever et al. (2013):
    v' = gamma v - lr g; w += -gamma v + (1 + gamma) v'. Momentum's options and state.

    Examples
    --------
    Nesterov looks one step ahead, so its steps grow faster than Momentum's (0.1, 0.19, ...):

    >>> w = np.array([1.0])
    >>> opt = knet.Nesterov(lr=0.1, gamma=0.9)
    >>> for _ in range(3):
    ...     print(knet.update(w, np.array([1.0]), opt))
    [0.81]
    [0.539]
    [0.1951]
    """

    def apply(self, w, g, v):
        w -= self.gamma * v
        v *= self.gamma
        v -= self.lr * g
        w += (1 + self.gamma) * v


class Adagrad(Optimizer):
    """G += g^2; w -= lr g / sqrt(G + eps).

    Examples
    --------
    Each entry first moves by lr whatever its gradient's scale; later steps shrink:

    >>> w = np.array([1.0, 1.0])
    >>> opt = knet.Adagrad(lr=0.1)
    >>> for _ in range(3):
    ...     print(knet.update(w, np.array([10.0, 0.1]), opt))
    [0.9 0.9]
    [0.8293 0.8293]
    [0.7716 0.7716]
    """

    def __init__(self, lr=0.05, gclip=0.0, eps=1e-6):
        super().__init__(lr, gclip)
        _check(self, "eps", eps, eps > 0, "positive")
        self.eps = eps

    def init_state(self, w):
        return _zeros(w, 1)

    def apply(self, w, g, G):
        G += g * g
        w -= self.lr * g / array_module(w).sqrt(G + self.eps)


class Adadelta(Optimizer):
    """G = rho G + (1 - rho) g^2; u = g sqrt(D + eps) / sqrt(G + eps); w -= lr u;
    D = rho D + (1 - rho) u^2 (Zeiler, 2012).

    Examples
    --------
    Steps are scale-free and start small, about sqrt(eps / (1 - rho)) with the defaults:

    >>> w = np.array([1.0, 1.0])
    >>> opt = knet.Adadelta()
    >>> knet.update(w, np.array([10.0, 0.1]), opt)
    array([0.9968, 0.9968])
    >>> opt.lr, opt.rho, opt.eps
    (1.0, 0.9, 1e-06)
    """

    def __init__(self, lr=1.0, gclip=0.0, rho=0.9, eps=1e-6):
        super().__init__(lr, gclip)
        _fraction(self, "rho", rho)
        _check(self, "eps", eps, eps > 0, "positive")
        self.rho, self.eps = rho, eps

    def init_state(self, w):
        return _zeros(w, 2)

    def apply(self, w, g, G, D):
        xp = array_module(w)
        G *= self.rho
        G += (1 - self.rho) * g * g
        u = g * xp.sqrt(D + self.eps) / xp.sqrt(G + self.eps)
        w -= self.lr * u
        D *= self.rho
        D += (1 - self.rho) * u * u


class Rmsprop(Optimizer):
    """G = rho G + (1 - rho) g^2; w -= lr g / sqrt(G + eps).

    Examples
    --------
    The first step is lr / sqrt(1 - rho) (here 0.0316) whatever the gradient's scale:

    >>> w = np.array([1.0, 1.0])
    >>> opt = knet.Rmsprop(lr=0.01)
    >>> knet.update(w, np.array([10.0, 0.1]), opt)
    array([0.9684, 0.9684])
    """

    def __init__(self, lr=0.01, gclip=0.0, rho=0.9, eps=1e-6):
        super().__init__(lr, gclip)
        _fraction(self, "rho", rho)
        _check(self, "eps", eps, eps > 0, "positive")
        self.rho, self.eps = rho, eps

    def init_state(self, w):
        return _zeros(w, 1)

    def apply(self, w, g, G):
        G *= self.rho
        G += (1 - self.rho) * g * g
        w -= self.lr * g / array_module(w).sqrt(G + self.eps)


class Adam(Optimizer):
    """m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
    w -= lr m^ / (sqrt(v^) + eps) with the bias-corrected m^ = m / (1 - beta1^t),
    v^ = v / (1 - beta2^t) (Kingma and Ba, 2015).

    Examples
    --------
    Thanks to the bias correction, a steady gradient moves each entry by lr per step:

    >>> w = np.array([1.0, 1.0])
    >>> opt = knet.Adam(lr=0.01)
    >>> for _ in range(2):
    ...     print(knet.update(w, np.array([10.0, 0.1]), opt))
    [0.99 0.99]
    [0.98 0.98]
    >>> opt.t, opt.beta1, opt.beta2
    (2, 0.9, 0.999)
    """

    def __init__(self, lr=0.001, gclip=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr, gclip)
        _fraction(self, "beta1", beta1)
        _fraction(self, "beta2", beta2)
        _check(self, "eps", eps, eps > 0, "positive")
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def reset(self):
        super().reset()
        self.t = 0

    def init_state(self, w):
        return _zeros(w, 2)

    def apply(self, w, g, m, v):
        self.t += 1
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        mhat_scale = 1 / (1 - self.beta1 ** self.t)
        vhat_scale = 1 / (1 - self.beta2 ** self.t)
        w -= (self.lr * mhat_scale) * m / (array_module(w).sqrt(vhat_scale * v) + self.eps)


OPTIMIZERS = (SGD, Momentum, Nesterov, Adagrad, Adadelta, Rmsprop, Adam)


def _trainable(x):
    if is_array(x) or isinstance(x, np.generic):
        return np.issubdtype(x.dtype, np.floating)
    return isinstance(x, float)


def optimizers(w, otype=Adam, **options):
    """One optimizer per floating-point array (or float) in w, in w's structure
    (Knet's `optimizers`); other leaves get None. otype is an optimizer class, with
    options passed to it, or an instance whose options are copied (not its state).

    Examples
    --------
    >>> knet.optimizers([np.zeros(2), np.array([1, 2]), 0.5], knet.SGD, lr=0.1)
    [SGD(lr=0.1, gclip=0.0), None, SGD(lr=0.1, gclip=0.0)]
    >>> def loss(w, x):
    ...     return np.mean((x @ w["W"] + w["b"] - 1.0) ** 2)
    >>> w = {"W": np.zeros((2, 3)), "b": np.zeros(3)}
    >>> opt = knet.optimizers(w, knet.Adam, lr=0.01)
    >>> losses = knet.train(loss, w, [np.ones((4, 2))] * 50, opt)
    >>> more = knet.train(loss, w, [np.ones((4, 2))] * 50, opt)   # Adam's state carries on
    >>> bool(more[-1] < more[0] < losses[0]), opt["W"].t
    (True, 100)
    """
    if isinstance(w, (list, tuple)):
        parts = [optimizers(x, otype, **options) for x in w]
        return type(w)(*parts) if hasattr(w, "_fields") else type(w)(parts)
    if isinstance(w, dict):
        return {k: optimizers(x, otype, **options) for k, x in w.items()}
    if not _trainable(w):
        return None
    if isinstance(otype, Optimizer):
        if options:
            raise TypeError("optimizers(w, instance) copies the instance; pass options to the "
                            "class instead: optimizers(w, Adam, lr=...)")
        fresh = copy.deepcopy(otype)
        fresh.reset()
        return fresh
    if isinstance(otype, type) and issubclass(otype, Optimizer):
        return otype(**options)
    raise TypeError(f"optimizers: {otype!r} is not an optimizer class or instance "
                    f"(use one of {', '.join(o.__name__ for o in OPTIMIZERS)})")


def _skip(g):
    """A gradient that changes nothing: None, or a zero that is not an array."""
    return g is None or (not is_array(g) and isinstance(g, numbers.Number) and g == 0)


def update(w, g, opt):
    """Apply the gradient g to the parameters w in place (Knet's `update!`), using the
    optimizers built by `optimizers(w, ...)`. Structures are walked in parallel; a None
    or scalar-zero gradient, a None optimizer and a dict key missing from g are
    skipped. A float in a list or dict is replaced; arrays are updated in place.
    Returns w.

    Examples
    --------
    A training loop by hand (knet.train runs this loop), fitting y = 3 x + 1:

    >>> def loss(w, x, y):
    ...     return np.mean((x * w[0] + w[1] - y) ** 2)
    >>> x, w = np.array([0.0, 1.0, 2.0]), [np.zeros(1), np.zeros(1)]
    >>> opt, lossgrad = knet.optimizers(w, knet.SGD, lr=0.1), knet.gradloss(loss)
    >>> for _ in range(200):
    ...     g, value = lossgrad(w, x, 3 * x + 1)
    ...     w = knet.update(w, g, opt)
    >>> print(w[0], w[1], bool(value < 1e-6))
    [3.] [1.] True
    """
    if isinstance(w, (list, tuple)):
        if not isinstance(g, (list, tuple)) or not isinstance(opt, (list, tuple)) \
                or not len(w) == len(g) == len(opt):
            if _skip(g):
                return w
            raise ValueError(f"update: a {type(w).__name__} of {len(w)} parameters needs "
                             f"gradients and optimizers of the same length, got "
                             f"{_describe(g)} and {_describe(opt)}")
        for i, (wi, gi, oi) in enumerate(zip(w, g, opt)):
            new = update(wi, gi, oi)
            if new is not wi:
                if isinstance(w, tuple):
                    raise TypeError(f"update: entry {i} of a tuple is a {type(wi).__name__}, "
                                    f"which cannot be updated in place; keep it in a list or "
                                    f"an array")
                w[i] = new
        return w
    if isinstance(w, dict):
        if _skip(g):
            return w
        if not isinstance(g, dict) or not isinstance(opt, dict):
            raise ValueError(f"update: a dict of parameters needs dicts of gradients and "
                             f"optimizers, got {_describe(g)} and {_describe(opt)}")
        for k, wk in w.items():
            if k in g:
                if k not in opt and _trainable(wk) and not _skip(g[k]):
                    raise KeyError(f"update: no optimizer for parameter {k!r} (added after "
                                   f"knet.optimizers was called?); rebuild them, or set "
                                   f"opt[{k!r}] = None to freeze it")
                new = update(wk, g[k], opt.get(k))
                if new is not wk:
                    w[k] = new
        return w
    if opt is None or _skip(g):
        return w
    if not isinstance(opt, Optimizer):
        raise TypeError(f"update: expected an optimizer for this parameter, got {opt!r}; "
                        f"build them with knet.optimizers(w, Adam, lr=...)")
    if is_array(w):
        opt.step(w, g)
        return w
    if not _trainable(w):
        raise TypeError(f"update: a {type(w).__name__} parameter cannot be trained; parameters "
                        f"are floating-point arrays or floats")
    # a number: stepped in a one-entry array the optimizer keeps, then read back
    dtype = w.dtype if isinstance(w, np.floating) else np.float64
    if not (isinstance(opt._box, np.ndarray) and opt._box.dtype == dtype):
        opt._box = np.zeros((), dtype)
    opt._box[...] = w
    opt.step(opt._box, np.asarray(g, dtype))
    return type(w)(opt._box[()])


def _describe(x):
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of {len(x)}"
    return type(x).__name__


__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "Rmsprop", "Adam",
           "optimizers", "update", "clip"]
