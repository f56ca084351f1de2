//! The seed's four JAX functions (`sc_host::snn::seed`) against an
//! independent `f64` reading of the seed's equations (nested loops,
//! forward-mode derivatives), and gradient checks of both surrogate paths
//! against finite differences of the smoothed objectives.

use sc_host::snn::seed::{
    jax_forward_pass, jax_lif_step, jax_lif_step_into, jax_surrogate_gradient_step,
    jax_surrogate_loss, one_hot, surrogate_loss_and_grad, Forward, ForwardParams, LifStepParams,
    LossParams, Matrix, MatrixRef, Noise, SeedError, SurrogatePath,
};

/// Uniform values in [lo, hi) from a small LCG (test data only).
fn uniform(seed: u64, n: usize, lo: f64, hi: f64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            lo + (hi - lo) * ((s >> 11) as f64 / (1u64 << 53) as f64)
        })
        .collect()
}

/// A network `dims[0] -> dims[1] -> ...` with weights in [-w, w) plus a
/// positive offset so that some neurons fire.
fn net(dims: &[usize], seed: u64, w: f64, offset: f64) -> Vec<Matrix<f64>> {
    dims.windows(2)
        .enumerate()
        .map(|(l, d)| {
            let v = uniform(seed + l as u64, d[0] * d[1], -w + offset, w + offset);
            Matrix::new("w", d[1], d[0], v).unwrap()
        })
        .collect()
}

/// `batch` samples of `n` inputs, uniform in [0, 1) from `seed`.
fn inputs(seed: u64, batch: usize, n: usize) -> Matrix<f64> {
    Matrix::new("x", batch, n, uniform(seed, batch * n, 0.0, 1.0)).unwrap()
}

/// A classification problem: the network `net(dims, seed, w, offset)` of
/// `(seed, w, offset)`, `batch` samples `inputs(x_seed, batch, dims[0])`
/// of `(x_seed, batch)`, and the one-hot targets of sample `b`'s class
/// `label(b)` (`dims`' last entry classes).
fn problem(
    dims: &[usize],
    (seed, w, offset): (u64, f64, f64),
    (x_seed, batch): (u64, usize),
    label: impl Fn(usize) -> usize,
) -> (Vec<Matrix<f64>>, Matrix<f64>, Matrix<f64>) {
    let ws = net(dims, seed, w, offset);
    let x = inputs(x_seed, batch, dims[0]);
    let labels: Vec<usize> = (0..batch).map(label).collect();
    let y = one_hot::<f64>(&labels, dims[dims.len() - 1]).unwrap();
    (ws, x, y)
}

/// The default loss settings with `n_steps` steps and surrogate slope
/// `beta`, on each surrogate path.
fn both_paths(n_steps: usize, beta: f64) -> [LossParams; 2] {
    [SurrogatePath::CustomVjp, SurrogatePath::LegacyStopGradient].map(|path| LossParams {
        n_steps,
        beta,
        path,
        ..LossParams::default()
    })
}

/// `m` with every value rounded to `f32`.
fn to_f32(m: &Matrix<f64>) -> Matrix<f32> {
    Matrix::new(
        "m",
        m.rows,
        m.cols,
        m.data.iter().map(|&v| v as f32).collect(),
    )
    .unwrap()
}

// ---- the seed's equations, written out as the seed does -------------------

