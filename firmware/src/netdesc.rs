//! A network read from export words ([`sc_kernel::wire::Network`]: the
//! one reader of the layout, docs/vectors.md) and run on the kernel.

use heapless::Vec;
use sc_kernel::count::{add_row, input_values, look_up_add, prefix_counts, CountLayer};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{Format, LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{self, encode_weights, Layer, LayerState};
use sc_kernel::sng::{Probability, Sng};
pub use sc_kernel::wire::Reader;
use sc_kernel::wire::{LayerRecord, Network, WireError};
use sc_kernel::{words_for, BitSlice, BitSliceMut, Error};

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
    /// An embedded weight count (counting form) differs from the popcount
    /// of the kernel's encoding of its weight, with its sign.
    CountMismatch {
        /// Layer.
        layer: usize,
        /// Weight index `j * inputs + i`.
        weight: usize,
    },
    /// The embedded layer-0 ranks are not an ascending order of the weight
    /// source's values (spec §7.1).
    RankMismatch {
        /// The first stream position whose rank is wrong.
        position: usize,
    },
}

impl NetError {
    /// [`NetError::TooLarge`].
    pub fn too_large(what: &'static str, needed: usize, capacity: usize) -> Self {
        NetError::TooLarge {
            what,
            needed,
            capacity,
        }
    }
}

/// `Ok` if `needed` fits `capacity`, else [`NetError::TooLarge`].
fn need(what: &'static str, needed: usize, capacity: usize) -> Result<(), NetError> {
    if needed > capacity {
        Err(NetError::too_large(what, needed, capacity))
    } else {
        Ok(())
    }
}

impl From<Error> for NetError {
    fn from(e: Error) -> Self {
        NetError::Kernel(e)
    }
}

impl From<WireError> for NetError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Truncated { at, .. } | WireError::Invalid { at, .. } => {
                NetError::Malformed { at }
            }
            WireError::Full { capacity } => {
                NetError::too_large("words", capacity.saturating_add(1), capacity)
            }
            WireError::Inconsistent {
                expected, found, ..
            } => NetError::Kernel(Error::LengthMismatch { expected, found }),
        }
    }
}

/// A network read from words, validated by the kernel, with its widths
/// and layers at hand.
#[derive(Debug, Clone)]
pub struct NetDesc<'a> {
    /// The network as read.
    pub net: Network<'a>,
    /// LIF format.
    pub format: Format,
    /// Layer widths: inputs, then each layer's neurons.
    pub dims: Vec<usize, { MAX_LAYERS + 1 }>,
    /// The layers.
    pub layers: Vec<LayerRecord<'a>, MAX_LAYERS>,
}

/// Read a network (`format, n_layers, dims, sources`, then per layer `len,
/// params, weights, signs, gain`) and validate it with the kernel
/// ([`Network::validate`], the host's order of checks).
pub fn parse<'a>(r: &mut Reader<'a>) -> Result<NetDesc<'a>, NetError> {
    from_network(Network::parse(r)?)
}

