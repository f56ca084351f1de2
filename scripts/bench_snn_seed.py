#!/usr/bin/env python3
"""The seed's float SNN functions in JAX, timed on the shapes of
`sc bench --snn` (the same widths, steps, batch and epoch size).

Written from the seed's published equations (../shared/seed/), under
`jax.jit` on JAX's CPU backend, compile time excluded:
- `jax_forward_pass(weights, x, n_steps)`: per layer, from v = v_rest,
  `n_steps` times `v = alpha * v + r @ W.T`, `s = v >= threshold`,
  `v = where(s, v_reset, v)`; the next layer gets the mean of the spikes
  (alpha = 0.9, v_rest = v_reset = 0, threshold 1; the steps unrolled, as
  the seed's Python loop is under jit).
- `jax_surrogate_gradient_step(weights, x, targets, n_steps, lr)`:
  `jax.value_and_grad` of the cross-entropy of softmax(the last layer's
  mean rates), the spike a `jax.custom_vjp` function (hard forward, the
  fast sigmoid's `beta / (2 (1 + beta |d|)^2)` backward, beta = 10), the
  reset detached; then `W -= lr * g`. An epoch is `samples / batch`
  steps. The seed's page does not list the private loss bodies; this is
  the definition `sc_host::snn::seed` uses.

Usage: bench_snn_seed.py OUT.jsonl DIMS STEPS BATCH SAMPLES THREADS REPS
Appends one JSON line per figure. The thread count is set through
XLA_FLAGS by the caller. Nothing asserts a timing.
"""

import functools
import json
import sys

import jax
import jax.numpy as jnp
import numpy as np

from bench_timing import median_time


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def spike(d, beta):
    return (d >= 0).astype(jnp.float32)


def spike_fwd(d, beta):
    return spike(d, beta), d


def spike_bwd(beta, d, g):
    return (g * beta / (2.0 * (1.0 + beta * jnp.abs(d)) ** 2),)


spike.defvjp(spike_fwd, spike_bwd)


def rates(weights, x, n_steps, alpha, fire):
    """The last layer's mean spike rates and final membranes; `fire(v)`
    gives a step's spikes (0/1), which reset their neurons to 0 (the reset
    detached from the gradient)."""
    rate = x
    v = None
    for w in weights:
        current = rate @ w.T
        v = jnp.zeros((x.shape[0], w.shape[0]), jnp.float32)
        total = jnp.zeros_like(v)
        for _ in range(n_steps):
            v = alpha * v + current
            s = fire(v)
            v = jnp.where(jax.lax.stop_gradient(s) > 0.5, 0.0, v)
            total = total + s
        rate = total / n_steps
    return rate, v


def forward(weights, x, n_steps, alpha=0.9, threshold=1.0):
    return rates(weights, x, n_steps, alpha, lambda v: (v >= threshold).astype(jnp.float32))


def loss(weights, x, targets, n_steps, beta=10.0, threshold=1.0, alpha=0.9):
    rate, _ = rates(weights, x, n_steps, alpha, lambda v: spike(v - threshold, beta))
    logp = jax.nn.log_softmax(rate, axis=-1)
    return -(targets * logp).sum(axis=-1).mean()


def main():
    out, dims, steps, batch, samples, threads, reps = sys.argv[1:8]
    dims = [int(d) for d in dims.split(",")]
    steps, batch, samples, threads, reps = map(int, (steps, batch, samples, threads, reps))
    rng = np.random.default_rng(1)
    weights = [
        jnp.asarray(
            rng.uniform(-1, 1, (dims[k + 1], dims[k])) * 2 * np.sqrt(3 / dims[k]),
            jnp.float32,
        )
        for k in range(len(dims) - 1)
    ]
    xs = jnp.asarray(rng.random((samples, dims[0])), jnp.float32)
    labels = rng.integers(0, dims[-1], samples)
    ys = jnp.asarray(np.eye(dims[-1])[labels], jnp.float32)

    fwd = jax.jit(forward, static_argnums=(2,))
    grad = jax.jit(jax.value_and_grad(loss), static_argnums=(3,))

    @jax.jit
    def update(ws, gs, lr):
        return [w - lr * g for w, g in zip(ws, gs)]

    x0 = xs[:batch]

    def run_fwd():
        jax.block_until_ready(fwd(weights, x0, steps))

    def run_epoch():
        ws = weights
        for b in range(samples // batch):
            xb = xs[b * batch : (b + 1) * batch]
            yb = ys[b * batch : (b + 1) * batch]
            _, gs = grad(ws, xb, yb, steps)
            ws = update(ws, gs, 1e-3)
        jax.block_until_ready(ws)

    figures = [
        ("seed jax_forward_pass", median_time(run_fwd, reps)),
        ("seed epoch (jax_surrogate_gradient_step)", median_time(run_epoch, min(reps, 3))),
    ]
    with open(out, "a") as f:
        for what, s in figures:
            f.write(
                json.dumps(
                    {
                        "impl": "jax",
                        "what": what,
                        "dims": dims,
                        "steps": steps,
                        "batch": batch,
                        "samples": samples,
                        "threads": threads,
                        "median_s": s,
                    }
                )
                + "\n"
            )


if __name__ == "__main__":
    main()
