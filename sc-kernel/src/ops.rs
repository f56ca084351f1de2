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

/// A bitwise operation, with its export code (docs/vectors.md: the
/// `bitwise` record's `op` word) and its name in vector files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum BitOp {
    /// `a & b` (code 0).
    And,
    /// `a | b` (code 1).
    Or,
    /// `a ^ b` (code 2).
    Xor,
    /// `!(a ^ b)` (code 3).
    Xnor,
    /// `!a` (code 4; `b` is not used).
    Not,
    /// `(sel & a) | (!sel & b)` (code 5).
    Mux,
}

impl BitOp {
    /// Every op, in code order.
    pub const ALL: [BitOp; 6] = [
        BitOp::And,
        BitOp::Or,
        BitOp::Xor,
        BitOp::Xnor,
        BitOp::Not,
        BitOp::Mux,
    ];

    /// The export code (0..=5).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The op of an export code, `None` for an unknown code.
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.code() == code)
    }

    /// The name used in vector files (`and`, ..., `mux`).
    pub fn name(self) -> &'static str {
        match self {
            BitOp::And => "and",
            BitOp::Or => "or",
            BitOp::Xor => "xor",
            BitOp::Xnor => "xnor",
            BitOp::Not => "not",
            BitOp::Mux => "mux",
        }
    }

    /// Whether the op reads operand `b` (all but NOT).
    pub fn uses_b(self) -> bool {
        self != BitOp::Not
    }

    /// Whether the op reads the select stream `sel` (MUX only).
    pub fn uses_sel(self) -> bool {
        self == BitOp::Mux
    }

    /// The op on one word: `f(a, b, sel)`. Padding is the caller's
    /// business ([`BitOp::apply`] re-masks it).
    #[inline]
    pub fn word<W: Word>(self, a: W, b: W, sel: W) -> W {
        match self {
            BitOp::And => a & b,
            BitOp::Or => a | b,
            BitOp::Xor => a ^ b,
            BitOp::Xnor => !(a ^ b),
            BitOp::Not => !a,
            BitOp::Mux => (sel & a) | (!sel & b),
        }
    }

    /// `out = op(a, b, sel)` through [`and`], [`or`], [`xor`], [`xnor`],
    /// [`not`] or [`mux`]; operands the op does not use are ignored.
    pub fn apply<W: Word>(
        self,
        a: BitSlice<'_, W>,
        b: BitSlice<'_, W>,
        sel: BitSlice<'_, W>,
        out: &mut BitSliceMut<'_, W>,
    ) -> Result<()> {
        match self {
            BitOp::And => and(a, b, out),
            BitOp::Or => or(a, b, out),
            BitOp::Xor => xor(a, b, out),
            BitOp::Xnor => xnor(a, b, out),
            BitOp::Not => not(a, out),
            BitOp::Mux => mux(sel, a, b, out),
        }
    }
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

/// `popcount(a AND b)` (in `0..=a.len()`) without materialising the
/// product stream. Exact for any length.
pub fn and_count<W: Word>(a: BitSlice<'_, W>, b: BitSlice<'_, W>) -> Result<usize> {
    ensure_len(a.len(), b.len())?;
    Ok(and_count_chunked(a.words(), b.words(), AND_COUNT_CHUNK))
}

/// Words per block of [`and_count`]: a block's count is at most
/// `2^20 * 64 = 2^26`, so the `u32` block sums cannot overflow.
const AND_COUNT_CHUNK: usize = 1 << 20;

/// [`and_count_words`] over blocks of `chunk` (> 0) words, summed in
/// `usize`: exact for slices of any length (the result is at most the
/// number of bits, which fits `usize`).
fn and_count_chunked<W: Word>(a: &[W], b: &[W], chunk: usize) -> usize {
    a.chunks(chunk)
        .zip(b.chunks(chunk))
        .map(|(x, y)| and_count_words(x, y) as usize)
        .sum()
}

/// `sum popcount(a[k] & b[k])` over equal-length word slices (no checks
/// beyond zip). The hot loop of the MAC.
///
/// On cores without a population-count instruction (Arm Cortex-M, RV32
/// without Zbb) this uses [`and_count_swar`]; elsewhere the instruction.
#[inline]
pub(crate) fn and_count_words<W: Word>(a: &[W], b: &[W]) -> u32 {
    #[cfg(any(
        target_arch = "arm",
        all(target_arch = "riscv32", not(target_feature = "zbb"))
    ))]
    {
        and_count_swar(a, b)
    }
    #[cfg(not(any(
        target_arch = "arm",
        all(target_arch = "riscv32", not(target_feature = "zbb"))
    )))]
    {
        a.iter().zip(b).map(|(&x, &y)| (x & y).count_ones()).sum()
    }
}

/// Sum of the four bytes of `v` (up to 4 * 255).
#[inline(always)]
fn byte_sum(v: u32) -> u32 {
    let pairs = (v & 0x00ff_00ff) + ((v >> 8) & 0x00ff_00ff);
    (pairs + (pairs >> 16)) & 0xffff
}

