//! Length-aware packed bitstreams over caller-provided or owned storage.
//!
//! # Invariants
//! For every [`BitSlice`], [`BitSliceMut`] and [`BitStream`] of length `len`:
//! - the view covers exactly `words_for::<W>(len)` words;
//! - bit `t` (`t < len`) is bit `t % W::BITS` of word `t / W::BITS`;
//! - every padding bit (positions `len..` of the last word) is zero.
//!
//! Constructors check (immutable views) or establish (mutable views) the
//! padding invariant, and every operation keeps it, so popcounts never see
//! padding bits.

use crate::error::{Error, Result};
use crate::word::{last_word_mask, words_for, Word};

/// Immutable view of a packed bitstream of `len` bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitSlice<'a, W: Word> {
    words: &'a [W],
    len: usize,
}

/// Mutable view of a packed bitstream of `len` bits.
#[derive(Debug, PartialEq, Eq)]
pub struct BitSliceMut<'a, W: Word> {
    words: &'a mut [W],
    len: usize,
}

/// `len` and `is_empty` of the stream types (each has a `len: usize`
/// field holding its length in bits).
macro_rules! stream_len {
    () => {
        /// Length in bits.
        #[inline]
        pub fn len(&self) -> usize {
            self.len
        }

        /// True for a zero-length stream.
        #[inline]
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }
    };
}

fn check_storage<W: Word>(have: usize, len: usize) -> Result<usize> {
    let needed = words_for::<W>(len);
    ensure_storage(needed, have)?;
    Ok(needed)
}

/// `Ok(())` when `found >= needed` words, else [`Error::StorageTooSmall`].
#[inline]
pub(crate) fn ensure_storage(needed: usize, found: usize) -> Result<()> {
    if found < needed {
        return Err(Error::StorageTooSmall { needed, found });
    }
    Ok(())
}

/// True when the padding bits of a `len`-bit stream stored in `words`
/// (exactly `words_for(len)` words) are all zero.
#[inline]
pub(crate) fn padding_is_zero<W: Word>(words: &[W], len: usize) -> bool {
    match words.last() {
        Some(&last) => last & !last_word_mask::<W>(len) == W::ZERO,
        None => true,
    }
}

impl<'a, W: Word> BitSlice<'a, W> {
    /// View the first `words_for(len)` words of `words` as a `len`-bit stream.
    ///
    /// Errors: [`Error::StorageTooSmall`] if `words` is too short,
    /// [`Error::NonZeroPadding`] if bits past `len` in the last word are set.
    pub fn new(words: &'a [W], len: usize) -> Result<Self> {
        let n = check_storage::<W>(words.len(), len)?;
        let words = &words[..n];
        if !padding_is_zero(words, len) {
            return Err(Error::NonZeroPadding { stream: 0 });
        }
        Ok(Self { words, len })
    }

    stream_len!();

    /// The backing words (exactly `words_for(len)`; padding bits zero).
    #[inline]
    pub fn words(&self) -> &'a [W] {
        self.words
    }

    /// Bit `t`, or `None` if `t >= len`.
    #[inline]
    pub fn get(&self, t: usize) -> Option<bool> {
        if t >= self.len {
            return None;
        }
        Some(self.words[t / W::BITS] & W::bit(t % W::BITS) != W::ZERO)
    }

    /// Number of ones (popcount). Padding bits are zero and never counted.
    #[inline]
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
}

impl<'a, W: Word> BitSliceMut<'a, W> {
    /// View the first `words_for(len)` words of `words` as a writable
    /// `len`-bit stream. Bits past `len` in the last word are cleared, so
    /// the view satisfies the padding invariant; other bits are untouched.
    ///
    /// Errors: [`Error::StorageTooSmall`] if `words` is too short.
    pub fn new(words: &'a mut [W], len: usize) -> Result<Self> {
        let n = check_storage::<W>(words.len(), len)?;
        let words = &mut words[..n];
        if let Some(last) = words.last_mut() {
            *last = *last & last_word_mask::<W>(len);
        }
        Ok(Self { words, len })
    }

    stream_len!();

