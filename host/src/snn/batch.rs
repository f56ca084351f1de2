//! The project's network ([`Snn`]) on many samples at once: samples x
//! neurons, row-major, in blocks of [`CHUNK`] samples run in parallel
//! (rayon). Within a block every layer's currents are dot products of
//! contiguous rows (8 partial sums, which the compiler vectorises), and the
//! neuron updates run over contiguous `samples x neurons` slices.
//!
//! The equations are those of [`super`] (the same results as
//! [`Snn::forward`] and [`Snn::loss_and_grad`] sample by sample, to
//! rounding), with a choice of [`Surrogate`] for the backward pass.

use rayon::prelude::*;

use super::{argmax, softmax_terms, Optimizer, Snn, SnnConfig, SnnError, SpikeFn, Surrogate};
use crate::cpu::Kernels;
use crate::limits;
use crate::real::Real;

/// Samples per rayon task.
pub const CHUNK: usize = 16;

/// One block's results: summed loss, correct count, counts.
type BlockOut<T> = (f64, usize, Vec<T>);

/// What a pass over the samples computes: spikes by `f` (with `sur`'s
/// smooth function for [`SpikeFn::Smooth`]) and, with `grad`, `sur`'s
/// gradient.
#[derive(Clone, Copy)]
struct Pass {
    f: SpikeFn,
    sur: Surrogate,
    grad: bool,
}

impl Pass {
    /// Hard spikes, no gradient: counts, loss and accuracy only.
    const FORWARD: Self = Self {
        f: SpikeFn::Heaviside,
        sur: Surrogate::FastSigmoid,
        grad: false,
    };
}

/// The values (of `T`) that a batched evaluation of `samples` samples at
/// a time keeps live: per rayon thread that works (at most one per block
/// of [`CHUNK`] samples) the block's trace (`u`, `s`: steps x 16 samples x
/// neurons, each), the gradient sent below (steps x 16 x the widest
/// layer's inputs) and, with `grad`, one gradient of every weight.
pub fn memory(c: &SnnConfig, samples: usize, grad: bool) -> usize {
    let rows = samples.clamp(1, CHUNK);
    let blocks = samples.max(1).div_ceil(CHUNK);
    let threads = rayon::current_num_threads().max(1).min(blocks);
    let neurons = c.sizes[1..]
        .iter()
        .fold(0usize, |a, &n| a.saturating_add(n));
    let per_step = neurons.saturating_mul(rows);
    let mut per_thread = c.steps.saturating_mul(per_step).saturating_mul(2);
    if grad {
        let widest_in = (0..c.sizes.len().saturating_sub(1))
            .map(|l| c.inputs(l))
            .max()
            .unwrap_or(0);
        let weights = c.sizes.windows(2).enumerate().fold(0usize, |a, (l, w)| {
            a.saturating_add(c.inputs(l).saturating_mul(w[1]))
        });
        per_thread = per_thread
            .saturating_add(c.steps.saturating_mul(rows).saturating_mul(widest_in))
            .saturating_add(weights);
    }
    per_thread.saturating_mul(threads)
}

/// [`memory`] checked against the allocation limit; the error names the
/// settings it grows with.
pub fn check_memory<T>(
    c: &SnnConfig,
    samples: usize,
    grad: bool,
) -> Result<usize, limits::LimitError> {
    limits::check_bytes::<T>(
        &format!(
            "{} steps x up to {CHUNK} samples x neurons x {} threads (batched trace{})",
            c.steps,
            rayon::current_num_threads(),
            if grad { " and gradients" } else { "" }
        ),
        memory(c, samples, grad),
    )
}

/// What a batched evaluation returns.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutput<T> {
    /// The mean cross-entropy loss over the samples (0 without labels).
    pub loss: f64,
    /// Samples whose prediction (largest count) is their label.
    pub correct: usize,
    /// The last layer's spike counts, samples x classes.
    pub counts: Vec<T>,
    /// The mean loss's gradient for every weight (empty unless asked for).
    pub grads: Vec<Vec<T>>,
}

