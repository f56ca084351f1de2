//! Full-precision multi-layer spiking network and surrogate-gradient
//! training (backpropagation through time, Adam).
//!
//! Each layer `l` is a population of LIF neurons with `v_rest = v_reset =
//! 0`, `R = 1`, leak `alpha` and threshold `theta`, in the kernel's order
//! (spec §6/§7), so the trained weights quantise directly to the SC network:
//!
//! ```text
//! u_t = (1 - alpha) * a_{t-1} + I_t        a_0 = 0
//! s_t = H(u_t - theta)                     spike
//! a_t = u_t * (1 - s_t)                    reset to 0
//! I_t = W_0 [x; 1]  (layer 0: constant analog input plus a bias input)
//! I_t = W_l s^{l-1}_t  (layer l > 0, same step)
//! ```
//!
//! The bias input is optional ([`SnnConfig::bias`]; without it
//! `I_t = W_0 x`). [`batch`] runs and trains the same network on many
//! samples at once (samples x neurons, rayon); [`seed`] holds the seed's
//! four JAX functions (`jax_lif_step`, `jax_forward_pass`,
//! `jax_surrogate_loss`, `jax_surrogate_gradient_step`) and how their
//! conventions map to this model.
//!
//! The readout is the last layer's spike count; training minimises the
//! cross-entropy of `kappa * counts`. The backward pass replaces `H'` with
//! the fast-sigmoid surrogate `f'(u) = beta / (2 (1 + beta |u - theta|)^2)`.
//! With [`SpikeFn::Smooth`] the forward pass uses the fast sigmoid itself,
//! so the same backward pass is the exact gradient (checked against finite
//! differences in the tests).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::real::Real;

pub mod batch;
pub mod seed;

/// Hyper-parameters of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnnConfig {
    /// Layer widths: inputs (without the bias input), then each layer.
    pub sizes: Vec<usize>,
    /// Time steps per sample.
    pub steps: usize,
    /// Leak per step, in (0, 1].
    pub alpha: f64,
    /// Firing threshold (> 0).
    pub threshold: f64,
    /// Surrogate slope `beta` (> 0).
    pub beta: f64,
    /// Logit scale `kappa` applied to spike counts.
    pub kappa: f64,
    /// Whether layer 0 has a bias input (a constant 1 after the inputs,
    /// with its own weight column). Model files that leave it out have one
    /// (the field is written only when `false`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub bias: bool,
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Spike function of the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpikeFn {
    /// Heaviside step (the real network).
    Heaviside,
    /// The fast sigmoid (smooth; for gradient checks).
    Smooth,
}

/// A network: `weights[l]` is row-major `sizes[l+1] x inputs_l`, where
/// `inputs_0 = sizes[0] + 1` with a bias input (the last column multiplies
/// the bias input 1), `sizes[0]` without, and `inputs_l = sizes[l]` for
/// `l > 0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snn<T: Real> {
    /// Hyper-parameters.
    pub config: SnnConfig,
    /// Weights per layer.
    pub weights: Vec<Vec<T>>,
}

/// Everything the forward pass computed, for the backward pass.
pub struct Trace<T> {
    /// Layer inputs at layer 0 (`[x; 1]`, or `x` without a bias input).
    pub x: Vec<T>,
    /// Pre-reset membranes `u[l][t][j]`.
    pub u: Vec<Vec<Vec<T>>>,
    /// Spikes `s[l][t][j]` (0/1, or the smooth value).
    pub s: Vec<Vec<Vec<T>>>,
    /// Last layer's spike counts.
    pub counts: Vec<T>,
}

/// Invalid configuration or input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnnError {
    /// Bad hyper-parameter.
    #[error("invalid network configuration: {0}")]
    Config(String),
    /// Input of the wrong size or not finite.
    #[error("invalid input: {0}")]
    Input(String),
}

