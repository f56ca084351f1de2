//! Networks in words (spec §7; docs/vectors.md): the network description
//! shared by `network` records and model exports, the rest of a `network`
//! record, and the model export.
//!
//! A network is `format, n_layers, dims[n_layers + 1]`, the weight source
//! and the input source (two words each: kind code, parameter), then per
//! layer `k` (`M = dims[k]` inputs, `N = dims[k+1]` neurons): `len`,
//! `v_rest, v_reset, threshold, alpha, resistance` (raw, two's
//! complement), `refractory`, `weights_q16[N*M]`, the sign rows (`N` rows
//! of `ceil(M/32)` words) and `gain` (raw).

use super::{consistent, mul, CountSink, Reader, WireError, WordSink, MODEL_MAGIC};
use crate::error::{Error, Result};
use crate::lif::{Format, LifFixed, LifParams};
use crate::mac::MacShape;
use crate::net::StreamSource;
use crate::sng::Probability;
use crate::word::words_for;

/// The head of a network: format, widths and the two stream sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkHead<'a> {
    /// LIF number format of every layer.
    pub format: Format,
    /// Widths: `dims[0]` inputs, then each layer's neurons (at least two
    /// entries).
    pub dims: &'a [u32],
    /// Source of the weight streams.
    pub weight_source: StreamSource,
    /// Source of the input streams.
    pub input_source: StreamSource,
}

fn source(r: &mut Reader<'_>) -> core::result::Result<StreamSource, WireError> {
    let at = r.pos();
    let [kind, param] = r.array()?;
    StreamSource::from_words(kind, param).ok_or(WireError::Invalid {
        at,
        what: "unknown stream source (kind 0: Sobol dimension < 256; 1: LFSR16 seed < 65536)",
    })
}

impl<'a> NetworkHead<'a> {
    /// Read the head.
    pub fn parse(r: &mut Reader<'a>) -> core::result::Result<Self, WireError> {
        let format = r.word_as("unknown LIF format code", Format::from_code)?;
        let at = r.pos();
        let layers = r.usize()?;
        if layers == 0 {
            return Err(WireError::Invalid {
                at,
                what: "a network needs at least one layer",
            });
        }
        let dims = r.take(layers.checked_add(1).ok_or(WireError::Invalid {
            at,
            what: "layer count overflows",
        })?)?;
        Ok(Self {
            format,
            dims,
            weight_source: source(r)?,
            input_source: source(r)?,
        })
    }

    /// Number of layers (`dims.len() - 1`).
    pub fn layers(&self) -> usize {
        self.dims.len().saturating_sub(1)
    }

    /// `dims[k]` as a count (0 past the widths).
    fn dim(&self, k: usize) -> usize {
        self.dims.get(k).map_or(0, |&d| d as usize)
    }

    /// The last layer's neurons.
    fn outputs(&self) -> usize {
        self.dim(self.layers())
    }

    /// Write the head.
    pub fn emit(&self, out: &mut impl WordSink) -> core::result::Result<(), WireError> {
        let layers = u32::try_from(self.layers()).map_err(|_| WireError::Inconsistent {
            field: "dims",
            expected: u32::MAX as usize,
            found: self.dims.len(),
        })?;
        if layers == 0 {
            return Err(WireError::Inconsistent {
                field: "dims",
                expected: 2,
                found: self.dims.len(),
            });
        }
        out.push(self.format.code())?;
        out.push(layers)?;
        out.extend(self.dims)?;
        out.extend(&self.weight_source.words())?;
        out.extend(&self.input_source.words())
    }
}

/// One layer of a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerRecord<'a> {
    /// Stream length `L_k` in bits.
    pub len: u32,
    /// `v_rest, v_reset, threshold, alpha, resistance`, raw.
    pub params: [i32; 5],
    /// Refractory period in steps.
    pub refractory: u16,
    /// Weight magnitudes, Q0.16, row-major `[neuron][input]`.
    pub weights_q16: &'a [u32],
    /// Sign rows: one row of `ceil(inputs/32)` words per neuron.
    pub signs: &'a [u32],
    /// Gain, raw.
    pub gain: i32,
}

impl<'a> LayerRecord<'a> {
    fn sizes(
        at: usize,
        inputs: usize,
        neurons: usize,
    ) -> core::result::Result<[usize; 2], WireError> {
        Ok([
            mul(at, neurons, inputs)?,
            mul(at, neurons, words_for::<u32>(inputs))?,
        ])
    }

