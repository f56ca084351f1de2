//! Owned SC spiking networks (spec §7) run on the kernel's `net` module.
//!
//! [`NetworkSpec`] is the serialisable description shared by the vector
//! files and model files; [`run_network`] runs it with `u32` or `u64` words.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{encode_weights, network_step, Layer, LayerState, StreamSource};
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, BitSlice, Word};

use crate::hex::{bits_from_str, TextError};

/// Fixed-point format of the LIF neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LifFormat {
    /// Q16.16, 32-bit raw values.
    #[serde(rename = "q16.16")]
    Q16_16,
    /// Q8.8, 16-bit raw values.
    #[serde(rename = "q8.8")]
    Q8_8,
}

/// LIF parameters as raw fixed-point integers (spec §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifParamsRaw {
    /// Resting potential (raw).
    pub v_rest: i32,
    /// Reset potential (raw).
    pub v_reset: i32,
    /// Threshold (raw).
    pub threshold: i32,
    /// Leak per step (raw; (0, 1]).
    pub alpha: i32,
    /// Input resistance (raw; > 0).
    pub resistance: i32,
    /// Refractory period in steps.
    pub refractory: u16,
}

impl LifParamsRaw {
    /// Validate into kernel parameters of format `F`.
    pub fn to_params<F: LifFixed>(&self) -> Result<LifParams<F>, sc_kernel::Error> {
        LifParams::new(
            F::try_from_raw(self.v_rest)?,
            F::try_from_raw(self.v_reset)?,
            F::try_from_raw(self.threshold)?,
            F::try_from_raw(self.alpha)?,
            F::try_from_raw(self.resistance)?,
            self.refractory,
        )
    }

    /// Raw parameters of validated kernel parameters.
    pub fn from_params<F: LifFixed>(p: &LifParams<F>) -> Self {
        Self {
            v_rest: p.v_rest().raw(),
            v_reset: p.v_reset().raw(),
            threshold: p.threshold().raw(),
            alpha: p.alpha().raw(),
            resistance: p.resistance().raw(),
            refractory: p.refractory(),
        }
    }
}

/// Stream source of a family of streams (spec §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// Sobol dimension `dimension`, from index 0.
    Sobol {
        /// 0..16.
        dimension: u8,
    },
    /// 16-bit LFSR from state `seed`.
    Lfsr16 {
        /// 1..=65535.
        seed: u16,
    },
}

impl From<Source> for StreamSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Sobol { dimension } => StreamSource::Sobol { dimension },
            Source::Lfsr16 { seed } => StreamSource::Lfsr16 { seed },
        }
    }
}

/// One layer of a [`NetworkSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSpec {
    /// Weight magnitudes in Q0.16 (0..=65536), row-major `[neuron][input]`.
    pub weights_q16: Vec<u32>,
    /// Sign bits, row-major `[neuron][input]`, `'1'` = negative.
    pub negative: String,
    /// Gain (raw, LIF format): current for a full-scale count.
    pub gain: i32,
}

/// A whole SC network (spec §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSpec {
    /// LIF number format.
    pub format: LifFormat,
    /// Layer widths: `dims[0]` inputs, then each layer's neurons.
    pub dims: Vec<usize>,
    /// Stream length `L` of every layer.
    pub len: usize,
    /// Source of the weight streams.
    pub weight_source: Source,
    /// Source of the input streams.
    pub input_source: Source,
    /// LIF parameters shared by all layers.
    pub params: LifParamsRaw,
    /// `dims.len() - 1` layers.
    pub layers: Vec<LayerSpec>,
}

/// Why a network could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The description is inconsistent.
    #[error("invalid network: {0}")]
    Invalid(String),
    /// A text field is malformed.
    #[error("{0}")]
    Text(#[from] TextError),
    /// The kernel rejected a value.
    #[error("{0}")]
    Kernel(#[from] sc_kernel::Error),
}

/// Spike trains of a run: `spikes[t][k][j]` is neuron `j` of layer `k` at
/// step `t`; `counts[j]` the last layer's spike counts over all steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRun {
    /// Per step, per layer, per neuron.
    pub spikes: Vec<Vec<Vec<bool>>>,
    /// Spike counts of the last layer.
    pub counts: Vec<u32>,
}

impl NetRun {
    /// Predicted class: index of the largest count, ties to the smaller index.
    pub fn predicted(&self) -> Option<usize> {
        let max = *self.counts.iter().max()?;
        self.counts.iter().position(|&c| c == max)
    }
}

/// A network ready to run: weights encoded into words of type `W`.
pub struct ScNetwork<F: LifFixed, W: Word> {
    shapes: Vec<MacShape>,
    mags: Vec<Vec<W>>,
    signs: Vec<Vec<W>>,
    gains: Vec<F>,
    params: LifParams<F>,
    input_source: StreamSource,
    _w: PhantomData<W>,
}

