"""A rule that recomputes a ufunc of the forward pass reads the forward value instead
(optimize._reuse_forward_values), and only where that value is still the same."""
import numpy as np
from checkgrad import check_grad

import knet_ast as knet


def tiny(x):
    return np.sin(x) ** 2 + x * np.cos(x)


def reassigned(x):
    s = np.sin(x)
    for _ in range(2):
        x = x * 1.5        # x changes: np.sin(x) later is not s
    return np.sum(s * np.cos(x))


def reverse_code(f):
    """The reverse sweep of grad(f)'s main function, without its comments."""
    reverse = knet.grad(f).source.split("# reverse sweep")[1]
    return "\n".join(line for line in reverse.splitlines() if not line.strip().startswith("#"))


def test_the_forward_value_is_reused():
    reverse = reverse_code(tiny)
    assert "np.sin" not in reverse and "np.cos" not in reverse
    assert "dcos_x * sin_x" in reverse
    check_grad(tiny, 0.7)
    check_grad(tiny, -1.3)


def test_a_reassigned_argument_is_recomputed():
    reverse = reverse_code(reassigned)
    assert "np.sin(x" in reverse
    check_grad(reassigned, np.linspace(-1, 1, 4))
