"""Long calls release the GIL: another Python thread runs while one is in
Rust."""

import threading
import time

import numpy as np

from sc_neuro.accel import jax_backend as jb


def test_forward_pass_releases_the_gil():
    rng = np.random.default_rng(1)
    w = [rng.normal(0, 0.1, size=(256, 256))]
    x = rng.uniform(0, 1, size=(32, 256))
    window = {}
    # Steps enough for about 0.3 s on this machine.
    t0 = time.perf_counter()
    jb.jax_forward_pass(w, x, 50)
    steps = min(20000, max(50, int(50 * 0.3 / max(time.perf_counter() - t0, 1e-6))))

    def call():
        t0 = time.perf_counter()
        jb.jax_forward_pass(w, x, steps)
        window["t"] = (t0, time.perf_counter())

    stamps = []
    t = threading.Thread(target=call)
    t.start()
    while t.is_alive():
        stamps.append(time.perf_counter())
    t.join()
    t0, t1 = window["t"]
    # Away from the edges of the call (a switch interval of 5 ms), the
    # main thread can only run if the call released the GIL.
    margin = 0.02
    assert t1 - t0 > 4 * margin, f"the call took {t1 - t0:.3f} s: too short to tell"
    inside = [s for s in stamps if t0 + margin < s < t1 - margin]
    assert len(inside) > 100
