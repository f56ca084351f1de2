//! The neuron model a network layer steps ([`Neuron`]).
//!
//! A layer of the SC network (spec §7) turns its signed MAC counts into
//! input currents and steps a population of neurons with them. Both halves
//! belong to the neuron model: the fixed-point LIF neuron of spec §6
//! ([`crate::lif::LifParams`]) computes `I = sat_W(floor(c * G / L))` on raw
//! values and steps in its format; a host-side float LIF (for comparisons)
//! can compute `c * G / L` in `f64` and step in `f64`. The network
//! ([`crate::net`]) is generic over the model, so both run the same SC
//! streams, MAC and packed spike hand-over.

use crate::bits::{ensure_len, BitSliceMut};
use crate::error::Result;
use crate::lif::{LifFixed, LifParams};
use crate::net::counts_to_current;
use crate::word::Word;

/// A neuron model: the parameters of one layer's neurons.
///
/// Per neuron the model keeps a membrane value ([`Neuron::State`]) and a
/// refractory counter (`u16`, 0 = not refractory). Implementations must
/// not panic for any argument: bad lengths are errors.
pub trait Neuron {
    /// Membrane value of one neuron (the fixed-point format `F` for the
    /// LIF neuron of spec §6).
    type State: Copy + Default + core::fmt::Debug;
    /// Input current of one neuron; also the type of a layer's gain (the
    /// current a full-scale count produces, spec §7).
    type Current: Copy + Default + core::fmt::Debug;

    /// The membrane value every neuron starts from (`v_rest`).
    fn rest(&self) -> Self::State;

    /// MAC counts of a layer with stream length `len` into input currents
    /// (spec §7: `I_j = c_j * gain / len` in the model's arithmetic).
    ///
    /// Errors: [`crate::Error::LengthMismatch`] if `counts` and `current`
    /// differ in length, [`crate::Error::EmptyStream`] if `len == 0`.
    fn counts_to_current(
        &self,
        counts: &[i32],
        len: usize,
        gain: Self::Current,
        current: &mut [Self::Current],
    ) -> Result<()>;

    /// One step of one neuron with membrane `v`, refractory counter
    /// `refractory` and input `current`. Returns whether it spiked.
    fn step_neuron(
        &self,
        v: &mut Self::State,
        refractory: &mut u16,
        current: Self::Current,
    ) -> bool;

    /// Check a population's input currents before any neuron steps
    /// (default: every current is valid).
    fn check_currents(&self, current: &[Self::Current]) -> Result<()> {
        let _ = current;
        Ok(())
    }

    /// Step up to `W::BITS` neurons (the shortest slice's length): spike
    /// bit `b` of the result is neuron `b`'s spike, as
    /// [`Neuron::step_neuron`] of each in order (the default; a model may
    /// use a faster loop with the same results).
    #[inline]
    fn step_word<W: Word>(
        &self,
        v: &mut [Self::State],
        refractory: &mut [u16],
        current: &[Self::Current],
    ) -> W {
        step_each(self, v, refractory, current)
    }

    /// Step a population: neuron `k` has membrane `v[k]`, refractory counter
    /// `refractory[k]` and input `current[k]`; spike bit `k` of `spikes` is
    /// written (every bit, padding zero). All four lengths must be equal
    /// ([`crate::Error::LengthMismatch`]), then [`Neuron::check_currents`]
    /// must pass. Returns the number of spikes. One word's neurons at a
    /// time by [`Neuron::step_word`]; the spikes are counted per word.
    fn step_population<W: Word>(
        &self,
        v: &mut [Self::State],
        refractory: &mut [u16],
        current: &[Self::Current],
        spikes: &mut BitSliceMut<'_, W>,
    ) -> Result<usize> {
        let n = v.len();
        ensure_len(n, refractory.len())?;
        ensure_len(n, current.len())?;
        ensure_len(n, spikes.len())?;
        self.check_currents(current)?;
        let mut count = 0;
        // words_for(n) words and as many chunks of W::BITS neurons.
        for (((word, v), r), c) in spikes
            .words_mut()
            .iter_mut()
            .zip(v.chunks_mut(W::BITS))
            .zip(refractory.chunks_mut(W::BITS))
            .zip(current.chunks(W::BITS))
        {
            *word = self.step_word(v, r, c);
            count += word.count_ones() as usize;
        }
        Ok(count)
    }
}

/// [`Neuron::step_neuron`] of up to `W::BITS` neurons (the shortest
/// slice's length), in order: spike bit `b` of the result is neuron `b`'s
/// spike.
#[inline]
pub(crate) fn step_each<N: Neuron + ?Sized, W: Word>(
    model: &N,
    v: &mut [N::State],
    refractory: &mut [u16],
    current: &[N::Current],
) -> W {
    // Three slices of one length and one index: no bounds checks.
    let m = v
        .len()
        .min(refractory.len())
        .min(current.len())
        .min(W::BITS);
    let (v, r, c) = (&mut v[..m], &mut refractory[..m], &current[..m]);
    let mut w = W::ZERO;
    for b in 0..m {
        if model.step_neuron(&mut v[b], &mut r[b], c[b]) {
            w = w | W::bit(b);
        }
    }
    w
}

/// The fixed-point LIF neuron of spec §6, with the exact current of §7.
impl<F: LifFixed> Neuron for LifParams<F> {
    type State = F;
    type Current = F;

    #[inline]
    fn rest(&self) -> F {
        self.v_rest()
    }

    /// [`counts_to_current`]: `sat_W(floor(c * gain / len))` on raw values.
    fn counts_to_current(
        &self,
        counts: &[i32],
        len: usize,
        gain: F,
        current: &mut [F],
    ) -> Result<()> {
        counts_to_current(counts, len, gain, current)
    }

    #[inline]
    fn step_neuron(&self, v: &mut F, refractory: &mut u16, current: F) -> bool {
        self.step(v, refractory, current)
    }

    /// [`LifParams::step`] of each neuron, by the format's fastest loop.
    #[inline]
    fn step_word<W: Word>(&self, v: &mut [F], refractory: &mut [u16], current: &[F]) -> W {
        F::step_word(self, v, refractory, current)
    }
}
