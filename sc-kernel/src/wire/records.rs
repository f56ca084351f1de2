//! The payloads of the record kinds other than `network`
//! (docs/vectors.md, "Export word stream"). Each borrows its slices from
//! the words; `parse(r, expect)` reads the inputs and, when `expect` is
//! true (a plain record, not an error record), the expected outputs.

use super::{consistent, mul, stream_words, Reader, WireError, WordSink};
use crate::lif::Format;
use crate::ops::BitOp;
use crate::word::words_for;

fn expect_then<'a, T>(
    expect: bool,
    f: impl FnOnce() -> Result<T, WireError>,
) -> Result<Option<T>, WireError>
where
    T: 'a,
{
    if expect {
        f().map(Some)
    } else {
        Ok(None)
    }
}

/// `pack`: `bits`, the input bytes four per word (byte `t` at byte
/// `t % 4` of word `t / 4`), then the expected stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackRecord<'a> {
    /// Number of bits.
    pub bits: u32,
    /// The 0/1 input bytes, `ceil(bits / 4)` words.
    pub bytes: &'a [u32],
    /// Expected packed stream, `ceil(bits / 32)` words.
    pub expect: Option<&'a [u32]>,
}

impl<'a> PackRecord<'a> {
    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> Result<Self, WireError> {
        let bits = r.u32()?;
        let n = bits as usize;
        let bytes = r.take(n.div_ceil(4))?;
        let expect = expect_then(expect, || r.take(stream_words(n)))?;
        Ok(Self {
            bits,
            bytes,
            expect,
        })
    }

    /// The input byte `t` (`None` past the input words).
    pub fn byte(&self, t: usize) -> Option<u8> {
        let w = self.bytes.get(t / 4)?;
        Some((w >> (8 * (t % 4))) as u8)
    }

    /// Write the payload.
    pub fn emit(&self, out: &mut impl WordSink) -> Result<(), WireError> {
        let n = self.bits as usize;
        consistent("bytes", n.div_ceil(4), self.bytes.len())?;
        out.push(self.bits)?;
        out.extend(self.bytes)?;
        if let Some(e) = self.expect {
            consistent("expect.stream", stream_words(n), e.len())?;
            out.extend(e)?;
        }
        Ok(())
    }
}

/// Expected outputs of a [`BitwiseRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitwiseExpect<'a> {
    /// The output stream.
    pub out: &'a [u32],
    /// Its popcount.
    pub popcount: u32,
}

/// `bitwise`: `op`, `len`, streams `a`, `b`, `sel` (an operand the op
/// does not use is all zeros), then the output stream and its popcount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitwiseRecord<'a> {
    /// The op.
    pub op: BitOp,
    /// Stream length in bits.
    pub len: u32,
    /// Operand `a`.
    pub a: &'a [u32],
    /// Operand `b`.
    pub b: &'a [u32],
    /// Select stream.
    pub sel: &'a [u32],
    /// Expected outputs.
    pub expect: Option<BitwiseExpect<'a>>,
}

impl<'a> BitwiseRecord<'a> {
    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> Result<Self, WireError> {
        let op = r.word_as("unknown bitwise op code", BitOp::from_code)?;
        let len = r.u32()?;
        let n = stream_words(len as usize);
        let (a, b, sel) = (r.take(n)?, r.take(n)?, r.take(n)?);
        let expect = expect_then(expect, || {
            Ok(BitwiseExpect {
                out: r.take(n)?,
                popcount: r.u32()?,
            })
        })?;
        Ok(Self {
            op,
            len,
            a,
            b,
            sel,
            expect,
        })
    }

    /// Write the payload.
    pub fn emit(&self, out: &mut impl WordSink) -> Result<(), WireError> {
        let n = stream_words(self.len as usize);
        consistent("a", n, self.a.len())?;
        consistent("b", n, self.b.len())?;
        consistent("sel", n, self.sel.len())?;
        out.push(self.op.code())?;
        out.push(self.len)?;
        out.extend(self.a)?;
        out.extend(self.b)?;
        out.extend(self.sel)?;
        if let Some(e) = self.expect {
            consistent("expect.out", n, e.out.len())?;
            out.extend(e.out)?;
            out.push(e.popcount)?;
        }
        Ok(())
    }
}

/// Expected outputs of a [`DecodeRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeExpect {
    /// Ones in the stream.
    pub ones: u32,
    /// Unipolar value, Q16.16 bits.
    pub unipolar_q16: i32,
    /// Bipolar value, Q16.16 bits.
    pub bipolar_q16: i32,
}

/// `decode`: `len`, the stream, then `ones`, `unipolar_q16`,
/// `bipolar_q16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeRecord<'a> {
    /// Stream length in bits.
    pub len: u32,
    /// The stream.
    pub stream: &'a [u32],
    /// Expected outputs.
    pub expect: Option<DecodeExpect>,
}

