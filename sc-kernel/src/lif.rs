//! Fixed-point leaky integrate-and-fire (LIF) neurons on the `fixed` crate.
//!
//! Two normative formats: Q16.16 ([`I16F16`], 32-bit) and Q8.8 ([`I8F8`],
//! 16-bit, for small cores). One step of a neuron with membrane `v`,
//! refractory counter `r` and input current `I` (spec §6):
//!
//! ```text
//! if r > 0:  r -= 1; v = v_reset; spike = 0           (input ignored)
//! else:
//!     leak  = sat_mul(sat_sub(v_rest, v), alpha)
//!     drive = sat_mul(I, R)
//!     v     = sat_add(v, sat_add(leak, drive))
//!     if v >= threshold: spike = 1; v = v_reset; r = refractory
//!     else:              spike = 0
//! ```
//!
//! `sat_*` saturate to the format's range; `sat_mul(a, b) = sat(floor(a *
//! b / 2^F))` on the exact integer product (F = fractional bits), i.e. the
//! product rounds toward negative infinity.

use fixed::types::{I16F16, I8F8};

use crate::bits::BitSliceMut;
use crate::error::{Error, Result};
use crate::neuron::Neuron;
use crate::word::Word;

mod sealed {
    pub trait Sealed {}
    impl Sealed for fixed::types::I16F16 {}
    impl Sealed for fixed::types::I8F8 {}
}

/// The LIF number format of a described network or LIF record, with its
/// export code (docs/vectors.md) and its name in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Format {
    /// Q16.16, 32-bit raw values ([`I16F16`]; code 0, `"q16.16"`).
    #[cfg_attr(feature = "serde", serde(rename = "q16.16"))]
    Q16_16,
    /// Q8.8, 16-bit raw values ([`I8F8`]; code 1, `"q8.8"`).
    #[cfg_attr(feature = "serde", serde(rename = "q8.8"))]
    Q8_8,
}

impl Format {
    /// The export code (Q16.16 = 0, Q8.8 = 1).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The format of an export code, `None` for an unknown code.
    pub fn from_code(code: u32) -> Option<Self> {
        [Format::Q16_16, Format::Q8_8]
            .into_iter()
            .find(|f| f.code() == code)
    }

    /// The name used in files (`"q16.16"`, `"q8.8"`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Q16_16 => "q16.16",
            Format::Q8_8 => "q8.8",
        }
    }

    /// Fractional bits (16 or 8).
    pub fn frac_bits(self) -> u32 {
        match self {
            Format::Q16_16 => I16F16::FRAC_BITS,
            Format::Q8_8 => I8F8::FRAC_BITS,
        }
    }

    /// The range of raw values, `RAW_MIN..=RAW_MAX`.
    pub fn raw_range(self) -> core::ops::RangeInclusive<i32> {
        match self {
            Format::Q16_16 => I16F16::RAW_MIN..=I16F16::RAW_MAX,
            Format::Q8_8 => I8F8::RAW_MIN..=I8F8::RAW_MAX,
        }
    }
}

/// A normative LIF number format: [`I16F16`] (Q16.16) or [`I8F8`] (Q8.8).
pub trait LifFixed:
    sealed::Sealed + Copy + Default + PartialOrd + core::fmt::Debug + Send + Sync + 'static
{
    /// Fractional bits.
    const FRAC_BITS: u32;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// Smallest raw value (`-2^(bits-1)`).
    const RAW_MIN: i32;
    /// Largest raw value (`2^(bits-1) - 1`).
    const RAW_MAX: i32;
    /// Saturating addition.
    fn sat_add(self, rhs: Self) -> Self;
    /// Saturating subtraction.
    fn sat_sub(self, rhs: Self) -> Self;
    /// Saturating multiplication, product rounded toward negative infinity.
    fn sat_mul(self, rhs: Self) -> Self;
    /// Raw two's-complement bits, sign-extended to `i32`.
    fn raw(self) -> i32;
    /// From raw bits; errors if `raw` does not fit the format's width.
    fn try_from_raw(raw: i32) -> Result<Self>;
    /// Nearest value to a finite `f64` (ties to even), or `None` if not
    /// finite or out of range.
    fn from_f64(x: f64) -> Option<Self>;
    /// Exact value as `f64`.
    fn to_f64(self) -> f64;
}