    /// Read a layer of `inputs` inputs and `neurons` neurons.
    pub fn parse(
        r: &mut Reader<'a>,
        inputs: usize,
        neurons: usize,
    ) -> core::result::Result<Self, WireError> {
        let at = r.pos();
        let [w, s] = Self::sizes(at, inputs, neurons)?;
        let len = r.u32()?;
        let p = r.array::<5>()?;
        let refractory = r.word_as("refractory period past 65535", |w| u16::try_from(w).ok())?;
        Ok(Self {
            len,
            params: p.map(u32::cast_signed),
            refractory,
            weights_q16: r.take(w)?,
            signs: r.take(s)?,
            gain: r.i32()?,
        })
    }

    /// Write a layer of `inputs` inputs and `neurons` neurons.
    pub fn emit(
        &self,
        inputs: usize,
        neurons: usize,
        out: &mut impl WordSink,
    ) -> core::result::Result<(), WireError> {
        let [w, s] = Self::sizes(0, inputs, neurons)?;
        consistent("weights_q16", w, self.weights_q16.len())?;
        consistent("signs", s, self.signs.len())?;
        out.push(self.len)?;
        out.extend(&self.params.map(i32::cast_unsigned))?;
        out.push(u32::from(self.refractory))?;
        out.extend(self.weights_q16)?;
        out.extend(self.signs)?;
        out.push(self.gain.cast_unsigned())
    }

    /// The layer's LIF parameters in format `F` (errors as
    /// [`LifParams::new`]).
    pub fn lif_params<F: LifFixed>(&self) -> Result<LifParams<F>> {
        let [v_rest, v_reset, threshold, alpha, resistance] = self.params;
        LifParams::new(
            F::try_from_raw(v_rest)?,
            F::try_from_raw(v_reset)?,
            F::try_from_raw(threshold)?,
            F::try_from_raw(alpha)?,
            F::try_from_raw(resistance)?,
            self.refractory,
        )
    }
}

/// A network: its head and its layers' words (checked by [`Self::parse`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network<'a> {
    /// Format, widths and sources.
    pub head: NetworkHead<'a>,
    layers: &'a [u32],
}

impl<'a> Network<'a> {
    /// Read a network: its head and every layer.
    pub fn parse(r: &mut Reader<'a>) -> core::result::Result<Self, WireError> {
        let head = NetworkHead::parse(r)?;
        let mut start = r.clone();
        let begin = r.pos();
        for k in 0..head.layers() {
            let (m, n) = dims_of(&head, k);
            LayerRecord::parse(r, m, n)?;
        }
        let layers = start.take(r.pos().saturating_sub(begin))?;
        Ok(Self { head, layers })
    }

    /// The layers, in order.
    pub fn layers(&self) -> LayerRecords<'a> {
        LayerRecords {
            r: Reader::new(self.layers),
            head: self.head,
            k: 0,
        }
    }

    /// Write a network from its head and `layers` (one per layer of
    /// `head.dims`).
    pub fn emit(
        head: &NetworkHead<'_>,
        layers: &[LayerRecord<'_>],
        out: &mut impl WordSink,
    ) -> core::result::Result<(), WireError> {
        consistent("layers", head.layers(), layers.len())?;
        head.emit(out)?;
        for (k, l) in layers.iter().enumerate() {
            let (m, n) = dims_of(head, k);
            l.emit(m, n, out)?;
        }
        Ok(())
    }

    /// The kernel's checks of the network (spec §7, §8), in the order of
    /// docs/vectors.md: both sources, the sources differing (equal
    /// sources are [`Error::InvalidParameter`]), then per layer `len` (0
    /// is [`Error::EmptyStream`]), the parameters, the MAC shape, the
    /// weight probabilities and the gain.
    pub fn validate(&self) -> Result<()> {
        match self.head.format {
            Format::Q16_16 => self.validate_in::<fixed::types::I16F16>(),
            Format::Q8_8 => self.validate_in::<fixed::types::I8F8>(),
        }
    }

    fn validate_in<F: LifFixed>(&self) -> Result<()> {
        self.head.weight_source.start()?;
        self.head.input_source.start()?;
        if self.head.weight_source == self.head.input_source {
            return Err(Error::InvalidParameter {
                name: "input_source",
                allowed: "a source different from weight_source (spec 4.4)",
            });
        }
        for (k, l) in self.layers().enumerate() {
            let (m, n) = dims_of(&self.head, k);
            if l.len == 0 {
                return Err(Error::EmptyStream);
            }
            l.lif_params::<F>()?;
            MacShape::new(n, m, l.len as usize)?;
            for &p in l.weights_q16 {
                Probability::from_q16(p)?;
            }
            F::try_from_raw(l.gain)?;
        }
        Ok(())
    }

    /// Layer `k`'s MAC shape (`dims[k+1]` neurons over `dims[k]` inputs
    /// at its `len`).
    pub fn shape(&self, k: usize) -> Result<MacShape> {
        let l = self.layers().nth(k).ok_or(Error::LengthMismatch {
            expected: self.head.layers(),
            found: k,
        })?;
        let (m, n) = dims_of(&self.head, k);
        MacShape::new(n, m, l.len as usize)
    }
}

