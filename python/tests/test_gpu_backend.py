"""gpu_backend: the GPU path (sc-host's wgpu backend; lavapipe in CI) gives
the CPU functions' bits and errors; the CPU fallback warns once."""

import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import seed_ref as ref
from gil import assert_releases_the_gil
from sc_neuro import _native
from sc_neuro.accel import gpu_backend as gb
from sc_neuro.accel import vector_ops as vo

RNG = np.random.default_rng(23)
LENGTHS = [1, 63, 64, 65, 127, 128, 129, 1000, 4097]

needs_gpu = pytest.mark.skipif(not gb.HAS_GPU, reason=f"no GPU path ({gb._why})")


def words(*shape):
    return RNG.integers(0, 2**64, size=shape, dtype=np.uint64)


def bits(*shape):
    return RNG.integers(0, 2, size=shape, dtype=np.uint8)


@pytest.fixture
def on_cpu(monkeypatch):
    """gpu_backend's CPU fallback in this process (as without an adapter)."""
    monkeypatch.setattr(gb, "_adapter", None)
    monkeypatch.setattr(gb, "_why", "forced by the test")
    monkeypatch.setattr(gb, "_warned", False)


def outcome(f, *args):
    """``("ok", result)`` or the exception's type and message."""
    try:
        r = f(*args)
    except Exception as e:  # noqa: BLE001 - compared, not swallowed
        return (type(e), str(e))
    return ("ok", r)


