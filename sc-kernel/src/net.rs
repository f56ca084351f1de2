//! A multi-layer SC spiking network: signed SC MAC into neurons of a
//! [`Neuron`] model (the fixed-point LIF of spec §6 is
//! [`crate::lif::LifParams`]), one time step at a time, over caller-provided
//! buffers.
//!
//! Per time step `t` (spec §7):
//! 1. Layer 0's inputs are probabilities `p_i`; input stream `i` is
//!    `encode(g_x, p_i)` where every input uses a copy of the shared input
//!    generator `g_x` at its current position; `g_x` then advances by `L0`.
//! 2. Layer `k`: `counts = mac_signed(mag, signs, x)`; the neuron model's
//!    current (fixed-point LIF: `I_j = sat_F(floor(counts_j * gain_raw /
//!    L_k))` on raw bits, [`counts_to_current`]); a step of every neuron
//!    with input `I_j`; packed spike bits out.
//! 3. Layer `k + 1`'s input stream `i` (`L_(k+1)` bits) is all ones if
//!    neuron `i` of layer `k` spiked this step, else all zeros (the same
//!    step: no delay), made from the packed spike words.
//!
//! [`Network`] keeps the layers, their states and the input generator
//! together and steps them ([`Network::step`]); one process of a
//! distributed run steps its slice of every layer's neurons and a
//! hand-over gathers the whole layer's spike words
//! ([`Network::step_with`]). [`network_step`] is the same step on loose
//! parts. Weights are encoded once (see [`encode_weights`]).

use crate::bits::{ensure_len, BitSlice, BitSliceMut};
use crate::error::{Error, Result};
use crate::lif::LifFixed;
#[cfg(doc)]
use crate::lif::LifParams;
use crate::mac::{mac_signed, MacShape};
pub use crate::neuron::Neuron;
use crate::sng::{encode, Lfsr16, Probability, Sng, Sobol};
use crate::word::{words_for, Word};

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
    let gain = gain.raw();
    // A power-of-two length (every shipped model's) divides by an
    // arithmetic shift, which is the floor: no 64-bit division, which no
    // Cortex-M core has in hardware. `len <= usize::MAX`, so the shift is
    // at most 63.
    let shift = len.is_power_of_two().then(|| len.trailing_zeros());
    // `len` as i64, or `None` past i64::MAX (64-bit targets only).
    let len = i64::try_from(len).ok();
    for (&c, o) in counts.iter().zip(current.iter_mut()) {
        // |c * gain| <= 2^62: exact in i64 (mul_wide: without a library
        // call on cores that have no long multiply).
        let p = crate::lif::mul_wide(c, gain);
        let x = match (shift, len) {
            (Some(s), _) => p >> s,
            (None, Some(len)) => p.div_euclid(len),
            // len > i64::MAX >= |p|: the quotient is in (-1, 1), so its
            // floor is -1 for negative p, else 0.
            (None, None) => -i64::from(p < 0),
        };
        // Clamped to the format's raw range, so the cast is exact.
        *o = F::try_from_raw(x.clamp(lo, hi) as i32)?;
    }
    Ok(())
}

/// One layer's constant description, for neuron model `N` (the fixed-point
/// LIF of spec §6 is [`LifParams`]).
#[derive(Debug, Clone, Copy)]
pub struct Layer<'a, N: Neuron, W: Word> {
    /// MAC shape (`neurons x inputs`, stream length `L`).
    pub shape: MacShape,
    /// Encoded weight magnitudes (see [`crate::mac`] layout).
    pub magnitudes: &'a [W],
    /// Sign matrix (bit set = negative weight).
    pub signs: &'a [W],
    /// Current gain: the input current of a full-scale count (spec §7).
    pub gain: N::Current,
    /// Neuron parameters.
    pub params: N,
}

