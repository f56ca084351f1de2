//! The simulation engine: whole networks (spec §7) in the counting form of
//! spec §7.1 ([`sc_kernel::count`]), bit-identical to the bitstream path
//! ([`crate::scnet::ScNetwork`]) at a per-synapse cost that does not grow
//! with the stream length, and 2 or 4 bytes per synapse (1.125 in layer 0
//! where `L_0 <= 256` and the CPU has AVX-512 VBMI: byte rows). Layers `k >= 1`
//! are event-driven: a step reads the weight rows of the inputs that
//! spiked, or, when most inputs spiked, subtracts the rows of the silent
//! ones from each neuron's all-inputs total (the same integers).
//!
//! An [`Engine`] is built once from a [`NetworkSpec`] (the weight counts
//! `s * n` of every synapse, layer 0's rank table). It runs one sample
//! ([`Engine::run`]), one process's slice of a distributed run
//! ([`Engine::run_with`]), or a batch of samples in parallel
//! ([`Engine::run_batch`], rayon over samples). Within a sample, each
//! layer's neurons are split into blocks that step in parallel on the
//! rayon pool, so one sample also uses every core; when chunks of samples
//! already keep every thread busy, a chunk looks up layer 0's blocks
//! together, each input's prefix table built once for all of them.

use std::ops::Range;

use rayon::prelude::*;
use sc_kernel::count::{
    add_row, input_values, layer0_counts_with, look_up_add, ones_table, spike_counts_with,
    weight_counts, weight_ranks, CheckedCounts, CountLayer, CountWeight, ONES_TABLE_LEN,
};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{Generator, Neuron, StreamSource};
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, BitSlice, BitSliceMut};

use crate::cpu::{byte_row, step_code, ByteRow, Kernels, StepRow};
use crate::limits::{try_vec, try_with_capacity};
use crate::scnet::{
    check_record, check_spec, layer_rows, run_in_format, InFormat, Job, LayerSpec, NetError,
    NetRun, NetworkSpec, SpikeExchange,
};

/// Which form of spec §7 a network run uses; both give the same bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SimPath {
    /// The bitstream form as the spec writes it (weight and input streams,
    /// AND + popcount; [`crate::scnet::ScNetwork`]): hardware-faithful,
    /// cost grows with `L`.
    Bitstream,
    /// The counting form of spec §7.1 ([`Engine`]): the default.
    #[default]
    Counting,
}

/// What a run keeps besides the last layer's spike counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Record {
    /// Only the counts ([`NetRun::spikes`] stays empty).
    #[default]
    Counts,
    /// Every layer's spikes at every step, too.
    Spikes,
}

/// A block's signed weight counts, input-major, checked against the
/// layer's `L` once when the engine is built: 2 bytes per synapse when
/// every layer's `L <= 32767`, else 4.
enum Counts {
    Narrow(CheckedCounts<Vec<i16>, i16>),
    Wide(CheckedCounts<Vec<i32>, i32>),
}

/// The storage types of [`Counts`].
trait Stored: CountWeight {
    /// The counts, if stored as `Self`.
    fn of(c: &Counts) -> Option<&CheckedCounts<Vec<Self>, Self>>;
    fn wrap(v: CheckedCounts<Vec<Self>, Self>) -> Counts;
    /// The layer-0 look-up ([`sc_kernel::count::look_up_add`]), on the
    /// SIMD kernels where there are some for this storage.
    fn look_up(k: Kernels, row: &[Self], table: &[u32], len: usize, counts: &mut [i32]);
    /// The row sum of an input that spiked ([`sc_kernel::count::add_row`]).
    fn add(k: Kernels, row: &[Self], counts: &mut [i32]);
    /// The counts as `i16`, if stored so.
    fn narrow(v: &[Self]) -> Option<&[i16]>;
}

macro_rules! stored {
    ($t:ty, $this:ident, $other:ident, $look_up:expr, $add:expr, $narrow:expr) => {
        impl Stored for $t {
            fn narrow(v: &[$t]) -> Option<&[i16]> {
                let f: fn(&[$t]) -> Option<&[i16]> = $narrow;
                f(v)
            }
            fn add(k: Kernels, row: &[$t], counts: &mut [i32]) {
                let f: fn(Kernels, &[$t], &mut [i32]) = $add;
                f(k, row, counts)
            }
            fn look_up(k: Kernels, row: &[$t], table: &[u32], len: usize, counts: &mut [i32]) {
                let f: fn(Kernels, &[$t], &[u32], usize, &mut [i32]) = $look_up;
                f(k, row, table, len, counts)
            }
            fn of(c: &Counts) -> Option<&CheckedCounts<Vec<$t>, $t>> {
                match c {
                    Counts::$this(v) => Some(v),
                    Counts::$other(_) => None,
                }
            }
            fn wrap(v: CheckedCounts<Vec<$t>, $t>) -> Counts {
                Counts::$this(v)
            }
        }
    };
}
stored!(
    i16,
    Narrow,
    Wide,
    |k, row, t, len, c| k.look_up_add(row, t, len, c),
    |k, row, c| k.add_widened(row, c),
    |v| Some(v)
);
stored!(
    i32,
    Wide,
    Narrow,
    |_, row, t, len, c| look_up_add(row, t, len, c),
    |_, row, c| add_row(row, c),
    |_| None
);

/// A block of one layer's neurons: rows `rows` (local to the process),
/// their signed weight counts input-major.
struct Block {
    rows: Range<usize>,
    weights: Counts,
    /// Each neuron's sum over all inputs of `s * n` (the counts of a step
    /// in which every input spiked): a layer `k >= 1` in which most inputs
    /// spiked subtracts the rows of those that did not from it.
    totals: Vec<i32>,
    /// Layer 0's counts in the form the kernels look up fastest, if not
    /// `weights` (which is then empty).
    layer0: Option<Layer0>,
}

