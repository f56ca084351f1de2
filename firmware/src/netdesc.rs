//! Reading the export word layout (docs/vectors.md) and running a network
//! described by it on the kernel.

use heapless::Vec;
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{encode_weights, network_step, Layer, LayerState, StreamSource};
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, Error};

/// Most layers a described network may have.
pub const MAX_LAYERS: usize = 8;

/// Why a description or a run failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum NetError {
    /// The word stream ended early or holds an impossible value at this word.
    Malformed {
        /// Word index in the stream.
        at: usize,
    },
    /// The kernel rejected the inputs.
    Kernel(Error),
    /// A buffer of this image is too small for the network.
    TooLarge {
        /// What does not fit.
        what: &'static str,
        /// Needed.
        needed: usize,
        /// Available.
        capacity: usize,
    },
    /// An embedded weight stream differs from the kernel's encoding of its
    /// probability.
    WeightMismatch {
        /// Layer.
        layer: usize,
        /// Stream index `j * inputs + i`.
        stream: usize,
    },
}

impl From<Error> for NetError {
    fn from(e: Error) -> Self {
        NetError::Kernel(e)
    }
}

/// A cursor over 32-bit words.
pub struct Reader<'a> {
    words: &'a [u32],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Read from the start of `words`.
    pub fn new(words: &'a [u32]) -> Self {
        Self { words, pos: 0 }
    }
    /// Index of the next word.
    pub fn pos(&self) -> usize {
        self.pos
    }
    /// Next word.
    pub fn u32(&mut self) -> Result<u32, NetError> {
        Ok(self.take(1)?[0])
    }
    /// Next word as a count.
    pub fn usize(&mut self) -> Result<usize, NetError> {
        self.u32().map(|w| w as usize)
    }
    /// The next `n` words.
    pub fn take(&mut self, n: usize) -> Result<&'a [u32], NetError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.words.len());
        match end {
            Some(e) => {
                let s = &self.words[self.pos..e];
                self.pos = e;
                Ok(s)
            }
            None => Err(NetError::Malformed { at: self.pos }),
        }
    }
    /// An error at the current position.
    pub fn malformed(&self) -> NetError {
        NetError::Malformed { at: self.pos }
    }
}

/// LIF number format of a described network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum Format {
    /// Q16.16 (`I16F16`).
    Q16,
    /// Q8.8 (`I8F8`).
    Q8,
}

/// One layer of a described network: its stream length and LIF
/// parameters (spec §7: per layer), and slices of the word stream.
#[derive(Debug, Clone, Copy)]
pub struct LayerDesc<'a> {
    /// Stream length `L_k` in bits.
    pub len: usize,
    /// `v_rest, v_reset, threshold, alpha, resistance`, raw.
    pub params_raw: [i32; 5],
    /// Refractory steps.
    pub refractory: u16,
    /// Weight magnitudes, Q0.16, `[j][i]`.
    pub weights_q16: &'a [u32],
    /// Sign rows: `neurons` rows of `ceil(inputs / 32)` words.
    pub signs: &'a [u32],
    /// Current gain, raw fixed-point bits.
    pub gain_raw: i32,
}

/// A network as described by the export words.
#[derive(Debug, Clone)]
pub struct NetDesc<'a> {
    /// LIF format.
    pub format: Format,
    /// Layer widths: inputs, then each layer's neurons.
    pub dims: Vec<usize, { MAX_LAYERS + 1 }>,
    /// Weight stream source.
    pub weight_source: StreamSource,
    /// Input stream source.
    pub input_source: StreamSource,
    /// The layers.
    pub layers: Vec<LayerDesc<'a>, MAX_LAYERS>,
}

fn source(r: &mut Reader<'_>) -> Result<StreamSource, NetError> {
    let at = r.pos();
    let (kind, param) = (r.u32()?, r.u32()?);
    match kind {
        0 if param < 256 => Ok(StreamSource::Sobol {
            dimension: param as u8,
        }),
        // Seed 0 is a valid word: the kernel rejects it (InvalidSeed) in
        // `NetDesc::validate`, as it does on the host.
        1 if param <= 0xffff => Ok(StreamSource::Lfsr16 { seed: param as u16 }),
        _ => Err(NetError::Malformed { at }),
    }
}

