//! `sc train`: train a spiking network on any CSV (feature columns and a
//! label column), hold out a validation split, quantise it to an SC
//! network and write a model file that `sc run` executes.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use sc_host::engine::{Engine, Record};
use sc_host::job::Values;
use sc_host::snn::Surrogate;
use sc_host::train::{self, Dataset, LabelColumn, OptimizerKind, TrainConfig};
use sc_kernel::fixed::types::I16F16;
use sc_kernel::sng::Probability;

use crate::run::ValuesArg;

/// The surrogate gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SurrogateArg {
    /// Fast sigmoid `beta / (2 (1 + beta |u - theta|)^2)` (the seed's custom_vjp).
    FastSigmoid,
    /// Straight-through logistic `beta s (1 - s)` (the seed's legacy_stop_gradient).
    StraightThrough,
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// Adam (betas 0.9, 0.999).
    Adam,
    /// Plain SGD.
    Sgd,
}

/// Arguments of `sc train`. Every setting may also come from `--config`;
/// a flag overrides the file.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The data set: CSV, one sample per row (an optional header row),
    /// feature columns and a label column (integers 0..classes).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Settings as JSON (any of dims, steps, epochs, lr, surrogate,
    /// optimizer, batch, validation, seed, alpha, threshold, beta, kappa,
    /// bias, len); flags override them.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Layer widths: inputs (feature columns), hidden layers, classes.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "N,...",
        allow_negative_numbers = true
    )]
    dims: Option<Vec<usize>>,
    /// Time steps per sample, 1..=65536 [default: 16].
    #[arg(long, allow_negative_numbers = true)]
    steps: Option<usize>,
    /// Passes over the training split, 1..=100000 [default: 10].
    #[arg(long, allow_negative_numbers = true)]
    epochs: Option<usize>,
    /// Learning rate, > 0 [default: 0.002].
    #[arg(long, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Surrogate gradient [default: fast-sigmoid].
    #[arg(long, value_enum)]
    surrogate: Option<SurrogateArg>,
    /// Optimiser [default: adam].
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerArg>,
    /// Samples per mini-batch [default: 32].
    #[arg(long, allow_negative_numbers = true)]
    batch: Option<usize>,
    /// Fraction held out for validation, in [0, 1) [default: 0.2].
    #[arg(long, allow_negative_numbers = true)]
    validation: Option<f64>,
    /// Seed of the weights, the split and the shuffles [default: 1].
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<u64>,
    /// Leak per step, (0, 1] [default: 0.25].
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// Firing threshold, > 0 [default: 1].
    #[arg(long, allow_negative_numbers = true)]
    threshold: Option<f64>,
    /// Surrogate slope, > 0 [default: 4].
    #[arg(long, allow_negative_numbers = true)]
    beta: Option<f64>,
    /// Logit scale of the spike counts, > 0 [default: 0.5].
    #[arg(long, allow_negative_numbers = true)]
    kappa: Option<f64>,
    /// No bias input in layer 0.
    #[arg(long)]
    no_bias: bool,
    /// The SC model's stream length, bits per step, 1..=65536 [default: 256].
    #[arg(long, allow_negative_numbers = true)]
    len: Option<usize>,
    /// The label column: a header name or a 0-based index [default: the
    /// column named `label` if there is a header, else the last column].
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// How feature values are read (as `sc run` reads inputs).
    #[arg(long, value_enum, default_value_t = ValuesArg::Auto)]
    values: ValuesArg,
    /// The largest pixel value (with pixel features).
    #[arg(long, default_value_t = 255, value_parser = clap::value_parser!(u32).range(1..))]
    pixel_max: u32,
    /// The model file written (docs/model.md; run it with `sc run --model`).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "target/sc-train/model.json"
    )]
    out: PathBuf,
}

impl TrainArgs {
    /// The settings: the config file (or the defaults), then the flags.
    fn config(&self) -> Result<TrainConfig> {
        let mut c = match &self.config {
            Some(p) => TrainConfig::load(p)?,
            None => TrainConfig::default(),
        };
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = &self.$f { c.$f = v.clone(); })* };
        }
        set!(dims, steps, epochs, lr, batch, validation, seed, alpha, threshold, beta, kappa, len);
        if let Some(s) = self.surrogate {
            c.surrogate = match s {
                SurrogateArg::FastSigmoid => Surrogate::FastSigmoid,
                SurrogateArg::StraightThrough => Surrogate::StraightThrough,
            };
        }
        if let Some(o) = self.optimizer {
            c.optimizer = match o {
                OptimizerArg::Adam => OptimizerKind::Adam,
                OptimizerArg::Sgd => OptimizerKind::Sgd,
            };
        }
        if self.no_bias {
            c.bias = false;
        }
        if c.dims.is_empty() {
            anyhow::bail!(
                "--dims: not given (by the flag or the config file); give the widths, inputs \
                 first, classes last, e.g. --dims 784,256,10"
            );
        }
        c.validate().map_err(flag_err)?;
        Ok(c)
    }
}

