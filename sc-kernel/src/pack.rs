//! Packing 0/1 bytes into words, unpacking, canonical bytes, and batch
//! (row-major 2-D) forms with an explicit per-row length.
//!
//! Canonical bytes of a `len`-bit stream: `ceil(len / 8)` bytes, bit `t` in
//! byte `t / 8` at bit `t % 8`, padding bits of the last byte zero. These are
//! exactly the little-endian bytes of the words, truncated, for `u32` and
//! `u64` alike.

use crate::bits::{ensure_len, ensure_storage, padding_is_zero, BitSlice, BitSliceMut};
use crate::error::{Error, Result};
use crate::word::{words_for, Word};

/// Pack `bits` (each byte 0 or 1; `bits.len() == out.len()`) into `out`.
///
/// Errors: [`Error::LengthMismatch`]; [`Error::InvalidBit`] for the first
/// byte that is not 0 or 1 (then `out` is left partly written).
pub fn pack<W: Word>(bits: &[u8], out: &mut BitSliceMut<'_, W>) -> Result<()> {
    ensure_len(out.len(), bits.len())?;
    for (wi, (o, chunk)) in out
        .words_mut()
        .iter_mut()
        .zip(bits.chunks(W::BITS))
        .enumerate()
    {
        let mut w = W::ZERO;
        let mut bad = 0u8;
        for (i, &b) in chunk.iter().enumerate() {
            bad |= b;
            if b & 1 != 0 {
                w = w | W::bit(i);
            }
        }
        if bad > 1 {
            let (i, &value) = chunk
                .iter()
                .enumerate()
                .find(|(_, &b)| b > 1)
                .unwrap_or((0, &bad));
            return Err(Error::InvalidBit {
                index: wi * W::BITS + i,
                value,
            });
        }
        *o = w;
    }
    Ok(())
}

/// Unpack `s` into one byte (0 or 1) per bit; `out.len()` must equal `s.len()`.
pub fn unpack<W: Word>(s: BitSlice<'_, W>, out: &mut [u8]) -> Result<()> {
    ensure_len(s.len(), out.len())?;
    for (chunk, &w) in out.chunks_mut(W::BITS).zip(s.words()) {
        let w = w.to_u64();
        for (i, o) in chunk.iter_mut().enumerate() {
            *o = ((w >> i) & 1) as u8;
        }
    }
    Ok(())
}

/// Number of canonical bytes of a `len`-bit stream: `ceil(len / 8)`.
#[inline]
pub const fn bytes_for(len: usize) -> usize {
    len.div_ceil(8)
}

/// Canonical bytes of `s` into `out` (`out.len() == bytes_for(s.len())`).
pub fn to_bytes<W: Word>(s: BitSlice<'_, W>, out: &mut [u8]) -> Result<()> {
    ensure_len(bytes_for(s.len()), out.len())?;
    for (chunk, &w) in out.chunks_mut(W::BYTES).zip(s.words()) {
        let mut buf = [0u8; 8];
        w.write_le(&mut buf);
        chunk.copy_from_slice(&buf[..chunk.len()]);
    }
    Ok(())
}

/// Fill `out` from canonical bytes (`bytes.len() == bytes_for(out.len())`).
///
/// Errors: [`Error::LengthMismatch`]; [`Error::NonZeroPadding`] if bits past
/// the length in the last byte are set.
pub fn from_bytes<W: Word>(bytes: &[u8], out: &mut BitSliceMut<'_, W>) -> Result<()> {
    ensure_len(bytes_for(out.len()), bytes.len())?;
    if let Some(&last) = bytes.last() {
        let r = out.len() % 8;
        if r != 0 && last >> r != 0 {
            return Err(Error::NonZeroPadding { stream: 0 });
        }
    }
    for (o, chunk) in out.words_mut().iter_mut().zip(bytes.chunks(W::BYTES)) {
        *o = W::read_le(chunk);
    }
    Ok(())
}

/// Shape of a batch of `rows` streams of `row_len` bits each, stored
/// row-major with a stride of `words_for::<W>(row_len)` words per row.
/// Each row is padded on its own; its padding bits are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RowShape {
    /// Number of streams.
    pub rows: usize,
    /// Length of each stream in bits.
    pub row_len: usize,
}