macro_rules! lif_fixed {
    ($t:ty, $bits:ty) => {
        impl LifFixed for $t {
            const FRAC_BITS: u32 = <$t>::FRAC_NBITS;
            const ZERO: Self = <$t>::ZERO;
            const ONE: Self = <$t>::ONE;
            const RAW_MIN: i32 = <$bits>::MIN as i32;
            const RAW_MAX: i32 = <$bits>::MAX as i32;
            #[inline]
            fn sat_add(self, rhs: Self) -> Self {
                self.saturating_add(rhs)
            }
            #[inline]
            fn sat_sub(self, rhs: Self) -> Self {
                self.saturating_sub(rhs)
            }
            #[inline]
            fn sat_mul(self, rhs: Self) -> Self {
                self.saturating_mul(rhs)
            }
            #[inline]
            fn raw(self) -> i32 {
                self.to_bits() as i32
            }
            fn try_from_raw(raw: i32) -> Result<Self> {
                <$bits>::try_from(raw)
                    .map(<$t>::from_bits)
                    .map_err(|_| Error::InvalidParameter {
                        name: "raw",
                        allowed: "a value that fits the format's integer width",
                    })
            }
            fn from_f64(x: f64) -> Option<Self> {
                if x.is_finite() {
                    <$t>::checked_from_num(x)
                } else {
                    None
                }
            }
            fn to_f64(self) -> f64 {
                self.to_num::<f64>()
            }
        }
    };
}

lif_fixed!(I16F16, i32);
lif_fixed!(I8F8, i16);

/// Validated LIF parameters in format `F`.
///
/// Invariants (checked by [`LifParams::new`]): `0 < alpha <= 1`,
/// `resistance > 0`, `threshold > v_reset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifParams<F: LifFixed> {
    v_rest: F,
    v_reset: F,
    threshold: F,
    alpha: F,
    resistance: F,
    refractory: u16,
}

/// Q16.16 parameters.
pub type LifParamsQ16 = LifParams<I16F16>;
/// Q8.8 parameters.
pub type LifParamsQ8 = LifParams<I8F8>;

impl<F: LifFixed> LifParams<F> {
    /// Validate and build. `alpha` is the leak per step (dimensionless,
    /// in (0, 1]); `resistance` scales the input current (> 0); `threshold`
    /// must exceed `v_reset`; `refractory` is in steps (0 = none).
    pub fn new(
        v_rest: F,
        v_reset: F,
        threshold: F,
        alpha: F,
        resistance: F,
        refractory: u16,
    ) -> Result<Self> {
        if !(alpha > F::ZERO && alpha <= F::ONE) {
            return Err(Error::InvalidParameter {
                name: "alpha",
                allowed: "0 < alpha <= 1",
            });
        }
        if resistance <= F::ZERO {
            return Err(Error::InvalidParameter {
                name: "resistance",
                allowed: "resistance > 0",
            });
        }
        if threshold <= v_reset {
            return Err(Error::InvalidParameter {
                name: "threshold",
                allowed: "threshold > v_reset",
            });
        }
        Ok(Self {
            v_rest,
            v_reset,
            threshold,
            alpha,
            resistance,
            refractory,
        })
    }

