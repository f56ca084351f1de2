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
    let bytes = export::render(&words, format, &names.join(" "));
    std::fs::write(out, bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "wrote {} ({} words, {} records)",
        out.display(),
        words.len(),
        words[1]
    );
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Simulate { files, steps } => simulate(&files, steps),
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
