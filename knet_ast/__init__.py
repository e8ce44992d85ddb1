"""knet_ast: Knet's "write the model in plain code, call grad" for Python.

`knet.grad(f)` reads the source of `f` and writes its adjoint as Python source
you can print (`.source`), read and step through.
"""
from . import data, primitives  # noqa: F401  (datasets; registering the rules)
from .api import GradFunction, grad, gradloss
from .derivatives import HvpFunction, JvpFunction, hessian, hvp, jacobian, jvp
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
from .init import bilinear, gaussian, param, param0, xavier, xavier_normal, xavier_uniform
from .minibatch import epochs, minibatch
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
from .optim import SGD, Adadelta, Adagrad, Adam, Momentum, Nesterov, Optimizer, Rmsprop, optimizers, update
from .primitives.registry import defattr, defgrad, defmethod, nondiff
from .primitives.tangents import defjvp
from .progress import progress
from .rng import seed
from .runtime.backend import ArrayType, array_module, gpu, to_host
from .runtime.training import training
from .saving import load, save
from .train import train

__version__ = "0.1.0"

__all__ = [
    "grad", "gradloss", "GradFunction", "jvp", "hvp", "jacobian", "hessian", "JvpFunction",
    "HvpFunction", "defjvp", "gradcheck", "primitive", "defgrad", "defmethod", "defattr",
    "nondiff", "getval", "stop_gradient", "relu", "sigm", "tanh", "elu", "selu", "softplus",
    "logsumexp", "logp", "logsoftmax", "softmax", "nll", "accuracy", "bce", "logistic", "dropout",
    "conv4", "deconv4", "pool", "unpool", "mat", "batchnorm", "bnmoments", "bnparams", "rnninit",
    "rnnforw", "rnnparam", "training", "array_module", "gpu", "ArrayType", "to_host",
    "xavier", "xavier_uniform", "xavier_normal", "gaussian", "bilinear", "param", "param0", "seed",
    "Optimizer", "SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "Rmsprop", "Adam",
    "optimizers", "update", "train", "minibatch", "epochs", "progress", "save", "load", "data",
    "KnetError", "SourceError", "UnsupportedSyntaxError", "InputMutationError", "NoRuleError",
    "NonScalarOutputError",
]