def both(f, *args):
    """``f(*args)`` on the active path and on the CPU fallback (without
    its warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        active = outcome(f, *args)
    saved = gb._adapter, gb._why, gb._warned
    gb._adapter, gb._why, gb._warned = None, "forced by the test", True
    try:
        cpu = outcome(f, *args)
    finally:
        gb._adapter, gb._why, gb._warned = saved
    return active, cpu


def assert_same(f, *args):
    """The active path and the CPU fallback agree: the same values, dtype,
    shape and ``Packed.length``, or the same error."""
    (ka, a), (kc, c) = both(f, *args)
    assert ka == kc, (a, c)
    if ka != "ok":
        assert a == c
        return None
    a, c = np.asanyarray(a), np.asanyarray(c)
    assert a.dtype == c.dtype and a.shape == c.shape
    np.testing.assert_array_equal(a, c)
    assert getattr(a, "length", None) == getattr(c, "length", None)
    return a


def test_has_gpu_reflects_the_build_and_the_adapter():
    assert gb.HAS_GPU == (gb.device() != "cpu")
    if not _native.GPU_BUILD:
        assert not gb.HAS_GPU and "build" in gb._why
    elif os.environ.get("SC_NEURO_GPU") is None:
        # The adapter the host backend found (None: its CPU fallback).
        assert _native.gpu_adapter() == (gb.device() if gb.HAS_GPU else None)
    if os.environ.get("SC_REQUIRE_GPU") and os.environ.get("SC_NEURO_GPU") is None:
        # CI: lavapipe is there, and the package is built with the feature.
        assert _native.GPU_BUILD and gb.HAS_GPU, gb._why
    assert "HAS_GPU" in gb.__all__ and isinstance(gb.HAS_GPU, bool)


@needs_gpu
def test_gpu_path_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gb.gpu_popcount(gb.gpu_vec_and(gb.gpu_pack_bitstream(bits(2, 70)), words(2, 2)))
        gb.gpu_vec_mac(words(3, 2, 2), words(2, 2))
    # The device is still in use (no loss made the host fall back).
    assert _native.gpu_adapter() == gb.device()


@pytest.mark.parametrize("n", LENGTHS + [0])
@pytest.mark.parametrize("batch", [None, 1, 3])
def test_pack_and_popcount_match_the_cpu(n, batch):
    b = bits(n) if batch is None else bits(batch, n)
    p = assert_same(gb.gpu_pack_bitstream, b)
    np.testing.assert_array_equal(p, ref.pack(b) if batch is None else np.stack([ref.pack(r) for r in b]).reshape(p.shape))
    assert p.length == n
    pc = assert_same(gb.gpu_popcount, p)
    np.testing.assert_array_equal(pc, ref.popcount_words(p))
    # bool and wider integer inputs, as vector_ops takes them
    assert_same(gb.gpu_pack_bitstream, b.astype(bool))
    assert_same(gb.gpu_pack_bitstream, b.astype(np.int64))


@pytest.mark.parametrize("n", LENGTHS)
def test_vec_and_matches_the_cpu(n):
    a, b = vo.pack_bitstream(bits(4, n)), vo.pack_bitstream(bits(4, n))
    r = assert_same(gb.gpu_vec_and, a, b)
    np.testing.assert_array_equal(r, a & b)
    assert r.length == n
    # Plain words (every bit a stream bit) and 1-D arrays.
    w, v = words(3, -(-n // 64)), words(3, -(-n // 64))
    np.testing.assert_array_equal(assert_same(gb.gpu_vec_and, w, v), w & v)
    np.testing.assert_array_equal(assert_same(gb.gpu_vec_and, w[0], v[0]), w[0] & v[0])
    np.testing.assert_array_equal(assert_same(gb.gpu_popcount, w), ref.popcount_words(w))


def test_popcount_of_many_words():
    # Past the CPU backend's parallel threshold (2^15 words), in blocks that
    # are not a multiple of its chunks, and a strided view.
    w = words(3, 20011)
    np.testing.assert_array_equal(assert_same(gb.gpu_popcount, w), ref.popcount_words(w))
    np.testing.assert_array_equal(assert_same(gb.gpu_popcount, w[:, ::3]), ref.popcount_words(w[:, ::3]))


def test_vec_and_clears_dirty_padding_as_the_cpu_does():
    a, b = vo.pack_bitstream(bits(2, 70)), vo.pack_bitstream(bits(2, 70))
    a[:, -1] |= np.uint64(1) << np.uint64(63)  # a padding bit set by hand
    b[:, -1] |= np.uint64(1) << np.uint64(63)
    r = assert_same(gb.gpu_vec_and, a, b)
    assert not (r[:, -1] >> np.uint64(6)).any()


@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (8, 5, 3), (16, 10, 4), (70, 33, 5), (3, 1, 65), (2, 130, 2)]
)
def test_vec_mac_matches_the_cpu(shape):
    w, x = words(*shape), words(shape[1], shape[2])
    m = assert_same(gb.gpu_vec_mac, w, x)
    assert m.dtype == np.uint64 and m.shape == (shape[0],)
    np.testing.assert_array_equal(m, ref.mac(w, x))


@pytest.mark.parametrize("shape", [(0, 3, 2), (4, 0, 2), (4, 3, 0), (0, 0, 0)])
def test_empty_operands_match_the_cpu(shape):
    assert_same(gb.gpu_vec_mac, np.zeros(shape, np.uint64), np.zeros(shape[1:], np.uint64))
    assert_same(gb.gpu_popcount, np.zeros(shape, np.uint64))
    assert_same(gb.gpu_vec_and, np.zeros(shape, np.uint64), np.zeros(shape, np.uint64))
    assert_same(gb.gpu_pack_bitstream, np.zeros(shape[:2], np.uint8))


@pytest.mark.parametrize(
    "f, args",
    [
        (gb.gpu_pack_bitstream, (np.array([0, 1, 2, 1], dtype=np.uint8),)),
        (gb.gpu_pack_bitstream, (np.array([[0, 1], [1, 7]], dtype=np.uint8),)),
        (gb.gpu_pack_bitstream, (np.array([0, 1, 3], dtype=np.int32),)),
        (gb.gpu_pack_bitstream, (np.zeros(3, dtype=np.float64),)),
        (gb.gpu_pack_bitstream, (np.zeros((2, 2, 2), dtype=np.uint8),)),
        (gb.gpu_vec_and, (words(2, 3), words(3, 2))),
        (gb.gpu_vec_and, (words(3), np.zeros(3, dtype=np.int64))),
        (gb.gpu_vec_and, (vo.pack_bitstream(bits(70)), vo.pack_bitstream(bits(65)))),
        (gb.gpu_popcount, (np.zeros(3, dtype=np.int32),)),
        (gb.gpu_vec_mac, (words(2, 3, 1), words(2, 1))),
        (gb.gpu_vec_mac, (words(2, 3, 2), words(3, 1))),
        (gb.gpu_vec_mac, (words(2, 3), words(3, 1))),
        (gb.gpu_vec_mac, (words(2, 3, 1).astype(np.int64), words(3, 1))),
    ],
)
def test_errors_are_the_cpus(f, args):
    (ka, a), (kc, c) = both(f, *args)
    assert ka != "ok" and (ka, a) == (kc, c)
    assert issubclass(ka, (TypeError, ValueError))


def test_invalid_bit_names_its_index():
    with pytest.raises(ValueError, match=r"bitstream\[5\] \(flat index\) is 2"):
        gb.gpu_pack_bitstream(np.array([[0, 1, 1], [0, 1, 2]], dtype=np.uint8))


def test_fallback_warns_once_and_gives_the_same_bits(on_cpu):
    b = bits(3, 130)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert not gb.HAS_GPU and gb.device() == "cpu"
        p = gb.gpu_pack_bitstream(b)
        np.testing.assert_array_equal(p, vo.pack_bitstream(b))
        gb.gpu_vec_and(p, p)
        gb.gpu_popcount(p)
        gb.gpu_vec_mac(words(2, 3, 1), words(3, 1))
    fallbacks = [x for x in w if issubclass(x.category, RuntimeWarning)]
    assert len(fallbacks) == 1 and "CPU backend" in str(fallbacks[0].message)
    assert fallbacks[0].filename == __file__  # points at the caller


NO_VULKAN = {"VK_ICD_FILENAMES": "/nonexistent.json", "VK_DRIVER_FILES": "/nonexistent.json"}


@pytest.mark.parametrize(
    "env, why",
    [
        ({"SC_NEURO_GPU": "0"}, "SC_NEURO_GPU"),
        pytest.param(
            NO_VULKAN,
            "no GPU adapter",
            marks=pytest.mark.skipif(sys.platform != "linux", reason="Vulkan is the only API here"),
        ),
    ],
    ids=["SC_NEURO_GPU=0", "no-adapter"],
)
def test_cpu_fallback_in_a_fresh_process(env, why):
    if not _native.GPU_BUILD:
        why = "no GPU backend in this build"
    code = """