/// Layer 0's counts in a look-up form of the kernels.
enum Layer0 {
    /// Byte rows ([`Kernels::bytes_form`], `L <= 256`).
    Bytes(ByteRows),
    /// Step codes ([`step_code`], [`Kernels::steps_form`], `L <= 1024`),
    /// input-major: 2 bytes per synapse.
    Steps(Vec<u16>),
}

impl Layer0 {
    /// Layer 0's counts `c` (input-major, `m` rows of `nb`, checked
    /// against `len`) in the form the kernels look up fastest, if any.
    fn new(
        c: &[i16],
        nb: usize,
        m: usize,
        len: usize,
        kernels: Kernels,
    ) -> Result<Option<Self>, NetError> {
        if kernels.bytes_form(len) {
            return Ok(Some(Self::Bytes(ByteRows::new(c, nb, m)?)));
        }
        if !kernels.steps_form(len) {
            return Ok(None);
        }
        let mut codes = try_vec("layers[0] step codes", c.len(), 0u16)?;
        for (code, &w) in codes.iter_mut().zip(c) {
            *code = step_code(w).ok_or_else(|| {
                NetError::Invalid(format!(
                    "layers[0] weight count {w} is above the step form's 1024"
                ))
            })?;
        }
        Ok(Some(Self::Steps(codes)))
    }

    fn bytes(&self) -> usize {
        match self {
            Self::Bytes(b) => b.bytes(),
            Self::Steps(c) => c.len() * 2,
        }
    }
}

/// Layer 0's signed weight counts (`|n| <= L <= 256`) as byte rows for
/// [`Kernels::prefix_look_up_bytes`]: per input, `lanes` magnitudes (the block's
/// neurons padded to a multiple of 64 with zeros, interleaved as that
/// kernel reads them; 256 is stored as 255), a sign bit per lane, and the
/// neurons whose count is 256 (bit 31: negative), which get the table's
/// last step on top. 1.125 bytes per synapse.
struct ByteRows {
    lanes: usize,
    mag: Vec<u8>,
    sign: Vec<u64>,
    /// Input `i`'s exceptions are `exceptions[at[i]..at[i + 1]]`.
    at: Vec<usize>,
    exceptions: Vec<u32>,
}

impl ByteRows {
    /// From `m` rows of `nb` signed counts (input-major), each of
    /// magnitude at most 256.
    fn new(counts: &[i16], nb: usize, m: usize) -> Result<Self, NetError> {
        let what = "layers[0] byte rows";
        let lanes = nb.div_ceil(64) * 64;
        let mut mag = try_vec(what, m * lanes, 0u8)?;
        let mut sign = try_vec(what, m * lanes / 64, 0u64)?;
        let mut at = try_with_capacity(what, m + 1)?;
        let mut exceptions = vec![];
        at.push(0);
        let g = lanes / 64;
        for (i, row) in counts.chunks_exact(nb.max(1)).take(m).enumerate() {
            byte_row(
                row,
                &mut mag[i * lanes..(i + 1) * lanes],
                &mut sign[i * g..(i + 1) * g],
            );
            for (j, &w) in row.iter().enumerate() {
                if w.unsigned_abs() > 255 {
                    exceptions.push(j as u32 | u32::from(w < 0) << 31);
                }
            }
            at.push(exceptions.len());
        }
        Ok(Self {
            lanes,
            mag,
            sign,
            at,
            exceptions,
        })
    }

    fn bytes(&self) -> usize {
        self.mag.len() + self.sign.len() * 8 + self.exceptions.len() * 4 + self.at.len() * 8
    }

    /// Input `i`'s magnitudes, sign words and exceptions.
    fn row(&self, i: usize) -> (&[u8], &[u64], &[u32]) {
        let g = self.lanes / 64;
        let e = match (self.at.get(i), self.at.get(i + 1)) {
            (Some(&a), Some(&b)) => self.exceptions.get(a..b).unwrap_or(&[]),
            _ => &[],
        };
        (
            self.mag
                .get(i * self.lanes..(i + 1) * self.lanes)
                .unwrap_or(&[]),
            self.sign.get(i * g..(i + 1) * g).unwrap_or(&[]),
            e,
        )
    }
}

impl Block {
    /// Layer `k`'s neurons `global` (rows of the whole layer), held here as
    /// rows `local`, with their all-inputs totals for `k >= 1` (layer 0
    /// reads probabilities, never totals).
    #[allow(clippy::too_many_arguments)]
    fn new<C: Stored>(
        k: usize,
        l: &LayerSpec,
        negative: &[u8],
        m: usize,
        ones: &[u32],
        global: Range<usize>,
        local: Range<usize>,
        kernels: Kernels,
    ) -> Result<Self, NetError> {
        let nb = global.len();
        let w = CheckedCounts::new(layer_counts::<C>(k, l, negative, m, ones, global)?, l.len)?;
        if let (0, Some(c)) = (k, C::narrow(w.counts()?)) {
            if let Some(l0) = Layer0::new(c, nb, m, l.len, kernels)? {
                return Ok(Self {
                    rows: local,
                    layer0: Some(l0),
                    weights: C::wrap(CheckedCounts::new(vec![], l.len)?),
                    totals: vec![],
                });
            }
        }
        let mut totals = try_vec(
            &format!("layers[{k}] totals"),
            if k == 0 { 0 } else { nb },
            0i32,
        )?;
        if k > 0 && nb > 0 {
            // Sums over a subset of a row's inputs stay within
            // inputs * L <= i32::MAX (MacShape).
            w.counts()?
                .chunks_exact(nb)
                .for_each(|r| add_row(r, &mut totals));
        }
        Ok(Self {
            rows: local,
            weights: C::wrap(w),
            totals,
            layer0: None,
        })
    }

