"""The seed's ``sc_neurocore.accel.gpu_backend``: arrays "on the device"
and the packed operations there.

The GPU path: when the package is built with its cargo feature ``gpu``
(the default; it enables ``sc-host``'s wgpu backend) and wgpu finds an
adapter (Vulkan, Metal or DX12; lavapipe, Mesa's software Vulkan, counts),
``gpu_pack_bitstream``, ``gpu_vec_and``, ``gpu_popcount`` and
``gpu_vec_mac`` run as compute shaders of ``sc_host::gpu::GpuBackend``.
The backend is created once per process, on the first call (or the first
look at ``HAS_GPU``/``device()``), and shared; each call uploads its
operands, runs the shader and downloads the result, with the GIL released.
The results are bit-identical to the CPU functions of ``vector_ops`` and
``jit_kernels``, and the argument checks (``TypeError``/``ValueError``
naming the argument) are theirs.

The CPU fallback: without the feature (built with
``MATURIN_PEP517_ARGS=--no-default-features pip install ...``: no wgpu to
compile), without an adapter, or with the environment
variable ``SC_NEURO_GPU=0`` (read on the first call), every function runs
on the Rust CPU backend, with one ``RuntimeWarning`` per process on the
first call, as the seed warns once when it falls back from CuPy to numpy.
Without an adapter, ``sc-host`` also prints its own one-line warning to
stderr. A device lost later, or data too large for it, runs on the CPU
backend inside ``sc-host`` (the same bits).

``HAS_GPU`` is ``True`` when the GPU path is in use; ``device()`` names the
adapter (``"llvmpipe (LLVM ...) (Vulkan)"`` on lavapipe), or ``"cpu"``.
Data stays in numpy between calls: ``to_device`` returns the numpy array
itself and ``to_host`` returns numpy (where the seed's ``to_device`` gives
a CuPy array); results are numpy arrays.

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

import os
import threading
import warnings

import numpy as np

from .. import _native
from . import vector_ops
from ._checks import packed_array
from .jit_kernels import mac_shapes

__all__ = [
    "HAS_GPU",
    "device",
    "to_device",
    "to_host",
    "gpu_pack_bitstream",
    "gpu_vec_and",
    "gpu_popcount",
    "gpu_vec_mac",
]

_UNKNOWN = object()
# The adapter's name, or the reason for the CPU fallback (a str either
# way; see _probe).
_adapter = _UNKNOWN
_why = None
_lock = threading.Lock()
_warned = False


def _probe():
    """The adapter in use, or ``None`` (and ``_why``): decided once."""
    global _adapter, _why
    if _adapter is _UNKNOWN:
        with _lock:
            if _adapter is _UNKNOWN:
                if not _native.GPU_BUILD:
                    a, why = None, "no GPU backend in this build"
                elif os.environ.get("SC_NEURO_GPU", "").strip().lower() in ("0", "off", "cpu", "false", "no"):
                    a, why = None, "SC_NEURO_GPU is set to the CPU"
                else:
                    a = _native.gpu_adapter()
                    why = None if a is not None else "no GPU adapter found"
                _why, _adapter = why, a
    return _adapter


def __getattr__(name):
    # HAS_GPU is decided on first look (creating the backend takes a while).
    if name == "HAS_GPU":
        return _probe() is not None
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def device():
    """The GPU adapter in use (``"name (API)"``), or ``"cpu"``."""
    return _probe() or "cpu"


def _warn_cpu_fallback(why, stacklevel=4):
    """The one ``RuntimeWarning`` per process (the seed's fallback)."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"sc_neuro.accel.gpu_backend: {why}; running on the CPU backend",
            RuntimeWarning,
            stacklevel=stacklevel,
        )


def _on_gpu():
    """True for the GPU path; else warns once."""
    if _probe() is not None:
        return True
    _warn_cpu_fallback(_why)
    return False


def to_device(arr):
    """The array on the active backend: the numpy array itself (operands
    are uploaded by each call)."""
    return np.asarray(arr)


def to_host(arr):
    """The array in host memory, as numpy."""
    return np.asarray(arr)


def gpu_pack_bitstream(bits):
    """``vector_ops.pack_bitstream`` on the backend."""
    return vector_ops._pack(bits, gpu=_on_gpu())


def gpu_vec_and(a, b):
    """Bitwise AND of packed uint64 arrays (SC multiplication)."""
    return vector_ops._and(a, b, None, gpu=_on_gpu())


def gpu_popcount(packed):
    """Set bits of every uint64 word: a uint64 array of ``packed``'s shape."""
    gpu = _on_gpu()
    words = packed_array("packed", packed)
    out = np.empty(words.shape, dtype=np.uint64)
    if words.size:
        _native.popcount_words(words, out, gpu)
    return out


def gpu_vec_mac(packed_weights, packed_inputs):
    """Dense SC MAC: ``(n_neurons,)`` uint64 counts of
    ``popcount(packed_weights[i] & packed_inputs)``."""
    gpu = _on_gpu()
    w, x = mac_shapes(packed_weights, packed_inputs)
    return _native.vec_mac(w, x, gpu=gpu)
