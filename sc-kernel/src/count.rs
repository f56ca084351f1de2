//! The counting form of spec §7 (spec §7.1, informative): the same MAC
//! counts as the bitstream path ([`crate::net`]), at a per-synapse cost
//! that does not grow with the stream length, from 4 bytes per synapse.
//!
//! Under spec §7 every weight stream of a layer is `encode` of one
//! generator sequence `r^w_0 .. r^w_(L-1)`, so the ones of weight `(j, i)`
//! are the positions `t` with `r^w_t < P_ji`, and their number
//! `n_ji = #{t : r^w_t < P_ji}` ([`ones_table`]) is fixed once the model
//! is loaded.
//!
//! - **Layers `k >= 1`** receive streams that are all ones or all zeros
//!   (spikes), so `popcount(w_ji AND x_i) = z_i * n_ji`: a layer's count is
//!   the sum of the signed `n_ji` of the inputs that spiked
//!   ([`spike_counts`]).
//! - **Layer 0.** Sort the positions `t` by `r^w_t` (the order `pi`; ties
//!   in any order). The ones of `w_ji` are exactly the first `n_ji`
//!   positions of `pi` (every `t` with `r^w_t < P` comes before every `t`
//!   with `r^w_t >= P`). So `popcount(w_ji AND x_i)` is the number of ones
//!   among the first `n_ji` bits of `x_i` permuted by `pi`. With the step's
//!   input comparator values in that order (`q_k = r^x_(pi(k))`,
//!   [`input_values`]), input `i`'s prefix counts `T_i[n] = #{k < n : q_k <
//!   P_i}` make every synapse one table look-up ([`layer0_counts`]).
//!
//! A layer stores `s_ji * n_ji` (a [`CountWeight`]: `i16` when `L <=
//! 32767`, 2 bytes per synapse, else `i32`; `-1` for a negative weight) in
//! input-major order (`[i][j]`), so both forms read a contiguous row per
//! input. Layer 0 also keeps each position's rank in `pi` ([`weight_ranks`]).

use core::marker::PhantomData;

use crate::bits::{ensure_len, BitSlice, BitSliceMut};
use crate::error::{Error, Result};
use crate::mac::MacShape;
use crate::net::{Generator, Neuron, StreamSource};
use crate::sng::{Probability, Sng};
use crate::word::{words_for, Word};

/// The storage of a signed weight count `s * n` (`|n| <= L`): `i16` for
/// `L <= 32767` (2 bytes per synapse), `i32` for any `L`.
pub trait CountWeight: Copy + Default + core::fmt::Debug + Send + Sync + sealed::Sealed {
    /// The largest stream length whose counts fit.
    const MAX_LEN: usize;
    /// The count as `i32`.
    fn get(self) -> i32;
    /// `n` with sign `negative`, for `n <= Self::MAX_LEN`.
    fn from_count(n: usize, negative: bool) -> Option<Self>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for i16 {}
    impl Sealed for i32 {}
}

macro_rules! count_weight {
    ($t:ty) => {
        impl CountWeight for $t {
            const MAX_LEN: usize = <$t>::MAX as usize;
            #[inline]
            fn get(self) -> i32 {
                i32::from(self)
            }
            #[inline]
            fn from_count(n: usize, negative: bool) -> Option<Self> {
                let n = <$t>::try_from(n).ok()?;
                Some(if negative { -n } else { n })
            }
        }
    };
}
count_weight!(i16);
count_weight!(i32);

/// Layer 0's weight order, prepared once per model: `rank[t]` is the
/// position of `t` in the order of the weight source's values `r^w_0 ..
/// r^w_(L-1)` sorted ascending (for [`input_values`]). `values` and
/// `order` are scratch of `L` entries each. `L = values.len()`.
///
/// Errors: [`Error::LengthMismatch`] if the three lengths differ;
/// [`Error::ShapeOverflow`] if `L` does not fit `u32`; an error of
/// `source.start()`.
pub fn weight_ranks(
    source: StreamSource,
    values: &mut [u16],
    order: &mut [u32],
    rank: &mut [u32],
) -> Result<()> {
    ensure_len(values.len(), order.len())?;
    ensure_len(values.len(), rank.len())?;
    u32::try_from(values.len()).map_err(|_| Error::ShapeOverflow)?;
    let mut g = source.start()?;
    values.iter_mut().for_each(|v| *v = g.next_q16());
    // `len` fits u32 (checked), so every position does.
    order
        .iter_mut()
        .enumerate()
        .for_each(|(t, o)| *o = t as u32);
    order.sort_unstable_by_key(|&t| values.get(t as usize).copied().unwrap_or(0));
    for (k, &t) in order.iter().enumerate() {
        if let Some(r) = rank.get_mut(t as usize) {
            *r = k as u32;
        }
    }
    Ok(())
}

