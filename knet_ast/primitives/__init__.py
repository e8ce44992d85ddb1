"""Derivative rules, one module per family; importing this package registers them all."""
from . import (  # noqa: F401
    adjoints,
    arithmetic,
    elementwise,
    linalg,
    pymath,
    reductions,
    shape,
    tangents,  # noqa: F401, E402  (forward-mode rules; after the families)
)
from .registry import defattr, defgrad, defmethod, nondiff  # noqa: F401