/// `jax_forward_pass` of the seed: per layer, `v = full(v_rest)`, then per
/// step `current = spikes @ W.T; v = alpha * v * (1 - v_reset) + current;
/// s = v >= th; v = where(s, v_reset, v)`; the next layer gets the mean of
/// the spikes. Returns (per layer [t][b][j] spikes, last v [b][j]).
#[allow(clippy::type_complexity)]
fn seed_forward(
    ws: &[Vec<Vec<f64>>],
    x: &[Vec<f64>],
    n_steps: usize,
    v_rest: f64,
    v_reset: f64,
    th: f64,
    alpha: f64,
) -> (Vec<Vec<Vec<Vec<f64>>>>, Vec<Vec<f64>>) {
    let mut spikes: Vec<Vec<f64>> = x.to_vec();
    let mut all = vec![];
    let mut v_out = vec![];
    for w in ws {
        let n_out = w.len();
        let mut v = vec![vec![v_rest; n_out]; x.len()];
        let mut layer = vec![];
        for _ in 0..n_steps {
            let mut s_t = vec![vec![0.0; n_out]; x.len()];
            for b in 0..x.len() {
                for j in 0..n_out {
                    let current: f64 = (0..spikes[b].len()).map(|i| spikes[b][i] * w[j][i]).sum();
                    v[b][j] = alpha * v[b][j] * (1.0 - v_reset) + current;
                    if v[b][j] >= th {
                        s_t[b][j] = 1.0;
                        v[b][j] = v_reset;
                    }
                }
            }
            layer.push(s_t);
        }
        spikes = (0..x.len())
            .map(|b| {
                (0..n_out)
                    .map(|j| layer.iter().map(|s| s[b][j]).sum::<f64>() / n_steps as f64)
                    .collect()
            })
            .collect();
        all.push(layer);
        v_out = v;
    }
    (all, v_out)
}

fn rows(m: &Matrix<f64>) -> Vec<Vec<f64>> {
    m.data.chunks(m.cols).map(|r| r.to_vec()).collect()
}

/// A value and its derivative with respect to one weight.
#[derive(Clone, Copy)]
struct Dual(f64, f64);

/// The fast sigmoid's derivative (custom_vjp) and the logistic one
/// (legacy_stop_gradient), slope beta, at d = v - threshold.
fn pseudo(path: SurrogatePath, d: f64, beta: f64) -> f64 {
    match path {
        SurrogatePath::CustomVjp => 0.5 * beta / (1.0 + beta * d.abs()).powi(2),
        SurrogatePath::LegacyStopGradient => {
            let s = 1.0 / (1.0 + (-beta * d).exp());
            beta * s * (1.0 - s)
        }
    }
}

/// The seed's loss (mean cross-entropy of softmax(rates of the last layer),
/// alpha, v_rest = v_reset = 0) and its derivative along weight (layer,
/// index) by forward-mode differentiation with the path's pseudo-
/// derivative in place of H' and the reset passing no gradient.
fn seed_loss_dual(
    ws: &[Vec<Vec<f64>>],
    x: &[Vec<f64>],
    y: &[Vec<f64>],
    p: &LossParams,
    wrt: Option<(usize, usize, usize)>,
) -> (f64, f64) {
    let mut input: Vec<Vec<Dual>> = x
        .iter()
        .map(|r| r.iter().map(|&v| Dual(v, 0.0)).collect())
        .collect();
    for (l, w) in ws.iter().enumerate() {
        let mut next = vec![];
        for xb in &input {
            let mut rate = vec![Dual(0.0, 0.0); w.len()];
            for (j, wj) in w.iter().enumerate() {
                let mut cur = Dual(0.0, 0.0);
                for (i, (&wij, xi)) in wj.iter().zip(xb).enumerate() {
                    let dw = if wrt == Some((l, j, i)) { 1.0 } else { 0.0 };
                    cur = Dual(cur.0 + wij * xi.0, cur.1 + wij * xi.1 + dw * xi.0);
                }
                let mut v = Dual(0.0, 0.0);
                for _ in 0..p.n_steps {
                    v = Dual(p.alpha * v.0 + cur.0, p.alpha * v.1 + cur.1);
                    let d = v.0 - p.threshold;
                    let s = if d >= 0.0 { 1.0 } else { 0.0 };
                    let ds = pseudo(p.path, d, p.beta) * v.1;
                    rate[j] = Dual(rate[j].0 + s, rate[j].1 + ds);
                    if s > 0.5 {
                        v = Dual(0.0, 0.0);
                    }
                }
                rate[j] = Dual(rate[j].0 / p.n_steps as f64, rate[j].1 / p.n_steps as f64);
            }
            next.push(rate);
        }
        input = next;
    }
    let (mut loss, mut dloss) = (0.0, 0.0);
    for (z, yb) in input.iter().zip(y) {
        let sum: f64 = z.iter().map(|v| v.0.exp()).sum();
        let dsum: f64 = z.iter().map(|v| v.0.exp() * v.1).sum();
        for (zk, &yk) in z.iter().zip(yb) {
            // log softmax_k = z_k - ln sum
            loss -= yk * (zk.0 - sum.ln());
            dloss -= yk * (zk.1 - dsum / sum);
        }
    }
    (loss / x.len() as f64, dloss / x.len() as f64)
}