/// Entries of a [`ones_table`]: one per probability `0..=65536`.
pub const ONES_TABLE_LEN: usize = 65537;

/// The ones of every weight stream of a layer: `table[P] = n(P) = #{t <
/// L : r^w_t < P}` for `P = 0..=65536` (the popcount of `encode(fresh
/// generator of source, P, L)`), from one pass over the sequence.
///
/// Errors: [`Error::LengthMismatch`] unless `table` has
/// [`ONES_TABLE_LEN`] entries; [`Error::ShapeOverflow`] if `len` does not
/// fit `u32`; an error of `source.start()`.
pub fn ones_table(source: StreamSource, len: usize, table: &mut [u32]) -> Result<()> {
    ensure_len(ONES_TABLE_LEN, table.len())?;
    u32::try_from(len).map_err(|_| Error::ShapeOverflow)?;
    let mut g = source.start()?;
    table.iter_mut().for_each(|t| *t = 0);
    // Histogram shifted by one (value r counts for every P > r), then the
    // running sum; every sum is at most len <= u32::MAX.
    for _ in 0..len {
        if let Some(t) = table.get_mut(usize::from(g.next_q16()) + 1) {
            *t += 1;
        }
    }
    let mut acc = 0u32;
    for t in table.iter_mut() {
        acc += *t;
        *t = acc;
    }
    Ok(())
}

/// A layer's signed weight counts in the counting form: `out[i * neurons +
/// j] = -n(P_ji)` if `negative(j, i)`, else `n(P_ji)`, with `P_ji =
/// magnitude(j, i)` and `ones` the layer's [`ones_table`].
///
/// Errors: [`Error::LengthMismatch`] if `out` is not `neurons * inputs`
/// long or `ones` not [`ONES_TABLE_LEN`]; [`Error::ShapeOverflow`] if
/// that product overflows or a count is above `C::MAX_LEN`.
pub fn weight_counts<C: CountWeight>(
    ones: &[u32],
    neurons: usize,
    inputs: usize,
    magnitude: impl Fn(usize, usize) -> Probability,
    negative: impl Fn(usize, usize) -> bool,
    out: &mut [C],
) -> Result<()> {
    let total = neurons.checked_mul(inputs).ok_or(Error::ShapeOverflow)?;
    ensure_len(total, out.len())?;
    ensure_len(ONES_TABLE_LEN, ones.len())?;
    if neurons == 0 {
        return Ok(());
    }
    for (i, row) in out.chunks_exact_mut(neurons).enumerate() {
        for (j, o) in row.iter_mut().enumerate() {
            let n = ones
                .get(magnitude(j, i).q16() as usize)
                .copied()
                .unwrap_or(0);
            *o = C::from_count(n as usize, negative(j, i)).ok_or(Error::ShapeOverflow)?;
        }
    }
    Ok(())
}

/// Signed weight counts checked once against a stream length `L`: every
/// magnitude is at most `L` (so a layer's sums stay within `inputs * L <=
/// i32::MAX`, and look-ups within the table). Holds its storage `S` (a
/// `Vec<C>` on the host, a slice in flash): a model checked when it is
/// loaded builds its [`CountLayer`]s with [`CountLayer::from_checked`]
/// without scanning every count again.
///
/// It remembers which slice it checked (address and length), and a layer
/// reads only that slice: `S` must keep its elements in place (a slice, a
/// `Vec`, a `Box`; not an array moved by value), and there is no `Clone`
/// (a copy would live elsewhere and be unchecked).
#[derive(Debug)]
pub struct CheckedCounts<S, C: CountWeight> {
    counts: S,
    len: usize,
    /// Address and length of the slice that was checked.
    at: (usize, usize),
    _count: PhantomData<fn() -> C>,
}

