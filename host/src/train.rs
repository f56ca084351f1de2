//! Training a network on a user's CSV (`sc train`): read the samples and
//! their labels, hold out a validation split, train the float network
//! ([`crate::snn`], batched with [`crate::snn::batch`]) with a surrogate
//! gradient and Adam or SGD, then quantise it to an SC network
//! ([`crate::digits::quantise`]) in a model file that `sc run` executes.
//!
//! The CSV: one sample per row, an optional header row of names, feature
//! columns and one label column. The label column is `--label` (a
//! header name or a 0-based index); without it, the column named `label`
//! (any case) if the header has one, else the last column. Labels are
//! integers `0..classes` (`classes` = the last of `dims`). Features are
//! read as `sc run` reads inputs ([`Values`]: probabilities in `[0, 1]`,
//! or pixels `0..=max`, `auto` picking pixels when any feature is above
//! one), and the float network sees each as its Q0.16 probability,
//! exactly what the SC network gets.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::digits::{quantise, DigitsError, DigitsModel, MAX_EPOCHS, MAX_LEN, MAX_STEPS};
use crate::job::{read_csv, JobError, Values};
use crate::limits;
use crate::scnet::{LifFormat, Source};
use crate::snn::batch;
use crate::snn::{Adam, Optimizer, Sgd, Snn, SnnConfig, SnnError, Surrogate};

/// Why training could not run; every message names the file (row and
/// column) or the setting, and says what is allowed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The data file could not be read or parsed (non-numeric values,
    /// ragged rows: the row and column are named).
    #[error(transparent)]
    Csv(#[from] JobError),
    /// The data do not fit the network (empty, labels, widths).
    #[error("data {path}: {what}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong, and what is allowed.
        what: String,
    },
    /// A bad setting (from a flag or the config file).
    #[error("{field}: {what}")]
    Setting {
        /// The setting (`dims`, `lr`, ...; flags spell it `--dims`).
        field: &'static str,
        /// What is wrong, and what is allowed.
        what: String,
    },
    /// The config file is malformed.
    #[error("config {path}: {what}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A [`Dataset`] or sample indices given to [`train`] or
    /// [`Dataset::rows`] that do not fit together.
    #[error("dataset: {0}")]
    Dataset(String),
    /// The float network rejected the setup.
    #[error(transparent)]
    Snn(#[from] SnnError),
    /// Quantising or checking the model failed.
    #[error(transparent)]
    Model(#[from] DigitsError),
}

/// The optimiser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    /// Adam (betas 0.9, 0.999).
    Adam,
    /// Plain SGD, `w -= lr * g` (the seed's `jax_surrogate_gradient_step`).
    Sgd,
}

impl OptimizerKind {
    /// The flag spelling (`adam`, `sgd`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Adam => "adam",
            Self::Sgd => "sgd",
        }
    }
}

/// Every training setting; the config file (`--config`, JSON) holds any
/// of these fields (unknown ones are errors), flags override them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Layer widths: inputs (feature columns), hidden layers, classes.
    pub dims: Vec<usize>,
    /// Time steps per sample, 1..=65536 (float network and SC model).
    pub steps: usize,
    /// Passes over the training split, 1..=100000.
    pub epochs: usize,
    /// Learning rate, > 0.
    pub lr: f64,
    /// Pseudo-derivative of the spike in the backward pass.
    pub surrogate: Surrogate,
    /// The optimiser.
    pub optimizer: OptimizerKind,
    /// Samples per mini-batch, >= 1.
    pub batch: usize,
    /// Fraction of the samples held out for validation, in `[0, 1)`.
    pub validation: f64,
    /// Seed of the initial weights, the split and the shuffles.
    pub seed: u64,
    /// Leak per step, in (0, 1] (spec §6; the seed's keep factor is `1 - alpha`).
    pub alpha: f64,
    /// Firing threshold, > 0.
    pub threshold: f64,
    /// Surrogate slope, > 0.
    pub beta: f64,
    /// Logit scale of the spike counts, > 0.
    pub kappa: f64,
    /// Whether layer 0 has a bias input.
    pub bias: bool,
    /// The SC model's stream length per step, 1..=65536 bits.
    pub len: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            dims: vec![],
            steps: 16,
            epochs: 10,
            lr: 0.002,
            surrogate: Surrogate::FastSigmoid,
            optimizer: OptimizerKind::Adam,
            batch: 32,
            validation: 0.2,
            seed: 1,
            alpha: 0.25,
            threshold: 1.0,
            beta: 4.0,
            kappa: 0.5,
            bias: true,
            len: 256,
        }
    }
}