pub(crate) fn check<T: Real>(
    net: &Snn<T>,
    xs: &[T],
    labels: Option<&[usize]>,
    grad: bool,
) -> Result<usize, SnnError> {
    net.check_shape()?;
    let c = &net.config;
    let n0 = c.sizes[0];
    if !xs.len().is_multiple_of(n0) {
        return Err(SnnError::Input(format!(
            "{} values are not whole samples of {n0} inputs",
            xs.len()
        )));
    }
    let rows = xs.len() / n0;
    if let Some(i) = xs.iter().position(|v| !v.is_finite()) {
        return Err(SnnError::Input(format!(
            "sample {}, input {} is not finite",
            i / n0,
            i % n0
        )));
    }
    if let Some(labels) = labels {
        if labels.len() != rows {
            return Err(SnnError::Input(format!(
                "{} labels for {rows} samples",
                labels.len()
            )));
        }
        let classes = c.sizes[c.sizes.len() - 1];
        if let Some(b) = labels.iter().position(|&y| y >= classes) {
            return Err(SnnError::Input(format!(
                "sample {b}: label {}; allowed 0..{classes}",
                labels[b]
            )));
        }
    }
    check_memory::<T>(c, rows, grad)
        .map_err(|e| SnnError::Input(format!("steps, dims (the network's size): {e}")))?;
    Ok(rows)
}