// ---- the tests ------------------------------------------------------------

#[test]
fn lif_step_is_the_seed_equation_with_seeded_noise() {
    let n = 37;
    let v = uniform(1, n, -0.5, 1.0);
    let i = uniform(2, n, 0.0, 0.8);
    let mut noise = vec![0.0; n];
    Noise::new(42, 0.1).unwrap().fill(&mut noise);
    let mut again = vec![0.0; n];
    Noise::new(42, 0.1).unwrap().fill(&mut again);
    assert_eq!(noise, again, "the same seed gives the same noise");
    let mut other = vec![0.0; n];
    Noise::new(43, 0.1).unwrap().fill(&mut other);
    assert_ne!(noise, other);
    // The noise is Gaussian-ish: mean near 0, standard deviation near 0.1.
    let mut big = vec![0.0f64; 20000];
    Noise::new(7, 0.1).unwrap().fill(&mut big);
    let mean = big.iter().sum::<f64>() / big.len() as f64;
    let sd = (big.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / big.len() as f64).sqrt();
    assert!(
        mean.abs() < 0.003 && (sd - 0.1).abs() < 0.003,
        "{mean} {sd}"
    );

    let (v_rest, v_reset, th, alpha, r) = (-0.1, 0.05, 0.9, 0.2, 1.5);
    let (nv, s) = jax_lif_step(&v, &i, v_rest, v_reset, th, alpha, r, &noise).unwrap();
    let mut fired = 0;
    for k in 0..n {
        let dv = (v_rest - v[k]) * alpha + i[k] * r + noise[k];
        let want = v[k] + dv;
        if want >= th {
            fired += 1;
            assert_eq!((nv[k], s[k]), (v_reset, 1.0), "neuron {k}");
        } else {
            assert_eq!((nv[k], s[k]), (want, 0.0), "neuron {k}");
        }
    }
    assert!(
        fired > 0 && fired < n,
        "{fired} of {n} fired: a vacuous test"
    );
    // The seed's guards.
    assert!(matches!(
        jax_lif_step(&v, &i, 0.0, 0.0, 1.0, 0.0, 1.0, &noise),
        Err(SeedError::Scalar { name: "alpha", .. })
    ));
    assert!(matches!(
        jax_lif_step(&v, &i[..3], 0.0, 0.0, 1.0, 0.5, 1.0, &noise),
        Err(SeedError::Shape { .. })
    ));
    let mut bad = noise.clone();
    bad[5] = f64::NAN;
    assert!(matches!(
        jax_lif_step(&v, &i, 0.0, 0.0, 1.0, 0.5, 1.0, &bad),
        Err(SeedError::Value { index: 5, .. })
    ));
}

