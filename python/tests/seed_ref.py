"""numpy references of the seed's semantics (sc_neurocore.accel, see
../shared/seed/), written for the tests; where the seed is wrong the
tests say what differs."""

import numpy as np

POW = np.uint64(1) << np.arange(64, dtype=np.uint64)


def pack(bits):
    bits = np.asarray(bits, dtype=np.uint8)
    one = bits.ndim == 1
    b = bits.reshape(1, -1) if one else bits
    pad = (64 - b.shape[1] % 64) % 64
    b = np.concatenate([b, np.zeros((b.shape[0], pad), dtype=np.uint8)], axis=1)
    out = (b.reshape(b.shape[0], -1, 64).astype(np.uint64) * POW).sum(axis=2, dtype=np.uint64)
    return out.reshape(-1) if one else out


def unpack_rows(packed):
    """Every bit of every word: (..., words * 64) uint8."""
    bits = ((packed[..., None] & POW) > 0).astype(np.uint8)
    return bits.reshape(*packed.shape[:-1], -1)


def popcount_words(x):
    x = x.copy()
    x -= (x >> np.uint64(1)) & np.uint64(0x5555555555555555)
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


def mask_rows(words, length):
    """Clear the padding bits (past `length`) of every row."""
    out = words.copy()
    r = length % 64
    if r:
        out[..., -1] &= np.uint64((1 << r) - 1)
    return out


def mac(w, x):
    return popcount_words(np.bitwise_and(w, x[None, :, :])).sum(axis=(1, 2))


def lif_step(v, i, v_rest, v_reset, th, alpha, r, noise):
    v2 = v + (v_rest - v) * alpha + i * r + noise
    s = (v2 >= th).astype(np.float64)
    return np.where(s > 0.5, v_reset, v2), s


def forward_pass(weights, x, n_steps, v_rest=0.0, v_reset=0.0, th=1.0, alpha=0.9):
    spikes, out = x, []
    for w in weights:
        v = np.full((x.shape[0], w.shape[0]), v_rest)
        layer = []
        for _ in range(n_steps):
            v = alpha * v + spikes @ w.T
            s = (v >= th).astype(np.float64)
            v = np.where(s > 0.5, v_reset, v)
            layer.append(s)
        spikes = np.stack(layer).mean(axis=0)
        out.append(np.stack(layer))
    return out, v


def loss(weights, x, targets, n_steps, threshold):
    spikes, _ = forward_pass(weights, x, n_steps, th=threshold)
    rates = spikes[-1].mean(axis=0)
    z = rates - rates.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-(targets * logp).sum(axis=1).mean())


def surrogate_grad(d, beta, path):
    if path == "custom_vjp":
        return beta / (2 * (1 + beta * np.abs(d)) ** 2)
    s = 1 / (1 + np.exp(-beta * d))
    return beta * s * (1 - s)


def loss_and_grad(weights, x, targets, n_steps, beta, threshold, path, alpha=0.9):
    """The seed's loss (hard spikes, mean rates between layers) and its
    surrogate gradient by backpropagation through time: the reset passes
    no gradient through the spike (v = 0 where it fired)."""
    inputs, us = [x], []
    for w in weights:
        cur = inputs[-1] @ w.T
        v = np.zeros_like(cur)
        rate = np.zeros_like(cur)
        u_tr = []
        for _ in range(n_steps):
            u = alpha * v + cur
            s = u >= threshold
            rate += s
            v = np.where(s, 0.0, u)
            u_tr.append(u)
        inputs.append(rate / n_steps)
        us.append(u_tr)
    z = inputs[-1] - inputs[-1].max(axis=1, keepdims=True)
    e = np.exp(z)
    sm = e / e.sum(axis=1, keepdims=True)
    batch = x.shape[0]
    loss = float(-(targets * np.log(sm)).sum() / batch)
    g_rate = (sm * targets.sum(axis=1, keepdims=True) - targets) / batch
    grads = [None] * len(weights)
    for layer in range(len(weights) - 1, -1, -1):
        gs = g_rate / n_steps
        ga = np.zeros_like(gs)
        acc = np.zeros_like(gs)
        for u in reversed(us[layer]):
            gu = gs * surrogate_grad(u - threshold, beta, path) + ga * (u < threshold)
            acc += gu
            ga = alpha * gu
        grads[layer] = acc.T @ inputs[layer]
        g_rate = acc @ weights[layer]
    return loss, grads
