//! The main job: the UCI optical digits (8x8) classified by a spiking
//! network trained in full precision, then run as an SC network.
//!
//! Data: `host/data/digits.csv` (see `host/data/DIGITS-LICENSE.md`),
//! built into the library ([`Digits::shipped`]); image `k` is in the test
//! set when `k % 5 == 4`. Inputs: pixel `p` in 0..=16 becomes the analog
//! input `p / 16` (float) and the probability `p * 4096` in Q0.16 (SC),
//! plus a constant bias input of 1. The shipped model `models/digits.json`
//! is built in too ([`DigitsModel::shipped`]); its file format is in
//! `docs/model.md`.
//!
//! Submodules: [`data`] (the data set), [`eval`] (training and the
//! accuracy of every variant), [`report`] (table, CSV and plot).

/// `load` (read a file with [`read_input`], then `Self::parse` it) and
/// `shipped` (parse the built-in text) of a type read from a text file.
macro_rules! text_input {
    (
        $(#[$load_doc:meta])* load: $what:literal;
        $(#[$shipped_doc:meta])* shipped: $text:expr, $name:expr;
    ) => {
        $(#[$load_doc])*
        pub fn load(path: &Path) -> Result<Self, DigitsError> {
            let text = read_input($what, path)?;
            Self::parse(&text, &path.display().to_string())
        }

        $(#[$shipped_doc])*
        pub fn shipped() -> Result<Self, DigitsError> {
            Self::parse($text, $name)
        }
    };
}

pub mod data;
pub mod eval;
pub mod report;

use std::path::Path;

use serde::{Deserialize, Serialize};

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::words_for;

use crate::hex::bits_to_str;
use crate::limits::{self, LimitError};
use crate::scnet::{LayerSpec, LifFormat, LifParamsRaw, NetError, NetworkSpec, ScNetwork, Source};
use crate::snn::{Snn, SnnConfig};

pub use data::Digits;
pub use eval::{accuracy, evaluate, predict_sc_float, sc_fixed_accuracy, train};
pub use report::{wilson, Report, Row};

/// Pixels per image.
pub const PIXELS: usize = 64;
/// Classes.
pub const CLASSES: usize = 10;
/// Most time steps per image a model may ask for (`steps`, and the float
/// network's `snn.config.steps`): 65536.
pub const MAX_STEPS: usize = 1 << 16;
/// Longest stream length `L` (bits per step) evaluated or accepted in a
/// model: 65536, the period of the Sobol sequence (spec §4.2); longer
/// streams repeat it.
pub const MAX_LEN: usize = 1 << 16;
/// Most training epochs (`sc digits --train --epochs`).
pub const MAX_EPOCHS: usize = 100_000;

/// The shipped data set, `host/data/digits.csv`, built in.
pub const SHIPPED_DATA: &str = include_str!("../../data/digits.csv");
/// The shipped model, `models/digits.json`, built in.
pub const SHIPPED_MODEL: &str = include_str!("../../../models/digits.json");
/// How the built-in data set is named in messages.
pub const SHIPPED_DATA_NAME: &str = "built-in data set (host/data/digits.csv)";
/// How the built-in model is named in messages.
pub const SHIPPED_MODEL_NAME: &str = "built-in model (models/digits.json)";

/// Errors of the digits job. Every message names the file (or flag) and
/// says what is allowed; causes are `source()`s, not repeated in the text.
#[derive(Debug, thiserror::Error)]
pub enum DigitsError {
    /// A given input file does not exist.
    #[error("{what} {path} not found (looked for {absolute}; current directory {cwd})")]
    NotFound {
        /// "data set" or "model file".
        what: &'static str,
        /// The path as given.
        path: String,
        /// The absolute path tried.
        absolute: String,
        /// The current directory.
        cwd: String,
    },
    /// Reading an input file failed (too large, not UTF-8, I/O error).
    #[error(transparent)]
    Read(#[from] limits::ReadError),
    /// Creating or writing an output file failed.
    #[error("cannot write {path}")]
    Write {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A malformed data line.
    #[error("{path} line {line}: {what}")]
    Data {
        /// File.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        what: String,
    },
    /// A data set that cannot be used as a whole (empty, no test images).
    #[error("{path}: {what}")]
    DataSet {
        /// File.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A malformed or inconsistent model file.
    #[error("{path}: {what}")]
    Model {
        /// File.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A bad command-line value or argument.
    #[error("{flag}: {what}")]
    Arg {
        /// The flag.
        flag: &'static str,
        /// What is wrong and what is allowed.
        what: String,
    },
    /// Drawing the plot failed.
    #[error("plot {path}: {what}")]
    Plot {
        /// File.
        path: String,
        /// What went wrong.
        what: String,
    },
    /// A size over the limits.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// Network error.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Float model error.
    #[error(transparent)]
    Snn(#[from] crate::snn::SnnError),
    /// Float LIF error.
    #[error(transparent)]
    Lif(#[from] crate::lif_float::FloatLifError),
    /// Kernel error.
    #[error(transparent)]
    Kernel(#[from] sc_kernel::Error),
}

/// Read an input file (bounded by [`limits::MAX_FILE_BYTES`]); a missing
/// file's error says where it was looked for.
pub(crate) fn read_input(what: &'static str, path: &Path) -> Result<String, DigitsError> {
    limits::read_text(path).map_err(|e| match e {
        limits::ReadError::Io { ref source, .. }
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| "(unknown)".into());
            let absolute = std::path::absolute(path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.display().to_string());
            DigitsError::NotFound {
                what,
                path: path.display().to_string(),
                absolute,
                cwd,
            }
        }
        e => DigitsError::Read(e),
    })
}

/// Float input of an image: `pixel / 16`.
pub fn input_float<T: crate::real::Real>(img: &[u8; PIXELS]) -> Vec<T> {
    img.iter().map(|&p| T::of(p as f64 / 16.0)).collect()
}

/// SC input probabilities: `pixel * 4096` (exact Q0.16), then the bias input (1).
pub fn input_q16(img: &[u8; PIXELS]) -> Vec<u32> {
    img.iter()
        .map(|&p| p as u32 * 4096)
        .chain([65536])
        .collect()
}

/// Default hyper-parameters of the digits network.
pub fn default_config() -> SnnConfig {
    SnnConfig {
        sizes: vec![PIXELS, 64, CLASSES],
        steps: 16,
        alpha: 0.25,
        threshold: 1.0,
        beta: 4.0,
        kappa: 0.5,
    }
}

/// The model file: the float network and its quantised SC network. The
/// schema and every validation rule are in `docs/model.md`; unknown
/// fields anywhere in the file are errors.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsModel {
    /// Always `"sc-neuro-model"`.
    pub format: String,
    /// Model file version (1).
    pub version: u32,
    /// Free text (how it was trained).
    pub description: String,
    /// The trained float network.
    pub snn: Snn<f32>,
    /// The quantised SC network (the shipped one: Q16.16 LIF, Sobol
    /// streams, `len` = 256); its `dims[0]` is 65: 64 pixels and the bias
    /// input.
    pub network: NetworkSpec,
    /// Time steps per image of the SC network, 1..=[`MAX_STEPS`].
    pub steps: usize,
}

impl DigitsModel {
    text_input! {
        /// Read and validate a model file (see [`Self::parse`]).
        load: "model file";
        /// The shipped model (`models/digits.json`, built into the library).
        shipped: SHIPPED_MODEL, SHIPPED_MODEL_NAME;
    }

    /// Parse and validate a model; `name` (the file) is used in messages.
    pub fn parse(text: &str, name: &str) -> Result<Self, DigitsError> {
        let err = |what: String| DigitsError::Model {
            path: name.to_string(),
            what,
        };
        // Every type of the file, the SC network's included, denies
        // unknown fields, so serde names the first one.
        let m: Self = serde_json::from_str(text).map_err(|e| err(e.to_string()))?;
        m.validate().map_err(err)?;
        Ok(m)
    }

    /// Check everything [`Self::load`] promises (docs/model.md): the
    /// format, the float network's shape and values, `steps`, and the SC
    /// network in its own LIF format, consistent with the float network.
    pub fn validate(&self) -> Result<(), String> {
        if self.format != "sc-neuro-model" || self.version != 1 {
            return Err(format!(
                "format {:?} version {}; expected \"sc-neuro-model\" version 1",
                self.format, self.version
            ));
        }
        let c = &self.snn.config;
        c.validate().map_err(|e| format!("snn.config: {e}"))?;
        if c.steps > MAX_STEPS {
            return Err(format!(
                "snn.config.steps is {}; allowed 1..={MAX_STEPS}",
                c.steps
            ));
        }
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return Err(format!("steps is {}; allowed 1..={MAX_STEPS}", self.steps));
        }
        let layers = c.sizes.len() - 1;
        if self.snn.weights.len() != layers {
            return Err(format!(
                "snn.weights has {} layers; snn.config.sizes {:?} needs {layers}",
                self.snn.weights.len(),
                c.sizes
            ));
        }
        for (l, w) in self.snn.weights.iter().enumerate() {
            let need = c.sizes[l + 1]
                .checked_mul(c.inputs(l))
                .ok_or_else(|| format!("snn.config.sizes {:?} is too large", c.sizes))?;
            if w.len() != need {
                return Err(format!(
                    "snn.weights[{l}] has {} values; sizes {:?} need {} x {} = {need} ({}row-major, neurons x inputs)",
                    w.len(),
                    c.sizes,
                    c.sizes[l + 1],
                    c.inputs(l),
                    if l == 0 { "the last input is the bias; " } else { "" }
                ));
            }
            if let Some(i) = w.iter().position(|x| !x.is_finite()) {
                return Err(format!("snn.weights[{l}][{i}] is {}; allowed finite", w[i]));
            }
        }
        // The float forward pass keeps every step's membranes and spikes.
        let neurons: usize = c.sizes[1..].iter().sum();
        limits::check_bytes::<f32>(
            "snn.config.steps x neurons (float trace)",
            c.steps.saturating_mul(neurons).saturating_mul(2),
        )
        .map_err(|e| e.to_string())?;
        let n = &self.network;
        if n.dims.len() != c.sizes.len() {
            return Err(format!(
                "network.dims {:?} has {} widths; snn.config.sizes {:?} has {}",
                n.dims,
                n.dims.len(),
                c.sizes,
                c.sizes.len()
            ));
        }
        for (k, (&d, &s)) in n.dims.iter().zip(&c.sizes).enumerate() {
            let want = s + usize::from(k == 0);
            if d != want {
                return Err(format!(
                    "network.dims {:?} does not match snn.config.sizes {:?}: dims[{k}] must be {want}{}",
                    n.dims,
                    c.sizes,
                    if k == 0 { " (the inputs and the bias input)" } else { "" }
                ));
            }
        }
        // Raw values must fit the format's integer width (Q8.8: 16 bits).
        let (lo, hi) = match n.format {
            LifFormat::Q16_16 => (i32::MIN, i32::MAX),
            LifFormat::Q8_8 => (i16::MIN as i32, i16::MAX as i32),
        };
        let mut raws = vec![];
        let mut stream_words = 0usize;
        for (k, l) in n.layers.iter().enumerate() {
            if !(1..=MAX_LEN).contains(&l.len) {
                return Err(format!(
                    "network.layers[{k}].len is {}; allowed 1..={MAX_LEN}",
                    l.len
                ));
            }
            if let Some(d) = n.dims.get(k..k + 2) {
                stream_words = stream_words.saturating_add(
                    d[0].saturating_mul(d[1])
                        .saturating_mul(words_for::<u64>(l.len)),
                );
            }
            let p = &l.params;
            let at = |f: &str| format!("network.layers[{k}].{f}");
            raws.extend([
                (at("params.v_rest"), p.v_rest),
                (at("params.v_reset"), p.v_reset),
                (at("params.threshold"), p.threshold),
                (at("params.alpha"), p.alpha),
                (at("params.resistance"), p.resistance),
                (at("gain"), l.gain),
            ]);
        }
        limits::check_bytes::<u64>(
            "network.layers[..].len: encoded weight streams",
            stream_words,
        )
        .map_err(|e| e.to_string())?;
        for (field, v) in raws {
            if !(lo..=hi).contains(&v) {
                return Err(format!(
                    "{field} is {v}; a {} raw value must be in {lo}..={hi}",
                    format_name(n.format)
                ));
            }
        }
        let built = match n.format {
            LifFormat::Q16_16 => ScNetwork::<I16F16, u32>::new(n).map(|_| ()),
            LifFormat::Q8_8 => ScNetwork::<I8F8, u32>::new(n).map(|_| ()),
        };
        built.map_err(|e| {
            format!(
                "network ({}): {}",
                format_name(n.format),
                crate::vectors::compute::chain(&e)
            )
        })
    }

    /// Write the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), DigitsError> {
        std::fs::write(path, self.to_json()).map_err(|source| DigitsError::Write {
            path: path.display().to_string(),
            source,
        })
    }

    /// The model as pretty JSON, with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The name of a LIF format as in the model file.
pub fn format_name(f: LifFormat) -> &'static str {
    match f {
        LifFormat::Q16_16 => "q16.16",
        LifFormat::Q8_8 => "q8.8",
    }
}

/// Check that the encoded weight streams of a network of widths `dims` at
/// stream length `len` fit the allocation limit ([`limits::check_bytes`]).
pub fn check_stream_memory(what: &str, dims: &[usize], len: usize) -> Result<(), LimitError> {
    let weights = dims
        .windows(2)
        .fold(0usize, |a, w| a.saturating_add(w[0].saturating_mul(w[1])));
    limits::check_bytes::<u64>(
        &format!("{what} {len}: encoded weight streams"),
        weights.saturating_mul(words_for::<u64>(len)),
    )?;
    Ok(())
}

/// Check the stream lengths to evaluate (`--lengths`): at least one, each
/// in 1..=[`MAX_LEN`], no repeats, and the encoded weights of a network of
/// widths `dims` within the allocation limit.
pub fn check_lengths(lengths: &[usize], dims: &[usize]) -> Result<(), DigitsError> {
    let bad = |what: String| DigitsError::Arg {
        flag: "--lengths",
        what,
    };
    if lengths.is_empty() {
        return Err(bad(format!(
            "no stream lengths given; give comma-separated lengths in 1..={MAX_LEN}, e.g. 64,256"
        )));
    }
    for (i, &l) in lengths.iter().enumerate() {
        if !(1..=MAX_LEN).contains(&l) {
            return Err(bad(format!(
                "{l} is not a stream length; allowed 1..={MAX_LEN} (the Sobol period)"
            )));
        }
        if lengths[..i].contains(&l) {
            return Err(bad(format!("{l} is given twice")));
        }
        check_stream_memory("--lengths", dims, l)?;
    }
    Ok(())
}

/// Quantise a float network to an SC network (spec §7):
/// magnitudes `P = round(|w| / wmax * 65536)`, sign bits, gain
/// `round(wmax * 2^F)` per layer; every layer gets stream length `len`
/// and the same LIF parameters: `v_rest = v_reset = 0`, `R = 1`, `alpha`
/// and `threshold` rounded to the format.
pub fn quantise(
    snn: &Snn<f32>,
    format: LifFormat,
    len: usize,
    weight_source: Source,
    input_source: Source,
) -> Result<NetworkSpec, DigitsError> {
    let frac = match format {
        LifFormat::Q16_16 => 16,
        LifFormat::Q8_8 => 8,
    };
    let one = (1i64 << frac) as f64;
    let raw = |x: f64, name: &'static str| -> Result<i32, DigitsError> {
        let r = (x * one).round();
        let max = if frac == 16 {
            i32::MAX as f64
        } else {
            i16::MAX as f64
        };
        if r.is_nan() || r.abs() > max {
            return Err(DigitsError::Model {
                path: "quantise".into(),
                what: format!("{name} = {x} does not fit the LIF format"),
            });
        }
        Ok(r as i32)
    };
    let c = &snn.config;
    if c.sizes.len() != snn.weights.len() + 1 {
        return Err(DigitsError::Model {
            path: "quantise".into(),
            what: format!(
                "{} weight layers for sizes {:?}",
                snn.weights.len(),
                c.sizes
            ),
        });
    }
    let params = LifParamsRaw {
        v_rest: 0,
        v_reset: 0,
        threshold: raw(c.threshold, "threshold")?,
        alpha: raw(c.alpha, "alpha")?.max(1),
        resistance: raw(1.0, "resistance")?,
        refractory: 0,
    };
    let mut layers = vec![];
    for w in &snn.weights {
        let wmax = w.iter().fold(0f64, |m, &x| m.max((x as f64).abs()));
        let wmax = if wmax > 0.0 { wmax } else { 1.0 };
        layers.push(LayerSpec {
            len,
            params,
            weights_q16: w
                .iter()
                .map(|&x| ((x as f64).abs() / wmax * 65536.0).round() as u32)
                .collect(),
            negative: bits_to_str(w.iter().map(|&x| x < 0.0)),
            gain: raw(wmax, "layer gain (max |w|)")?.max(1),
        });
    }
    let mut dims = c.sizes.clone();
    dims[0] += 1; // bias input
    Ok(NetworkSpec {
        format,
        dims,
        weight_source,
        input_source,
        layers,
    })
}

/// The float network that the quantised SC network approximates: weights
/// `sign * P / 65536 * gain / 2^F`, and the format's `alpha`, `threshold`.
/// The float SNN has one `alpha` and `threshold` for all layers: a network
/// whose layers differ in them is an error naming the first layer that
/// differs.
pub fn dequantised(spec: &NetworkSpec, config: &SnnConfig) -> Result<Snn<f64>, DigitsError> {
    let one = match spec.format {
        LifFormat::Q16_16 => 65536.0,
        LifFormat::Q8_8 => 256.0,
    };
    let Some(first) = spec.layers.first() else {
        return Err(DigitsError::Model {
            path: "network".into(),
            what: "no layers".into(),
        });
    };
    let p = first.params;
    if let Some(k) = spec
        .layers
        .iter()
        .position(|l| (l.params.alpha, l.params.threshold) != (p.alpha, p.threshold))
    {
        return Err(DigitsError::Model {
            path: format!("network.layers[{k}].params"),
            what: "alpha and threshold differ from layer 0's; the float SNN has one alpha and \
                   threshold for all layers"
                .into(),
        });
    }
    let mut config = config.clone();
    config.alpha = p.alpha as f64 / one;
    config.threshold = p.threshold as f64 / one;
    let weights = spec
        .layers
        .iter()
        .map(|l| {
            let g = l.gain as f64 / one;
            l.weights_q16
                .iter()
                .zip(l.negative.chars())
                .map(|(&p, n)| p as f64 / 65536.0 * g * if n == '1' { -1.0 } else { 1.0 })
                .collect()
        })
        .collect();
    Ok(Snn { config, weights })
}

/// Stream sources of the two generator families.
pub fn sources(generator: &str) -> (Source, Source) {
    if generator == "lfsr" {
        (
            Source::Lfsr16 { seed: 0xACE1 },
            Source::Lfsr16 { seed: 0x1D0F },
        )
    } else {
        (
            Source::Sobol { dimension: 0 },
            Source::Sobol { dimension: 1 },
        )
    }
}

/// The test images of `data` as a sample set ([`sc_kernel::wire::Samples`]):
/// per test image its label, the class `model`'s SC network predicts on
/// the host (the bit-exact reference, u64 words) and its input
/// probabilities ([`input_q16`]). Targets classify the samples and compare
/// with the host's prediction.
pub fn sample_words(model: &DigitsModel, data: &Digits) -> Result<Vec<u32>, DigitsError> {
    fn predictions<F: sc_kernel::lif::LifFixed>(
        spec: &NetworkSpec,
        inputs: &[Vec<u32>],
        steps: usize,
    ) -> Result<Vec<u32>, DigitsError> {
        let net = ScNetwork::<F, u64>::new(spec)?;
        inputs
            .iter()
            .map(|q| {
                let p = q
                    .iter()
                    .map(|&v| sc_kernel::sng::Probability::from_q16(v))
                    .collect::<Result<Vec<_>, _>>()?;
                let run = net.run(&p, steps)?;
                Ok(run.predicted().unwrap_or(0) as u32)
            })
            .collect()
    }
    let (_, test) = data.split();
    let inputs: Vec<Vec<u32>> = test.iter().map(|&k| input_q16(&data.images[k])).collect();
    let spec = &model.network;
    let predicted = match spec.format {
        LifFormat::Q16_16 => predictions::<I16F16>(spec, &inputs, model.steps)?,
        LifFormat::Q8_8 => predictions::<I8F8>(spec, &inputs, model.steps)?,
    };
    let width = PIXELS + 1;
    let bad = |what: String| DigitsError::Model {
        path: "samples".into(),
        what,
    };
    let mut out = vec![];
    let n = u32::try_from(test.len()).map_err(|_| bad(format!("{} samples", test.len())))?;
    sc_kernel::wire::Samples::emit_header(n, width as u32, &mut out)
        .map_err(|e| bad(e.to_string()))?;
    for ((&k, q), &p) in test.iter().zip(&inputs).zip(&predicted) {
        let s = sc_kernel::wire::Sample {
            label: u32::from(data.labels[k]),
            predicted: p,
            inputs_q16: q,
        };
        s.emit(width, &mut out).map_err(|e| bad(e.to_string()))?;
    }
    Ok(out)
}
