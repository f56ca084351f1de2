//! A user's simulation job (`sc run`): load a model, read input rows from
//! CSV or `.npy`, run them on a backend, write counts, predictions and
//! (optionally) spike trains as `.npy`, `.csv` or `.json`.
//!
//! Every bad file gets a [`JobError`] naming the file, and the row and
//! column or field where that applies, and saying what is allowed. Sizes
//! from a file are checked against the bytes it holds before anything is
//! allocated.

use std::path::{Path, PathBuf};

use sc_kernel::sng::Probability;
use serde::Serialize;

use crate::digits::DigitsModel;
use crate::limits::{read_bytes, read_text, ReadError};
use crate::scnet::{NetRun, NetworkSpec};
use crate::vectors::compute::chain;

/// Why a job could not be set up or its results written.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A file could not be read (or is too large).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The model file is malformed.
    #[error("model {path}: {what}")]
    Model {
        /// The file.
        path: String,
        /// What is wrong, and what is allowed.
        what: String,
    },
    /// The input file is malformed.
    #[error("input {path}: {what}")]
    Input {
        /// The file.
        path: String,
        /// What is wrong (row and column), and what is allowed.
        what: String,
    },
    /// The output could not be written.
    #[error("cannot write {path}: {what}")]
    Output {
        /// The file.
        path: String,
        /// Why.
        what: String,
    },
}

/// A network to run, from a model file.
#[derive(Debug, Clone)]
pub struct RunModel {
    /// The SC network.
    pub network: NetworkSpec,
    /// Time steps per sample the model file names (the digits model's
    /// `steps`), if any.
    pub steps: Option<usize>,
    /// Whether the last input is a constant bias input (probability 1)
    /// that input rows may leave out (the digits models).
    pub bias_input: bool,
}

impl RunModel {
    /// Load a model file: a digits model (`"format": "sc-neuro-model"`,
    /// docs/model.md) or a bare network (the `network` object of
    /// docs/model.md and the vector files).
    pub fn load(path: &Path) -> Result<Self, JobError> {
        let text = read_text(path)?;
        let name = path.display().to_string();
        let err = |what: String| JobError::Model {
            path: name.clone(),
            what,
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| err(format!("not JSON: {e}")))?;
        if v.get("format").and_then(|f| f.as_str()) == Some("sc-neuro-model") {
            let m = DigitsModel::parse(&text, &name).map_err(|e| err(e.to_string()))?;
            return Ok(Self::from_digits(m));
        }
        let network: NetworkSpec = serde_json::from_value(v).map_err(|e| {
            err(format!(
                "neither a model file (\"format\": \"sc-neuro-model\") nor a network \
                 (fields format, dims, weight_source, input_source, layers; docs/model.md): {e}"
            ))
        })?;
        network.validate().map_err(|e| err(chain(&e)))?;
        Ok(Self {
            network,
            steps: None,
            bias_input: false,
        })
    }

    /// The runnable part of a model file (its bias input, if it has one,
    /// may be left out of the rows).
    pub fn from_digits(m: DigitsModel) -> Self {
        Self {
            bias_input: m.snn.config.bias,
            network: m.network,
            steps: Some(m.steps),
        }
    }
}

/// How input values become probabilities.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Values {
    /// Probabilities in `[0, 1]` (spec §4: `P = floor(p * 65536 + 1/2)`,
    /// exact).
    Probabilities,
    /// Integers `0..=max` (pixels): `P = floor(v * 65536 / max + 1/2)`,
    /// exact.
    Pixels {
        /// The largest value (255 for 8-bit images, 16 for the UCI digits).
        max: u32,
    },
    /// Pixels (`max` as given) if any value is above 1, else probabilities.
    Auto {
        /// The largest pixel value.
        max: u32,
    },
}

impl Values {
    /// `Auto` decided for these values (pixels if any is above 1); the
    /// others as they are.
    pub fn resolve(self, values: &[f64]) -> Self {
        match self {
            Values::Auto { max } => {
                if values.iter().any(|&v| v > 1.0) {
                    Values::Pixels { max }
                } else {
                    Values::Probabilities
                }
            }
            v => v,
        }
    }

