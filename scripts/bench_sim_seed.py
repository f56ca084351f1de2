#!/usr/bin/env python3
"""Whole-network simulation as a seed user writes it today, and the seed's
float `jax_forward_pass`, timed on the shapes of `sc bench --sim`.

Written from the seed's published functions (../shared/seed/):
- seed-style SC simulation, per time step: encode every input with numpy
  (Bernoulli: `rng.random((M, L)) < p`, packed LSB-first to uint64 words),
  then per layer the seed's Numba `jit_vec_mac(weights, inputs, outputs)`
  (weights `(n_neurons, n_inputs, n_words)` uint64, packed once), the
  current `I = counts / L * gain`, and the numpy LIF step
  `v += (v_rest - v) * alpha + I * R`, spike where `v >= threshold`,
  reset; a layer's spikes become all-ones / all-zeros words for the next.
  The seed has no batch: a batch is a loop over samples.
- `jax_forward_pass(weights, x, n_steps)`: the seed's multi-layer float
  LIF (`current = spikes @ W.T; v = alpha * v * (1 - v_reset) + current;
  s = v >= threshold; v = where(s, v_reset, v)`, mean rates between
  layers), under `jax.jit` with `n_steps` static, on JAX's CPU backend.

Usage: bench_sim_seed.py OUT.jsonl DIMS LEN STEPS BATCH THREADS [all|jax-only]
Appends one JSON line per implementation. The thread count is set
through NUMBA_NUM_THREADS / XLA_FLAGS by the caller (bench-sim.sh runs one
process per count). Weight arrays above 4 GB are not built: the line says
so. Nothing asserts a timing.
"""

import json
import sys

import numpy as np

from bench_seed import jit_vec_mac_seed
from bench_timing import median_time

LIMIT = 4 << 30


def seed_style(dims, length, steps, batch, rng):
    words = (length + 63) // 64
    nbytes = sum(dims[k] * dims[k + 1] * words * 8 for k in range(len(dims) - 1))
    if nbytes > LIMIT:
        return None, f"its packed weights take {nbytes / 1e9:.1f} GB (limit {LIMIT / 1e9:.1f} GB)", nbytes
    # The weight streams' values do not change the time: random words.
    weights = [
        rng.integers(0, 2**63, size=(dims[k + 1], dims[k], words), dtype=np.uint64)
        for k in range(len(dims) - 1)
    ]
    p = rng.random((batch, dims[0]))
    alpha, thr, gain = 0.25, 1.0, 3.0
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)

    def run():
        for b in range(batch):
            v = [np.zeros(n) for n in dims[1:]]
            for _ in range(steps):
                bits = rng.random((dims[0], length)) < p[b][:, None]
                pad = np.zeros((dims[0], words * 64), dtype=np.uint8)
                pad[:, :length] = bits
                x = np.packbits(pad, axis=-1, bitorder="little").view(np.uint64)
                for k, w in enumerate(weights):
                    out = np.zeros(w.shape[0])
                    jit_vec_mac_seed(w, x, out)
                    current = out / length * gain
                    v[k] += (0.0 - v[k]) * alpha + current * 1.0
                    s = v[k] >= thr
                    v[k][s] = 0.0
                    x = np.where(s[:, None], ones, np.uint64(0)) * np.ones((1, words), dtype=np.uint64)

    return run, None, nbytes


def jax_forward(dims, steps, batch, rng):
    import jax
    import jax.numpy as jnp

    def jax_forward_pass(weights, x, n_steps, v_rest=0.0, v_reset=0.0, v_threshold=1.0, alpha=0.9):
        spikes = x
        all_spikes = []
        v = None
        for W in weights:
            n_out = W.shape[0]
            v = jnp.full((x.shape[0], n_out), v_rest)
            layer_spikes = []
            for _t in range(n_steps):
                current = spikes @ W.T
                v = alpha * v * (1.0 - v_reset) + current
                s = (v >= v_threshold).astype(jnp.float32)
                v = jnp.where(s > 0.5, v_reset, v)
                layer_spikes.append(s)
            spikes = jnp.stack(layer_spikes, axis=0).mean(axis=0)
            all_spikes.append(jnp.stack(layer_spikes, axis=0))
        return all_spikes, v

    weights = [
        jnp.asarray(rng.standard_normal((dims[k + 1], dims[k])).astype(np.float32) / np.sqrt(dims[k]))
        for k in range(len(dims) - 1)
    ]
    x = jnp.asarray(rng.random((batch, dims[0])).astype(np.float32))
    f = jax.jit(jax_forward_pass, static_argnums=2)

    def run():
        out, v = f(weights, x, steps)
        v.block_until_ready()

    return run, sum(int(w.size) * 4 for w in weights)


def main():
    out, dims, length, steps, batch, threads = sys.argv[1:7]
    which = sys.argv[7] if len(sys.argv) > 7 else "all"
    dims = [int(d) for d in dims.split(",")]
    length, steps, batch, threads = int(length), int(steps), int(batch), int(threads)
    rng = np.random.default_rng(7)
    synapses = sum(dims[k] * dims[k + 1] for k in range(len(dims) - 1))
    base = {"dims": dims, "len": length, "steps": steps, "batch": batch, "threads": threads, "synapses": synapses}
    lines = []
    if which == "all":
        run, skipped, nbytes = seed_style(dims, length, steps, batch, rng)
        row = dict(base, impl="seed_numba", bytes_per_synapse=nbytes / synapses)
        if run is None:
            row["skipped"] = skipped
        else:
            s = median_time(run, 1)
            row.update(median_s=s, ms_per_step=1e3 * s / steps)
        lines.append(row)
    run, nbytes = jax_forward(dims, steps, batch, rng)
    s = median_time(run, 5)
    lines.append(dict(base, impl="jax_forward_pass", median_s=s, ms_per_step=1e3 * s / steps,
                      bytes_per_synapse=nbytes / synapses))
    with open(out, "a") as f:
        for r in lines:
            f.write(json.dumps(r) + "\n")
            print(json.dumps(r))


if __name__ == "__main__":
    main()
