//! `decode`: popcount and unipolar/bipolar Q16.16 decode of a stream
//! (spec §3).

use sc_kernel::wire::{self, DecodeRecord, Kind};
use sc_kernel::{decode, BitSlice, Word};
use serde::{Deserialize, Serialize};

use super::{hex_len, other_kind, stream};
use crate::backend::Backend;
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{field, CaseError};
use crate::vectors::export::{input_words, w32};
use crate::vectors::generate::{hex_of, RandomBits, SplitMix64};
use crate::vectors::schema::{Case, Expect};

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = (
    "decode",
    "popcount and unipolar/bipolar Q16.16 decode (spec 3)",
);

/// Output of a decode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeExpect {
    /// Popcount.
    pub ones: usize,
    /// Unipolar value, Q16.16 raw.
    pub unipolar_q16: i32,
    /// Bipolar value, Q16.16 raw.
    pub bipolar_q16: i32,
}

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    probes![
        name: String, len: usize, stream: String, expect: Expect<DecodeExpect>
    ]
    .into()
}

/// Check the inputs (`len` 0 is the kernel's `EmptyStream`).
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let Case::Decode { len, stream, .. } = case else {
        return Err(other_kind("decode"));
    };
    if *len == 0 {
        // The kernel's own check (EmptyStream), so error cases see it.
        field("len", decode::unipolar_q16(0, 0))?;
    }
    hex_len("stream", stream, *len)
}

/// Recompute `expect` on `p`.
pub(crate) fn evaluate<W: Word, B: Backend<W>>(p: &B, case: &mut Case) -> Result<(), CaseError> {
    let Case::Decode {
        len,
        stream: h,
        expect,
        ..
    } = case
    else {
        return Err(other_kind("decode"));
    };
    let w = stream::<W>("stream", h, *len)?;
    let s = BitSlice::new(&w, *len)?;
    let ones = p.count_ones(s)?;
    *expect = Expect::Value(DecodeExpect {
        ones,
        unipolar_q16: field("len", decode::unipolar_q16(ones, *len))?.to_bits(),
        bipolar_q16: field("len", decode::bipolar_q16(ones, *len))?.to_bits(),
    });
    Ok(())
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for len in [1usize, 2, 3, 7, 63, 64, 65, 1000] {
        for density in [0u8, 1, 77, 128, 200, 255] {
            let bits = rng.bits(len, density);
            cases.push(Case::Decode {
                name: format!("decode_len{len}_d{density}"),
                len,
                stream: hex_of(&bits),
                expect: Expect::Value(DecodeExpect {
                    ones: 0,
                    unipolar_q16: 0,
                    bipolar_q16: 0,
                }),
            });
        }
    }
    cases
}

/// The export payload (appended to `p`); `raw`: an error case.
pub(crate) fn payload(case: &Case, raw: bool, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let Case::Decode {
        len,
        stream,
        expect,
        ..
    } = case
    else {
        return Err(other_kind("decode"));
    };
    let stream = input_words("stream", stream, *len, raw)?;
    let expect = match expect {
        Expect::Value(e) => Some(wire::DecodeExpect {
            ones: w32("expect.ones", e.ones)?,
            unipolar_q16: e.unipolar_q16,
            bipolar_q16: e.bipolar_q16,
        }),
        Expect::Error { .. } => None,
    };
    let r = DecodeRecord {
        len: w32("len", *len)?,
        stream: &stream,
        expect,
    };
    crate::vectors::export::wire("len", r.emit(p))?;
    Ok(Kind::Decode)
}
