//! `sc vectors`: generate, check and export the shared conformance vectors.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Subcommand;

use sc_host::vectors::{self, export};

#[derive(Subcommand)]
pub enum VectorsCmd {
    /// Write every vector file from the reference kernel.
    Generate {
        /// Output directory.
        #[arg(long, default_value = "tests/vectors")]
        out: PathBuf,
    },
    /// Run each case on every implementation in this process and report.
    /// Exits 0 if everything passed, 1 on any mismatch or malformed case,
    /// 2 if a file cannot be read or has a wrong header (every file is
    /// still checked and reported).
    Check {
        /// Vector files (JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Only this implementation (e.g. kernel-u32; a name starting with
        /// `gpu` implies --gpu).
        #[arg(long = "impl")]
        imp: Option<String>,
        /// Also run the GPU backend (probes for a GPU adapter; on its CPU
        /// fallback when there is none).
        #[arg(long)]
        gpu: bool,
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

/// Run a `sc vectors` command; `Ok(false)` means checks failed.
pub fn run(cmd: VectorsCmd) -> Result<bool> {
    match cmd {
        VectorsCmd::Generate { out } => generate(&out).map(|_| true),
        VectorsCmd::Check { files, imp, gpu } => check(&files, imp.as_deref(), gpu),
        VectorsCmd::Export { format, out, files } => {
            export_files(format, &out, &files).map(|_| true)
        }
    }
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

fn check(files: &[PathBuf], only: Option<&str>, gpu: bool) -> Result<bool> {
    // The GPU is probed only when asked for: probing loads the system's
    // graphics drivers, which may print warnings.
    let which = vectors::Which {
        gpu: gpu || only.is_some_and(|n| n.starts_with("gpu")),
    };
    let mut imps = vectors::implementations(which);
    if let Some(name) = only {
        let all: Vec<String> = imps.iter().map(|i| i.name().to_string()).collect();
        imps.retain(|i| i.name() == name);
        if imps.is_empty() {
            let gpu_note = if which.gpu {
                ""
            } else {
                " (and gpu-* with --gpu)"
            };
            bail!(
                "no implementation named {name:?}; available: {}{gpu_note}",
                all.join(", ")
            );
        }
    }
    let mut report = vectors::Report::default();
    let mut unreadable = vec![];
    for path in files {
        match vectors::load_cases(path) {
            Ok(file) => {
                vectors::check_loaded(&path.display().to_string(), &file, &imps, &mut report)
            }
            Err(e) => unreadable.push(vectors::compute::chain(&e)),
        }
    }
    for l in &report.lines {
        println!("{l}");
    }
    for f in &report.failures {
        println!("{f}");
    }
    for e in &unreadable {
        println!("UNREADABLE {e}");
    }
    let names: Vec<&str> = imps.iter().map(|i| i.name()).collect();
    println!("implementations: {}", names.join(", "));
    let mut summary = format!(
        "vectors: {} passed, {} failed",
        report.passed, report.failed
    );
    if report.malformed > 0 {
        summary.push_str(&format!(", {} malformed", report.malformed));
    }
    if !unreadable.is_empty() {
        summary.push_str(&format!(", {} unreadable files", unreadable.len()));
    }
    println!("{summary}");
    if !unreadable.is_empty() {
        bail!(
            "{} of {} files could not be read or have a wrong header",
            unreadable.len(),
            files.len()
        );
    }
    Ok(report.failed == 0 && report.malformed == 0 && report.passed > 0)
}

fn export_files(format: export::ExportFormat, out: &Path, files: &[PathBuf]) -> Result<()> {
    let mut loaded = vec![];
    for p in files {
        let label = p.display().to_string();
        let file = vectors::load_cases(p)?;
        if let Some(m) = file.malformed().next() {
            bail!("{label}: {m}; nothing written");
        }
        loaded.push((label, file.valid()));
    }
    let words = export::word_stream_of(&loaded)?;
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
