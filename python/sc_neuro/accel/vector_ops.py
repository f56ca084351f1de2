"""Packed uint64 bitstreams: the seed's ``sc_neurocore.accel.vector_ops``.

Bit ``t`` of a stream is bit ``t % 64`` of word ``t // 64`` (LSB first),
each row padded with zeros to whole words, as in the seed.

Example::

    >>> import numpy as np
    >>> from sc_neuro.accel.vector_ops import pack_bitstream, vec_not, vec_popcount
    >>> p = pack_bitstream(np.array([1, 0, 1, 1], dtype=np.uint8))
    >>> p.shape, p.dtype, int(p[0])
    ((1,), dtype('uint64'), 13)
    >>> vec_popcount(vec_not(p))   # the seed counts 61 here
    1

Differences from the seed (it is wrong; this module is right):

* Padding never counts. ``pack_bitstream`` returns a :class:`Packed`
  array (an ``ndarray`` that remembers the stream length ``length``);
  ``vec_not``, ``vec_xnor`` and ``vec_mux`` clear the padding of their
  result and ``vec_popcount`` skips it, so NOT/XNOR of a 4-bit stream
  counts at most 4 ones. The seed's ``~packed`` sets the 60 padding bits
  and its popcount counts them. Plain uint64 arrays (or ``length=None``)
  have no padding: every bit of every word is a stream bit, as in the
  seed. A ``length=`` keyword sets the row length explicitly.
* ``unpack_bitstream`` of a 2-D array: ``original_length`` is the total
  number of bits (the seed's documented meaning) and must be a multiple
  of the batch size; the seed floors ``original_length // batch`` and
  silently drops bits of every row. ``original_shape``, when given, must
  be ``(batch, length)`` with ``batch * length == original_length``.
  A 1-D unpack with ``original_shape`` returns that shape. Asking for
  more bits than the words hold raises ``ValueError`` (the seed returns
  fewer).
* Inputs are checked: values other than 0/1 in a bitstream (the seed
  packs a 2 as a carry into the next bit), float dtypes, non-uint64
  packed arrays, mismatched shapes (the seed broadcasts) and arrays of
  more than two dimensions raise ``ValueError`` or ``TypeError``.
"""

import numpy as np

from .. import _native
from ._checks import bits_array, int_arg, packed_array

__all__ = [
    "Packed",
    "pack_bitstream",
    "unpack_bitstream",
    "vec_and",
    "vec_xnor",
    "vec_not",
    "vec_mux",
    "vec_popcount",
]


class Packed(np.ndarray):
    """A uint64 ``ndarray`` of packed streams that remembers ``length``,
    the number of stream bits per row (its last axis); the rest of the
    last word of each row is padding."""

    def __array_finalize__(self, obj):
        self.length = getattr(obj, "length", None)


def _packed(words, length):
    out = words.view(Packed)
    out.length = length
    return out


def pack_bitstream(bitstream):
    """Pack a uint8 {0,1} array of shape ``(N,)`` or ``(Batch, N)`` into
    uint64 words, shape ``(ceil(N/64),)`` or ``(Batch, ceil(N/64))``; the
    result is a :class:`Packed` array with ``length == N``."""
    return _pack(bitstream)


def _pack(bitstream, gpu=False):
    """``pack_bitstream`` on the CPU, or with ``gpu`` the GPU backend."""
    bits = bits_array("bitstream", bitstream)
    if bits.ndim not in (1, 2):
        raise ValueError(f"Expected 1D or 2D array, got {bits.ndim}D")
    words = _native.pack_rows(np.atleast_2d(bits), gpu)
    if bits.ndim == 1:
        words = words.reshape(-1)
    return _packed(words, bits.shape[-1])