    fn bytes(&self) -> usize {
        (match &self.weights {
            Counts::Narrow(v) => v.counts().map_or(0, |c| c.len() * 2),
            Counts::Wide(v) => v.counts().map_or(0, |c| c.len() * 4),
        }) + self.totals.len() * 4
            + self.layer0.as_ref().map_or(0, Layer0::bytes)
    }
}

/// One layer: its shape over the process's neurons, its blocks.
struct EngineLayer<F: LifFixed> {
    shape: MacShape,
    blocks: Vec<Block>,
    gain: F,
    params: LifParams<F>,
}

/// A network ready to run in the counting form, LIF format `F`.
pub struct Engine<F: LifFixed> {
    layers: Vec<EngineLayer<F>>,
    /// Weight counts stored as `i16` (every `L <= 32767`), else `i32`.
    narrow: bool,
    /// Layer 0's rank of each stream position in weight order.
    rank: Vec<u32>,
    input_source: StreamSource,
    dims: Vec<usize>,
    /// The SIMD kernels of this CPU (resolved once).
    kernels: Kernels,
}

/// Layer `k`'s weight tables from the weight source (spec §7.1): its ones
/// table `n(P)` for every `P`, and for layer 0 the rank of each stream
/// position in weight order.
pub(crate) fn weight_tables(
    spec: &NetworkSpec,
    k: usize,
) -> Result<(Vec<u32>, Option<Vec<u32>>), NetError> {
    let len = spec.layers.get(k).map_or(0, |l| l.len);
    let rank = if k == 0 {
        let what = "layers[0] weight order";
        let mut values = try_vec(what, len, 0u16)?;
        let mut order = try_vec(what, len, 0u32)?;
        let mut rank = try_vec(what, len, 0u32)?;
        weight_ranks(spec.weight_source, &mut values, &mut order, &mut rank)?;
        Some(rank)
    } else {
        None
    };
    let mut ones = vec![0u32; ONES_TABLE_LEN];
    ones_table(spec.weight_source, len, &mut ones)?;
    Ok((ones, rank))
}

/// The signed weight counts `s * n` (spec §7.1) of layer `k`'s neurons
/// `rows` over its `m` inputs, input-major (`[i * rows.len() + j]`), from
/// the layer's ones table; the weights were checked by `check_spec`.
pub(crate) fn layer_counts<C: CountWeight>(
    k: usize,
    l: &LayerSpec,
    negative: &[u8],
    m: usize,
    ones: &[u32],
    rows: Range<usize>,
) -> Result<Vec<C>, NetError> {
    let nb = rows.len();
    let mut w = try_vec(&format!("layers[{k}] weight counts"), nb * m, C::default())?;
    let at = |j: usize, i: usize| (rows.start + j) * m + i;
    weight_counts(
        ones,
        nb,
        m,
        // Checked by check_spec: every weight is in range.
        |j, i| Probability::from_q16(l.weights_q16[at(j, i)]).unwrap_or(Probability::ZERO),
        |j, i| negative[at(j, i)] == 1,
        &mut w,
    )?;
    Ok(w)
}

/// Neurons per block: a multiple of 64 (so a block's spikes are whole
/// `u64` words), about `n / parts`.
fn block_len(n: usize, parts: usize) -> usize {
    n.div_ceil(parts.max(1)).div_ceil(64).max(1) * 64
}

impl<F: LifFixed> Engine<F> {
    /// Validate `spec` (in format `F`) and prepare it, with as many blocks
    /// per layer as the rayon pool has threads.
    pub fn new(spec: &NetworkSpec) -> Result<Self, NetError> {
        Self::new_rows(spec, |_, n| 0..n, rayon::current_num_threads())
    }

    /// Like [`Self::new`], but layer `k` holds only the neurons `rows(k,
    /// n_k)` (one process's slice of a distributed run), split into about
    /// `blocks` blocks.
    pub fn new_rows(
        spec: &NetworkSpec,
        rows: impl Fn(usize, usize) -> Range<usize>,
        blocks: usize,
    ) -> Result<Self, NetError> {
        let checked = check_spec::<F>(spec)?;
        let kernels = Kernels::best();
        let narrow = spec.layers.iter().all(|l| l.len <= i16::MAX_LEN);
        let mut layers = vec![];
        let mut rank0 = vec![];
        for (k, l) in spec.layers.iter().enumerate() {
            let (m, r) = layer_rows(spec, k, &rows)?;
            let (ones, rank) = weight_tables(spec, k)?;
            if let Some(r) = rank {
                rank0 = r;
            }
            let shape = MacShape::new(r.len(), m, l.len)?;
            let bl = block_len(r.len(), blocks);
            let mut bs = vec![];
            let mut start = 0;
            while start < r.len() || (start == 0 && bs.is_empty()) {
                let end = (start + bl).min(r.len());
                let global = r.start + start..r.start + end;
                let neg = &checked.negative[k];
                let local = start..end;
                bs.push(if narrow {
                    Block::new::<i16>(k, l, neg, m, &ones, global, local, kernels)?
                } else {
                    Block::new::<i32>(k, l, neg, m, &ones, global, local, kernels)?
                });
                if end == r.len() {
                    break;
                }
                start = end;
            }
            layers.push(EngineLayer {
                shape,
                blocks: bs,
                gain: checked.gains[k],
                params: checked.params[k],
            });
        }
        Ok(Self {
            layers,
            narrow,
            rank: rank0,
            input_source: spec.input_source,
            dims: spec.dims.clone(),
            kernels,
        })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.dims[0]
    }

    /// Layer widths: `dims[0]` inputs, then each whole layer's neurons.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// Bytes the model takes here: 2 per synapse (4 if a layer's `L` is
    /// above 32767; layer 0's byte rows 1.125, plus 4 per count of 256 and
    /// 8 per input), layer 0's rank table (4 per bit of `L_0`) and the
    /// all-inputs total of each neuron of layers `k >= 1` (4).
    pub fn model_bytes(&self) -> usize {
        let w: usize = self
            .layers
            .iter()
            .flat_map(|l| &l.blocks)
            .map(Block::bytes)
            .sum();
        w + self.rank.len() * 4
    }

