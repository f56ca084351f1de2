#!/usr/bin/env python3
"""The seed's numpy and Numba kernels, re-implemented from their published
descriptions, timed on the same shapes as `sc bench`.

As published (the baselines the targets refer to):
- numpy MAC: for each neuron, AND its (n_inputs, n_words) weight words
  with the inputs, SWAR popcount (the 0x5555/0x3333/0x0f0f/0x0101 ladder on
  a copy), `np.sum`.
- numpy pack: bits reshaped to (n_words, 64), multiplied by the powers of
  two 1 << arange(64) as uint64 and summed along the row.
- Numba `jit_vec_mac(weights, inputs, outputs)`: `@jit(nopython=True)`,
  three nested loops over (n_neurons, n_inputs, n_words), inline SWAR
  popcount, accumulated into a counter that starts as the integer 0 and
  stored into `outputs` (float64, as the seed's tests pass it).

Stronger baselines, to show where the machine's limits are:
- `np.packbits(bits, axis=-1, bitorder="little")` viewed as uint64;
- the same Numba MAC with a uint64 accumulator (which LLVM vectorises),
  serial and `parallel=True` with `prange` over neurons at each thread count.

Writes JSON timings (median seconds) to argv[1]; argv[2] is the thread
counts (default "1,2"). Nothing asserts a timing; it does assert that
all variants compute the same counts and bits.
"""

import json
import sys

import numba
import numpy as np

from bench_timing import median_time

NEURONS, INPUTS, LEN = 128, 784, 1024
SAMPLES = 32  # the batched MAC: one weight set, SAMPLES input sets
WORDS = LEN // 64

M1 = np.uint64(0x5555555555555555)
M2 = np.uint64(0x3333333333333333)
M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
H01 = np.uint64(0x0101010101010101)


def popcount64(x):
    x = x - ((x >> np.uint64(1)) & M1)
    x = (x & M2) + ((x >> np.uint64(2)) & M2)
    x = (x + (x >> np.uint64(4))) & M4
    return (x * H01) >> np.uint64(56)


def vec_mac(w, x):
    """Seed numpy MAC: per neuron, AND + SWAR popcount + sum."""
    out = np.zeros(w.shape[0])
    for j in range(w.shape[0]):
        out[j] = np.sum(popcount64(np.bitwise_and(w[j], x)))
    return out


POWERS = np.uint64(1) << np.arange(64, dtype=np.uint64)


def pack(bits):
    """Seed numpy pack: (rows, L) 0/1 uint8 -> (rows, L / 64) uint64 by
    multiplying 64-bit chunks with the powers of two and summing."""
    chunks = bits.reshape(-1, 64).astype(np.uint64)
    return (chunks * POWERS).sum(axis=1, dtype=np.uint64).reshape(bits.shape[0], -1)


def packbits(bits):
    """numpy's C pack: bit t at word t // 64, bit t % 64 (little-endian host)."""
    return np.packbits(bits, axis=-1, bitorder="little").view(np.uint64)


@numba.njit(inline="always")
def _pc(v):
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (v * np.uint64(0x0101010101010101)) >> np.uint64(56)


@numba.njit
def jit_vec_mac_seed(w, x, outputs):
    """As published: integer counter starting at 0, += uint64 popcounts."""
    n, m, k = w.shape
    for j in range(n):
        total = 0
        for i in range(m):
            for t in range(k):
                total += _pc(w[j, i, t] & x[i, t])
        outputs[j] = total


def _vec_mac(w, x):
    # Compiled twice below: serially, where `prange` is plain `range`, and
    # with `parallel=True`, where it splits the neurons over the threads.
    n, m, k = w.shape
    out = np.zeros(n, np.int64)
    for j in numba.prange(n):
        acc = np.uint64(0)
        for i in range(m):
            for t in range(k):
                acc += _pc(w[j, i, t] & x[i, t])
        out[j] = acc
    return out


jit_vec_mac = numba.njit(_vec_mac)
jit_vec_mac_par = numba.njit(parallel=True)(_vec_mac)


def main():
    out_path = sys.argv[1]
    threads = [int(t) for t in (sys.argv[2] if len(sys.argv) > 2 else "1,2").split(",")]
    rng = np.random.default_rng(7)
    w = rng.integers(0, 2**63, size=(NEURONS, INPUTS, WORDS), dtype=np.uint64)
    x = rng.integers(0, 2**63, size=(INPUTS, WORDS), dtype=np.uint64)
    in_bits = rng.integers(0, 2, size=(INPUTS, LEN), dtype=np.uint8)
    w_bits = rng.integers(0, 2, size=(NEURONS * INPUTS, LEN), dtype=np.uint8)
    xs = rng.integers(0, 2**63, size=(SAMPLES, INPUTS, WORDS), dtype=np.uint64)

    # The variants must agree before any of them is timed.
    ref = vec_mac(w, x).astype(np.int64)
    seed_out = np.zeros(NEURONS)
    jit_vec_mac_seed(w, x, seed_out)
    assert np.array_equal(seed_out.astype(np.int64), ref), "numba (seed) != numpy"
    assert np.array_equal(jit_vec_mac(w, x), ref), "numba serial != numpy"
    assert np.array_equal(jit_vec_mac_par(w, x), ref), "numba parallel != numpy"
    assert np.array_equal(pack(in_bits), packbits(in_bits)), "pack != packbits"
    p = pack(in_bits)
    t = 777
    assert ((int(p[5, t // 64]) >> (t % 64)) & 1) == in_bits[5, t], "pack bit order"

    res = {
        "numpy": np.__version__,
        "numba": numba.__version__,
        "timings": [],
    }

    def rec(name, threads_used, seconds):
        res["timings"].append({"name": name, "threads": threads_used, "median_s": seconds})
        print(f"{name:<30} {threads_used:>2} threads {seconds * 1e3:10.3f} ms", flush=True)

    rec("numpy_seed_mac", 1, median_time(lambda: vec_mac(w, x), 7))
    rec("numpy_seed_pack_inputs", 1, median_time(lambda: pack(in_bits), 21))
    rec("numpy_seed_pack_weights", 1, median_time(lambda: pack(w_bits), 3))
    rec("numpy_packbits_inputs", 1, median_time(lambda: packbits(in_bits), 41))
    rec("numpy_packbits_weights", 1, median_time(lambda: packbits(w_bits), 7))
    rec("numba_seed_jit_vec_mac", 1, median_time(lambda: jit_vec_mac_seed(w, x, seed_out), 41))
    rec("numba_u64_vec_mac", 1, median_time(lambda: jit_vec_mac(w, x), 41))

    # Batched: the seed has no batched MAC; it calls the MAC per sample.
    def seed_numpy_batch():
        for s in range(SAMPLES):
            vec_mac(w, xs[s])

    def seed_numba_batch():
        for s in range(SAMPLES):
            jit_vec_mac_seed(w, xs[s], seed_out)

    rec("numpy_seed_mac_batch32", 1, median_time(seed_numpy_batch, 3))
    rec("numba_seed_jit_vec_mac_batch32", 1, median_time(seed_numba_batch, 11))
    for t in threads:
        numba.set_num_threads(min(t, numba.config.NUMBA_NUM_THREADS))
        rec("numba_u64_vec_mac_parallel", t, median_time(lambda: jit_vec_mac_par(w, x), 41))

        def par_batch():
            for s in range(SAMPLES):
                jit_vec_mac_par(w, xs[s])

        rec("numba_u64_vec_mac_parallel_batch32", t, median_time(par_batch, 11))
    with open(out_path, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
