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
//! Submodules: [`data`] (the data set), [`model`] (the model file type,
//! quantisation), [`eval`] (training and the accuracy of every variant),
//! [`report`] (table, CSV and plot).

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
pub mod model;
pub mod report;

use std::path::Path;

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::words_for;

use crate::limits::{self, LimitError};
use crate::scnet::{LifFormat, NetError, NetworkSpec, ScNetwork, Source};
use crate::snn::SnnConfig;

pub use data::Digits;
pub use eval::{accuracy, evaluate, run_sc_float, sc_fixed_accuracy, train};
pub use model::{dequantised, quantise, DigitsModel};
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
        bias: true,
    }
}

/// Words (`u64`) of the encoded weight streams of a network of widths
/// `dims` whose layer `k` has stream length `len(k)` (saturating).
pub fn weight_stream_words(dims: &[usize], len: impl Fn(usize) -> usize) -> usize {
    dims.windows(2).enumerate().fold(0usize, |a, (k, w)| {
        a.saturating_add(
            w[0].saturating_mul(w[1])
                .saturating_mul(words_for::<u64>(len(k))),
        )
    })
}

/// Check that the encoded weight streams of a network of widths `dims` at
/// stream length `len` fit the allocation limit ([`limits::check_bytes`]).
pub fn check_stream_memory(what: &str, dims: &[usize], len: usize) -> Result<(), LimitError> {
    limits::check_bytes::<u64>(
        &format!("{what} {len}: encoded weight streams"),
        weight_stream_words(dims, |_| len),
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
