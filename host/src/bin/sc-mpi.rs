//! `sc-mpi`: the SC network simulator distributed over MPI. Run it under
//! `mpirun`; every rank steps a slice of each layer's neurons and spikes
//! are all-gathered after each layer. Results are bit-identical to the
//! single-process simulator for any number of ranks.
//!
//! ```sh
//! mpirun -np 4 target/release/sc-mpi check tests/vectors/network.json
//! mpirun -np 2 target/release/sc-mpi digits
//! mpirun -np 2 target/release/sc-mpi bench --neurons 2048 --steps 20
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use mpi::traits::Communicator;

use sc_host::digits::{input_q16, Digits, DigitsModel};
use sc_host::dist::mpi::{all_gather, barrier, gather, run_network, scatter, RankNet};
use sc_host::dist::partition;
use sc_host::engine::{Record, SimPath};
use sc_host::job::{load_inputs, write_results, RunModel, Values};
use sc_host::scnet::{run_network as run_single, LifFormat, NetworkSpec, Source};
use sc_host::vectors;
use sc_host::vectors::generate::{self, SplitMix64};
use sc_host::vectors::kinds::network::{runs, NetworkRun};

#[derive(Parser)]
#[command(
    name = "sc-mpi",
    version,
    about = "SC network simulation distributed over MPI (run under mpirun)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

/// Which form of spec §7 runs (the same bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum PathArg {
    /// The bitstream form (the kernel's streams, AND + popcount).
    Bitstream,
    /// The counting form of spec §7.1 (the engine).
    Counting,
}

impl From<PathArg> for SimPath {
    fn from(p: PathArg) -> Self {
        match p {
            PathArg::Bitstream => SimPath::Bitstream,
            PathArg::Counting => SimPath::Counting,
        }
    }
}

/// Arguments of `sc-mpi run`.
#[derive(clap::Args)]
struct RunArgs {
    /// Model file [default: the built-in digits model].
    #[arg(long, value_name = "FILE")]
    model: Option<PathBuf>,
    /// Input rows (`.csv` or `.npy`), as for `sc run`.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// Time steps per sample [default: the model's].
    #[arg(long)]
    steps: Option<usize>,
    /// Results (`.json`, `.csv` or `.npy`), as for `sc run`.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Integer pixels up to this value instead of probabilities (if
    /// any value is above 1).
    #[arg(long, default_value_t = 255, value_parser = clap::value_parser!(u32).range(1..))]
    pixel_max: u32,
    /// The form that runs.
    #[arg(long, value_enum, default_value_t = PathArg::Counting)]
    path: PathArg,
}

/// Arguments of `sc-mpi bench`.
#[derive(clap::Args)]
struct BenchArgs {
    /// Inputs of layer 0.
    #[arg(long, default_value_t = 256)]
    inputs: usize,
    /// Neurons of each of the two hidden layers (per rank with --weak).
    #[arg(long, default_value_t = 1024)]
    neurons: usize,
    /// Output neurons.
    #[arg(long, default_value_t = 10)]
    outputs: usize,
    /// Stream length.
    #[arg(long, default_value_t = 256)]
    len: usize,
    /// Time steps.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Weak scaling: hidden layers get `neurons * sqrt(ranks)` neurons.
    #[arg(long)]
    weak: bool,
    /// The form that runs.
    #[arg(long, value_enum, default_value_t = PathArg::Counting)]
    path: PathArg,
}

#[derive(Subcommand)]
enum Cmd {
    /// A user's job distributed: like `sc run` (model, input rows, results
    /// file written by rank 0), each sample's layers sliced over the ranks.
    Run(RunArgs),
    /// Run every `network` case of the vector files distributed; compare the
    /// spike trains with the file and with a single-process run.
    Check {
        /// Vector files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check the scatter/gather/all-gather helpers for sizes that do not
    /// divide by the number of ranks (including fewer elements than ranks).
    Selftest,
    /// Classify the digits test images with the shipped model, distributed;
    /// every prediction must equal the single-process one.
    Digits {
        /// Model file (default: the model built into this binary).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Data set (default: the UCI digits built into this binary).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Only the first N test images.
        #[arg(long)]
        images: Option<usize>,
        /// The form that runs.
        #[arg(long, value_enum, default_value_t = PathArg::Counting)]
        path: PathArg,
    },
    /// Time a random network
    /// `inputs -> hidden -> hidden -> outputs`; with `--weak` the hidden
    /// width is `neurons * sqrt(ranks)`, so the work per rank (dominated by
    /// the hidden x hidden layer) stays constant. Prints one JSON line from
    /// rank 0.
    Bench(BenchArgs),
}

/// The vectors' random network (same on every rank): Q16.16, Sobol
/// streams, stream length `len` in every layer.
fn random_network(dims: &[usize], len: usize, seed: u64) -> NetworkSpec {
    generate::random_network(
        &mut SplitMix64::new(seed),
        LifFormat::Q16_16,
        dims,
        &vec![len; dims.len().saturating_sub(1)],
        Source::Sobol { dimension: 0 },
        Source::Sobol { dimension: 1 },
    )
}

fn main() -> ExitCode {
    let Some(universe) = mpi::initialize() else {
        eprintln!("error: MPI could not be initialised (already initialised?)");
        return ExitCode::from(2);
    };
    let world = universe.world();
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Check { files } => check(&world, &files),
        Cmd::Selftest => selftest(&world),
        Cmd::Run(a) => run(&world, &a),
        Cmd::Digits {
            model,
            data,
            images,
            path,
        } => digits(
            &world,
            model.as_deref(),
            data.as_deref(),
            images,
            path.into(),
        ),
        Cmd::Bench(a) => bench(&world, &a),
    };
    match r {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            // The other ranks may be waiting in a collective call for this
            // one: print the error here and end the whole job, or it
            // deadlocks (a file missing on one node, a bad slice, ...).
            eprintln!("error (rank {} of {}): {e:#}", world.rank(), world.size());
            world.abort(2)
        }
    }
}

