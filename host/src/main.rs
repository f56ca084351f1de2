//! `sc`: the sc-neuro command-line tool.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};

use sc_host::hex::bits_to_str;
use sc_host::scnet::run_network;
use sc_host::vectors::{self, export, Case};

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
    Digits(DigitsArgs),
    /// Simulate SC spiking networks on the host and print their spike rasters.
    ///
    /// Reads every `network` case of the given vector files (default:
    /// tests/vectors/network.json), runs it on the kernel and compares the
    /// spike trains with the file.
    Simulate {
        /// Vector files holding `network` cases.
        files: Vec<PathBuf>,
        /// Time steps to run (default: each case's own).
        #[arg(long)]
        steps: Option<usize>,
    },
    /// Shared conformance vectors.
    #[command(subcommand)]
    Vectors(VectorsCmd),
    /// Model files.
    #[command(subcommand)]
    Model(ModelCmd),
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
    },
}

#[derive(clap::Args)]
struct DigitsArgs {
    /// The data set (UCI optical digits, CSV).
    #[arg(long, default_value = "host/data/digits.csv")]
    data: PathBuf,
    /// Model file: loaded if it exists, else trained and written.
    #[arg(long, default_value = "models/digits.json")]
    model: PathBuf,
    /// Train even if the model file exists (and overwrite it).
    #[arg(long)]
    train: bool,
    /// Training epochs.
    #[arg(long, default_value_t = 60)]
    epochs: usize,
    /// Stream lengths to evaluate (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "32,64,128,256,512,1024")]
    lengths: Vec<usize>,
    /// Where to write the accuracy plot (SVG).
    #[arg(long, default_value = "target/digits-accuracy.svg")]
    plot: PathBuf,
    /// Also write the table as Markdown here.
    #[arg(long)]
    report: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ModelCmd {
    /// Export a model's SC network as 32-bit words (layout in docs/vectors.md)
    /// for the RTL (`memh`), the firmware (`rust`) or anything else (`bin`).
    Export {
        /// Model file.
        #[arg(long, default_value = "models/digits.json")]
        model: PathBuf,
        /// Output encoding.
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum VectorsCmd {
    /// Write every vector file from the reference kernel.
    Generate {
        /// Output directory.
        #[arg(long, default_value = "tests/vectors")]
        out: PathBuf,
    },
    /// Run each case on every implementation in this process and report.
    /// Exits non-zero on any mismatch or error.
    Check {
        /// Vector files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only this implementation (e.g. kernel-u32).
        #[arg(long = "impl")]
        imp: Option<String>,
    },
    /// Export vector files as a 32-bit word stream for RTL or firmware.
    Export {
        /// Output encoding.
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Vector files (JSON), concatenated in order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn generate(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let files = vectors::generate::generate_all()?;
    for f in &files {
        let path = out.join(format!("{}.json", f.group));
        std::fs::write(&path, vectors::to_text(f))
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} ({} cases)", path.display(), f.cases.len());
    }
    Ok(())
}

fn check(files: &[PathBuf], only: Option<&str>) -> Result<bool> {
    let mut imps = vectors::implementations();
    if let Some(name) = only {
        imps.retain(|i| i.name() == name);
        if imps.is_empty() {
            let all: Vec<String> = vectors::implementations()
                .iter()
                .map(|i| i.name().to_string())
                .collect();
            bail!(
                "no implementation named {name:?}; available: {}",
                all.join(", ")
            );
        }
    }
    let mut report = vectors::Report::default();
    for path in files {
        let file = vectors::load(path)?;
        vectors::check_file(&path.display().to_string(), &file, &imps, &mut report);
    }
    for l in &report.lines {
        println!("{l}");
    }
    for f in &report.failures {
        println!("{f}");
    }
    let names: Vec<&str> = imps.iter().map(|i| i.name()).collect();
    println!("implementations: {}", names.join(", "));
    println!(
        "vectors: {} passed, {} failed",
        report.passed, report.failed
    );
    Ok(report.failed == 0 && report.passed > 0)
}

fn export_files(format: export::ExportFormat, out: &Path, files: &[PathBuf]) -> Result<()> {
    let loaded = files
        .iter()
        .map(|p| vectors::load(p))
        .collect::<Result<Vec<_>, _>>()?;
    let words = export::word_stream(&loaded)?;
    let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
    let bytes = export::render(&words, format, &names.join(" "), "VECTORS");
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({} words, {} records)",
        out.display(),
        words.len(),
        words[1]
    );
    Ok(())
}

fn export_model(model: &Path, format: export::ExportFormat, out: &Path) -> Result<()> {
    let m = sc_host::digits::DigitsModel::load(model)?;
    let words = export::model_words(&m.network, m.steps)?;
    std::fs::write(
        out,
        export::render(&words, format, &model.display().to_string(), "MODEL"),
    )
    .with_context(|| format!("writing {}", out.display()))?;
    println!("wrote {} ({} words)", out.display(), words.len());
    Ok(())
}

fn simulate(files: &[PathBuf], steps: Option<usize>) -> Result<bool> {
    let default = [PathBuf::from("tests/vectors/network.json")];
    let files = if files.is_empty() {
        &default[..]
    } else {
        files
    };
    let mut all_ok = true;
    let mut ran = 0;
    for path in files {
        let file = vectors::load(path)?;
        for case in &file.cases {
            let Case::Network {
                name,
                network,
                inputs_q16,
                steps: n,
                expect,
            } = case
            else {
                continue;
            };
            let t = steps.unwrap_or(*n);
            let run = run_network::<u64>(network, inputs_q16, t)?;
            ran += 1;
            println!(
                "== {name}: dims {:?}, L = {}, {:?} LIF, {t} steps",
                network.dims, network.len, network.format
            );
            for (k, _) in network.layers.iter().enumerate() {
                println!("  layer {k} raster (rows = neurons, columns = steps):");
                for j in 0..network.dims[k + 1] {
                    let row = bits_to_str(run.spikes.iter().map(|s| s[k][j]))
                        .replace('0', ".")
                        .replace('1', "|");
                    println!("    {j:>3} {row}");
                }
            }
            println!(
                "  output spike counts: {:?}, predicted class: {:?}",
                run.counts,
                run.predicted()
            );
            if t == *n {
                let same = run.counts == expect.counts
                    && run.spikes.iter().zip(&expect.spikes).all(|(s, e)| {
                        s.iter()
                            .zip(e)
                            .all(|(l, es)| bits_to_str(l.iter().copied()) == *es)
                    });
                println!(
                    "  matches the shared vectors: {}",
                    if same { "yes" } else { "NO" }
                );
                all_ok &= same;
            }
        }
    }
    if ran == 0 {
        bail!("no `network` cases in {:?}", files);
    }
    Ok(all_ok)
}

fn digits(a: &DigitsArgs) -> Result<bool> {
    use indicatif::{ProgressBar, ProgressStyle};
    use sc_host::digits::{self, Digits, DigitsModel};
    use sc_host::scnet::LifFormat;

    if a.lengths.is_empty() || a.lengths.contains(&0) {
        bail!("--lengths must be positive stream lengths, e.g. 64,256");
    }
    let data = Digits::load(&a.data)?;
    let (train_idx, test_idx) = data.split();
    println!(
        "digits: {} images ({} train, {} test) from {}",
        data.images.len(),
        train_idx.len(),
        test_idx.len(),
        a.data.display()
    );
    let model = if a.model.exists() && !a.train {
        let m = DigitsModel::load(&a.model)?;
        println!("loaded {} ({})", a.model.display(), m.description);
        m
    } else {
        let cfg = digits::default_config();
        println!(
            "training {:?} SNN, {} steps, {} epochs (surrogate gradients, BPTT, Adam)",
            cfg.sizes, cfg.steps, a.epochs
        );
        let bar = ProgressBar::new(a.epochs as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:40} epoch {pos}/{len} {msg} [{elapsed_precise}, eta {eta}]",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let t0 = std::time::Instant::now();
        let snn = digits::train(&data, &train_idx, cfg, a.epochs, |_, loss| {
            bar.set_message(format!("loss {loss:.4}"));
            bar.inc(1);
        })?;
        bar.finish();
        println!("trained in {:.1} s", t0.elapsed().as_secs_f64());
        let (ws, xs) = digits::sources("sobol");
        let network = digits::quantise(&snn, LifFormat::Q16_16, 256, ws, xs)?;
        let m = DigitsModel {
            format: "sc-neuro-model".into(),
            version: 1,
            description: format!(
                "digits SNN {:?}, {} steps, trained {} epochs by `sc digits --train`",
                snn.config.sizes, snn.config.steps, a.epochs
            ),
            steps: snn.config.steps,
            snn,
            network,
        };
        if let Some(dir) = a.model.parent() {
            std::fs::create_dir_all(dir)?;
        }
        m.save(&a.model)?;
        println!("wrote {}", a.model.display());
        m
    };
    let bar = ProgressBar::new_spinner();
    let t0 = std::time::Instant::now();
    let report = digits::evaluate(&model, &data, &test_idx, &a.lengths, |what| {
        bar.set_message(format!("evaluating {what}"))
    })?;
    bar.finish_and_clear();
    println!(
        "\ntest accuracy ({} images, {} steps per image; evaluated in {:.1} s):\n",
        report.test_images,
        model.steps,
        t0.elapsed().as_secs_f64()
    );
    print!("{}", report.markdown());
    if let Some(dir) = a.plot.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&a.plot, report.svg())?;
    println!("\nplot: {}", a.plot.display());
    if let Some(r) = &a.report {
        std::fs::write(r, report.markdown())?;
    }
    let float = report.get("float SNN", "-", 256).unwrap_or(0.0);
    let sc = report.get("SC + fixed-point LIF Q16.16", "sobol", 256);
    println!("float SNN: {:.1}% (target >= 95%)", 100.0 * float);
    if let Some(sc) = sc {
        println!(
            "SC + fixed-point Q16.16 LIF, Sobol, L = 256: {:.1}% ({:+.1} points vs float; target within 2)",
            100.0 * sc,
            100.0 * (sc - float)
        );
    }
    Ok(true)
}

fn bench(threads: &[usize], reps: usize, json: Option<&Path>) -> Result<()> {
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
fn bench_gpu(_: usize, _: Option<&Path>) -> Result<()> {
    bail!("this `sc` was built without the `gpu` feature")
}

#[cfg(feature = "gpu")]
fn bench_gpu(reps: usize, json: Option<&Path>) -> Result<()> {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Digits(a) => digits(&a),
        Cmd::Simulate { files, steps } => simulate(&files, steps),
        Cmd::Model(ModelCmd::Export { model, format, out }) => {
            export_model(&model, format, &out).map(|_| true)
        }
        Cmd::Bench {
            threads,
            reps,
            json,
            gpu,
        } => {
            if gpu {
                bench_gpu(reps, json.as_deref()).map(|_| true)
            } else {
                bench(&threads, reps, json.as_deref()).map(|_| true)
            }
        }
        Cmd::Vectors(VectorsCmd::Generate { out }) => generate(&out).map(|_| true),
        Cmd::Vectors(VectorsCmd::Check { files, imp }) => check(&files, imp.as_deref()),
        Cmd::Vectors(VectorsCmd::Export { format, out, files }) => {
            export_files(format, &out, &files).map(|_| true)
        }
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