/// A setting's error with the field spelt as its flag (`--lr`).
fn flag_err(e: train::TrainError) -> anyhow::Error {
    match e {
        train::TrainError::Setting { field, what } => {
            anyhow::anyhow!("--{}: {what}", field.replace(", ", ", --"))
        }
        e => e.into(),
    }
}

/// Run `sc train`.
pub fn run(a: &TrainArgs) -> Result<bool> {
    let cfg = a.config()?;
    let values = match a.values {
        ValuesArg::Auto => Values::Auto { max: a.pixel_max },
        ValuesArg::Prob => Values::Probabilities,
        ValuesArg::Pixels => Values::Pixels { max: a.pixel_max },
    };
    let label = a
        .label
        .as_deref()
        .map_or(LabelColumn::Default, LabelColumn::parse);
    let classes = cfg.dims[cfg.dims.len() - 1];
    let data = Dataset::load(&a.data, &label, cfg.dims[0], classes, values)?;
    let (train_idx, val_idx) =
        train::split(data.len(), cfg.validation, cfg.seed).map_err(flag_err)?;
    // The output is checked before the work.
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--out: cannot create directory {}", dir.display()))?;
    }
    let existed = a.out.symlink_metadata().is_ok();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&a.out)
        .with_context(|| format!("--out: cannot write {}", a.out.display()))?;
    if !existed {
        let _ = std::fs::remove_file(&a.out);
    }
    eprintln!(
        "{}: {} samples ({} train, {} validation), label column {}; training {:?}, {} steps, \
         {} epochs, {} surrogate, {}, lr {}, batch {}",
        a.data.display(),
        data.len(),
        train_idx.len(),
        val_idx.len(),
        data.label_column,
        cfg.dims,
        cfg.steps,
        cfg.epochs,
        cfg.surrogate.name(),
        cfg.optimizer.name(),
        cfg.lr,
        cfg.batch
    );
    // indicatif draws only on a terminal (hidden when stderr is not one).
    let total = (train_idx.len() * cfg.epochs) as u64;
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} samples {msg} [{elapsed}, eta {eta}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let t0 = Instant::now();
    let (snn, history) = train::train(
        &cfg,
        &data,
        &train_idx,
        &val_idx,
        |n| bar.inc(n as u64),
        |e| {
            let mut line = format!(
                "epoch {}: train loss {:.4}, accuracy {:.1}%",
                e.epoch,
                e.train_loss,
                100.0 * e.train_accuracy
            );
            if let (Some(l), Some(acc)) = (e.val_loss, e.val_accuracy) {
                line.push_str(&format!(
                    "; validation loss {l:.4}, accuracy {:.1}%",
                    100.0 * acc
                ));
                bar.set_message(format!("epoch {}: val {:.1}%", e.epoch, 100.0 * acc));
            } else {
                bar.set_message(format!("epoch {}", e.epoch));
            }
            bar.println(&line);
            if bar.is_hidden() {
                eprintln!("{line}");
            }
        },
    )
    .map_err(flag_err)?;
    bar.finish_and_clear();
    let secs = t0.elapsed().as_secs_f64();
    eprintln!(
        "trained in {secs:.2} s ({:.3} s per epoch)",
        secs / cfg.epochs as f64
    );
    let description = format!(
        "{:?} SNN, {} steps, trained {} epochs by `sc train` on {} ({} surrogate, {}, lr {})",
        cfg.dims,
        cfg.steps,
        cfg.epochs,
        a.data.display(),
        cfg.surrogate.name(),
        cfg.optimizer.name(),
        cfg.lr
    );
    let model = train::model(snn, cfg.len, description)?;
    // The SC network on the validation split (as `sc run --backend cpu` runs it).
    if !val_idx.is_empty() {
        let mut rows = data.rows(&val_idx)?;
        if cfg.bias {
            rows.iter_mut().for_each(|r| r.push(Probability::ONE));
        }
        let e = Engine::<I16F16>::new(&model.network)?;
        let runs = e.run_batch(&rows, model.steps, Record::Counts)?;
        let correct = runs
            .iter()
            .zip(&val_idx)
            .filter(|(r, &i)| r.predicted() == Some(data.labels[i]))
            .count();
        let float = history.last().and_then(|e| e.val_accuracy).unwrap_or(0.0);
        eprintln!(
            "validation accuracy: float {:.1}%, SC (Q16.16, Sobol, L = {}) {:.1}% ({correct}/{})",
            100.0 * float,
            cfg.len,
            100.0 * correct as f64 / val_idx.len() as f64,
            val_idx.len()
        );
    }
    std::fs::write(&a.out, model.to_json())
        .with_context(|| format!("--out: cannot write {}", a.out.display()))?;
    eprintln!(
        "wrote {} (run it: sc run --model {} --input FEATURES.csv --out results.csv)",
        a.out.display(),
        a.out.display()
    );
    Ok(true)
}
