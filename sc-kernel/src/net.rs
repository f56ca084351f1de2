//! A multi-layer SC spiking network: signed SC MAC into fixed-point LIF
//! neurons, one time step at a time, over caller-provided buffers.
//!
//! Per time step `t` (spec §7):
//! 1. Layer 0's inputs are probabilities `p_i`; input stream `i` is
//!    `encode(g_x, p_i)` where every input uses a copy of the shared input
//!    generator `g_x` at its current position; `g_x` then advances by `L0`.
//! 2. Layer `k`: `counts = mac_signed(mag, signs, x)`;
//!    `I_j = sat_F(floor(counts_j * gain_raw / L))` (raw fixed-point bits);
//!    LIF step of every neuron with input `I_j`; spike bits out.
//! 3. Layer `k + 1`'s input stream `i` is all ones if neuron `i` of layer
//!    `k` spiked this step, else all zeros (the same step: no delay).
//!
//! Weights are encoded once (see [`encode_weights`]).

use crate::bits::{ensure_len, BitSlice, BitSliceMut};
use crate::error::{Error, Result};
use crate::lif::{LifFixed, LifParams};
use crate::mac::{mac_signed, MacShape};
use crate::sng::{encode, Lfsr16, Probability, Sng, Sobol};
use crate::word::Word;

/// Where a family of streams gets its comparator values (spec §4.3). In
/// files: `{"kind": "sobol", "dimension": D}` or `{"kind": "lfsr16",
/// "seed": S}`; in the export: two words, the kind code (Sobol 0,
/// LFSR16 1) and the parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)
)]
pub enum StreamSource {
    /// A Sobol dimension, starting at index 0.
    Sobol {
        /// Dimension, `0..SOBOL_DIMENSIONS`.
        dimension: u8,
    },
    /// The 16-bit LFSR, starting at state `seed` (nonzero).
    Lfsr16 {
        /// Initial state, 1..=65535.
        seed: u16,
    },
}

impl StreamSource {
    /// The two export words: kind code (Sobol 0, LFSR16 1) and parameter.
    pub fn words(&self) -> [u32; 2] {
        match *self {
            StreamSource::Sobol { dimension } => [0, u32::from(dimension)],
            StreamSource::Lfsr16 { seed } => [1, u32::from(seed)],
        }
    }

    /// The source of two export words, `None` for an unknown kind or a
    /// parameter wider than the field (a Sobol dimension past 255, a seed
    /// past 65535). A parameter the generator rejects (seed 0, dimension
    /// 16..=255) is returned: [`StreamSource::start`] reports it.
    pub fn from_words(kind: u32, param: u32) -> Option<Self> {
        match kind {
            0 => u8::try_from(param)
                .ok()
                .map(|dimension| StreamSource::Sobol { dimension }),
            1 => u16::try_from(param)
                .ok()
                .map(|seed| StreamSource::Lfsr16 { seed }),
            _ => None,
        }
    }

    /// A generator at the start of this source's sequence.
    pub fn start(&self) -> Result<Generator> {
        Ok(match *self {
            StreamSource::Sobol { dimension } => {
                Generator::Sobol(Sobol::new(dimension as usize, 0)?)
            }
            StreamSource::Lfsr16 { seed } => Generator::Lfsr16(Lfsr16::new(seed as u32)?),
        })
    }
}

/// A running generator of either kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Generator {
    /// Sobol.
    Sobol(Sobol),
    /// 16-bit LFSR.
    Lfsr16(Lfsr16),
}

impl Sng for Generator {
    #[inline]
    fn next_q16(&mut self) -> u16 {
        match self {
            Generator::Sobol(g) => g.next_q16(),
            Generator::Lfsr16(g) => g.next_q16(),
        }
    }
}

impl Generator {
    /// Advance `n` steps, discarding the values. Any `n` is fine: the
    /// sequences are periodic (Sobol: 2^16, the 16-bit LFSR: 2^16 - 1), so
    /// this costs at most one period of steps (Sobol: constant time).
    pub fn skip(&mut self, n: usize) {
        match self {
            Generator::Sobol(g) => g.skip(n),
            Generator::Lfsr16(g) => {
                // usize is at most 64 bits wide: the cast is exact.
                for _ in 0..(n as u64 % Lfsr16::PERIOD) {
                    g.step();
                }
            }
        }
    }
}