impl TrainConfig {
    /// Read a config file (JSON object of any [`TrainConfig`] fields).
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = limits::read_text(path).map_err(|e| TrainError::Config {
            path: path.display().to_string(),
            // The OS's reason (not found, permission denied) too.
            what: match std::error::Error::source(&e) {
                Some(cause) => format!("{e}: {cause}"),
                None => e.to_string(),
            },
        })?;
        serde_json::from_str(&text).map_err(|e| TrainError::Config {
            path: path.display().to_string(),
            what: e.to_string(),
        })
    }

    /// Check every setting's range, and the network's memory.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |field, what: String| Err(TrainError::Setting { field, what });
        if self.dims.len() < 2 || self.dims.contains(&0) {
            return bad(
                "dims",
                format!(
                    "{:?}: give at least 2 widths, each >= 1: inputs, hidden layers, classes \
                     (e.g. 784,256,10)",
                    self.dims
                ),
            );
        }
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return bad("steps", format!("{}; allowed 1..={MAX_STEPS}", self.steps));
        }
        if !(1..=MAX_EPOCHS).contains(&self.epochs) {
            return bad(
                "epochs",
                format!("{}; allowed 1..={MAX_EPOCHS}", self.epochs),
            );
        }
        // The network trains in f32: every float setting must survive the
        // conversion (1e300 is infinite there, 1e-300 is zero).
        let f32_ok = |x: f64| x > 0.0 && (x as f32).is_finite() && (x as f32) > 0.0;
        for (field, x) in [("lr", self.lr), ("beta", self.beta), ("kappa", self.kappa)] {
            if !f32_ok(x) {
                return bad(
                    field,
                    format!(
                        "{}; allowed > 0 and within f32 range ({:e} ..= {:e})",
                        num(x),
                        f32::MIN_POSITIVE,
                        f32::MAX
                    ),
                );
            }
        }
        // The SC model holds them in Q16.16 (v_reset = 0).
        let (q_min, q_max) = (1.0 / 65536.0, 32767.0);
        if !(self.threshold >= q_min && self.threshold <= q_max) {
            return bad(
                "threshold",
                format!(
                    "{}; allowed {q_min:e} (2^-16) ..= {q_max} (Q16.16, above v_reset = 0)",
                    num(self.threshold)
                ),
            );
        }
        if !(self.alpha >= q_min && self.alpha <= 1.0) {
            return bad(
                "alpha",
                format!(
                    "{}; allowed {q_min:e} (2^-16, the smallest Q16.16 step) ..= 1",
                    num(self.alpha)
                ),
            );
        }
        if self.batch == 0 {
            return bad("batch", "0; allowed >= 1".into());
        }
        if !(0.0..1.0).contains(&self.validation) {
            return bad(
                "validation",
                format!("{}; allowed a fraction in [0, 1)", self.validation),
            );
        }
        if !(1..=MAX_LEN).contains(&self.len) {
            return bad("len", format!("{}; allowed 1..={MAX_LEN}", self.len));
        }
        let weights = self.dims.windows(2).fold(0usize, |a, w| {
            a.saturating_add(w[0].saturating_add(1).saturating_mul(w[1]))
        });
        limits::check_bytes::<f32>(
            "dims: weights and optimiser state (x 4)",
            weights.saturating_mul(4),
        )
        .map_err(|e| TrainError::Setting {
            field: "dims",
            what: e.to_string(),
        })?;
        let snn = self.snn_config();
        batch::check_memory::<f32>(&snn, self.batch, true)
            .and_then(|_| {
                batch::check_memory::<f32>(
                    &snn,
                    batch::CHUNK.saturating_mul(rayon::current_num_threads()),
                    false,
                )
            })
            .map_err(|e| TrainError::Setting {
                field: "steps, dims, batch",
                what: e.to_string(),
            })?;
        crate::digits::check_stream_memory("len", &self.dims, self.len).map_err(|e| {
            TrainError::Setting {
                field: "len",
                what: e.to_string(),
            }
        })?;
        self.snn_config()
            .validate()
            .map_err(|e| TrainError::Setting {
                field: "alpha, threshold, beta, kappa",
                what: e.to_string(),
            })
    }

    /// The float network's hyper-parameters.
    pub fn snn_config(&self) -> SnnConfig {
        SnnConfig {
            sizes: self.dims.clone(),
            steps: self.steps,
            alpha: self.alpha,
            threshold: self.threshold,
            beta: self.beta,
            kappa: self.kappa,
            bias: self.bias,
        }
    }
}

