"""The seed's float SNN functions (``sc_neurocore.accel.jax_backend``) on
the Rust implementation ``sc_host::snn::seed`` (no JAX needed). Arrays are
numpy; results have the input's float dtype (float32 in, float32 out;
float64 otherwise) and are computed in float64.

Example::

    >>> import numpy as np
    >>> from sc_neuro.accel.jax_backend import jax_lif_step
    >>> v = np.array([0.0, 0.95]); i = np.array([0.5, 0.5])
    >>> v2, s = jax_lif_step(v, i, 0.0, 0.0, 1.0, 0.1, 1.0, np.zeros(2))
    >>> v2.tolist(), s.tolist()
    ([0.5, 0.0], [0.0, 1.0])

Equations (the seed's): ``jax_lif_step``: ``dv = (v_rest - v) * alpha +
I_t * resistance + noise``, a spike where ``v + dv >= v_threshold``, and
there ``v = v_reset``. ``jax_forward_pass``: each layer runs ``n_steps``
steps on a constant input (``x``, then the previous layer's mean rate),
``v = alpha * v + input @ W.T``, spike where ``v >= v_threshold``, reset
to ``v_reset``. Where the seed's listing multiplies the memory by ``(1 -
v_reset)`` (1 for the default ``v_reset = 0``), this follows its docstring
(``alpha * v``). ``jax_surrogate_loss``: cross-entropy of the softmax of
the last layer's mean rates; ``jax_surrogate_gradient_step``: one SGD step
with the surrogate gradient (``custom_vjp``: fast sigmoid,
``legacy_stop_gradient``: logistic straight-through), see
``host/src/snn/seed.rs``.
"""

import numpy as np

from .. import _native
from ._checks import int_arg

__all__ = [
    "to_jax",
    "to_host",
    "jax_lif_step",
    "jax_forward_pass",
    "jax_surrogate_loss",
    "jax_surrogate_gradient_step",
]


def to_jax(arr):
    """The array on the backend: numpy itself."""
    return np.asarray(arr)


def to_host(arr):
    """The array as numpy."""
    return np.asarray(arr)


def _float(name, a):
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _out_dtype(a):
    return np.float32 if np.asarray(a).dtype == np.float32 else np.float64


def _scalar(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    return float(value)


def _weights(weights):
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError("weights must be a list of 2-D arrays (one per layer)")
    return [_float(f"weights[{k}]", w) for k, w in enumerate(weights)]


def _lif(v_rest, v_reset, v_threshold, alpha):
    """The native functions' LIF parameters, checked: one tuple."""
    return tuple(_scalar(n, x) for n, x in (("v_rest", v_rest), ("v_reset", v_reset),
                                            ("v_threshold", v_threshold), ("alpha", alpha)))


def jax_lif_step(v, I_t, v_rest, v_reset, v_threshold, alpha, resistance, noise):
    """One LIF step of a population: returns ``(v_new, spikes)`` of ``v``'s
    shape (spikes 0.0/1.0; a 0-d ``v`` gives 0-d results). ``I_t`` and
    ``noise`` must have exactly ``v``'s shape (no broadcasting)."""
    dt = _out_dtype(v)
    va = _float("v", v)
    shape = np.shape(v)  # ascontiguousarray makes a 0-d array 1-d
    ia, na = _float("I_t", I_t), _float("noise", noise)
    for name, a in (("I_t", I_t), ("noise", noise)):
        if np.shape(a) != shape:
            raise ValueError(f"{name} shape {np.shape(a)} must match v shape {shape}")
    lif = _lif(v_rest, v_reset, v_threshold, alpha)
    r = _scalar("resistance", resistance)
    nv, s = np.empty(va.size), np.empty(va.size)
    _native.lif_step(va.reshape(-1), ia.reshape(-1), lif, r, na.reshape(-1), nv, s)
    return nv.reshape(shape).astype(dt, copy=False), s.reshape(shape).astype(dt, copy=False)


def jax_forward_pass(weights, x, n_steps, v_rest=0.0, v_reset=0.0, v_threshold=1.0, alpha=0.9):
    """Multi-layer LIF forward pass: ``(spikes_per_layer, v_final)``, each
    layer's spikes ``(n_steps, batch, n_out)``, ``v_final`` the last
    layer's potentials ``(batch, n_out)``."""
    dt = _out_dtype(x)
    ws = _weights(weights)
    xa = _float("x", x)
    n_steps = int_arg("n_steps", n_steps, 1)
    spikes, v = _native.forward_pass(ws, xa, n_steps, _lif(v_rest, v_reset, v_threshold, alpha))
    batch = xa.shape[0]
    out = [s.reshape(n_steps, batch, w.shape[0]).astype(dt, copy=False) for s, w in zip(spikes, ws)]
    return out, v.astype(dt, copy=False)


def jax_surrogate_loss(weights, x, targets, n_steps=25, beta=10.0, threshold=1.0,
                       surrogate_path="custom_vjp"):
    """Cross-entropy of the softmax of the last layer's mean firing rates
    against ``targets`` (``(batch, classes)``), as a float."""
    _, loss = _native.surrogate(
        _weights(weights), _float("x", x), _float("targets", targets),
        int_arg("n_steps", n_steps, 1), None, _scalar("beta", beta), _scalar("threshold", threshold),
        _path(surrogate_path),
    )
    return loss


def jax_surrogate_gradient_step(weights, x, targets, n_steps=25, lr=1e-3, beta=10.0,
                                threshold=1.0, surrogate_path="custom_vjp"):
    """One SGD step ``W -= lr * dL/dW`` with the surrogate gradient:
    ``(updated_weights, loss)``."""
    dts = [_out_dtype(w) for w in weights] if isinstance(weights, (list, tuple)) else []
    new, loss = _native.surrogate(
        _weights(weights), _float("x", x), _float("targets", targets),
        int_arg("n_steps", n_steps, 1), _scalar("lr", lr), _scalar("beta", beta),
        _scalar("threshold", threshold), _path(surrogate_path),
    )
    return [w.astype(d, copy=False) for w, d in zip(new, dts)], float(loss)


def _path(p):
    if not isinstance(p, str):
        raise TypeError(f"surrogate_path must be a str, got {type(p).__name__}")
    return p