fn check<C: Communicator>(world: &C, files: &[PathBuf]) -> Result<bool> {
    let root = world.rank() == 0;
    let mut ok = true;
    let mut n_cases = 0;
    for f in files {
        let file = vectors::load(f)?;
        for NetworkRun {
            name,
            network,
            inputs_q16,
            steps,
            expect,
        } in runs(&file.cases)
        {
            n_cases += 1;
            let run = run_network(
                world,
                network,
                inputs_q16,
                steps,
                SimPath::Counting,
                Record::Spikes,
            )?;
            let bits = run_network(
                world,
                network,
                inputs_q16,
                steps,
                SimPath::Bitstream,
                Record::Spikes,
            )?;
            let single = run_single::<u64>(network, inputs_q16, steps)?;
            let want: Vec<Vec<String>> = expect.spikes.clone();
            let got: Vec<Vec<String>> = run
                .spikes
                .iter()
                .map(|s| {
                    s.iter()
                        .map(|l| l.iter().map(|&b| if b { '1' } else { '0' }).collect())
                        .collect()
                })
                .collect();
            let same =
                got == want && run.counts == expect.counts && run == single && bits == single;
            ok &= same;
            if root {
                println!(
                    "{} {name}: {} ranks, {} steps, counting and bitstream forms, counts {:?}",
                    if same { "PASS" } else { "FAIL" },
                    world.size(),
                    steps,
                    run.counts
                );
            }
        }
    }
    if n_cases == 0 {
        bail!("no network cases in the given files");
    }
    // Also a network far larger than the rank count, with uneven slices.
    let spec = random_network(&[37, 101, 53, 7], 96, 42);
    let q: Vec<u32> = (0..37).map(|i| (i * 1771) % 65537).collect();
    let run = run_network(world, &spec, &q, 8, SimPath::Counting, Record::Spikes)?;
    let bits = run_network(world, &spec, &q, 8, SimPath::Bitstream, Record::Spikes)?;
    let single = run_single::<u64>(&spec, &q, 8)?;
    let same = run == single && bits == single;
    ok &= same;
    if root {
        let spikes: usize = run
            .spikes
            .iter()
            .flatten()
            .flatten()
            .filter(|&&b| b)
            .count();
        println!(
            "{} random 37x101x53x7: {} ranks, {spikes} spikes, equal to the single-process run",
            if same { "PASS" } else { "FAIL" },
            world.size()
        );
    }
    // Every rank must agree on the outcome.
    let all = all_gather(world, &[ok as u8], world.size() as usize);
    Ok(all.iter().all(|&x| x == 1))
}

fn selftest<C: Communicator>(world: &C) -> Result<bool> {
    let size = world.size() as usize;
    let rank = world.rank() as usize;
    let mut ok = true;
    for n in [0usize, 1, 2, 3, 7, 13, 100, 1001] {
        let data: Vec<u64> = (0..n as u64).map(|i| i * i + 7).collect();
        let mine = scatter(world, 0, if rank == 0 { &data } else { &[] }, n);
        let p = partition(n, size, rank);
        ok &= mine == data[p.clone()];
        let back = gather(world, 0, &mine, n);
        if rank == 0 {
            ok &= back.as_deref() == Some(&data[..]);
        }
        let all = all_gather(world, &mine, n);
        ok &= all == data;
        barrier(world);
    }
    let all = all_gather(world, &[ok as u8], size);
    let ok = all.iter().all(|&x| x == 1);
    if rank == 0 {
        println!(
            "{} scatter/gather/all_gather over {size} ranks, sizes 0..1001 (remainders kept)",
            if ok { "PASS" } else { "FAIL" }
        );
    }
    Ok(ok)
}