impl<'a> DecodeRecord<'a> {
    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> Result<Self, WireError> {
        let len = r.u32()?;
        let stream = r.take(stream_words(len as usize))?;
        let expect = expect_then(expect, || {
            Ok(DecodeExpect {
                ones: r.u32()?,
                unipolar_q16: r.i32()?,
                bipolar_q16: r.i32()?,
            })
        })?;
        Ok(Self {
            len,
            stream,
            expect,
        })
    }

    /// Write the payload.
    pub fn emit(&self, out: &mut impl WordSink) -> Result<(), WireError> {
        consistent("stream", stream_words(self.len as usize), self.stream.len())?;
        out.push(self.len)?;
        out.extend(self.stream)?;
        if let Some(e) = self.expect {
            out.extend(&[
                e.ones,
                e.unipolar_q16.cast_unsigned(),
                e.bipolar_q16.cast_unsigned(),
            ])?;
        }
        Ok(())
    }
}

/// Expected outputs of a [`GeneratorRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorExpect<'a> {
    /// The encoded stream.
    pub stream: &'a [u32],
    /// Its ones.
    pub ones: u32,
    /// The generator's state afterwards (LFSR state, Sobol index).
    pub end_state: u32,
}

/// `lfsr` and `sobol`: `config` (LFSR width or Sobol dimension), `start`
/// (LFSR seed or Sobol start index), `p_q16`, `len`, then the stream,
/// `ones` and `end_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorRecord<'a> {
    /// LFSR width (8, 16, 32) or Sobol dimension.
    pub config: u32,
    /// LFSR seed or Sobol start index.
    pub start: u32,
    /// Probability, Q0.16.
    pub p_q16: u32,
    /// Stream length in bits.
    pub len: u32,
    /// Expected outputs.
    pub expect: Option<GeneratorExpect<'a>>,
}

impl<'a> GeneratorRecord<'a> {
    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> Result<Self, WireError> {
        let [config, start, p_q16, len] = r.array()?;
        let expect = expect_then(expect, || {
            Ok(GeneratorExpect {
                stream: r.take(stream_words(len as usize))?,
                ones: r.u32()?,
                end_state: r.u32()?,
            })
        })?;
        Ok(Self {
            config,
            start,
            p_q16,
            len,
            expect,
        })
    }

    /// Write the payload.
    pub fn emit(&self, out: &mut impl WordSink) -> Result<(), WireError> {
        out.extend(&[self.config, self.start, self.p_q16, self.len])?;
        if let Some(e) = self.expect {
            consistent(
                "expect.stream",
                stream_words(self.len as usize),
                e.stream.len(),
            )?;
            out.extend(e.stream)?;
            out.extend(&[e.ones, e.end_state])?;
        }
        Ok(())
    }
}

/// Expected outputs of a [`MacRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacExpect<'a> {
    /// Unsigned counts, one per neuron.
    pub unsigned: &'a [u32],
    /// Signed counts (two's complement), one per neuron.
    pub signed: &'a [u32],
}

/// `mac`: `neurons`, `inputs`, `len`, the weight streams (`neurons *
/// inputs` of them), the sign rows (`neurons` rows of `ceil(inputs/32)`
/// words), the input streams, then the unsigned and signed counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacRecord<'a> {
    /// Neurons `N`.
    pub neurons: u32,
    /// Inputs `M`.
    pub inputs: u32,
    /// Stream length in bits.
    pub len: u32,
    /// Weight streams, row-major `[j][i]`.
    pub weights: &'a [u32],
    /// Sign rows.
    pub signs: &'a [u32],
    /// Input streams.
    pub x: &'a [u32],
    /// Expected outputs.
    pub expect: Option<MacExpect<'a>>,
}

impl<'a> MacRecord<'a> {
    fn sizes(at: usize, n: usize, m: usize, len: usize) -> Result<[usize; 3], WireError> {
        let s = stream_words(len);
        Ok([
            mul(at, mul(at, n, m)?, s)?,
            mul(at, n, words_for::<u32>(m))?,
            mul(at, m, s)?,
        ])
    }

    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> Result<Self, WireError> {
        let at = r.pos();
        let [neurons, inputs, len] = r.array()?;
        let n = neurons as usize;
        let [w, s, x] = Self::sizes(at, n, inputs as usize, len as usize)?;
        let (weights, signs, x) = (r.take(w)?, r.take(s)?, r.take(x)?);
        let expect = expect_then(expect, || {
            Ok(MacExpect {
                unsigned: r.take(n)?,
                signed: r.take(n)?,
            })
        })?;
        Ok(Self {
            neurons,
            inputs,
            len,
            weights,
            signs,
            x,
            expect,
        })
    }

