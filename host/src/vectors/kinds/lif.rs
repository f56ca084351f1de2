//! `lif`: a LIF population over several steps, Q16.16 or Q8.8 (spec §6).

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::wire::{self, Kind, LifRecord};
use sc_kernel::{words_for, BitSlice, BitSliceMut, Word};
use serde::{Deserialize, Serialize};

use super::count;
use crate::backend::{Backend, LifStep};
use crate::hex::bits_to_str;
use crate::limits::{check_bytes, try_vec, try_with_capacity};
use crate::scnet::{LifFormat, LifParamsRaw};
use crate::vectors::check::probe::{object, Found, Probe};
use crate::vectors::compute::{field, CaseError};
use crate::vectors::export::{bit_words, s32, w32};
use crate::vectors::schema::{Case, Expect};
use sc_kernel::rng::SplitMix64;

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = (
    "lif",
    "Q16.16 and Q8.8 LIF populations: spikes, resets, refractory, saturation (spec 6)",
);

/// Output of a LIF case: per step, per neuron.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifExpect {
    /// Membrane after each step (raw), `[step][neuron]`.
    pub v: Vec<Vec<i32>>,
    /// Refractory counter after each step, `[step][neuron]`.
    pub refractory: Vec<Vec<u16>>,
    /// Spikes per step, bit string over neurons.
    pub spikes: Vec<String>,
}

/// Probe of a `params` object (also a network layer's).
pub(crate) fn params(v: &serde_json::Value, path: &str) -> Found {
    object(
        v,
        path,
        &probes![
            v_rest: i32, v_reset: i32, threshold: i32, alpha: i32, resistance: i32,
            refractory: u16,
        ],
        false,
    )
}

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    probes![
        name: String, format: LifFormat, params = params, neurons: usize,
        input: Vec<Vec<i32>>, expect: Expect<LifExpect>
    ]
    .into()
}

fn check_input(neurons: usize, input: &[Vec<i32>]) -> Result<(), CaseError> {
    for (t, row) in input.iter().enumerate() {
        count(
            &format!("input[{t}]"),
            row.len(),
            neurons,
            "values (neurons)",
        )?;
    }
    check_bytes::<i32>("input", input.len().saturating_mul(neurons))?;
    Ok(())
}

case_view! {
    /// A `lif` case's fields.
    LifCase = Lif("lif") {
        copy: format: LifFormat, neurons: usize;
        ref: params: LifParamsRaw, input: Vec<Vec<i32>>, expect: Expect<LifExpect>
    }
}

/// Check the inputs: the parameters in their format, then the rows.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let c = LifCase::of(case)?;
    match c.format {
        LifFormat::Q16_16 => field("params", c.params.to_params::<I16F16>()).map(|_| ())?,
        LifFormat::Q8_8 => field("params", c.params.to_params::<I8F8>()).map(|_| ())?,
    }
    check_input(c.neurons, c.input)
}

/// Check the expectation's shape (a row per input step, a value per neuron).
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let LifCase {
        neurons,
        input,
        expect,
        ..
    } = LifCase::of(case)?;
    let Expect::Value(expect) = expect else {
        return Ok(());
    };
    let steps = input.len();
    count("expect.v", expect.v.len(), steps, "rows (input steps)")?;
    count(
        "expect.refractory",
        expect.refractory.len(),
        steps,
        "rows (input steps)",
    )?;
    count(
        "expect.spikes",
        expect.spikes.len(),
        steps,
        "rows (input steps)",
    )?;
    for t in 0..steps {
        count(
            &format!("expect.v[{t}]"),
            expect.v[t].len(),
            neurons,
            "values (neurons)",
        )?;
        count(
            &format!("expect.refractory[{t}]"),
            expect.refractory[t].len(),
            neurons,
            "values (neurons)",
        )?;
        count(
            &format!("expect.spikes[{t}]"),
            expect.spikes[t].len(),
            neurons,
            "bits (neurons)",
        )?;
    }
    Ok(())
}

fn run<F: LifFixed, W: Word, B: Backend<W>>(
    b: &B,
    params: &LifParamsRaw,
    neurons: usize,
    input: &[Vec<i32>],
) -> Result<LifExpect, CaseError> {
    let p = field("params", params.to_params::<F>())?;
    check_input(neurons, input)?;
    let mut v = try_vec("neurons", neurons, p.v_rest())?;
    let mut r = try_vec("neurons", neurons, 0u16)?;
    let mut spikes = try_vec("neurons", words_for::<W>(neurons), W::ZERO)?;
    let mut out = LifExpect {
        v: try_with_capacity("input", input.len())?,
        refractory: try_with_capacity("input", input.len())?,
        spikes: try_with_capacity("input", input.len())?,
    };
    for (t, step) in input.iter().enumerate() {
        let i = step
            .iter()
            .enumerate()
            .map(|(j, &x)| field(format!("input[{t}][{j}]"), F::try_from_raw(x)))
            .collect::<Result<Vec<_>, _>>()?;
        b.lif(LifStep {
            params: &p,
            v: &mut v,
            refractory: &mut r,
            input: &i,
            spikes: BitSliceMut::new(&mut spikes, neurons)?,
        })?;
        let s = BitSlice::new(&spikes, neurons)?;
        out.v.push(v.iter().map(|x| x.raw()).collect());
        out.refractory.push(r.clone());
        out.spikes
            .push(bits_to_str((0..neurons).map(|j| s.get(j) == Some(true))));
    }
    Ok(out)
}

