"""The engine: SC models (docs/model.md) loaded, saved, run and made
from float networks.

Example::

    >>> import numpy as np, sc_neuro
    >>> w = [np.array([[2.0, -1.0, 0.0], [-1.0, 2.0, 0.0]])]   # 2 inputs + bias -> 2
    >>> m = sc_neuro.quantise(w, alpha=0.1, threshold=0.5, steps=8)
    >>> m.dims, m.steps
    ([3, 2], 8)
    >>> counts, pred = sc_neuro.run(m, np.array([[1.0, 0.0], [0.0, 1.0]]))
    >>> pred.tolist()
    [0, 1]
"""

import os

import numpy as np

from . import _native
from .accel._checks import int_arg

Model = _native.Model

__all__ = ["Model", "load_model", "save_model", "model_from_json", "run", "quantise", "export_model"]


def load_model(path):
    """Load and validate a model file: one written by ``sc digits --train``,
    ``sc train`` or :func:`save_model`, or a bare SC network."""
    return _native.load_model(os.fspath(path))


def model_from_json(text):
    """A model from its JSON text (the model file's contents)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _native.model_from_json(text)


def save_model(model, path):
    """Write ``model`` as its model file (JSON)."""
    if not isinstance(model, Model):
        raise TypeError(f"model must be a sc_neuro.Model, got {type(model).__name__}")
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        f.write(model.to_json())


def run(model, inputs, backend="cpu", steps=None):
    """Run every row of ``inputs`` (probabilities in [0, 1], shape
    ``(samples, features)``; a model with a bias input takes the rows
    with or without it) for ``steps`` steps (default: the model's).

    ``backend``: ``"cpu"`` (the engine, spec §7.1's counting form),
    ``"kernel"`` (the bitstream form) or ``"gpu"`` (the counting form with
    every step of every row on the GPU; on the CPU engine, with
    ``gpu_backend``'s one warning, when there is no adapter). All give the
    same bits.
    Returns ``(counts, predictions)``: the last layer's spike counts
    ``(samples, outputs)`` uint32 and the predicted classes (int64).
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a sc_neuro.Model, got {type(model).__name__}")
    if backend == "gpu":
        from .accel import gpu_backend

        if not gpu_backend._on_gpu():
            backend = "cpu"
    if backend not in ("cpu", "kernel", "gpu"):
        raise ValueError(f"backend {backend!r}: 'cpu', 'kernel' or 'gpu' are allowed")
    x = np.asarray(inputs)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"inputs must be real numbers, got dtype {x.dtype}")
    if x.ndim == 1:
        x = x.reshape(1, -1)
    x = np.ascontiguousarray(x, dtype=np.float64)
    if steps is None:
        steps = model.steps
        if steps is None:
            raise ValueError("steps is needed: the model file does not say how many steps to run")
    steps = int_arg("steps", steps)
    return _native.run_model(model, x, steps, backend)


def quantise(weights, alpha, threshold, steps, bias=True, length=256, beta=5.0, kappa=1.0,
             description="quantised with sc_neuro.quantise"):
    """Quantise a float network (spec §6's LIF: leak ``alpha`` in (0, 1],
    ``threshold``; ``weights[l]`` is ``(n_out, n_in)``, layer 0 with a last
    bias column when ``bias``) to an SC model, as ``sc train`` and ``sc
    digits --train`` do: Q16.16 LIF, Sobol streams of ``length`` bits per
    step, run for ``steps`` steps."""
    if isinstance(weights, np.ndarray) or not isinstance(weights, (list, tuple)):
        raise TypeError("weights must be a list of 2-D arrays (one per layer)")
    ws = []
    for k, w in enumerate(weights):
        a = np.asarray(w)
        if a.dtype.kind not in "fiu":
            raise TypeError(f"weights[{k}] must be real numbers, got dtype {a.dtype}")
        ws.append(np.ascontiguousarray(a, dtype=np.float64))
    return _native.quantise(ws, float(alpha), float(threshold), int_arg("steps", steps, 1),
                            bool(bias), int_arg("length", length, 1), float(beta), float(kappa),
                            str(description))



def export_model(model, path, format="memh", steps=None):
    """Write ``model``'s SC network for the RTL (``"memh"``), the firmware
    (``"rust"``) or anything else (``"bin"``): the file ``sc model export
    --format FORMAT`` writes (words laid out as in docs/vectors.md), run
    for ``steps`` steps (default: the model's)."""
    if not isinstance(model, Model):
        raise TypeError(f"model must be a sc_neuro.Model, got {type(model).__name__}")
    if steps is None:
        steps = model.steps
        if steps is None:
            raise ValueError("steps is needed: the model file does not say how many steps to run")
    path = os.fspath(path)
    data = _native.export_model(model, str(format), int_arg("steps", steps), "sc_neuro")
    with open(path, "wb") as f:
        f.write(data)
