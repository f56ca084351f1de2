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

/// Run a `sc vectors` command; `Ok(false)` means checks failed.
pub fn run(cmd: VectorsCmd) -> Result<bool> {
    match cmd {
        VectorsCmd::Generate { out } => generate(&out).map(|_| true),
        VectorsCmd::Check { files, imp } => check(&files, imp.as_deref()),
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
