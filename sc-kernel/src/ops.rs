//! Bitwise SC arithmetic on packed streams, word at a time.
//!
//! All operands and the output must have the same length in bits, else
//! [`Error::LengthMismatch`](crate::Error::LengthMismatch). The output's
//! padding bits are zero afterwards (NOT and XNOR re-mask the last word).
//!
//! | op   | unipolar meaning        | bipolar meaning |
//! |------|-------------------------|-----------------|
//! | AND  | `pa * pb` (independent) |                 |
//! | OR   | `pa + pb - pa*pb`       |                 |
//! | XOR  | `pa + pb - 2*pa*pb`     | `-xa * xb`      |
//! | XNOR |                         | `xa * xb`       |
//! | NOT  | `1 - p`                 | `-x`            |
//! | MUX  | `ps*pa + (1-ps)*pb`     | same, scaled add|

use crate::bits::{ensure_len, BitSlice, BitSliceMut};
use crate::error::Result;
use crate::word::Word;

#[inline]
fn binary<W: Word>(
    a: BitSlice<'_, W>,
    b: BitSlice<'_, W>,
    out: &mut BitSliceMut<'_, W>,
    f: impl Fn(W, W) -> W,
) -> Result<()> {
    ensure_len(a.len(), b.len())?;
    ensure_len(a.len(), out.len())?;
    for ((o, &x), &y) in out.words_mut().iter_mut().zip(a.words()).zip(b.words()) {
        *o = f(x, y);
    }
    out.fix_padding();
    Ok(())
}

/// `out = a AND b` (unipolar multiply).
pub fn and<W: Word>(
    a: BitSlice<'_, W>,
    b: BitSlice<'_, W>,
    out: &mut BitSliceMut<'_, W>,
) -> Result<()> {
    binary(a, b, out, |x, y| x & y)
}

/// `out = a OR b`.
pub fn or<W: Word>(
    a: BitSlice<'_, W>,
    b: BitSlice<'_, W>,
    out: &mut BitSliceMut<'_, W>,
) -> Result<()> {
    binary(a, b, out, |x, y| x | y)
}

/// `out = a XOR b`.
pub fn xor<W: Word>(
    a: BitSlice<'_, W>,
    b: BitSlice<'_, W>,
    out: &mut BitSliceMut<'_, W>,
) -> Result<()> {
    binary(a, b, out, |x, y| x ^ y)
}

/// `out = NOT (a XOR b)` (bipolar multiply). Padding stays zero.
pub fn xnor<W: Word>(
    a: BitSlice<'_, W>,
    b: BitSlice<'_, W>,
    out: &mut BitSliceMut<'_, W>,
) -> Result<()> {
    binary(a, b, out, |x, y| !(x ^ y))
}

/// `out = NOT a` (complement). Padding stays zero.
pub fn not<W: Word>(a: BitSlice<'_, W>, out: &mut BitSliceMut<'_, W>) -> Result<()> {
    binary(a, a, out, |x, _| !x)
}

/// `out = (sel AND a) OR (NOT sel AND b)`: a scaled add, with `sel` the
/// select stream (probability of taking `a`).
pub fn mux<W: Word>(
    sel: BitSlice<'_, W>,
    a: BitSlice<'_, W>,
    b: BitSlice<'_, W>,
    out: &mut BitSliceMut<'_, W>,
) -> Result<()> {
    ensure_len(sel.len(), a.len())?;
    ensure_len(sel.len(), b.len())?;
    ensure_len(sel.len(), out.len())?;
    for (((o, &s), &x), &y) in out
        .words_mut()
        .iter_mut()
        .zip(sel.words())
        .zip(a.words())
        .zip(b.words())
    {
        *o = (s & x) | (!s & y);
    }
    out.fix_padding();
    Ok(())
}

/// Popcount of every word of `a` into `out` (`out.len()` must equal the
/// number of words, `words_for(a.len())`). Padding bits are never counted.
pub fn count_ones_per_word<W: Word>(a: BitSlice<'_, W>, out: &mut [u32]) -> Result<()> {
    ensure_len(a.words().len(), out.len())?;
    for (o, w) in out.iter_mut().zip(a.words()) {
        *o = w.count_ones();
    }
    Ok(())
}

/// `popcount(a AND b)` without materialising the product stream.
pub fn and_count<W: Word>(a: BitSlice<'_, W>, b: BitSlice<'_, W>) -> Result<usize> {
    ensure_len(a.len(), b.len())?;
    Ok(and_count_words(a.words(), b.words()) as usize)
}

/// `sum popcount(a[k] & b[k])` over equal-length word slices (no checks
/// beyond zip). The hot loop of the MAC.
#[inline]
pub(crate) fn and_count_words<W: Word>(a: &[W], b: &[W]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| (x & y).count_ones()).sum()
}