/// Encode weight magnitudes (Q0.16 each, `shape.neurons() * shape.inputs()`
/// of them, row-major `[j][i]`) into `out`: every weight stream starts from
/// a fresh generator of `source` (all weight streams share one sequence).
pub fn encode_weights<W: Word>(
    shape: &MacShape,
    source: StreamSource,
    magnitudes_q16: &[Probability],
    out: &mut [W],
) -> Result<()> {
    let rows = shape.weight_rows();
    ensure_len(rows.rows, magnitudes_q16.len())?;
    let needed = rows.words::<W>()?;
    ensure_len(needed, out.len())?;
    let s = rows.stride::<W>();
    let start = source.start()?;
    if s == 0 {
        return Ok(());
    }
    for (chunk, &p) in out.chunks_exact_mut(s).zip(magnitudes_q16) {
        let mut g = start;
        encode(&mut g, p, &mut BitSliceMut::new(chunk, shape.len())?);
    }
    Ok(())
}

/// Convert MAC counts to LIF input currents (spec §7):
/// `current[j] = sat_W(floor(counts[j] * gain_raw / len))` on raw values,
/// computed exactly for every `i32` count, raw gain and `usize` length,
/// then saturated to `F`'s width `W`.
///
/// Errors: [`Error::LengthMismatch`] if `counts` and `current` differ in
/// length; [`Error::EmptyStream`] if `len == 0`.
pub fn counts_to_current<F: LifFixed>(
    counts: &[i32],
    len: usize,
    gain: F,
    current: &mut [F],
) -> Result<()> {
    ensure_len(counts.len(), current.len())?;
    if len == 0 {
        return Err(Error::EmptyStream);
    }
    let (lo, hi) = (F::RAW_MIN as i64, F::RAW_MAX as i64);
    let gain = gain.raw() as i64;
    // `len` as i64, or `None` past i64::MAX (64-bit targets only).
    let len = i64::try_from(len).ok();
    for (&c, o) in counts.iter().zip(current.iter_mut()) {
        // |c * gain| <= 2^62: exact in i64.
        let p = c as i64 * gain;
        let x = match len {
            Some(len) => p.div_euclid(len),
            // len > i64::MAX >= |p|: the quotient is in (-1, 1), so its
            // floor is -1 for negative p, else 0.
            None => -i64::from(p < 0),
        };
        // Clamped to the format's raw range, so the cast is exact.
        *o = F::try_from_raw(x.clamp(lo, hi) as i32)?;
    }
    Ok(())
}

/// One layer's constant description.
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a, F: LifFixed, W: Word> {
    /// MAC shape (`neurons x inputs`, stream length `L`).
    pub shape: MacShape,
    /// Encoded weight magnitudes (see [`crate::mac`] layout).
    pub magnitudes: &'a [W],
    /// Sign matrix (bit set = negative weight).
    pub signs: &'a [W],
    /// Current gain: full-scale input current, in `F`.
    pub gain: F,
    /// Neuron parameters.
    pub params: LifParams<F>,
}

/// One layer's mutable state and scratch buffers.
#[derive(Debug)]
pub struct LayerState<'a, F: LifFixed, W: Word> {
    /// Membrane potentials, `neurons`; start at `v_rest`.
    pub v: &'a mut [F],
    /// Refractory counters, `neurons`; start at 0.
    pub refractory: &'a mut [u16],
    /// MAC counts of the last step, `neurons`.
    pub counts: &'a mut [i32],
    /// Input currents of the last step, `neurons`.
    pub current: &'a mut [F],
    /// Spike bits of the last step, `words_for::<W>(neurons)` words.
    pub spikes: &'a mut [W],
    /// Input streams of the last step, `inputs * words_for::<W>(L)` words.
    pub x: &'a mut [W],
}

fn layer_forward<F: LifFixed, W: Word>(
    layer: &Layer<'_, F, W>,
    st: &mut LayerState<'_, F, W>,
) -> Result<usize> {
    mac_signed(&layer.shape, layer.magnitudes, layer.signs, st.x, st.counts)?;
    counts_to_current(st.counts, layer.shape.len(), layer.gain, st.current)?;
    let mut spikes = BitSliceMut::new(st.spikes, layer.shape.neurons())?;
    layer
        .params
        .step_population(st.v, st.refractory, st.current, &mut spikes)
}

