"""Long calls release the GIL: another Python thread runs while one is in
Rust."""

import time

import numpy as np
from gil import assert_releases_the_gil

from sc_neuro.accel import jax_backend as jb


def test_forward_pass_releases_the_gil():
    rng = np.random.default_rng(1)
    w = [rng.normal(0, 0.1, size=(256, 256))]
    x = rng.uniform(0, 1, size=(32, 256))
    # Steps enough for about 0.3 s on this machine.
    t0 = time.perf_counter()
    jb.jax_forward_pass(w, x, 50)
    steps = min(20000, max(50, int(50 * 0.3 / max(time.perf_counter() - t0, 1e-6))))
    assert_releases_the_gil(lambda: jb.jax_forward_pass(w, x, steps))