/// The in-place form on a population of several parallel blocks (16384
/// neurons each) and a partial one: the allocating form's values, and the
/// seed's error order when elements are not finite.
#[test]
fn lif_step_into_is_lif_step_in_blocks() {
    let n = 3 * (1 << 14) + 77;
    let v = uniform(11, n, -0.5, 1.0);
    let i = uniform(12, n, 0.0, 0.8);
    let noise = uniform(13, n, -0.05, 0.05);
    let p = LifStepParams {
        v_rest: -0.1,
        v_reset: 0.05,
        v_threshold: 0.9,
        alpha: 0.2,
        resistance: 1.5,
    };
    let (want_v, want_s) = jax_lif_step(&v, &i, -0.1, 0.05, 0.9, 0.2, 1.5, &noise).unwrap();
    let (mut got_v, mut got_s) = (vec![f64::NAN; n], vec![f64::NAN; n]);
    jax_lif_step_into(&v, &i, &noise, &p, &mut got_v, &mut got_s).unwrap();
    assert_eq!((&got_v, &got_s), (&want_v, &want_s));
    let fired = want_s.iter().filter(|&&s| s == 1.0).count();
    assert!(fired > 0 && fired < n, "{fired} of {n} fired");
    for k in 0..n {
        let u = v[k] + ((p.v_rest - v[k]) * p.alpha + i[k] * p.resistance + noise[k]);
        let fired = u >= p.v_threshold;
        let want = if fired { p.v_reset } else { u };
        assert_eq!(
            (got_v[k], got_s[k]),
            (want, f64::from(u8::from(fired))),
            "neuron {k}"
        );
    }
    // No neurons; f32; a neuron exactly at the threshold fires (`>=`).
    jax_lif_step_into(&[], &[], &[], &p, &mut [], &mut []).unwrap();
    let p32 = LifStepParams {
        v_rest: 0.0f32,
        v_reset: -0.25,
        v_threshold: 1.0,
        alpha: 0.5,
        resistance: 1.0,
    };
    let (v32, i32_) = ([1.0f32, 0.5, 0.25], [0.5f32, 0.25, 2.0]);
    let (mut nv32, mut s32) = ([9.0f32; 3], [9.0f32; 3]);
    jax_lif_step_into(&v32, &i32_, &[0.0; 3], &p32, &mut nv32, &mut s32).unwrap();
    // 1 + (0 - 1) 0.5 + 0.5 = 1 (fires); 0.5 - 0.25 + 0.25 = 0.5; 0.25 - 0.125 + 2.
    assert_eq!((nv32, s32), ([-0.25, 0.5, -0.25], [1.0, 0.0, 1.0]));
    // Outputs of the wrong length are named.
    let mut short = vec![0.0; n - 1];
    assert!(matches!(
        jax_lif_step_into(&v, &i, &noise, &p, &mut short, &mut got_s),
        Err(SeedError::Shape { ref name, .. }) if name == "v_new"
    ));
    assert!(matches!(
        jax_lif_step_into(&v, &i, &noise, &p, &mut got_v, &mut short),
        Err(SeedError::Shape { ref name, .. }) if name == "spikes"
    ));
    // A non-finite element in a late block of `v` is reported before one
    // in an early block of `noise`; the first of `v`'s is named.
    let (mut bad_v, mut bad_n) = (v.clone(), noise.clone());
    bad_v[n - 3] = f64::INFINITY;
    bad_v[n - 1] = f64::NAN;
    bad_n[2] = f64::NAN;
    let e = jax_lif_step_into(&bad_v, &i, &bad_n, &p, &mut got_v, &mut got_s).unwrap_err();
    assert!(
        matches!(e, SeedError::Value { ref name, index, .. } if name == "v" && index == n - 3),
        "{e}"
    );
    let e = jax_lif_step_into(&v, &i, &bad_n, &p, &mut got_v, &mut got_s).unwrap_err();
    assert!(
        matches!(e, SeedError::Value { ref name, index: 2, .. } if name == "noise"),
        "{e}"
    );
    let mut bad_i = i.clone();
    bad_i[(1 << 14) + 5] = f64::NEG_INFINITY;
    let e = jax_lif_step_into(&v, &bad_i, &bad_n, &p, &mut got_v, &mut got_s).unwrap_err();
    assert!(
        matches!(e, SeedError::Value { ref name, index, .. } if name == "I_t" && index == (1 << 14) + 5),
        "{e}"
    );
}