/// How the label column is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelColumn {
    /// The column named `label` (any case) if there is a header row that
    /// has one, else the last column.
    Default,
    /// A 0-based column index.
    Index(usize),
    /// A header name.
    Name(String),
}

impl LabelColumn {
    /// `--label VALUE`: an index if it is a number, else a header name.
    pub fn parse(s: &str) -> Self {
        match s.parse::<usize>() {
            Ok(i) => Self::Index(i),
            Err(_) => Self::Name(s.to_string()),
        }
    }
}

/// Samples and labels read from a CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Samples x features, row-major, each the Q0.16 probability the SC
    /// network gets, as a float in `[0, 1]`.
    pub features: Vec<f32>,
    /// Per sample its class, `0..classes`.
    pub labels: Vec<usize>,
    /// Features per sample.
    pub inputs: usize,
    /// The label column's index in the file.
    pub label_column: usize,
}

impl Dataset {
    /// Samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The features as `sc run` input rows (probabilities, without the
    /// label; for checking the SC model on them).
    /// An index past the samples is an error.
    pub fn rows(&self, idx: &[usize]) -> Result<Vec<Vec<sc_kernel::sng::Probability>>, TrainError> {
        self.check(None)?;
        check_indices(self, idx, "rows")?;
        Ok(idx
            .iter()
            .map(|&i| {
                self.features[i * self.inputs..(i + 1) * self.inputs]
                    .iter()
                    .map(|&f| {
                        sc_kernel::sng::Probability::from_q16((f as f64 * 65536.0).round() as u32)
                            .unwrap_or(sc_kernel::sng::Probability::ONE)
                    })
                    .collect()
            })
            .collect())
    }

