"""Checks that generated code makes at run time, where the transform cannot decide."""
from ..errors import InputMutationError
from .backend import is_array


def refuse_shared_inplace(value, name):
    """`name += ...` where another name refers to the same value: NumPy would update the array
    in place (changing the other name too), while knet_ast rebinds `name`."""
    if is_array(value) or isinstance(value, (list, dict, set, bytearray)):
        raise InputMutationError(
            f"`{name} += ...` (or another augmented assignment) on a {type(value).__name__} that "
            "another name also refers to: Python changes it in place, so the other name would "
            f"change too, and the gradient could not follow. Write `{name} = {name} + ...`, or "
            f"copy first (`{name} = {name}.copy()`).")
