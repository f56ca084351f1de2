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
    /// The LIF step's cheapest exact forms per format, callable only from
    /// this crate (the trait is not nameable outside).
    pub trait Sealed: Sized {
        /// `sat_mul(a, alpha)` for `0 <= alpha <= 1`, [`LifParams`]'
        /// invariant (there the product lies between 0 and `a` and never
        /// saturates); another alpha gives an unspecified value, never a
        /// panic.
        ///
        /// [`LifParams`]: super::LifParams
        fn leak_mul(a: Self, alpha: Self) -> Self;
        /// `Some(sat(v + s))` if it is below `threshold`, else `None`, for
        /// every argument.
        fn add_below(v: Self, s: Self, threshold: Self) -> Option<Self>;
        /// The integration of a LIF step that is not refractory (spec §6):
        /// `Some(v')` below the threshold, `None` for a spike. Equal to
        /// [`super::integrate_ref`] (the default) for `0 <= alpha <= 1`
        /// ([`super::LifParams`]' invariant), never a panic otherwise.
        #[inline]
        fn integrate(
            v: Self,
            input: Self,
            v_rest: Self,
            alpha: Self,
            resistance: Self,
            threshold: Self,
        ) -> Option<Self>
        where
            Self: super::LifFixed,
        {
            super::integrate_ref(v, input, v_rest, alpha, resistance, threshold)
        }
        /// [`super::LifParams::step`] of up to `W::BITS` neurons (the
        /// shortest slice's length): spike bit `b` of the result is neuron
        /// `b`'s spike. A format may use a faster loop with the same
        /// results.
        #[inline]
        fn step_word<W: crate::word::Word>(
            p: &super::LifParams<Self>,
            v: &mut [Self],
            refractory: &mut [u16],
            input: &[Self],
        ) -> W
        where
            Self: super::LifFixed,
        {
            crate::neuron::step_each(p, v, refractory, input)
        }
    }
}

/// Spec §6's integration of a step that is not refractory, as written
/// there: `Some(v')` with `v' = sat_add(v, sat_add(leak, drive))` when
/// `v' < threshold`, `None` (a spike) otherwise. Formats may compute it
/// faster ([`sealed::Sealed::integrate`]), with the same result.
#[inline]
fn integrate_ref<F: LifFixed>(
    v: F,
    input: F,
    v_rest: F,
    alpha: F,
    resistance: F,
    threshold: F,
) -> Option<F> {
    // sat_mul by alpha in [0, 1]: leak_mul, the same value.
    let leak = F::leak_mul(v_rest.sat_sub(v), alpha);
    let drive = input.sat_mul(resistance);
    F::add_below(v, leak.sat_add(drive), threshold)
}

/// [`integrate_ref`] out of line: the rare saturating case of the fast
/// Q8.8 path, kept out of its loop's registers.
#[cold]
#[inline(never)]
fn integrate_slow(
    v: I8F8,
    input: I8F8,
    v_rest: I8F8,
    alpha: I8F8,
    r: I8F8,
    t: I8F8,
) -> Option<I8F8> {
    integrate_ref(v, input, v_rest, alpha, r, t)
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

/// `a * b` exactly (`|a * b| <= 2^62`). On a core whose instruction set
/// has no 32 x 32 -> 64-bit multiply, ARMv6-M (Cortex-M0/M0+/M1, told
/// apart from the other Arm targets by its lack of compare-and-swap
/// atomics: target features are not visible to `cfg` on stable Rust),
/// from four 32-bit products ([`mul_wide_halves`]) instead of the
/// 64 x 64-bit library call (`__aeabi_lmul`) a 64-bit product compiles to.
#[inline]
pub(crate) fn mul_wide(a: i32, b: i32) -> i64 {
    #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
    {
        mul_wide_halves(a, b)
    }
    #[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
    {
        i64::from(a) * i64::from(b)
    }
}

/// `a * b` from the 16-bit halves `a = ah * 2^16 + al`, `b = bh * 2^16 +
/// bl` (`ah`, `bh` signed, `al`, `bl` in `0..2^16`): `ah * bh` (`|.| <=
/// 2^30`), `ah * bl` and `al * bh` (each in `(-2^31, 2^31)`) and `al * bl`
/// (below `2^32`, unsigned) are 32-bit products; the rest are 64-bit shifts
/// and additions, whose partial sums stay below `2^63`.
#[inline]
#[cfg_attr(
    not(all(target_arch = "arm", not(target_has_atomic = "32"))),
    allow(dead_code)
)]
pub(crate) fn mul_wide_halves(a: i32, b: i32) -> i64 {
    let (ah, bh) = (a >> 16, b >> 16);
    let (al, bl) = (a & 0xffff, b & 0xffff);
    let hh = i64::from(ah * bh) << 32;
    let mid = (i64::from(ah * bl) + i64::from(al * bh)) << 16;
    let ll = i64::from((al as u32) * (bl as u32));
    hh + mid + ll
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn mul_wide_halves_is_exact(a in any::<i32>(), b in any::<i32>()) {
            prop_assert_eq!(super::mul_wide_halves(a, b), i64::from(a) * i64::from(b));
            prop_assert_eq!(super::mul_wide(a, b), i64::from(a) * i64::from(b));
        }
    }

    #[test]
    fn mul_wide_halves_edges() {
        let e = [
            i32::MIN,
            i32::MIN + 1,
            -65537,
            -65536,
            -65535,
            -32768,
            -1,
            0,
            1,
            32767,
            65535,
            65536,
            65537,
            i32::MAX - 1,
            i32::MAX,
        ];
        for a in e {
            for b in e {
                assert_eq!(
                    super::mul_wide_halves(a, b),
                    i64::from(a) * i64::from(b),
                    "{a} * {b}"
                );
            }
        }
    }
}

