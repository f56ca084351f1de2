"""jit_kernels and gpu_backend against numpy references of the seed."""

import doctest
import warnings

import numpy as np
import pytest

import seed_ref as ref
from sc_neuro.accel import gpu_backend as gb
from sc_neuro.accel import jit_kernels as jk

RNG = np.random.default_rng(11)


def words(*shape):
    return RNG.integers(0, 2**64, size=shape, dtype=np.uint64)


@pytest.mark.parametrize("n", [64, 640, 100, 1])
def test_jit_pack_bits(n):
    b = RNG.integers(0, 2, size=n, dtype=np.uint8)
    out = np.full(-(-n // 64), 12345, dtype=np.uint64)
    assert jk.jit_pack_bits(b, out) is None
    # The seed packs n // 64 whole words and drops the tail; the partial
    # last word is packed here too.
    np.testing.assert_array_equal(out, ref.pack(b))


@pytest.mark.parametrize("shape", [(1, 1, 1), (16, 10, 4), (5, 33, 7)])
@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_jit_vec_mac_writes_outputs(shape, dtype):
    w = words(*shape)
    x = words(shape[1], shape[2])
    out = np.zeros(shape[0], dtype=dtype)
    assert jk.jit_vec_mac(w, x, out) is None
    np.testing.assert_array_equal(out, ref.mac(w, x).astype(dtype))


def test_jit_errors():
    with pytest.raises(ValueError, match="need"):
        jk.jit_pack_bits(np.zeros(100, dtype=np.uint8), np.zeros(1, dtype=np.uint64))
    with pytest.raises(TypeError, match="uint64"):
        jk.jit_pack_bits(np.zeros(64, dtype=np.uint8), np.zeros(1, dtype=np.int64))
    ro = np.zeros(1, dtype=np.uint64)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        jk.jit_pack_bits(np.zeros(64, dtype=np.uint8), ro)
    with pytest.raises(TypeError, match="numpy array"):
        jk.jit_vec_mac(words(2, 3, 1), words(3, 1), [0, 0])
    with pytest.raises(ValueError, match="shape"):
        jk.jit_vec_mac(words(2, 3, 1), words(3, 1), np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="dtype"):
        jk.jit_vec_mac(words(2, 3, 1), words(3, 1), np.zeros(2, dtype=np.float64))
    with pytest.raises(ValueError, match="input dimension"):
        jk.jit_vec_mac(words(2, 3, 1), words(4, 1), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="word dimension"):
        jk.jit_vec_mac(words(2, 3, 1), words(3, 2), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="3-D"):
        jk.jit_vec_mac(words(2, 3), words(3, 2), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="C-contiguous"):
        jk.jit_vec_mac(words(2, 3, 1), words(3, 1), np.zeros(4, dtype=np.int64)[::2])


@pytest.mark.parametrize("path", ["active", "fallback"])
def test_gpu_backend_matches_seed(path, monkeypatch):
    """On the active path (the GPU where there is one) and on the CPU
    fallback, which warns once (test_gpu_backend.py has more)."""
    if path == "fallback":
        monkeypatch.setattr(gb, "_adapter", None)
        monkeypatch.setattr(gb, "_why", "forced by the test")
    monkeypatch.setattr(gb, "_warned", False)
    b = RNG.integers(0, 2, size=(3, 130), dtype=np.uint8)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        d = gb.to_device(b)
        p = gb.gpu_pack_bitstream(d)
        np.testing.assert_array_equal(gb.to_host(p), ref.pack(b))
        a, c = words(4, 6), words(4, 6)
        np.testing.assert_array_equal(gb.gpu_vec_and(a, c), a & c)
        pc = gb.gpu_popcount(a)
        assert pc.dtype == np.uint64 and pc.shape == a.shape
        np.testing.assert_array_equal(pc, ref.popcount_words(a))
        wt, x = words(8, 5, 3), words(5, 3)
        m = gb.gpu_vec_mac(wt, x)
        assert m.dtype == np.uint64 and m.shape == (8,)
        np.testing.assert_array_equal(m, ref.mac(wt, x))
    fallbacks = [x for x in w if issubclass(x.category, RuntimeWarning)]
    if path == "fallback" or not gb.HAS_GPU:
        assert len(fallbacks) == 1 and "CPU backend" in str(fallbacks[0].message)
    else:
        assert fallbacks == []


def test_gpu_errors():
    with pytest.raises(TypeError, match="uint64"):
        gb.gpu_popcount(np.zeros(3, dtype=np.int32))
    with pytest.raises(ValueError, match="input dimension"):
        gb.gpu_vec_mac(words(2, 3, 1), words(2, 1))


@pytest.mark.parametrize("mod", [jk, gb])
def test_doc_examples(mod):
    assert doctest.testmod(mod, raise_on_error=True).attempted > 0
