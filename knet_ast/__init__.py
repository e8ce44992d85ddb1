"""knet_ast: Knet's "write the model in plain code, call grad" for Python.

`knet.grad(f)` reads the source of `f` and writes its adjoint as Python source
you can print (`.source`), read and step through.
"""
from . import primitives  # noqa: F401  (registers the rules)
from .api import GradFunction, grad, gradloss
from .errors import (
                     InputMutationError,
                     KnetError,
                     NonScalarOutputError,
                     NoRuleError,
                     SourceError,
                     UnsupportedSyntaxError,
)
from .extend import getval, primitive, stop_gradient
from .gradcheck import gradcheck
from .nn import (
                 accuracy,
                 batchnorm,
                 bce,
                 bnmoments,
                 bnparams,
                 conv4,
                 deconv4,
                 dropout,
                 elu,
                 logistic,
                 logp,
                 logsoftmax,
                 logsumexp,
                 mat,
                 nll,
                 pool,
                 relu,
                 rnnforw,
                 rnninit,
                 rnnparam,
                 selu,
                 sigm,
                 softmax,
                 softplus,
                 tanh,
                 unpool,
)
from .primitives.registry import defattr, defgrad, defmethod, nondiff
from .runtime.backend import array_module, gpu
from .runtime.training import training

__version__ = "0.1.0"

__all__ = [
    "grad", "gradloss", "GradFunction", "gradcheck", "primitive", "defgrad", "defmethod", "defattr",
    "nondiff", "getval", "stop_gradient", "relu", "sigm", "tanh", "elu", "selu", "softplus",
    "logsumexp", "logp", "logsoftmax", "softmax", "nll", "accuracy", "bce", "logistic", "dropout",
    "conv4", "deconv4", "pool", "unpool", "mat", "batchnorm", "bnmoments", "bnparams", "rnninit",
    "rnnforw", "rnnparam", "training", "array_module", "gpu",
    "KnetError", "SourceError", "UnsupportedSyntaxError", "InputMutationError", "NoRuleError",
    "NonScalarOutputError",
]