def unpack_bitstream(packed, original_length, original_shape=None):
    """Unpack uint64 words into a uint8 {0,1} array: ``(original_length,)``
    for 1-D ``packed`` (or ``original_shape``), ``(batch, original_length //
    batch)`` or ``original_shape`` for 2-D (see the module's notes)."""
    words = packed_array("packed", packed)
    original_length = int_arg("original_length", original_length)
    if words.ndim == 1:
        cap = words.shape[0] * 64
        if original_length > cap:
            raise ValueError(
                f"original_length {original_length} exceeds the {cap} bits of {words.shape[0]} words"
            )
        out = _unpack(words[np.newaxis], original_length).reshape(-1)
        if original_shape is not None:
            shape = tuple(int_arg("original_shape[i]", s) for s in original_shape)
            if int(np.prod(shape)) != original_length:
                raise ValueError(
                    f"original_shape {shape} does not hold original_length {original_length} bits"
                )
            out = out.reshape(shape)
        return out
    if words.ndim != 2:
        raise ValueError(f"Expected 1D or 2D packed array, got {words.ndim}D")
    batch, n_words = words.shape
    if original_shape is not None:
        if len(original_shape) != 2:
            raise ValueError(f"original_shape must be (batch, length), got {tuple(original_shape)}")
        b, length = (int_arg("original_shape[i]", s) for s in original_shape)
        if b != batch:
            raise ValueError(f"original_shape {tuple(original_shape)} has batch {b}; packed has {batch}")
        if b * length != original_length:
            raise ValueError(
                f"original_length {original_length} is not batch * length = {b * length} "
                f"of original_shape {tuple(original_shape)}"
            )
    else:
        if batch == 0:
            length = 0
        else:
            if original_length % batch:
                raise ValueError(
                    f"original_length {original_length} is the total bit count and must be a "
                    f"multiple of the batch size {batch}"
                )
            length = original_length // batch
    if length > n_words * 64:
        raise ValueError(f"{length} bits per row exceed the {n_words * 64} bits of {n_words} words")
    return _unpack(words, length)


def _unpack(words, length):
    """The first ``length`` bits of every row of the 2-D ``words``."""
    out = np.empty((words.shape[0], length), dtype=np.uint8)
    _native.unpack_rows(words, out)
    return out


def _row_length(length, *arrays):
    if length is not None:
        return int_arg("length", length)
    known = {n for n in (getattr(a, "length", None) for a in arrays) if n is not None}
    if len(known) > 1:
        raise ValueError(f"the operands are streams of different lengths {sorted(known)}")
    return known.pop() if known else None


def _words_of(a, name):
    words = packed_array(name, a)
    if words.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    return words


def _bitwise(op, a, b, sel, length, gpu=False):
    out = np.empty(a.shape, dtype=np.uint64)
    stride = a.shape[-1] if a.ndim else 1
    if a.size:
        _native.bitwise(op, a, b, sel, out, stride, length, gpu)
    return _packed(out, length)


def _same_shape(a, **others):
    for name, x in others.items():
        if x.shape != a.shape:
            raise ValueError(f"{name} shape {x.shape} must match shape {a.shape}")


def vec_and(a_packed, b_packed, *, length=None):
    """Bitwise AND of packed streams (SC multiplication)."""
    return _and(a_packed, b_packed, length)


def _and(a_packed, b_packed, length, gpu=False):
    """``vec_and`` on the CPU, or with ``gpu`` the GPU backend."""
    n = _row_length(length, a_packed, b_packed)
    a, b = _words_of(a_packed, "a_packed"), _words_of(b_packed, "b_packed")
    _same_shape(a, b_packed=b)
    return _bitwise("and", a, b, a, n, gpu)


def vec_xnor(a_packed, b_packed, *, length=None):
    """Bitwise XNOR (SC bipolar multiplication); padding stays zero."""
    n = _row_length(length, a_packed, b_packed)
    a, b = _words_of(a_packed, "a_packed"), _words_of(b_packed, "b_packed")
    _same_shape(a, b_packed=b)
    return _bitwise("xnor", a, b, a, n)


def vec_not(packed, *, length=None):
    """Bitwise NOT (SC complement ``1 - P(A)``); padding stays zero."""
    n = _row_length(length, packed)
    a = _words_of(packed, "packed")
    return _bitwise("not", a, a, a, n)


def vec_mux(select_packed, a_packed, b_packed, *, length=None):
    """``(select AND a) OR (NOT select AND b)`` (SC scaled addition)."""
    n = _row_length(length, select_packed, a_packed, b_packed)
    s = _words_of(select_packed, "select_packed")
    a, b = _words_of(a_packed, "a_packed"), _words_of(b_packed, "b_packed")
    _same_shape(s, a_packed=a, b_packed=b)
    return _bitwise("mux", a, b, s, n)


def vec_popcount(packed, *, length=None):
    """Total number of set stream bits (padding excluded), as an int."""
    n = _row_length(length, packed)
    words = _words_of(packed, "packed")
    if words.size == 0:
        return 0
    return int(_native.popcount(words, words.shape[-1], n))
