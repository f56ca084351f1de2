"""Argument checks shared by the accel modules: clear ``TypeError`` /
``ValueError`` messages before anything reaches Rust."""

import numpy as np


def bits_array(name, a):
    """A {0,1} array as C-contiguous uint8 (no copy for a contiguous uint8
    or bool array)."""
    arr = np.asarray(a)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    elif arr.dtype.kind not in "ui":
        raise TypeError(f"{name} must hold integers 0/1 (uint8 or bool), got dtype {arr.dtype}")
    elif arr.dtype != np.uint8:
        if arr.size and (arr.min() < 0 or arr.max() > 1):
            bad = int(np.flatnonzero((arr < 0) | (arr > 1))[0])
            raise ValueError(
                f"{name}[{bad}] (flat index) is {arr.flat[bad]}; a bitstream holds only 0 and 1"
            )
        arr = arr.astype(np.uint8)
    return np.ascontiguousarray(arr)


def packed_array(name, a):
    """A uint64 array, C-contiguous (no copy when it already is)."""
    arr = np.asarray(a)
    if arr.dtype != np.uint64:
        raise TypeError(f"{name} must have dtype uint64 (packed words), got {arr.dtype}")
    return np.ascontiguousarray(arr)


def int_arg(name, value, minimum=0):
    """A Python int >= minimum (numpy integers accepted; bool is not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value