    /// [`Self::resolve`] with the values checked first: a value that is
    /// not finite is an error naming its place (`at(i)`: e.g. `row 2,
    /// column 3`), and so is an `Auto` value above 1 that is not a pixel
    /// either (a typo such as `1e20` among probabilities). With `Auto`
    /// picking pixels, the second result says which value made it do so,
    /// for the errors of values that are then not pixels.
    pub fn resolve_checked(
        self,
        values: &[f64],
        at: impl Fn(usize) -> String,
    ) -> Result<(Self, Option<String>), String> {
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!(
                "{}: {} is not a number: finite values are allowed",
                at(i),
                values[i]
            ));
        }
        let Values::Auto { max } = self else {
            return Ok((self, None));
        };
        let Some(i) = values.iter().position(|&v| v > 1.0) else {
            return Ok((Values::Probabilities, None));
        };
        let v = values[i];
        if !(v.fract() == 0.0 && v <= f64::from(max)) {
            return Err(format!(
                "{}: {v} is neither a probability (a number in [0, 1]) nor a pixel (an integer \
                 in 0..={max}; --pixel-max sets the largest)",
                at(i)
            ));
        }
        Ok((
            Values::Pixels { max },
            Some(format!(
                "the values are read as pixels because {} is {v}, above 1",
                at(i)
            )),
        ))
    }

    /// The probability of one value (`Auto` reads it as a probability:
    /// [`Self::resolve`] first); the error says what is allowed.
    pub fn probability(self, v: f64) -> Result<Probability, String> {
        match self {
            Values::Pixels { max } => {
                if !(v.fract() == 0.0 && v >= 0.0 && v <= f64::from(max)) {
                    return Err(format!("a pixel: an integer in 0..={max} is allowed"));
                }
                Probability::from_q16(pixel_q16(v as u64, u64::from(max.max(1))))
                    .map_err(|_| "a pixel".to_string())
            }
            _ => Probability::from_f64(v)
                .map_err(|_| "a probability: a number in [0, 1] is allowed".to_string()),
        }
    }
}

/// Input rows as read, before conversion.
pub(crate) struct Table {
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    /// `rows x cols`, row-major.
    pub(crate) values: Vec<f64>,
    /// The header row's names, if the file has one.
    pub(crate) header: Option<Vec<String>>,
}

fn input_err(path: &Path, what: String) -> JobError {
    JobError::Input {
        path: path.display().to_string(),
        what,
    }
}

/// Read a CSV file of numbers (an optional header row of names, `#`
/// comments); errors name the row (0-based, data rows) and column.
pub(crate) fn read_csv(path: &Path) -> Result<Table, JobError> {
    let text = read_text(path)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut values = vec![];
    let mut header = None;
    let (mut rows, mut cols) = (0usize, None);
    for (n, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| input_err(path, format!("line {}: {e}", n + 1)))?;
        let parsed: Vec<Result<f64, _>> = rec.iter().map(|f| f.parse::<f64>()).collect();
        if n == 0 && parsed.iter().all(|p| p.is_err()) {
            // A header row: every field is a name.
            cols = Some(rec.len());
            header = Some(rec.iter().map(str::to_string).collect());
            continue;
        }
        match cols {
            Some(c) if c != rec.len() => {
                return Err(input_err(
                    path,
                    format!(
                        "row {rows} (line {}): {} columns, the rows before have {c}",
                        n + 1,
                        rec.len()
                    ),
                ))
            }
            _ => cols = Some(rec.len()),
        }
        for (c, (p, f)) in parsed.into_iter().zip(rec.iter()).enumerate() {
            let v = p.map_err(|_| {
                input_err(
                    path,
                    format!("row {rows}, column {c}: `{f}` is not a number"),
                )
            })?;
            values.push(v);
        }
        rows += 1;
    }
    Ok(Table {
        rows,
        cols: cols.unwrap_or(0),
        values,
        header,
    })
}

fn read_npy(path: &Path) -> Result<Table, JobError> {
    let bytes = read_bytes(path)?;
    let open = || {
        npyz::NpyFile::new(&bytes[..]).map_err(|e| input_err(path, format!("not a .npy file: {e}")))
    };
    let f = open()?;
    let shape = f.shape().to_vec();
    let (rows, cols) = match shape[..] {
        [n] => (1u64, n),
        [r, c] => (r, c),
        _ => {
            return Err(input_err(
                path,
                format!(
                "shape {shape:?}: a 1-D (one sample) or 2-D (samples x inputs) array is allowed"
            ),
            ))
        }
    };
    if f.order() == npyz::Order::Fortran && rows > 1 && cols > 1 {
        return Err(input_err(
            path,
            "Fortran order: a C-ordered array is allowed (numpy.ascontiguousarray)".into(),
        ));
    }
    // The data the header promises must be in the file.
    let item = f.dtype().num_bytes().unwrap_or(usize::MAX) as u64;
    let need = rows.checked_mul(cols).and_then(|n| n.checked_mul(item));
    if need.is_none_or(|n| n > bytes.len() as u64) {
        return Err(input_err(
            path,
            format!(
                "shape {shape:?} of {} needs more data than the file's {} bytes",
                f.dtype().descr(),
                bytes.len()
            ),
        ));
    }
    macro_rules! try_as {
        ($($t:ty),*) => {
            $(
                if let Ok(r) = open()?.data::<$t>() {
                    let v = r
                        .map(|x| x.map(|x| x as f64))
                        .collect::<std::io::Result<Vec<f64>>>()
                        .map_err(|e| input_err(path, format!("truncated data: {e}")))?;
                    return Ok(Table { rows: rows as usize, cols: cols as usize, values: v, header: None });
                }
            )*
        };
    }
    try_as!(f64, f32, u8, i8, u16, i16, u32, i32, u64, i64);
    if let Ok(r) = open()?.data::<bool>() {
        let v = r
            .map(|x| x.map(|b| f64::from(u8::from(b))))
            .collect::<std::io::Result<Vec<f64>>>()
            .map_err(|e| input_err(path, format!("truncated data: {e}")))?;
        return Ok(Table {
            rows: rows as usize,
            cols: cols as usize,
            values: v,
            header: None,
        });
    }
    Err(input_err(
        path,
        format!(
            "dtype {}: a float, integer or bool array is allowed",
            f.dtype().descr()
        ),
    ))
}

