//! `sc model`: model files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use sc_host::vectors::export;

#[derive(Subcommand)]
pub enum ModelCmd {
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

/// Run a `sc model` command.
pub fn run(cmd: ModelCmd) -> Result<bool> {
    match cmd {
        ModelCmd::Export { model, format, out } => export_model(&model, format, &out).map(|_| true),
    }
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
