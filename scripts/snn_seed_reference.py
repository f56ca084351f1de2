#!/usr/bin/env python3
"""Reference figures for host/tests/seed.rs (`both_paths_equal_jax_autodiff`):
the loss and weight gradients of the seed's `jax_surrogate_loss` (as
sc_host::snn::seed defines it: cross-entropy of softmax(the last layer's
mean rates), reset through stop_gradient) on both paths, by
`jax.value_and_grad` in float64: `custom_vjp` (hard spikes, fast-sigmoid
backward) and `legacy_stop_gradient` (sigma(beta d) + stop_gradient(H - sigma)).
Prints JSON. Needs jax (e.g. the venv of scripts/bench-sim.sh).
"""

import functools
import json

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def spike_fs(d, beta): return (d >= 0).astype(d.dtype)
def fs_fwd(d, beta): return spike_fs(d, beta), d
def fs_bwd(beta, d, g): return (g * beta / (2.0 * (1.0 + beta * jnp.abs(d)) ** 2),)
spike_fs.defvjp(fs_fwd, fs_bwd)

def spike_st(d, beta):
    s = jax.nn.sigmoid(beta * d)
    return s + jax.lax.stop_gradient((d >= 0).astype(d.dtype) - s)

def loss(ws, x, y, n_steps, beta, th, alpha, path):
    r = x
    for w in ws:
        cur = r @ w.T
        v = jnp.zeros((x.shape[0], w.shape[0]))
        tot = jnp.zeros_like(v)
        for _ in range(n_steps):
            v = alpha * v + cur
            s = spike_fs(v - th, beta) if path == "custom_vjp" else spike_st(v - th, beta)
            v = jnp.where(jax.lax.stop_gradient(s) > 0.5, 0.0, v)
            tot = tot + s
        r = tot / n_steps
    return -(y * jax.nn.log_softmax(r, axis=-1)).sum(-1).mean()

dims = [4, 3, 2]
ws = [jnp.array([[((7 * j + 3 * i) % 11) / 5.0 - 0.6 for i in range(dims[l])] for j in range(dims[l + 1])]) for l in range(2)]
x = jnp.array([[((b * 5 + i * 3) % 7) / 6.0 for i in range(4)] for b in range(3)])
y = jnp.eye(2)[jnp.array([0, 1, 1])]
out = {"w": [w.tolist() for w in ws], "x": x.tolist()}
for path in ["custom_vjp", "legacy_stop_gradient"]:
    l, g = jax.value_and_grad(loss)(ws, x, y, 5, 3.0, 1.0, 0.9, path)
    out[path] = {"loss": float(l), "grad": [gi.tolist() for gi in g]}
print(json.dumps(out))
