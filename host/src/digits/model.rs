//! The model file (`docs/model.md`): the float network, its quantised SC
//! network and the steps per image, with its validation; quantisation of
//! a float network to an SC network and back.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{read_input, DigitsError, MAX_LEN, MAX_STEPS, SHIPPED_MODEL, SHIPPED_MODEL_NAME};
use crate::hex::bits_to_str;
use crate::limits;
use crate::scnet::{LayerSpec, LifFormat, LifParamsRaw, NetworkSpec, Source};
use crate::snn::{Snn, SnnConfig};

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
                    if l == 0 && c.bias { "the last input is the bias; " } else { "" }
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
            let want = s + usize::from(k == 0 && c.bias);
            if d != want {
                return Err(format!(
                    "network.dims {:?} does not match snn.config.sizes {:?}: dims[{k}] must be {want}{}",
                    n.dims,
                    c.sizes,
                    if k == 0 && c.bias { " (the inputs and the bias input)" } else { "" }
                ));
            }
        }
        // Raw values must fit the format's integer width (Q8.8: 16 bits).
        let raw_range = n.format.raw_range();
        let (lo, hi) = (*raw_range.start(), *raw_range.end());
        let mut raws = vec![];
        for (k, l) in n.layers.iter().enumerate() {
            if !(1..=MAX_LEN).contains(&l.len) {
                return Err(format!(
                    "network.layers[{k}].len is {}; allowed 1..={MAX_LEN}",
                    l.len
                ));
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
            super::weight_stream_words(&n.dims, |k| n.layers.get(k).map_or(0, |l| l.len)),
        )
        .map_err(|e| e.to_string())?;
        for (field, v) in raws {
            if !(lo..=hi).contains(&v) {
                return Err(format!(
                    "{field} is {v}; a {} raw value must be in {lo}..={hi}",
                    n.format.name()
                ));
            }
        }
        // Validated in its own format without encoding its weight streams
        // (that happens once, when the network is built to run).
        n.validate().map_err(|e| {
            format!(
                "network ({}): {}",
                n.format.name(),
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
    // A positive value that rounds to 0 would be silently raised to the
    // smallest step: an error instead, naming the smallest value.
    let positive = |x: f64, name: &'static str| -> Result<i32, DigitsError> {
        let r = raw(x, name)?;
        if r < 1 {
            return Err(DigitsError::Model {
                path: "quantise".into(),
                what: format!(
                    "{name} = {x} rounds to 0 in the LIF format (steps of 2^-{frac}); the \
                     smallest value that does not is {:e}",
                    0.5 / one
                ),
            });
        }
        Ok(r)
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
        threshold: positive(c.threshold, "threshold")?,
        alpha: positive(c.alpha, "alpha")?,
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
            gain: positive(wmax, "layer gain (max |w|)")?,
        });
    }
    let mut dims = c.sizes.clone();
    if c.bias {
        dims[0] += 1; // bias input
    }
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
