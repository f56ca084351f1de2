//! `sc model`: model files, and NIR graphs to and from them.
//!
//! NIR files are HDF5 written by the Python `nir` package; reading HDF5
//! here would need libhdf5, so `import-nir` and `export-nir` run the
//! Python package (`python -m sc_neuro.nir`, sc_neuro.nir's `main`) with
//! the interpreter named by `SC_PYTHON`, else `python3`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    /// Import a NIR graph (HDF5 of the Python `nir` package) as a model file.
    ///
    /// The chain Input -> (Affine|Linear -> LIF|CubaLIF)+ -> Output,
    /// quantised to an SC network (the mapping: README.md, "Python").
    /// Runs `python -m sc_neuro.nir import` with $SC_PYTHON, else python3,
    /// which needs the package: `pip install "$(git rev-parse --show-toplevel)/python[nir]"`.
    #[command(name = "import-nir")]
    ImportNir {
        /// NIR file to read.
        file: PathBuf,
        /// Model file to write (format: docs/model.md).
        #[arg(long, value_name = "MODEL")]
        out: PathBuf,
        /// The step length in the graph's time unit [default: the graph's metadata "dt"].
        #[arg(long)]
        dt: Option<f64>,
        /// Time steps the model runs [default: the graph's, else 16].
        #[arg(long)]
        steps: Option<usize>,
        /// Stream bits per step [default: the graph's, else 256].
        #[arg(long)]
        length: Option<usize>,
        /// How a LIF's `r` is read: `nir`, NIR's equation (R = r dt / tau);
        /// `unit`, R = 1 whatever r says (the step `v = beta v + I` of spyx
        /// and snnTorch, whose exporters write r differently).
        #[arg(long, value_enum, default_value_t = Drive::Nir)]
        drive: Drive,
    },
    /// Export a model file's SC network as a NIR graph (HDF5).
    ///
    /// Readable by the Python `nir` package and other NIR tools. Runs
    /// `python -m sc_neuro.nir export` with $SC_PYTHON, else python3.
    #[command(name = "export-nir")]
    ExportNir {
        /// Model file to read (format: docs/model.md).
        model: PathBuf,
        /// NIR file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The step stored in the graph (tau = dt / alpha).
        #[arg(long, default_value_t = 1.0)]
        dt: f64,
    },
}

/// How `import-nir` reads a LIF's `r`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Drive {
    /// R = r dt / tau (NIR's equation).
    Nir,
    /// R = 1 (spyx, snnTorch).
    Unit,
}

/// Why a NIR command could not run.
#[derive(Debug, thiserror::Error)]
pub enum NirError {
    #[error("{0}: no such file")]
    NoFile(PathBuf),
    #[error("{what} must be a finite number > 0, got {value}")]
    BadNumber { what: &'static str, value: f64 },
    #[error(
        "cannot run the Python interpreter {python:?} ({source}); set SC_PYTHON to a python \
         with the sc_neuro package: pip install \"$(git rev-parse --show-toplevel)/python[nir]\""
    )]
    NoPython {
        python: OsString,
        source: std::io::Error,
    },
    #[error(
        "the Python interpreter {python:?} cannot import sc_neuro.nir ({detail}); install the \
         package into it: {python:?} -m pip install \"$(git rev-parse --show-toplevel)/python[nir]\", \
         or set SC_PYTHON to a python that has it"
    )]
    NoPackage { python: OsString, detail: String },
    #[error("{0}")]
    Failed(String),
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
        ModelCmd::ImportNir {
            file,
            out,
            dt,
            steps,
            length,
            drive,
        } => {
            if !file.is_file() {
                return Err(NirError::NoFile(file).into());
            }
            let mut args: Vec<OsString> = vec!["import".into(), file.into(), "--out".into()];
            args.push(out.into());
            if let Some(dt) = dt {
                args.extend(["--dt".into(), positive("--dt", dt)?.to_string().into()]);
            }
            if let Some(n) = steps {
                args.extend(["--steps".into(), n.to_string().into()]);
            }
            if let Some(n) = length {
                args.extend(["--length".into(), n.to_string().into()]);
            }
            let d = match drive {
                Drive::Nir => "nir",
                Drive::Unit => "unit",
            };
            args.extend(["--drive".into(), d.into()]);
            python_nir(&args)?;
            Ok(true)
        }
        ModelCmd::ExportNir { model, out, dt } => {
            if !model.is_file() {
                return Err(NirError::NoFile(model).into());
            }
            let mut args: Vec<OsString> = vec!["export".into(), model.into(), "--out".into()];
            args.push(out.into());
            args.extend(["--dt".into(), positive("--dt", dt)?.to_string().into()]);
            python_nir(&args)?;
            Ok(true)
        }
    }
}

fn positive(what: &'static str, value: f64) -> Result<f64, NirError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(NirError::BadNumber { what, value })
    }
}

/// `SC_PYTHON`, else `python3`.
fn python() -> OsString {
    std::env::var_os("SC_PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".into())
}

/// Runs `python -m sc_neuro.nir ARGS`, passing its output through; its
/// error line (`error: FILE: ...`) becomes this command's error.
fn python_nir(args: &[OsString]) -> Result<(), NirError> {
    let py = python();
    let probe = Command::new(&py)
        .args(["-c", "import sc_neuro.nir"])
        .output()
        .map_err(|source| NirError::NoPython {
            python: py.clone(),
            source,
        })?;
    if !probe.status.success() {
        let err = String::from_utf8_lossy(&probe.stderr);
        let detail = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message")
            .trim()
            .to_string();
        return Err(NirError::NoPackage { python: py, detail });
    }
    let out = Command::new(&py)
        .args(["-m", "sc_neuro.nir"])
        .args(args)
        .output()
        .map_err(|source| NirError::NoPython {
            python: py.clone(),
            source,
        })?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let msg = err
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .map(str::to_string)
        // A traceback or an argparse usage message: pass it on whole.
        .unwrap_or_else(|| format!("python -m sc_neuro.nir failed: {}", err.trim()));
    Err(NirError::Failed(msg))
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