/// Borrowed matrices (another library's arrays, not copied) give exactly
/// the owned matrices' results; a borrowed matrix of the wrong size is
/// refused by name.
#[test]
fn borrowed_matrices_are_the_owned_ones() {
    let dims = [12, 9, 4];
    let ws = net(&dims, 5, 0.6, 0.1);
    let x = inputs(6, 21, dims[0]);
    let labels: Vec<usize> = (0..21).map(|b| b % 4).collect();
    let t = one_hot::<f64>(&labels, 4).unwrap();
    let views: Vec<MatrixRef<'_, f64>> = ws
        .iter()
        .map(|w| MatrixRef::new("w", w.rows, w.cols, &w.data).unwrap())
        .collect();
    let (xv, tv) = (x.view(), t.view());
    let p = ForwardParams::default();
    assert_eq!(
        jax_forward_pass(&views, &xv, 10, &p).unwrap(),
        jax_forward_pass(&ws, &x, 10, &p).unwrap()
    );
    let lp = LossParams {
        n_steps: 10,
        ..LossParams::default()
    };
    // References to matrices, and the float type named explicitly.
    let refs: Vec<&Matrix<f64>> = ws.iter().collect();
    assert_eq!(
        jax_forward_pass::<f64>(&refs, &&x, 10, &p).unwrap(),
        jax_forward_pass(&ws, &x, 10, &p).unwrap()
    );
    let want = jax_surrogate_gradient_step(&ws, &x, &t, 0.1, &lp).unwrap();
    assert_eq!(
        jax_surrogate_gradient_step(&views, &xv, &tv, 0.1, &lp).unwrap(),
        want
    );
    assert_eq!(
        jax_surrogate_loss(&views, &xv, &tv, &lp).unwrap(),
        jax_surrogate_loss(&ws, &x, &t, &lp).unwrap()
    );
    assert!(matches!(
        MatrixRef::new("x", 3, 4, &x.data[..11]),
        Err(SeedError::Shape { ref name, .. }) if name == "x"
    ));
    // A borrowed matrix built by hand with too few values is refused too.
    let short = MatrixRef {
        rows: 21,
        cols: 12,
        data: &x.data[..100],
    };
    assert!(matches!(
        jax_forward_pass(&views, &short, 10, &p),
        Err(SeedError::Shape { ref name, .. }) if name == "x"
    ));
}

#[test]
fn forward_pass_is_the_seed_forward_pass() {
    let dims = [12, 9, 7, 4];
    let ws = net(&dims, 3, 0.6, 0.1);
    let batch = 21; // more than one block of 16 samples
    let x = inputs(9, batch, dims[0]);
    for (p, steps) in [
        (ForwardParams::default(), 25),
        (
            ForwardParams {
                v_rest: 0.3,
                v_reset: 0.0,
                v_threshold: 0.8,
                alpha: 0.6,
            },
            7,
        ),
    ] {
        let got = jax_forward_pass(&ws, &x, steps, &p).unwrap();
        let wref: Vec<_> = ws.iter().map(rows).collect();
        let (want, v) = seed_forward(
            &wref,
            &rows(&x),
            steps,
            p.v_rest,
            p.v_reset,
            p.v_threshold,
            p.alpha,
        );
        let mut total = 0.0;
        for (l, layer) in want.iter().enumerate() {
            let n_out = dims[l + 1];
            for (t, st) in layer.iter().enumerate() {
                for (b, sb) in st.iter().enumerate() {
                    for (j, &sj) in sb.iter().enumerate() {
                        let g = got.spikes[l][(t * batch + b) * n_out + j];
                        assert_eq!(g, sj, "layer {l} step {t} sample {b} neuron {j}");
                        total += sj;
                    }
                }
            }
        }
        let spikes_out: f64 = want.last().unwrap().iter().flatten().flatten().sum();
        assert!(total > 0.0 && spikes_out > 0.0, "no spikes: a vacuous test");
        for (g, w) in got.v.data.iter().zip(v.iter().flatten()) {
            assert!((g - w).abs() < 1e-12, "v {g} vs {w}");
        }
    }
}