/// `floor(v * 65536 / max + 1/2)` for an integer `v` in `0..=max`, exact.
fn pixel_q16(v: u64, max: u64) -> u32 {
    ((v * 65536 * 2 + max) / (2 * max)) as u32
}

/// Read input rows (`.csv` or `.npy`) and convert them to probabilities
/// for a network of `inputs` inputs. With `bias_input`, rows of `inputs -
/// 1` values get the bias input (probability 1) appended.
pub fn load_inputs(
    path: &Path,
    inputs: usize,
    bias_input: bool,
    values: Values,
) -> Result<Vec<Vec<Probability>>, JobError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let t = match ext.as_deref() {
        Some("csv") | Some("txt") => read_csv(path)?,
        Some("npy") => read_npy(path)?,
        _ => {
            return Err(input_err(
                path,
                "unknown file type: .csv or .npy is allowed".into(),
            ))
        }
    };
    if t.rows == 0 {
        return Err(input_err(
            path,
            "no rows: at least one sample is needed".into(),
        ));
    }
    let add_bias = bias_input && t.cols + 1 == inputs;
    if t.cols != inputs && !add_bias {
        let also = if bias_input {
            format!(" or {} (the bias input is added)", inputs - 1)
        } else {
            String::new()
        };
        return Err(input_err(
            path,
            format!(
                "{} values per row, the model has {inputs} inputs: {inputs}{also} allowed",
                t.cols
            ),
        ));
    }
    let cols = t.cols.max(1);
    let (values, why) = values
        .resolve_checked(&t.values, |i| {
            format!("row {}, column {}", i / cols, i % cols)
        })
        .map_err(|what| input_err(path, what))?;
    let why = why.map_or(String::new(), |w| format!(" ({w})"));
    // With as many columns as the model has inputs, the last is the bias
    // input: it must be the bias value, not data (a label column).
    let bias_col = (bias_input && !add_bias).then(|| t.cols - 1);
    let mut out = Vec::with_capacity(t.rows);
    for (r, row) in t.values.chunks(cols).take(t.rows).enumerate() {
        let mut ps = Vec::with_capacity(inputs);
        for (c, &v) in row.iter().enumerate().take(t.cols) {
            let p = values.probability(v).map_err(|allowed| {
                input_err(
                    path,
                    format!("row {r}, column {c}: {v} is not {allowed}{why}"),
                )
            })?;
            if Some(c) == bias_col && p != Probability::ONE {
                let one = match values {
                    Values::Pixels { max } => format!("{max} (the pixel maximum)"),
                    _ => "1".into(),
                };
                return Err(input_err(
                    path,
                    format!(
                        "row {r}, column {c} (the bias input: the rows have as many columns as \
                         the model has inputs, {inputs}): {v} is not the bias value; allowed: \
                         {one}, or leave the column out ({} columns) and it is added",
                        inputs - 1
                    ),
                ));
            }
            ps.push(p);
        }
        if add_bias {
            ps.push(Probability::ONE);
        }
        out.push(ps);
    }
    Ok(out)
}

/// The results of a job, as written to `.json`.
#[derive(Debug, Serialize)]
pub struct Results<'a> {
    /// Time steps per sample.
    pub steps: usize,
    /// The backend that ran them.
    pub backend: &'a str,
    /// Per sample: the last layer's spike counts.
    pub counts: Vec<&'a [u32]>,
    /// Per sample: the predicted class (largest count, ties to the smaller
    /// index).
    pub predictions: Vec<usize>,
    /// Per sample, per step, per layer: the spikes as `0`/`1` strings over
    /// the neurons (with `--spikes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spikes: Option<Vec<Vec<Vec<String>>>>,
}