/// `(inputs, neurons)` of layer `k` (0 past the widths).
fn dims_of(head: &NetworkHead<'_>, k: usize) -> (usize, usize) {
    (head.dim(k), head.dim(k + 1))
}

/// The layers of a [`Network`].
#[derive(Debug, Clone)]
pub struct LayerRecords<'a> {
    r: Reader<'a>,
    head: NetworkHead<'a>,
    k: usize,
}

impl<'a> Iterator for LayerRecords<'a> {
    type Item = LayerRecord<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.k >= self.head.layers() {
            return None;
        }
        let (m, n) = dims_of(&self.head, self.k);
        self.k += 1;
        // The words were checked by Network::parse.
        LayerRecord::parse(&mut self.r, m, n).ok()
    }
}

/// Expected outputs of a `network` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkExpect<'a> {
    /// Per step, per layer, the spike row (`ceil(N_k/32)` words).
    pub spikes: &'a [u32],
    /// The last layer's spike counts.
    pub counts: &'a [u32],
}

/// What follows the network in a `network` record: the input
/// probabilities, the step count and the expected outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkTail<'a> {
    /// Layer 0's input probabilities, Q0.16, `dims[0]` of them.
    pub inputs_q16: &'a [u32],
    /// Time steps `T`.
    pub steps: u32,
    /// Expected outputs.
    pub expect: Option<NetworkExpect<'a>>,
}

impl<'a> NetworkTail<'a> {
    fn spike_words(
        at: usize,
        head: &NetworkHead<'_>,
        steps: u32,
    ) -> core::result::Result<usize, WireError> {
        let per_step = head
            .dims
            .iter()
            .skip(1)
            .try_fold(0usize, |a, &n| a.checked_add(words_for::<u32>(n as usize)))
            .ok_or(WireError::Invalid {
                at,
                what: "size overflows usize",
            })?;
        mul(at, per_step, steps as usize)
    }

    /// Read the tail of a record whose network has `head`.
    pub fn parse(
        r: &mut Reader<'a>,
        head: &NetworkHead<'_>,
        expect: bool,
    ) -> core::result::Result<Self, WireError> {
        let inputs_q16 = r.take(head.dim(0))?;
        let at = r.pos();
        let steps = r.u32()?;
        let expect = if expect {
            let spikes = r.take(Self::spike_words(at, head, steps)?)?;
            let last = head.outputs();
            Some(NetworkExpect {
                spikes,
                counts: r.take(last)?,
            })
        } else {
            None
        };
        Ok(Self {
            inputs_q16,
            steps,
            expect,
        })
    }

    /// Write the tail of a record whose network has `head`.
    pub fn emit(
        &self,
        head: &NetworkHead<'_>,
        out: &mut impl WordSink,
    ) -> core::result::Result<(), WireError> {
        consistent("inputs_q16", head.dim(0), self.inputs_q16.len())?;
        out.extend(self.inputs_q16)?;
        out.push(self.steps)?;
        if let Some(e) = self.expect {
            consistent(
                "expect.spikes",
                Self::spike_words(0, head, self.steps)?,
                e.spikes.len(),
            )?;
            consistent("expect.counts", head.outputs(), e.counts.len())?;
            out.extend(e.spikes)?;
            out.extend(e.counts)?;
        }
        Ok(())
    }
}

/// A `network` record: the network, then its tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkRecord<'a> {
    /// The network.
    pub network: Network<'a>,
    /// Inputs, steps and expected outputs.
    pub tail: NetworkTail<'a>,
}

impl<'a> NetworkRecord<'a> {
    /// Read the payload.
    pub fn parse(r: &mut Reader<'a>, expect: bool) -> core::result::Result<Self, WireError> {
        let network = Network::parse(r)?;
        let tail = NetworkTail::parse(r, &network.head, expect)?;
        Ok(Self { network, tail })
    }

