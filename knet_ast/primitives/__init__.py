"""Derivative rules, one module per family; importing this package registers them all."""
from . import adjoints, arithmetic, elementwise, linalg, pymath, reductions, shape  # noqa: F401
from .registry import defattr, defgrad, defmethod, nondiff  # noqa: F401
