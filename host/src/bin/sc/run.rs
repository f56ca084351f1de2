//! `sc run`: a user's simulation job. A model (a digits model file or a
//! bare network), input rows from CSV or `.npy`, a backend; counts,
//! predictions and optionally spike trains out, a raster plot of one
//! sample.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use sc_host::digits::DigitsModel;
use sc_host::engine::{Engine, Record};
use sc_host::job::{load_inputs, write_results, RunModel, Values};
use sc_host::plot::{Figure, Raster};
use sc_host::scnet::{LifFormat, NetRun, NetworkSpec, ScNetwork};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::LifFixed;
use sc_kernel::sng::Probability;

/// Where a network runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// The kernel's bitstream path (spec §7 as written; the reference).
    Kernel,
    /// The engine's counting form (spec §7.1) on the CPU, SIMD + rayon.
    Cpu,
    /// The GPU backend (wgpu): every step of a batch of samples on the
    /// device; the CPU engine, with one warning, without an adapter.
    Gpu,
}

/// How input values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ValuesArg {
    /// Pixels if any value is above 1, else probabilities.
    Auto,
    /// Probabilities in [0, 1].
    Prob,
    /// Integer pixels in 0..=--pixel-max.
    Pixels,
}

/// Arguments of `sc run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Model file: a digits model (docs/model.md) or a bare network
    /// (its `network` object) [default: the built-in digits model].
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Input rows, one sample per row: `.csv` (an optional header row) or
    /// `.npy` (1-D or 2-D). Rows may leave out a digits model's bias input.
    #[arg(long, value_name = "FILE", required_unless_present = "vectors")]
    input: Option<PathBuf>,
    /// Instead of a model and inputs: run the `network` cases of these
    /// vector files (default: tests/vectors/network.json) on the kernel,
    /// print their spike rasters and compare them with the files.
    #[arg(long, value_name = "FILE", num_args = 0.., conflicts_with_all = ["input", "model", "out"])]
    vectors: Option<Vec<PathBuf>>,
    /// Where the network runs.
    #[arg(long, value_enum, default_value_t = BackendArg::Cpu)]
    backend: BackendArg,
    /// Time steps per sample [default: the model's, required for a bare
    /// network].
    #[arg(long)]
    steps: Option<usize>,
    /// Samples per batch (the progress bar advances per batch).
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Results: `.json` (counts, predictions, spikes), `.csv` (prediction
    /// and counts per sample) or `.npy` (counts; predictions and spikes in
    /// `<stem>.predictions.npy`, `<stem>.spikes.npy`).
    #[arg(long, value_name = "FILE", required_unless_present = "vectors")]
    out: Option<PathBuf>,
    /// Also write every layer's spikes at every step.
    #[arg(long)]
    spikes: bool,
    /// Draw the spike raster of one sample (`.png` or `.svg`).
    #[arg(long, value_name = "FILE")]
    raster: Option<PathBuf>,
    /// The sample the raster shows (row index).
    #[arg(long, default_value_t = 0)]
    raster_sample: usize,
    /// How input values become probabilities.
    #[arg(long, value_enum, default_value_t = ValuesArg::Auto)]
    values: ValuesArg,
    /// The largest pixel value (255 for 8-bit images, 16 for UCI digits).
    #[arg(long, default_value_t = 255, value_parser = clap::value_parser!(u32).range(1..))]
    pixel_max: u32,
}

