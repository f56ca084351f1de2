//! The main job: the UCI optical digits (8x8) classified by a spiking
//! network trained in full precision, then run as an SC network.
//!
//! Data: `host/data/digits.csv` (see `host/data/DIGITS-LICENSE.md`); image
//! `k` is in the test set when `k % 5 == 4`. Inputs: pixel `p` in 0..=16
//! becomes the analog input `p / 16` (float) and the probability
//! `p * 4096` in Q0.16 (SC), plus a constant bias input of 1.

use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::LifFixed;
use sc_kernel::mac::mac_signed;
use sc_kernel::net::{encode_inputs, spikes_to_streams, StreamSource};
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, BitSlice};

use crate::hex::bits_to_str;
use crate::lif_float::FloatLifParams;
use crate::scnet::{LayerSpec, LifFormat, LifParamsRaw, NetError, NetworkSpec, ScNetwork, Source};
use crate::snn::{Snn, SnnConfig};

/// Pixels per image.
pub const PIXELS: usize = 64;
/// Classes.
pub const CLASSES: usize = 10;

/// The data set.
#[derive(Debug, Clone)]
pub struct Digits {
    /// Images, 64 pixels in 0..=16, row-major.
    pub images: Vec<[u8; PIXELS]>,
    /// Labels 0..=9.
    pub labels: Vec<u8>,
}