import json, warnings
import numpy as np
from sc_neuro.accel import gpu_backend as gb
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    p = gb.gpu_pack_bitstream(np.ones((2, 70), dtype=np.uint8))
    c = gb.gpu_popcount(gb.gpu_vec_and(p, p)).tolist()
    m = gb.gpu_vec_mac(np.ones((2, 3, 1), np.uint64), np.ones((3, 1), np.uint64)).tolist()
print(json.dumps({"has": gb.HAS_GPU, "device": gb.device(), "counts": c, "mac": m,
                  "warnings": [str(x.message) for x in w if x.category is RuntimeWarning]}))
"""
    env = {**{k: v for k, v in os.environ.items() if k != "SC_NEURO_GPU"}, **env}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    r = json.loads(out.stdout.splitlines()[-1])
    assert r["has"] is False and r["device"] == "cpu"
    assert r["counts"] == [[64, 6], [64, 6]] and r["mac"] == [3, 3]
    assert len(r["warnings"]) == 1 and why in r["warnings"][0]


@needs_gpu
def test_gpu_call_releases_the_gil():
    x = words(64, 64)
    t0 = time.perf_counter()
    gb.gpu_vec_mac(words(256, 64, 64), x)
    # Neurons enough for about 0.3 s on this machine (at most 128 MiB).
    n = min(4096, max(256, int(256 * 0.3 / max(time.perf_counter() - t0, 1e-6))))
    w = words(n, 64, 64)
    assert_releases_the_gil(lambda: gb.gpu_vec_mac(w, x))
