//! `bitwise`: AND/OR/XOR/XNOR/NOT/MUX of `len`-bit streams (spec §2).

use sc_kernel::ops::BitOp;
use sc_kernel::wire::{self, BitwiseRecord, Kind};
use sc_kernel::{words_for, BitSlice, BitSliceMut, Word};
use serde::{Deserialize, Serialize};

use super::{hex_len, stream};
use crate::backend::{Backend, Bitwise};
use crate::hex::stream_to_hex;
use crate::limits::try_vec;
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{bad, CaseError};
use crate::vectors::export::{input_words, w32, words};
use crate::vectors::generate::{hex_of, RandomBits, SplitMix64, EDGE_LENS};
use crate::vectors::schema::{Case, Expect};

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = (
    "bitwise",
    "AND/OR/XOR/XNOR/NOT/MUX at edge lengths (spec 2)",
);

/// Output of a bitwise op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BitwiseExpect {
    /// Result stream (hex).
    pub out: String,
    /// Its popcount.
    pub popcount: usize,
}

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    probes![
        name: String, op: BitOp, len: usize, a: String, b: String, sel: String,
        expect: Expect<BitwiseExpect>
    ]
    .into()
}

case_view! {
    /// A `bitwise` case's fields.
    BitwiseCase = Bitwise("bitwise") {
        copy: op: BitOp, len: usize;
        ref: a: String, b: Option<String>, sel: Option<String>, expect: Expect<BitwiseExpect>
    }
}

/// Check the inputs: stream lengths, and exactly the operands `op` uses.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let BitwiseCase {
        op, len, a, b, sel, ..
    } = BitwiseCase::of(case)?;
    let name = op.name();
    hex_len("a", a, len)?;
    let (uses_b, uses_sel) = (op.uses_b(), op.uses_sel());
    for (n, v, used) in [("b", b, uses_b), ("sel", sel, uses_sel)] {
        match (v, used) {
            (Some(h), true) => hex_len(n, h, len)?,
            (None, true) => return Err(bad(n, format!("missing; op `{name}` needs it"))),
            (Some(_), false) => {
                return Err(bad(
                    n,
                    format!("op `{name}` does not use it; remove the field"),
                ))
            }
            (None, false) => {}
        }
    }
    Ok(())
}

/// Check the expectation's shape.
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let c = BitwiseCase::of(case)?;
    let Expect::Value(expect) = c.expect else {
        return Ok(());
    };
    hex_len("expect.out", &expect.out, c.len)
}

/// Recompute `expect` on `p`.
pub(crate) fn evaluate<W: Word, B: Backend<W>>(p: &B, case: &mut Case) -> Result<(), CaseError> {
    let value = run(p, &BitwiseCase::of(case)?)?;
    if let Case::Bitwise { expect, .. } = case {
        *expect = Expect::Value(value);
    }
    Ok(())
}

/// The outputs of `case` on `p`.
fn run<W: Word, B: Backend<W>>(p: &B, case: &BitwiseCase) -> Result<BitwiseExpect, CaseError> {
    let len = case.len;
    let wa = stream::<W>("a", case.a, len)?;
    let operand = |o: Option<&str>, n: &str| -> Result<Vec<W>, CaseError> {
        match o {
            Some(h) => stream::<W>(n, h, len),
            None => Ok(wa.clone()),
        }
    };
    // validate_inputs made sure exactly the operands `op` uses are given.
    let wb = operand(case.b.as_deref(), "b")?;
    let ws = operand(case.sel.as_deref(), "sel")?;
    let mut wo = try_vec("len", words_for::<W>(len), W::ZERO)?;
    let mut so = BitSliceMut::new(&mut wo, len)?;
    let op = Bitwise {
        op: case.op,
        a: BitSlice::new(&wa, len)?,
        b: BitSlice::new(&wb, len)?,
        sel: BitSlice::new(&ws, len)?,
    };
    p.bitwise(op, &mut so)?;
    Ok(BitwiseExpect {
        out: stream_to_hex(so.as_slice()),
        popcount: p.count_ones(so.as_slice())?,
    })
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for op in BitOp::ALL {
        for &len in &EDGE_LENS {
            let a = hex_of(&rng.bits(len, 160));
            let b = hex_of(&rng.bits(len, 96));
            let s = hex_of(&rng.bits(len, 128));
            cases.push(Case::Bitwise {
                name: format!("{}_len{len}", op.name()),
                op,
                len,
                a,
                b: op.uses_b().then_some(b),
                sel: op.uses_sel().then_some(s),
                expect: Expect::Value(BitwiseExpect {
                    out: String::new(),
                    popcount: 0,
                }),
            });
        }
    }
    cases
}

/// The export payload (appended to `p`); `raw`: an error case, whose
/// streams are decoded unchecked.
pub(crate) fn payload(case: &Case, raw: bool, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let c = BitwiseCase::of(case)?;
    let len = c.len;
    let zero = "00".repeat(len.div_ceil(8));
    let a = input_words("a", c.a, len, raw)?;
    let b = input_words("b", c.b.as_deref().unwrap_or(&zero), len, raw)?;
    let sel = input_words("sel", c.sel.as_deref().unwrap_or(&zero), len, raw)?;
    let out = match c.expect {
        Expect::Value(e) => Some((
            words("expect.out", &e.out, len)?,
            w32("expect.popcount", e.popcount)?,
        )),
        Expect::Error { .. } => None,
    };
    let r = BitwiseRecord {
        op: c.op,
        len: w32("len", len)?,
        a: &a,
        b: &b,
        sel: &sel,
        expect: out.as_ref().map(|(out, popcount)| wire::BitwiseExpect {
            out,
            popcount: *popcount,
        }),
    };
    crate::vectors::export::wire("len", r.emit(p))?;
    Ok(Kind::Bitwise)
}