/// Errors of the digits job.
#[derive(Debug, thiserror::Error)]
pub enum DigitsError {
    /// Reading a file.
    #[error("{path}: {source}")]
    Io {
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
    /// A malformed model file.
    #[error("{path}: {what}")]
    Model {
        /// File.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// Network error.
    #[error("{0}")]
    Net(#[from] NetError),
    /// Float model error.
    #[error("{0}")]
    Snn(#[from] crate::snn::SnnError),
    /// Float LIF error.
    #[error("{0}")]
    Lif(#[from] crate::lif_float::FloatLifError),
    /// Kernel error.
    #[error("{0}")]
    Kernel(#[from] sc_kernel::Error),
}

impl Digits {
    /// Load `digits.csv`: 65 comma-separated integers per line (64 pixels
    /// in 0..=16, then the label 0..=9).
    pub fn load(path: &Path) -> Result<Self, DigitsError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DigitsError::Io {
            path: p.clone(),
            source,
        })?;
        let mut images = vec![];
        let mut labels = vec![];
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let err = |what: String| DigitsError::Data {
                path: p.clone(),
                line: i + 1,
                what,
            };
            let vals: Vec<u32> = line
                .split(',')
                .map(|f| {
                    f.trim()
                        .parse::<u32>()
                        .map_err(|e| err(format!("{f:?}: {e}")))
                })
                .collect::<Result<_, _>>()?;
            if vals.len() != PIXELS + 1 {
                return Err(err(format!(
                    "{} fields; expected 65 (64 pixels and a label)",
                    vals.len()
                )));
            }
            let mut img = [0u8; PIXELS];
            for (k, &v) in vals[..PIXELS].iter().enumerate() {
                if v > 16 {
                    return Err(err(format!("pixel {k} is {v}; allowed 0..=16")));
                }
                img[k] = v as u8;
            }
            if vals[PIXELS] >= CLASSES as u32 {
                return Err(err(format!("label {}; allowed 0..=9", vals[PIXELS])));
            }
            images.push(img);
            labels.push(vals[PIXELS] as u8);
        }
        Ok(Self { images, labels })
    }

    /// Indices of the training (`k % 5 != 4`) and test (`k % 5 == 4`) images.
    pub fn split(&self) -> (Vec<usize>, Vec<usize>) {
        (0..self.images.len()).partition(|k| k % 5 != 4)
    }
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

/// The model file: the float network and its quantised SC form.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DigitsModel {
    /// Always `"sc-neuro-model"`.
    pub format: String,
    /// Model file version (1).
    pub version: u32,
    /// Free text (how it was trained).
    pub description: String,
    /// The trained float network.
    pub snn: Snn<f32>,
    /// The quantised SC network (Q16.16 LIF, Sobol streams, `len` = 256);
    /// its `dims[0]` is 65: 64 pixels and the bias input.
    pub network: NetworkSpec,
    /// Time steps per image.
    pub steps: usize,
}

impl DigitsModel {
    /// Read and validate a model file.
    pub fn load(path: &Path) -> Result<Self, DigitsError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| DigitsError::Io {
            path: p.clone(),
            source,
        })?;
        let m: Self = serde_json::from_str(&text).map_err(|e| DigitsError::Model {
            path: p.clone(),
            what: e.to_string(),
        })?;
        if m.format != "sc-neuro-model" || m.version != 1 {
            return Err(DigitsError::Model {
                path: p,
                what: format!(
                    "format {:?} version {}; expected \"sc-neuro-model\" version 1",
                    m.format, m.version
                ),
            });
        }
        m.snn.config.validate()?;
        ScNetwork::<I16F16, u32>::new(&m.network)?;
        Ok(m)
    }

    /// Write the model as pretty JSON.
    pub fn save(&self, path: &Path) -> Result<(), DigitsError> {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        std::fs::write(path, s).map_err(|source| DigitsError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

/// Quantise a float network to an SC network (spec §7):
/// magnitudes `P = round(|w| / wmax * 65536)`, sign bits, gain
/// `round(wmax * 2^F)` per layer; LIF `v_rest = v_reset = 0`, `R = 1`,
/// `alpha` and `threshold` rounded to the format.
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
    let mut layers = vec![];
    for w in &snn.weights {
        let wmax = w.iter().fold(0f64, |m, &x| m.max((x as f64).abs()));
        let wmax = if wmax > 0.0 { wmax } else { 1.0 };
        layers.push(LayerSpec {
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
        len,
        weight_source,
        input_source,
        params: LifParamsRaw {
            v_rest: 0,
            v_reset: 0,
            threshold: raw(c.threshold, "threshold")?,
            alpha: raw(c.alpha, "alpha")?.max(1),
            resistance: raw(1.0, "resistance")?,
            refractory: 0,
        },
        layers,
    })
}

/// The float network that the quantised SC network approximates: weights
/// `sign * P / 65536 * gain / 2^F`, and the format's `alpha`, `threshold`.
pub fn dequantised(spec: &NetworkSpec, config: &SnnConfig) -> Snn<f64> {
    let one = match spec.format {
        LifFormat::Q16_16 => 65536.0,
        LifFormat::Q8_8 => 256.0,
    };
    let mut config = config.clone();
    config.alpha = spec.params.alpha as f64 / one;
    config.threshold = spec.params.threshold as f64 / one;
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
    Snn { config, weights }
}

/// SC MAC with full-precision LIF neurons: the kernel's streams, input
/// encoding and signed MAC, then `I = counts * gain / L` and the `f64` LIF
/// step. Isolates the SC error from the fixed-point error.
pub fn predict_sc_float(
    spec: &NetworkSpec,
    net: &ScNetwork<I16F16, u64>,
    inputs_q16: &[u32],
    steps: usize,
) -> Result<usize, DigitsError> {
    type W = u64;
    let one = match spec.format {
        LifFormat::Q16_16 => 65536.0,
        LifFormat::Q8_8 => 256.0,
    };
    let r = &spec.params;
    let lif = FloatLifParams::<f64>::new(
        r.v_rest as f64 / one,
        r.v_reset as f64 / one,
        r.threshold as f64 / one,
        r.alpha as f64 / one,
        r.resistance as f64 / one,
        r.refractory,
    )?;
    let probs = inputs_q16
        .iter()
        .map(|&q| Probability::from_q16(q))
        .collect::<Result<Vec<_>, _>>()?;
    let layers = net.layers();
    let mut g = StreamSource::from(spec.input_source).start()?;
    let mut v: Vec<Vec<f64>> = layers
        .iter()
        .map(|l| vec![lif.v_rest; l.shape.neurons()])
        .collect();
    let mut refr: Vec<Vec<u16>> = layers.iter().map(|l| vec![0; l.shape.neurons()]).collect();
    let mut x: Vec<W> = vec![];
    let mut counts = vec![0u32; spec.dims[spec.dims.len() - 1]];
    for _ in 0..steps {
        let mut spikes_w: Vec<W> = vec![];
        for (k, l) in layers.iter().enumerate() {
            let shape = &l.shape;
            x.resize(shape.input_rows().words::<W>()?, 0);
            if k == 0 {
                encode_inputs(shape, &probs, &mut g, &mut x)?;
            } else {
                spikes_to_streams(BitSlice::new(&spikes_w, shape.inputs())?, shape, &mut x)?;
            }
            let mut c = vec![0i32; shape.neurons()];
            mac_signed(shape, l.magnitudes, l.signs, &x, &mut c)?;
            let gain = l.gain.to_f64();
            let cur: Vec<f64> = c
                .iter()
                .map(|&n| n as f64 * gain / shape.len() as f64)
                .collect();
            let mut s = vec![false; shape.neurons()];
            lif.step_population(&mut v[k], &mut refr[k], &cur, None, &mut s)?;
            spikes_w = vec![0; words_for::<W>(s.len())];
            for (j, &b) in s.iter().enumerate() {
                spikes_w[j / 64] |= (b as W) << (j % 64);
            }
            if k + 1 == layers.len() {
                for (cnt, &b) in counts.iter_mut().zip(&s) {
                    *cnt += b as u32;
                }
            }
        }
    }
    Ok(sc_kernel::net::argmax(&counts).unwrap_or(0))
}

/// Accuracy (fraction correct) of `predict` over the test images.
pub fn accuracy<F>(data: &Digits, test: &[usize], predict: F) -> Result<f64, DigitsError>
where
    F: Fn(&[u8; PIXELS]) -> Result<usize, DigitsError> + Sync,
{
    let correct: Vec<bool> = test
        .par_iter()
        .map(|&k| predict(&data.images[k]).map(|c| c == data.labels[k] as usize))
        .collect::<Result<_, _>>()?;
    Ok(correct.iter().filter(|&&c| c).count() as f64 / test.len().max(1) as f64)
}

/// Accuracy of the bit-exact SC network (fixed-point LIF, kernel) for `spec`.
pub fn sc_fixed_accuracy(
    data: &Digits,
    test: &[usize],
    spec: &NetworkSpec,
    steps: usize,
) -> Result<f64, DigitsError> {
    fn run<F: LifFixed>(
        data: &Digits,
        test: &[usize],
        spec: &NetworkSpec,
        steps: usize,
    ) -> Result<f64, DigitsError> {
        let net = ScNetwork::<F, u64>::new(spec)?;
        accuracy(data, test, |img| {
            let probs = input_q16(img)
                .into_iter()
                .map(Probability::from_q16)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(net.run(&probs, steps)?.predicted().unwrap_or(0))
        })
    }
    match spec.format {
        LifFormat::Q16_16 => run::<I16F16>(data, test, spec, steps),
        LifFormat::Q8_8 => run::<I8F8>(data, test, spec, steps),
    }
}

/// Train the float network on the training images with Adam (mini-batches
/// of 32, shuffled each epoch with a fixed seed). `progress(epoch, loss)` is
/// called after every epoch.
pub fn train(
    data: &Digits,
    train: &[usize],
    config: SnnConfig,
    epochs: usize,
    mut progress: impl FnMut(usize, f64),
) -> Result<Snn<f32>, DigitsError> {
    let mut net = Snn::<f32>::init(config, 0x5EED)?;
    let mut opt = crate::snn::Adam::new(&net, 2e-3);
    let inputs: Vec<Vec<f32>> = data.images.iter().map(input_float).collect();
    let mut order = train.to_vec();
    let mut rng = crate::vectors::generate::SplitMix64::new(0xD161);
    for epoch in 0..epochs {
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i as u64 + 1) as usize);
        }
        let mut loss = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(32) {
            let xs: Vec<&[f32]> = chunk.iter().map(|&k| inputs[k].as_slice()).collect();
            let ys: Vec<usize> = chunk.iter().map(|&k| data.labels[k] as usize).collect();
            loss += crate::snn::train_batch(&mut net, &mut opt, &xs, &ys)?;
            batches += 1;
        }
        progress(epoch, loss / batches.max(1) as f64);
    }
    Ok(net)
}

/// One row of the accuracy report.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Model variant.
    pub model: String,
    /// Stream generator ("-" for float models).
    pub generator: String,
    /// Accuracy per stream length (same order as [`Report::lengths`]);
    /// a float model has one value, independent of the length.
    pub accuracy: Vec<f64>,
}

