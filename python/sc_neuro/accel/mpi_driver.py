"""The seed's ``sc_neurocore.accel.mpi_driver``: ``MPIDriver``.

This package has no MPI transport (the distributed simulator is the
``sc-mpi`` binary, ``sc-host``'s ``mpi`` feature): a driver is one process,
``rank == 0`` and ``size == 1``, and scatter/gather return their argument,
as the seed does without ``mpi4py``.

Example::

    >>> import numpy as np
    >>> from sc_neuro.accel.mpi_driver import MPIDriver, partition
    >>> d = MPIDriver()
    >>> d.rank, d.size, d.scatter_workload(np.arange(5)).tolist()
    (0, 1, [0, 1, 2, 3, 4])
    >>> [partition(10, 4, r) for r in range(4)]
    [(0, 3), (3, 6), (6, 8), (8, 10)]

Difference from the seed: work is split by :func:`partition`
(``sc_host::dist::partition``): the first ``n % size`` ranks get one more
element, so nothing is dropped; the seed's ``Scatter`` of ``n // size``
per rank drops the last ``n % size`` elements (``split_workload`` shows
each rank's part).
"""

import numpy as np

from .. import _native
from ._checks import int_arg

__all__ = ["MPIDriver", "partition"]


def partition(n, size, rank):
    """``(start, stop)`` of the elements ``0..n`` that ``rank`` of ``size``
    processes owns."""
    return _native.partition(int_arg("n", n), int_arg("size", size, 1), int_arg("rank", rank))


class MPIDriver:
    """One-process driver: ``rank`` 0 of ``size`` 1."""

    def __init__(self):
        self.comm = None
        self.rank = 0
        self.size = 1

    def split_workload(self, global_inputs, size=None):
        """The parts of ``global_inputs`` (along axis 0) that each of
        ``size`` ranks (default ``self.size``) receives from a scatter."""
        arr = np.asarray(global_inputs)
        if arr.ndim == 0:
            raise ValueError("global_inputs must have at least one dimension")
        size = self.size if size is None else int_arg("size", size, 1)
        return [arr[slice(*partition(arr.shape[0], size, r))] for r in range(size)]

    def scatter_workload(self, global_inputs):
        """This rank's part of ``global_inputs`` along axis 0."""
        return self.split_workload(global_inputs)[self.rank]

    def gather_results(self, local_results):
        """Every rank's results, concatenated along axis 0 (on one
        process: ``local_results``)."""
        arr = np.asarray(local_results)
        if arr.ndim == 0:
            raise ValueError("local_results must have at least one dimension")
        return arr

    def barrier(self):
        """Wait for every rank (one process: returns at once)."""
        return None
