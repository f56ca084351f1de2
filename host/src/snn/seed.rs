//! The seed's JAX SNN functions (`sc_neurocore.accel.jax_backend`, see
//! `../shared/seed/`) with their names and equations, batched over
//! samples (rows) and run on the CPU in `f32` or `f64`.
//!
//! - [`jax_lif_step`]: `dv = (v_rest - v) * alpha + I_t * R + noise`,
//!   `v' = v + dv`, a spike where `v' >= v_threshold`, and there `v' =
//!   v_reset`. Noise comes from [`Noise`] (seeded, deterministic).
//! - [`jax_forward_pass`]: layer by layer, every layer runs `n_steps`
//!   steps on a constant input (the samples `x` for layer 0, the previous
//!   layer's mean firing rate after that): `v = alpha * v + r W^T`,
//!   `s = H(v - v_threshold)`, `v = v_reset` where `s = 1`, from `v =
//!   v_rest`.
//! - [`jax_surrogate_loss`]: cross-entropy between the targets and the
//!   softmax of the last layer's mean firing rates (the logits), with
//!   `alpha = 0.9`, `v_rest = v_reset = 0`, in one of two
//!   [`SurrogatePath`]s.
//! - [`jax_surrogate_gradient_step`]: `W -= lr * dL/dW` (SGD).
//!
//! The seed's page lists the public functions, not the private loss
//! bodies; this module defines them as follows, and the gradient checks
//! test exactly this. Both paths run hard spikes forward and detach the
//! reset (`v = v_reset` where `s = 1` passes no gradient through `s`,
//! as `jnp.where` does); they differ in the pseudo-derivative `H'(d)`,
//! `d = v - threshold` ([`Surrogate`]):
//! [`SurrogatePath::CustomVjp`] the fast sigmoid's `beta / (2 (1 + beta
//! |d|)^2)`, [`SurrogatePath::LegacyStopGradient`] the straight-through
//! logistic `beta sigma(beta d) (1 - sigma(beta d))`. Each is the exact
//! gradient of a smoothed objective ([`Forward::Smoothed`]): the same
//! loss with every spike that feeds a rate replaced by the smooth function
//! (the reset mask stays the hard step).
//!
//! Conventions against the project's own model ([`super::Snn`]):
//!
//! | | seed (this module) | project (`snn`, spec §6) |
//! |---|---|---|
//! | `alpha` | keep factor: `v = alpha v + I` | leak: `u = (1 - alpha) a + I` |
//! | `jax_lif_step` `alpha` | leak: `dv = (v_rest - v) alpha` | the same (`lif_float`) |
//! | between layers | mean rate of all steps, layer after layer | spikes, step by step |
//! | readout | softmax of the mean rates | softmax of `kappa` x counts |
//! | `beta` | surrogate slope | the same |
//! | bias | none | optional bias input ([`super::SnnConfig::bias`]) |
//!
//! So a seed forward pass with `alpha = 0.9` is the project's
//! `alpha = 0.1`. Where the seed's listing writes `v = alpha * v * (1 -
//! v_reset) + current` (a factor that is 1 for the default `v_reset = 0`,
//! and scales the memory by `1 - v_reset` otherwise, unlike its own
//! docstring `v = alpha v (1 - s) + W s`), this module follows the
//! docstring: the memory is `alpha * v` for any `v_reset`.

use rayon::prelude::*;

use super::{softmax_terms, Surrogate};
use crate::cpu::Kernels;
use crate::limits;
use crate::real::Real;

/// Samples per rayon task in the batched functions.
const CHUNK: usize = 16;

/// Invalid arguments of the seed's functions; each names the argument.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeedError {
    /// A scalar outside its range.
    #[error("`{name}` is {value}; allowed: {allowed}")]
    Scalar {
        /// The argument.
        name: &'static str,
        /// Its value.
        value: f64,
        /// What is allowed.
        allowed: &'static str,
    },
    /// An array of the wrong shape.
    #[error("`{name}` has shape {found}; expected {expected}")]
    Shape {
        /// The argument.
        name: String,
        /// The shape it needs.
        expected: String,
        /// The shape it has.
        found: String,
    },
    /// A non-finite (or, for targets, negative) element.
    #[error("`{name}`[{index}] is {value}; allowed: {allowed}")]
    Value {
        /// The argument.
        name: String,
        /// Flat (row-major) index.
        index: usize,
        /// The value.
        value: f64,
        /// What is allowed.
        allowed: &'static str,
    },
    /// A buffer over the allocation limit.
    #[error(transparent)]
    Limit(#[from] limits::LimitError),
}

/// A row-major matrix: `rows x cols` values, row `r` at `data[r * cols..]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<T> {
    /// Rows (samples, or a weight matrix's output neurons).
    pub rows: usize,
    /// Columns (features, or a weight matrix's inputs).
    pub cols: usize,
    /// `rows * cols` values.
    pub data: Vec<T>,
}

impl<T: Real> Matrix<T> {
    /// A matrix from its values; an error names `name` if `data` does not
    /// hold `rows * cols` values.
    pub fn new(name: &str, rows: usize, cols: usize, data: Vec<T>) -> Result<Self, SeedError> {
        values_for(name, rows, cols, data.len())?;
        Ok(Self { rows, cols, data })
    }

