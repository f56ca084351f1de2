"""jax_backend and mpi_driver against numpy references of the seed."""

import doctest

import numpy as np
import pytest

import seed_ref as ref
from sc_neuro.accel import jax_backend as jb
from sc_neuro.accel import mpi_driver as md

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lif_step(dtype):
    v = RNG.normal(0.5, 0.5, size=(4, 50)).astype(dtype)
    i = RNG.normal(0.3, 0.3, size=v.shape).astype(dtype)
    noise = RNG.normal(0, 0.05, size=v.shape).astype(dtype)
    nv, s = jb.jax_lif_step(v, i, 0.1, -0.2, 1.0, 0.3, 1.5, noise)
    wv, ws = ref.lif_step(v.astype(np.float64), i.astype(np.float64), 0.1, -0.2, 1.0, 0.3, 1.5,
                          noise.astype(np.float64))
    assert nv.dtype == dtype and nv.shape == v.shape and s.shape == v.shape
    np.testing.assert_allclose(nv, wv.astype(dtype), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(s, ws.astype(dtype))
    assert 0 < s.sum() < s.size


def test_lif_step_large_and_strided():
    # Several of the native function's parallel blocks (16384 neurons), a
    # partial one, a strided view; a non-finite element in a late block.
    v = RNG.normal(0.5, 0.5, size=(3, 20011))
    i = RNG.normal(0.3, 0.3, size=v.shape)
    noise = RNG.normal(0, 0.05, size=v.shape)
    for a, b, c in [(v, i, noise), (v[:, ::2], i[:, ::2], noise[:, ::2])]:
        nv, s = jb.jax_lif_step(a, b, 0.1, -0.2, 1.0, 0.3, 1.5, c)
        wv, ws = ref.lif_step(a, b, 0.1, -0.2, 1.0, 0.3, 1.5, c)
        assert nv.shape == a.shape and s.shape == a.shape
        np.testing.assert_allclose(nv, wv, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(s, ws)
    bad = noise.copy()
    bad[2, 20000] = np.inf
    with pytest.raises(ValueError, match=r"noise.*\[60022\]"):
        jb.jax_lif_step(v, i, 0.1, -0.2, 1.0, 0.3, 1.5, bad)
    # A 0-d population.
    nv, s = jb.jax_lif_step(np.float64(0.9), np.float64(0.5), 0.0, 0.0, 1.0, 0.1, 1.0, np.float64(0.0))
    assert nv.shape == () and s.shape == () and float(s) == 1.0 and float(nv) == 0.0
    with pytest.raises(ValueError, match="I_t shape"):
        jb.jax_lif_step(np.float64(0.9), np.ones(1), 0.0, 0.0, 1.0, 0.1, 1.0, np.float64(0.0))


def net(widths):
    return [RNG.normal(0, 1.0 / np.sqrt(a), size=(b, a)) for a, b in zip(widths, widths[1:])]


def test_forward_pass():
    ws = net([20, 15, 5])
    x = RNG.uniform(0, 1, size=(6, 20))
    spikes, v = jb.jax_forward_pass(ws, x, 12, alpha=0.8, v_threshold=0.5)
    want, wv = ref.forward_pass(ws, x, 12, th=0.5, alpha=0.8)
    assert [s.shape for s in spikes] == [(12, 6, 15), (12, 6, 5)]
    for s, t in zip(spikes, want):
        np.testing.assert_array_equal(s, t)
    np.testing.assert_allclose(v, wv, rtol=1e-12, atol=1e-12)
    assert spikes[0].sum() > 0


@pytest.mark.parametrize("path", ["custom_vjp", "legacy_stop_gradient"])
def test_loss_and_step(path):
    ws = net([10, 8, 3])
    x = RNG.uniform(0, 1, size=(5, 10))
    t = np.eye(3)[RNG.integers(0, 3, size=5)]
    loss = jb.jax_surrogate_loss(ws, x, t, n_steps=10, threshold=0.5, surrogate_path=path)
    assert loss == pytest.approx(ref.loss(ws, x, t, 10, 0.5), rel=1e-12)
    new, l2 = jb.jax_surrogate_gradient_step(ws, x, t, n_steps=10, lr=0.5, threshold=0.5,
                                             surrogate_path=path)
    assert l2 == pytest.approx(loss, rel=1e-12)
    assert [w.shape for w in new] == [w.shape for w in ws]
    want_loss, grads = ref.loss_and_grad(ws, x, t, 10, 10.0, 0.5, path)
    assert l2 == pytest.approx(want_loss, rel=1e-12)
    assert any(np.abs(g).max() > 0 for g in grads)
    for w, g, n in zip(ws, grads, new):
        np.testing.assert_allclose(n, w - 0.5 * g, rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="lr"):
        jb.jax_surrogate_gradient_step(ws, x, t, lr=0.0)


def test_jax_errors():
    v = np.zeros(3)
    with pytest.raises(ValueError, match="I_t"):
        jb.jax_lif_step(v, np.zeros(4), 0, 0, 1, 0.1, 1, v)
    with pytest.raises(ValueError, match="alpha"):
        jb.jax_lif_step(v, v, 0, 0, 1, -0.1, 1, v)
    with pytest.raises(ValueError, match="v"):
        jb.jax_lif_step(np.array([np.nan, 0, 0]), v, 0, 0, 1, 0.1, 1, v)
    with pytest.raises(TypeError, match="real number"):
        jb.jax_lif_step(v, v, "0", 0, 1, 0.1, 1, v)
    with pytest.raises(ValueError, match="weights"):
        jb.jax_forward_pass([np.zeros((3, 4))], np.zeros((2, 5)), 3)
    with pytest.raises(ValueError, match="n_steps"):
        jb.jax_forward_pass([np.zeros((3, 4))], np.zeros((2, 4)), 0)
    with pytest.raises(TypeError, match="list"):
        jb.jax_forward_pass(np.zeros((3, 4)), np.zeros((2, 4)), 3)
    with pytest.raises(ValueError, match="surrogate"):
        jb.jax_surrogate_loss([np.zeros((3, 4))], np.zeros((2, 4)), np.zeros((2, 3)),
                              surrogate_path="nope")


def test_mpi_driver():
    d = md.MPIDriver()
    assert (d.rank, d.size) == (0, 1)
    x = RNG.integers(0, 9, size=(7, 3))
    np.testing.assert_array_equal(d.scatter_workload(x), x)
    np.testing.assert_array_equal(d.gather_results(x), x)
    assert d.barrier() is None
    # The seed scatters 10 // 4 = 2 rows per rank and drops two; every row
    # is placed here.
    parts = d.split_workload(np.arange(10), size=4)
    assert [p.tolist() for p in parts] == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9]]
    assert np.concatenate(parts).tolist() == list(range(10))
    with pytest.raises(ValueError, match="rank"):
        md.partition(5, 2, 2)
    with pytest.raises(ValueError, match="size"):
        md.partition(5, 0, 0)


@pytest.mark.parametrize("mod", [jb, md])
def test_doc_examples(mod):
    assert doctest.testmod(mod, raise_on_error=True).attempted > 0