    /// The fields fit together: `features` holds `labels.len() x inputs`
    /// values, and (with `dims`) `inputs` is `dims[0]` and every label is
    /// below the last width.
    pub fn check(&self, dims: Option<&[usize]>) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Dataset(m));
        if self.labels.len().checked_mul(self.inputs) != Some(self.features.len()) {
            return bad(format!(
                "{} feature values for {} labels x {} inputs: they must be equal",
                self.features.len(),
                self.labels.len(),
                self.inputs
            ));
        }
        if let Some(dims) = dims {
            if dims.first() != Some(&self.inputs) {
                return bad(format!(
                    "{} inputs per sample, but dims[0] is {:?}: they must be equal",
                    self.inputs,
                    dims.first()
                ));
            }
            let classes = dims[dims.len() - 1];
            if let Some(b) = self.labels.iter().position(|&y| y >= classes) {
                return bad(format!(
                    "sample {b}: label {}; allowed 0..{classes} (dims ends in {classes})",
                    self.labels[b]
                ));
            }
        }
        Ok(())
    }

    /// Read `path` (CSV) for a network of `inputs` inputs and `classes`
    /// classes.
    pub fn load(
        path: &Path,
        label: &LabelColumn,
        inputs: usize,
        classes: usize,
        values: Values,
    ) -> Result<Self, TrainError> {
        let name = path.display().to_string();
        let err = |what: String| TrainError::Data {
            path: name.clone(),
            what,
        };
        let t = read_csv(path)?;
        if t.rows == 0 {
            return Err(err(
                "no data rows: at least one sample (features and a label) is needed".into(),
            ));
        }
        if t.cols < 2 {
            return Err(err(format!(
                "{} column per row: feature columns and a label column are needed",
                t.cols
            )));
        }
        let col = match label {
            LabelColumn::Index(i) => {
                if *i >= t.cols {
                    return Err(err(format!(
                        "--label {i}: the rows have {} columns (0..{} allowed)",
                        t.cols, t.cols
                    )));
                }
                *i
            }
            LabelColumn::Name(n) => match &t.header {
                Some(h) => h.iter().position(|c| c == n).ok_or_else(|| {
                    err(format!(
                        "--label {n:?}: no such column; the header has {h:?}"
                    ))
                })?,
                None => {
                    return Err(err(format!(
                        "--label {n:?}: the file has no header row; give a 0-based column index"
                    )))
                }
            },
            LabelColumn::Default => t
                .header
                .as_ref()
                .and_then(|h| h.iter().position(|c| c.eq_ignore_ascii_case("label")))
                .unwrap_or(t.cols - 1),
        };
        let features = t.cols - 1;
        if features != inputs {
            return Err(err(format!(
                "{features} feature columns (the rows' {} columns less the label column {col}), \
                 but dims[0] is {inputs}: they must be equal",
                t.cols
            )));
        }
        let feats: Vec<f64> = t
            .values
            .chunks_exact(t.cols)
            .flat_map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|&(c, _)| c != col)
                    .map(|(_, &v)| v)
            })
            .collect();
        let (values, why) = values
            .resolve_checked(&feats, |i| {
                let f = i % features;
                format!("row {}, column {}", i / features, f + usize::from(f >= col))
            })
            .map_err(err)?;
        let why = why.map_or(String::new(), |w| format!(" ({w})"));
        let mut out = limits::try_with_capacity::<f32>("features", feats.len())
            .map_err(|e| err(e.to_string()))?;
        let mut labels = Vec::with_capacity(t.rows);
        for (r, row) in t.values.chunks_exact(t.cols).enumerate() {
            for (c, &v) in row.iter().enumerate() {
                if c == col {
                    if !(v.fract() == 0.0 && v >= 0.0 && v < classes as f64) {
                        return Err(err(format!(
                            "row {r}, column {c} (the label): {v} is not a class: an integer in \
                             0..{classes} (dims ends in {classes}) is allowed"
                        )));
                    }
                    labels.push(v as usize);
                } else {
                    let p = values.probability(v).map_err(|allowed| {
                        err(format!("row {r}, column {c}: {v} is not {allowed}{why}"))
                    })?;
                    out.push((p.q16() as f64 / 65536.0) as f32);
                }
            }
        }
        Ok(Self {
            features: out,
            labels,
            inputs,
            label_column: col,
        })
    }
}

/// The training and validation samples: a seeded shuffle, the last
/// `round(n * validation)` samples held out. A fraction that holds out no
/// sample (but is above 0) or leaves no training sample is an error
/// naming `validation`, not a silent change of the fraction.
pub fn split(n: usize, validation: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>), TrainError> {
    if !(0.0..1.0).contains(&validation) {
        return Err(TrainError::Setting {
            field: "validation",
            what: format!("{validation}; allowed a fraction in [0, 1)"),
        });
    }
    let val = (n as f64 * validation).round() as usize;
    if validation > 0.0 && val == 0 {
        return Err(TrainError::Setting {
            field: "validation",
            what: format!(
                "{validation} of {n} samples holds out none; give 0 (no validation) or at least \
                 {:.4} (one sample)",
                0.5 / n.max(1) as f64
            ),
        });
    }
    if val >= n {
        return Err(TrainError::Setting {
            field: "validation",
            what: format!(
                "{validation} of {n} samples holds out {val}, leaving no training sample; \
                 allowed below {:.4} (at least one training sample)",
                (n as f64 - 0.5) / n.max(1) as f64
            ),
        });
    }
    let mut idx: Vec<usize> = (0..n).collect();
    shuffle(&mut idx, seed ^ 0x5eed);
    let held = idx.split_off(n - val);
    Ok((idx, held))
}

