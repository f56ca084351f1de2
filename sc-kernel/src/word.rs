//! Storage words: `u32` and `u64`.

use core::fmt::Debug;
use core::ops::{BitAnd, BitOr, BitXor, Not};

mod sealed {
    pub trait Sealed {}
    impl Sealed for u32 {}
    impl Sealed for u64 {}
}

/// A storage word of a packed bitstream: `u32` or `u64` (sealed).
///
/// Bit `t` of a stream lives in word `t / BITS` at bit position `t % BITS`
/// (LSB-first). Words are serialised little-endian, so a stream has the
/// same canonical bytes whichever word type stores it.
pub trait Word:
    sealed::Sealed
    + Copy
    + Eq
    + Default
    + Debug
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
    + BitXor<Output = Self>
    + Not<Output = Self>
    + Send
    + Sync
    + 'static
{
    /// Bits per word (32 or 64).
    const BITS: usize;
    /// Bytes per word (4 or 8).
    const BYTES: usize;
    /// All bits clear.
    const ZERO: Self;
    /// All bits set.
    const ONES: Self;
    /// Number of set bits.
    fn count_ones(self) -> u32;
    /// Word with only bit `i` set, for `i < BITS`; [`Self::ZERO`] for
    /// `i >= BITS` (no bit of the word is at that position).
    fn bit(i: usize) -> Self;
    /// Word with the low `n` bits set; `n >= BITS` gives [`Self::ONES`].
    fn low_mask(n: usize) -> Self;
    /// The word's little-endian bytes into `out[..k]`, `k = min(out.len(),
    /// BYTES)`: the first `k` bytes (a shorter `out` gets a truncated word;
    /// bytes of `out` past `BYTES` are untouched).
    fn write_le(self, out: &mut [u8]);
    /// Word from up to `BYTES` little-endian bytes (missing bytes are zero).
    fn read_le(bytes: &[u8]) -> Self;
    /// The word's value widened to `u64`.
    fn to_u64(self) -> u64;
}

macro_rules! impl_word {
    ($t:ty) => {
        impl Word for $t {
            const BITS: usize = <$t>::BITS as usize;
            const BYTES: usize = core::mem::size_of::<$t>();
            const ZERO: Self = 0;
            const ONES: Self = <$t>::MAX;
            #[inline(always)]
            fn count_ones(self) -> u32 {
                <$t>::count_ones(self)
            }
            #[inline(always)]
            fn bit(i: usize) -> Self {
                if i < <Self as Word>::BITS {
                    1 << i
                } else {
                    0
                }
            }
            #[inline(always)]
            fn low_mask(n: usize) -> Self {
                if n >= <Self as Word>::BITS {
                    <$t>::MAX
                } else {
                    ((1 as $t) << n) - 1
                }
            }
            #[inline]
            fn write_le(self, out: &mut [u8]) {
                let n = out.len().min(Self::BYTES);
                out[..n].copy_from_slice(&self.to_le_bytes()[..n]);
            }
            #[inline]
            fn read_le(bytes: &[u8]) -> Self {
                let mut buf = [0u8; core::mem::size_of::<$t>()];
                let n = bytes.len().min(Self::BYTES);
                buf[..n].copy_from_slice(&bytes[..n]);
                <$t>::from_le_bytes(buf)
            }
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }
        }
    };
}

impl_word!(u32);
impl_word!(u64);

/// Number of `W` words needed to hold `len` bits: `ceil(len / W::BITS)`.
#[inline]
pub const fn words_for<W: Word>(len: usize) -> usize {
    len.div_ceil(W::BITS)
}

/// Mask of the valid bits of the last word of a `len`-bit stream
/// (all ones when `len` is a multiple of the word size or zero).
#[inline]
pub fn last_word_mask<W: Word>(len: usize) -> W {
    match len % W::BITS {
        0 => W::ONES,
        r => W::low_mask(r),
    }
}
