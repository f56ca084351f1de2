//! Unipolar and bipolar decoding of a stream's popcount.
//!
//! For a stream of `len > 0` bits with `ones` set bits:
//! - unipolar value `p = ones / len`, in [0, 1];
//! - bipolar value `x = (2 * ones - len) / len`, in [-1, 1].
//!
//! The fixed-point forms are Q16.16 ([`I16F16`]), rounded to nearest with
//! ties toward +infinity: `q = floor((2 * n * 2^16 + len) / (2 * len))`
//! where `n` is the exact numerator (`ones` or `2*ones - len`).

use fixed::types::I16F16;

use crate::bits::BitSlice;
use crate::error::{Error, Result};
use crate::word::Word;

/// `floor((2 * num * 2^16 + len) / (2 * len))` exactly, for `len > 0` and
/// `|num| <= len` (checked by the callers). Every `usize` fits: `|num| <
/// 2^65`, so `|2 * num * 2^16 + len| < 2^83`, well inside `i128`.
fn round_ratio_q16(num: i128, len: usize) -> Result<I16F16> {
    if len == 0 {
        return Err(Error::EmptyStream);
    }
    let len = len as i128;
    let q = (2 * num * 65536 + len).div_euclid(2 * len);
    // |num| <= len, so |q| <= 65536: the cast is exact.
    Ok(I16F16::from_bits(q as i32))
}

fn check(ones: usize, len: usize) -> Result<()> {
    if len == 0 {
        return Err(Error::EmptyStream);
    }
    if ones > len {
        return Err(Error::LengthMismatch {
            expected: len,
            found: ones,
        });
    }
    Ok(())
}

/// Unipolar value `ones / len` in Q16.16 (raw range `0..=65536`, i.e.
/// [0, 1]), rounded to nearest, ties up; exact for every `usize` argument.
/// Errors: `len == 0` ([`Error::EmptyStream`]); `ones > len`
/// ([`Error::LengthMismatch`]).
pub fn unipolar_q16(ones: usize, len: usize) -> Result<I16F16> {
    check(ones, len)?;
    round_ratio_q16(ones as i128, len)
}

/// Bipolar value `(2*ones - len) / len` in Q16.16 (raw range
/// `-65536..=65536`, i.e. [-1, 1]), rounded to nearest, ties up; exact for
/// every `usize` argument.
/// Errors: `len == 0` ([`Error::EmptyStream`]); `ones > len`
/// ([`Error::LengthMismatch`]).
pub fn bipolar_q16(ones: usize, len: usize) -> Result<I16F16> {
    check(ones, len)?;
    round_ratio_q16(2 * ones as i128 - len as i128, len)
}

/// Unipolar value `ones / len` as `f64`, in [0, 1] (each operand rounded
/// to `f64`, then one rounded division). Errors as [`unipolar_q16`].
pub fn unipolar_f64(ones: usize, len: usize) -> Result<f64> {
    check(ones, len)?;
    Ok(ones as f64 / len as f64)
}

/// Bipolar value `(2*ones - len) / len` as `f64`, in [-1, 1] (operands
/// rounded to `f64`). Errors as [`bipolar_q16`].
pub fn bipolar_f64(ones: usize, len: usize) -> Result<f64> {
    check(ones, len)?;
    Ok((2.0 * ones as f64 - len as f64) / len as f64)
}

impl<W: Word> BitSlice<'_, W> {
    /// Unipolar decode in Q16.16; see [`unipolar_q16`].
    pub fn unipolar_q16(&self) -> Result<I16F16> {
        unipolar_q16(self.count_ones(), self.len())
    }

    /// Bipolar decode in Q16.16; see [`bipolar_q16`].
    pub fn bipolar_q16(&self) -> Result<I16F16> {
        bipolar_q16(self.count_ones(), self.len())
    }
}
