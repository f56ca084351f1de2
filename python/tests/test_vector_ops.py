import doctest

import numpy as np
import pytest

import seed_ref as ref
from sc_neuro.accel import vector_ops as vo

RNG = np.random.default_rng(7)
LENGTHS = [1, 63, 64, 65, 200, 1000]


def bits(*shape):
    return RNG.integers(0, 2, size=shape, dtype=np.uint8)


@pytest.mark.parametrize("n", LENGTHS)
def test_pack_1d_2d_match_seed(n):
    b1 = bits(n)
    p1 = vo.pack_bitstream(b1)
    assert p1.dtype == np.uint64 and p1.shape == (-(-n // 64),)
    np.testing.assert_array_equal(p1, ref.pack(b1))
    assert p1.length == n
    b2 = bits(5, n)
    p2 = vo.pack_bitstream(b2)
    assert p2.shape == (5, -(-n // 64))
    np.testing.assert_array_equal(p2, ref.pack(b2))


def test_pack_accepts_bool_and_wider_ints():
    b = bits(3, 100)
    np.testing.assert_array_equal(vo.pack_bitstream(b.astype(bool)), ref.pack(b))
    np.testing.assert_array_equal(vo.pack_bitstream(b.astype(np.int64)), ref.pack(b))
    np.testing.assert_array_equal(vo.pack_bitstream(b[:, ::2]), ref.pack(b[:, ::2]))


@pytest.mark.parametrize("n", LENGTHS)
def test_unpack_round_trip(n):
    b1 = bits(n)
    np.testing.assert_array_equal(vo.unpack_bitstream(ref.pack(b1), n), b1)
    out = vo.unpack_bitstream(ref.pack(b1), n, original_shape=(1, n))
    assert out.shape == (1, n)
    b2 = bits(4, n)
    p2 = ref.pack(b2)
    got = vo.unpack_bitstream(p2, 4 * n)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, b2)
    np.testing.assert_array_equal(vo.unpack_bitstream(p2, 4 * n, original_shape=(4, n)), b2)


def test_unpack_2d_total_length_not_floored():
    # The seed computes 130 // 4 = 32 bits per row and drops two bits of
    # every row; here a total that is not a multiple of the batch is an error.
    p = ref.pack(bits(4, 33))
    with pytest.raises(ValueError, match="multiple of the batch size"):
        vo.unpack_bitstream(p, 130)
    with pytest.raises(ValueError, match="batch \\* length"):
        vo.unpack_bitstream(p, 33, original_shape=(4, 33))
    with pytest.raises(ValueError, match="exceed"):
        vo.unpack_bitstream(p, 4 * 65)
    with pytest.raises(ValueError, match="exceeds"):
        vo.unpack_bitstream(p[0], 65)


def seed_binary(name, a, b, s=None):
    return {
        "and": lambda: np.bitwise_and(a, b),
        "xnor": lambda: ~np.bitwise_xor(a, b),
        "not": lambda: ~a,
        "mux": lambda: (s & a) | (~s & b),
    }[name]()


def vo_binary(name, a, b, s):
    # The package's `vec_<name>` on the operands of seed_binary.
    args = {"not": (a,), "mux": (s, a, b)}.get(name, (a, b))
    return getattr(vo, f"vec_{name}")(*args)


@pytest.mark.parametrize("op", ["and", "xnor", "not", "mux"])
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
def test_bitwise_plain_words_match_seed(op, shape):
    # Plain uint64 arrays have no padding: the seed's results exactly.
    a, b, s = (RNG.integers(0, 2**64, size=shape, dtype=np.uint64) for _ in range(3))
    got = vo_binary(op, a, b, s)
    want = seed_binary(op, a, b, s)
    assert got.dtype == np.uint64 and got.shape == shape
    np.testing.assert_array_equal(got, want)
    assert vo.vec_popcount(got) == int(ref.popcount_words(want).sum())


@pytest.mark.parametrize("op", ["and", "xnor", "not", "mux"])
@pytest.mark.parametrize("n", [1, 65, 100, 128])
def test_padding_never_counts(op, n):
    # The seed's NOT/XNOR set the padding bits and its popcount counts
    # them; here results of packed streams keep zero padding.
    ba, bb, bs = bits(3, n), bits(3, n), bits(3, n)
    a, b, s = vo.pack_bitstream(ba), vo.pack_bitstream(bb), vo.pack_bitstream(bs)
    got = vo_binary(op, a, b, s)
    seed = seed_binary(op, ref.pack(ba), ref.pack(bb), ref.pack(bs))
    np.testing.assert_array_equal(got, ref.mask_rows(seed, n))
    want_bits = {
        "and": ba & bb,
        "xnor": 1 - (ba ^ bb),
        "not": 1 - ba,
        "mux": np.where(bs == 1, ba, bb),
    }[op]
    assert vo.vec_popcount(got) == int(want_bits.sum())
    # The same with an explicit length on plain arrays.
    plain = np.asarray(seed)
    assert vo.vec_popcount(plain, length=n) == int(want_bits.sum())
    if n % 64 and op in ("not", "xnor"):
        assert int(ref.popcount_words(seed).sum()) > int(want_bits.sum())


def test_popcount_matches_seed():
    p = RNG.integers(0, 2**64, size=(4, 9), dtype=np.uint64)
    assert vo.vec_popcount(p) == int(ref.popcount_words(p).sum())
    assert vo.vec_popcount(np.zeros(0, dtype=np.uint64)) == 0


def test_errors():
    with pytest.raises(ValueError, match="only 0 and 1"):
        vo.pack_bitstream(np.array([0, 1, 2], dtype=np.uint8))
    with pytest.raises(ValueError, match="only 0 and 1"):
        vo.pack_bitstream(np.array([0, -1], dtype=np.int32))
    with pytest.raises(TypeError, match="dtype float64"):
        vo.pack_bitstream(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="3D"):
        vo.pack_bitstream(np.zeros((2, 2, 2), dtype=np.uint8))
    with pytest.raises(TypeError, match="uint64"):
        vo.vec_and(np.zeros(2, dtype=np.int64), np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="must match"):
        vo.vec_and(np.zeros(2, dtype=np.uint64), np.zeros(3, dtype=np.uint64))
    with pytest.raises(ValueError, match="must match"):
        vo.vec_mux(np.zeros(2, dtype=np.uint64), np.zeros(2, dtype=np.uint64), np.zeros(1, dtype=np.uint64))
    with pytest.raises(ValueError, match="different lengths"):
        vo.vec_and(vo.pack_bitstream(np.ones(70, dtype=np.uint8)), vo.pack_bitstream(np.ones(100, dtype=np.uint8)))
    with pytest.raises(ValueError, match="does not fit"):
        vo.vec_not(np.zeros(2, dtype=np.uint64), length=200)
    with pytest.raises(ValueError, match=">= 0"):
        vo.unpack_bitstream(np.zeros(1, dtype=np.uint64), -1)
    with pytest.raises(TypeError, match="int"):
        vo.unpack_bitstream(np.zeros(1, dtype=np.uint64), 1.5)
    with pytest.raises(ValueError, match="3D"):
        vo.unpack_bitstream(np.zeros((1, 1, 1), dtype=np.uint64), 1)


def test_doc_example():
    assert doctest.testmod(vo, raise_on_error=True).attempted > 0