impl SnnConfig {
    /// Check ranges.
    pub fn validate(&self) -> Result<(), SnnError> {
        let bad = |m: String| Err(SnnError::Config(m));
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return bad(format!("sizes {:?}: need >= 2 nonzero widths", self.sizes));
        }
        if self.steps == 0 {
            return bad("steps must be > 0".into());
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return bad(format!("alpha {}: allowed 0 < alpha <= 1", self.alpha));
        }
        if !(self.threshold > 0.0 && self.threshold.is_finite()) {
            return bad(format!("threshold {}: allowed > 0, finite", self.threshold));
        }
        if !(self.beta > 0.0 && self.beta.is_finite() && self.kappa > 0.0 && self.kappa.is_finite())
        {
            return bad("beta and kappa must be > 0 and finite".into());
        }
        Ok(())
    }

    /// Inputs of layer `l` (layer 0 includes the bias input if
    /// [`Self::bias`]).
    pub fn inputs(&self, l: usize) -> usize {
        self.sizes[l] + usize::from(l == 0 && self.bias)
    }
}

fn spike<T: Real>(f: SpikeFn, u: T, theta: T, beta: T) -> T {
    match f {
        SpikeFn::Heaviside => {
            if u >= theta {
                T::ONE
            } else {
                T::ZERO
            }
        }
        SpikeFn::Smooth => {
            let d = u - theta;
            T::of(0.5) * (T::ONE + beta * d / (T::ONE + beta * d.abs()))
        }
    }
}

fn surrogate<T: Real>(u: T, theta: T, beta: T) -> T {
    let q = T::ONE + beta * (u - theta).abs();
    T::of(0.5) * beta / (q * q)
}

/// The pseudo-derivative that replaces the Heaviside step's `H'(d)`,
/// `d = u - theta`, in the backward pass (slope `beta > 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Surrogate {
    /// The fast sigmoid `f(d) = (1 + beta d / (1 + beta |d|)) / 2`,
    /// `f'(d) = beta / (2 (1 + beta |d|)^2)` (the seed's `custom_vjp` path).
    FastSigmoid,
    /// The straight-through estimator `s = sigma + stop_gradient(H - sigma)`
    /// with the logistic `sigma(d) = 1 / (1 + e^(-beta d))`, so
    /// `f'(d) = beta sigma (1 - sigma)` (the seed's `legacy_stop_gradient`
    /// path).
    StraightThrough,
}

impl Surrogate {
    /// The flag spelling (`fast-sigmoid`, `straight-through`).
    pub fn name(self) -> &'static str {
        match self {
            Self::FastSigmoid => "fast-sigmoid",
            Self::StraightThrough => "straight-through",
        }
    }

    /// The smooth function whose derivative [`Self::grad`] is, at `d = u - theta`.
    #[inline]
    pub fn smooth<T: Real>(self, d: T, beta: T) -> T {
        match self {
            Self::FastSigmoid => T::of(0.5) * (T::ONE + beta * d / (T::ONE + beta * d.abs())),
            Self::StraightThrough => logistic(beta * d),
        }
    }

    /// The pseudo-derivative at `d = u - theta`.
    #[inline]
    pub fn grad<T: Real>(self, d: T, beta: T) -> T {
        match self {
            Self::FastSigmoid => {
                let q = T::ONE + beta * d.abs();
                T::of(0.5) * beta / (q * q)
            }
            Self::StraightThrough => {
                let s = logistic(beta * d);
                beta * s * (T::ONE - s)
            }
        }
    }
}

/// `1 / (1 + e^-z)`, without overflow for large `|z|`.
#[inline]
pub(crate) fn logistic<T: Real>(z: T) -> T {
    if z >= T::ZERO {
        T::ONE / (T::ONE + (-z).exp())
    } else {
        let e = z.exp();
        e / (T::ONE + e)
    }
}