    /// A zero matrix (checked against the allocation limit).
    pub fn zeros(name: &str, rows: usize, cols: usize) -> Result<Self, SeedError> {
        let n = rows.saturating_mul(cols);
        Ok(Self {
            rows,
            cols,
            data: limits::try_vec(name, n, T::ZERO)?,
        })
    }

    /// This matrix, borrowed.
    pub fn view(&self) -> MatrixRef<'_, T> {
        MatrixRef {
            rows: self.rows,
            cols: self.cols,
            data: &self.data,
        }
    }
}

/// A borrowed row-major matrix: `rows x cols` values, row `r` at
/// `data[r * cols..]` (for instance another library's array, used without
/// a copy). The functions check that `data` holds `rows * cols` values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatrixRef<'a, T> {
    /// Rows (samples, or a weight matrix's output neurons).
    pub rows: usize,
    /// Columns (features, or a weight matrix's inputs).
    pub cols: usize,
    /// `rows * cols` values.
    pub data: &'a [T],
}

/// A matrix the functions read: a [`Matrix`] or a [`MatrixRef`].
pub trait AsMatrix<T> {
    /// The matrix, borrowed.
    fn as_matrix(&self) -> MatrixRef<'_, T>;
}

impl<T: Real> AsMatrix<T> for Matrix<T> {
    fn as_matrix(&self) -> MatrixRef<'_, T> {
        self.view()
    }
}

impl<T: Real> AsMatrix<T> for MatrixRef<'_, T> {
    fn as_matrix(&self) -> MatrixRef<'_, T> {
        *self
    }
}

/// An error naming `name` unless `len` is `rows * cols`.
fn values_for(name: &str, rows: usize, cols: usize, len: usize) -> Result<(), SeedError> {
    if rows.checked_mul(cols) == Some(len) {
        return Ok(());
    }
    Err(SeedError::Shape {
        name: name.into(),
        expected: format!("{rows} x {cols} ({} values)", rows.saturating_mul(cols)),
        found: format!("{len} values"),
    })
}

impl<T, M: AsMatrix<T> + ?Sized> AsMatrix<T> for &M {
    fn as_matrix(&self) -> MatrixRef<'_, T> {
        (**self).as_matrix()
    }
}

/// Each of `ms` borrowed.
fn views<T: Real, M: AsMatrix<T>>(ms: &[M]) -> Vec<MatrixRef<'_, T>> {
    ms.iter().map(AsMatrix::as_matrix).collect()
}

impl<'a, T: Real> MatrixRef<'a, T> {
    /// A borrowed matrix; an error names `name` if `data` does not hold
    /// `rows * cols` values.
    pub fn new(name: &str, rows: usize, cols: usize, data: &'a [T]) -> Result<Self, SeedError> {
        values_for(name, rows, cols, data.len())?;
        Ok(Self { rows, cols, data })
    }

    /// Row `r` (`r < rows`; the shapes are checked before any use).
    fn row(&self, r: usize) -> &'a [T] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// `rows x cols`, and the data's length when it is not `rows * cols`.
    fn shape(&self) -> String {
        if self.rows.checked_mul(self.cols) == Some(self.data.len()) {
            format!("{} x {}", self.rows, self.cols)
        } else {
            format!(
                "{} x {} with {} values",
                self.rows,
                self.cols,
                self.data.len()
            )
        }
    }

    fn check_finite(&self, name: &str) -> Result<(), SeedError> {
        finite(name, self.data)
    }
}

fn finite<T: Real>(name: &str, v: &[T]) -> Result<(), SeedError> {
    match v.iter().position(|x| !x.is_finite()) {
        Some(index) => Err(SeedError::Value {
            name: name.into(),
            index,
            value: v[index].f64(),
            allowed: "finite",
        }),
        None => Ok(()),
    }
}

/// [`scalar`], and the value must stay finite (and, if `positive`, above
/// 0) once converted to `T` (`1e300` is infinite in `f32`).
fn scalar_in<T: Real>(name: &'static str, x: f64, positive: bool) -> Result<(), SeedError> {
    scalar(name, x, positive)?;
    let t = T::of(x);
    if !t.is_finite() || (positive && t <= T::ZERO) {
        return Err(SeedError::Scalar {
            name,
            value: x,
            allowed: "within the float type's range (f32: about 1.2e-38 ..= 3.4e38)",
        });
    }
    Ok(())
}

fn scalar(name: &'static str, x: f64, positive: bool) -> Result<(), SeedError> {
    let ok = x.is_finite() && (!positive || x > 0.0);
    if ok {
        Ok(())
    } else {
        Err(SeedError::Scalar {
            name,
            value: x,
            allowed: if positive { "> 0 and finite" } else { "finite" },
        })
    }
}

