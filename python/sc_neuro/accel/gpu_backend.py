"""The seed's ``sc_neurocore.accel.gpu_backend``: arrays "on the device"
and the packed operations there.

This build of the package has no GPU backend (``sc-host`` is built
without its ``gpu`` feature, which would add wgpu to the build): every
function runs on the Rust CPU backend, with one ``RuntimeWarning`` per
process on the first call, as the seed warns once when it falls back from
CuPy to numpy. ``to_device`` returns the numpy array itself; results are
numpy arrays.

Example::

    >>> import numpy as np
    >>> from sc_neuro.accel import gpu_backend as g
    >>> import warnings; warnings.simplefilter("ignore")
    >>> p = g.gpu_pack_bitstream(g.to_device(np.ones(70, dtype=np.uint8)))
    >>> g.to_host(g.gpu_popcount(p)).tolist()
    [64, 6]

Differences from the seed: as in ``vector_ops`` (checked inputs, padding
never set); ``gpu_vec_and`` needs equal shapes (the seed broadcasts).
"""

import warnings

import numpy as np

from .. import _native
from . import vector_ops
from ._checks import packed_array
from .jit_kernels import mac_shapes

__all__ = [
    "HAS_GPU",
    "to_device",
    "to_host",
    "gpu_pack_bitstream",
    "gpu_vec_and",
    "gpu_popcount",
    "gpu_vec_mac",
]

HAS_GPU = False
_warned = False


def _warn_cpu_fallback():
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            "sc_neuro.accel.gpu_backend: no GPU backend in this build; running on the CPU backend",
            RuntimeWarning,
            stacklevel=3,
        )


def to_device(arr):
    """The array on the active backend: the numpy array itself (CPU)."""
    return np.asarray(arr)


def to_host(arr):
    """The array in host memory, as numpy."""
    return np.asarray(arr)


def gpu_pack_bitstream(bits):
    """``vector_ops.pack_bitstream`` on the backend."""
    _warn_cpu_fallback()
    return vector_ops.pack_bitstream(bits)


def gpu_vec_and(a, b):
    """Bitwise AND of packed uint64 arrays (SC multiplication)."""
    _warn_cpu_fallback()
    return vector_ops.vec_and(a, b)


def gpu_popcount(packed):
    """Set bits of every uint64 word: a uint64 array of ``packed``'s shape."""
    _warn_cpu_fallback()
    words = packed_array("packed", packed)
    out = np.empty(words.shape, dtype=np.uint64)
    if words.size:
        _native.popcount_words(words, out)
    return out


def gpu_vec_mac(packed_weights, packed_inputs):
    """Dense SC MAC: ``(n_neurons,)`` uint64 counts of
    ``popcount(packed_weights[i] & packed_inputs)``."""
    _warn_cpu_fallback()
    w, x, (n, i, k) = mac_shapes(packed_weights, packed_inputs)
    return _native.vec_mac(w, x, n, i, k)