    /// Write the payload of a record of the network `head` + `layers`.
    pub fn emit(
        head: &NetworkHead<'_>,
        layers: &[LayerRecord<'_>],
        tail: &NetworkTail<'_>,
        out: &mut impl WordSink,
    ) -> core::result::Result<(), WireError> {
        Network::emit(head, layers, out)?;
        tail.emit(head, out)
    }
}

/// A model export: `MODEL_MAGIC, n_words, network..., steps`, where
/// `n_words` counts the words after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model<'a> {
    /// The network.
    pub network: Network<'a>,
    /// Time steps per classified sample.
    pub steps: u32,
}

impl<'a> Model<'a> {
    /// Read a whole model export (no words may follow).
    pub fn parse(words: &'a [u32]) -> core::result::Result<Self, WireError> {
        let mut r =
            Reader::after_magic(words, MODEL_MAGIC, "not a model export (magic is not SCM1)")?;
        let n = r.usize()?;
        let mut b = Reader::new(r.take(n)?);
        let network = Network::parse(&mut b)?;
        let steps = b.u32()?;
        b.finish()?;
        r.finish()?;
        Ok(Self { network, steps })
    }

    /// Write a model export of the network `head` + `layers`.
    pub fn emit(
        head: &NetworkHead<'_>,
        layers: &[LayerRecord<'_>],
        steps: u32,
        out: &mut impl WordSink,
    ) -> core::result::Result<(), WireError> {
        let mut count = CountSink::default();
        Network::emit(head, layers, &mut count)?;
        let n = count.0.saturating_add(1);
        let n = u32::try_from(n).map_err(|_| WireError::Inconsistent {
            field: "model",
            expected: u32::MAX as usize,
            found: n,
        })?;
        out.push(MODEL_MAGIC)?;
        out.push(n)?;
        Network::emit(head, layers, out)?;
        out.push(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::super::SliceSink;
    use super::*;

    #[test]
    fn networks_and_models_round_trip() {
        let head = NetworkHead {
            format: Format::Q8_8,
            dims: &[2, 3, 1],
            weight_source: StreamSource::Sobol { dimension: 0 },
            input_source: StreamSource::Lfsr16 { seed: 7 },
        };
        let l0 = LayerRecord {
            len: 16,
            params: [0, 0, 256, 64, 256],
            refractory: 1,
            weights_q16: &[1, 2, 3, 4, 5, 6],
            signs: &[0, 1, 0],
            gain: -300,
        };
        let l1 = LayerRecord {
            len: 40,
            params: [0, -32, 300, 128, 256],
            refractory: 0,
            weights_q16: &[65536, 0, 9],
            signs: &[4],
            gain: 768,
        };
        let (mut buf, mut buf2, mut buf3) = ([0u32; 96], [0u32; 96], [0u32; 96]);
        let mut s = SliceSink::new(&mut buf);
        Model::emit(&head, &[l0, l1], 12, &mut s).unwrap();
        let m = Model::parse(s.written()).unwrap();
        assert_eq!(m.steps, 12);
        assert_eq!(m.network.head, head);
        let layers: heapless::Vec<LayerRecord<'_>, 2> = m.network.layers().collect();
        assert_eq!(&layers[..], &[l0, l1]);
        m.network.validate().unwrap();
        assert_eq!(m.network.shape(1).unwrap().len(), 40);

        let tail = NetworkTail {
            inputs_q16: &[1, 2],
            steps: 2,
            expect: Some(NetworkExpect {
                spikes: &[1, 0, 1, 1],
                counts: &[1],
            }),
        };
        let mut s = SliceSink::new(&mut buf2);
        NetworkRecord::emit(&head, &[l0, l1], &tail, &mut s).unwrap();
        let w = s.written();
        let mut r = Reader::new(w);
        let rec = NetworkRecord::parse(&mut r, true).unwrap();
        r.finish().unwrap();
        assert_eq!(rec.tail, tail);
        // Every truncation is an error, never a panic.
        for n in 0..w.len() {
            assert!(NetworkRecord::parse(&mut Reader::new(&w[..n]), true).is_err());
        }
        // Semantic checks are the kernel's.
        let bad = LayerRecord { len: 0, ..l1 };
        let mut s = SliceSink::new(&mut buf3);
        Model::emit(&head, &[l0, bad], 1, &mut s).unwrap();
        let m = Model::parse(s.written()).unwrap();
        assert_eq!(m.network.validate(), Err(Error::EmptyStream));
    }
}