    /// Write the payload.
    pub fn emit(&self, out: &mut impl WordSink) -> Result<(), WireError> {
        let n = self.neurons as usize;
        let [w, s, x] = Self::sizes(0, n, self.inputs as usize, self.len as usize)?;
        consistent("weights", w, self.weights.len())?;
        consistent("signs", s, self.signs.len())?;
        consistent("x", x, self.x.len())?;
        out.extend(&[self.neurons, self.inputs, self.len])?;
        out.extend(self.weights)?;
        out.extend(self.signs)?;
        out.extend(self.x)?;
        if let Some(e) = self.expect {
            consistent("expect.unsigned", n, e.unsigned.len())?;
            consistent("expect.signed", n, e.signed.len())?;
            out.extend(e.unsigned)?;
            out.extend(e.signed)?;
        }
        Ok(())
    }
}

/// Expected outputs of a [`LifRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifExpect<'a> {
    /// Membrane potentials (raw), `[step][neuron]`.
    pub v: &'a [u32],
    /// Refractory counters, `[step][neuron]`.
    pub refractory: &'a [u32],
    /// Spikes: `steps` rows of `ceil(neurons/32)` words.
    pub spikes: &'a [u32],
}

/// `lif`: `format`, `v_rest`, `v_reset`, `threshold`, `alpha`,
/// `resistance` (raw, two's complement), `refractory`, `neurons`, `steps`,
/// the input currents `[step][neuron]`, then `v`, `refractory` and the
/// spike rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifRecord<'a> {
    /// LIF format.
    pub format: Format,
    /// `v_rest, v_reset, threshold, alpha, resistance` (raw), then the
    /// refractory period (steps).
    pub params: [u32; 6],
    /// Neurons.
    pub neurons: u32,
    /// Steps.
    pub steps: u32,
    /// Input currents (raw), `[step][neuron]`.
    pub input: &'a [u32],
    /// Expected outputs.
    pub expect: Option<LifExpect<'a>>,
}

impl<'a> LifRecord<'a> {
    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> Result<Self, WireError> {
        let format = r.word_as("unknown LIF format code", Format::from_code)?;
        let params = r.array()?;
        let at = r.pos();
        let [neurons, steps] = r.array()?;
        let total = mul(at, steps as usize, neurons as usize)?;
        let input = r.take(total)?;
        let rows = mul(at, steps as usize, words_for::<u32>(neurons as usize))?;
        let expect = expect_then(expect, || {
            Ok(LifExpect {
                v: r.take(total)?,
                refractory: r.take(total)?,
                spikes: r.take(rows)?,
            })
        })?;
        Ok(Self {
            format,
            params,
            neurons,
            steps,
            input,
            expect,
        })
    }

    /// Write the payload.
    pub fn emit(&self, out: &mut impl WordSink) -> Result<(), WireError> {
        let total = mul(0, self.steps as usize, self.neurons as usize)?;
        consistent("input", total, self.input.len())?;
        out.push(self.format.code())?;
        out.extend(&self.params)?;
        out.extend(&[self.neurons, self.steps])?;
        out.extend(self.input)?;
        if let Some(e) = self.expect {
            let rows = mul(
                0,
                self.steps as usize,
                words_for::<u32>(self.neurons as usize),
            )?;
            consistent("expect.v", total, e.v.len())?;
            consistent("expect.refractory", total, e.refractory.len())?;
            consistent("expect.spikes", rows, e.spikes.len())?;
            out.extend(e.v)?;
            out.extend(e.refractory)?;
            out.extend(e.spikes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::SliceSink;
    use super::*;

    // emit then parse gives the record back and consumes every word.
    #[test]
    fn records_round_trip() {
        let mut buf = [0u32; 64];
        let mac = MacRecord {
            neurons: 2,
            inputs: 1,
            len: 33,
            weights: &[1, 0, 2, 0],
            signs: &[0, 1],
            x: &[5, 1],
            expect: Some(MacExpect {
                unsigned: &[1, 2],
                signed: &[1, u32::MAX],
            }),
        };
        let mut s = SliceSink::new(&mut buf);
        mac.emit(&mut s).unwrap();
        let w = s.written();
        let mut r = Reader::new(w);
        assert_eq!(MacRecord::parse(&mut r, true).unwrap(), mac);
        r.finish().unwrap();
        // Without the expectation, and truncated.
        let mut r = Reader::new(&w[..w.len() - 4]);
        assert_eq!(MacRecord::parse(&mut r, false).unwrap().expect, None);
        let mut r = Reader::new(&w[..5]);
        assert!(matches!(
            MacRecord::parse(&mut r, false),
            Err(WireError::Truncated { .. })
        ));
        // Sizes that overflow are errors, not panics.
        let huge = [u32::MAX, u32::MAX, u32::MAX];
        assert!(MacRecord::parse(&mut Reader::new(&huge), false).is_err());
        let lif = [0u32, 0, 0, 1, 1, 1, 0, u32::MAX, u32::MAX];
        assert!(LifRecord::parse(&mut Reader::new(&lif), false).is_err());
        // Inconsistent slices are refused on emit.
        let bad = MacRecord { x: &[1], ..mac };
        let mut s = SliceSink::new(&mut buf);
        assert!(matches!(
            bad.emit(&mut s),
            Err(WireError::Inconsistent { field: "x", .. })
        ));
    }
}
