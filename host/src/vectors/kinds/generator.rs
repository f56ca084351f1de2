//! What the stream-generator kinds ([`super::lfsr`], [`super::sobol`])
//! share: their expectation, and one implementation of the checks,
//! evaluation and export over a `Config` (the generator-specific parts
//! are in each kind's module).

use sc_kernel::sng::{encode, Probability, Sng};
use sc_kernel::wire::{self, GeneratorRecord, Kind};
use sc_kernel::{words_for, BitSliceMut, Word};
use serde::{Deserialize, Serialize};

use super::{count, hex_len, lfsr, other_kind, p_q16_ok, sobol};
use crate::hex::stream_to_hex;
use crate::limits::try_vec;
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{field, CaseError};
use crate::vectors::export::{w32, words};
use crate::vectors::schema::{Case, Expect};

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

/// A generator kind's fields, in order, with their probes (for
/// `MALFORMED`): `name`, the two of its configuration (`config`), `p_q16`,
/// `len` and `expect`.
pub(crate) fn fields(config: [(&'static str, Probe); 2]) -> Vec<(&'static str, Probe)> {
    let mut fields = Vec::from(probes![name: String]);
    fields.extend(config);
    fields.extend(probes![p_q16: u32, len: usize, expect: Expect<GenExpect>]);
    fields
}

/// Which generator a case runs, and from where (the fields of its case
/// that differ between the generator kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Config {
    /// `lfsr`: an LFSR of `width` bits from state `seed`.
    Lfsr {
        /// 8, 16 or 32.
        width: u32,
        /// Initial state.
        seed: u32,
    },
    /// `sobol`: Sobol dimension `dimension` from index `start`.
    Sobol {
        /// 0..16.
        dimension: usize,
        /// Start index.
        start: u32,
    },
}

impl Config {
    /// The configuration's own checks (before `p_q16`).
    fn validate(self) -> Result<(), CaseError> {
        match self {
            Config::Lfsr { width, seed } => lfsr::validate(width, seed),
            Config::Sobol { dimension, start } => sobol::validate(dimension, start),
        }
    }

    /// The end state fits the generator.
    fn validate_end_state(self, end_state: u32) -> Result<(), CaseError> {
        match self {
            Config::Lfsr { width, .. } => lfsr::validate_end_state(width, end_state),
            Config::Sobol { .. } => sobol::validate_end_state(end_state),
        }
    }

    /// Encode `p_q16` over `len` steps on the kernel (words `W`).
    fn run<W: Word>(self, p_q16: u32, len: usize) -> Result<GenExpect, CaseError> {
        match self {
            Config::Lfsr { width, seed } => lfsr::run::<W>(width, seed, p_q16, len),
            Config::Sobol { dimension, start } => sobol::run::<W>(dimension, start, p_q16, len),
        }
    }

    /// A case of this generator that encodes `p_q16` over `len` steps.
    pub(crate) fn case(
        self,
        name: String,
        p_q16: u32,
        len: usize,
        expect: Expect<GenExpect>,
    ) -> Case {
        match self {
            Config::Lfsr { width, seed } => Case::Lfsr {
                name,
                width,
                seed,
                p_q16,
                len,
                expect,
            },
            Config::Sobol { dimension, start } => Case::Sobol {
                name,
                dimension,
                start,
                p_q16,
                len,
                expect,
            },
        }
    }

    /// The record's `config` and `start` words, and its KIND.
    fn words(self) -> Result<([u32; 2], Kind), CaseError> {
        Ok(match self {
            Config::Lfsr { width, seed } => ([width, seed], Kind::Lfsr),
            Config::Sobol { dimension, start } => {
                ([w32("dimension", dimension)?, start], Kind::Sobol)
            }
        })
    }
}

/// An `lfsr` or `sobol` case taken apart (the one place that does).
struct GenCase<'a> {
    config: Config,
    p_q16: u32,
    len: usize,
    expect: &'a Expect<GenExpect>,
}

impl<'a> GenCase<'a> {
    /// The generator case `case`, or an error for another kind.
    fn of(case: &'a Case) -> Result<Self, CaseError> {
        let config = match *case {
            Case::Lfsr { width, seed, .. } => Config::Lfsr { width, seed },
            Case::Sobol {
                dimension, start, ..
            } => Config::Sobol { dimension, start },
            _ => return Err(other_kind("lfsr` or `sobol")),
        };
        let (Case::Lfsr {
            p_q16, len, expect, ..
        }
        | Case::Sobol {
            p_q16, len, expect, ..
        }) = case
        else {
            return Err(other_kind("lfsr` or `sobol"));
        };
        Ok(Self {
            config,
            p_q16: *p_q16,
            len: *len,
            expect,
        })
    }
}

/// Check the inputs: the generator's configuration, then `p_q16`.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let c = GenCase::of(case)?;
    c.config.validate()?;
    p_q16_ok("p_q16", c.p_q16)
}

/// Check the expectation's shape: the stream and values have the lengths
/// `len` implies, and the end state fits the generator.
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let c = GenCase::of(case)?;
    let Expect::Value(expect) = c.expect else {
        return Ok(());
    };
    hex_len("expect.stream", &expect.stream, c.len)?;
    count(
        "expect.values",
        expect.values.len(),
        c.len.min(16),
        "values (min(len, 16))",
    )?;
    c.config.validate_end_state(expect.end_state)
}

/// Recompute `expect` on the kernel (words `W`).
pub(crate) fn evaluate<W: Word>(case: &mut Case) -> Result<(), CaseError> {
    let c = GenCase::of(case)?;
    let value = c.config.run::<W>(c.p_q16, c.len)?;
    if let Case::Lfsr { expect, .. } | Case::Sobol { expect, .. } = case {
        *expect = Expect::Value(value);
    }
    Ok(())
}

/// The export payload (appended to `p`): `[config, start, p_q16]`, `len`,
/// then the expectation of a plain case.
pub(crate) fn payload(case: &Case, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let GenCase {
        config,
        p_q16,
        len,
        expect,
    } = GenCase::of(case)?;
    let ([config, start], kind) = config.words()?;
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
    crate::vectors::export::wire("len", r.emit(p))?;
    Ok(kind)
}
