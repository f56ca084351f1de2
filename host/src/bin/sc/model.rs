//! `sc model`: model files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Subcommand;

use sc_host::digits::{DigitsModel, SHIPPED_MODEL_NAME};
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
    },
}

/// Run a `sc model` command.
pub fn run(cmd: ModelCmd) -> Result<bool> {
    match cmd {
        ModelCmd::Export { model, format, out } => {
            export_model(model.as_deref(), format, &out).map(|_| true)
        }
    }
}

fn export_model(model: Option<&Path>, format: export::ExportFormat, out: &Path) -> Result<()> {
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
    Ok(())
}