/// One block of samples: counts, summed loss, correct count and (with
/// `pass.grad`) the gradient of the mean loss over `batch` samples, added
/// to `grads` (one buffer per weight layer, allocated here when empty).
fn block<T: Real>(
    net: &Snn<T>,
    xb: &[T],
    labels: Option<&[usize]>,
    batch: usize,
    pass: Pass,
    grads: &mut Vec<Vec<T>>,
) -> Result<BlockOut<T>, SnnError> {
    let Pass { f, sur, grad } = pass;
    let lim = |e: limits::LimitError| SnnError::Input(e.to_string());
    let c = &net.config;
    let nl = net.weights.len();
    let n0 = c.sizes[0];
    let rows = xb.len() / n0;
    let steps = c.steps;
    let (keep, theta, beta) = (T::of(1.0 - c.alpha), T::of(c.threshold), T::of(c.beta));
    // Layer 0's inputs, with the bias input if any.
    let m0 = c.inputs(0);
    let mut xin = vec![T::ZERO; rows * m0];
    for (dst, src) in xin.chunks_exact_mut(m0).zip(xb.chunks_exact(n0)) {
        dst[..n0].copy_from_slice(src);
        if c.bias {
            dst[n0] = T::ONE;
        }
    }
    let n1 = c.sizes[1];
    let mut i0 = vec![T::ZERO; rows * n1];
    Kernels::best().gemm_nt(&xin, &net.weights[0], m0, n1, &mut i0);
    // Trace: u[l], s[l] as steps x rows x n_l.
    let width = |l: usize| c.sizes[l + 1];
    let trace = |l: usize| {
        limits::try_vec(
            "steps, dims: batched trace",
            steps.saturating_mul(rows).saturating_mul(width(l)),
            T::ZERO,
        )
        .map_err(lim)
    };
    let mut u: Vec<Vec<T>> = (0..nl).map(trace).collect::<Result<_, _>>()?;
    let mut s: Vec<Vec<T>> = (0..nl).map(trace).collect::<Result<_, _>>()?;
    let mut a: Vec<Vec<T>> = (0..nl).map(|l| vec![T::ZERO; rows * width(l)]).collect();
    let mut cur_buf: Vec<T> = vec![];
    for t in 0..steps {
        for l in 0..nl {
            let n = width(l);
            let blk = t * rows * n..(t + 1) * rows * n;
            let cur: &[T] = if l == 0 {
                &i0
            } else {
                let m = c.inputs(l);
                cur_buf.resize(rows * n, T::ZERO);
                let prev = &s[l - 1][t * rows * m..(t + 1) * rows * m];
                Kernels::best().gemm_nt(prev, &net.weights[l], m, n, &mut cur_buf);
                &cur_buf
            };
            let (ut, st, al) = (&mut u[l][blk.clone()], &mut s[l][blk], &mut a[l]);
            for k in 0..rows * n {
                let uk = keep * al[k] + cur[k];
                let sk = match f {
                    SpikeFn::Heaviside => {
                        if uk >= theta {
                            T::ONE
                        } else {
                            T::ZERO
                        }
                    }
                    SpikeFn::Smooth => sur.smooth(uk - theta, beta),
                };
                ut[k] = uk;
                st[k] = sk;
                al[k] = uk * (T::ONE - sk);
            }
        }
    }
    let classes = width(nl - 1);
    let mut counts = vec![T::ZERO; rows * classes];
    for t in 0..steps {
        let st = &s[nl - 1][t * rows * classes..(t + 1) * rows * classes];
        for (cnt, &v) in counts.iter_mut().zip(st) {
            *cnt += v;
        }
    }
    let Some(labels) = labels else {
        return Ok((0.0, 0, counts));
    };
    let kappa = T::of(c.kappa);
    let inv_b = T::ONE / T::of(batch as f64);
    let mut loss = 0.0;
    let mut correct = 0;
    // dL/ds of the last layer, the same at every step: rows x classes.
    let mut g_out = vec![T::ZERO; rows * classes];
    for (b, &y) in labels.iter().enumerate() {
        let cnt = &counts[b * classes..(b + 1) * classes];
        correct += usize::from(argmax(cnt) == y);
        let z: Vec<T> = cnt.iter().map(|&n| kappa * n).collect();
        let (mx, e, sum) = softmax_terms(&z);
        loss -= (z[y] - mx - sum.ln()).f64();
        for k in 0..classes {
            let p = e[k] / sum - if k == y { T::ONE } else { T::ZERO };
            g_out[b * classes + k] = kappa * p * inv_b;
        }
    }
    if !grad {
        return Ok((loss, correct, counts));
    }
    if grads.is_empty() {
        for w in &net.weights {
            grads.push(limits::try_vec("dims: weight gradients", w.len(), T::ZERO).map_err(lim)?);
        }
    }
    // dL/ds from above, steps x rows x n_l (None: the readout, g_out at every step).
    let mut g_ext: Option<Vec<T>> = None;
    for l in (0..nl).rev() {
        let n = width(l);
        let m = c.inputs(l);
        let w = &net.weights[l];
        let mut da = vec![T::ZERO; rows * n];
        let mut g_below = if l > 0 {
            limits::try_vec(
                "steps, dims: gradient below",
                steps.saturating_mul(rows).saturating_mul(m),
                T::ZERO,
            )
            .map_err(lim)?
        } else {
            vec![]
        };
        let gw = &mut grads[l];
        // Layer 0's input is the same at every step: its weight gradient
        // is (sum over steps of du) times the input, one outer product.
        let mut du_sum = if l == 0 {
            vec![T::ZERO; rows * n]
        } else {
            vec![]
        };
        for t in (0..steps).rev() {
            let blk = t * rows * n;
            for b in 0..rows {
                for j in 0..n {
                    let k = b * n + j;
                    let (uk, sk) = (u[l][blk + k], s[l][blk + k]);
                    let fp = sur.grad(uk - theta, beta);
                    let ge = match &g_ext {
                        None => g_out[k],
                        Some(g) => g[blk + k],
                    };
                    let du = da[k] * ((T::ONE - sk) - uk * fp) + ge * fp;
                    da[k] = keep * du;
                    if du == T::ZERO {
                        continue;
                    }
                    if l == 0 {
                        du_sum[k] += du;
                        continue;
                    }
                    let o = t * rows * m + b * m;
                    let input = &s[l - 1][o..o + m];
                    for (g, &xi) in gw[j * m..(j + 1) * m].iter_mut().zip(input) {
                        *g += du * xi;
                    }
                    for (gb, &wv) in g_below[o..o + m].iter_mut().zip(&w[j * m..(j + 1) * m]) {
                        *gb += du * wv;
                    }
                }
            }
        }
        if l == 0 {
            Kernels::best().outer_acc(&du_sum, &xin, m, n, gw);
        }
        g_ext = Some(g_below);
    }
    Ok((loss, correct, counts))
}