/// Read a network head (`format, n_layers, dims, sources`, then per layer
/// `len, params, weights, signs, gain`) as written by `network_words`.
pub fn parse<'a>(r: &mut Reader<'a>) -> Result<NetDesc<'a>, NetError> {
    let format = match r.u32()? {
        0 => Format::Q16,
        1 => Format::Q8,
        _ => return Err(NetError::Malformed { at: r.pos() - 1 }),
    };
    let n_layers = r.usize()?;
    if n_layers == 0 || n_layers > MAX_LAYERS {
        return Err(NetError::TooLarge {
            what: "layers",
            needed: n_layers,
            capacity: MAX_LAYERS,
        });
    }
    let mut dims = Vec::new();
    for &d in r.take(n_layers + 1)? {
        dims.push(d as usize).map_err(|_| r.malformed())?;
    }
    let weight_source = source(r)?;
    let input_source = source(r)?;
    let mut layers = Vec::new();
    for k in 0..n_layers {
        let (m, n) = (dims[k], dims[k + 1]);
        let len = r.usize()?;
        let p = r.take(5)?;
        let params_raw = [
            p[0] as i32,
            p[1] as i32,
            p[2] as i32,
            p[3] as i32,
            p[4] as i32,
        ];
        let refractory =
            u16::try_from(r.u32()?).map_err(|_| NetError::Malformed { at: r.pos() - 1 })?;
        let weights_q16 = r.take(m.checked_mul(n).ok_or(r.malformed())?)?;
        let signs = r.take(n * words_for::<u32>(m))?;
        let gain_raw = r.u32()? as i32;
        layers
            .push(LayerDesc {
                len,
                params_raw,
                refractory,
                weights_q16,
                signs,
                gain_raw,
            })
            .map_err(|_| r.malformed())?;
    }
    let net = NetDesc {
        format,
        dims,
        weight_source,
        input_source,
        layers,
    };
    net.validate()?;
    Ok(net)
}

impl LayerDesc<'_> {
    /// The layer's LIF parameters in format `F`.
    pub fn params<F: LifFixed>(&self) -> Result<LifParams<F>, Error> {
        let f = |x: i32| F::try_from_raw(x);
        let p = &self.params_raw;
        LifParams::new(
            f(p[0])?,
            f(p[1])?,
            f(p[2])?,
            f(p[3])?,
            f(p[4])?,
            self.refractory,
        )
    }
}