/// Gaussian noise from a seeded, deterministic source (SplitMix64 and
/// the Box-Muller transform, in `f64`, rounded to `T` at the end): the
/// same seed gives the same sequence every run. The uniform draws are
/// bit-identical everywhere; `ln`, `sin` and `cos` come from the
/// platform's math library, so another platform may differ in the last
/// bits.
#[derive(Debug, Clone)]
pub struct Noise {
    rng: sc_kernel::rng::SplitMix64,
    sigma: f64,
    spare: Option<f64>,
}

impl Noise {
    /// Noise of standard deviation `sigma` (>= 0, finite; the unit of the
    /// membrane potential) from `seed`.
    pub fn new(seed: u64, sigma: f64) -> Result<Self, SeedError> {
        if !(sigma.is_finite() && sigma >= 0.0) {
            return Err(SeedError::Scalar {
                name: "sigma",
                value: sigma,
                allowed: ">= 0 and finite",
            });
        }
        Ok(Self {
            rng: sc_kernel::rng::SplitMix64::new(seed),
            sigma,
            spare: None,
        })
    }

    fn uniform(&mut self) -> f64 {
        // (0, 1]: 53 random bits, never 0 (ln is finite).
        ((self.rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// The next value.
    pub fn next_value(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z * self.sigma;
        }
        let (u1, u2) = (self.uniform(), self.uniform());
        let r = (-2.0 * u1.ln()).sqrt();
        let th = 2.0 * std::f64::consts::PI * u2;
        self.spare = Some(r * th.sin());
        r * th.cos() * self.sigma
    }

    /// Fill `out` with the next values.
    pub fn fill<T: Real>(&mut self, out: &mut [T]) {
        for o in out {
            *o = T::of(self.next_value());
        }
    }
}

/// The seed's `jax_lif_step(v, I_t, v_rest, v_reset, v_threshold, alpha,
/// resistance, noise)` on a population (any flat shape): `dv = (v_rest -
/// v) * alpha + I_t * resistance + noise`, `v' = v + dv`, spike where
/// `v' >= v_threshold`, there `v' = v_reset`. Returns `(v', spikes)`, spikes
/// as 0/1. The seed's guards: finite `v_rest`, `v_reset`, `v_threshold`;
/// `alpha` and `resistance` > 0 and finite; `I_t` and `noise` of `v`'s
/// length; every element finite. [`jax_lif_step_into`] writes into the
/// caller's buffers.
#[allow(clippy::too_many_arguments)] // the seed's signature
pub fn jax_lif_step<T: Real>(
    v: &[T],
    i_t: &[T],
    v_rest: T,
    v_reset: T,
    v_threshold: T,
    alpha: T,
    resistance: T,
    noise: &[T],
) -> Result<(Vec<T>, Vec<T>), SeedError> {
    let lif = LifStepParams {
        v_rest,
        v_reset,
        v_threshold,
        alpha,
        resistance,
    };
    check_lif_step(v, i_t, noise, &lif)?;
    // As large as `v`, which exists: no limit to check.
    let (mut out, mut spikes) = (vec![T::ZERO; v.len()], vec![T::ZERO; v.len()]);
    jax_lif_step_into(v, i_t, noise, &lif, &mut out, &mut spikes)?;
    Ok((out, spikes))
}

/// The scalars of [`jax_lif_step_into`] (the seed's `jax_lif_step`
/// arguments of the same names). Potentials are in the units of `v`,
/// currents in those of `I_t`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LifStepParams<T> {
    /// Resting potential (finite).
    pub v_rest: T,
    /// Potential after a spike (finite).
    pub v_reset: T,
    /// Firing threshold (finite).
    pub v_threshold: T,
    /// Leak: the fraction of `v_rest - v` added per step (> 0, finite).
    pub alpha: T,
    /// Input resistance: potential per unit of `I_t` (> 0, finite).
    pub resistance: T,
}

/// Neurons per rayon task of [`jax_lif_step_into`].
const LIF_CHUNK: usize = 1 << 14;

/// [`jax_lif_step`] into the caller's `v_new` and `spikes` (both of `v`'s
/// length, else a [`SeedError::Shape`] naming them): the same values, and
/// the same guards and errors in the same order. Branchless, neurons in
/// parallel (rayon's current pool, blocks of 16384), each element's
/// finiteness checked in the same pass; on an error the outputs hold no
/// meaningful values.
pub fn jax_lif_step_into<T: Real>(
    v: &[T],
    i_t: &[T],
    noise: &[T],
    p: &LifStepParams<T>,
    v_new: &mut [T],
    spikes: &mut [T],
) -> Result<(), SeedError> {
    check_lif_step(v, i_t, noise, p)?;
    same_len(v, [("v_new", v_new.len()), ("spikes", spikes.len())])?;
    let p = *p;
    let all_finite = v_new
        .par_chunks_mut(LIF_CHUNK)
        .zip(spikes.par_chunks_mut(LIF_CHUNK))
        .zip(v.par_chunks(LIF_CHUNK))
        .zip(i_t.par_chunks(LIF_CHUNK))
        .zip(noise.par_chunks(LIF_CHUNK))
        .map(|((((o, s), v), i), n)| lif_block(&p, v, i, n, o, s))
        .reduce(|| true, |a, b| a & b);
    if !all_finite {
        // The seed's order: the first non-finite element of `v`, then of
        // `I_t`, then of `noise`.
        finite("v", v)?;
        finite("I_t", i_t)?;
        finite("noise", noise)?;
    }
    Ok(())
}

/// The scalar and length guards of [`jax_lif_step_into`] (not the
/// elements').
fn check_lif_step<T: Real>(
    v: &[T],
    i_t: &[T],
    noise: &[T],
    p: &LifStepParams<T>,
) -> Result<(), SeedError> {
    scalar("v_rest", p.v_rest.f64(), false)?;
    scalar("v_reset", p.v_reset.f64(), false)?;
    scalar("v_threshold", p.v_threshold.f64(), false)?;
    scalar("alpha", p.alpha.f64(), true)?;
    scalar("resistance", p.resistance.f64(), true)?;
    same_len(v, [("I_t", i_t.len()), ("noise", noise.len())])
}

/// An error naming the first of `lens` that is not `v`'s length.
fn same_len<T>(v: &[T], lens: [(&str, usize); 2]) -> Result<(), SeedError> {
    match lens.into_iter().find(|&(_, n)| n != v.len()) {
        Some((name, n)) => Err(SeedError::Shape {
            name: name.into(),
            expected: format!("({},) like `v`", v.len()),
            found: format!("({n},)"),
        }),
        None => Ok(()),
    }
}

/// One block of [`jax_lif_step_into`], without branches on the data;
/// whether every input element is finite.
#[inline]
fn lif_block<T: Real>(
    p: &LifStepParams<T>,
    v: &[T],
    i_t: &[T],
    noise: &[T],
    v_new: &mut [T],
    spikes: &mut [T],
) -> bool {
    let mut ok = true;
    for ((((o, s), &v), &i), &n) in v_new.iter_mut().zip(spikes).zip(v).zip(i_t).zip(noise) {
        ok &= v.is_finite() & i.is_finite() & n.is_finite();
        let dv = (p.v_rest - v) * p.alpha + i * p.resistance + n;
        let nv = v + dv;
        let fired = nv >= p.v_threshold;
        *o = if fired { p.v_reset } else { nv };
        *s = if fired { T::ONE } else { T::ZERO };
    }
    ok
}

/// Membrane parameters of [`jax_forward_pass`] (the seed's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ForwardParams {
    /// Initial membrane potential (finite; default 0).
    pub v_rest: f64,
    /// Potential after a spike (finite; default 0).
    pub v_reset: f64,
    /// Firing threshold (finite; default 1).
    pub v_threshold: f64,
    /// Keep factor per step, `v = alpha v + I` (> 0, finite; default 0.9;
    /// the project's leak is `1 - alpha`).
    pub alpha: f64,
}

