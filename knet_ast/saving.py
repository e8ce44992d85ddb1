"""`knet.save` / `knet.load`: parameter structures in one .npz file, without pickle.

Arrays go in as entries a0, a1, ...; the structure around them (lists, tuples,
dicts with str / int keys, numbers, strings, None) goes in as JSON in the entry
`__structure__`. Nothing is unpickled on load, so a file from elsewhere cannot run
code. save writes through files.atomic_write, so a crash mid-save leaves the old
file (or none), never a truncated one.
"""
import json
import os
import zipfile

import numpy as np

from .files import atomic_write
from .runtime.backend import ArrayType, converter, is_array, to_host

_STRUCTURE = "__structure__"


def save(path, w):
    """Write the parameter structure w (arrays, NumPy or CuPy, in any nesting of
    list / tuple / dict, plus numbers, strings and None) to `path` as .npz.

    Examples
    --------
    >>> w = {"W": knet.param(3, 2), "b": knet.param0(2), "layers": [2, "relu"]}
    >>> knet.save("model.npz", w)
    >>> w2 = knet.load("model.npz")
    >>> w2["W"].shape, w2["b"].dtype, w2["layers"]
    ((3, 2), dtype('float32'), [2, 'relu'])
    >>> bool(np.array_equal(w2["W"], w["W"]))
    True
    """
    arrays = []
    structure = json.dumps(_encode(w, arrays))
    entries = {f"a{i}": a for i, a in enumerate(arrays)}
    entries[_STRUCTURE] = np.array(structure)
    try:
        with atomic_write(path) as file:
            np.savez(file, **entries)
    except (FileNotFoundError, IsADirectoryError) as error:
        raise type(error)(f"knet.save: {error}") from None


def load(path, atype=None):
    """Read a structure written by save. Arrays come back as NumPy arrays with their saved
    dtypes. With `atype` a dtype or a knet.ArrayType, floating-point arrays take its
    dtype and the others keep theirs (all go to the GPU if it says gpu=True); a callable
    atype is applied to every array.

    Examples
    --------
    >>> knet.save("weights.npz", (np.ones(2, np.float32), np.arange(3), None))
    >>> knet.load("weights.npz")
    (array([1., 1.], dtype=float32), array([0, 1, 2]), None)
    >>> w, counts, _ = knet.load("weights.npz", atype=np.float64)   # floats only
    >>> w.dtype, counts.dtype
    (dtype('float64'), dtype('int64'))
    """
    convert = (lambda a: a) if atype is None else _floating_only(converter(atype))
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not an .npz file written by knet.save")
    with np.load(os.fspath(path), allow_pickle=False) as file:
        if _STRUCTURE not in file.files:
            raise ValueError(f"{path} was not written by knet.save (no {_STRUCTURE} entry)")
        structure = json.loads(str(file[_STRUCTURE]))
        return _decode(structure, lambda i: convert(file[f"a{i}"]))


def _floating_only(convert):
    """An ArrayType's dtype applies to floating-point arrays; the others keep theirs."""
    if not isinstance(convert, ArrayType):
        return convert  # the user's callable sees every array

    def apply(a):
        return convert(a) if np.issubdtype(a.dtype, np.floating) else ArrayType(a.dtype, convert.gpu)(a)
    return apply


def _encode(x, arrays):
    if is_array(x) or isinstance(x, np.generic):
        if x.dtype.hasobject:
            raise TypeError("knet.save does not store object arrays (they would need pickle); "
                            "store their contents as separate arrays")
        arrays.append(to_host(x))
        return {"array": len(arrays) - 1}
    if x is None or isinstance(x, (bool, int, float, str)):
        return {"value": x}
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return {type(x).__name__: [_encode(v, arrays) for v in x]}
    if isinstance(x, dict):
        for k in x:
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"knet.save: dict keys must be str or int, got {k!r}")
        return {"dict": [[k, _encode(v, arrays)] for k, v in x.items()]}
    raise TypeError(f"knet.save stores arrays, numbers, strings and None in lists, tuples and "
                    f"dicts; got a {type(x).__name__}. Convert it (e.g. to a dict) first")


def _decode(node, array):
    (kind, content), = node.items()
    if kind == "array":
        return array(content)
    if kind == "value":
        return content
    if kind == "list":
        return [_decode(v, array) for v in content]
    if kind == "tuple":
        return tuple(_decode(v, array) for v in content)
    if kind == "dict":
        return {k: _decode(v, array) for k, v in content}
    raise ValueError(f"knet.load: unknown entry {kind!r} in the file's structure")