/// One layer's mutable state and scratch buffers (caller storage).
#[derive(Debug)]
pub struct LayerState<'a, N: Neuron, W: Word> {
    /// Membrane values, `neurons`; start at [`Neuron::rest`].
    pub v: &'a mut [N::State],
    /// Refractory counters, `neurons`; start at 0.
    pub refractory: &'a mut [u16],
    /// MAC counts of the last step, `neurons`.
    pub counts: &'a mut [i32],
    /// Input currents of the last step, `neurons`.
    pub current: &'a mut [N::Current],
    /// Spike bits of the whole layer in the last step, packed:
    /// `words_for::<W>(width)` words, where `width` is the layer's neuron
    /// count (in a distributed run: the whole layer's, all processes', i.e.
    /// the next layer's input count, or the network's outputs for the last
    /// layer; see [`Network::with_outputs`]).
    pub spikes: &'a mut [W],
    /// Input streams of the last step, `inputs * words_for::<W>(L)` words.
    pub x: &'a mut [W],
}

impl<N: Neuron, W: Word> LayerState<'_, N, W> {
    /// The initial state of spec §7: every membrane at `params.rest()`,
    /// every refractory counter 0; counts, currents, spikes and input
    /// streams cleared.
    pub fn reset(&mut self, params: &N) {
        self.v.iter_mut().for_each(|v| *v = params.rest());
        self.refractory.iter_mut().for_each(|r| *r = 0);
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.current
            .iter_mut()
            .for_each(|c| *c = N::Current::default());
        self.spikes.iter_mut().for_each(|w| *w = W::ZERO);
        self.x.iter_mut().for_each(|w| *w = W::ZERO);
    }
}