impl<F: LifFixed, W: Word> ScNetwork<F, W> {
    /// Validate `spec` and encode its weights.
    pub fn new(spec: &NetworkSpec) -> Result<Self, NetError> {
        if spec.dims.len() < 2 {
            return Err(NetError::Invalid(format!(
                "dims {:?}: need at least an input width and one layer",
                spec.dims
            )));
        }
        if spec.layers.len() != spec.dims.len() - 1 {
            return Err(NetError::Invalid(format!(
                "{} layers given, dims {:?} need {}",
                spec.layers.len(),
                spec.dims,
                spec.dims.len() - 1
            )));
        }
        if spec.len == 0 {
            return Err(NetError::Invalid("stream length must be > 0".into()));
        }
        let params = spec.params.to_params::<F>()?;
        let wsrc: StreamSource = spec.weight_source.into();
        let mut shapes = vec![];
        let mut mags = vec![];
        let mut signs = vec![];
        let mut gains = vec![];
        for (k, l) in spec.layers.iter().enumerate() {
            let (m, n) = (spec.dims[k], spec.dims[k + 1]);
            let shape = MacShape::new(n, m, spec.len)?;
            if l.weights_q16.len() != n * m {
                return Err(NetError::Invalid(format!(
                    "layer {k}: {} weights, {n}x{m} needed",
                    l.weights_q16.len()
                )));
            }
            let probs = l
                .weights_q16
                .iter()
                .map(|&q| Probability::from_q16(q))
                .collect::<Result<Vec<_>, _>>()?;
            let mut mw = vec![W::ZERO; shape.weight_rows().words::<W>()?];
            encode_weights(&shape, wsrc, &probs, &mut mw)?;
            let neg = bits_from_str(&l.negative)?;
            if neg.len() != n * m {
                return Err(NetError::Invalid(format!(
                    "layer {k}: {} sign bits, {n}x{m} needed",
                    neg.len()
                )));
            }
            let rs = RowShape {
                rows: n,
                row_len: m,
            };
            let mut sw = vec![W::ZERO; rs.words::<W>()?];
            pack_rows(rs, &neg, &mut sw)?;
            shapes.push(shape);
            mags.push(mw);
            signs.push(sw);
            gains.push(F::try_from_raw(l.gain)?);
        }
        // Validate the input source now rather than on the first run.
        StreamSource::from(spec.input_source).start()?;
        Ok(Self {
            shapes,
            mags,
            signs,
            gains,
            params,
            input_source: spec.input_source.into(),
            _w: PhantomData,
        })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.shapes[0].inputs()
    }

    /// The layers, borrowing the encoded weights.
    pub fn layers(&self) -> Vec<Layer<'_, F, W>> {
        (0..self.shapes.len())
            .map(|k| Layer {
                shape: self.shapes[k],
                magnitudes: &self.mags[k],
                signs: &self.signs[k],
                gain: self.gains[k],
                params: self.params,
            })
            .collect()
    }

    /// Run `steps` time steps from the initial state with constant input
    /// probabilities `inputs` (Q0.16).
    pub fn run(&self, inputs: &[Probability], steps: usize) -> Result<NetRun, NetError> {
        let layers = self.layers();
        let ns: Vec<usize> = self.shapes.iter().map(|s| s.neurons()).collect();
        let mut v: Vec<Vec<F>> = ns.iter().map(|&n| vec![self.params.v_rest(); n]).collect();
        let mut r: Vec<Vec<u16>> = ns.iter().map(|&n| vec![0; n]).collect();
        let mut c: Vec<Vec<i32>> = ns.iter().map(|&n| vec![0; n]).collect();
        let mut cur: Vec<Vec<F>> = ns.iter().map(|&n| vec![F::ZERO; n]).collect();
        let mut sp: Vec<Vec<W>> = ns
            .iter()
            .map(|&n| vec![W::ZERO; words_for::<W>(n)])
            .collect();
        let mut x: Vec<Vec<W>> = self
            .shapes
            .iter()
            .map(|s| vec![W::ZERO; s.inputs() * s.stride::<W>()])
            .collect();
        let mut states: Vec<LayerState<'_, F, W>> = v
            .iter_mut()
            .zip(&mut r)
            .zip(&mut c)
            .zip(&mut cur)
            .zip(&mut sp)
            .zip(&mut x)
            .map(
                |(((((v, refractory), counts), current), spikes), x)| LayerState {
                    v,
                    refractory,
                    counts,
                    current,
                    spikes,
                    x,
                },
            )
            .collect();
        let mut g = self.input_source.start()?;
        let last = *ns.last().unwrap_or(&0);
        let mut out = NetRun {
            spikes: Vec::with_capacity(steps),
            counts: vec![0; last],
        };
        for _ in 0..steps {
            network_step(&layers, &mut states, inputs, &mut g)?;
            let mut step = Vec::with_capacity(ns.len());
            for (st, &n) in states.iter().zip(&ns) {
                let s = BitSlice::new(st.spikes, n)?;
                step.push((0..n).map(|j| s.get(j) == Some(true)).collect::<Vec<_>>());
            }
            for (cnt, &z) in out.counts.iter_mut().zip(step.last().into_iter().flatten()) {
                *cnt += z as u32;
            }
            out.spikes.push(step);
        }
        Ok(out)
    }
}

/// Build and run `spec` with words `W` in its declared format.
pub fn run_network<W: Word>(
    spec: &NetworkSpec,
    inputs_q16: &[u32],
    steps: usize,
) -> Result<NetRun, NetError> {
    let inputs = inputs_q16
        .iter()
        .map(|&q| Probability::from_q16(q))
        .collect::<Result<Vec<_>, _>>()?;
    match spec.format {
        LifFormat::Q16_16 => ScNetwork::<I16F16, W>::new(spec)?.run(&inputs, steps),
        LifFormat::Q8_8 => ScNetwork::<I8F8, W>::new(spec)?.run(&inputs, steps),
    }
}