/// The accuracy table of the main job.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Stream lengths evaluated.
    pub lengths: Vec<usize>,
    /// Rows.
    pub rows: Vec<Row>,
    /// Test images.
    pub test_images: usize,
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

/// Evaluate every variant on the test images.
pub fn evaluate(
    model: &DigitsModel,
    data: &Digits,
    test: &[usize],
    lengths: &[usize],
    mut progress: impl FnMut(&str),
) -> Result<Report, DigitsError> {
    let steps = model.steps;
    let mut rows = vec![];
    progress("float SNN");
    let f = accuracy(data, test, |img| {
        Ok(model.snn.predict(&input_float::<f32>(img))?)
    })?;
    rows.push(Row {
        model: "float SNN (f32, as trained)".into(),
        generator: "-".into(),
        accuracy: vec![f],
    });
    let deq = dequantised(&model.network, &model.snn.config);
    progress("float LIF");
    let fq = accuracy(data, test, |img| Ok(deq.predict(&input_float::<f64>(img))?))?;
    rows.push(Row {
        model: "float LIF (f64, quantised weights and parameters)".into(),
        generator: "-".into(),
        accuracy: vec![fq],
    });
    for (label, format, float_lif) in [
        ("SC + float LIF (f64)", LifFormat::Q16_16, true),
        ("SC + fixed-point LIF Q16.16", LifFormat::Q16_16, false),
        ("SC + fixed-point LIF Q8.8", LifFormat::Q8_8, false),
    ] {
        for generator in ["lfsr", "sobol"] {
            let (ws, xs) = sources(generator);
            let mut acc = vec![];
            for &len in lengths {
                progress(&format!("{label}, {generator}, L = {len}"));
                let spec = quantise(&model.snn, format, len, ws, xs)?;
                let a = if float_lif {
                    let net = ScNetwork::<I16F16, u64>::new(&spec)?;
                    accuracy(data, test, |img| {
                        predict_sc_float(&spec, &net, &input_q16(img), steps)
                    })?
                } else {
                    sc_fixed_accuracy(data, test, &spec, steps)?
                };
                acc.push(a);
            }
            rows.push(Row {
                model: label.into(),
                generator: generator.into(),
                accuracy: acc,
            });
        }
    }
    Ok(Report {
        lengths: lengths.to_vec(),
        rows,
        test_images: test.len(),
    })
}