fn digits<C: Communicator>(
    world: &C,
    model: Option<&Path>,
    data: Option<&Path>,
    images: Option<usize>,
    path: SimPath,
) -> Result<bool> {
    let root = world.rank() == 0;
    let m = match model {
        Some(p) => DigitsModel::load(p)?,
        None => DigitsModel::shipped()?,
    };
    let d = match data {
        Some(p) => Digits::load(p)?,
        None => Digits::shipped()?,
    };
    let (_, test) = d.split();
    let test = &test[..images.unwrap_or(test.len()).min(test.len())];
    let (mut agree, mut correct) = (0, 0);
    let t0 = Instant::now();
    for &k in test {
        let q = input_q16(&d.images[k]);
        let run = run_network(world, &m.network, &q, m.steps, path, Record::Spikes)?;
        let single = run_single::<u64>(&m.network, &q, m.steps)?;
        agree += usize::from(run == single);
        correct += usize::from(run.predicted() == Some(d.labels[k] as usize));
    }
    if root {
        println!(
            "digits over {} ranks: {agree}/{} runs equal to the single-process run, accuracy {correct}/{} ({:.1} s)",
            world.size(),
            test.len(),
            test.len(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(agree == test.len())
}

fn run<C: Communicator>(world: &C, a: &RunArgs) -> Result<bool> {
    let (model, steps, path) = (a.model.as_deref(), a.steps, SimPath::from(a.path));
    let m = match model {
        Some(p) => RunModel::load(p)?,
        None => RunModel::from_digits(DigitsModel::shipped()?),
    };
    let Some(steps) = steps.or(m.steps) else {
        bail!("--steps is needed: the model file does not say how many steps to run");
    };
    if steps > 65536 {
        bail!("--steps {steps}: at most 65536 steps per sample are allowed");
    }
    let values = Values::Auto { max: a.pixel_max };
    let inputs = load_inputs(&a.input, m.network.dims[0], m.bias_input, values)?;
    let t0 = Instant::now();
    let net = RankNet::new(world, &m.network, path)?;
    let mut runs = Vec::with_capacity(inputs.len());
    for x in &inputs {
        let q: Vec<u32> = x.iter().map(|p| p.q16()).collect();
        runs.push(net.run(world, &m.network.dims, &q, steps, Record::Counts)?);
    }
    barrier(world);
    if world.rank() == 0 {
        let files = write_results(
            &a.out,
            &runs,
            steps,
            &format!("mpi-{}-{path:?}", world.size()),
            false,
        )?;
        eprintln!(
            "ran {} samples x {steps} steps over {} ranks in {:.3} s",
            runs.len(),
            world.size(),
            t0.elapsed().as_secs_f64()
        );
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    Ok(true)
}

fn bench<C: Communicator>(world: &C, a: &BenchArgs) -> Result<bool> {
    let (inputs, neurons, outputs, len, steps, weak) =
        (a.inputs, a.neurons, a.outputs, a.len, a.steps, a.weak);
    let path = SimPath::from(a.path);
    let size = world.size() as usize;
    let hidden = if weak {
        (neurons as f64 * (size as f64).sqrt()).round() as usize
    } else {
        neurons
    };
    let spec = random_network(&[inputs, hidden, hidden, outputs], len, 7);
    let q: Vec<u32> = (0..inputs)
        .map(|i| ((i * 2654435761) % 65537) as u32)
        .collect();
    // Warm-up, then the timed run (the slowest rank counts).
    // Built once (not timed), a warm-up step, then the timed run (the
    // slowest rank counts).
    let net = RankNet::new(world, &spec, path)?;
    net.run(world, &spec.dims, &q, 1, Record::Counts)?;
    barrier(world);
    let t0 = Instant::now();
    let run = net.run(world, &spec.dims, &q, steps, Record::Counts)?;
    barrier(world);
    let t = t0.elapsed().as_secs_f64();
    if world.rank() == 0 {
        println!(
            "{{\"path\": \"{path:?}\", \"ranks\": {size}, \"inputs\": {inputs}, \"hidden\": {hidden}, \"outputs\": {outputs}, \"len\": {len}, \"steps\": {steps}, \"weak\": {weak}, \"seconds\": {t:.6}, \"ms_per_step\": {:.3}, \"threads_per_rank\": {}, \"output_spikes\": {}, \"synapses_per_rank\": {}}}",
            1e3 * t / steps as f64,
            rayon::current_num_threads(),
            run.counts.iter().sum::<u32>(),
            (inputs * hidden + hidden * hidden + hidden * outputs) / size
        );
    }
    Ok(true)
}