impl NetDesc<'_> {
    /// The kernel's checks of a description, in the host's order
    /// (`NetworkSpec::validate`): the two sources, the sources differing
    /// (spec §7: equal sources are `InvalidParameter`), then per layer the
    /// length (0 is `EmptyStream`), the parameters, the shape, the weight
    /// probabilities and the gain.
    pub fn validate(&self) -> Result<(), NetError> {
        match self.format {
            Format::Q16 => self.validate_f::<I16F16>(),
            Format::Q8 => self.validate_f::<I8F8>(),
        }
    }

    fn validate_f<F: LifFixed>(&self) -> Result<(), NetError> {
        self.weight_source.start()?;
        self.input_source.start()?;
        if self.weight_source == self.input_source {
            return Err(Error::InvalidParameter {
                name: "input_source",
                allowed: "a source different from weight_source (spec 4.4)",
            }
            .into());
        }
        for (k, l) in self.layers.iter().enumerate() {
            if l.len == 0 {
                return Err(Error::EmptyStream.into());
            }
            l.params::<F>()?;
            MacShape::new(self.dims[k + 1], self.dims[k], l.len)?;
            for &p in l.weights_q16 {
                Probability::from_q16(p)?;
            }
            F::try_from_raw(l.gain_raw)?;
        }
        Ok(())
    }

    /// Check every embedded weight stream of `magnitudes` (per layer,
    /// `neurons * inputs` streams of the layer's `len` bits in u32 words)
    /// against the kernel's encoding of its probability from the weight
    /// source.
    pub fn verify_magnitudes(&self, magnitudes: &[&[u32]]) -> Result<(), NetError> {
        const MAX_STRIDE: usize = 64;
        if magnitudes.len() != self.layers.len() {
            return Err(NetError::TooLarge {
                what: "magnitude layers",
                needed: self.layers.len(),
                capacity: magnitudes.len(),
            });
        }
        let mut buf = [0u32; MAX_STRIDE];
        for (k, (l, mag)) in self.layers.iter().zip(magnitudes).enumerate() {
            let stride = words_for::<u32>(l.len);
            if stride > MAX_STRIDE {
                return Err(NetError::TooLarge {
                    what: "stream words",
                    needed: stride,
                    capacity: MAX_STRIDE,
                });
            }
            let one = MacShape::new(1, 1, l.len)?;
            if mag.len() != l.weights_q16.len() * stride {
                return Err(Error::LengthMismatch {
                    expected: l.weights_q16.len() * stride,
                    found: mag.len(),
                }
                .into());
            }
            for (s, (&p, want)) in l
                .weights_q16
                .iter()
                .zip(mag.chunks_exact(stride.max(1)))
                .enumerate()
            {
                let p = Probability::from_q16(p)?;
                encode_weights(&one, self.weight_source, &[p], &mut buf[..stride])?;
                if buf[..stride] != *want {
                    return Err(NetError::WeightMismatch {
                        layer: k,
                        stream: s,
                    });
                }
            }
        }
        Ok(())
    }

    /// Run `steps` steps with input probabilities `inputs` on the kernel
    /// (`network_step`), using the embedded weight streams `magnitudes`.
    /// `on_step(step, layer, spike_words)` sees every layer's spikes and
    /// returns false to stop early; the last layer's spike counts are added
    /// to `counts`.
    ///
    /// `N` bounds the neurons of a layer, `X` the input-stream words of a
    /// layer; `L` the layers. Buffers live on the stack.
    pub fn run<const N: usize, const X: usize, const L: usize>(
        &self,
        magnitudes: &[&[u32]],
        inputs: &[Probability],
        steps: usize,
        counts: &mut [u32],
        on_step: impl FnMut(usize, usize, &[u32]) -> bool,
    ) -> Result<(), NetError> {
        match self.format {
            Format::Q16 => {
                self.run_f::<I16F16, N, X, L>(magnitudes, inputs, steps, counts, on_step)
            }
            Format::Q8 => self.run_f::<I8F8, N, X, L>(magnitudes, inputs, steps, counts, on_step),
        }
    }

    fn run_f<F: LifFixed, const N: usize, const X: usize, const L: usize>(
        &self,
        magnitudes: &[&[u32]],
        inputs: &[Probability],
        steps: usize,
        counts: &mut [u32],
        mut on_step: impl FnMut(usize, usize, &[u32]) -> bool,
    ) -> Result<(), NetError> {
        let nl = self.layers.len();
        let need = |what, needed, capacity| {
            if needed > capacity {
                Err(NetError::TooLarge {
                    what,
                    needed,
                    capacity,
                })
            } else {
                Ok(())
            }
        };
        need("layers", nl, L)?;
        let mut layers: Vec<Layer<'_, F, u32>, L> = Vec::new();
        for k in 0..nl {
            let (m, n) = (self.dims[k], self.dims[k + 1]);
            let l = &self.layers[k];
            need("neurons", n, N)?;
            let shape = MacShape::new(n, m, l.len)?;
            need("input words", shape.input_rows().words::<u32>()?, X)?;
            let params = l.params::<F>()?;
            layers
                .push(Layer {
                    shape,
                    magnitudes: magnitudes.get(k).copied().unwrap_or(&[]),
                    signs: l.signs,
                    gain: F::try_from_raw(l.gain_raw)?,
                    params,
                })
                .map_err(|_| NetError::TooLarge {
                    what: "layers",
                    needed: nl,
                    capacity: L,
                })?;
        }
        let last = self.dims[nl];
        if counts.len() != last {
            return Err(Error::LengthMismatch {
                expected: last,
                found: counts.len(),
            }
            .into());
        }
        let mut v = [[F::ZERO; N]; L];
        let mut r = [[0u16; N]; L];
        let mut c = [[0i32; N]; L];
        let mut cur = [[F::ZERO; N]; L];
        let mut sp = [[0u32; N]; L];
        let mut x = [[0u32; X]; L];
        let mut states: Vec<LayerState<'_, F, u32>, L> = Vec::new();
        for (k, (((((v, r), c), cur), sp), x)) in v
            .iter_mut()
            .zip(r.iter_mut())
            .zip(c.iter_mut())
            .zip(cur.iter_mut())
            .zip(sp.iter_mut())
            .zip(x.iter_mut())
            .take(nl)
            .enumerate()
        {
            let n = self.dims[k + 1];
            let v = &mut v[..n];
            v.fill(layers[k].params.v_rest());
            let st = LayerState {
                v,
                refractory: &mut r[..n],
                counts: &mut c[..n],
                current: &mut cur[..n],
                spikes: &mut sp[..words_for::<u32>(n)],
                x: &mut x[..layers[k].shape.input_rows().words::<u32>()?],
            };
            if states.push(st).is_err() {
                return Err(NetError::TooLarge {
                    what: "layers",
                    needed: nl,
                    capacity: L,
                });
            }
        }
        let mut g = self.input_source.start()?;
        for t in 0..steps {
            network_step(&layers, &mut states, inputs, &mut g)?;
            for (k, st) in states.iter().enumerate() {
                if !on_step(t, k, st.spikes) {
                    return Ok(());
                }
            }
            let s = &states[nl - 1].spikes;
            for (j, cnt) in counts.iter_mut().enumerate() {
                *cnt += (s[j / 32] >> (j % 32)) & 1;
            }
        }
        Ok(())
    }
}
