//! Dense stochastic multiply-accumulate, word at a time, no allocation.
//!
//! Layouts (all streams `len` bits, stride `words_for::<W>(len)` words):
//! - inputs `x`: `inputs` streams, row-major: `x[i]`.
//! - weights: `neurons * inputs` streams, row-major `[j][i]` (the seed's
//!   `jit_vec_mac` shape `(n_neurons, n_inputs, n_words)`).
//! - signs (signed MAC): `neurons` rows of `inputs` bits, each row padded to
//!   `words_for::<W>(inputs)` words; bit `i` of row `j` set means weight
//!   `(j, i)` is negative.
//!
//! Unsigned: `counts[j] = sum_i popcount(w[j][i] AND x[i])`.
//! Signed (sign-magnitude, equivalent to two unipolar streams `w+`/`w-` of
//! which one is always zero): `counts[j] = sum_i s(j,i) * popcount(m[j][i]
//! AND x[i])`, with `s = -1` where the sign bit is set, else `+1`.

use crate::error::{Error, Result};
use crate::ops::and_count_words;
use crate::pack::RowShape;
use crate::word::{words_for, Word};

/// Validated MAC dimensions. `inputs * len` fits `i32`, so no count can
/// overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MacShape {
    neurons: usize,
    inputs: usize,
    len: usize,
}

impl MacShape {
    /// Errors with [`Error::ShapeOverflow`] if `inputs * len > i32::MAX` or
    /// `neurons * inputs` overflows `usize`.
    pub fn new(neurons: usize, inputs: usize, len: usize) -> Result<Self> {
        let span = inputs.checked_mul(len).ok_or(Error::ShapeOverflow)?;
        if span > i32::MAX as usize {
            return Err(Error::ShapeOverflow);
        }
        neurons.checked_mul(inputs).ok_or(Error::ShapeOverflow)?;
        Ok(Self {
            neurons,
            inputs,
            len,
        })
    }

    /// Number of output neurons.
    pub fn neurons(&self) -> usize {
        self.neurons
    }
    /// Number of inputs per neuron.
    pub fn inputs(&self) -> usize {
        self.inputs
    }
    /// Stream length in bits.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when streams have zero length.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Words per stream.
    pub fn stride<W: Word>(&self) -> usize {
        words_for::<W>(self.len)
    }
    /// Shape of the input batch.
    pub fn input_rows(&self) -> RowShape {
        RowShape {
            rows: self.inputs,
            row_len: self.len,
        }
    }
    /// Shape of the weight (magnitude) batch: `neurons * inputs` rows.
    pub fn weight_rows(&self) -> RowShape {
        RowShape {
            rows: self.neurons * self.inputs,
            row_len: self.len,
        }
    }
    /// Shape of the sign matrix: `neurons` rows of `inputs` bits.
    pub fn sign_rows(&self) -> RowShape {
        RowShape {
            rows: self.neurons,
            row_len: self.inputs,
        }
    }

    /// Validate the operands of [`mac`] (or [`mac_signed`]'s magnitudes):
    /// exact word counts, zero padding, `out_len == neurons`.
    pub fn check<W: Word>(&self, weights: &[W], x: &[W], out_len: usize) -> Result<()> {
        if out_len != self.neurons {
            return Err(Error::LengthMismatch {
                expected: self.neurons,
                found: out_len,
            });
        }
        exact_words(self.input_rows(), x)?;
        exact_words(self.weight_rows(), weights)?;
        self.input_rows().validate(x)?;
        self.weight_rows().validate(weights)
    }
}

impl MacShape {
    /// Validate a sign matrix: exact word count and zero padding.
    pub fn check_signs<W: Word>(&self, signs: &[W]) -> Result<()> {
        exact_words(self.sign_rows(), signs)?;
        self.sign_rows().validate(signs)
    }
}

fn exact_words<W: Word>(shape: RowShape, words: &[W]) -> Result<()> {
    let needed = shape.words::<W>()?;
    if words.len() != needed {
        return Err(Error::LengthMismatch {
            expected: needed,
            found: words.len(),
        });
    }
    Ok(())
}

/// Unsigned MAC: `out[j] = sum_i popcount(weights[j][i] AND x[i])`.
///
/// Slices must have exactly the layout's word counts, and every stream's
/// padding must be zero ([`Error::NonZeroPadding`] names the stream).
pub fn mac<W: Word>(shape: &MacShape, weights: &[W], x: &[W], out: &mut [u32]) -> Result<()> {
    shape.check(weights, x, out.len())?;
    let s = shape.stride::<W>();
    if s == 0 || shape.inputs == 0 {
        out.iter_mut().for_each(|o| *o = 0);
        return Ok(());
    }
    // A neuron's weight row and the inputs have the same layout, so the
    // sum over inputs of the per-stream counts is one count over the row.
    for (o, wrow) in out.iter_mut().zip(weights.chunks_exact(s * shape.inputs)) {
        *o = and_count_words(wrow, x);
    }
    Ok(())
}

/// Signed (sign-magnitude) MAC:
/// `out[j] = sum_i (sign(j,i) ? -1 : +1) * popcount(mag[j][i] AND x[i])`.
///
/// `signs` holds `neurons` rows of `inputs` bits (see the module docs).
pub fn mac_signed<W: Word>(
    shape: &MacShape,
    magnitudes: &[W],
    signs: &[W],
    x: &[W],
    out: &mut [i32],
) -> Result<()> {
    shape.check(magnitudes, x, out.len())?;
    shape.check_signs(signs)?;
    let s = shape.stride::<W>();
    if s == 0 || shape.inputs == 0 {
        out.iter_mut().for_each(|o| *o = 0);
        return Ok(());
    }
    let ss = words_for::<W>(shape.inputs);
    for ((o, wrow), srow) in out
        .iter_mut()
        .zip(magnitudes.chunks_exact(s * shape.inputs))
        .zip(signs.chunks_exact(ss))
    {
        let (pos, neg) = signed_counts(wrow, x, s, srow);
        // pos, neg <= inputs * len <= i32::MAX (checked by MacShape).
        *o = pos as i32 - neg as i32;
    }
    Ok(())
}

/// `(sum over positive inputs, sum over negative inputs)` of
/// `popcount(w[i] AND x[i])` for one neuron's row (`stride` words per
/// stream; bit `i` of `srow` set = input `i` negative).
#[inline]
fn signed_counts<W: Word>(wrow: &[W], x: &[W], stride: usize, srow: &[W]) -> (u32, u32) {
    let (mut pos, mut neg) = (0u32, 0u32);
    for (i, (w, xi)) in wrow
        .chunks_exact(stride)
        .zip(x.chunks_exact(stride))
        .enumerate()
    {
        let c = and_count_words(w, xi);
        if srow[i / W::BITS] & W::bit(i % W::BITS) != W::ZERO {
            neg += c;
        } else {
            pos += c;
        }
    }
    (pos, neg)
}
