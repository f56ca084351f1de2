//! `sc`: the sc-neuro command-line tool.

//!
//! A thin front end: each command lives in its own module.

mod bench;
mod digits;
mod model;
mod run;
mod simulate;
mod train;
mod vectors;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "sc",
    version,
    about = "sc-neuro host tool: SC network simulation and the shared test vectors"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The main job: train (or load) the digits SNN, quantise it to an SC
    /// network and report test accuracy from float to bit-exact SC +
    /// fixed-point LIF, at several stream lengths.
    Digits(digits::DigitsArgs),
    /// Run a network on your inputs: a model file (a digits model or a bare
    /// network) and rows of probabilities or pixels from CSV or `.npy`, on
    /// the kernel, CPU or GPU backend; counts, predictions and spike trains
    /// to `.npy`, `.csv` or `.json`, and a spike raster.
    Run(run::RunArgs),
    /// Train a spiking network on any CSV (feature columns and a label
    /// column) with surrogate gradients, hold out a validation split,
    /// quantise it to an SC network and write a model file for `sc run`.
    Train(train::TrainArgs),
    /// The same as `sc run --vectors` (kept for old scripts).
    #[command(hide = true)]
    Simulate {
        /// Vector files holding `network` cases.
        files: Vec<PathBuf>,
        /// Time steps to run (default: each case's own).
        #[arg(long)]
        steps: Option<usize>,
    },
    /// Shared conformance vectors.
    #[command(subcommand)]
    Vectors(vectors::VectorsCmd),
    /// Model files.
    #[command(subcommand)]
    Model(model::ModelCmd),
    /// Time the CPU backend on the seed's shapes (128 x 784 x 1024-bit MAC,
    /// batched MAC, pack) and this machine's ceilings (AND+popcount rate,
    /// read bandwidth). Takes about a minute; needs about 3 GiB of memory.
    Bench {
        /// Thread counts to measure (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "1,2")]
        threads: Vec<usize>,
        /// Timed runs per figure (the median is reported).
        #[arg(long, default_value_t = 41)]
        reps: usize,
        /// Also write the timings as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Time the GPU backend instead (on its CPU fallback if there is no adapter).
        #[arg(long)]
        gpu: bool,
        /// Time whole-network simulation instead: a random network of
        /// widths `--dims`, `--steps` steps, `--batch` samples, on `--path`
        /// (one JSON line per thread count; building is not timed).
        #[arg(long)]
        sim: bool,
        /// With --sim: widths, inputs first.
        #[arg(long, value_delimiter = ',', default_value = "784,2048,2048,10")]
        dims: Vec<usize>,
        /// With --sim: stream length of every layer.
        #[arg(long, default_value_t = 256)]
        len: usize,
        /// With --sim: time steps per sample.
        #[arg(long, default_value_t = 16)]
        steps: usize,
        /// With --sim: samples run together.
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Time the float SNN instead: the seed's jax_forward_pass and an
        /// epoch of jax_surrogate_gradient_step (sc_host::snn::seed), and
        /// the project's batched network, at --dims, --steps, --batch.
        #[arg(long, conflicts_with_all = ["sim", "gpu"])]
        snn: bool,
        /// With --snn: samples per epoch (a multiple of --batch is used).
        #[arg(long, default_value_t = 1024)]
        samples: usize,
        /// With --sim: `counting` (the engine), `bitstream` (the kernel) or
        /// `gpu` (the engine's counting form on the GPU backend).
        #[arg(long, value_enum, default_value_t = bench::PathArg::Counting)]
        path: bench::PathArg,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Digits(a) => digits::run(&a),
        Cmd::Run(a) => run::run(&a),
        Cmd::Train(a) => train::run(&a),
        Cmd::Simulate { files, steps } => simulate::run(&files, steps),
        Cmd::Model(c) => model::run(c),
        Cmd::Bench {
            threads,
            reps,
            json,
            gpu,
            sim,
            dims,
            len,
            steps,
            batch,
            path,
            snn,
            samples,
        } => {
            let json = json.as_deref();
            let r = if snn {
                bench::snn(&threads, reps, &dims, steps, batch, samples, json)
            } else if sim {
                bench::sim(&threads, reps, &dims, len, steps, batch, path, json)
            } else if gpu {
                bench::gpu(reps, json)
            } else {
                bench::cpu(&threads, reps, json)
            };
            r.map(|()| true)
        }
        Cmd::Vectors(c) => vectors::run(c),
    };
    match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
