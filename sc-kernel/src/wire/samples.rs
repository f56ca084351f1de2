//! A labelled sample set with reference predictions (docs/vectors.md,
//! "Sample sets"): what a target classifies to show that it agrees with
//! the host bit for bit.
//!
//! `SAMPLES_MAGIC, n_samples, n_inputs`, then per sample `label`,
//! `predicted` (the host reference's class) and `inputs_q16[n_inputs]`
//! (the network's input probabilities, Q0.16).

use super::{consistent, mul, Reader, WireError, WordSink};

/// Magic word of a sample set: ASCII "SCS1" read little-endian.
pub const SAMPLES_MAGIC: u32 = u32::from_le_bytes(*b"SCS1");

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample<'a> {
    /// The true class.
    pub label: u32,
    /// The class the host's reference predicts.
    pub predicted: u32,
    /// Input probabilities, Q0.16.
    pub inputs_q16: &'a [u32],
}

/// A parsed sample set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Samples<'a> {
    inputs: usize,
    words: &'a [u32],
}

impl<'a> Samples<'a> {
    /// Read a whole sample set (no words may follow).
    pub fn parse(words: &'a [u32]) -> Result<Self, WireError> {
        let mut r =
            Reader::after_magic(words, SAMPLES_MAGIC, "not a sample set (magic is not SCS1)")?;
        let at = r.pos();
        let n = r.usize()?;
        let inputs = r.usize()?;
        let per = inputs.checked_add(2).ok_or(WireError::Invalid {
            at,
            what: "size overflows usize",
        })?;
        let words = r.take(mul(at, n, per)?)?;
        r.finish()?;
        Ok(Self { inputs, words })
    }

    /// Inputs per sample.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.words.len() / (self.inputs + 2)
    }

    /// True if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Sample `k`, `None` past the end.
    pub fn get(&self, k: usize) -> Option<Sample<'a>> {
        let per = self.inputs + 2;
        let start = k.checked_mul(per)?;
        let w = self.words.get(start..start.checked_add(per)?)?;
        Some(Sample {
            label: w[0],
            predicted: w[1],
            inputs_q16: &w[2..],
        })
    }

    /// Every sample, in order.
    pub fn iter(&self) -> impl Iterator<Item = Sample<'a>> + '_ {
        (0..self.len()).filter_map(|k| self.get(k))
    }

    /// Write the header of a set of `n` samples of `inputs` inputs; then
    /// [`Sample::emit`] each sample.
    pub fn emit_header(n: u32, inputs: u32, out: &mut impl WordSink) -> Result<(), WireError> {
        out.extend(&[SAMPLES_MAGIC, n, inputs])
    }
}

impl Sample<'_> {
    /// Write the sample of a set of `inputs` inputs.
    pub fn emit(&self, inputs: usize, out: &mut impl WordSink) -> Result<(), WireError> {
        consistent("inputs_q16", inputs, self.inputs_q16.len())?;
        out.extend(&[self.label, self.predicted])?;
        out.extend(self.inputs_q16)
    }
}

#[cfg(test)]
mod tests {
    use super::super::SliceSink;
    use super::*;

    #[test]
    fn samples_round_trip() {
        let mut buf = [0u32; 16];
        let mut s = SliceSink::new(&mut buf);
        Samples::emit_header(2, 2, &mut s).unwrap();
        let a = Sample {
            label: 3,
            predicted: 3,
            inputs_q16: &[1, 2],
        };
        let b = Sample {
            label: 1,
            predicted: 0,
            inputs_q16: &[65536, 0],
        };
        a.emit(2, &mut s).unwrap();
        b.emit(2, &mut s).unwrap();
        let set = Samples::parse(s.written()).unwrap();
        assert_eq!(set.len(), 2);
        assert_eq!(set.get(1), Some(b));
        assert_eq!(set.get(2), None);
        let w = s.written();
        for n in 0..w.len() {
            assert!(Samples::parse(&w[..n]).is_err());
        }
        assert!(Samples::parse(&[SAMPLES_MAGIC, u32::MAX, u32::MAX]).is_err());
    }
}
