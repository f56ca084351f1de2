//! `pack`: `pack(bits)` must give `expect.stream`; `unpack` must give
//! `bits` back (spec §1.4).

use sc_kernel::pack::unpack;
use sc_kernel::wire::{Kind, PackRecord};
use sc_kernel::{words_for, BitSliceMut, Word};
use serde::{Deserialize, Serialize};

use super::{hex_len, other_kind};
use crate::backend::Backend;
use crate::hex::{bits_from_str, stream_to_hex};
use crate::limits::try_vec;
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{field, CaseError};
use crate::vectors::export::{w32, wire, words};
use crate::vectors::generate::{str_of, RandomBits, SplitMix64, EDGE_LENS};
use crate::vectors::schema::{Case, Expect};

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = (
    "pack",
    "pack/unpack of 0/1 bytes at edge lengths (spec 1.4)",
);

/// A single output stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamExpect {
    /// The stream (hex).
    pub stream: String,
}

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    probes![
        name: String, bits: String, expect: Expect<StreamExpect>
    ]
    .into()
}

/// Check the inputs.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let Case::Pack { bits, .. } = case else {
        return Err(other_kind("pack"));
    };
    field("bits", bits_from_str(bits))?;
    Ok(())
}

/// Check the expectation's shape.
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let Case::Pack {
        bits,
        expect: Expect::Value(expect),
        ..
    } = case
    else {
        return Ok(());
    };
    hex_len("expect.stream", &expect.stream, bits.len())
}

/// Recompute `expect` on `b`.
pub(crate) fn evaluate<W: Word, B: Backend<W>>(b: &B, case: &mut Case) -> Result<(), CaseError> {
    let Case::Pack { bits, expect, .. } = case else {
        return Err(other_kind("pack"));
    };
    let bits = field("bits", bits_from_str(bits))?;
    let mut words = try_vec("bits", words_for::<W>(bits.len()), W::ZERO)?;
    let mut s = BitSliceMut::new(&mut words, bits.len())?;
    b.pack(&bits, &mut s)?;
    let mut back = try_vec("bits", bits.len(), 0u8)?;
    unpack(s.as_slice(), &mut back)?;
    if back != bits {
        return Err(CaseError::Invalid("unpack(pack(bits)) != bits".into()));
    }
    *expect = Expect::Value(StreamExpect {
        stream: stream_to_hex(s.as_slice()),
    });
    Ok(())
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for &len in &EDGE_LENS {
        for density in [128u8, 255, 0] {
            cases.push(Case::Pack {
                name: format!("pack_len{len}_d{density}"),
                bits: str_of(&rng.bits(len, density)),
                expect: StreamExpect {
                    stream: String::new(),
                }
                .into(),
            });
        }
    }
    cases
}

/// The export payload (appended to `p`).
pub(crate) fn payload(case: &Case, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let Case::Pack { bits, expect, .. } = case else {
        return Err(other_kind("pack"));
    };
    let input = field("bits", bits_from_str(bits))?;
    let n = input.len();
    // The input bytes (0/1), four per word, byte t at byte t % 4 of word t / 4.
    let bytes: Vec<u32> = input
        .chunks(4)
        .map(|c| c.iter().rev().fold(0u32, |w, &b| (w << 8) | u32::from(b)))
        .collect();
    let stream = match expect {
        Expect::Value(e) => Some(words("expect.stream", &e.stream, n)?),
        Expect::Error { .. } => None,
    };
    let r = PackRecord {
        bits: w32("bits", n)?,
        bytes: &bytes,
        expect: stream.as_deref(),
    };
    wire("bits", r.emit(p))?;
    Ok(Kind::Pack)
}