    /// Build from `f64` values, each rounded to the nearest value of `F`
    /// (ties to even). Errors if any is not finite or out of the format's
    /// range, or if the rounded values break the invariants of [`Self::new`].
    pub fn from_f64(
        v_rest: f64,
        v_reset: f64,
        threshold: f64,
        alpha: f64,
        resistance: f64,
        refractory: u16,
    ) -> Result<Self> {
        let conv = |x: f64, name: &'static str| {
            F::from_f64(x).ok_or(Error::InvalidParameter {
                name,
                allowed: "a finite value inside the fixed-point format's range",
            })
        };
        Self::new(
            conv(v_rest, "v_rest")?,
            conv(v_reset, "v_reset")?,
            conv(threshold, "threshold")?,
            conv(alpha, "alpha")?,
            conv(resistance, "resistance")?,
            refractory,
        )
    }

    /// Resting potential.
    pub fn v_rest(&self) -> F {
        self.v_rest
    }
    /// Reset potential after a spike.
    pub fn v_reset(&self) -> F {
        self.v_reset
    }
    /// Firing threshold (spike when `v >= threshold`).
    pub fn threshold(&self) -> F {
        self.threshold
    }
    /// Leak factor per step, in (0, 1].
    pub fn alpha(&self) -> F {
        self.alpha
    }
    /// Input resistance (> 0).
    pub fn resistance(&self) -> F {
        self.resistance
    }
    /// Refractory period in steps.
    pub fn refractory(&self) -> u16 {
        self.refractory
    }

    /// One step of one neuron (see the module docs). Returns whether it spiked.
    #[inline]
    pub fn step(&self, v: &mut F, refractory: &mut u16, input: F) -> bool {
        if *refractory > 0 {
            *refractory -= 1;
            *v = self.v_reset;
            return false;
        }
        let leak = self.v_rest.sat_sub(*v).sat_mul(self.alpha);
        let drive = input.sat_mul(self.resistance);
        let nv = v.sat_add(leak.sat_add(drive));
        if nv >= self.threshold {
            *v = self.v_reset;
            *refractory = self.refractory;
            true
        } else {
            *v = nv;
            false
        }
    }

    /// Step a population: neuron `k` has membrane `v[k]`, counter
    /// `refractory[k]`, input `input[k]`; spike bit `k` of `spikes` is written.
    /// All four lengths must be equal. Returns the number of spikes.
    /// [`Neuron::step_population`], callable without the trait in scope.
    pub fn step_population<W: Word>(
        &self,
        v: &mut [F],
        refractory: &mut [u16],
        input: &[F],
        spikes: &mut BitSliceMut<'_, W>,
    ) -> Result<usize> {
        <Self as Neuron>::step_population(self, v, refractory, input, spikes)
    }
}

#[cfg(feature = "defmt")]
impl<F: LifFixed> defmt::Format for LifParams<F> {
    fn format(&self, f: defmt::Formatter) {
        defmt::write!(
            f,
            "LifParams {{ frac_bits: {}, v_rest: {}, v_reset: {}, threshold: {}, alpha: {}, resistance: {}, refractory: {} }} (raw)",
            F::FRAC_BITS,
            self.v_rest.raw(),
            self.v_reset.raw(),
            self.threshold.raw(),
            self.alpha.raw(),
            self.resistance.raw(),
            self.refractory
        )
    }
}

/// A population of up to `N` neurons with inline (`heapless`) state.
#[derive(Debug, Clone)]
pub struct LifPopulation<F: LifFixed, const N: usize> {
    params: LifParams<F>,
    v: heapless::Vec<F, N>,
    refractory: heapless::Vec<u16, N>,
}

impl<F: LifFixed, const N: usize> LifPopulation<F, N> {
    /// `n` neurons at `v = v_rest`, not refractory. Errors with
    /// [`Error::CapacityExceeded`] if `n > N`.
    pub fn new(params: LifParams<F>, n: usize) -> Result<Self> {
        if n > N {
            return Err(Error::CapacityExceeded {
                capacity: N,
                requested: n,
            });
        }
        let mut v = heapless::Vec::new();
        let mut refractory = heapless::Vec::new();
        for _ in 0..n {
            // Cannot fail: n <= N.
            let _ = v.push(params.v_rest);
            let _ = refractory.push(0);
        }
        Ok(Self {
            params,
            v,
            refractory,
        })
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.v.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.v.is_empty()
    }
    /// Membrane potentials.
    pub fn v(&self) -> &[F] {
        &self.v
    }
    /// Refractory counters.
    pub fn refractory(&self) -> &[u16] {
        &self.refractory
    }
    /// Parameters.
    pub fn params(&self) -> &LifParams<F> {
        &self.params
    }

    /// One step; see [`LifParams::step_population`].
    pub fn step<W: Word>(&mut self, input: &[F], spikes: &mut BitSliceMut<'_, W>) -> Result<usize> {
        self.params
            .step_population(&mut self.v, &mut self.refractory, input, spikes)
    }
}