/// A network already read (e.g. a [`sc_kernel::wire::Model`]'s), checked
/// against this image's capacity and validated by the kernel.
pub fn from_network(net: Network<'_>) -> Result<NetDesc<'_>, NetError> {
    let nl = net.head.layers();
    need("layers", nl, MAX_LAYERS)?;
    let mut dims = Vec::new();
    // Cannot fail: nl <= MAX_LAYERS was checked above.
    let full = NetError::too_large("layers", nl, MAX_LAYERS);
    for &d in net.head.dims {
        dims.push(d as usize).map_err(|_| full)?;
    }
    let mut layers = Vec::new();
    for l in net.layers() {
        layers.push(l).map_err(|_| full)?;
    }
    net.validate()?;
    Ok(NetDesc {
        net,
        format: net.head.format,
        dims,
        layers,
    })
}

impl NetDesc<'_> {
    /// Layer `k`'s MAC shape, its neurons at most `N` (a run's check of
    /// each layer).
    fn layer_shape<const N: usize>(&self, k: usize) -> Result<MacShape, NetError> {
        let (m, n) = (self.dims[k], self.dims[k + 1]);
        need("neurons", n, N)?;
        Ok(MacShape::new(n, m, self.layers[k].len as usize)?)
    }

    /// The last layer's width, which a run's `counts` must have.
    fn check_counts(&self, counts: &[u32]) -> Result<usize, NetError> {
        let last = self.dims[self.layers.len()];
        if counts.len() != last {
            return Err(Error::LengthMismatch {
                expected: last,
                found: counts.len(),
            }
            .into());
        }
        Ok(last)
    }

    /// Check every embedded weight stream of `magnitudes` (per layer,
    /// `neurons * inputs` streams of the layer's `len` bits in u32 words)
    /// against the kernel's encoding of its probability from the weight
    /// source.
    pub fn verify_magnitudes(&self, magnitudes: &[&[u32]]) -> Result<(), NetError> {
        const MAX_STRIDE: usize = 64;
        if magnitudes.len() != self.layers.len() {
            let (needed, capacity) = (self.layers.len(), magnitudes.len());
            return Err(NetError::too_large("magnitude layers", needed, capacity));
        }
        let mut buf = [0u32; MAX_STRIDE];
        let source = self.net.head.weight_source;
        for (k, (l, mag)) in self.layers.iter().zip(magnitudes).enumerate() {
            let stride = words_for::<u32>(l.len as usize);
            need("stream words", stride, MAX_STRIDE)?;
            let one = MacShape::new(1, 1, l.len as usize)?;
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
                encode_weights(&one, source, &[p], &mut buf[..stride])?;
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

    /// Run `steps` steps with input probabilities `inputs` on the kernel,
    /// on `weights`: the embedded weight streams ([`Weights::Streams`], the
    /// kernel's `network_step`) or the counting form ([`Weights::Counts`],
    /// spec §7.1: the kernel's `count::input_values`, `prefix_counts`,
    /// `look_up_add`, `add_row` and `CountLayer::fire`, as its
    /// `layer0_counts` and `spike_counts` use them), the same spikes and
    /// counts bit for bit. `on_step(step, layer, spike_words)` sees every
    /// layer's spikes and returns false to stop early; the last layer's
    /// spike counts are added to `counts`.
    ///
    /// `N` bounds the neurons of a layer, `X` the input-stream words of a
    /// layer (streams), `Q` must be at least `L_0 + 1` (counts), `L` bounds
    /// the layers. Buffers live on the stack.
    pub fn run<const N: usize, const X: usize, const Q: usize, const L: usize>(
        &self,
        weights: Weights<'_>,
        inputs: &[Probability],
        steps: usize,
        counts: &mut [u32],
        on_step: impl FnMut(usize, usize, &[u32]) -> bool,
    ) -> Result<(), NetError> {
        match (weights, self.format) {
            (Weights::Streams(m), Format::Q16_16) => {
                self.run_f::<I16F16, N, X, L>(m, inputs, steps, counts, on_step)
            }
            (Weights::Streams(m), Format::Q8_8) => {
                self.run_f::<I8F8, N, X, L>(m, inputs, steps, counts, on_step)
            }
            (Weights::Counts(form), Format::Q16_16) => {
                self.run_counts_as::<I16F16, N, Q, L>(form, inputs, steps, counts, on_step)
            }
            (Weights::Counts(form), Format::Q8_8) => {
                self.run_counts_as::<I8F8, N, Q, L>(form, inputs, steps, counts, on_step)
            }
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
        need("layers", nl, L)?;
        let mut layers: Vec<Layer<'_, LifParams<F>, u32>, L> = Vec::new();
        for (k, l) in self.layers.iter().enumerate() {
            let shape = self.layer_shape::<N>(k)?;
            need("input words", shape.input_rows().words::<u32>()?, X)?;
            let params = l.lif_params::<F>()?;
            layers
                .push(Layer {
                    shape,
                    magnitudes: magnitudes.get(k).copied().unwrap_or(&[]),
                    signs: l.signs,
                    gain: F::try_from_raw(l.gain)?,
                    params,
                })
                .map_err(|_| NetError::too_large("layers", nl, L))?;
        }
        self.check_counts(counts)?;
        let mut v = [[F::ZERO; N]; L];
        let mut r = [[0u16; N]; L];
        let mut c = [[0i32; N]; L];
        let mut cur = [[F::ZERO; N]; L];
        let mut sp = [[0u32; N]; L];
        let mut x = [[0u32; X]; L];
        let mut states: Vec<LayerState<'_, LifParams<F>, u32>, L> = Vec::new();
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
            let st = LayerState {
                v: &mut v[..n],
                refractory: &mut r[..n],
                counts: &mut c[..n],
                current: &mut cur[..n],
                spikes: &mut sp[..words_for::<u32>(n)],
                x: &mut x[..layers[k].shape.input_rows().words::<u32>()?],
            };
            if states.push(st).is_err() {
                return Err(NetError::too_large("layers", nl, L));
            }
        }
        // The kernel's network state over these buffers (the host runs the
        // same one): spec §7's initial state, spikes packed between layers.
        let mut net = net::Network::new(&layers, &mut states, self.net.head.input_source)?;
        for t in 0..steps {
            net.step(inputs)?;
            for k in 0..nl {
                let spikes = net.state(k).map_or(&[][..], |st| &*st.spikes);
                if !on_step(t, k, spikes) {
                    return Ok(());
                }
            }
            if let Some(s) = net.spikes(nl - 1) {
                for (j, cnt) in counts.iter_mut().enumerate() {
                    *cnt += u32::from(s.get(j) == Some(true));
                }
            }
        }
        Ok(())
    }
}

/// The weights a network runs on ([`NetDesc::run`]).
#[derive(Debug, Clone, Copy)]
pub enum Weights<'a> {
    /// The encoded weight streams of each layer (the bitstream form).
    Streams(&'a [&'a [u32]]),
    /// The counting form of spec §7.1.
    Counts(&'a CountForm<'a>),
}