/// MAC, current and neuron step of one layer; spikes into `spikes`
/// (`shape.neurons()` bits).
fn layer_forward<N: Neuron, W: Word>(
    layer: &Layer<'_, N, W>,
    st: &mut LayerState<'_, N, W>,
    spikes: &mut [W],
) -> Result<usize> {
    mac_signed(&layer.shape, layer.magnitudes, layer.signs, st.x, st.counts)?;
    layer
        .params
        .counts_to_current(st.counts, layer.shape.len(), layer.gain, st.current)?;
    let mut spikes = BitSliceMut::new(spikes, layer.shape.neurons())?;
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

/// The checks of [`encode_inputs`] (and of faster versions of it): `inputs`
/// probabilities for the shape's inputs and `words` words of input rows.
/// Returns each stream's stride in words `W`.
///
/// Errors: [`Error::LengthMismatch`] for other lengths, as
/// [`MacShape::input_rows`] for a row size that overflows.
pub fn input_stride<W: Word>(shape: &MacShape, inputs: usize, words: usize) -> Result<usize> {
    ensure_len(shape.inputs(), inputs)?;
    ensure_len(shape.input_rows().words::<W>()?, words)?;
    Ok(shape.stride::<W>())
}

/// Layer 0's input streams for one step: stream `i` of `x` is
/// `encode(copy of x_gen, inputs[i])`; then `x_gen` advances `shape.len()`.
pub fn encode_inputs<W: Word>(
    shape: &MacShape,
    inputs: &[Probability],
    x_gen: &mut Generator,
    x: &mut [W],
) -> Result<()> {
    let s = input_stride::<W>(shape, inputs.len(), x.len())?;
    if s > 0 {
        for (chunk, &p) in x.chunks_exact_mut(s).zip(inputs) {
            let mut g = *x_gen;
            encode(&mut g, p, &mut BitSliceMut::new(chunk, shape.len())?);
        }
    }
    x_gen.skip(shape.len());
    Ok(())
}

/// The hand-over of a distributed step: `(k, local, global)` gets the
/// spikes of this process's neurons of layer `k` and must write the whole
/// layer's spikes (all processes', in neuron order) into `global`.
type HandOver<'h, W> =
    dyn FnMut(usize, BitSlice<'_, W>, &mut BitSliceMut<'_, W>) -> Result<()> + 'h;

/// The one step of spec §7 over caller storage. `outputs` is the whole
/// last layer's width; with `hand_over = None` every layer's neurons step
/// straight into their state's `spikes`, else into `local` first and the
/// hand-over writes `spikes`. Returns the number of spikes of the whole
/// last layer.
fn step_layers<N: Neuron, W: Word>(
    layers: &[Layer<'_, N, W>],
    states: &mut [LayerState<'_, N, W>],
    inputs: &[Probability],
    x_gen: &mut Generator,
    outputs: usize,
    mut hand_over: Option<(&mut [W], &mut HandOver<'_, W>)>,
) -> Result<usize> {
    ensure_len(layers.len(), states.len())?;
    let Some(first) = layers.first() else {
        return Ok(0);
    };
    encode_inputs(&first.shape, inputs, x_gen, states[0].x)?;
    let mut last = 0;
    for k in 0..layers.len() {
        let (done, rest) = states.split_at_mut(k + 1);
        let st = &mut done[k];
        let width = match layers.get(k + 1) {
            Some(next) => next.shape.inputs(),
            None => outputs,
        };
        match hand_over.as_mut() {
            None => {
                ensure_len(layers[k].shape.neurons(), width)?;
                // The buffer is borrowed out of the state while it steps.
                let spikes = core::mem::take(&mut st.spikes);
                let r = layer_forward(&layers[k], st, spikes);
                st.spikes = spikes;
                r?;
            }
            Some((local, f)) => {
                layer_forward(&layers[k], st, local)?;
                let local = BitSlice::new(local, layers[k].shape.neurons())?;
                let mut global = BitSliceMut::new(st.spikes, width)?;
                f(k, local, &mut global)?;
            }
        }
        let spikes = BitSlice::new(st.spikes, width)?;
        last = spikes.count_ones();
        if let (Some(next), Some(nst)) = (layers.get(k + 1), rest.first_mut()) {
            spikes_to_streams(spikes, &next.shape, nst.x)?;
        }
    }
    Ok(last)
}

/// Run one time step of the whole network. `inputs` are layer 0's input
/// probabilities; `x_gen` is the shared input generator (advanced by layer
/// 0's `L`). Layer `k + 1` must have `inputs == layer k's neurons`.
/// Returns the number of spikes of the last layer. See [`Network`] for the
/// same step with the state and generator kept together.
pub fn network_step<N: Neuron, W: Word>(
    layers: &[Layer<'_, N, W>],
    states: &mut [LayerState<'_, N, W>],
    inputs: &[Probability],
    x_gen: &mut Generator,
) -> Result<usize> {
    for w in layers.windows(2) {
        ensure_len(w[0].shape.neurons(), w[1].shape.inputs())?;
    }
    let outputs = layers.last().map_or(0, |l| l.shape.neurons());
    step_layers(layers, states, inputs, x_gen, outputs, None)
}

/// A network over caller storage: the layers (weights, gains, neuron
/// parameters), every layer's state and the input generator, stepped in
/// time (spec §7). Spikes stay packed words from layer to layer.
///
/// The same type serves a single process ([`Network::new`], [`Network::step`])
/// and one process of a distributed run ([`Network::with_outputs`],
/// [`Network::step_with`]), where each process holds a slice of every
/// layer's neurons (its layers' shapes have only its neurons as rows, and
/// the whole previous layer as inputs) and a hand-over gathers the whole
/// layer's spikes after each layer. No allocation: fixed arrays work.
#[derive(Debug)]
pub struct Network<'a, 'w, 's, N: Neuron, W: Word> {
    layers: &'a [Layer<'w, N, W>],
    states: &'a mut [LayerState<'s, N, W>],
    source: StreamSource,
    x_gen: Generator,
    outputs: usize,
}

impl<'a, 'w, 's, N: Neuron, W: Word> Network<'a, 'w, 's, N, W> {
    /// A single-process network: layer `k + 1`'s inputs must equal layer
    /// `k`'s neurons. See [`Self::with_outputs`] for the buffer sizes; the
    /// state starts at spec §7's initial state.
    pub fn new(
        layers: &'a [Layer<'w, N, W>],
        states: &'a mut [LayerState<'s, N, W>],
        input_source: StreamSource,
    ) -> Result<Self> {
        for w in layers.windows(2) {
            ensure_len(w[0].shape.neurons(), w[1].shape.inputs())?;
        }
        let outputs = layers.last().map_or(0, |l| l.shape.neurons());
        Self::with_outputs(layers, states, input_source, outputs)
    }

    /// One process's part of a distributed network whose last layer has
    /// `outputs` neurons in all. Layer `k`'s state needs `neurons` values in
    /// `v`, `refractory`, `counts` and `current`, `inputs * words_for(L)`
    /// words in `x` and `words_for(width)` words in `spikes`, where `width`
    /// is layer `k + 1`'s input count (`outputs` for the last layer).
    /// Errors: [`Error::LengthMismatch`] on a count mismatch, a state with
    /// too few words, or no layers; an error of `input_source.start()`.
    /// The state starts at spec §7's initial state.
    pub fn with_outputs(
        layers: &'a [Layer<'w, N, W>],
        states: &'a mut [LayerState<'s, N, W>],
        input_source: StreamSource,
        outputs: usize,
    ) -> Result<Self> {
        ensure_len(layers.len(), states.len())?;
        if layers.is_empty() {
            return Err(Error::LengthMismatch {
                expected: 1,
                found: 0,
            });
        }
        for (k, (l, st)) in layers.iter().zip(states.iter()).enumerate() {
            let n = l.shape.neurons();
            ensure_len(n, st.v.len())?;
            ensure_len(n, st.refractory.len())?;
            ensure_len(n, st.counts.len())?;
            ensure_len(n, st.current.len())?;
            ensure_len(l.shape.input_rows().words::<W>()?, st.x.len())?;
            let width = layers.get(k + 1).map_or(outputs, |n| n.shape.inputs());
            ensure_len(words_for::<W>(width), st.spikes.len())?;
        }
        let x_gen = input_source.start()?;
        let mut net = Self {
            layers,
            states,
            source: input_source,
            x_gen,
            outputs,
        };
        net.reset();
        Ok(net)
    }

    /// Back to spec §7's initial state (a new sample): every membrane at
    /// rest, refractory counters 0, spikes cleared, a fresh input generator.
    pub fn reset(&mut self) {
        for (l, st) in self.layers.iter().zip(self.states.iter_mut()) {
            st.reset(&l.params);
        }
        // `start` succeeded at construction and is deterministic.
        if let Ok(g) = self.source.start() {
            self.x_gen = g;
        }
    }

    /// One time step with layer 0's input probabilities `inputs`, for a
    /// network whose layers hold all their neurons. Returns the number of
    /// spikes of the last layer.
    pub fn step(&mut self, inputs: &[Probability]) -> Result<usize> {
        self.step_layers(inputs, None)
    }

    /// One time step of a process of a distributed run: layer `k`'s local
    /// neurons step into `local` (at least `words_for(neurons)` words of
    /// the widest local layer), then `hand_over(k, local spikes, whole
    /// layer's spikes)` must write the whole layer's spikes, which feed
    /// layer `k + 1` (packed, as they are) and stay in the state
    /// ([`Self::spikes`]). Returns the number of spikes of the whole last
    /// layer.
    pub fn step_with(
        &mut self,
        inputs: &[Probability],
        local: &mut [W],
        mut hand_over: impl FnMut(usize, BitSlice<'_, W>, &mut BitSliceMut<'_, W>) -> Result<()>,
    ) -> Result<usize> {
        self.step_layers(inputs, Some((local, &mut hand_over)))
    }

    /// [`step_layers`] over this network's state.
    fn step_layers(
        &mut self,
        inputs: &[Probability],
        hand_over: Option<(&mut [W], &mut HandOver<'_, W>)>,
    ) -> Result<usize> {
        step_layers(
            self.layers,
            self.states,
            inputs,
            &mut self.x_gen,
            self.outputs,
            hand_over,
        )
    }

    /// The whole layer `k`'s spikes of the last step (`None` past the last
    /// layer).
    pub fn spikes(&self, k: usize) -> Option<BitSlice<'_, W>> {
        let st = self.states.get(k)?;
        let width = self
            .layers
            .get(k + 1)
            .map_or(self.outputs, |n| n.shape.inputs());
        BitSlice::new(st.spikes, width).ok()
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Always false: a network has at least one layer.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// Neurons of the whole last layer.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The layers.
    pub fn layers(&self) -> &[Layer<'w, N, W>] {
        self.layers
    }

    /// Layer `k`'s state (membranes, counters, counts, currents, spikes).
    pub fn state(&self, k: usize) -> Option<&LayerState<'s, N, W>> {
        self.states.get(k)
    }

    /// The input generator at its current position.
    pub fn generator(&self) -> &Generator {
        &self.x_gen
    }
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
