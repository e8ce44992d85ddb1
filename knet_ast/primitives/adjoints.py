"""Rules for the runtime helpers that generated gradients call, so that knet_ast can
differentiate its own output (`grad(grad(f))`, `hvp`).

Each helper is linear in the gradient it receives, so each rule is its transpose:
unbroadcast sums, its rule broadcasts; add_at places, its rule takes. Arguments read
only for their shape get no rule. The tape needs none: reverse.py gives `T.append`
and `T.pop()` their adjoints directly.
"""
from ..runtime import accumulate
from .registry import SEQUENCE_OUTPUTS, defgrad, nondiff

_KERNELS = {name: getattr(accumulate, name) for name in (
    "broadcast_like", "reduce_like", "mean_grad_back", "take_at", "grad_item_back",
    "finalize_back")}

nondiff(accumulate.seed_gradient, accumulate.shape_of, accumulate.zeros_like_grad)

defgrad(accumulate.add_grad, a="dy", b="dy")
defgrad(accumulate.zeros_if_none, d="dy")
defgrad(accumulate.finalize_grad, d="finalize_back(dy, d)", namespace=_KERNELS)
defgrad(accumulate.unbroadcast, g="broadcast_like(dy, g)", namespace=_KERNELS)
defgrad(accumulate.unreduce, g="reduce_like(dy, g, axis, keepdims)", namespace=_KERNELS)
defgrad(accumulate.mean_grad, g="mean_grad_back(dy, g, x, y, axis, keepdims)",
        namespace=_KERNELS)
for _scatter in (accumulate.add_at, accumulate.add_in_place):
    defgrad(_scatter, da="dy", g="take_at(dy, index, g)", namespace=_KERNELS)
defgrad(accumulate.grad_item, dt="grad_item_back(dy, dt, key)", namespace=_KERNELS)

# The transposes' own rules: each pair transposes to the other, so any order is covered.
defgrad(accumulate.broadcast_like, g="unbroadcast(dy, g)")
defgrad(accumulate.reduce_like, g="unreduce(dy, g, axis, keepdims)")
defgrad(accumulate.mean_grad_back, g="mean_grad(dy, x, y, axis, keepdims)")
defgrad(accumulate.take_at, g="grad_item_back(dy, g, index)", namespace=_KERNELS)
defgrad(accumulate.grad_item_back, g="grad_item(dy, key, g)")
defgrad(accumulate.finalize_back, g="finalize_back(dy, g)", namespace=_KERNELS)

# An adjoint may be a list or dict (of a container value): these add it item by item.
SEQUENCE_OUTPUTS.update((accumulate.add_grad, accumulate.zeros_if_none, accumulate.finalize_grad,
                         accumulate.add_at, accumulate.add_in_place, accumulate.grad_item,
                         accumulate.take_at, accumulate.grad_item_back, accumulate.finalize_back))