/// A network in the counting form of spec §7.1 (the kernel's
/// [`sc_kernel::count`]), as `build.rs` embeds it with the kernel's
/// `count::weight_counts` and `count::weight_ranks`: 2 bytes per synapse
/// instead of `L / 8`, and a cost per synapse that does not grow with `L`.
#[derive(Debug, Clone, Copy)]
pub struct CountForm<'a> {
    /// Per layer, the signed weight counts `s_ji * n_ji`, input-major
    /// (`[i * neurons + j]`).
    pub weights: &'a [&'a [i16]],
    /// Layer 0's rank of each stream position in the ascending order of
    /// the weight source's first `L_0` values.
    pub rank: &'a [u32],
}

impl NetDesc<'_> {
    /// Check `form` against the weight source before use (spec §7.1): each
    /// weight count is `n_ji = #{t < L : r_t < P_ji}` over the source's
    /// first `L` values `r_t` (the ones of the kernel's `encode` of the
    /// weight stream), negated for a negative weight; layer 0's ranks are
    /// a permutation of `0..L_0` that visits `r_0 .. r_(L_0 - 1)` in
    /// ascending order (ties in any order). `Q` bounds every layer's `L`.
    pub fn verify_counts<const Q: usize>(&self, form: &CountForm<'_>) -> Result<(), NetError> {
        if form.weights.len() != self.layers.len() {
            return Err(Error::LengthMismatch {
                expected: self.layers.len(),
                found: form.weights.len(),
            }
            .into());
        }
        let mut values = [0u16; Q];
        let source = self.net.head.weight_source;
        for (k, (l, w)) in self.layers.iter().zip(form.weights).enumerate() {
            let (m, n, len) = (self.dims[k], self.dims[k + 1], l.len as usize);
            need("stream bits", len, Q)?;
            if w.len() != l.weights_q16.len() {
                return Err(Error::LengthMismatch {
                    expected: l.weights_q16.len(),
                    found: w.len(),
                }
                .into());
            }
            let values = &mut values[..len];
            let mut g = source.start()?;
            values.iter_mut().for_each(|v| *v = g.next_q16());
            let sign_row = words_for::<u32>(m);
            for (s, &p) in l.weights_q16.iter().enumerate() {
                // weights_q16 is [j][i]: m > 0 when there is a weight.
                let (j, i) = (s / m, s % m);
                let p = Probability::from_q16(p)?.q16();
                // At most Q ones (Q is an array length): fits i32.
                let ones = values.iter().filter(|&&r| u32::from(r) < p).count() as i32;
                let negative = l
                    .signs
                    .get(j * sign_row + i / 32)
                    .is_some_and(|&w| w >> (i % 32) & 1 == 1);
                let want = if negative { -ones } else { ones };
                if w.get(i * n + j).map(|&c| i32::from(c)) != Some(want) {
                    return Err(NetError::CountMismatch {
                        layer: k,
                        weight: s,
                    });
                }
            }
            if k > 0 {
                continue;
            }
            need("layer 0 stream bits", len, usize::from(u16::MAX))?;
            if form.rank.len() != len {
                return Err(Error::LengthMismatch {
                    expected: len,
                    found: form.rank.len(),
                }
                .into());
            }
            // order[rank[t]] = t; every rank below len and used once.
            let mut order = [u16::MAX; Q];
            for (t, &r) in form.rank.iter().enumerate() {
                match order[..len].get_mut(r as usize) {
                    // t < len <= 65535: the cast is exact.
                    Some(o) if *o == u16::MAX => *o = t as u16,
                    _ => return Err(NetError::RankMismatch { position: t }),
                }
            }
            let value = |k: usize| values[order[k] as usize];
            if let Some(k) = (1..len).find(|&k| value(k - 1) > value(k)) {
                return Err(NetError::RankMismatch {
                    position: order[k] as usize,
                });
            }
        }
        Ok(())
    }

    /// [`Self::run`] on the counting form for a network whose LIF format is known when
    /// the image is built (`F`, e.g. the embedded model's): only that
    /// format's code is linked. Errors if the network's format is another.
    pub fn run_counts_as<F: LifFixed, const N: usize, const Q: usize, const L: usize>(
        &self,
        form: &CountForm<'_>,
        inputs: &[Probability],
        steps: usize,
        counts: &mut [u32],
        mut on_step: impl FnMut(usize, usize, &[u32]) -> bool,
    ) -> Result<(), NetError> {
        if F::FRAC_BITS != self.format.frac_bits() {
            return Err(Error::InvalidParameter {
                name: "format",
                allowed: "the LIF format this image was built for",
            }
            .into());
        }
        let nl = self.layers.len();
        need("layers", nl, L)?;
        if form.weights.len() != nl {
            return Err(Error::LengthMismatch {
                expected: nl,
                found: form.weights.len(),
            }
            .into());
        }
        let mut layers: Vec<CountLayer<'_, LifParams<F>, i16>, L> = Vec::new();
        for (k, (l, &w)) in self.layers.iter().zip(form.weights).enumerate() {
            let shape = self.layer_shape::<N>(k)?;
            let layer = CountLayer::new(shape, w, F::try_from_raw(l.gain)?, l.lif_params::<F>()?)?;
            layers
                .push(layer)
                .map_err(|_| NetError::too_large("layers", nl, L))?;
        }
        let len0 = layers.first().map_or(0, |l| l.shape().len());
        need("layer 0 stream bits + 1", len0 + 1, Q)?;
        let last = self.check_counts(counts)?;
        // Spec §7's initial state: membranes at rest, counters 0, a fresh
        // input generator.
        let mut v = [[F::ZERO; N]; L];
        for (v, l) in v.iter_mut().zip(&layers) {
            v.iter_mut().for_each(|v| *v = l.params().v_rest());
        }
        let mut r = [[0u16; N]; L];
        let mut c = [[0i32; N]; L];
        let mut cur = [[F::ZERO; N]; L];
        let mut sp = [[0u32; N]; L];
        let mut q = [0u16; Q];
        let mut table = [0u32; Q];
        let mut gen = self.net.head.input_source.start()?;
        // Layer 0's inputs in ascending order of probability, once per run:
        // each step builds one prefix table per distinct probability.
        let order = input_order(inputs).ok_or(NetError::too_large(
            "layer 0 inputs",
            inputs.len(),
            MAX_GROUPED,
        ))?;
        for t in 0..steps {
            // Layer 0's comparator values of this step, in weight order;
            // the generator advances L_0 (spec §7 step 1).
            input_values(&mut gen, form.rank, &mut q[..len0])?;
            for (k, layer) in layers.iter().enumerate() {
                let (m, n) = (self.dims[k], self.dims[k + 1]);
                let (prev, rest) = sp.split_at_mut(k);
                let c = &mut c[k][..n];
                let (shape, w) = (layer.shape(), layer.weights());
                match prev.last() {
                    None => layer0_grouped(
                        shape,
                        w,
                        &q[..len0],
                        inputs,
                        &order,
                        &mut table[..len0 + 1],
                        c,
                    )?,
                    Some(z) => {
                        spike_rows(shape, w, BitSlice::new(&z[..words_for::<u32>(m)], m)?, c)?
                    }
                }
                let words = &mut rest[0][..words_for::<u32>(n)];
                let mut spikes = BitSliceMut::new(words, n)?;
                layer.fire(
                    c,
                    &mut v[k][..n],
                    &mut r[k][..n],
                    &mut cur[k][..n],
                    &mut spikes,
                )?;
                if !on_step(t, k, words) {
                    return Ok(());
                }
            }
            if let Some(z) = nl.checked_sub(1).and_then(|k| sp.get(k)) {
                let s = BitSlice::new(&z[..words_for::<u32>(last)], last)?;
                for (j, cnt) in counts.iter_mut().enumerate() {
                    *cnt += u32::from(s.get(j) == Some(true));
                }
            }
        }
        Ok(())
    }
}

