//! `mac`: dense unsigned and signed SC MAC (spec §5).

use sc_kernel::mac::MacShape;
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::wire::{self, Kind, MacRecord};
use sc_kernel::Word;
use serde::{Deserialize, Serialize};

use super::{count, hex_len, stream};
use crate::backend::{Backend, MacCounts, MacInputs};
use crate::hex::bits_from_str;
use crate::limits::{try_vec, try_with_capacity};
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{bad, field, CaseError};
use crate::vectors::export::{bit_words, input_words, s32, w32};
use crate::vectors::generate::{hex_of, str_of, RandomBits, SplitMix64};
use crate::vectors::schema::{Case, Expect};

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = ("mac", "dense unsigned and signed SC MAC (spec 5)");

/// Output of a MAC case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacExpect {
    /// Unsigned counts, one per neuron.
    pub unsigned: Vec<u32>,
    /// Signed counts, one per neuron.
    pub signed: Vec<i32>,
}

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    probes![
        name: String, neurons: usize, inputs: usize, len: usize, weights: Vec<String>,
        signs: Vec<String>, x: Vec<String>, expect: Expect<MacExpect>
    ]
    .into()
}

case_view! {
    /// A `mac` case's fields.
    MacCase = Mac("mac") {
        copy: neurons: usize, inputs: usize, len: usize;
        ref: weights: Vec<String>, signs: Vec<String>, x: Vec<String>, expect: Expect<MacExpect>
    }
}

/// Check the inputs: stream and row counts against the shape, then each
/// stream's length and each sign row.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let c = MacCase::of(case)?;
    let nw = c
        .neurons
        .checked_mul(c.inputs)
        .ok_or_else(|| bad("neurons", "neurons x inputs overflows"))?;
    count("weights", c.weights.len(), nw, "streams (neurons x inputs)")?;
    count("x", c.x.len(), c.inputs, "streams (inputs)")?;
    count("signs", c.signs.len(), c.neurons, "rows (neurons)")?;
    field("len", MacShape::new(c.neurons, c.inputs, c.len))?;
    for (k, h) in c.weights.iter().enumerate() {
        hex_len(&format!("weights[{k}]"), h, c.len)?;
    }
    for (k, h) in c.x.iter().enumerate() {
        hex_len(&format!("x[{k}]"), h, c.len)?;
    }
    for (j, row) in c.signs.iter().enumerate() {
        let n = format!("signs[{j}]");
        let b = field(n.as_str(), bits_from_str(row))?;
        count(&n, b.len(), c.inputs, "bits (inputs)")?;
    }
    Ok(())
}

/// Check the expectation's shape (one count per neuron).
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let c = MacCase::of(case)?;
    let Expect::Value(expect) = c.expect else {
        return Ok(());
    };
    count(
        "expect.unsigned",
        expect.unsigned.len(),
        c.neurons,
        "counts (neurons)",
    )?;
    count(
        "expect.signed",
        expect.signed.len(),
        c.neurons,
        "counts (neurons)",
    )
}

/// Recompute `expect` on `p`.
pub(crate) fn evaluate<W: Word, B: Backend<W>>(p: &B, case: &mut Case) -> Result<(), CaseError> {
    let value = run(p, &MacCase::of(case)?)?;
    if let Case::Mac { expect, .. } = case {
        *expect = Expect::Value(value);
    }
    Ok(())
}

/// The outputs of `case` on `p`.
fn run<W: Word, B: Backend<W>>(p: &B, case: &MacCase) -> Result<MacExpect, CaseError> {
    let (neurons, inputs, len) = (case.neurons, case.inputs, case.len);
    let shape = MacShape::new(neurons, inputs, len)?;
    let batch = |hexes: &[String], n: &str| -> Result<Vec<W>, CaseError> {
        let total = hexes.len().saturating_mul(shape.stride::<W>());
        let mut out = try_with_capacity(n, total)?;
        for (k, h) in hexes.iter().enumerate() {
            out.extend(stream::<W>(&format!("{n}[{k}]"), h, len)?);
        }
        Ok(out)
    };
    let ww = batch(case.weights, "weights")?;
    let wx = batch(case.x, "x")?;
    let mut sbits = try_with_capacity("signs", neurons.saturating_mul(inputs))?;
    for (j, s) in case.signs.iter().enumerate() {
        sbits.extend(field(format!("signs[{j}]"), bits_from_str(s))?);
    }
    let rs = RowShape {
        rows: neurons,
        row_len: inputs,
    };
    let mut ws = try_vec("signs", rs.words::<W>()?, W::ZERO)?;
    pack_rows(rs, &sbits, &mut ws)?;
    let mut unsigned = try_vec("neurons", neurons, 0u32)?;
    let mut signed = try_vec("neurons", neurons, 0i32)?;
    let m = MacInputs {
        shape: &shape,
        weights: &ww,
        signs: &ws,
        x: &wx,
    };
    let out = MacCounts {
        unsigned: &mut unsigned,
        signed: &mut signed,
    };
    p.mac(m, out)?;
    Ok(MacExpect { unsigned, signed })
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for (neurons, inputs, len) in [
        (1usize, 1usize, 1usize),
        (3, 5, 64),
        (4, 7, 65),
        (2, 33, 31),
        (8, 16, 256),
        (5, 64, 1000),
        (2, 3, 0),
    ] {
        let weights = (0..neurons * inputs)
            .map(|_| hex_of(&rng.bits(len, 100)))
            .collect();
        let x = (0..inputs).map(|_| hex_of(&rng.bits(len, 140))).collect();
        let signs = (0..neurons)
            .map(|_| str_of(&rng.bits(inputs, 128)))
            .collect();
        cases.push(Case::Mac {
            name: format!("mac_{neurons}x{inputs}_len{len}"),
            neurons,
            inputs,
            len,
            weights,
            signs,
            x,
            expect: Expect::Value(MacExpect {
                unsigned: vec![],
                signed: vec![],
            }),
        });
    }
    cases
}

/// The export payload (appended to `p`); `raw`: an error case.
pub(crate) fn payload(case: &Case, raw: bool, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let c = MacCase::of(case)?;
    let streams = |name: &str, hexes: &[String]| -> Result<Vec<u32>, CaseError> {
        let mut out = vec![];
        for (k, s) in hexes.iter().enumerate() {
            out.extend(input_words(&format!("{name}[{k}]"), s, c.len, raw)?);
        }
        Ok(out)
    };
    let w = streams("weights", c.weights)?;
    let mut sg = vec![];
    for (j, s) in c.signs.iter().enumerate() {
        sg.extend(bit_words(&format!("signs[{j}]"), s)?);
    }
    let xs = streams("x", c.x)?;
    let expect = c.expect;
    let signed: Vec<u32> = match expect {
        Expect::Value(e) => e.signed.iter().map(|&c| s32(c)).collect(),
        Expect::Error { .. } => vec![],
    };
    let r = MacRecord {
        neurons: w32("neurons", c.neurons)?,
        inputs: w32("inputs", c.inputs)?,
        len: w32("len", c.len)?,
        weights: &w,
        signs: &sg,
        x: &xs,
        expect: match expect {
            Expect::Value(e) => Some(wire::MacExpect {
                unsigned: &e.unsigned,
                signed: &signed,
            }),
            Expect::Error { .. } => None,
        },
    };
    crate::vectors::export::wire("weights", r.emit(p))?;
    Ok(Kind::Mac)
}
