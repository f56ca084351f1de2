//! `sc model`: model files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use sc_host::digits::{self, Digits, DigitsModel, SHIPPED_MODEL_NAME};
use sc_host::vectors::export;

#[derive(Subcommand)]
pub enum ModelCmd {
    /// Export a model's SC network as 32-bit words (layout in docs/vectors.md)
    /// for the RTL (`memh`), the firmware (`rust`) or anything else (`bin`).
    Export {
        /// Model file (format: docs/model.md) [default: the built-in
        /// models/digits.json].
        #[arg(long, value_name = "FILE")]
        model: Option<PathBuf>,
        /// Output encoding.
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
        /// Also write the digits test images as a sample set (labels, the
        /// host's bit-exact predictions and the input probabilities; layout
        /// in docs/vectors.md), little-endian words, to this file.
        #[arg(long, value_name = "FILE")]
        samples: Option<PathBuf>,
    },
}

/// Run a `sc model` command.
pub fn run(cmd: ModelCmd) -> Result<bool> {
    match cmd {
        ModelCmd::Export {
            model,
            format,
            out,
            samples,
        } => export_model(model.as_deref(), format, &out, samples.as_deref()).map(|_| true),
    }
}

fn export_model(
    model: Option<&Path>,
    format: export::ExportFormat,
    out: &Path,
    samples: Option<&Path>,
) -> Result<()> {
    let (m, name) = match model {
        Some(p) => (DigitsModel::load(p)?, p.display().to_string()),
        None => (DigitsModel::shipped()?, "models/digits.json".to_string()),
    };
    let words = export::model_words(&m.network, m.steps).with_context(|| {
        format!(
            "exporting {}",
            model.map_or(SHIPPED_MODEL_NAME.into(), |p| p.display().to_string())
        )
    })?;
    std::fs::write(out, export::render(&words, format, &name, "MODEL"))
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("wrote {} ({} words)", out.display(), words.len());
    if let Some(path) = samples {
        let data = Digits::shipped()?;
        let words = digits::sample_words(&m, &data)?;
        std::fs::write(
            path,
            export::render(&words, export::ExportFormat::Bin, &name, "SAMPLES"),
        )
        .with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {} ({} words)", path.display(), words.len());
    }
    Ok(())
}