/// Run `sc run`.
pub fn run(a: &RunArgs) -> Result<bool> {
    if let Some(files) = &a.vectors {
        return crate::simulate::run(files, a.steps);
    }
    let (Some(input), Some(out)) = (&a.input, &a.out) else {
        bail!("--input and --out are needed (or --vectors)");
    };
    let model = match &a.model {
        Some(p) => RunModel::load(p)?,
        None => RunModel::from_digits(DigitsModel::shipped()?),
    };
    let steps = match (a.steps, model.steps) {
        (Some(s), _) | (None, Some(s)) => s,
        (None, None) => {
            bail!("--steps is needed: the model file does not say how many steps to run")
        }
    };
    if steps > 65536 {
        bail!("--steps {steps}: at most 65536 steps per sample are allowed");
    }
    if a.batch == 0 {
        bail!("--batch 0: at least 1 sample per batch is allowed");
    }
    let values = match a.values {
        ValuesArg::Auto => Values::Auto { max: a.pixel_max },
        ValuesArg::Prob => Values::Probabilities,
        ValuesArg::Pixels => Values::Pixels { max: a.pixel_max },
    };
    let net = &model.network;
    let inputs = load_inputs(input, net.dims[0], model.bias_input, values)?;
    if a.raster.is_some() && a.raster_sample >= inputs.len() {
        bail!(
            "--raster-sample {}: the input has {} samples (0..{} allowed)",
            a.raster_sample,
            inputs.len(),
            inputs.len()
        );
    }
    let record = if a.spikes {
        Record::Spikes
    } else {
        Record::Counts
    };
    if a.spikes {
        sc_host::scnet::check_record("--steps", &net.dims[1..], steps)?;
    }
    let t0 = Instant::now();
    let bar = ProgressBar::new(inputs.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} samples, {elapsed} ({eta} left)")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let runs = match net.format {
        LifFormat::Q16_16 => {
            run_all::<I16F16>(net, a.backend, &inputs, steps, a.batch, record, &bar)?
        }
        LifFormat::Q8_8 => run_all::<I8F8>(net, a.backend, &inputs, steps, a.batch, record, &bar)?,
    };
    bar.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64();
    let name = format!("{:?}", a.backend).to_lowercase();
    let files = write_results(out, &runs, steps, &name, a.spikes)?;
    let synapses: usize = net.dims.windows(2).map(|w| w[0] * w[1]).sum();
    eprintln!(
        "ran {} samples x {steps} steps of a {:?} network ({synapses} synapses) on {name} in {secs:.3} s ({:.3} ms per step)",
        runs.len(),
        net.dims,
        1e3 * secs / (runs.len() * steps.max(1)) as f64,
    );
    for f in files {
        eprintln!("wrote {}", f.display());
    }
    if let Some(path) = &a.raster {
        draw(
            path,
            net,
            &inputs[a.raster_sample],
            a.raster_sample,
            steps,
            &runs,
        )?;
    }
    Ok(true)
}

/// Run every sample in batches, advancing the bar per batch.
fn run_all<F: LifFixed>(
    net: &NetworkSpec,
    backend: BackendArg,
    inputs: &[Vec<Probability>],
    steps: usize,
    batch: usize,
    record: Record,
    bar: &ProgressBar,
) -> Result<Vec<NetRun>> {
    let mut runs = Vec::with_capacity(inputs.len());
    match backend {
        BackendArg::Cpu => {
            let e = Engine::<F>::new(net)?;
            for chunk in inputs.chunks(batch) {
                runs.extend(e.run_batch(chunk, steps, record)?);
                bar.inc(chunk.len() as u64);
            }
        }
        BackendArg::Kernel => {
            let n = ScNetwork::<F, u64>::new(net)?;
            for chunk in inputs.chunks(batch) {
                let mut r = chunk
                    .par_iter()
                    .map(|x| n.run(x, steps))
                    .collect::<Result<Vec<_>, _>>()?;
                if record == Record::Counts {
                    r.iter_mut().for_each(|r| r.spikes.clear());
                }
                runs.extend(r);
                bar.inc(chunk.len() as u64);
            }
        }
        #[cfg(feature = "gpu")]
        BackendArg::Gpu => {
            // The whole batch on the device, `batch` samples per chunk (the
            // weight counts built and uploaded once); the backend warns once
            // and runs on the CPU engine when there is no adapter.
            let gpu = sc_host::gpu::GpuBackend::new().context("--backend gpu")?;
            let mut done = 0;
            runs = gpu
                .prepare(net)?
                .run_batch(inputs, steps, record, batch, &mut |n| {
                    bar.inc((n - done) as u64);
                    done = n;
                })?;
        }
        #[cfg(not(feature = "gpu"))]
        BackendArg::Gpu => bail!(
            "--backend gpu: this `sc` was built without the `gpu` feature; use --backend cpu \
             (the same results, bit for bit) or rebuild with default features"
        ),
    }
    Ok(runs)
}

/// Re-run one sample with its spikes recorded and draw its raster.
fn draw(
    path: &Path,
    net: &NetworkSpec,
    x: &[Probability],
    sample: usize,
    steps: usize,
    runs: &[NetRun],
) -> Result<()> {
    let run = match net.format {
        LifFormat::Q16_16 => Engine::<I16F16>::new(net)?.run(x, steps, Record::Spikes)?,
        LifFormat::Q8_8 => Engine::<I8F8>::new(net)?.run(x, steps, Record::Spikes)?,
    };
    debug_assert_eq!(Some(&run.counts), runs.get(sample).map(|r| &r.counts));
    let raster = Raster {
        run: &run,
        widths: net.dims[1..].to_vec(),
        title: format!(
            "Spike raster, sample {sample}: {:?} network, {steps} steps, predicted class {}",
            net.dims,
            run.predicted().unwrap_or(0)
        ),
    };
    raster
        .save(path)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("--raster {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}