#[test]
fn loss_and_sgd_step_are_the_seed_ones_on_both_paths() {
    let (ws, x, y) = problem(&[6, 5, 3], (11, 0.8, 0.25), (5, 19), |b| b % 3);
    let wref: Vec<_> = ws.iter().map(rows).collect();
    for p in both_paths(10, 5.0) {
        let path = p.path;
        let loss = jax_surrogate_loss(&ws, &x, &y, &p).unwrap();
        let (want, _) = seed_loss_dual(&wref, &rows(&x), &rows(&y), &p, None);
        assert!(
            (loss - want).abs() < 1e-12,
            "{path:?}: loss {loss} vs {want}"
        );
        let lr = 0.05;
        let (stepped, l0) = jax_surrogate_gradient_step(&ws, &x, &y, lr, &p).unwrap();
        assert!((l0 - want).abs() < 1e-12);
        let mut nonzero = 0;
        for (l, w) in ws.iter().enumerate() {
            for j in 0..w.rows {
                for i in 0..w.cols {
                    let (_, g) = seed_loss_dual(&wref, &rows(&x), &rows(&y), &p, Some((l, j, i)));
                    let k = j * w.cols + i;
                    let want_w = w.data[k] - lr * g;
                    let got_w = stepped[l].data[k];
                    assert!(
                        (got_w - want_w).abs() < 1e-12,
                        "{path:?} layer {l} w[{j}][{i}]: {got_w} vs {want_w}"
                    );
                    nonzero += usize::from(g.abs() > 1e-6);
                }
            }
        }
        assert!(nonzero > 10, "{path:?}: {nonzero} nonzero gradients");
    }
}

