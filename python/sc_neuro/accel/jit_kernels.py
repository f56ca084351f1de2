"""The seed's Numba kernels (``sc_neurocore.accel.jit_kernels``), writing
into arrays the caller owns, on the Rust CPU backend (SIMD, threads; the
GIL is released while they run).

Example::

    >>> import numpy as np
    >>> from sc_neuro.accel.jit_kernels import jit_pack_bits, jit_vec_mac
    >>> out = np.zeros(1, dtype=np.uint64)
    >>> jit_pack_bits(np.array([1, 1, 0, 1] + [0] * 60, dtype=np.uint8), out)
    >>> int(out[0])
    11
    >>> w = np.array([[[0b1011]]], dtype=np.uint64)   # (n_neurons, n_inputs, n_words)
    >>> counts = np.zeros(1, dtype=np.int64)
    >>> jit_vec_mac(w, out.reshape(1, 1), counts)
    >>> int(counts[0])
    3

Differences from the seed: ``jit_pack_bits`` packs a partial last word
too when ``packed_arr`` has ``ceil(N/64)`` words (the seed's
``n // 64`` loop drops the last ``N % 64`` bits); a ``packed_arr`` of any
other length, bits other than 0/1, and outputs of the wrong shape or
dtype raise ``ValueError``/``TypeError`` instead of writing out of bounds
or wrapping.
"""

import numpy as np

from .. import _native
from ._checks import bits_array, packed_array

__all__ = ["jit_pack_bits", "jit_vec_mac"]


def _writable(name, a, dtypes):
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a numpy array the result is written into")
    if a.dtype not in dtypes:
        names = ", ".join(str(np.dtype(d)) for d in dtypes)
        raise TypeError(f"{name} must have dtype {names}; got {a.dtype}")
    if not a.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not a.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (it is written in place)")


def jit_pack_bits(bitstream, packed_arr):
    """Pack ``bitstream`` ((N,) uint8 {0,1}) into ``packed_arr`` ((ceil(N/64),)
    uint64), in place."""
    bits = bits_array("bitstream", bitstream)
    if bits.ndim != 1:
        raise ValueError(f"bitstream must be 1-D, got {bits.ndim}-D")
    _writable("packed_arr", packed_arr, (np.uint64,))
    n = bits.shape[0]
    words = -(-n // 64)
    if packed_arr.ndim != 1 or packed_arr.shape[0] != words:
        raise ValueError(
            f"packed_arr has shape {packed_arr.shape}; {n} bits need ({words},) uint64 words"
        )
    packed_arr[...] = _native.pack_rows(bits[np.newaxis]).reshape(-1)


def mac_shapes(packed_weights, packed_inputs):
    """Check the MAC's operands; returns them as contiguous uint64 arrays."""
    w = packed_array("packed_weights", packed_weights)
    x = packed_array("packed_inputs", packed_inputs)
    if w.ndim != 3:
        raise ValueError(f"packed_weights must be 3-D (n_neurons, n_inputs, n_words), got {w.ndim}-D")
    if x.ndim != 2:
        raise ValueError(f"packed_inputs must be 2-D (n_inputs, n_words), got {x.ndim}-D")
    if w.shape[1] != x.shape[0]:
        raise ValueError(
            f"packed_weights input dimension {w.shape[1]} does not match "
            f"packed_inputs input dimension {x.shape[0]}"
        )
    if w.shape[2] != x.shape[1]:
        raise ValueError(
            f"packed_weights word dimension {w.shape[2]} does not match "
            f"packed_inputs word dimension {x.shape[1]}"
        )
    return w, x


def jit_vec_mac(packed_weights, packed_inputs, outputs):
    """``outputs[i] = sum_j popcount(packed_weights[i, j] & packed_inputs[j])``,
    written into ``outputs`` ((n_neurons,) int64 or uint64)."""
    w, x = mac_shapes(packed_weights, packed_inputs)
    n = w.shape[0]
    _writable("outputs", outputs, (np.int64, np.uint64))
    if outputs.shape != (n,):
        raise ValueError(f"outputs has shape {outputs.shape}; expected ({n},)")
    _native.vec_mac(w, x, outputs.view(np.int64))
