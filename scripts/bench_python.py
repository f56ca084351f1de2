#!/usr/bin/env python3
"""Each seed function through sc_neuro against the seed's numpy version
(python/tests/seed_ref.py, the tests' reference) and, where Numba is
installed, its Numba kernels, at the seed's shapes (the MAC of
scripts/bench_seed.py: 128 neurons x 784 inputs x 1024 bits).

Prints a table of medians and writes JSON to argv[1] if given. Nothing
here asserts a timing; every row asserts that the results agree.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python", "tests"))
import seed_ref as ref  # noqa: E402

from sc_neuro.accel import gpu_backend, jax_backend, jit_kernels, vector_ops  # noqa: E402

from bench_timing import median_time  # noqa: E402

try:
    import numba

    @numba.njit(cache=False)
    def numba_mac(w, x, out):
        for i in range(w.shape[0]):
            total = 0
            for j in range(w.shape[1]):
                for k in range(w.shape[2]):
                    v = w[i, j, k] & x[j, k]
                    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
                    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
                    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
                    total += (v * np.uint64(0x0101010101010101)) >> np.uint64(56)
            out[i] = total
except ImportError:
    numba = None

NEURONS, INPUTS, LEN = 128, 784, 1024
WORDS = LEN // 64


REPS = 7


def main():
    import warnings

    warnings.simplefilter("ignore", RuntimeWarning)
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(INPUTS, LEN), dtype=np.uint8)
    w = rng.integers(0, 2**64, size=(NEURONS, INPUTS, WORDS), dtype=np.uint64)
    x = ref.pack(bits)
    a, b = w.reshape(-1, WORDS)[: INPUTS * 32], w.reshape(-1, WORDS)[INPUTS * 32: INPUTS * 64]
    out = np.zeros(NEURONS, dtype=np.int64)
    rows = []

    def row(name, ours, numpy_ref, check, numba_f=None):
        check()
        r = {"function": name, "sc_neuro_s": median_time(ours, REPS), "numpy_s": median_time(numpy_ref, REPS)}
        if numba_f is not None:
            r["numba_s"] = median_time(numba_f, REPS)
        rows.append(r)

    want = ref.mac(w, x)
    row("pack_bitstream (784 x 1024)", lambda: vector_ops.pack_bitstream(bits), lambda: ref.pack(bits),
        lambda: np.testing.assert_array_equal(vector_ops.pack_bitstream(bits), x))
    row("vec_and (25088 x 16 words)", lambda: vector_ops.vec_and(a, b), lambda: np.bitwise_and(a, b),
        lambda: np.testing.assert_array_equal(vector_ops.vec_and(a, b), a & b))
    row("vec_popcount (128 x 784 x 16 words)", lambda: vector_ops.vec_popcount(w),
        lambda: int(ref.popcount_words(w).sum()),
        lambda: vector_ops.vec_popcount(w) == int(ref.popcount_words(w).sum()) or sys.exit("popcount"))
    nb_out = np.zeros(NEURONS, dtype=np.int64)
    row("jit_vec_mac (128 x 784 x 1024)", lambda: jit_kernels.jit_vec_mac(w, x, out), lambda: ref.mac(w, x),
        lambda: (jit_kernels.jit_vec_mac(w, x, out), np.testing.assert_array_equal(out, want)),
        (lambda: numba_mac(w, x, nb_out)) if numba else None)
    row("gpu_vec_mac (CPU fallback)", lambda: gpu_backend.gpu_vec_mac(w, x), lambda: ref.mac(w, x),
        lambda: np.testing.assert_array_equal(gpu_backend.gpu_vec_mac(w, x), want))
    ws = [rng.normal(0, 0.05, size=(256, 784)), rng.normal(0, 0.1, size=(10, 256))]
    xs = rng.uniform(0, 1, size=(32, 784))
    row("jax_forward_pass (32 x [784, 256, 10], 25 steps)", lambda: jax_backend.jax_forward_pass(ws, xs, 25),
        lambda: ref.forward_pass(ws, xs, 25),
        lambda: [np.testing.assert_array_equal(s, t) for s, t in
                 zip(jax_backend.jax_forward_pass(ws, xs, 25)[0], ref.forward_pass(ws, xs, 25)[0])])
    print(f"{'function':52} {'sc_neuro':>10} {'numpy':>10} {'x numpy':>8} {'numba':>10}")
    for r in rows:
        nb = f"{r['numba_s'] * 1e3:8.3f}ms" if "numba_s" in r else "         -"
        print(f"{r['function']:52} {r['sc_neuro_s'] * 1e3:8.3f}ms {r['numpy_s'] * 1e3:8.3f}ms "
              f"{r['numpy_s'] / r['sc_neuro_s']:7.1f}x {nb}")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
