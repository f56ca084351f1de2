"""The seed's ``sc_neurocore.accel`` API on the Rust backends.

Submodules: ``vector_ops``, ``jit_kernels``, ``gpu_backend``,
``jax_backend``, ``mpi_driver``.
"""

from . import gpu_backend, jax_backend, jit_kernels, mpi_driver, vector_ops

__all__ = ["vector_ops", "jit_kernels", "gpu_backend", "jax_backend", "mpi_driver"]