#[test]
fn both_paths_pass_gradient_checks_on_their_smoothed_objectives() {
    let (ws, x, y) = problem(&[5, 6, 4], (21, 0.9, 0.2), (8, 7), |b| (b * 3) % 4);
    for p in both_paths(6, 3.0) {
        let path = p.path;
        let (_, g) = surrogate_loss_and_grad(&ws, &x, &y, &p, Forward::Smoothed).unwrap();
        let h = 1e-6;
        let mut checked = 0;
        for l in 0..ws.len() {
            for k in 0..ws[l].data.len() {
                let mut wp = ws.clone();
                wp[l].data[k] += h;
                let mut wm = ws.clone();
                wm[l].data[k] -= h;
                let lp = surrogate_loss_and_grad(&wp, &x, &y, &p, Forward::Smoothed)
                    .unwrap()
                    .0;
                let lm = surrogate_loss_and_grad(&wm, &x, &y, &p, Forward::Smoothed)
                    .unwrap()
                    .0;
                let fd = (lp - lm) / (2.0 * h);
                let got = g[l].data[k];
                assert!(
                    (fd - got).abs() <= 1e-6 + 1e-4 * fd.abs(),
                    "{path:?} layer {l} weight {k}: finite difference {fd} vs backward {got}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 6 * 5 + 4 * 6);
        assert!(
            g.iter().flat_map(|m| &m.data).any(|v| v.abs() > 1e-3),
            "{path:?}: gradients vanish, the check would be vacuous"
        );
    }
}

#[test]
fn sgd_steps_lower_the_loss_and_f32_matches_f64() {
    let dims = [8, 10, 3];
    let ws = net(&dims, 2, 0.7, 0.2);
    let batch = 48;
    let xv = uniform(4, batch * dims[0], 0.0, 1.0);
    // Class = which third of the inputs is largest on average.
    let labels: Vec<usize> = xv
        .chunks(dims[0])
        .map(|r| {
            let s: Vec<f64> = r.chunks(3).map(|c| c.iter().sum::<f64>()).collect();
            (0..3).fold(0, |a, k| if s[k] > s[a] { k } else { a })
        })
        .collect();
    let x = Matrix::new("x", batch, dims[0], xv).unwrap();
    let y = one_hot::<f64>(&labels, 3).unwrap();
    let p = LossParams::default();
    let first = jax_surrogate_loss(&ws, &x, &y, &p).unwrap();
    let mut w = ws.clone();
    for _ in 0..30 {
        w = jax_surrogate_gradient_step(&w, &x, &y, 0.5, &p).unwrap().0;
    }
    let last = jax_surrogate_loss(&w, &x, &y, &p).unwrap();
    assert!(last < first - 1e-3, "loss {first} -> {last}");

    // f32: the same functions, within f32 rounding of the f64 loss.
    let w32: Vec<Matrix<f32>> = ws.iter().map(to_f32).collect();
    let x32 = to_f32(&x);
    let y32 = one_hot::<f32>(&labels, 3).unwrap();
    let l32 = jax_surrogate_loss(&w32, &x32, &y32, &p).unwrap();
    assert!((l32 - first).abs() < 1e-3, "f32 {l32} vs f64 {first}");
}

#[test]
fn bad_arguments_are_typed_errors() {
    let ws = net(&[4, 3, 2], 1, 0.5, 0.0);
    let x = Matrix::new("x", 2, 4, vec![0.5; 8]).unwrap();
    assert!(Matrix::<f64>::new("x", 2, 4, vec![0.5; 7]).is_err());
    let bad_x = Matrix::new("x", 2, 5, vec![0.5; 10]).unwrap();
    assert!(matches!(
        jax_forward_pass(&ws, &bad_x, 5, &ForwardParams::default()),
        Err(SeedError::Shape { ref name, .. }) if name == "weights[0]"
    ));
    assert!(jax_forward_pass(&ws, &x, 0, &ForwardParams::default()).is_err());
    let y = one_hot::<f64>(&[0, 1], 2).unwrap();
    assert!(matches!(
        jax_surrogate_gradient_step(&ws, &x, &y, 0.0, &LossParams::default()),
        Err(SeedError::Scalar { name: "lr", .. })
    ));
    let y3 = one_hot::<f64>(&[0, 1], 3).unwrap();
    assert!(matches!(
        jax_surrogate_loss(&ws, &x, &y3, &LossParams::default()),
        Err(SeedError::Shape { ref name, .. }) if name == "targets"
    ));
    assert!(one_hot::<f64>(&[0, 2], 2).is_err());
    assert_eq!(
        SurrogatePath::parse("legacy_stop_gradient").unwrap(),
        SurrogatePath::LegacyStopGradient
    );
    assert!(SurrogatePath::parse("adam").is_err());
}

/// The loss and gradients of both paths against JAX autodiff (float64) of
/// the same objective: `jax.custom_vjp` with the fast sigmoid's backward,
/// and `sigma + stop_gradient(H - sigma)`, the reset through
/// `stop_gradient`. Figures printed by `scripts/snn_seed_reference.py`
/// (JAX 0.10.2, `jax.value_and_grad`): weights `((7j + 3i) % 11) / 5 -
/// 0.6`, inputs `((5b + 3i) % 7) / 6`, labels 0, 1, 1, 5 steps, beta 3,
/// alpha 0.9.
#[test]
fn both_paths_equal_jax_autodiff() {
    let dims = [4, 3, 2];
    let ws: Vec<Matrix<f64>> = (0..2)
        .map(|l| {
            let v = (0..dims[l + 1])
                .flat_map(|j| (0..dims[l]).map(move |i| ((7 * j + 3 * i) % 11) as f64 / 5.0 - 0.6))
                .collect();
            Matrix::new("w", dims[l + 1], dims[l], v).unwrap()
        })
        .collect();
    let xv = (0..3)
        .flat_map(|b| (0..4).map(move |i| ((5 * b + 3 * i) % 7) as f64 / 6.0))
        .collect();
    let x = Matrix::new("x", 3, 4, xv).unwrap();
    let y = one_hot::<f64>(&[0, 1, 1], 2).unwrap();
    let jax: [(SurrogatePath, f64, [f64; 18]); 2] = [
        (
            SurrogatePath::CustomVjp,
            0.7415540814726792,
            [
                -0.048237955995266715,
                0.10239441409743759,
                0.21683359179144407,
                0.07077717694832616,
                -0.09366431856638162,
                0.05479184142308236,
                0.07562264440349997,
                0.0485783839679198,
                0.11196020838841657,
                0.019107421851453026,
                0.06532832347055319,
                1.9078897644744396e-05,
                -0.051219436804493174,
                0.10966278785506195,
                0.06037241285506194,
                0.16056943113789632,
                -0.010825949438617758,
                0.09876343360321624,
            ],
        ),
        (
            SurrogatePath::LegacyStopGradient,
            0.7415540814726792,
            [
                -0.04957889418701823,
                0.03590986900061498,
                0.10487257815039325,
                0.0239398821640161,
                -0.14561507458928027,
                0.07021499823844686,
                0.0910321443799744,
                0.06511931988685282,
                0.10762518872946071,
                0.016239501463626738,
                0.035999190812681214,
                0.0014175450959509682,
                -0.07404553818001744,
                0.09413210752131979,
                0.022875323541029932,
                0.1606326532576705,
                -0.02493330528091125,
                0.09663827391687704,
            ],
        ),
    ];
    for (path, want_loss, want_grad) in jax {
        let p = LossParams {
            n_steps: 5,
            beta: 3.0,
            threshold: 1.0,
            path,
            alpha: 0.9,
        };
        let (loss, g) = surrogate_loss_and_grad(&ws, &x, &y, &p, Forward::Hard).unwrap();
        assert!(
            (loss - want_loss).abs() < 1e-12,
            "{path:?}: {loss} vs JAX {want_loss}"
        );
        let got: Vec<f64> = g.iter().flat_map(|m| m.data.iter().copied()).collect();
        for (k, (a, b)) in got.iter().zip(&want_grad).enumerate() {
            assert!(
                (a - b).abs() < 1e-12,
                "{path:?} gradient {k}: {a} vs JAX {b}"
            );
        }
    }
}

/// With `v_reset != 0` the memory is `alpha * v` (the seed's docstring),
/// not the listing's `alpha * v * (1 - v_reset)`: one neuron, `I = 0.7`,
/// `alpha = 0.5`, threshold 1, `v_reset = 0.2`: 0.7, then 1.05 (a spike,
/// reset to 0.2), then 0.1 + 0.7 = 0.8. (The listing's factor would give
/// 0.98 at the second step and no spike.)
#[test]
fn forward_pass_resets_to_v_reset_and_keeps_alpha_v() {
    let w = [Matrix::new("w", 1, 1, vec![1.0f64]).unwrap()];
    let x = Matrix::new("x", 1, 1, vec![0.7]).unwrap();
    let p = ForwardParams {
        v_rest: 0.0,
        v_reset: 0.2,
        v_threshold: 1.0,
        alpha: 0.5,
    };
    let out = jax_forward_pass(&w, &x, 3, &p).unwrap();
    assert_eq!(out.spikes[0], vec![0.0, 1.0, 0.0]);
    assert!((out.v.data[0] - 0.8).abs() < 1e-15, "{}", out.v.data[0]);
    assert!((out.rates[0].data[0] - 1.0 / 3.0).abs() < 1e-15);
}

#[test]
fn f32_overflowing_settings_and_steps_are_errors_not_nan_weights() {
    let ws: Vec<Matrix<f32>> = net(&[3, 4, 2], 7, 0.5, 0.3).iter().map(to_f32).collect();
    let x = Matrix::new("x", 2, 3, vec![0.5f32; 6]).unwrap();
    let y = one_hot::<f32>(&[0, 1], 2).unwrap();
    let p = LossParams {
        n_steps: 4,
        beta: 1e300,
        ..LossParams::default()
    };
    let e = jax_surrogate_gradient_step(&ws, &x, &y, 0.1, &p).unwrap_err();
    assert!(matches!(e, SeedError::Scalar { name: "beta", .. }), "{e}");
    let p = LossParams {
        n_steps: 4,
        ..LossParams::default()
    };
    let e = jax_surrogate_gradient_step(&ws, &x, &y, 1e300, &p).unwrap_err();
    assert!(matches!(e, SeedError::Scalar { name: "lr", .. }), "{e}");
    assert!(jax_surrogate_gradient_step(&ws, &x, &y, 0.1, &p).is_ok());
    // A matrix whose data do not fit its shape says how many values it has.
    let bad = Matrix {
        rows: 2,
        cols: 3,
        data: vec![0.5f32; 5],
    };
    let e = jax_surrogate_loss(&ws, &bad, &y, &p)
        .unwrap_err()
        .to_string();
    assert!(e.contains("2 x 3 with 5 values"), "{e}");
}
