//! Full-precision LIF population step: the seed's equation
//! `dv = (v_rest - v) * alpha + I * R + noise`, then spike when
//! `v >= threshold`, reset to `v_reset`, optional refractory steps. The
//! same order as the fixed-point kernel (spec §6), in `f32` or `f64`.

use sc_kernel::neuron::Neuron;
use sc_kernel::Error as KernelError;

use crate::real::Real;

/// Invalid parameters or inputs of the float LIF model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FloatLifError {
    /// A scalar parameter is NaN or infinite.
    #[error("parameter `{0}` must be finite")]
    NotFinite(&'static str),
    /// A parameter outside its range.
    #[error("parameter `{name}` is {value}; allowed: {allowed}")]
    Range {
        /// Name.
        name: &'static str,
        /// Value given.
        value: f64,
        /// What is allowed.
        allowed: &'static str,
    },
    /// Slices of different lengths.
    #[error("`{name}` has {found} elements, the population has {expected}")]
    Shape {
        /// Which slice.
        name: &'static str,
        /// Population size.
        expected: usize,
        /// Its length.
        found: usize,
    },
    /// A non-finite input current or noise value.
    #[error("`{name}`[{index}] is not finite")]
    NonFiniteInput {
        /// Which slice.
        name: &'static str,
        /// Position.
        index: usize,
    },
}

/// Validated float LIF parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatLifParams<T: Real> {
    /// Resting potential.
    pub v_rest: T,
    /// Reset potential.
    pub v_reset: T,
    /// Threshold (> v_reset).
    pub threshold: T,
    /// Leak per step, in (0, 1].
    pub alpha: T,
    /// Input resistance (> 0).
    pub resistance: T,
    /// Refractory steps.
    pub refractory: u16,
}

