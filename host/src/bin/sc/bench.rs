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
    let path = match path {
        PathArg::Counting => sc_host::engine::SimPath::Counting,
        PathArg::Bitstream => sc_host::engine::SimPath::Bitstream,
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