impl<S: AsRef<[C]>, C: CountWeight> CheckedCounts<S, C> {
    /// `counts` checked against stream length `len`.
    ///
    /// Errors: [`Error::InvalidParameter`] (`weights`) if a count's
    /// magnitude is above `len`.
    pub fn new(counts: S, len: usize) -> Result<Self> {
        let w = counts.as_ref();
        // A max over all counts (vectorises; no early exit needed).
        let max = w.iter().fold(0u32, |m, &w| m.max(w.get().unsigned_abs()));
        if max as usize > len {
            return Err(Error::InvalidParameter {
                name: "weights",
                allowed: "weight counts with magnitude at most the stream length L",
            });
        }
        let at = (w.as_ptr() as usize, w.len());
        Ok(Self {
            counts,
            len,
            at,
            _count: PhantomData,
        })
    }

    /// The counts that were checked.
    ///
    /// Errors: [`Error::InvalidParameter`] (`weights`) if the storage now
    /// gives another slice than the one checked.
    pub fn counts(&self) -> Result<&[C]> {
        let w = self.counts.as_ref();
        if (w.as_ptr() as usize, w.len()) != self.at {
            return Err(Error::InvalidParameter {
                name: "weights",
                allowed: "the counts that were checked (storage that keeps them in place)",
            });
        }
        Ok(w)
    }

    /// The stream length `L` they were checked against.
    pub fn stream_len(&self) -> usize {
        self.len
    }

    /// The storage back.
    pub fn into_inner(self) -> S {
        self.counts
    }
}

/// One layer in the counting form, for neuron model `N`. Built by
/// [`CountLayer::new`] or [`CountLayer::from_checked`], which check the
/// sizes and every weight count, so stepping never indexes outside its
/// tables.
#[derive(Debug, Clone, Copy)]
pub struct CountLayer<'a, N: Neuron, C: CountWeight = i32> {
    shape: MacShape,
    weights: &'a [C],
    gain: N::Current,
    params: N,
}

impl<'a, N: Neuron, C: CountWeight> CountLayer<'a, N, C> {
    /// A layer of `shape` (`neurons x inputs`, stream length `L`) with
    /// signed weight counts `weights` in input-major order (see
    /// [`weight_counts`]), gain and neuron parameters.
    ///
    /// Errors: [`Error::EmptyStream`] if `L == 0`; [`Error::LengthMismatch`]
    /// if `weights` is not `neurons * inputs` long;
    /// [`Error::InvalidParameter`] (`weights`) if a count's magnitude is
    /// above `L`.
    pub fn new(shape: MacShape, weights: &'a [C], gain: N::Current, params: N) -> Result<Self> {
        // The size errors come before the counts' (as `build` orders them).
        if shape.is_empty() {
            return Err(Error::EmptyStream);
        }
        ensure_len(shape.neurons() * shape.inputs(), weights.len())?;
        let checked = CheckedCounts::new(weights, shape.len())?;
        Self::build(shape, checked.len, checked.counts, gain, params)
    }

    /// [`CountLayer::new`] over counts already checked against this
    /// layer's `L` (no scan of the counts).
    ///
    /// Errors: [`Error::EmptyStream`] if `L == 0`; [`Error::LengthMismatch`]
    /// if `weights` is not `neurons * inputs` long, or was checked against
    /// another stream length than the layer's `L`;
    /// [`Error::InvalidParameter`] (`weights`) if its storage no longer
    /// gives the slice that was checked.
    pub fn from_checked<S: AsRef<[C]>>(
        shape: MacShape,
        weights: &'a CheckedCounts<S, C>,
        gain: N::Current,
        params: N,
    ) -> Result<Self> {
        Self::build(shape, weights.len, weights.counts()?, gain, params)
    }

    /// The layer over `weights` checked against stream length `checked`.
    fn build(
        shape: MacShape,
        checked: usize,
        weights: &'a [C],
        gain: N::Current,
        params: N,
    ) -> Result<Self> {
        if shape.is_empty() {
            return Err(Error::EmptyStream);
        }
        ensure_len(shape.len(), checked)?;
        // MacShape guarantees the product does not overflow.
        ensure_len(shape.neurons() * shape.inputs(), weights.len())?;
        Ok(Self {
            shape,
            weights,
            gain,
            params,
        })
    }

    /// The layer's shape.
    pub fn shape(&self) -> &MacShape {
        &self.shape
    }