impl<T: Real> FloatLifParams<T> {
    /// Validate like the seed: finite scalars, `0 < alpha <= 1`,
    /// `resistance > 0`, `threshold > v_reset`.
    pub fn new(
        v_rest: T,
        v_reset: T,
        threshold: T,
        alpha: T,
        resistance: T,
        refractory: u16,
    ) -> Result<Self, FloatLifError> {
        for (name, x) in [
            ("v_rest", v_rest),
            ("v_reset", v_reset),
            ("threshold", threshold),
            ("alpha", alpha),
            ("resistance", resistance),
        ] {
            if !x.is_finite() {
                return Err(FloatLifError::NotFinite(name));
            }
        }
        if !(alpha > T::ZERO && alpha <= T::ONE) {
            return Err(FloatLifError::Range {
                name: "alpha",
                value: alpha.f64(),
                allowed: "0 < alpha <= 1",
            });
        }
        if resistance <= T::ZERO {
            return Err(FloatLifError::Range {
                name: "resistance",
                value: resistance.f64(),
                allowed: "resistance > 0",
            });
        }
        if threshold <= v_reset {
            return Err(FloatLifError::Range {
                name: "threshold",
                value: threshold.f64(),
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

    /// Step a population; `noise` (optional) is added to `dv`. Returns the
    /// number of spikes; `spikes[k]` is neuron `k`'s.
    pub fn step_population(
        &self,
        v: &mut [T],
        refractory: &mut [u16],
        input: &[T],
        noise: Option<&[T]>,
        spikes: &mut [bool],
    ) -> Result<usize, FloatLifError> {
        let n = v.len();
        let shape = |name, found: usize| {
            if found == n {
                Ok(())
            } else {
                Err(FloatLifError::Shape {
                    name,
                    expected: n,
                    found,
                })
            }
        };
        shape("refractory", refractory.len())?;
        shape("input", input.len())?;
        shape("spikes", spikes.len())?;
        if let Some(z) = noise {
            shape("noise", z.len())?;
            if let Some(index) = z.iter().position(|x| !x.is_finite()) {
                return Err(FloatLifError::NonFiniteInput {
                    name: "noise",
                    index,
                });
            }
        }
        if let Some(index) = input.iter().position(|x| !x.is_finite()) {
            return Err(FloatLifError::NonFiniteInput {
                name: "input",
                index,
            });
        }
        let mut count = 0;
        for k in 0..n {
            spikes[k] = self.step(&mut v[k], &mut refractory[k], input[k], noise.map(|z| z[k]));
            count += usize::from(spikes[k]);
        }
        Ok(count)
    }

    /// One step of one neuron (`noise`, if any, is added to `dv`); returns
    /// whether it spiked. The order of spec §6, in `T`.
    #[inline]
    pub fn step(&self, v: &mut T, refractory: &mut u16, input: T, noise: Option<T>) -> bool {
        if *refractory > 0 {
            *refractory -= 1;
            *v = self.v_reset;
            return false;
        }
        let mut dv = (self.v_rest - *v) * self.alpha + input * self.resistance;
        if let Some(z) = noise {
            dv += z;
        }
        let nv = *v + dv;
        if nv >= self.threshold {
            *v = self.v_reset;
            *refractory = self.refractory;
            true
        } else {
            *v = nv;
            false
        }
    }
}

/// The float LIF as a network layer's neuron model (the "SC + float LIF"
/// rows): the count of a layer with stream length `L` and gain `G` gives
/// the current `c * G / L` in `f64` (no flooring, no saturation), and the
/// neurons step in `f64` without noise.
impl Neuron for FloatLifParams<f64> {
    type State = f64;
    type Current = f64;

    fn rest(&self) -> f64 {
        self.v_rest
    }

    fn counts_to_current(
        &self,
        counts: &[i32],
        len: usize,
        gain: f64,
        current: &mut [f64],
    ) -> Result<(), KernelError> {
        if counts.len() != current.len() {
            return Err(KernelError::LengthMismatch {
                expected: counts.len(),
                found: current.len(),
            });
        }
        if len == 0 {
            return Err(KernelError::EmptyStream);
        }
        for (o, &c) in current.iter_mut().zip(counts) {
            *o = c as f64 * gain / len as f64;
        }
        Ok(())
    }

    fn step_neuron(&self, v: &mut f64, refractory: &mut u16, current: f64) -> bool {
        self.step(v, refractory, current, None)
    }

    fn check_currents(&self, current: &[f64]) -> Result<(), KernelError> {
        if current.iter().any(|x| !x.is_finite()) {
            return Err(KernelError::InvalidParameter {
                name: "current",
                allowed: "finite input currents",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_like_the_seed() {
        assert!(matches!(
            FloatLifParams::<f64>::new(0.0, 0.0, 1.0, 0.0, 1.0, 0),
            Err(FloatLifError::Range { name: "alpha", .. })
        ));
        assert!(matches!(
            FloatLifParams::<f32>::new(0.0, 0.0, 1.0, 0.5, -1.0, 0),
            Err(FloatLifError::Range {
                name: "resistance",
                ..
            })
        ));
        assert_eq!(
            FloatLifParams::<f64>::new(f64::NAN, 0.0, 1.0, 0.5, 1.0, 0),
            Err(FloatLifError::NotFinite("v_rest"))
        );
        let p = FloatLifParams::<f64>::new(0.0, 0.0, 1.0, 0.5, 1.0, 1).unwrap();
        let (mut v, mut r, mut s) = (vec![0.0; 2], vec![0; 2], vec![false; 2]);
        assert!(matches!(
            p.step_population(&mut v, &mut r, &[1.0], None, &mut s),
            Err(FloatLifError::Shape {
                name: "input",
                expected: 2,
                found: 1
            })
        ));
        assert!(p
            .step_population(&mut v, &mut r, &[1.0, f64::INFINITY], None, &mut s)
            .is_err());
        assert_eq!(
            p.step_population(&mut v, &mut r, &[1.0, 0.5], Some(&[0.0, 0.25]), &mut s)
                .unwrap(),
            1
        );
        assert_eq!(s, vec![true, false]);
        assert_eq!(v, vec![0.0, 0.75]);
        assert_eq!(r, vec![1, 0]);
    }
}