fn shuffle(v: &mut [usize], seed: u64) {
    let mut rng = sc_kernel::rng::SplitMix64::new(seed);
    for i in (1..v.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// One epoch's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's mini-batches (before each update).
    pub train_loss: f64,
    /// Training accuracy over the epoch (before each update), fraction.
    pub train_accuracy: f64,
    /// Validation loss after the epoch (`None` without a validation split).
    pub val_loss: Option<f64>,
    /// Validation accuracy after the epoch, fraction (`None` without a split).
    pub val_accuracy: Option<f64>,
}

fn check_indices(data: &Dataset, idx: &[usize], what: &str) -> Result<(), TrainError> {
    match idx.iter().position(|&i| i >= data.len()) {
        Some(k) => Err(TrainError::Dataset(format!(
            "{what}[{k}] = {}: allowed 0..{} (the samples)",
            idx[k],
            data.len()
        ))),
        None => Ok(()),
    }
}

/// The samples `idx` (checked by [`check_indices`]).
fn gather(data: &Dataset, idx: &[usize]) -> Result<(Vec<f32>, Vec<usize>), TrainError> {
    let n = data.inputs;
    let mut xs = limits::try_with_capacity("samples x inputs", idx.len().saturating_mul(n))
        .map_err(|e| TrainError::Dataset(e.to_string()))?;
    for &i in idx {
        xs.extend_from_slice(&data.features[i * n..(i + 1) * n]);
    }
    Ok((xs, idx.iter().map(|&i| data.labels[i]).collect()))
}

/// The largest weight magnitude the SC model holds: its layer gain is
/// Q16.16.
const MAX_WEIGHT: f32 = 32767.0;

/// A number as a message shows it: plain, or in exponent form when very
/// large or small (`1e300`, not 301 digits).
fn num(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e6).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// A loss that is not finite, or the first weight that is not or that is
/// beyond what the SC model holds, as an error naming the settings that
/// make training diverge (during training, not after it).
fn check_finite(net: &Snn<f32>, loss: f64, epoch: usize) -> Result<(), TrainError> {
    let what = if !loss.is_finite() {
        Some(format!("the loss became {loss}"))
    } else {
        net.weights.iter().enumerate().find_map(|(l, w)| {
            w.iter()
                .position(|v| !v.is_finite() || v.abs() > MAX_WEIGHT)
                .map(|k| {
                    format!(
                        "layer {l} weight {k} became {}, beyond what the SC model holds \
                         (|w| <= {MAX_WEIGHT}, Q16.16)",
                        num(f64::from(w[k]))
                    )
                })
        })
    };
    match what {
        Some(what) => Err(TrainError::Setting {
            field: "lr, beta, kappa",
            what: format!(
                "training diverged in epoch {epoch}: {what}; lower the learning rate, the \
                 surrogate slope or the logit scale"
            ),
        }),
        None => Ok(()),
    }
}

/// Train a network on `train`, evaluating on `val` after every epoch.
/// `progress(samples)` is called after each mini-batch, `epoch_done`
/// after each epoch.
pub fn train(
    cfg: &TrainConfig,
    data: &Dataset,
    train_idx: &[usize],
    val_idx: &[usize],
    mut progress: impl FnMut(usize),
    mut epoch_done: impl FnMut(&Epoch),
) -> Result<(Snn<f32>, Vec<Epoch>), TrainError> {
    cfg.validate()?;
    data.check(Some(&cfg.dims))?;
    check_indices(data, train_idx, "train_idx")?;
    check_indices(data, val_idx, "val_idx")?;
    if train_idx.is_empty() {
        return Err(TrainError::Setting {
            field: "validation",
            what: "no training samples are left".into(),
        });
    }
    let mut net = Snn::<f32>::init(cfg.snn_config(), cfg.seed)?;
    let mut opt = match cfg.optimizer {
        OptimizerKind::Adam => Optimizer::Adam(Adam::new(&net, cfg.lr)),
        OptimizerKind::Sgd => Optimizer::Sgd(Sgd { lr: cfg.lr }),
    };
    let (val_x, val_y) = gather(data, val_idx)?;
    let mut order = train_idx.to_vec();
    let mut history = vec![];
    for e in 1..=cfg.epochs {
        shuffle(&mut order, cfg.seed.wrapping_add(e as u64));
        let (mut loss, mut correct) = (0.0, 0);
        for chunk in order.chunks(cfg.batch) {
            let (xs, ys) = gather(data, chunk)?;
            let (l, c) = batch::train_step(&mut net, &mut opt, &xs, &ys, cfg.surrogate)?;
            check_finite(&net, l, e)?;
            loss += l * chunk.len() as f64;
            correct += c;
            progress(chunk.len());
        }
        let (val_loss, val_accuracy) = if val_idx.is_empty() {
            (None, None)
        } else {
            let out = batch::evaluate(&net, &val_x, &val_y)?;
            check_finite(&net, out.loss, e)?;
            (
                Some(out.loss),
                Some(out.correct as f64 / val_idx.len() as f64),
            )
        };
        let ep = Epoch {
            epoch: e,
            train_loss: loss / order.len() as f64,
            train_accuracy: correct as f64 / order.len() as f64,
            val_loss,
            val_accuracy,
        };
        epoch_done(&ep);
        history.push(ep);
    }
    Ok((net, history))
}

/// The model file of a trained network: quantised to Q16.16 with Sobol
/// streams of `len` bits per step (as `sc digits --train` does), run for
/// the network's own steps.
pub fn model(snn: Snn<f32>, len: usize, description: String) -> Result<DigitsModel, TrainError> {
    let (ws, xs) = (
        Source::Sobol { dimension: 0 },
        Source::Sobol { dimension: 1 },
    );
    let network = quantise(&snn, LifFormat::Q16_16, len, ws, xs)?;
    let m = DigitsModel {
        format: "sc-neuro-model".into(),
        version: 1,
        description,
        steps: snn.config.steps,
        snn,
        network,
    };
    m.validate().map_err(|what| TrainError::Setting {
        field: "model",
        what: format!("the trained model is invalid: {what}"),
    })?;
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn bad_csv_files_get_errors_naming_the_place() {
        let d = tempfile::tempdir().unwrap();
        let v = Values::Auto { max: 255 };
        let load = |name: &str, text: &str, label: LabelColumn, inputs: usize| {
            Dataset::load(&write(d.path(), name, text), &label, inputs, 3, v)
                .unwrap_err()
                .to_string()
        };
        // (file, text, label column, inputs, what the error must say)
        let cases: [(&str, &str, LabelColumn, usize, &[&str]); 8] = [
            (
                "a.csv",
                "0.1,0.2,1\n0.3,x,2\n",
                LabelColumn::Default,
                2,
                &["row 1, column 1", "`x`"],
            ),
            (
                "b.csv",
                "0.1,0.2,1\n0.3,2\n",
                LabelColumn::Default,
                2,
                &["row 1", "2 columns"],
            ),
            (
                "c.csv",
                "0.1,0.2,1\n0.3,0.4,3\n",
                LabelColumn::Default,
                2,
                &["row 1, column 2 (the label)", "0..3"],
            ),
            ("d.csv", "", LabelColumn::Default, 2, &["no data rows"]),
            (
                "e.csv",
                "0.1,0.2,1\n",
                LabelColumn::Default,
                3,
                &["2 feature columns", "dims[0] is 3"],
            ),
            (
                "f.csv",
                "a,b,y\n0.1,0.2,1\n",
                LabelColumn::Name("z".into()),
                2,
                &["no such column"],
            ),
            (
                "g.csv",
                "0.1,0.2,1.5\n",
                LabelColumn::Default,
                2,
                &["1.5 is not a class"],
            ),
            (
                "h.csv",
                "0.1,-0.2,1\n",
                LabelColumn::Default,
                2,
                &["row 0, column 1", "probability"],
            ),
        ];
        for (name, text, label, inputs, says) in cases {
            let e = load(name, text, label, inputs);
            assert!(says.iter().all(|s| e.contains(s)), "{name}: {e}");
        }
    }

    #[test]
    fn label_column_by_name_index_and_default() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "x.csv", "Label,f0,f1\n2,0.5,1\n0,0,0.25\n");
        let v = Values::Probabilities;
        let a = Dataset::load(&p, &LabelColumn::Default, 2, 3, v).unwrap();
        let b = Dataset::load(&p, &LabelColumn::Name("Label".into()), 2, 3, v).unwrap();
        let c = Dataset::load(&p, &LabelColumn::Index(0), 2, 3, v).unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a.labels, vec![2, 0]);
        assert_eq!(a.features, vec![0.5, 1.0, 0.0, 0.25]);
        let p = write(d.path(), "y.csv", "0,16,1\n8,4,0\n");
        let px = Dataset::load(&p, &LabelColumn::Default, 2, 2, Values::Auto { max: 16 }).unwrap();
        assert_eq!(px.features, vec![0.0, 1.0, 0.5, 0.25]);
        assert_eq!(px.label_column, 2);
    }

    #[test]
    fn split_is_seeded_and_holds_out_the_fraction() {
        let (t, v) = split(100, 0.2, 3).unwrap();
        assert_eq!((t.len(), v.len()), (80, 20));
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(split(100, 0.2, 3).unwrap(), (t, v));
        assert_eq!(split(3, 0.2, 1).unwrap().1.len(), 1);
        assert_eq!(split(1, 0.0, 1).unwrap(), (vec![0], vec![]));
    }

    #[test]
    fn a_diverging_run_stops_naming_lr_beta_kappa() {
        let c = TrainConfig {
            dims: vec![2, 2],
            ..TrainConfig::default()
        };
        let mut net = Snn::<f32>::init(c.snn_config(), 1).unwrap();
        assert!(check_finite(&net, 0.5, 1).is_ok());
        let e = check_finite(&net, f64::NAN, 2).unwrap_err();
        assert!(
            matches!(&e, TrainError::Setting { field: "lr, beta, kappa", what } if what.contains("epoch 2")),
            "{e}"
        );
        net.weights[0][3] = f32::INFINITY;
        let e = check_finite(&net, 0.5, 1).unwrap_err().to_string();
        assert!(e.contains("layer 0 weight 3 became inf"), "{e}");
        net.weights[0][3] = 4e4;
        let e = check_finite(&net, 0.5, 1).unwrap_err().to_string();
        assert!(e.contains("weight 3 became 40000, beyond"), "{e}");
        assert_eq!(num(1e300), "1e300");
        assert_eq!(num(0.25), "0.25");
    }

    #[test]
    fn settings_are_checked() {
        let mut c = TrainConfig {
            dims: vec![4, 3],
            ..TrainConfig::default()
        };
        assert!(c.validate().is_ok());
        c.lr = 0.0;
        assert!(matches!(
            c.validate(),
            Err(TrainError::Setting { field: "lr", .. })
        ));
        c.lr = 0.1;
        c.dims = vec![4];
        assert!(matches!(
            c.validate(),
            Err(TrainError::Setting { field: "dims", .. })
        ));
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "c.json",
            r#"{"dims": [4, 2], "lr": 0.5, "optimizer": "sgd"}"#,
        );
        let c = TrainConfig::load(&p).unwrap();
        assert_eq!(
            (c.dims, c.lr, c.optimizer),
            (vec![4, 2], 0.5, OptimizerKind::Sgd)
        );
        let p = write(d.path(), "e.json", r#"{"dimz": [4, 2]}"#);
        assert!(TrainConfig::load(&p)
            .unwrap_err()
            .to_string()
            .contains("dimz"));
    }
}