impl<T: Real> Snn<T> {
    /// Random initial weights (uniform, scaled by fan-in), deterministic in `seed`.
    pub fn init(config: SnnConfig, seed: u64) -> Result<Self, SnnError> {
        config.validate()?;
        let mut rng = sc_kernel::rng::SplitMix64::new(seed);
        let weights = (0..config.sizes.len() - 1)
            .map(|l| {
                let fan_in = config.inputs(l);
                let k = 2.0 * config.threshold * (3.0 / fan_in as f64).sqrt();
                (0..config.sizes[l + 1] * fan_in)
                    .map(|_| {
                        T::of(((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * k)
                    })
                    .collect()
            })
            .collect();
        Ok(Self { config, weights })
    }

    /// Check the weights against the configuration: one matrix per layer,
    /// `weights[l]` holding `sizes[l+1] x inputs(l)` values.
    pub fn check_shape(&self) -> Result<(), SnnError> {
        let c = &self.config;
        c.validate()?;
        let layers = c.sizes.len() - 1;
        if self.weights.len() != layers {
            return Err(SnnError::Config(format!(
                "{} weight matrices; sizes {:?} need {layers}",
                self.weights.len(),
                c.sizes
            )));
        }
        for (l, w) in self.weights.iter().enumerate() {
            let need = c.sizes[l + 1].checked_mul(c.inputs(l));
            if need != Some(w.len()) {
                return Err(SnnError::Config(format!(
                    "weights[{l}] has {} values; sizes {:?} need {} x {}",
                    w.len(),
                    c.sizes,
                    c.sizes[l + 1],
                    c.inputs(l)
                )));
            }
        }
        Ok(())
    }

    /// Run the network on input `x` (`sizes[0]` values, finite).
    pub fn forward(&self, x: &[T], f: SpikeFn) -> Result<Trace<T>, SnnError> {
        self.check_shape()?;
        let c = &self.config;
        if x.len() != c.sizes[0] {
            return Err(SnnError::Input(format!(
                "{} values, the network has {} inputs",
                x.len(),
                c.sizes[0]
            )));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(SnnError::Input(format!("input {i} is not finite")));
        }
        let (keep, theta, beta) = (T::of(1.0 - c.alpha), T::of(c.threshold), T::of(c.beta));
        let nl = self.weights.len();
        let mut xin = x.to_vec();
        if c.bias {
            xin.push(T::ONE);
        }
        let i0 = matvec(&self.weights[0], &xin, c.sizes[1]);
        let mut a: Vec<Vec<T>> = (0..nl).map(|l| vec![T::ZERO; c.sizes[l + 1]]).collect();
        let mut u: Vec<Vec<Vec<T>>> = (0..nl).map(|_| Vec::with_capacity(c.steps)).collect();
        let mut s: Vec<Vec<Vec<T>>> = (0..nl).map(|_| Vec::with_capacity(c.steps)).collect();
        for _ in 0..c.steps {
            for l in 0..nl {
                let cur = match l {
                    0 => i0.clone(),
                    _ => {
                        let prev: &[T] = s[l - 1].last().map(|v| v.as_slice()).unwrap_or(&[]);
                        matvec(&self.weights[l], prev, c.sizes[l + 1])
                    }
                };
                let mut ut = vec![T::ZERO; cur.len()];
                let mut st = vec![T::ZERO; cur.len()];
                for j in 0..cur.len() {
                    ut[j] = keep * a[l][j] + cur[j];
                    st[j] = spike(f, ut[j], theta, beta);
                    a[l][j] = ut[j] * (T::ONE - st[j]);
                }
                u[l].push(ut);
                s[l].push(st);
            }
        }
        let last = &s[nl - 1];
        let counts = (0..c.sizes[nl])
            .map(|j| last.iter().fold(T::ZERO, |acc, st| acc + st[j]))
            .collect();
        Ok(Trace {
            x: xin,
            u,
            s,
            counts,
        })
    }

    /// Predicted class: the largest spike count, ties to the smaller index
    /// (the same readout as spec §7).
    pub fn predict(&self, x: &[T]) -> Result<usize, SnnError> {
        let t = self.forward(x, SpikeFn::Heaviside)?;
        Ok(argmax(&t.counts))
    }

    /// Cross-entropy loss of `kappa * counts` against `label`, and its
    /// gradient with respect to every weight (surrogate gradient for
    /// [`SpikeFn::Heaviside`], exact for [`SpikeFn::Smooth`]).
    pub fn loss_and_grad(
        &self,
        x: &[T],
        label: usize,
        f: SpikeFn,
    ) -> Result<(T, Vec<Vec<T>>), SnnError> {
        self.check_shape()?;
        let c = &self.config;
        let nl = self.weights.len();
        if label >= c.sizes[nl] {
            return Err(SnnError::Input(format!(
                "label {label}; allowed 0..{}",
                c.sizes[nl]
            )));
        }
        let tr = self.forward(x, f)?;
        let kappa = T::of(c.kappa);
        let logits: Vec<T> = tr.counts.iter().map(|&n| kappa * n).collect();
        let p = softmax(&logits);
        let loss = -p[label].ln();
        let (keep, theta, beta) = (T::of(1.0 - c.alpha), T::of(c.threshold), T::of(c.beta));
        let mut grads: Vec<Vec<T>> = self
            .weights
            .iter()
            .map(|w| vec![T::ZERO; w.len()])
            .collect();
        // dL/ds from outside the layer, [t][j]; starts with the readout.
        let mut g_ext: Vec<Vec<T>> = (0..c.steps)
            .map(|_| {
                (0..c.sizes[nl])
                    .map(|j| kappa * (p[j] - if j == label { T::ONE } else { T::ZERO }))
                    .collect()
            })
            .collect();
        for l in (0..nl).rev() {
            let n = c.sizes[l + 1];
            let m = c.inputs(l);
            let mut da = vec![T::ZERO; n];
            let mut g_below: Vec<Vec<T>> = vec![vec![T::ZERO; if l > 0 { m } else { 0 }]; c.steps];
            for t in (0..c.steps).rev() {
                let (ut, st) = (&tr.u[l][t], &tr.s[l][t]);
                let input: &[T] = if l == 0 { &tr.x } else { &tr.s[l - 1][t] };
                for j in 0..n {
                    let fp = surrogate(ut[j], theta, beta);
                    let du = da[j] * ((T::ONE - st[j]) - ut[j] * fp) + g_ext[t][j] * fp;
                    da[j] = keep * du;
                    if du == T::ZERO {
                        continue;
                    }
                    let row = &mut grads[l][j * m..(j + 1) * m];
                    for (g, &xi) in row.iter_mut().zip(input) {
                        *g += du * xi;
                    }
                    if l > 0 {
                        let wrow = &self.weights[l][j * m..(j + 1) * m];
                        for (gb, &w) in g_below[t].iter_mut().zip(wrow) {
                            *gb += du * w;
                        }
                    }
                }
            }
            g_ext = g_below;
        }
        Ok((loss, grads))
    }
}

fn matvec<T: Real>(w: &[T], x: &[T], rows: usize) -> Vec<T> {
    let m = x.len();
    (0..rows)
        .map(|j| {
            w[j * m..(j + 1) * m]
                .iter()
                .zip(x)
                .fold(T::ZERO, |acc, (&a, &b)| acc + a * b)
        })
        .collect()
}

fn softmax<T: Real>(z: &[T]) -> Vec<T> {
    let (_, e, sum) = softmax_terms(z);
    e.into_iter().map(|v| v / sum).collect()
}

/// The terms of a stable softmax of `z` (not empty): its largest value
/// `mx`, `e = exp(z - mx)` and the sum of `e`, left to right; the softmax
/// is `e / sum`, its log `z - mx - ln(sum)`.
fn softmax_terms<T: Real>(z: &[T]) -> (T, Vec<T>, T) {
    let mx = z
        .iter()
        .copied()
        .fold(z[0], |a, b| if b > a { b } else { a });
    let e: Vec<T> = z.iter().map(|&v| (v - mx).exp()).collect();
    let sum = e.iter().fold(T::ZERO, |a, &b| a + b);
    (mx, e, sum)
}

/// Index of the largest value, ties to the smaller index.
pub fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// Adam optimiser state.
pub struct Adam {
    lr: f64,
    b1: f64,
    b2: f64,
    eps: f64,
    t: i32,
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
}

impl Adam {
    /// Adam with learning rate `lr` and the usual betas (0.9, 0.999).
    pub fn new<T: Real>(net: &Snn<T>, lr: f64) -> Self {
        let z = |w: &Vec<T>| vec![0.0; w.len()];
        Self {
            lr,
            b1: 0.9,
            b2: 0.999,
            eps: 1e-8,
            t: 0,
            m: net.weights.iter().map(z).collect(),
            v: net.weights.iter().map(z).collect(),
        }
    }

    /// One update with gradients `g` (same shapes as the weights, and as
    /// the network this optimiser was made for): another shape is an error
    /// and nothing is updated.
    pub fn step<T: Real>(&mut self, net: &mut Snn<T>, g: &[Vec<T>]) -> Result<(), SnnError> {
        check_grads(net, g)?;
        let state =
            self.m.len() == g.len() && self.m.iter().zip(g).all(|(m, gl)| m.len() == gl.len());
        if !state {
            return Err(SnnError::Input(format!(
                "gradient shapes {:?}: the Adam state is for {:?}",
                g.iter().map(Vec::len).collect::<Vec<_>>(),
                self.m.iter().map(Vec::len).collect::<Vec<_>>()
            )));
        }
        self.t += 1;
        let (c1, c2) = (1.0 - self.b1.powi(self.t), 1.0 - self.b2.powi(self.t));
        for (((w, gl), m), v) in net
            .weights
            .iter_mut()
            .zip(g)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            for (((wk, &gk), mk), vk) in w.iter_mut().zip(gl).zip(m.iter_mut()).zip(v.iter_mut()) {
                let gk = gk.f64();
                *mk = self.b1 * *mk + (1.0 - self.b1) * gk;
                *vk = self.b2 * *vk + (1.0 - self.b2) * gk * gk;
                let upd = self.lr * (*mk / c1) / ((*vk / c2).sqrt() + self.eps);
                *wk -= T::of(upd);
            }
        }
        Ok(())
    }
}

/// `g` has one gradient per weight of `net`, layer by layer.
fn check_grads<T: Real>(net: &Snn<T>, g: &[Vec<T>]) -> Result<(), SnnError> {
    let same =
        g.len() == net.weights.len() && g.iter().zip(&net.weights).all(|(a, b)| a.len() == b.len());
    if same {
        return Ok(());
    }
    Err(SnnError::Input(format!(
        "gradient shapes {:?}: the weights are {:?} (one gradient per weight)",
        g.iter().map(Vec::len).collect::<Vec<_>>(),
        net.weights.iter().map(Vec::len).collect::<Vec<_>>()
    )))
}

/// Plain stochastic gradient descent: `w -= lr * g`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sgd {
    /// Learning rate (> 0).
    pub lr: f64,
}