/// `x` saturated to the range of `$narrow`: one sign extension and one
/// compare when it fits (the common case), no clamp constants.
macro_rules! sat_narrow {
    ($x:expr, $narrow:ty, $wide:ty) => {{
        let x: $wide = $x;
        let t = x as $narrow;
        if <$wide>::from(t) == x {
            t
        } else {
            // x < MIN: MIN = -1 ^ MAX; x > MAX: MAX = 0 ^ MAX.
            ((x >> (<$wide>::BITS - 1)) as $narrow) ^ <$narrow>::MAX
        }
    }};
}

macro_rules! lif_fixed {
    ($t:ty, $bits:ty, $wide:ty, $mul:path) => {
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
            /// `sat(floor(a * b / 2^F))`: the exact product in the type
            /// of twice the width (`|a * b| <= 2^(2W - 2)`, so it cannot
            /// overflow), one arithmetic shift (a floor), one saturation.
            /// The same result as `fixed`'s `saturating_mul` for every
            /// pair (tested), without its overflow-checked multiply of the
            /// wide type, which cores without a long multiply (Cortex-M0)
            /// call a library routine for.
            #[inline]
            fn sat_mul(self, rhs: Self) -> Self {
                let p: $wide = $mul(self.to_bits(), rhs.to_bits());
                <$t>::from_bits(sat_narrow!(p >> Self::FRAC_BITS, $bits, $wide))
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

/// `a * b` exactly in i32 (`|a * b| <= 2^30`).
#[inline]
fn mul_i16(a: i16, b: i16) -> i32 {
    i32::from(a) * i32::from(b)
}

lif_fixed!(I16F16, i32, i64, mul_wide);
lif_fixed!(I8F8, i16, i32, mul_i16);

impl sealed::Sealed for I8F8 {
    /// `floor(a * alpha / 2^8)`: the 16 x 16-bit product in i32. With
    /// `0 <= alpha <= 2^8` it lies between 0 and `a`, so the cast is
    /// exact; another alpha truncates (never called so).
    #[inline]
    fn leak_mul(a: Self, alpha: Self) -> Self {
        let p = i32::from(a.to_bits()) * i32::from(alpha.to_bits());
        I8F8::from_bits((p >> 8) as i16)
    }
    /// `x = v + s` exactly in i32. `sat(x) >= threshold` exactly when
    /// `max(x, MIN) >= threshold` (above MAX both are at least any
    /// threshold), and below the threshold `max(x, MIN)` is `sat(x)`: one
    /// bound instead of two.
    #[inline]
    fn add_below(v: Self, s: Self, threshold: Self) -> Option<Self> {
        let x = (i32::from(v.to_bits()) + i32::from(s.to_bits())).max(i32::from(i16::MIN));
        if x >= i32::from(threshold.to_bits()) {
            None
        } else {
            // MIN <= x < threshold <= MAX: the cast is exact.
            Some(I8F8::from_bits(x as i16))
        }
    }
    /// In i32, without saturating: `d = v_rest - v`, `drive = floor(I * R
    /// / 2^8)`, `s = floor(d * alpha / 2^8) + drive` (all exact: `|d| <
    /// 2^16`, `|I * R| <= 2^30`). When `d`, `drive` and `s` all fit i16
    /// (one test of the three), none of spec §6's first three saturations
    /// acts, so `s` is `sat_add(leak, drive)` and [`Self::add_below`]
    /// finishes the step; otherwise [`integrate_ref`] computes it.
    #[inline]
    fn integrate(
        v: Self,
        input: Self,
        v_rest: Self,
        alpha: Self,
        resistance: Self,
        threshold: Self,
    ) -> Option<Self> {
        let x = i32::from(v.to_bits());
        let d = i32::from(v_rest.to_bits()) - x;
        let drive = (i32::from(input.to_bits()) * i32::from(resistance.to_bits())) >> 8;
        // |d * alpha| < 2^31, and |(d * alpha) >> 8| + |drive| < 2^24.
        let s = ((d * i32::from(alpha.to_bits())) >> 8) + drive;
        // Each of d, drive, s is in -2^15..2^15 exactly when adding 2^15
        // leaves it in 0..2^16 (a negative sum sets the high bits).
        let k = 1 << 15;
        if ((d + k) | (drive + k) | (s + k)) >> 16 != 0 {
            return integrate_slow(v, input, v_rest, alpha, resistance, threshold);
        }
        // s fits i16: the cast is exact.
        Self::add_below(v, I8F8::from_bits(s as i16), threshold)
    }
    /// With `|v_rest| < 2^13` (once per call), a neuron that is not
    /// refractory, has `|v| < 2^13` and `|floor(I * R / 2^8)| < 2^13`
    /// (one test of both) steps as `v' = floor((v * (2^8 - alpha) +
    /// v_rest * alpha) / 2^8) + floor(I * R / 2^8)` in i32, and spikes if
    /// `v' >= threshold`. This is spec §6 exactly: `d = v_rest - v` fits
    /// (`|d| < 2^14`), so `v + leak = v + floor(d * alpha / 2^8)` (exactly
    /// the first term, as `2^8 v` is a whole multiple of `2^8`) lies
    /// between `v` and `v_rest`; `|leak + drive| < 2^15` and `|v'| < 2^14`,
    /// so no saturation acts. Every other neuron (refractory, or past those
    /// bounds) takes [`super::LifParams::step`]. The loop needs few
    /// registers (a Cortex-M0 has 7 for it) and no saturation test.
    #[inline]
    fn step_word<W: crate::word::Word>(
        p: &LifParams<Self>,
        v: &mut [Self],
        refractory: &mut [u16],
        input: &[Self],
    ) -> W {
        const H: i32 = 1 << 13;
        let raw = |x: I8F8| i32::from(x.to_bits());
        let alpha = raw(p.alpha);
        let (beta, base) = (256 - alpha, raw(p.v_rest) * alpha);
        let (res, thr) = (raw(p.resistance), raw(p.threshold));
        // alpha in (0, 2^8] (LifParams::new) and |v_rest| < 2^13: base
        // and every product below fit i32 easily.
        let fast = (raw(p.v_rest) + H) >> 14 == 0 && (0..=256).contains(&alpha);
        let mut w = W::ZERO;
        let m = v.len().min(W::BITS);
        for (b, ((v, r), &c)) in v[..m]
            .iter_mut()
            .zip(refractory.iter_mut())
            .zip(input)
            .enumerate()
        {
            let x = raw(*v);
            let drive = (raw(c) * res) >> 8;
            let spike = if *r == 0 && fast && ((x + H) | (drive + H)) >> 14 == 0 {
                let nv = ((x * beta + base) >> 8) + drive;
                if nv >= thr {
                    *v = p.v_reset;
                    *r = p.refractory;
                    true
                } else {
                    // |nv| < 2^14: the cast is exact.
                    *v = I8F8::from_bits(nv as i16);
                    false
                }
            } else {
                step_cold(p, v, r, c)
            };
            if spike {
                w = w | W::bit(b);
            }
        }
        w
    }
}

/// [`LifParams::step`] out of line: the neurons that the fast Q8.8 loop
/// leaves to the definition, kept out of its registers.
#[cold]
#[inline(never)]
fn step_cold(p: &LifParams<I8F8>, v: &mut I8F8, r: &mut u16, c: I8F8) -> bool {
    p.step(v, r, c)
}

impl sealed::Sealed for I16F16 {
    /// For `0 <= alpha < 2^16` (alpha below 1): with `a = ah * 2^16 + al`
    /// (`ah` signed, `al` in `0..2^16`), `floor(a * alpha / 2^16) = ah *
    /// alpha + floor(al * alpha / 2^16)`, where `|ah * alpha| < 2^31` and
    /// `al * alpha < 2^32`: two 32-bit multiplies instead of a 64-bit one
    /// (a library call on Cortex-M0), and the exact sum lies between 0 and
    /// `a`, so it fits. `alpha = 2^16` gives `a`; another alpha takes
    /// [`LifFixed::sat_mul`].
    #[inline]
    fn leak_mul(a: Self, alpha: Self) -> Self {
        let (x, al) = (a.to_bits(), alpha.to_bits());
        match u32::try_from(al) {
            Ok(m) if m < 1 << 16 => {
                let hi = (x >> 16) * al;
                let lo = ((x as u32 & 0xffff) * m) >> 16;
                // lo < 2^16: the cast is exact; the exact sum fits i32.
                I16F16::from_bits(hi + lo as i32)
            }
            Ok(m) if m == 1 << 16 => a,
            _ => a.sat_mul(alpha),
        }
    }
    #[inline]
    fn add_below(v: Self, s: Self, threshold: Self) -> Option<Self> {
        let x = v.sat_add(s);
        (x < threshold).then_some(x)
    }
}

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
        // Spec §6's leak, drive and sum (alpha is in (0, 1], checked by
        // `new`): integrate_ref, or the format's faster form of it.
        let (a, r, t) = (self.alpha, self.resistance, self.threshold);
        match F::integrate(*v, input, self.v_rest, a, r, t) {
            Some(nv) => {
                *v = nv;
                false
            }
            None => {
                *v = self.v_reset;
                *refractory = self.refractory;
                true
            }
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