    /// The signed weight counts, input-major.
    pub fn weights(&self) -> &'a [C] {
        self.weights
    }

    /// The neuron parameters.
    pub fn params(&self) -> &N {
        &self.params
    }

    /// The gain.
    pub fn gain(&self) -> N::Current {
        self.gain
    }

    /// Row `i` (input `i`'s signed counts over the neurons).
    #[inline]
    fn row(&self, i: usize) -> &'a [C] {
        let n = self.shape.neurons();
        self.weights.get(i * n..(i + 1) * n).unwrap_or(&[])
    }

    /// The rest of a layer step: counts into currents, then a step of
    /// every neuron, spikes into `spikes` (`neurons` bits). Returns the
    /// number of spikes.
    pub fn fire<W: Word>(
        &self,
        counts: &[i32],
        v: &mut [N::State],
        refractory: &mut [u16],
        current: &mut [N::Current],
        spikes: &mut BitSliceMut<'_, W>,
    ) -> Result<usize> {
        self.params
            .counts_to_current(counts, self.shape.len(), self.gain, current)?;
        self.params.step_population(v, refractory, current, spikes)
    }
}

/// One step's input comparator values in weight order: `q[rank[t]] =
/// r^x_t` for `t < L` from `gen`, which then has advanced `L` steps (spec
/// §7 step 1). `L = rank.len()`.
///
/// Errors: [`Error::LengthMismatch`] if `q` and `rank` differ in length;
/// [`Error::InvalidParameter`] (`rank`) if a rank is `L` or more.
pub fn input_values(gen: &mut Generator, rank: &[u32], q: &mut [u16]) -> Result<()> {
    ensure_len(rank.len(), q.len())?;
    for &r in rank {
        let v = gen.next_q16();
        match q.get_mut(r as usize) {
            Some(slot) => *slot = v,
            None => {
                return Err(Error::InvalidParameter {
                    name: "rank",
                    allowed: "ranks below the stream length",
                })
            }
        }
    }
    Ok(())
}

/// Input `P`'s prefix counts over the step's ordered comparator values
/// (the reference for SIMD versions): `table[n] = #{k < n : q_k < P}` for
/// `n = 0..=L`, where `table` has `L + 1` entries; with fewer, only those
/// are written.
#[inline]
pub fn prefix_counts(q: &[u16], p: Probability, table: &mut [u32]) {
    let p = p.q16();
    let mut acc = 0u32;
    if let Some(first) = table.first_mut() {
        *first = 0;
    }
    for (&r, t) in q.iter().zip(table.iter_mut().skip(1)) {
        acc += u32::from(u32::from(r) < p);
        *t = acc;
    }
}

/// The layer-0 look-up (the reference for SIMD versions): add `sign(w) *
/// table[min(|w|, len)]` of each `w` of `row` into `counts`; nothing if
/// `table` has `len` entries or fewer. In a layer every `|w| <= len`
/// ([`CountLayer::new`]) and `table` has `len + 1` entries.
#[inline]
pub fn look_up_add<C: CountWeight>(row: &[C], table: &[u32], len: usize, counts: &mut [i32]) {
    let Some(t) = table.get(..=len) else {
        return;
    };
    for (c, &w) in counts.iter_mut().zip(row) {
        // Branch-free: m = -1 for a negative weight, else 0, and
        // (n ^ m) - m = -n or n. n <= L <= i32::MAX.
        let w = w.get();
        let m = w >> 31;
        let n = t[(w.unsigned_abs() as usize).min(len)] as i32;
        *c += (n ^ m) - m;
    }
}

/// Add row `row` into `counts` (an input that is all ones, or spiked): the
/// reference for SIMD versions.
#[inline]
pub fn add_row<C: CountWeight>(row: &[C], counts: &mut [i32]) {
    for (c, &w) in counts.iter_mut().zip(row) {
        *c += w.get();
    }
}

/// Layer 0's MAC counts for one step: `counts[j] = sum_i s_ji *
/// popcount(w_ji AND x_i)` with `x_i = encode(g_x, inputs[i])`, from the
/// step's ordered comparator values `q` ([`input_values`]). `table` is
/// scratch of `L + 1` entries. Inputs with `P = 0` cost nothing, `P = 1`
/// one row addition.
///
/// Errors: [`Error::LengthMismatch`] if `inputs`, `q` (`L`), `table`
/// (`L + 1`) or `counts` (`neurons`) have other lengths.
pub fn layer0_counts<N: Neuron, C: CountWeight>(
    layer: &CountLayer<'_, N, C>,
    q: &[u16],
    inputs: &[Probability],
    table: &mut [u32],
    counts: &mut [i32],
) -> Result<()> {
    layer0_counts_with(
        layer,
        q,
        &[inputs],
        table,
        counts,
        prefix_counts,
        look_up_add,
    )
}

