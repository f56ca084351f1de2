//! `sc bench`: CPU and GPU backend timings.

use std::path::Path;

use anyhow::{bail, Context, Result};

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