impl Sgd {
    /// One update with gradients `g` (same shapes as the weights; another
    /// shape is an error and nothing is updated).
    pub fn step<T: Real>(&self, net: &mut Snn<T>, g: &[Vec<T>]) -> Result<(), SnnError> {
        check_grads(net, g)?;
        let lr = T::of(self.lr);
        for (w, gl) in net.weights.iter_mut().zip(g) {
            for (wk, &gk) in w.iter_mut().zip(gl) {
                *wk -= lr * gk;
            }
        }
        Ok(())
    }
}

/// The optimiser of a training run.
pub enum Optimizer {
    /// Adam.
    Adam(Adam),
    /// Plain SGD.
    Sgd(Sgd),
}

impl Optimizer {
    /// One update with gradients `g` (same shapes as the weights; another
    /// shape is an error and nothing is updated).
    pub fn step<T: Real>(&mut self, net: &mut Snn<T>, g: &[Vec<T>]) -> Result<(), SnnError> {
        match self {
            Self::Adam(a) => a.step(net, g),
            Self::Sgd(s) => s.step(net, g),
        }
    }
}

/// One training step on a mini-batch (gradients averaged over the batch,
/// samples in parallel). Returns the mean loss.
pub fn train_batch<T: Real>(
    net: &mut Snn<T>,
    opt: &mut Adam,
    xs: &[&[T]],
    labels: &[usize],
) -> Result<f64, SnnError> {
    let results: Vec<(T, Vec<Vec<T>>)> = xs
        .par_iter()
        .zip(labels)
        .map(|(x, &y)| net.loss_and_grad(x, y, SpikeFn::Heaviside))
        .collect::<Result<_, _>>()?;
    let n = T::of(results.len() as f64);
    let mut g: Vec<Vec<T>> = net.weights.iter().map(|w| vec![T::ZERO; w.len()]).collect();
    let mut loss = 0.0;
    for (l, gr) in &results {
        loss += l.f64();
        for (ga, gb) in g.iter_mut().zip(gr) {
            for (a, &b) in ga.iter_mut().zip(gb) {
                *a += b / n;
            }
        }
    }
    opt.step(net, &g)?;
    Ok(loss / results.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 5-4-3 network (alpha 0.3, threshold 1, beta 2, kappa 0.7) of
    /// `steps` steps, initialised from `seed`.
    pub(crate) fn net(steps: usize, bias: bool, seed: u64) -> Snn<f64> {
        let cfg = SnnConfig {
            sizes: vec![5, 4, 3],
            steps,
            alpha: 0.3,
            threshold: 1.0,
            beta: 2.0,
            kappa: 0.7,
            bias,
        };
        Snn::init(cfg, seed).unwrap()
    }

    fn small() -> Snn<f64> {
        net(4, true, 7)
    }

    /// Checks the gradient `g` of `loss` at `net` against central
    /// differences (step 1e-6) at every weight; returns the weights checked.
    #[allow(clippy::needless_range_loop)] // perturbs weight (l, k) by index
    pub(crate) fn check_finite_differences(
        net: &Snn<f64>,
        g: &[Vec<f64>],
        loss: impl Fn(&Snn<f64>) -> f64,
    ) -> usize {
        let h = 1e-6;
        let mut checked = 0;
        for l in 0..net.weights.len() {
            for k in 0..net.weights[l].len() {
                let mut p = net.clone();
                p.weights[l][k] += h;
                let mut m = net.clone();
                m.weights[l][k] -= h;
                let fd = (loss(&p) - loss(&m)) / (2.0 * h);
                let err = (fd - g[l][k]).abs();
                assert!(
                    err <= 1e-6 + 1e-4 * fd.abs(),
                    "layer {l} weight {k}: fd {fd} vs backprop {}",
                    g[l][k]
                );
                checked += 1;
            }
        }
        checked
    }

    #[test]
    fn gradients_match_finite_differences() {
        let net = small();
        let x = [0.9, 0.1, 0.5, 0.0, 0.7];
        let (_, g) = net.loss_and_grad(&x, 2, SpikeFn::Smooth).unwrap();
        let checked = check_finite_differences(&net, &g, |n| {
            n.loss_and_grad(&x, 2, SpikeFn::Smooth).unwrap().0
        });
        assert_eq!(checked, 4 * 6 + 3 * 4);
        assert!(
            g.iter().flatten().any(|v| v.abs() > 1e-3),
            "gradients vanish: the check would be vacuous"
        );
    }

    #[test]
    fn heaviside_forward_matches_the_float_lif_population_step() {
        // The training model is the seed's LIF equation with v_rest = v_reset = 0, R = 1.
        let net = small();
        let x = [1.0, 0.2, 0.8, 0.4, 0.0];
        let tr = net.forward(&x, SpikeFn::Heaviside).unwrap();
        let p = crate::lif_float::FloatLifParams::<f64>::new(0.0, 0.0, 1.0, 0.3, 1.0, 0).unwrap();
        let c = &net.config;
        let mut xin = x.to_vec();
        xin.push(1.0);
        let mut v: Vec<Vec<f64>> = (1..3).map(|l| vec![0.0; c.sizes[l]]).collect();
        let mut r: Vec<Vec<u16>> = (1..3).map(|l| vec![0; c.sizes[l]]).collect();
        for t in 0..c.steps {
            let mut prev = xin.clone();
            for l in 0..2 {
                let cur = matvec(&net.weights[l], &prev, c.sizes[l + 1]);
                let mut s = vec![false; cur.len()];
                p.step_population(&mut v[l], &mut r[l], &cur, None, &mut s)
                    .unwrap();
                let got: Vec<f64> = s.iter().map(|&b| b as u8 as f64).collect();
                assert_eq!(got, tr.s[l][t], "layer {l} step {t}");
                prev = got;
            }
        }
    }

    #[test]
    fn bad_inputs_are_errors() {
        let net = small();
        assert!(net.forward(&[0.0; 4], SpikeFn::Heaviside).is_err());
        assert!(net
            .forward(&[0.0, 0.0, f64::NAN, 0.0, 0.0], SpikeFn::Heaviside)
            .is_err());
        assert!(net.loss_and_grad(&[0.0; 5], 3, SpikeFn::Heaviside).is_err());
        let mut cfg = net.config.clone();
        cfg.alpha = 0.0;
        assert!(Snn::<f32>::init(cfg, 1).is_err());
    }
}