/// [`layer0_counts`] for several samples at the same step (so the same
/// `q`; spec §7 starts every sample's input generator afresh), with the
/// table build and the look-up loop supplied by the caller (a faster
/// [`prefix_counts`] and [`look_up_add`], e.g. SIMD, with the same
/// results): sample `b` has inputs `inputs[b]` and counts `counts[b *
/// neurons ..][..neurons]`. Each weight row is read once for all the
/// samples.
///
/// Errors: [`Error::LengthMismatch`] if a sample's inputs, `q` (`L`),
/// `table` (`L + 1`) or `counts` (`samples * neurons`) have other lengths.
pub fn layer0_counts_with<N: Neuron, C: CountWeight>(
    layer: &CountLayer<'_, N, C>,
    q: &[u16],
    inputs: &[&[Probability]],
    table: &mut [u32],
    counts: &mut [i32],
    mut prefix: impl FnMut(&[u16], Probability, &mut [u32]),
    mut look_up: impl FnMut(&[C], &[u32], usize, &mut [i32]),
) -> Result<()> {
    let s = layer.shape();
    for x in inputs {
        ensure_len(s.inputs(), x.len())?;
    }
    ensure_len(s.len(), q.len())?;
    ensure_len(s.len() + 1, table.len())?;
    let n = s.neurons();
    ensure_len(n * inputs.len(), counts.len())?;
    counts.iter_mut().for_each(|c| *c = 0);
    if n == 0 {
        return Ok(());
    }
    for i in 0..s.inputs() {
        let row = layer.row(i);
        for (x, c) in inputs.iter().zip(counts.chunks_exact_mut(n)) {
            match x.get(i).copied().unwrap_or(Probability::ZERO) {
                Probability::ZERO => {}
                Probability::ONE => add_row(row, c),
                p => {
                    prefix(q, p, table);
                    look_up(row, table, s.len(), c);
                }
            }
        }
    }
    Ok(())
}

/// A layer `k >= 1`'s MAC counts for one step: `counts[j] = sum over the
/// inputs `i` that spiked of `s_ji * n_ji` (spikes: `inputs` bits).
///
/// Errors: [`Error::LengthMismatch`] if `spikes` or `counts` have other
/// lengths than the layer's inputs and neurons.
pub fn spike_counts<N: Neuron, C: CountWeight, W: Word>(
    layer: &CountLayer<'_, N, C>,
    spikes: BitSlice<'_, W>,
    counts: &mut [i32],
) -> Result<()> {
    spike_counts_with(layer, &[spikes], counts, add_row)
}

/// [`spike_counts`] for several samples, with the row addition supplied
/// by the caller (a faster [`add_row`], e.g. SIMD, with the same result):
/// sample `b` has the spikes `spikes[b]` and counts `counts[b * neurons
/// ..][..neurons]`. Each row of an input that spiked in any sample is read
/// once for all of them.
///
/// Errors: [`Error::LengthMismatch`] if a sample's spikes or `counts`
/// (`samples * neurons`) have other lengths.
pub fn spike_counts_with<N: Neuron, C: CountWeight, W: Word>(
    layer: &CountLayer<'_, N, C>,
    spikes: &[BitSlice<'_, W>],
    counts: &mut [i32],
    mut add: impl FnMut(&[C], &mut [i32]),
) -> Result<()> {
    let s = layer.shape();
    for z in spikes {
        ensure_len(s.inputs(), z.len())?;
    }
    let n = s.neurons();
    ensure_len(n * spikes.len(), counts.len())?;
    counts.iter_mut().for_each(|c| *c = 0);
    if n == 0 {
        return Ok(());
    }
    for w in 0..words_for::<W>(s.inputs()) {
        let word = |z: &BitSlice<'_, W>| z.words().get(w).map_or(0, |x| x.to_u64());
        // The inputs that spiked in any sample (padding bits are zero).
        let mut any = spikes.iter().fold(0u64, |a, z| a | word(z));
        while any != 0 {
            let bit = any.trailing_zeros();
            any &= any - 1;
            let row = layer.row(w * W::BITS + bit as usize);
            for (z, c) in spikes.iter().zip(counts.chunks_exact_mut(n)) {
                if word(z) >> bit & 1 == 1 {
                    add(row, c);
                }
            }
        }
    }
    Ok(())
}