    /// Read-only view of the same bits.
    #[inline]
    pub fn as_slice(&self) -> BitSlice<'_, W> {
        BitSlice {
            words: self.words,
            len: self.len,
        }
    }

    /// The backing words, read-only.
    #[inline]
    pub fn words(&self) -> &[W] {
        self.words
    }

    /// Bit `t`, or `None` if `t >= len`.
    #[inline]
    pub fn get(&self, t: usize) -> Option<bool> {
        self.as_slice().get(t)
    }

    /// Set bit `t` to `value`. Errors with [`Error::LengthMismatch`] if
    /// `t >= len` (`expected` is the length, `found` the index).
    pub fn set(&mut self, t: usize, value: bool) -> Result<()> {
        if t >= self.len {
            return Err(Error::LengthMismatch {
                expected: self.len,
                found: t,
            });
        }
        let m = W::bit(t % W::BITS);
        let w = &mut self.words[t / W::BITS];
        *w = if value { *w | m } else { *w & !m };
        Ok(())
    }

    /// Set every bit to zero.
    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = W::ZERO);
    }

    /// Set every bit (`len` bits; padding stays zero).
    pub fn fill_ones(&mut self) {
        self.words.iter_mut().for_each(|w| *w = W::ONES);
        self.fix_padding();
    }

    /// Number of ones.
    #[inline]
    pub fn count_ones(&self) -> usize {
        self.as_slice().count_ones()
    }

    /// Copy `src` into `self`. Errors on a length mismatch.
    pub fn copy_from(&mut self, src: BitSlice<'_, W>) -> Result<()> {
        ensure_len(self.len, src.len())?;
        self.words.copy_from_slice(src.words());
        Ok(())
    }

    /// Let `f` write the backing words (exactly `words_for(len)` of them),
    /// then clear the padding bits again, so the invariant holds whatever
    /// `f` wrote. For accelerated backends that compute whole words.
    pub fn update_words<R>(&mut self, f: impl FnOnce(&mut [W]) -> R) -> R {
        let r = f(self.words);
        self.fix_padding();
        r
    }

    /// Mutable access to the words for kernels in this crate. Callers must
    /// call [`Self::fix_padding`] after writing words that may set padding.
    #[inline]
    pub(crate) fn words_mut(&mut self) -> &mut [W] {
        self.words
    }

    /// Re-establish the padding invariant (clear bits past `len`).
    #[inline]
    pub(crate) fn fix_padding(&mut self) {
        let mask = last_word_mask::<W>(self.len);
        if let Some(last) = self.words.last_mut() {
            *last = *last & mask;
        }
    }
}

/// `Ok(())` when `found == expected`, else [`Error::LengthMismatch`].
#[inline]
pub(crate) fn ensure_len(expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

/// An owned bitstream of up to `N` words (capacity `N * W::BITS` bits),
/// stored inline: no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitStream<W: Word, const N: usize> {
    words: [W; N],
    len: usize,
}

impl<W: Word, const N: usize> BitStream<W, N> {
    /// Capacity in bits: `N * W::BITS` (saturated at `usize::MAX`, a bound
    /// no stream length can exceed).
    pub const CAPACITY: usize = N.saturating_mul(W::BITS);

    /// An all-zero stream of `len` bits. Errors with
    /// [`Error::CapacityExceeded`] if `len > N * W::BITS`.
    pub fn zeros(len: usize) -> Result<Self> {
        if len > Self::CAPACITY {
            return Err(Error::CapacityExceeded {
                capacity: Self::CAPACITY,
                requested: len,
            });
        }
        Ok(Self {
            words: [W::ZERO; N],
            len,
        })
    }

    /// A copy of `src`. Errors with [`Error::CapacityExceeded`] if it does
    /// not fit.
    pub fn from_slice(src: BitSlice<'_, W>) -> Result<Self> {
        let mut s = Self::zeros(src.len())?;
        s.as_mut().copy_from(src)?;
        Ok(s)
    }

    stream_len!();

    /// Read-only view.
    #[inline]
    pub fn as_slice(&self) -> BitSlice<'_, W> {
        BitSlice {
            words: &self.words[..words_for::<W>(self.len)],
            len: self.len,
        }
    }

    /// Writable view.
    #[inline]
    pub fn as_mut(&mut self) -> BitSliceMut<'_, W> {
        let n = words_for::<W>(self.len);
        BitSliceMut {
            words: &mut self.words[..n],
            len: self.len,
        }
    }

    /// Number of ones.
    #[inline]
    pub fn count_ones(&self) -> usize {
        self.as_slice().count_ones()
    }
}