    /// Synapses held here.
    pub fn synapses(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.shape.neurons() * l.shape.inputs())
            .sum()
    }

    /// Run `steps` steps of one sample from spec §7's initial state with
    /// constant input probabilities `inputs`.
    pub fn run(
        &self,
        inputs: &[Probability],
        steps: usize,
        record: Record,
    ) -> Result<NetRun, NetError> {
        self.run_chunk(&[inputs], steps, record, None, true)?
            .pop()
            .ok_or_else(|| NetError::Invalid("no run".into()))
    }

    /// [`Self::run`] for an engine that holds a slice of every layer's
    /// neurons ([`Self::new_rows`]): `exchange` gathers each layer's whole
    /// spikes from every process's.
    pub fn run_with(
        &self,
        inputs: &[Probability],
        steps: usize,
        record: Record,
        exchange: &mut dyn SpikeExchange<u64>,
    ) -> Result<NetRun, NetError> {
        self.run_chunk(&[inputs], steps, record, Some(exchange), true)?
            .pop()
            .ok_or_else(|| NetError::Invalid("no run".into()))
    }

    /// Run every sample of `batch` (each its own state and input
    /// generator, spec §7); results in order. Samples step in lockstep in
    /// chunks of up to [`CHUNK`], so each weight row is read once per
    /// chunk and step; chunks run in parallel, and a chunk's blocks of
    /// neurons too only when there are fewer chunks than threads.
    pub fn run_batch(
        &self,
        batch: &[Vec<Probability>],
        steps: usize,
        record: Record,
    ) -> Result<Vec<NetRun>, NetError> {
        let threads = rayon::current_num_threads().max(1);
        let chunk = batch.len().div_ceil(threads).clamp(1, CHUNK);
        let split = batch.len().div_ceil(chunk) < threads;
        let runs: Vec<Vec<NetRun>> = batch
            .par_chunks(chunk)
            .map(|c| {
                let x: Vec<&[Probability]> = c.iter().map(Vec::as_slice).collect();
                self.run_chunk(&x, steps, record, None, split)
            })
            .collect::<Result<_, _>>()?;
        Ok(runs.into_iter().flatten().collect())
    }

    fn run_chunk(
        &self,
        inputs: &[&[Probability]],
        steps: usize,
        record: Record,
        exchange: Option<&mut dyn SpikeExchange<u64>>,
        split: bool,
    ) -> Result<Vec<NetRun>, NetError> {
        if self.narrow {
            self.run_stored::<i16>(inputs, steps, record, exchange, split)
        } else {
            self.run_stored::<i32>(inputs, steps, record, exchange, split)
        }
    }

    fn run_stored<C: Stored>(
        &self,
        inputs: &[&[Probability]],
        steps: usize,
        record: Record,
        mut exchange: Option<&mut dyn SpikeExchange<u64>>,
        split: bool,
    ) -> Result<Vec<NetRun>, NetError> {
        for x in inputs {
            if x.len() != self.dims[0] {
                return Err(NetError::Invalid(format!(
                    "{} input probabilities given, the network has {} inputs",
                    x.len(),
                    self.dims[0]
                )));
            }
        }
        if record == Record::Spikes {
            check_record("steps", &self.dims[1..], steps)?;
        }
        let samples = inputs.len();
        let mut st = ChunkState::new(self, samples)?;
        let outputs = self.dims[self.dims.len() - 1];
        let mut out = (0..samples)
            .map(|_| {
                Ok(NetRun {
                    spikes: if record == Record::Spikes {
                        try_with_capacity("steps", steps)?
                    } else {
                        vec![]
                    },
                    counts: vec![0; outputs],
                })
            })
            .collect::<Result<Vec<_>, NetError>>()?;
        let layers: Vec<Vec<CountLayer<'_, LifParams<F>, C>>> = self
            .layers
            .iter()
            .map(|l| {
                l.blocks
                    .iter()
                    .map(|b| {
                        // Layer 0's look-up forms hold their counts
                        // themselves: the layer then carries only the
                        // neuron side.
                        let m = if b.layer0.is_some() {
                            0
                        } else {
                            l.shape.inputs()
                        };
                        let s = MacShape::new(b.rows.len(), m, l.shape.len())?;
                        let w = C::of(&b.weights).ok_or_else(|| {
                            NetError::Invalid("weight counts stored in another width".into())
                        })?;
                        Ok(CountLayer::from_checked(s, w, l.gain, l.params)?)
                    })
                    .collect::<Result<Vec<_>, NetError>>()
            })
            .collect::<Result<_, _>>()?;
        for _ in 0..steps {
            input_values(&mut st.gen, &self.rank, &mut st.q)?;
            for (k, (l, blocks)) in self.layers.iter().zip(&layers).enumerate() {
                let (prev, rest) = st.layers.split_at_mut(k);
                let ls = &mut rest[0];
                let input = match prev.last() {
                    None => Input::Probabilities(inputs, &st.q),
                    Some(p) => Input::Spikes(
                        p.spikes
                            .iter()
                            .map(|w| BitSlice::new(w, l.shape.inputs()))
                            .collect::<Result<_, _>>()?,
                    ),
                };
                let runs = &mut ls.blocks;
                step_layer(self.kernels, blocks, &l.blocks, &input, runs, split)?;
                // Each sample's local spikes from its blocks' words (blocks
                // start at multiples of 64 neurons), then the whole layer.
                let width = self.dims[k + 1];
                for b in 0..samples {
                    let mut local = vec![0u64; words_for::<u64>(l.shape.neurons())];
                    let mut at = 0;
                    for br in &ls.blocks {
                        let w = br.words();
                        local[at..at + w].copy_from_slice(&br.spikes[b * w..(b + 1) * w]);
                        at += w;
                    }
                    let local = BitSlice::new(&local, l.shape.neurons())?;
                    let mut global = BitSliceMut::new(&mut ls.spikes[b], width)?;
                    match exchange.as_deref_mut() {
                        None => global.copy_from(local)?,
                        Some(ex) => ex.gather(k, local, &mut global)?,
                    }
                }
            }
            for (b, o) in out.iter_mut().enumerate() {
                if let Some(last) = st.layers.last() {
                    let s = BitSlice::new(&last.spikes[b], outputs)?;
                    for (j, c) in o.counts.iter_mut().enumerate() {
                        *c += u32::from(s.get(j) == Some(true));
                    }
                }
                if record == Record::Spikes {
                    let step = st
                        .layers
                        .iter()
                        .zip(&self.dims[1..])
                        .map(|(l, &n)| {
                            let s = BitSlice::new(&l.spikes[b], n)?;
                            Ok((0..n).map(|j| s.get(j) == Some(true)).collect())
                        })
                        .collect::<Result<Vec<Vec<bool>>, sc_kernel::Error>>()?;
                    o.spikes.push(step);
                }
            }
        }
        Ok(out)
    }
}

