//! What the stream-generator kinds ([`super::lfsr`], [`super::sobol`])
//! share: their expectation, its evaluation, checks and export.

use sc_kernel::sng::{encode, Probability, Sng};
use sc_kernel::wire::{self, GeneratorRecord};
use sc_kernel::{words_for, BitSliceMut, Word};
use serde::{Deserialize, Serialize};

use super::{count, hex_len};
use crate::hex::stream_to_hex;
use crate::limits::try_vec;
use crate::vectors::compute::{field, CaseError};
use crate::vectors::export::{w32, words};
use crate::vectors::schema::Expect;

/// Probabilities every generator case covers.
pub(crate) const PROBS: [u32; 7] = [0, 1, 16384, 32768, 50000, 65535, 65536];

/// Output of a generator case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenExpect {
    /// The encoded stream (hex).
    pub stream: String,
    /// Its popcount.
    pub ones: usize,
    /// First comparator values `r_0..` (up to 16), for debugging generators.
    pub values: Vec<u16>,
    /// Generator state after `len` steps (LFSR state / Sobol index).
    pub end_state: u32,
}

impl GenExpect {
    /// An empty expectation (before evaluation).
    pub(crate) fn empty() -> Self {
        Self {
            stream: String::new(),
            ones: 0,
            values: vec![],
            end_state: 0,
        }
    }
}

/// Encode `p_q16` over `len` steps of `g` (kernel, words `W`); `end` reads
/// the generator's end state.
pub(crate) fn run<W: Word, G: Sng + Copy>(
    mut g: G,
    p_q16: u32,
    len: usize,
    end: impl Fn(&G) -> u32,
) -> Result<GenExpect, CaseError> {
    let p = field("p_q16", Probability::from_q16(p_q16))?;
    let values: Vec<u16> = {
        let mut h = g;
        (0..len.min(16)).map(|_| h.next_q16()).collect()
    };
    let mut words = try_vec("len", words_for::<W>(len), W::ZERO)?;
    let mut s = BitSliceMut::new(&mut words, len)?;
    encode(&mut g, p, &mut s);
    Ok(GenExpect {
        stream: stream_to_hex(s.as_slice()),
        ones: s.count_ones(),
        values,
        end_state: end(&g),
    })
}

/// The stream and values of `expect` have the lengths `len` implies.
pub(crate) fn validate_expect(len: usize, expect: &GenExpect) -> Result<(), CaseError> {
    hex_len("expect.stream", &expect.stream, len)?;
    count(
        "expect.values",
        expect.values.len(),
        len.min(16),
        "values (min(len, 16))",
    )
}

/// An `lfsr` or `sobol` payload: `[config, start, p_q16]`, `len`, then
/// the expectation of a plain case.
pub(crate) fn payload(
    p: &mut Vec<u32>,
    [config, start, p_q16]: [u32; 3],
    len: usize,
    expect: &Expect<GenExpect>,
) -> Result<(), CaseError> {
    let stream = match expect {
        Expect::Value(e) => Some((words("expect.stream", &e.stream, len)?, e)),
        Expect::Error { .. } => None,
    };
    let r = GeneratorRecord {
        config,
        start,
        p_q16,
        len: w32("len", len)?,
        expect: match &stream {
            Some((s, e)) => Some(wire::GeneratorExpect {
                stream: s,
                ones: w32("expect.ones", e.ones)?,
                end_state: e.end_state,
            }),
            None => None,
        },
    };
    crate::vectors::export::wire("len", r.emit(p))
}
