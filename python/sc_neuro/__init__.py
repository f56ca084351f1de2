"""sc_neuro: the stochastic-computing library's Python package.

* ``sc_neuro.accel``: the seed's ``sc_neurocore.accel`` functions (numpy
  in, numpy out) on the Rust backends of ``sc-host``.
* The engine: :func:`load_model`, :func:`save_model`, :func:`run`,
  :func:`quantise`, :func:`export_model` (``sc_neuro.engine``).
"""

from . import accel, engine
from .engine import Model, export_model, load_model, model_from_json, quantise, run, save_model

__all__ = ["accel", "engine", "Model", "load_model", "save_model", "model_from_json", "run",
           "quantise", "export_model"]