/// [`and_count_words`] without a popcount instruction: per 32-bit half
/// word, SWAR byte counts are accumulated bytewise (at most 8 per byte per
/// half word, so 15 words of `u64` or 31 of `u32` before a byte could
/// overflow), then the bytes are summed once per block.
#[inline]
#[cfg_attr(
    not(any(
        target_arch = "arm",
        all(target_arch = "riscv32", not(target_feature = "zbb"))
    )),
    allow(dead_code)
)]
pub(crate) fn and_count_swar<W: Word>(a: &[W], b: &[W]) -> u32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let pair = pair_byte_counts;
    let mut total = 0;
    if W::BITS == 64 {
        // A u64 word is a pair; blocks of 8 pairs (8 * 16 <= 255) are
        // straight-line code.
        let (ea, eb) = (a.chunks_exact(8), b.chunks_exact(8));
        let (ra, rb) = (ea.remainder(), eb.remainder());
        for (x, y) in ea.zip(eb) {
            let mut acc = 0u32;
            for k in 0..8 {
                let v = (x[k] & y[k]).to_u64();
                acc += pair(v as u32, (v >> 32) as u32);
            }
            total += byte_sum(acc);
        }
        let mut acc = 0u32;
        for (&x, &y) in ra.iter().zip(rb) {
            let v = (x & y).to_u64();
            acc += pair(v as u32, (v >> 32) as u32);
        }
        total + byte_sum(acc)
    } else {
        // Straight-line blocks: 16 words (8 pairs) while they last, then
        // one of 8 (an L = 256 stream is exactly one), then pairs.
        let h = |x: W, y: W| (x & y).to_u64() as u32;
        let (ea, eb) = (a.chunks_exact(16), b.chunks_exact(16));
        let (ra, rb) = (ea.remainder(), eb.remainder());
        for (x, y) in ea.zip(eb) {
            let mut acc = 0u32;
            for k in 0..8 {
                acc += pair(h(x[2 * k], y[2 * k]), h(x[2 * k + 1], y[2 * k + 1]));
            }
            total += byte_sum(acc);
        }
        let (ea, eb) = (ra.chunks_exact(8), rb.chunks_exact(8));
        let (ra, rb) = (ea.remainder(), eb.remainder());
        let mut acc = 0u32;
        for (x, y) in ea.zip(eb) {
            for k in 0..4 {
                acc += pair(h(x[2 * k], y[2 * k]), h(x[2 * k + 1], y[2 * k + 1]));
            }
        }
        // At most 4 + 4 pairs so far in `acc`: no byte can overflow.
        let (pa, pb) = (ra.chunks_exact(2), rb.chunks_exact(2));
        if let (Some(&x), Some(&y)) = (pa.remainder().first(), pb.remainder().first()) {
            acc += pair(h(x, y), 0);
        }
        for (x, y) in pa.zip(pb) {
            acc += pair(h(x[0], y[0]), h(x[1], y[1]));
        }
        total + byte_sum(acc)
    }
}

/// Per-byte counts of a pair of 32-bit words together (each byte <= 16):
/// the SWAR population count, with the two words merged as soon as their
/// fields cannot overflow.
#[inline(always)]
fn pair_byte_counts(x1: u32, x2: u32) -> u32 {
    let v1 = x1 - ((x1 >> 1) & 0x5555_5555);
    let v2 = x2 - ((x2 >> 1) & 0x5555_5555);
    let v = (v1 & 0x3333_3333)
        + ((v1 >> 2) & 0x3333_3333)
        + (v2 & 0x3333_3333)
        + ((v2 >> 2) & 0x3333_3333);
    (v & 0x0f0f_0f0f) + ((v >> 4) & 0x0f0f_0f0f)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::{vec, vec::Vec};

    fn reference<W: Word>(a: &[W], b: &[W]) -> u32 {
        a.iter().zip(b).map(|(&x, &y)| (x & y).count_ones()).sum()
    }

    #[test]
    fn swar_count_saturated_blocks() {
        // All ones: the largest byte sums, across block boundaries.
        for n in [0usize, 1, 14, 15, 16, 30, 31, 32, 33, 62, 63, 64, 65, 1000] {
            let a32 = vec![u32::MAX; n];
            assert_eq!(and_count_swar(&a32, &a32), 32 * n as u32, "u32 n={n}");
            let a64 = vec![u64::MAX; n];
            assert_eq!(and_count_swar(&a64, &a64), 64 * n as u32, "u64 n={n}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

        #[test]
        fn chunked_count_matches_popcount(
            a in prop::collection::vec(any::<u64>(), 0..200),
            b in prop::collection::vec(any::<u64>(), 0..200),
            chunk in 1usize..70,
        ) {
            let n = a.len().min(b.len());
            prop_assert_eq!(
                and_count_chunked(&a[..n], &b[..n], chunk),
                reference(&a[..n], &b[..n]) as usize
            );
        }

        #[test]
        fn swar_count_matches_popcount(
            a in prop::collection::vec(any::<u64>(), 0..200),
            b in prop::collection::vec(any::<u64>(), 0..200),
        ) {
            prop_assert_eq!(and_count_swar(&a, &b), reference(&a, &b));
            let a32: Vec<u32> = a.iter().map(|&x| x as u32).collect();
            let b32: Vec<u32> = b.iter().map(|&x| (x >> 32) as u32).collect();
            prop_assert_eq!(and_count_swar(&a32, &b32), reference(&a32, &b32));
        }

    }
}