impl Default for ForwardParams {
    fn default() -> Self {
        Self {
            v_rest: 0.0,
            v_reset: 0.0,
            v_threshold: 1.0,
            alpha: 0.9,
        }
    }
}

impl ForwardParams {
    fn validate(&self) -> Result<(), SeedError> {
        scalar("v_rest", self.v_rest, false)?;
        scalar("v_reset", self.v_reset, false)?;
        scalar("v_threshold", self.v_threshold, false)?;
        scalar("alpha", self.alpha, true)
    }
}

/// What [`jax_forward_pass`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardPass<T> {
    /// Per layer, its spikes (0/1), `n_steps x batch x n_out` row-major
    /// (the seed's `jnp.stack(layer_spikes)`).
    pub spikes: Vec<Vec<T>>,
    /// Per layer, its mean firing rate over the steps, `batch x n_out`
    /// (the input of the next layer; the last one is the readout).
    pub rates: Vec<Matrix<T>>,
    /// The last layer's membrane potentials after the last step, `batch x
    /// n_out`.
    pub v: Matrix<T>,
}

/// How spikes are formed in the forward pass of the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forward {
    /// Hard spikes `H(v - threshold)`: the seed's loss.
    Hard,
    /// The surrogate's smooth function in place of every spike that feeds
    /// a rate: the objective whose exact gradient the surrogate path is
    /// (for gradient checks).
    Smoothed,
}

/// The seed's two gradient paths of `jax_surrogate_loss`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurrogatePath {
    /// `"custom_vjp"`: hard spikes forward, fast-sigmoid pseudo-derivative
    /// backward.
    CustomVjp,
    /// `"legacy_stop_gradient"`: hard spikes forward, straight-through
    /// logistic pseudo-derivative (`sigma + stop_gradient(H - sigma)`).
    LegacyStopGradient,
}

impl SurrogatePath {
    /// The seed's name of the path.
    pub fn name(self) -> &'static str {
        match self {
            Self::CustomVjp => "custom_vjp",
            Self::LegacyStopGradient => "legacy_stop_gradient",
        }
    }

    /// The path of a seed name (`"custom_vjp"`, `"legacy_stop_gradient"`).
    pub fn parse(name: &str) -> Result<Self, SeedError> {
        match name {
            "custom_vjp" => Ok(Self::CustomVjp),
            "legacy_stop_gradient" => Ok(Self::LegacyStopGradient),
            _ => Err(SeedError::Shape {
                name: "surrogate_path".into(),
                expected: "\"custom_vjp\" or \"legacy_stop_gradient\"".into(),
                found: format!("{name:?}"),
            }),
        }
    }

    /// Its pseudo-derivative.
    pub fn surrogate(self) -> Surrogate {
        match self {
            Self::CustomVjp => Surrogate::FastSigmoid,
            Self::LegacyStopGradient => Surrogate::StraightThrough,
        }
    }
}

