//! `sobol`: encoding `p_q16` with a Sobol dimension (spec §4.2).

use sc_kernel::sng::Sobol;
use sc_kernel::wire::Kind;
use sc_kernel::Word;

use super::generator::{self, GenExpect};
use super::{other_kind, p_q16_ok};
use crate::vectors::check::probe::{leaf, Probe};
use crate::vectors::compute::{bad, field, CaseError};
use crate::vectors::export::w32;
use crate::vectors::schema::{Case, Expect};
use sc_kernel::rng::SplitMix64;

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = ("sobol", "Sobol encoding, every dimension (spec 4.2)");

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    vec![
        ("name", leaf::<String>),
        ("dimension", leaf::<usize>),
        ("start", leaf::<u32>),
        ("p_q16", leaf::<u32>),
        ("len", leaf::<usize>),
        ("expect", leaf::<Expect<GenExpect>>),
    ]
}

/// Check the inputs: the dimension, `start`, then `p_q16`.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let Case::Sobol {
        dimension,
        start,
        p_q16,
        ..
    } = case
    else {
        return Err(other_kind("sobol"));
    };
    field("dimension", Sobol::new(*dimension, 0))?;
    if *start > u32::from(u16::MAX) {
        return Err(bad("start", format!("{start}; allowed: 0..=65535")));
    }
    p_q16_ok("p_q16", *p_q16)
}

/// Check the expectation's shape (the end index is below 2^16).
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let Case::Sobol {
        len,
        expect: Expect::Value(expect),
        ..
    } = case
    else {
        return Ok(());
    };
    generator::validate_expect(*len, expect)?;
    if expect.end_state > u32::from(u16::MAX) {
        return Err(bad(
            "expect.end_state",
            format!("{}; allowed: 0..=65535", expect.end_state),
        ));
    }
    Ok(())
}

/// Recompute `expect` on the kernel (words `W`).
pub(crate) fn evaluate<W: Word>(case: &mut Case) -> Result<(), CaseError> {
    let Case::Sobol {
        dimension,
        start,
        p_q16,
        len,
        expect,
        ..
    } = case
    else {
        return Err(other_kind("sobol"));
    };
    let g = field("dimension", Sobol::new(*dimension, *start))?;
    *expect = Expect::Value(generator::run::<W, _>(g, *p_q16, *len, |g| {
        u32::from(g.index())
    })?);
    Ok(())
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for dimension in 0..sc_kernel::sng::SOBOL_DIMENSIONS {
        for (start, len) in [(0u32, 256usize), (256, 256), (12345, 100), (65530, 40)] {
            for p in [
                0u32,
                1 << 8,
                21 << 8,
                128 << 8,
                65536,
                rng.below(65537) as u32,
            ] {
                cases.push(Case::Sobol {
                    name: format!("sobol_d{dimension}_start{start}_p{p}_len{len}"),
                    dimension,
                    start,
                    p_q16: p,
                    len,
                    expect: GenExpect::empty().into(),
                });
            }
        }
    }
    cases
}

/// The export payload (appended to `p`).
pub(crate) fn payload(case: &Case, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let Case::Sobol {
        dimension,
        start,
        p_q16,
        len,
        expect,
        ..
    } = case
    else {
        return Err(other_kind("sobol"));
    };
    let d = w32("dimension", *dimension)?;
    generator::payload(p, [d, *start, *p_q16], *len, expect)?;
    Ok(Kind::Sobol)
}