/// Write `runs` to `out` by its extension: `.json` (counts, predictions,
/// spikes), `.csv` (a row per sample: prediction, then counts; spikes are
/// not written to CSV) or `.npy` (counts as an `int64` array samples x
/// outputs, and beside it `<stem>.predictions.npy`; with spikes, also
/// `<stem>.spikes.npy`, `uint8` samples x steps x all layers' neurons).
/// Returns the files written.
pub fn write_results(
    out: &Path,
    runs: &[NetRun],
    steps: usize,
    backend: &str,
    spikes: bool,
) -> Result<Vec<PathBuf>, JobError> {
    let oerr = |p: &Path, what: String| JobError::Output {
        path: p.display().to_string(),
        what,
    };
    let predictions: Vec<usize> = runs.iter().map(|r| r.predicted().unwrap_or(0)).collect();
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let write =
        |p: &Path, bytes: &[u8]| std::fs::write(p, bytes).map_err(|e| oerr(p, e.to_string()));
    match ext.as_deref() {
        Some("json") => {
            let res = Results {
                steps,
                backend,
                counts: runs.iter().map(|r| &r.counts[..]).collect(),
                predictions,
                spikes: spikes.then(|| {
                    runs.iter()
                        .map(|r| {
                            r.spikes
                                .iter()
                                .map(|s| {
                                    s.iter()
                                        .map(|l| crate::hex::bits_to_str(l.iter().copied()))
                                        .collect()
                                })
                                .collect()
                        })
                        .collect()
                }),
            };
            let text = serde_json::to_string(&res).map_err(|e| oerr(out, e.to_string()))?;
            write(out, text.as_bytes())?;
            Ok(vec![out.to_path_buf()])
        }
        Some("csv") => {
            if spikes {
                return Err(oerr(
                    out,
                    "spike trains are written to .json or .npy, not .csv".into(),
                ));
            }
            let outputs = runs.first().map_or(0, |r| r.counts.len());
            let mut s = String::from("sample,prediction");
            for j in 0..outputs {
                s.push_str(&format!(",count_{j}"));
            }
            s.push('\n');
            for (i, (r, p)) in runs.iter().zip(&predictions).enumerate() {
                s.push_str(&format!("{i},{p}"));
                for c in &r.counts {
                    s.push_str(&format!(",{c}"));
                }
                s.push('\n');
            }
            write(out, s.as_bytes())?;
            Ok(vec![out.to_path_buf()])
        }
        Some("npy") => {
            let outputs = runs.first().map_or(0, |r| r.counts.len());
            let sibling = |what: &str| {
                let stem = out.file_stem().and_then(|s| s.to_str()).unwrap_or("out");
                out.with_file_name(format!("{stem}.{what}.npy"))
            };
            let counts: Vec<i64> = runs
                .iter()
                .flat_map(|r| r.counts.iter().map(|&c| i64::from(c)))
                .collect();
            let mut files = vec![out.to_path_buf()];
            npy_write(out, &[runs.len() as u64, outputs as u64], counts)
                .map_err(|e| oerr(out, e.to_string()))?;
            let pp = sibling("predictions");
            npy_write(
                &pp,
                &[runs.len() as u64],
                predictions.iter().map(|&p| p as i64),
            )
            .map_err(|e| oerr(&pp, e.to_string()))?;
            files.push(pp);
            if spikes {
                let width: usize = runs
                    .first()
                    .and_then(|r| r.spikes.first())
                    .map_or(0, |s| s.iter().map(Vec::len).sum());
                let sp = sibling("spikes");
                let data = runs
                    .iter()
                    .flat_map(|r| r.spikes.iter().flatten().flatten().map(|&b| u8::from(b)));
                npy_write(&sp, &[runs.len() as u64, steps as u64, width as u64], data)
                    .map_err(|e| oerr(&sp, e.to_string()))?;
                files.push(sp);
            }
            Ok(files)
        }
        _ => Err(oerr(
            out,
            "unknown file type: .json, .csv or .npy is allowed".into(),
        )),
    }
}

fn npy_write<T: npyz::AutoSerialize>(
    path: &Path,
    shape: &[u64],
    data: impl IntoIterator<Item = T>,
) -> std::io::Result<()> {
    let f = std::io::BufWriter::new(std::fs::File::create(path)?);
    use npyz::WriterBuilder;
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(f)
        .begin_nd()?;
    w.extend(data)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_round_half_up_exactly() {
        assert_eq!(pixel_q16(0, 255), 0);
        assert_eq!(pixel_q16(255, 255), 65536);
        assert_eq!(pixel_q16(16, 16), 65536);
        assert_eq!(pixel_q16(3, 16), 3 * 4096);
        // 1 * 65536 / 255 = 257.003...
        assert_eq!(pixel_q16(1, 255), 257);
        // 65536 / 3 = 21845.33 -> 21845; 2 * 65536 / 3 = 43690.67 -> 43691.
        assert_eq!(pixel_q16(1, 3), 21845);
        assert_eq!(pixel_q16(2, 3), 43691);
    }
}