/// Layer `k + 1`'s input streams from layer `k`'s spikes: stream `i` of
/// `x` (`shape.inputs()` streams of `shape.len()` bits) is all ones if
/// spike `i` is set, else all zeros.
pub fn spikes_to_streams<W: Word>(
    spikes: BitSlice<'_, W>,
    shape: &MacShape,
    x: &mut [W],
) -> Result<()> {
    ensure_len(shape.inputs(), spikes.len())?;
    let s = shape.stride::<W>();
    ensure_len(shape.input_rows().words::<W>()?, x.len())?;
    if s == 0 {
        return Ok(());
    }
    for (i, chunk) in x.chunks_exact_mut(s).enumerate() {
        let mut row = BitSliceMut::new(chunk, shape.len())?;
        if spikes.get(i) == Some(true) {
            row.fill_ones();
        } else {
            row.clear();
        }
    }
    Ok(())
}

/// Layer 0's input streams for one step: stream `i` of `x` is
/// `encode(copy of x_gen, inputs[i])`; then `x_gen` advances `shape.len()`.
pub fn encode_inputs<W: Word>(
    shape: &MacShape,
    inputs: &[Probability],
    x_gen: &mut Generator,
    x: &mut [W],
) -> Result<()> {
    ensure_len(shape.inputs(), inputs.len())?;
    ensure_len(shape.input_rows().words::<W>()?, x.len())?;
    let s = shape.stride::<W>();
    if s > 0 {
        for (chunk, &p) in x.chunks_exact_mut(s).zip(inputs) {
            let mut g = *x_gen;
            encode(&mut g, p, &mut BitSliceMut::new(chunk, shape.len())?);
        }
    }
    x_gen.skip(shape.len());
    Ok(())
}

/// Run one time step of the whole network. `inputs` are layer 0's input
/// probabilities; `x_gen` is the shared input generator (advanced by layer
/// 0's `L`). Layer `k + 1` must have `inputs == layer k's neurons`.
/// Returns the number of spikes of the last layer.
pub fn network_step<F: LifFixed, W: Word>(
    layers: &[Layer<'_, F, W>],
    states: &mut [LayerState<'_, F, W>],
    inputs: &[Probability],
    x_gen: &mut Generator,
) -> Result<usize> {
    for w in layers.windows(2) {
        ensure_len(w[0].shape.neurons(), w[1].shape.inputs())?;
    }
    network_step_with(layers, states, inputs, x_gen, |_, spikes, shape, x| {
        spikes_to_streams(spikes, shape, x)
    })
}

/// [`network_step`] with the hand-over between layers supplied by the
/// caller: after layer `k` has stepped, `next(k, spikes, shape, x)` must
/// fill `x` with layer `k + 1`'s input streams for `shape` (its MAC shape)
/// from layer `k`'s spikes. The plain step uses [`spikes_to_streams`];
/// a distributed run, where each process steps a slice of every layer's
/// neurons, first gathers the spikes of all processes and then calls
/// [`spikes_to_streams`] on them. Layer shapes are not checked against each
/// other here (the hand-over checks them).
pub fn network_step_with<F: LifFixed, W: Word>(
    layers: &[Layer<'_, F, W>],
    states: &mut [LayerState<'_, F, W>],
    inputs: &[Probability],
    x_gen: &mut Generator,
    mut next: impl FnMut(usize, BitSlice<'_, W>, &MacShape, &mut [W]) -> Result<()>,
) -> Result<usize> {
    ensure_len(layers.len(), states.len())?;
    let Some(first) = layers.first() else {
        return Ok(0);
    };
    encode_inputs(&first.shape, inputs, x_gen, states[0].x)?;
    let mut last = 0;
    for k in 0..layers.len() {
        last = layer_forward(&layers[k], &mut states[k])?;
        if k + 1 < layers.len() {
            let (done, rest) = states.split_at_mut(k + 1);
            let spikes = BitSlice::new(done[k].spikes, layers[k].shape.neurons())?;
            next(k, spikes, &layers[k + 1].shape, rest[0].x)?;
        }
    }
    Ok(last)
}

/// The predicted class of a run: the index of the largest spike count,
/// ties to the smaller index (spec §7); `None` for no classes.
pub fn argmax(counts: &[u32]) -> Option<usize> {
    let mut best: Option<(usize, u32)> = None;
    for (k, &c) in counts.iter().enumerate() {
        if best.is_none_or(|(_, b)| c > b) {
            best = Some((k, c));
        }
    }
    best.map(|(k, _)| k)
}