/// Samples stepped together by [`Engine::run_batch`]: each weight row is
/// read once per chunk and step.
pub const CHUNK: usize = 16;

/// What a layer reads in a step.
enum Input<'a> {
    /// Layer 0: each sample's input probabilities and the step's ordered
    /// comparator values.
    Probabilities(&'a [&'a [Probability]], &'a [u16]),
    /// Layers `k >= 1`: each sample's whole previous-layer spikes.
    Spikes(Vec<BitSlice<'a, u64>>),
}

/// One block's state for every sample of a chunk: sample `b`'s values at
/// `b * neurons ..`, its spike words at `b * words ..`.
struct BlockRun<F: LifFixed> {
    neurons: usize,
    v: Vec<F>,
    refractory: Vec<u16>,
    counts: Vec<i32>,
    current: Vec<F>,
    spikes: Vec<u64>,
    /// Scratch prefix table (layer 0 without a look-up form only; empty
    /// elsewhere).
    table: Vec<u32>,
    /// Each sample's 16-bit sums of layer-0 look-ups (byte rows' `lanes`
    /// or `neurons` each; empty in layers `k >= 1`).
    acc: Vec<i16>,
}

impl<F: LifFixed> BlockRun<F> {
    /// Spike words per sample.
    fn words(&self) -> usize {
        words_for::<u64>(self.neurons)
    }
}

/// One layer of a chunk: its blocks' states, and each sample's whole
/// layer spikes.
struct LayerRun<F: LifFixed> {
    blocks: Vec<BlockRun<F>>,
    spikes: Vec<Vec<u64>>,
}

/// A chunk's state: per layer, and the input generator (the same for every
/// sample: spec §7 starts each at the source's start).
struct ChunkState<F: LifFixed> {
    layers: Vec<LayerRun<F>>,
    gen: Generator,
    q: Vec<u16>,
}

impl<F: LifFixed> ChunkState<F> {
    fn new(e: &Engine<F>, samples: usize) -> Result<Self, NetError> {
        let what = "layer neurons";
        let layers = e
            .layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                let blocks = l
                    .blocks
                    .iter()
                    .map(|b| {
                        let n = b.rows.len();
                        let sn = n * samples;
                        Ok(BlockRun {
                            neurons: n,
                            v: try_vec(what, sn, l.params.rest())?,
                            refractory: try_vec(what, sn, 0)?,
                            counts: try_vec(what, sn, 0)?,
                            current: try_vec(what, sn, F::default())?,
                            spikes: try_vec(what, words_for::<u64>(n) * samples, 0)?,
                            table: if k == 0 && b.layer0.is_none() {
                                try_vec("layer 0 prefix table", l.shape.len() + 1, 0u32)?
                            } else {
                                vec![]
                            },
                            acc: match &b.layer0 {
                                Some(Layer0::Bytes(r)) => {
                                    try_vec("layer 0 sums", r.lanes * samples, 0i16)?
                                }
                                Some(Layer0::Steps(_)) => try_vec("layer 0 sums", sn, 0i16)?,
                                None => vec![],
                            },
                        })
                    })
                    .collect::<Result<_, NetError>>()?;
                let spikes = (0..samples)
                    .map(|_| try_vec("layer spikes", words_for::<u64>(e.dims[k + 1]), 0u64))
                    .collect::<Result<_, _>>()?;
                Ok(LayerRun { blocks, spikes })
            })
            .collect::<Result<_, NetError>>()?;
        Ok(Self {
            layers,
            gen: e.input_source.start()?,
            q: try_vec("layer 0 stream", e.rank.len(), 0u16)?,
        })
    }
}