/// Parameters of [`jax_surrogate_loss`] (the seed's defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossParams {
    /// Time steps per layer, >= 1 (default 25).
    pub n_steps: usize,
    /// Surrogate slope, > 0 (default 10).
    pub beta: f64,
    /// Firing threshold, finite (default 1).
    pub threshold: f64,
    /// The gradient path (default `custom_vjp`).
    pub path: SurrogatePath,
    /// Keep factor per step, > 0. Not an argument of the seed's loss,
    /// which runs the forward pass's default 0.9 (the default here).
    pub alpha: f64,
}

impl Default for LossParams {
    fn default() -> Self {
        Self {
            n_steps: 25,
            beta: 10.0,
            threshold: 1.0,
            path: SurrogatePath::CustomVjp,
            alpha: 0.9,
        }
    }
}

/// Check a network's weights against the samples: every `W_l` is
/// `n_out x n_in` with `n_in` = the previous layer's `n_out` (`x.cols`
/// for layer 0), and finite.
fn check_net<T: Real>(weights: &[MatrixRef<'_, T>], x: &MatrixRef<'_, T>) -> Result<(), SeedError> {
    if weights.is_empty() {
        return Err(SeedError::Shape {
            name: "weights".into(),
            expected: "at least one layer".into(),
            found: "no layers".into(),
        });
    }
    if x.rows == 0 || x.cols == 0 || x.rows.checked_mul(x.cols) != Some(x.data.len()) {
        return Err(SeedError::Shape {
            name: "x".into(),
            expected: "batch x n_in, batch >= 1, n_in >= 1".into(),
            found: x.shape(),
        });
    }
    let mut n_in = x.cols;
    for (l, w) in weights.iter().enumerate() {
        if w.cols != n_in || w.rows == 0 || w.rows.checked_mul(w.cols) != Some(w.data.len()) {
            return Err(SeedError::Shape {
                name: format!("weights[{l}]"),
                expected: format!("n_out x {n_in} (n_out >= 1)"),
                found: w.shape(),
            });
        }
        w.check_finite(&format!("weights[{l}]"))?;
        n_in = w.rows;
    }
    x.check_finite("x")
}

/// `out[b][j] = dot(x[b], w[j])` for a block of rows of `x`, on the CPU's
/// widest float kernel ([`Kernels::gemm_nt`]: the same sums at every
/// level).
fn matmul_t<T: Real>(x: &[T], n_in: usize, w: &MatrixRef<'_, T>, out: &mut [T]) {
    Kernels::best().gemm_nt(x, w.data, n_in, w.rows, out);
}

/// The seed's `jax_forward_pass(weights, x, n_steps, v_rest, v_reset,
/// v_threshold, alpha)`: `weights[l]` is `n_out x n_in` (the seed's `W`,
/// `current = spikes @ W.T`), `x` is `batch x n_in` (constant inputs,
/// usually rates in `[0, 1]`). Samples run in parallel (rayon, blocks of
/// 16 rows).
pub fn jax_forward_pass<T: Real>(
    weights: &[impl AsMatrix<T>],
    x: &impl AsMatrix<T>,
    n_steps: usize,
    p: &ForwardParams,
) -> Result<ForwardPass<T>, SeedError> {
    let (weights, x) = (views(weights), x.as_matrix());
    p.validate()?;
    check_net(&weights, &x)?;
    if n_steps == 0 {
        return Err(SeedError::Scalar {
            name: "n_steps",
            value: 0.0,
            allowed: ">= 1",
        });
    }
    let batch = x.rows;
    let (alpha, v_rest, v_reset, th) = (
        T::of(p.alpha),
        T::of(p.v_rest),
        T::of(p.v_reset),
        T::of(p.v_threshold),
    );
    let mut spikes_all = Vec::with_capacity(weights.len());
    let mut rates_all: Vec<Matrix<T>> = Vec::with_capacity(weights.len());
    let mut v_last = Matrix::zeros("v", 0, 0)?;
    for w in &weights {
        let n_out = w.rows;
        let per_step = batch.saturating_mul(n_out);
        let mut spikes = limits::try_vec(
            "n_steps x batch x n_out spikes",
            per_step.saturating_mul(n_steps),
            T::ZERO,
        )?;
        let mut rate = Matrix::zeros("rates", batch, n_out)?;
        let mut v = Matrix::zeros("v", batch, n_out)?;
        let input = rates_all.last().map_or(x, Matrix::view);
        let n_in = input.cols;
        let inv_t = T::ONE / T::of(n_steps as f64);
        // Per block of samples: current, then the steps. Spikes are
        // written per block into a samples-major scratch, then scattered
        // to the seed's step-major layout.
        let blocks: Vec<(Vec<T>, Vec<T>, Vec<T>)> = input
            .data
            .par_chunks(CHUNK * n_in)
            .map(|xb| {
                let rows = xb.len() / n_in;
                let mut cur = vec![T::ZERO; rows * n_out];
                matmul_t(xb, n_in, w, &mut cur);
                let mut vb = vec![v_rest; rows * n_out];
                let mut sb = vec![T::ZERO; n_steps * rows * n_out];
                let mut rb = vec![T::ZERO; rows * n_out];
                for t in 0..n_steps {
                    let st = &mut sb[t * rows * n_out..(t + 1) * rows * n_out];
                    // Branchless (spikes are unpredictable): selects.
                    for (((v, &c), sk), r) in vb
                        .iter_mut()
                        .zip(&cur)
                        .zip(st.iter_mut())
                        .zip(rb.iter_mut())
                    {
                        let u = alpha * *v + c;
                        let fired = u >= th;
                        *sk = if fired { T::ONE } else { T::ZERO };
                        *r += *sk;
                        *v = if fired { v_reset } else { u };
                    }
                }
                rb.iter_mut().for_each(|r| *r *= inv_t);
                (sb, rb, vb)
            })
            .collect();
        for (bi, (sb, rb, vb)) in blocks.into_iter().enumerate() {
            let r0 = bi * CHUNK;
            let rows = rb.len() / n_out;
            for t in 0..n_steps {
                let dst = t * per_step + r0 * n_out;
                spikes[dst..dst + rows * n_out]
                    .copy_from_slice(&sb[t * rows * n_out..(t + 1) * rows * n_out]);
            }
            rate.data[r0 * n_out..(r0 + rows) * n_out].copy_from_slice(&rb);
            v.data[r0 * n_out..(r0 + rows) * n_out].copy_from_slice(&vb);
        }
        spikes_all.push(spikes);
        rates_all.push(rate);
        v_last = v;
    }
    Ok(ForwardPass {
        spikes: spikes_all,
        rates: rates_all,
        v: v_last,
    })
}

/// One-hot targets (`labels.len() x classes`); an error names the first
/// label not in `0..classes`.
pub fn one_hot<T: Real>(labels: &[usize], classes: usize) -> Result<Matrix<T>, SeedError> {
    let mut m = Matrix::zeros("targets", labels.len(), classes)?;
    for (b, &y) in labels.iter().enumerate() {
        if y >= classes {
            return Err(SeedError::Value {
                name: "labels".into(),
                index: b,
                value: y as f64,
                allowed: "a class index below the output width",
            });
        }
        m.data[b * classes + y] = T::ONE;
    }
    Ok(m)
}

fn check_loss<T: Real>(
    weights: &[MatrixRef<'_, T>],
    x: &MatrixRef<'_, T>,
    targets: &MatrixRef<'_, T>,
    p: &LossParams,
) -> Result<(), SeedError> {
    check_net(weights, x)?;
    if p.n_steps == 0 {
        return Err(SeedError::Scalar {
            name: "n_steps",
            value: 0.0,
            allowed: ">= 1",
        });
    }
    scalar_in::<T>("beta", p.beta, true)?;
    scalar_in::<T>("threshold", p.threshold, false)?;
    scalar_in::<T>("alpha", p.alpha, true)?;
    let classes = weights.last().map_or(0, |w| w.rows);
    if targets.rows != x.rows
        || targets.cols != classes
        || targets.rows.checked_mul(classes) != Some(targets.data.len())
    {
        return Err(SeedError::Shape {
            name: "targets".into(),
            expected: format!("{} x {classes} (batch x the last layer's width)", x.rows),
            found: targets.shape(),
        });
    }
    if let Some(index) = targets
        .data
        .iter()
        .position(|y| !(y.is_finite() && *y >= T::ZERO))
    {
        return Err(SeedError::Value {
            name: "targets".into(),
            index,
            value: targets.data[index].f64(),
            allowed: "finite and >= 0 (one-hot rows or class probabilities)",
        });
    }
    // The backward pass keeps, per block of samples (one per thread),
    // every step's membranes of every layer and one gradient per weight.
    let neurons = weights.iter().fold(0usize, |a, w| a.saturating_add(w.rows));
    let params = weights
        .iter()
        .fold(0usize, |a, w| a.saturating_add(w.data.len()));
    let blocks = x.rows.div_ceil(CHUNK);
    let threads = rayon::current_num_threads().max(1).min(blocks.max(1));
    limits::check_bytes::<T>(
        &format!(
            "n_steps, weights: (n_steps x 16 samples x neurons (backward trace) + weights \
             (gradient)) x {threads} threads"
        ),
        p.n_steps
            .saturating_mul(CHUNK.min(x.rows))
            .saturating_mul(neurons)
            .saturating_add(params)
            .saturating_mul(threads),
    )?;
    Ok(())
}

/// One block's summed loss and gradients.
type BlockLoss<T> = (f64, Vec<Vec<T>>);

/// Per block of samples: the loss summed over the block and the weight
/// gradients of the mean loss over all `batch` samples (summed over the
/// block).
fn block_loss_grad<T: Real>(
    weights: &[MatrixRef<'_, T>],
    xb: &[T],
    yb: &[T],
    batch: usize,
    p: &LossParams,
    fwd: Forward,
    want_grad: bool,
) -> Result<BlockLoss<T>, SeedError> {
    let nl = weights.len();
    let n_in0 = weights[0].cols;
    let rows = xb.len() / n_in0;
    let (alpha, th, beta) = (T::of(p.alpha), T::of(p.threshold), T::of(p.beta));
    let sur = p.path.surrogate();
    let inv_t = T::ONE / T::of(p.n_steps as f64);
    let steps = p.n_steps;
    // Forward: rates[l] (rows x n_out), and each layer's pre-reset
    // membranes u[t][k] for the backward pass.
    let mut inputs: Vec<Vec<T>> = vec![xb.to_vec()];
    let mut us: Vec<Vec<T>> = Vec::with_capacity(nl);
    for w in weights {
        let n_out = w.rows;
        let n_in = w.cols;
        let mut cur = vec![T::ZERO; rows * n_out];
        matmul_t(&inputs[inputs.len() - 1], n_in, w, &mut cur);
        let mut v = vec![T::ZERO; rows * n_out];
        let mut rate = vec![T::ZERO; rows * n_out];
        let mut u_tr = if want_grad {
            limits::try_vec(
                "n_steps x samples x neurons (backward trace)",
                steps * rows * n_out,
                T::ZERO,
            )?
        } else {
            vec![]
        };
        for t in 0..steps {
            let ut: &mut [T] = if want_grad {
                &mut u_tr[t * rows * n_out..(t + 1) * rows * n_out]
            } else {
                &mut []
            };
            for k in 0..rows * n_out {
                let u = alpha * v[k] + cur[k];
                let hard = u >= th;
                rate[k] += match fwd {
                    Forward::Hard => {
                        if hard {
                            T::ONE
                        } else {
                            T::ZERO
                        }
                    }
                    Forward::Smoothed => sur.smooth(u - th, beta),
                };
                v[k] = if hard { T::ZERO } else { u };
                if let Some(x) = ut.get_mut(k) {
                    *x = u;
                }
            }
        }
        rate.iter_mut().for_each(|r| *r *= inv_t);
        inputs.push(rate);
        us.push(u_tr);
    }
    // Loss: cross-entropy of softmax(rates of the last layer).
    let classes = weights[nl - 1].rows;
    let logits = &inputs[nl];
    let mut loss = 0.0;
    let mut g_rate = vec![T::ZERO; rows * classes];
    let inv_b = T::ONE / T::of(batch as f64);
    for b in 0..rows {
        let z = &logits[b * classes..(b + 1) * classes];
        let y = &yb[b * classes..(b + 1) * classes];
        let (mx, e, sum) = softmax_terms(z);
        let ysum = y.iter().fold(T::ZERO, |a, &c| a + c);
        for k in 0..classes {
            let logp = z[k] - mx - sum.ln();
            loss -= (y[k] * logp).f64();
            // d/dz_k of -sum_i y_i log p_i = p_k sum_i y_i - y_k.
            g_rate[b * classes + k] = (e[k] / sum * ysum - y[k]) * inv_b;
        }
    }
    if !want_grad {
        return Ok((loss, vec![]));
    }
    let mut grads: Vec<Vec<T>> = weights
        .iter()
        .map(|w| limits::try_vec("weights (gradient)", w.data.len(), T::ZERO))
        .collect::<Result<_, _>>()?;
    for l in (0..nl).rev() {
        let w = &weights[l];
        let (n_out, n_in) = (w.rows, w.cols);
        let u_tr = &us[l];
        // gc[b][j] = dL/d current = sum_t dL/du_t.
        let mut gc = vec![T::ZERO; rows * n_out];
        for k in 0..rows * n_out {
            let gs = g_rate[k] * inv_t;
            let mut ga = T::ZERO;
            let mut acc = T::ZERO;
            for t in (0..steps).rev() {
                let u = u_tr[t * rows * n_out + k];
                let keep = if u >= th { T::ZERO } else { T::ONE };
                let gu = gs * sur.grad(u - th, beta) + ga * keep;
                acc += gu;
                ga = alpha * gu;
            }
            gc[k] = acc;
        }
        Kernels::best().outer_acc(&gc, &inputs[l], n_in, n_out, &mut grads[l]);
        if l > 0 {
            let mut g_prev = vec![T::ZERO; rows * n_in];
            for b in 0..rows {
                let gp = &mut g_prev[b * n_in..(b + 1) * n_in];
                for j in 0..n_out {
                    let g = gc[b * n_out + j];
                    if g != T::ZERO {
                        for (o, &wv) in gp.iter_mut().zip(w.row(j)) {
                            *o += g * wv;
                        }
                    }
                }
            }
            g_rate = g_prev;
        }
    }
    Ok((loss, grads))
}

/// The mean loss over the batch and, with `want_grad`, its gradient with
/// respect to every weight (the surrogate gradient of `p.path`; exact for
/// [`Forward::Smoothed`]).
fn loss_grad<T: Real>(
    weights: &[MatrixRef<'_, T>],
    x: &MatrixRef<'_, T>,
    targets: &MatrixRef<'_, T>,
    p: &LossParams,
    fwd: Forward,
    want_grad: bool,
) -> Result<(f64, Vec<Matrix<T>>), SeedError> {
    check_loss(weights, x, targets, p)?;
    let n_in = x.cols;
    let classes = targets.cols;
    let batch = x.rows;
    let blocks: Vec<(&[T], &[T])> = x
        .data
        .chunks(CHUNK * n_in)
        .zip(targets.data.chunks(CHUNK * classes))
        .collect();
    let mut loss = 0.0;
    let mut grads: Vec<Matrix<T>> = if want_grad {
        weights
            .iter()
            .map(|w| Matrix {
                rows: w.rows,
                cols: w.cols,
                data: vec![T::ZERO; w.data.len()],
            })
            .collect()
    } else {
        vec![]
    };
    // Blocks run in waves of one per thread, each wave's gradients added
    // (in block order) before the next starts: at most one gradient per
    // thread is live.
    for wave in blocks.chunks(rayon::current_num_threads().max(1)) {
        let parts: Vec<Result<BlockLoss<T>, SeedError>> = wave
            .par_iter()
            .map(|&(xb, yb)| block_loss_grad(weights, xb, yb, batch, p, fwd, want_grad))
            .collect();
        for part in parts {
            let (l, g) = part?;
            loss += l;
            for (acc, gl) in grads.iter_mut().zip(&g) {
                for (a, &b) in acc.data.iter_mut().zip(gl) {
                    *a += b;
                }
            }
        }
    }
    Ok((loss / batch as f64, grads))
}

/// The seed's `jax_surrogate_loss(weights, x, targets, n_steps, beta,
/// threshold, surrogate_path)`: the mean over the batch of `-sum_k
/// y_k log softmax(r)_k`, `r` the last layer's mean firing rates of
/// [`jax_forward_pass`] (`alpha = p.alpha`, `v_rest = v_reset = 0`,
/// `v_threshold = p.threshold`). `targets` is `batch x classes`: one-hot
/// rows ([`one_hot`]) or class probabilities.
pub fn jax_surrogate_loss<T: Real>(
    weights: &[impl AsMatrix<T>],
    x: &impl AsMatrix<T>,
    targets: &impl AsMatrix<T>,
    p: &LossParams,
) -> Result<f64, SeedError> {
    let (weights, x, t) = (views(weights), x.as_matrix(), targets.as_matrix());
    Ok(loss_grad(&weights, &x, &t, p, Forward::Hard, false)?.0)
}

/// The loss and the gradient the path `p.path` gives for every weight
/// (what `jax.value_and_grad(jax_surrogate_loss)` returns in the seed).
/// With [`Forward::Smoothed`] both are those of the smoothed objective,
/// whose exact gradient the path's backward pass is.
pub fn surrogate_loss_and_grad<T: Real>(
    weights: &[impl AsMatrix<T>],
    x: &impl AsMatrix<T>,
    targets: &impl AsMatrix<T>,
    p: &LossParams,
    fwd: Forward,
) -> Result<(f64, Vec<Matrix<T>>), SeedError> {
    let (weights, x, t) = (views(weights), x.as_matrix(), targets.as_matrix());
    loss_grad(&weights, &x, &t, p, fwd, true)
}

/// The seed's `jax_surrogate_gradient_step(weights, x, targets, n_steps,
/// lr, beta, threshold, surrogate_path)`: one SGD step `W -= lr * dL/dW`
/// with the surrogate gradient. Returns the new weights and the loss
/// before the step. `lr` > 0 and finite.
pub fn jax_surrogate_gradient_step<T: Real>(
    weights: &[impl AsMatrix<T>],
    x: &impl AsMatrix<T>,
    targets: &impl AsMatrix<T>,
    lr: f64,
    p: &LossParams,
) -> Result<(Vec<Matrix<T>>, f64), SeedError> {
    let (weights, x, t) = (views(weights), x.as_matrix(), targets.as_matrix());
    scalar_in::<T>("lr", lr, true)?;
    let (loss, grads) = loss_grad(&weights, &x, &t, p, Forward::Hard, true)?;
    let lr = T::of(lr);
    let updated = weights
        .iter()
        .zip(&grads)
        .map(|(w, g)| Matrix {
            rows: w.rows,
            cols: w.cols,
            data: w
                .data
                .iter()
                .zip(&g.data)
                .map(|(&a, &b)| a - lr * b)
                .collect(),
        })
        .collect::<Vec<Matrix<T>>>();
    // A step that overflows (a huge lr or beta) is an error, not NaN weights.
    if !loss.is_finite() {
        return Err(SeedError::Scalar {
            name: "lr",
            value: lr.f64(),
            allowed: "a value for which the loss stays finite (lower lr or beta)",
        });
    }
    for (l, w) in updated.iter().enumerate() {
        finite(
            &format!("weights[{l}] after the step (lower lr or beta)"),
            &w.data,
        )?;
    }
    Ok((updated, loss))
}
