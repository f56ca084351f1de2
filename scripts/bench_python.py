#!/usr/bin/env python3
"""Each seed function through sc_neuro against the seed's numpy version
(python/tests/seed_ref.py, the tests' reference), the seed's Numba
kernels where the seed has one (jit_kernels: jit_pack_bits and
jit_vec_mac, written here from the seed's published algorithms), and the
Rust API the binding calls (host/examples/bench_python_ops.rs, whose JSON
is argv[2]), at the seed's shapes (the MAC of scripts/bench_seed.py: 128
neurons x 784 inputs x 1024 bits).

    bench_python.py OUT.json [RUST.json]

Prints a table of medians and writes the rows as JSON to OUT.json. Nothing
here asserts a timing; every row asserts that the results agree.
"""

import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python", "tests"))
import seed_ref as ref  # noqa: E402

from sc_neuro.accel import gpu_backend, jax_backend, jit_kernels, vector_ops  # noqa: E402

from bench_timing import median_time  # noqa: E402

try:
    import numba
except ImportError:
    numba = None

if numba is not None:
    # The seed's two Numba kernels (its jit_kernels module), serial as
    # published: a bit loop per word for the pack, a SWAR popcount of
    # every AND-ed word for the MAC.

    @numba.njit(cache=False)
    def numba_pack_bits(bitstream, packed_arr):
        for i in range(bitstream.size // 64):
            word = np.uint64(0)
            for j in range(64):
                if bitstream[i * 64 + j] > 0:
                    word |= np.uint64(1) << np.uint64(j)
            packed_arr[i] = word

    @numba.njit(cache=False)
    def numba_vec_mac(w, x, out):
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

NEURONS, INPUTS, LEN = 128, 784, 1024
WORDS = LEN // 64
POP = 1 << 20
REPS = 7
# Seconds for numpy's BLAS threads to go idle (OpenBLAS spins 2^28 cycles).
BLAS_IDLE_S = 0.3


def main():
    warnings.simplefilter("ignore", RuntimeWarning)
    out_path = sys.argv[1] if len(sys.argv) > 1 else None
    rust = {}
    if len(sys.argv) > 2:
        with open(sys.argv[2]) as f:
            rust = {r["key"]: r["rust_s"] for r in json.load(f)["rows"]}
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, size=(INPUTS, LEN), dtype=np.uint8)
    flat = bits.reshape(-1)
    w = rng.integers(0, 2**64, size=(NEURONS, INPUTS, WORDS), dtype=np.uint64)
    x = ref.pack(bits)
    words = w.reshape(-1, WORDS)
    a, b, s = words[: INPUTS * 32], words[INPUTS * 32: INPUTS * 64], words[INPUTS * 64: INPUTS * 96]
    out = np.zeros(NEURONS, dtype=np.int64)
    rows = []

    def row(key, shape, ours, numpy_ref, check, numba_f=None, moved=None):
        """`moved`: the bytes a call reads and writes, for the element-wise
        rows whose speed is the memory's."""
        check()
        # The check ran numpy; its OpenBLAS workers spin for about 0.1 s
        # after a matrix product. Let them sleep before sc_neuro is timed,
        # so they do not take its cores.
        time.sleep(BLAS_IDLE_S)
        r = {"key": key, "function": f"{key} ({shape})",
             "sc_neuro_s": median_time(ours, REPS), "numpy_s": median_time(numpy_ref, REPS)}
        if numba_f is not None:
            r["numba_s"] = median_time(numba_f, REPS)
        if key in rust:
            r["rust_s"] = rust[key]
        if moved is not None:
            r["bytes"] = moved
        rows.append(r)
        print(f"  {r['function']}: sc_neuro {r['sc_neuro_s'] * 1e3:.3f} ms", file=sys.stderr)

    eq = np.testing.assert_array_equal
    want = ref.mac(w, x)
    row("pack_bitstream", "784 x 1024", lambda: vector_ops.pack_bitstream(bits), lambda: ref.pack(bits),
        lambda: eq(vector_ops.pack_bitstream(bits), x))
    packed_flat = np.zeros(flat.size // 64, dtype=np.uint64)
    nb_packed = np.zeros_like(packed_flat)
    row("jit_pack_bits", "784 * 1024 bits, 1-D", lambda: jit_kernels.jit_pack_bits(flat, packed_flat),
        lambda: ref.pack(flat),
        lambda: (jit_kernels.jit_pack_bits(flat, packed_flat), eq(packed_flat, ref.pack(flat)),
                 numba and (numba_pack_bits(flat, nb_packed), eq(nb_packed, packed_flat))),
        (lambda: numba_pack_bits(flat, nb_packed)) if numba else None)
    row("unpack_bitstream", "784 x 16 words", lambda: vector_ops.unpack_bitstream(x, INPUTS * LEN),
        lambda: ref.unpack_rows(x), lambda: eq(vector_ops.unpack_bitstream(x, INPUTS * LEN), bits))
    row("vec_and", "25088 x 16 words", lambda: vector_ops.vec_and(a, b), lambda: np.bitwise_and(a, b),
        lambda: eq(vector_ops.vec_and(a, b), a & b), moved=3 * a.nbytes)
    row("vec_xnor", "25088 x 16 words", lambda: vector_ops.vec_xnor(a, b), lambda: ~(a ^ b),
        lambda: eq(vector_ops.vec_xnor(a, b), ~(a ^ b)), moved=3 * a.nbytes)
    row("vec_not", "25088 x 16 words", lambda: vector_ops.vec_not(a), lambda: np.invert(a),
        lambda: eq(vector_ops.vec_not(a), ~a), moved=2 * a.nbytes)
    row("vec_mux", "25088 x 16 words", lambda: vector_ops.vec_mux(s, a, b), lambda: (s & a) | (~s & b),
        lambda: eq(vector_ops.vec_mux(s, a, b), (s & a) | (~s & b)), moved=4 * a.nbytes)
    row("vec_popcount", "128 x 784 x 16 words", lambda: vector_ops.vec_popcount(w),
        lambda: int(ref.popcount_words(w).sum()),
        lambda: vector_ops.vec_popcount(w) == int(ref.popcount_words(w).sum()) or sys.exit("popcount"),
        moved=w.nbytes)
    row("gpu_popcount", "128 x 784 x 16 words", lambda: gpu_backend.gpu_popcount(w),
        lambda: ref.popcount_words(w), lambda: eq(gpu_backend.gpu_popcount(w), ref.popcount_words(w)))
    nb_out = np.zeros(NEURONS, dtype=np.int64)
    row("jit_vec_mac", "128 x 784 x 1024", lambda: jit_kernels.jit_vec_mac(w, x, out), lambda: ref.mac(w, x),
        lambda: (jit_kernels.jit_vec_mac(w, x, out), eq(out, want),
                 numba and (numba_vec_mac(w, x, nb_out), eq(nb_out, want))),
        (lambda: numba_vec_mac(w, x, nb_out)) if numba else None)
    row("gpu_vec_mac", "128 x 784 x 1024, CPU fallback", lambda: gpu_backend.gpu_vec_mac(w, x),
        lambda: ref.mac(w, x), lambda: eq(gpu_backend.gpu_vec_mac(w, x), want))
    v, i_t, noise = rng.uniform(0, 1, POP), rng.uniform(0, 1, POP), rng.normal(0, 0.01, POP)
    lif = (0.0, 0.0, 1.0, 0.1, 1.0)
    row("jax_lif_step", "2^20 neurons", lambda: jax_backend.jax_lif_step(v, i_t, *lif, noise),
        lambda: ref.lif_step(v, i_t, *lif, noise),
        lambda: [np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-12)
                 for p, q in zip(jax_backend.jax_lif_step(v, i_t, *lif, noise), ref.lif_step(v, i_t, *lif, noise))],
        moved=5 * v.nbytes)
    ws = [rng.normal(0, 0.05, size=(256, 784)), rng.normal(0, 0.1, size=(10, 256))]
    xs = rng.uniform(0, 1, size=(32, 784))
    targets = np.eye(10)[np.arange(32) % 10]
    net = "32 x [784, 256, 10], 25 steps"
    row("jax_forward_pass", net, lambda: jax_backend.jax_forward_pass(ws, xs, 25),
        lambda: ref.forward_pass(ws, xs, 25),
        lambda: [eq(p, q) for p, q in zip(jax_backend.jax_forward_pass(ws, xs, 25)[0],
                                          ref.forward_pass(ws, xs, 25)[0])])
    row("jax_surrogate_loss", net, lambda: jax_backend.jax_surrogate_loss(ws, xs, targets),
        lambda: ref.loss(ws, xs, targets, 25, 1.0),
        lambda: np.testing.assert_allclose(jax_backend.jax_surrogate_loss(ws, xs, targets),
                                           ref.loss(ws, xs, targets, 25, 1.0), rtol=1e-9))

    def numpy_step():
        loss, grads = ref.loss_and_grad(ws, xs, targets, 25, 10.0, 1.0, "custom_vjp")
        return [wl - 1e-3 * g for wl, g in zip(ws, grads)], loss

    def check_step():
        (new, loss), (want_new, want_loss) = jax_backend.jax_surrogate_gradient_step(ws, xs, targets), numpy_step()
        np.testing.assert_allclose(loss, want_loss, rtol=1e-9)
        for p, q in zip(new, want_new):
            np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-9)

    row("jax_surrogate_gradient_step", net, lambda: jax_backend.jax_surrogate_gradient_step(ws, xs, targets),
        numpy_step, check_step)

    def ms(r, k):
        return f"{r[k] * 1e3:9.3f}" if k in r else f"{'-':>9}"

    print(f"{'function':58} {'sc_neuro':>9} {'Rust':>9} {'numpy':>9} {'Numba':>9} {'x numpy':>8} {'x Numba':>8}"
          f" {'Rust/sc':>7}   (ms)")
    for r in rows:
        xn = f"{r['numba_s'] / r['sc_neuro_s']:7.1f}x" if "numba_s" in r else f"{'-':>8}"
        ov = f"{r['rust_s'] / r['sc_neuro_s']:7.2f}" if "rust_s" in r else f"{'-':>7}"
        print(f"{r['function']:58} {ms(r, 'sc_neuro_s')} {ms(r, 'rust_s')} {ms(r, 'numpy_s')} {ms(r, 'numba_s')}"
              f" {r['numpy_s'] / r['sc_neuro_s']:7.1f}x {xn} {ov}")
    if out_path:
        with open(out_path, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
