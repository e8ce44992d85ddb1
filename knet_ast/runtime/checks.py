"""Checks that generated code makes at run time, where the transform cannot decide."""
from ..errors import InputMutationError
from .backend import is_array


def refuse_shared_inplace(value, name):
    """`name += ...` where another name refers to the same value: NumPy would update the array
    in place (changing the other name too), while knet_ast rebinds `name`."""
    if is_array(value):
        raise InputMutationError(
            f"`{name} += ...` (or another augmented assignment) on an array that another name "
            "also refers to: NumPy changes it in place, so the other name would change too, "
            f"and the gradient could not follow. Write `{name} = {name} + ...`, or copy first "
            f"(`{name} = {name}.copy()`).")
