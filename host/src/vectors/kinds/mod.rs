//! One module per case kind: its expectation, the fields the loader
//! probes, input and expectation checks, evaluation on a
//! [`crate::backend::Backend`], generation and export. The `Case` enum
//! ([`super::schema::Case`]) holds the inputs and dispatches here.

use sc_kernel::sng::Probability;
use sc_kernel::Word;

use super::compute::{bad, field, CaseError};
use crate::hex::hex_to_words;

pub mod bitwise;
pub mod decode;
pub mod generator;
pub mod lfsr;
pub mod lif;
pub mod mac;
pub mod network;
pub mod pack;
pub mod sobol;

/// The error for a case handed to another kind's function (the
/// dispatchers in `compute`/`export` never do).
pub(crate) fn other_kind(kind: &str) -> CaseError {
    CaseError::Invalid(format!("not a `{kind}` case"))
}

/// Stream `name` (hex) of `len` bits as words.
pub(crate) fn stream<W: Word>(name: &str, hex: &str, len: usize) -> Result<Vec<W>, CaseError> {
    field(name, hex_to_words::<W>(hex, len))
}

/// A `len`-bit hex stream must have exactly `2 * ceil(len / 8)` digits
/// (checked before anything of size `len` is allocated).
pub(crate) fn hex_len(name: &str, hex: &str, len: usize) -> Result<(), CaseError> {
    let expected = 2 * sc_kernel::pack::bytes_for(len);
    if hex.len() != expected {
        return field(
            name,
            Err(crate::hex::TextError::HexLength {
                len,
                expected,
                found: hex.len(),
            }),
        );
    }
    Ok(())
}

/// `found` items of `what` where `needed` are needed is an error naming `name`.
pub(crate) fn count(name: &str, found: usize, needed: usize, what: &str) -> Result<(), CaseError> {
    if found != needed {
        return Err(bad(name, format!("{found} {what} given, {needed} needed")));
    }
    Ok(())
}

/// A probability in Q0.16 (`0..=65536`).
pub(crate) fn p_q16_ok(name: &str, p: u32) -> Result<(), CaseError> {
    field(name, Probability::from_q16(p)).map(|_| ())
}