fn run<T: Real>(
    net: &Snn<T>,
    xs: &[T],
    labels: Option<&[usize]>,
    pass: Pass,
) -> Result<BatchOutput<T>, SnnError> {
    let grad = pass.grad;
    let rows = check(net, xs, labels, grad)?;
    let n0 = net.config.sizes[0];
    let lim = |e: limits::LimitError| SnnError::Input(e.to_string());
    let classes = net.config.sizes[net.config.sizes.len() - 1];
    let mut out = BatchOutput {
        loss: 0.0,
        correct: 0,
        counts: limits::try_with_capacity("samples x classes (counts)", rows * classes)
            .map_err(lim)?,
        grads: vec![],
    };
    if grad {
        for w in &net.weights {
            out.grads
                .push(limits::try_vec("dims: weight gradients", w.len(), T::ZERO).map_err(lim)?);
        }
    }
    // Blocks run in waves of one per thread; each wave's gradients are
    // added (in block order, so the sums do not depend on the scheduling)
    // before the next starts: at most one gradient per thread is live.
    let blocks: Vec<(usize, &[T])> = xs.chunks(CHUNK * n0).enumerate().collect();
    let threads = rayon::current_num_threads().max(1);
    let mut slots: Vec<Vec<Vec<T>>> = (0..threads.min(blocks.len())).map(|_| vec![]).collect();
    for wave in blocks.chunks(threads) {
        let parts: Vec<Result<BlockOut<T>, SnnError>> = wave
            .par_iter()
            .zip(slots.par_iter_mut())
            .map(|(&(i, xb), g)| {
                g.iter_mut().for_each(|gl| gl.fill(T::ZERO));
                let lb = labels.map(|l| &l[i * CHUNK..i * CHUNK + xb.len() / n0]);
                block(net, xb, lb, rows, pass, g)
            })
            .collect();
        for (part, g) in parts.into_iter().zip(&slots) {
            let (loss, correct, counts) = part?;
            out.loss += loss;
            out.correct += correct;
            out.counts.extend(counts);
            for (acc, gl) in out.grads.iter_mut().zip(g) {
                for (x, &y) in acc.iter_mut().zip(gl) {
                    *x += y;
                }
            }
        }
    }
    out.loss /= rows.max(1) as f64;
    Ok(out)
}

/// The last layer's spike counts of every sample (`xs`: samples x
/// `sizes[0]` inputs, row-major, finite), samples x classes.
pub fn forward_counts<T: Real>(net: &Snn<T>, xs: &[T]) -> Result<Vec<T>, SnnError> {
    Ok(run(net, xs, None, Pass::FORWARD)?.counts)
}

/// The predicted class of every sample (largest count, ties to the
/// smaller index).
pub fn predict<T: Real>(net: &Snn<T>, xs: &[T]) -> Result<Vec<usize>, SnnError> {
    let counts = forward_counts(net, xs)?;
    let classes = net.config.sizes[net.config.sizes.len() - 1];
    Ok(counts.chunks_exact(classes).map(argmax).collect())
}

/// Mean loss and correct predictions of the samples against `labels`
/// (each in `0..classes`), without gradients.
pub fn evaluate<T: Real>(
    net: &Snn<T>,
    xs: &[T],
    labels: &[usize],
) -> Result<BatchOutput<T>, SnnError> {
    run(net, xs, Some(labels), Pass::FORWARD)
}

/// The mean loss over the samples and its gradient for every weight:
/// the surrogate gradient `sur` for [`SpikeFn::Heaviside`], the exact
/// gradient of the smoothed network for [`SpikeFn::Smooth`] (spikes are
/// then `sur`'s smooth function).
pub fn loss_and_grad<T: Real>(
    net: &Snn<T>,
    xs: &[T],
    labels: &[usize],
    f: SpikeFn,
    sur: Surrogate,
) -> Result<BatchOutput<T>, SnnError> {
    run(net, xs, Some(labels), Pass { f, sur, grad: true })
}