/// Recompute `expect` on `b`, one backend call per step.
pub(crate) fn evaluate<W: Word, B: Backend<W>>(b: &B, case: &mut Case) -> Result<(), CaseError> {
    let c = LifCase::of(case)?;
    let value = match c.format {
        LifFormat::Q16_16 => run::<I16F16, W, B>(b, c.params, c.neurons, c.input)?,
        LifFormat::Q8_8 => run::<I8F8, W, B>(b, c.params, c.neurons, c.input)?,
    };
    if let Case::Lif { expect, .. } = case {
        *expect = Expect::Value(value);
    }
    Ok(())
}

/// Parameters `(v_rest, v_reset, threshold, alpha, resistance,
/// refractory)` rounded to format `F`, raw (valid by construction).
fn raw_params<F: LifFixed>(
    (v_rest, v_reset, threshold, alpha, resistance, refractory): (f64, f64, f64, f64, f64, u16),
) -> LifParamsRaw {
    let p = LifParams::<F>::from_f64(v_rest, v_reset, threshold, alpha, resistance, refractory);
    LifParamsRaw::from_params(&p.expect("valid"))
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    // Per format: (name, (v_rest, v_reset, threshold, alpha, resistance,
    // refractory), input scale).
    let q16 = [
        ("q16_basic", (0.0, 0.0, 1.0, 0.1, 1.0, 0), 1.0),
        ("q16_refractory", (-0.2, -0.5, 0.8, 0.25, 1.5, 3), 1.0),
        (
            "q16_saturation",
            (0.0, -1.0, 30000.0, 0.001, 2.0, 0),
            20000.0,
        ),
    ];
    let q8 = [
        ("q8_basic", (0.0, 0.0, 1.0, 0.125, 1.0, 0), 1.0),
        ("q8_refractory", (-0.25, -0.5, 0.75, 0.5, 1.25, 2), 1.0),
        ("q8_saturation", (0.0, -2.0, 120.0, 1.0, 4.0, 1), 100.0),
    ];
    let mut cases = vec![];
    for (format, sets) in [(LifFormat::Q16_16, q16), (LifFormat::Q8_8, q8)] {
        for (name, values, scale) in sets {
            let (params, frac, (lo, hi)) = match format {
                LifFormat::Q16_16 => (
                    raw_params::<I16F16>(values),
                    65536.0,
                    (i32::MIN as f64, i32::MAX as f64),
                ),
                LifFormat::Q8_8 => (
                    raw_params::<I8F8>(values),
                    256.0,
                    (i16::MIN as f64, i16::MAX as f64),
                ),
            };
            let neurons = 5;
            let input = (0..40)
                .map(|_| {
                    (0..neurons)
                        .map(|_| {
                            let u = rng.below(1 << 20) as f64 / (1 << 20) as f64;
                            ((u * 1.4 - 0.4) * scale * frac).clamp(lo, hi) as i32
                        })
                        .collect()
                })
                .collect();
            cases.push(Case::Lif {
                name: name.into(),
                format,
                params,
                neurons,
                input,
                expect: Expect::Value(LifExpect {
                    v: vec![],
                    refractory: vec![],
                    spikes: vec![],
                }),
            });
        }
    }
    cases
}

/// The export payload (appended to `p`).
pub(crate) fn payload(case: &Case, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let LifCase {
        format,
        params,
        neurons,
        input,
        expect,
    } = LifCase::of(case)?;
    let flat = |rows: &[Vec<i32>]| -> Vec<u32> { rows.iter().flatten().map(|&x| s32(x)).collect() };
    let input_words = flat(input);
    let (v, refr, spikes) = match expect {
        Expect::Value(e) => {
            let mut spikes = vec![];
            for (t, s) in e.spikes.iter().enumerate() {
                spikes.extend(bit_words(&format!("expect.spikes[{t}]"), s)?);
            }
            (
                flat(&e.v),
                e.refractory
                    .iter()
                    .flatten()
                    .map(|&x| u32::from(x))
                    .collect(),
                spikes,
            )
        }
        Expect::Error { .. } => (vec![], vec![], vec![]),
    };
    let r = LifRecord {
        format,
        params: [
            s32(params.v_rest),
            s32(params.v_reset),
            s32(params.threshold),
            s32(params.alpha),
            s32(params.resistance),
            u32::from(params.refractory),
        ],
        neurons: w32("neurons", neurons)?,
        steps: w32("input", input.len())?,
        input: &input_words,
        expect: matches!(expect, Expect::Value(_)).then_some(wire::LifExpect {
            v: &v,
            refractory: &refr,
            spikes: &spikes,
        }),
    };
    crate::vectors::export::wire("input", r.emit(p))?;
    Ok(Kind::Lif)
}