impl RowShape {
    /// Words per row for word type `W`.
    #[inline]
    pub const fn stride<W: Word>(&self) -> usize {
        words_for::<W>(self.row_len)
    }

    /// Total words for word type `W`, or [`Error::ShapeOverflow`].
    pub fn words<W: Word>(&self) -> Result<usize> {
        self.rows
            .checked_mul(self.stride::<W>())
            .ok_or(Error::ShapeOverflow)
    }

    /// Total bits (`rows * row_len`), or [`Error::ShapeOverflow`].
    pub fn bits(&self) -> Result<usize> {
        self.rows
            .checked_mul(self.row_len)
            .ok_or(Error::ShapeOverflow)
    }

    /// View row `r` (words `r * stride .. (r + 1) * stride`) of `words`.
    ///
    /// Errors: [`Error::LengthMismatch`] if `r >= rows` (`expected` is
    /// `rows`, `found` is `r`); [`Error::ShapeOverflow`] if the row's word
    /// range does not fit `usize`; [`Error::StorageTooSmall`] if `words`
    /// ends before the row does (`needed` is the whole batch's word count);
    /// [`Error::NonZeroPadding`] (naming `r`) if the row's padding is set.
    pub fn row<'a, W: Word>(&self, words: &'a [W], r: usize) -> Result<BitSlice<'a, W>> {
        if r >= self.rows {
            return Err(Error::LengthMismatch {
                expected: self.rows,
                found: r,
            });
        }
        let s = self.stride::<W>();
        let start = r.checked_mul(s).ok_or(Error::ShapeOverflow)?;
        let end = start.checked_add(s).ok_or(Error::ShapeOverflow)?;
        if words.len() < end {
            return Err(Error::StorageTooSmall {
                needed: self.words::<W>()?,
                found: words.len(),
            });
        }
        BitSlice::new(&words[start..end], self.row_len)
            .map_err(|_| Error::NonZeroPadding { stream: r })
    }

    /// Check that `words` holds the batch and every row's padding is zero.
    pub fn validate<W: Word>(&self, words: &[W]) -> Result<()> {
        let needed = self.words::<W>()?;
        ensure_storage(needed, words.len())?;
        let s = self.stride::<W>();
        if s == 0 || self.row_len.is_multiple_of(W::BITS) {
            return Ok(()); // no padding bits exist
        }
        for (r, row) in words[..needed].chunks_exact(s).enumerate() {
            if !padding_is_zero(row, self.row_len) {
                return Err(Error::NonZeroPadding { stream: r });
            }
        }
        Ok(())
    }
}

/// Pack a row-major `rows x row_len` matrix of 0/1 bytes into `out`
/// (`bits.len() == rows * row_len`, `out.len() >= shape.words()`).
pub fn pack_rows<W: Word>(shape: RowShape, bits: &[u8], out: &mut [W]) -> Result<()> {
    ensure_len(shape.bits()?, bits.len())?;
    let needed = shape.words::<W>()?;
    ensure_storage(needed, out.len())?;
    let s = shape.stride::<W>();
    if s == 0 || shape.row_len == 0 {
        out[..needed].iter_mut().for_each(|w| *w = W::ZERO);
        return Ok(());
    }
    for (r, (row_bits, row_words)) in bits
        .chunks_exact(shape.row_len)
        .zip(out.chunks_exact_mut(s))
        .enumerate()
    {
        let mut view = BitSliceMut::new(row_words, shape.row_len)?;
        pack(row_bits, &mut view).map_err(|e| match e {
            Error::InvalidBit { index, value } => Error::InvalidBit {
                index: r * shape.row_len + index,
                value,
            },
            e => e,
        })?;
    }
    Ok(())
}

/// Unpack a batch (see [`RowShape`]) into `rows * row_len` 0/1 bytes.
pub fn unpack_rows<W: Word>(shape: RowShape, words: &[W], out: &mut [u8]) -> Result<()> {
    ensure_len(shape.bits()?, out.len())?;
    shape.validate(words)?;
    if shape.row_len == 0 {
        return Ok(());
    }
    for (r, row_out) in out.chunks_exact_mut(shape.row_len).enumerate() {
        unpack(shape.row(words, r)?, row_out)?;
    }
    Ok(())
}