/// Step one layer's blocks (in parallel when there are several and `split`) for every
/// sample of the chunk: counts, currents, neuron steps, spikes into each
/// block's words.
fn step_layer<F: LifFixed, C: Stored>(
    kernels: Kernels,
    blocks: &[CountLayer<'_, LifParams<F>, C>],
    stored: &[Block],
    input: &Input<'_>,
    runs: &mut [BlockRun<F>],
    split: bool,
) -> Result<(), sc_kernel::Error> {
    // Layers k >= 1: when fewer inputs stayed silent (in some sample) than
    // spiked (in some sample), each count is the all-spiked total minus the
    // rows of the silent inputs: the same integers, fewer rows read.
    let silent = match input {
        Input::Spikes(s) => silent_if_fewer(s),
        Input::Probabilities(..) => None,
    };
    // Layer 0 in several blocks on one thread: each input's prefix table
    // built once for all blocks (rather than once per block).
    let joint = match input {
        Input::Probabilities(p, q) if !split && runs.len() > 1 => {
            layer0_look_ups(kernels, stored, q, p, runs)?
        }
        _ => false,
    };
    let one = |(b, t): (&CountLayer<'_, LifParams<F>, C>, &Block), r: &mut BlockRun<F>| {
        match (input, &silent) {
            (Input::Spikes(_), Some(z)) => {
                let z: Vec<BitSlice<'_, u64>> = z
                    .iter()
                    .map(|w| BitSlice::new(w, b.shape().inputs()))
                    .collect::<Result<_, _>>()?;
                spike_counts_with(b, &z, &mut r.counts, |row: &[C], c: &mut [i32]| {
                    C::add(kernels, row, c)
                })?;
                if !t.totals.is_empty() {
                    for c in r.counts.chunks_exact_mut(t.totals.len()) {
                        for (c, &total) in c.iter_mut().zip(&t.totals) {
                            *c = total - *c;
                        }
                    }
                }
            }
            // Already summed for every block.
            (Input::Probabilities(..), _) if joint => {}
            (Input::Probabilities(p, q), _) => {
                let (ts, rs) = (std::slice::from_ref(t), std::slice::from_mut(&mut *r));
                // Without a look-up form: the full prefix table.
                if !layer0_look_ups(kernels, ts, q, p, rs)? {
                    let look_up = |row: &[C], t: &[u32], len, c: &mut [i32]| {
                        C::look_up(kernels, row, t, len, c)
                    };
                    let prefix = |q: &[u16], p, t: &mut [u32]| kernels.prefix_counts(q, p, t);
                    layer0_counts_with(b, q, p, &mut r.table, &mut r.counts, prefix, look_up)?
                }
            }
            (Input::Spikes(s), None) => {
                spike_counts_with(b, s, &mut r.counts, |row: &[C], c: &mut [i32]| {
                    C::add(kernels, row, c)
                })?
            }
        }
        let (n, w) = (r.neurons, r.words());
        if n == 0 {
            return Ok(());
        }
        for ((((v, rf), c), cur), sp) in
            r.v.chunks_exact_mut(n)
                .zip(r.refractory.chunks_exact_mut(n))
                .zip(r.counts.chunks_exact(n))
                .zip(r.current.chunks_exact_mut(n))
                .zip(r.spikes.chunks_exact_mut(w))
        {
            let mut spikes = BitSliceMut::new(sp, n)?;
            b.fire(c, v, rf, cur, &mut spikes)?;
        }
        Ok(())
    };
    if blocks.len() == 1 || !split {
        return blocks
            .iter()
            .zip(stored)
            .zip(runs.iter_mut())
            .try_for_each(|(b, r)| one(b, r));
    }
    blocks
        .par_iter()
        .zip(stored)
        .zip(runs.par_iter_mut())
        .try_for_each(|(b, r)| one(b, r))
}

/// Layer 0's counts of blocks `runs` (one, or several looked up together)
/// from `stored`'s look-up forms ([`layer0_bytes`] or [`layer0_steps`])
/// when they all have the same one; `false` (nothing done) otherwise.
fn layer0_look_ups<F: LifFixed>(
    kernels: Kernels,
    stored: &[Block],
    q: &[u16],
    inputs: &[&[Probability]],
    runs: &mut [BlockRun<F>],
) -> Result<bool, sc_kernel::Error> {
    let forms: Option<Vec<&Layer0>> = stored.iter().map(|t| t.layer0.as_ref()).collect();
    let Some(forms) = forms else {
        return Ok(false);
    };
    let (mut rows, mut codes) = (vec![], vec![]);
    for f in &forms {
        match f {
            Layer0::Bytes(r) => rows.push(r),
            Layer0::Steps(c) => codes.push(c),
        }
    }
    if rows.len() == forms.len() {
        layer0_bytes(kernels, &rows, q, inputs, runs)?;
    } else if codes.len() == forms.len() {
        // The step form of each input's table (fewer words to fill).
        layer0_steps(kernels, &codes, q, inputs, runs)?;
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// Layer 0's counts of blocks `runs` for every sample of the chunk from
/// 16-bit sums (the counting form's look-ups of
/// [`sc_kernel::count::layer0_counts`], the same integers): `look(i, p,
/// s, runs)` adds input `i`'s terms (each of magnitude at most `most`, at
/// most 32767) for sample `s`'s input probability `p` (never 0: those
/// inputs cost nothing) into that sample's sums of every block (block
/// `b`'s `lanes(b, run)` sums at `s * lanes`, at least its neurons), which
/// are widened into the counts before they could overflow.
fn layer0_sums<F: LifFixed>(
    kernels: Kernels,
    inputs: &[&[Probability]],
    (m, most): (usize, usize),
    runs: &mut [BlockRun<F>],
    lanes: impl Fn(usize, &BlockRun<F>) -> usize,
    mut look: impl FnMut(usize, Probability, usize, &mut [BlockRun<F>]),
) -> Result<(), sc_kernel::Error> {
    let samples = inputs.len();
    if samples == 0 {
        return Ok(());
    }
    for (b, r) in runs.iter_mut().enumerate() {
        let (n, l) = (r.neurons, lanes(b, r));
        if r.counts.len() != n * samples || r.acc.len() != l * samples || l < n {
            return Err(sc_kernel::Error::LengthMismatch {
                expected: l * samples,
                found: r.acc.len(),
            });
        }
        r.counts.iter_mut().for_each(|c| *c = 0);
        r.acc.iter_mut().for_each(|a| *a = 0);
    }
    // At least 1: `most` is at most 1024 where a look-up form exists.
    let every = (i16::MAX as usize / most.max(1)).max(1);
    let flush = |runs: &mut [BlockRun<F>]| {
        for (b, r) in runs.iter_mut().enumerate().filter(|(_, r)| r.neurons > 0) {
            let (n, lanes) = (r.neurons, lanes(b, r));
            for (a, c) in r
                .acc
                .chunks_exact_mut(lanes)
                .zip(r.counts.chunks_exact_mut(n))
            {
                kernels.add_widened(&a[..n], c);
                a.iter_mut().for_each(|a| *a = 0);
            }
        }
    };
    if runs.iter().all(|r| r.neurons == 0) {
        return Ok(());
    }
    for i in 0..m {
        for (s, x) in inputs.iter().enumerate() {
            match x.get(i).copied().unwrap_or(Probability::ZERO) {
                Probability::ZERO => {}
                p => look(i, p, s, runs),
            }
        }
        if (i + 1) % every == 0 {
            flush(runs);
        }
    }
    flush(runs);
    Ok(())
}

/// [`layer0_sums`] on byte rows (`rows[b]` block `b`'s): each input's byte
/// prefix table, built once, each block's row looked up, and a count of
/// 256 completed by the table's last step.
fn layer0_bytes<F: LifFixed>(
    kernels: Kernels,
    rows: &[&ByteRows],
    q: &[u16],
    inputs: &[&[Probability]],
    runs: &mut [BlockRun<F>],
) -> Result<(), sc_kernel::Error> {
    let m = rows.iter().map(|r| r.at.len().saturating_sub(1)).max();
    let lanes = |b: usize, _: &BlockRun<F>| rows.get(b).map_or(0, |r| r.lanes);
    layer0_sums(
        kernels,
        inputs,
        (m.unwrap_or(0), 256),
        runs,
        lanes,
        |i, p, s, runs| {
            // Sample `s`'s `l` sums.
            fn acc(a: &mut [i16], s: usize, l: usize) -> Option<&mut [i16]> {
                a.get_mut(s * l..(s + 1) * l)
            }
            let targets = rows.iter().zip(runs.iter_mut()).map(|(b, r)| {
                let (mag, sign, _) = b.row(i);
                let acc = acc(&mut r.acc, s, b.lanes).unwrap_or_default();
                ByteRow { mag, sign, acc }
            });
            kernels.prefix_look_up_bytes(q, p, targets);
            // The last step T[256] - T[255] of a count of 256 (L = 256),
            // only where a row has one.
            let last = || i16::from(q.get(255).is_some_and(|&v| u32::from(v) < p.q16()));
            for (b, r) in rows.iter().zip(runs.iter_mut()) {
                let (_, _, exceptions) = b.row(i);
                let Some(acc) = acc(&mut r.acc, s, b.lanes).filter(|_| !exceptions.is_empty())
                else {
                    continue;
                };
                let last = last();
                for &e in exceptions {
                    if let Some(a) = acc.get_mut((e & !(1 << 31)) as usize) {
                        *a = a.wrapping_add(if e >> 31 == 1 { -last } else { last });
                    }
                }
            }
        },
    )
}

/// [`layer0_sums`] on the step form of the prefix tables
/// ([`Kernels::prefix_look_up_steps`], `L <= 1024`, built once per input)
/// and each block's counts as step codes (`codes[b]`, input-major, from
/// counts checked against `L`).
fn layer0_steps<F: LifFixed>(
    kernels: Kernels,
    codes: &[&Vec<u16>],
    q: &[u16],
    inputs: &[&[Probability]],
    runs: &mut [BlockRun<F>],
) -> Result<(), sc_kernel::Error> {
    let m = codes
        .iter()
        .zip(runs.iter())
        .filter_map(|(c, r)| c.len().checked_div(r.neurons))
        .max();
    let lanes = |_, r: &BlockRun<F>| r.neurons;
    layer0_sums(
        kernels,
        inputs,
        (m.unwrap_or(0), q.len()),
        runs,
        lanes,
        |i, p, s, runs| {
            let targets = codes.iter().zip(runs.iter_mut()).map(|(c, r)| {
                let n = r.neurons;
                StepRow {
                    codes: c.get(i * n..(i + 1) * n).unwrap_or(&[]),
                    acc: r.acc.get_mut(s * n..(s + 1) * n).unwrap_or_default(),
                }
            });
            kernels.prefix_look_up_steps(q, p, targets);
        },
    )
}

/// Each sample's silent inputs (the complement of its spikes, padding
/// bits clear) when fewer inputs are silent in some sample than spiked in
/// some sample; `None` when reading the rows of the spikes is cheaper.
fn silent_if_fewer(spikes: &[BitSlice<'_, u64>]) -> Option<Vec<Vec<u64>>> {
    let first = spikes.first()?;
    let len = first.len();
    // Samples of other lengths take the direct path (and its length check).
    if spikes.iter().any(|z| z.len() != len) {
        return None;
    }
    // The bits of word `w` that are inputs.
    let valid = |w: usize| match len.saturating_sub(w * 64) {
        n if n >= 64 => u64::MAX,
        n => (1u64 << n) - 1,
    };
    let (mut spiked, mut silent) = (0u32, 0u32);
    for w in 0..first.words().len() {
        let word = |z: &BitSlice<'_, u64>| z.words().get(w).copied().unwrap_or(0);
        spiked += spikes.iter().fold(0, |a, z| a | word(z)).count_ones();
        silent += (!spikes.iter().fold(u64::MAX, |a, z| a & word(z)) & valid(w)).count_ones();
    }
    (silent < spiked).then(|| {
        spikes
            .iter()
            .map(|z| {
                z.words()
                    .iter()
                    .enumerate()
                    .map(|(w, &x)| !x & valid(w))
                    .collect()
            })
            .collect()
    })
}

/// Build and run `spec` on the engine in its declared format: one sample,
/// `steps` steps, input probabilities in Q0.16, every layer's spikes
/// recorded (the form of the `network` vectors).
pub fn run_network(
    spec: &NetworkSpec,
    inputs_q16: &[u32],
    steps: usize,
) -> Result<NetRun, NetError> {
    run_in_format(&EngineRun, spec, inputs_q16, steps)
}

/// The engine as an [`InFormat`], recording every layer's spikes.
struct EngineRun;

impl InFormat for EngineRun {
    fn run<F: LifFixed>(&self, job: Job<'_>) -> Result<NetRun, NetError> {
        Engine::<F>::new(job.spec)?.run(job.inputs, job.steps, Record::Spikes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::SimdLevel;
    use sc_kernel::count::layer0_counts;
    use sc_kernel::fixed::types::I16F16;
    use sc_kernel::rng::SplitMix64;

    /// Byte rows and the step form into 16-bit sums give the kernel's
    /// layer-0 counts exactly: counts of magnitude up to `L` (256 among
    /// them at `L = 256`, 1024 at `L = 1024`), inputs at 0, 1 and between,
    /// more inputs than one widening holds, odd widths, several samples.
    #[test]
    fn sums_give_the_kernels_layer0_counts() {
        let mut rng = SplitMix64::new(9);
        let one = I16F16::ONE;
        let params = LifParams::new(I16F16::ZERO, I16F16::ZERO, one, one, one, 0).unwrap();
        for (len, nb, m, all_full) in [
            (256, 130, 300, false),
            (256, 64, 255, false),
            // Every count 256 and every input 1: the 16-bit sums reach
            // 127 * 256 before each widening.
            (256, 70, 400, true),
            (200, 1, 3, false),
            (1, 65, 128, false),
            (255, 63, 1, false),
            // The step form (L <= 1024): 16-bit sums widened every 31.
            (1024, 130, 100, false),
            (1024, 70, 100, true),
            (700, 33, 40, false),
        ] {
            let edge = len as i64;
            let w: Vec<i16> = (0..nb * m)
                .map(|_| match rng.below(4) {
                    _ if all_full => edge as i16,
                    0 => edge as i16,
                    1 => -edge as i16,
                    _ => (rng.below(2 * len as u64 + 1) as i64 - edge) as i16,
                })
                .collect();
            let layer =
                CountLayer::new(MacShape::new(nb, m, len).unwrap(), &w, one, params).unwrap();
            let q: Vec<u16> = (0..len).map(|_| rng.next_u32() as u16).collect();
            let samples: Vec<Vec<Probability>> = (0..3)
                .map(|_| {
                    (0..m)
                        .map(|i| match i % 4 {
                            _ if all_full => Probability::ONE,
                            0 => Probability::ZERO,
                            1 => Probability::ONE,
                            _ => Probability::from_q16(rng.below(1 << 16) as u32).unwrap(),
                        })
                        .collect()
                })
                .collect();
            let x: Vec<&[Probability]> = samples.iter().map(Vec::as_slice).collect();
            let mut want = vec![0; nb * x.len()];
            for (x, want) in x.iter().zip(want.chunks_exact_mut(nb)) {
                let mut table = vec![0; len + 1];
                layer0_counts(&layer, &q, x, &mut table, want).unwrap();
            }
            // One block, and blocks of 64 neurons (the rest last) looked
            // up together (each input's table built once for all).
            let mut splits = vec![vec![0..nb]];
            if nb > 64 {
                splits.push(
                    (0..nb)
                        .step_by(64)
                        .map(|lo| lo..(lo + 64).min(nb))
                        .collect(),
                );
            }
            for level in SimdLevel::available() {
                let k = Kernels::new(level).unwrap();
                for blocks in &splits {
                    // Block `b`'s counts, input-major.
                    let wb: Vec<Vec<i16>> = blocks
                        .iter()
                        .map(|r| {
                            (0..m)
                                .flat_map(|i| w[i * nb..][r.clone()].to_vec())
                                .collect()
                        })
                        .collect();
                    let runs = |lanes: &dyn Fn(usize) -> usize| -> Vec<BlockRun<I16F16>> {
                        blocks
                            .iter()
                            .map(|r| BlockRun {
                                neurons: r.len(),
                                v: vec![],
                                refractory: vec![],
                                counts: vec![7; r.len() * x.len()],
                                current: vec![],
                                spikes: vec![],
                                table: vec![],
                                acc: vec![1; lanes(r.len()) * x.len()],
                            })
                            .collect()
                    };
                    // Each sample's counts of the whole layer, from the blocks'.
                    let joined = |runs: &[BlockRun<I16F16>]| -> Vec<i32> {
                        (0..x.len())
                            .flat_map(|s| {
                                runs.iter().flat_map(move |r| {
                                    r.counts[s * r.neurons..][..r.neurons].to_vec()
                                })
                            })
                            .collect()
                    };
                    let nblocks = blocks.len();
                    if len <= 256 {
                        let rows: Vec<ByteRows> = blocks
                            .iter()
                            .zip(&wb)
                            .map(|(r, w)| ByteRows::new(w, r.len(), m).unwrap())
                            .collect();
                        let refs: Vec<&ByteRows> = rows.iter().collect();
                        let mut r = runs(&|n| n.div_ceil(64) * 64);
                        layer0_bytes(k, &refs, &q, &x, &mut r).unwrap();
                        assert_eq!(
                            joined(&r),
                            want,
                            "{level:?} bytes len {len} nb {nb} {nblocks}"
                        );
                    }
                    let codes: Vec<Vec<u16>> = wb
                        .iter()
                        .map(|w| w.iter().map(|&w| step_code(w).unwrap()).collect())
                        .collect();
                    let refs: Vec<&Vec<u16>> = codes.iter().collect();
                    let mut r = runs(&|n| n);
                    layer0_steps(k, &refs, &q, &x, &mut r).unwrap();
                    assert_eq!(
                        joined(&r),
                        want,
                        "{level:?} steps len {len} nb {nb} {nblocks}"
                    );
                }
            }
        }
    }
}
