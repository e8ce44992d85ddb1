"""The tape: a plain Python list used as a stack.

Generated code creates one per gradient call (`_tape = []`), pushes with
`_tape.append(...)` in the forward trace and pops with `_tape.pop()` in the
reverse sweep. It exists only in functions that have loops or call helpers;
straight-line code keeps its intermediates in locals.
"""


def new_tape():
    return []