/// One training step on a mini-batch: the surrogate gradient of the mean
/// loss, then one optimiser update. Returns the loss and correct count
/// before the update.
pub fn train_step<T: Real>(
    net: &mut Snn<T>,
    opt: &mut Optimizer,
    xs: &[T],
    labels: &[usize],
    sur: Surrogate,
) -> Result<(f64, usize), SnnError> {
    let out = loss_and_grad(net, xs, labels, SpikeFn::Heaviside, sur)?;
    opt.step(net, &out.grads)?;
    Ok((out.loss, out.correct))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snn::tests::{check_finite_differences, net as net_of};
    use crate::snn::Adam;

    /// The 5-4-3 test network of 5 steps.
    fn net(bias: bool, seed: u64) -> Snn<f64> {
        net_of(5, bias, seed)
    }

    fn samples(n: usize) -> (Vec<f64>, Vec<usize>) {
        let mut rng = sc_kernel::rng::SplitMix64::new(99);
        let xs: Vec<f64> = (0..n * 5)
            .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
            .collect();
        // The class is the largest of the first three inputs.
        let labels = xs.chunks(5).map(|r| argmax(&r[..3])).collect();
        (xs, labels)
    }

    #[test]
    fn batched_equals_sample_by_sample() {
        for bias in [true, false] {
            let net = net(bias, 3);
            let (xs, labels) = samples(37);
            let out = loss_and_grad(
                &net,
                &xs,
                &labels,
                SpikeFn::Heaviside,
                Surrogate::FastSigmoid,
            )
            .unwrap();
            let mut loss = 0.0;
            let mut g: Vec<Vec<f64>> = net.weights.iter().map(|w| vec![0.0; w.len()]).collect();
            for (b, (x, &y)) in xs.chunks(5).zip(&labels).enumerate() {
                let (l, gs) = net.loss_and_grad(x, y, SpikeFn::Heaviside).unwrap();
                loss += l / 37.0;
                for (a, b) in g.iter_mut().zip(&gs) {
                    for (p, q) in a.iter_mut().zip(b) {
                        *p += q / 37.0;
                    }
                }
                let tr = net.forward(x, SpikeFn::Heaviside).unwrap();
                assert_eq!(&out.counts[b * 3..b * 3 + 3], &tr.counts[..]);
            }
            assert!((out.loss - loss).abs() < 1e-12, "{} vs {loss}", out.loss);
            for (a, b) in out.grads.iter().flatten().zip(g.iter().flatten()) {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
            assert!(g.iter().flatten().any(|v| v.abs() > 1e-4));
            assert_eq!(net.weights[0].len(), 4 * (5 + usize::from(bias)));
        }
    }

    #[test]
    fn straight_through_smoothed_gradient_matches_finite_differences() {
        let net = net(false, 5);
        let (xs, labels) = samples(6);
        let sur = Surrogate::StraightThrough;
        let g = loss_and_grad(&net, &xs, &labels, SpikeFn::Smooth, sur)
            .unwrap()
            .grads;
        check_finite_differences(&net, &g, |n| {
            loss_and_grad(n, &xs, &labels, SpikeFn::Smooth, sur)
                .unwrap()
                .loss
        });
        assert!(g.iter().flatten().any(|v| v.abs() > 1e-3));
    }

    #[test]
    fn training_lowers_the_loss_with_both_optimisers_and_bad_input_is_an_error() {
        let (xs, labels) = samples(64);
        for opt in [
            Optimizer::Sgd(crate::snn::Sgd { lr: 0.5 }),
            Optimizer::Adam(Adam::new(&net(true, 1), 0.05)),
        ] {
            let mut opt = opt;
            let mut n = net(true, 1);
            let first = evaluate(&n, &xs, &labels).unwrap().loss;
            for _ in 0..40 {
                train_step(&mut n, &mut opt, &xs, &labels, Surrogate::StraightThrough).unwrap();
            }
            let last = evaluate(&n, &xs, &labels).unwrap().loss;
            assert!(last < first, "{first} -> {last}");
        }
        let n = net(true, 1);
        assert!(forward_counts(&n, &xs[..7]).is_err());
        assert!(evaluate(&n, &xs, &labels[1..]).is_err());
        let mut bad = labels.clone();
        bad[3] = 3;
        assert!(
            matches!(evaluate(&n, &xs, &bad), Err(SnnError::Input(m)) if m.contains("sample 3"))
        );
        assert_eq!(predict(&n, &xs).unwrap().len(), 64);
    }
}