/// Most inputs [`input_order`] sorts (more: one prefix table per input).
const MAX_GROUPED: usize = 256;

/// The indices of `inputs` sorted by probability (stable), or `None` for
/// more than [`MAX_GROUPED`] inputs.
fn input_order(inputs: &[Probability]) -> Option<Vec<u8, MAX_GROUPED>> {
    if inputs.len() > MAX_GROUPED {
        return None;
    }
    let mut order: Vec<u8, MAX_GROUPED> = Vec::new();
    for i in 0..inputs.len() {
        // i < MAX_GROUPED = 256: fits u8, and the capacity.
        order.push(i as u8).ok()?;
    }
    // Insertion sort: a few dozen inputs, once per run.
    let p = |k: u8| inputs.get(k as usize).map_or(0, |p| p.q16());
    for k in 1..order.len() {
        let mut m = k;
        while m > 0 && p(order[m - 1]) > p(order[m]) {
            order.swap(m - 1, m);
            m -= 1;
        }
    }
    Some(order)
}

/// `count::layer0_counts` with the inputs visited in `order` (ascending
/// probability): one `count::prefix_counts` table per distinct
/// probability instead of one per input, the same `count::look_up_add`
/// and `count::add_row` per input. The counts are exact integer sums, so
/// the order of the additions does not change them. Not generic over the
/// neuron model: one copy of the code for both formats.
fn layer0_grouped(
    shape: &MacShape,
    weights: &[i16],
    q: &[u16],
    inputs: &[Probability],
    order: &[u8],
    table: &mut [u32],
    counts: &mut [i32],
) -> Result<(), NetError> {
    let (n, len) = (shape.neurons(), shape.len());
    for (expected, found) in [
        (shape.inputs(), inputs.len()),
        (shape.inputs(), order.len()),
        (len, q.len()),
        (len + 1, table.len()),
        (n, counts.len()),
    ] {
        if expected != found {
            return Err(Error::LengthMismatch { expected, found }.into());
        }
    }
    counts.iter_mut().for_each(|c| *c = 0);
    let mut built = None;
    for &i in order {
        let i = i as usize;
        let row = weights.get(i * n..(i + 1) * n).unwrap_or(&[]);
        match inputs.get(i).copied().unwrap_or(Probability::ZERO) {
            Probability::ZERO => {}
            Probability::ONE => add_row(row, counts),
            p => {
                if built != Some(p.q16()) {
                    prefix_counts(q, p, table);
                    built = Some(p.q16());
                }
                look_up_add(row, table, len, counts);
            }
        }
    }
    Ok(())
}

/// `count::spike_counts` of one sample: the rows of the inputs that spiked
/// added with `count::add_row`. Not generic over the neuron model.
fn spike_rows(
    shape: &MacShape,
    weights: &[i16],
    spikes: BitSlice<'_, u32>,
    counts: &mut [i32],
) -> Result<(), NetError> {
    let n = shape.neurons();
    for (expected, found) in [(shape.inputs(), spikes.len()), (n, counts.len())] {
        if expected != found {
            return Err(Error::LengthMismatch { expected, found }.into());
        }
    }
    counts.iter_mut().for_each(|c| *c = 0);
    for (wi, &word) in spikes.words().iter().enumerate() {
        // Padding bits are zero: only inputs that spiked are visited.
        let mut bits = word;
        while bits != 0 {
            let i = wi * 32 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            add_row(weights.get(i * n..(i + 1) * n).unwrap_or(&[]), counts);
        }
    }
    Ok(())
}
