//! `sc bench`: CPU and GPU backend timings.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// The form `sc bench --sim` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PathArg {
    /// The engine's counting form (spec §7.1).
    Counting,
    /// The kernel's bitstream path.
    Bitstream,
    /// The engine's counting form on the GPU backend (on its CPU fallback,
    /// with `"adapter": null`, when there is no adapter).
    Gpu,
}

/// Time whole-network simulation: one JSON line per thread count on
/// stdout (and all of them in `json`).
#[allow(clippy::too_many_arguments)]
pub fn sim(
    threads: &[usize],
    reps: usize,
    dims: &[usize],
    len: usize,
    steps: usize,
    batch: usize,
    path: PathArg,
    json: Option<&Path>,
) -> Result<()> {
    if threads.contains(&0) {
        bail!("--threads: each count must be at least 1");
    }
    if dims.len() < 2 || dims.contains(&0) {
        bail!("--dims {dims:?}: at least two widths, each at least 1, are allowed");
    }
    if len == 0 || steps == 0 || batch == 0 {
        bail!("--len, --steps and --batch must be at least 1");
    }
    let (path, gpu) = match path {
        PathArg::Counting => (sc_host::engine::SimPath::Counting, false),
        PathArg::Bitstream => (sc_host::engine::SimPath::Bitstream, false),
        PathArg::Gpu => (sc_host::engine::SimPath::Counting, true),
    };
    let mut all = vec![];
    for &t in threads {
        let cfg = sc_host::bench_sim::SimConfig {
            dims: dims.to_vec(),
            len,
            steps,
            batch,
            threads: t,
            path,
            gpu,
        };
        let r = sc_host::bench_sim::run(&cfg, reps, 8 << 30)?;
        println!("{}", serde_json::to_string(&r)?);
        all.push(r);
    }
    if let Some(p) = json {
        std::fs::write(p, serde_json::to_string_pretty(&all)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

/// Time the CPU backend.
pub fn cpu(threads: &[usize], reps: usize, json: Option<&Path>) -> Result<()> {
    if threads.contains(&0) {
        bail!("--threads: each count must be at least 1");
    }
    println!(
        "{:<26} {:>7} {:>8} {:>12} {:>12}",
        "measurement", "threads", "level", "median", "rate"
    );
    let report = sc_host::bench::run_cpu(threads, reps, |t| {
        let rate = if t.bytes > 0 {
            format!("{:.1} GB/s", t.bytes as f64 / t.median_s / 1e9)
        } else {
            format!("{:.2} Gw/s", t.words as f64 / t.median_s / 1e9)
        };
        println!(
            "{:<26} {:>7} {:>8} {:>9.3} ms {:>12}",
            t.name,
            t.threads,
            t.level,
            t.median_s * 1e3,
            rate
        );
    })?;
    if let Some(p) = json {
        std::fs::write(p, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

#[cfg(not(feature = "gpu"))]
/// Time the GPU backend.
pub fn gpu(_: usize, _: Option<&Path>) -> Result<()> {
    bail!("this `sc` was built without the `gpu` feature")
}

#[cfg(feature = "gpu")]
/// Time the GPU backend.
pub fn gpu(reps: usize, json: Option<&Path>) -> Result<()> {
    let (adapter, timings) = sc_host::bench::run_gpu(reps, |t| {
        let rate = t.bytes as f64 / t.median_s / 1e9;
        println!(
            "{:<26} {:>9.3} ms {:>9.1} GB/s",
            t.name,
            t.median_s * 1e3,
            rate
        );
    })?;
    println!("adapter: {adapter}");
    if let Some(p) = json {
        let v = serde_json::json!({ "adapter": adapter, "timings": timings });
        std::fs::write(p, serde_json::to_string_pretty(&v)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

/// Time the float SNN: the seed's `jax_forward_pass` and an epoch of
/// `jax_surrogate_gradient_step` (`sc_host::snn::seed`, f32, no bias), and
/// the project's batched network (`sc_host::snn::batch`: forward pass, an
/// epoch of Adam steps), at widths `dims`, `steps` steps, `batch` samples
/// per call, `samples` per epoch. One JSON line per figure and thread count.
#[allow(clippy::too_many_arguments)]
pub fn snn(
    threads: &[usize],
    reps: usize,
    dims: &[usize],
    steps: usize,
    batch: usize,
    samples: usize,
    json: Option<&Path>,
) -> Result<()> {
    use sc_host::bench::try_median_s;
    use sc_host::snn::seed::{self, LossParams, Matrix};
    use sc_host::snn::{batch as sb, Adam, Optimizer, Snn, SnnConfig, Surrogate};

    if threads.contains(&0) || reps == 0 {
        bail!("--threads and --reps: each must be at least 1");
    }
    if dims.len() < 2 || dims.contains(&0) || steps == 0 || batch == 0 || samples < batch {
        bail!(
            "--dims {dims:?} (at least two widths, each >= 1), --steps {steps} (>= 1), --batch \
             {batch} (>= 1) and --samples {samples} (>= --batch) are needed"
        );
    }
    let input_words = dims[0]
        .checked_mul(samples)
        .context("--dims x --samples is too large")?;
    sc_host::limits::check_bytes::<f32>("--samples x inputs", input_words)?;
    let cfg = |bias| SnnConfig {
        sizes: dims.to_vec(),
        steps,
        alpha: 0.1,
        threshold: 1.0,
        beta: 10.0,
        kappa: 0.5,
        bias,
    };
    let seed_net = Snn::<f32>::init(cfg(false), 1)?;
    let weights: Vec<Matrix<f32>> = seed_net
        .weights
        .iter()
        .enumerate()
        .map(|(l, w)| Matrix::new("weights", dims[l + 1], dims[l], w.clone()))
        .collect::<Result<_, _>>()?;
    let mut rng = sc_kernel::rng::SplitMix64::new(5);
    let xs: Vec<f32> = (0..input_words)
        .map(|_| (rng.next_u64() >> 40) as f32 / (1u32 << 24) as f32)
        .collect();
    let classes = dims[dims.len() - 1];
    let labels: Vec<usize> = (0..samples)
        .map(|_| (rng.next_u64() % classes as u64) as usize)
        .collect();
    let targets = seed::one_hot::<f32>(&labels, classes)?;
    let x0 = Matrix::new("x", batch, dims[0], xs[..batch * dims[0]].to_vec())?;
    let p = LossParams {
        n_steps: steps,
        ..LossParams::default()
    };
    let mut all = vec![];
    for &t in threads {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build()?;
        let figures: Vec<(&str, f64)> = pool.install(|| -> Result<_> {
            let epochs = reps.clamp(1, 3);
            let seed_fwd = try_median_s(reps, || {
                seed::jax_forward_pass(&weights, &x0, steps, &Default::default())
            })?;
            let seed_epoch = try_median_s(epochs, || -> Result<()> {
                let mut w = weights.clone();
                for (xb, yb) in xs
                    .chunks_exact(batch * dims[0])
                    .zip(targets.data.chunks_exact(batch * classes))
                {
                    let x = Matrix::new("x", batch, dims[0], xb.to_vec())?;
                    let y = Matrix::new("targets", batch, classes, yb.to_vec())?;
                    w = seed::jax_surrogate_gradient_step(&w, &x, &y, 1e-3, &p)?.0;
                }
                Ok(())
            })?;
            let net = Snn::<f32>::init(cfg(true), 1)?;
            let own_fwd = try_median_s(reps, || sb::forward_counts(&net, &xs[..batch * dims[0]]))?;
            let own_epoch = try_median_s(epochs, || -> Result<()> {
                let mut n = net.clone();
                let mut opt = Optimizer::Adam(Adam::new(&n, 1e-3));
                for (xb, yb) in xs
                    .chunks_exact(batch * dims[0])
                    .zip(labels.chunks_exact(batch))
                {
                    sb::train_step(&mut n, &mut opt, xb, yb, Surrogate::FastSigmoid)?;
                }
                Ok(())
            })?;
            Ok(vec![
                ("seed jax_forward_pass", seed_fwd),
                ("seed epoch (jax_surrogate_gradient_step)", seed_epoch),
                ("project forward (snn::batch)", own_fwd),
                ("project epoch (snn::batch, Adam)", own_epoch),
            ])
        })?;
        for (what, s) in figures {
            let line = serde_json::json!({
                "impl": "rust", "what": what, "dims": dims, "steps": steps, "batch": batch,
                "samples": samples, "threads": t, "median_s": s,
            });
            println!("{line}");
            all.push(line);
        }
    }
    if let Some(p) = json {
        std::fs::write(p, serde_json::to_string_pretty(&all)?)
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}