impl Report {
    /// Accuracy of `model`/`generator` at stream length `len`.
    pub fn get(&self, model: &str, generator: &str, len: usize) -> Option<f64> {
        let r = self
            .rows
            .iter()
            .find(|r| r.model.starts_with(model) && r.generator == generator)?;
        match r.accuracy.len() {
            1 => Some(r.accuracy[0]),
            _ => r
                .accuracy
                .get(self.lengths.iter().position(|&l| l == len)?)
                .copied(),
        }
    }

    /// Markdown table.
    pub fn markdown(&self) -> String {
        let mut s = String::from("| model | generator |");
        for l in &self.lengths {
            s += &format!(" L={l} |");
        }
        s += "\n|---|---|";
        s += &"---|".repeat(self.lengths.len());
        s += "\n";
        for r in &self.rows {
            s += &format!("| {} | {} |", r.model, r.generator);
            for k in 0..self.lengths.len() {
                let a = if r.accuracy.len() == 1 {
                    r.accuracy[0]
                } else {
                    r.accuracy[k]
                };
                s += &format!(" {:.1}% |", 100.0 * a);
            }
            s += "\n";
        }
        s
    }

    /// SVG line chart of accuracy against stream length (log2 axis).
    pub fn svg(&self) -> String {
        let (w, h, ml, mr, mt, mb) = (860.0, 440.0, 60.0, 330.0, 30.0, 50.0);
        let n = self.lengths.len().max(2) as f64;
        let xs = |k: usize| ml + (w - ml - mr) * k as f64 / (n - 1.0);
        let lo = (self
            .rows
            .iter()
            .flat_map(|r| r.accuracy.iter())
            .fold(1.0f64, |a, &b| a.min(b))
            * 10.0)
            .floor()
            / 10.0;
        let lo = lo.clamp(0.0, 0.9);
        let ys = |a: f64| mt + (h - mt - mb) * (1.0 - (a - lo) / (1.0 - lo));
        let colors = [
            "#000000", "#777777", "#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
        ];
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">Digits test accuracy vs SC stream length ({} images)</text>\n",
            (w - mr + ml) / 2.0,
            self.test_images
        );
        for i in 0..=5 {
            let a = lo + (1.0 - lo) * i as f64 / 5.0;
            s += &format!(
                "<line x1=\"{ml}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{:.0}%</text>\n",
                w - mr,
                ml - 6.0,
                ys(a) + 4.0,
                100.0 * a,
                y = ys(a)
            );
        }
        for (k, l) in self.lengths.iter().enumerate() {
            s += &format!(
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{l}</text>\n",
                xs(k),
                h - mb + 18.0
            );
        }
        s += &format!("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">stream length L (bits per step)</text>\n", (w - mr + ml) / 2.0, h - 10.0);
        for (i, r) in self.rows.iter().enumerate() {
            let c = colors[i % colors.len()];
            let pts: Vec<String> = (0..self.lengths.len())
                .map(|k| {
                    let a = if r.accuracy.len() == 1 {
                        r.accuracy[0]
                    } else {
                        r.accuracy[k]
                    };
                    format!("{:.1},{:.1}", xs(k), ys(a))
                })
                .collect();
            let dash = if r.accuracy.len() == 1 {
                " stroke-dasharray=\"6,4\""
            } else {
                ""
            };
            s += &format!(
                "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"{dash} points=\"{}\"/>\n",
                pts.join(" ")
            );
            let ly = mt + 16.0 * i as f64 + 10.0;
            let name = if r.generator == "-" {
                r.model.clone()
            } else {
                format!("{} ({})", r.model, r.generator)
            };
            s += &format!(
                "<line x1=\"{}\" x2=\"{}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{c}\" stroke-width=\"2\"{dash}/><text x=\"{}\" y=\"{}\" font-size=\"10\">{}</text>\n",
                w - mr + 10.0,
                w - mr + 30.0,
                w - mr + 34.0,
                ly + 4.0,
                name.replace('&', "&amp;")
            );
        }
        s + "</svg>\n"
    }
}
