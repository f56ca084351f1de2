//! `sobol`: encoding `p_q16` with a Sobol dimension (spec §4.2).

use sc_kernel::sng::Sobol;
use sc_kernel::Word;

use super::generator::{self, Config, GenExpect};
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{bad, field, CaseError};
use crate::vectors::schema::Case;
use sc_kernel::rng::SplitMix64;

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = ("sobol", "Sobol encoding, every dimension (spec 4.2)");

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    generator::fields(probes![dimension: usize, start: u32])
}

/// Check the configuration: the dimension, then `start`.
pub(crate) fn validate(dimension: usize, start: u32) -> Result<(), CaseError> {
    field("dimension", Sobol::new(dimension, 0))?;
    if start > u32::from(u16::MAX) {
        return Err(bad("start", format!("{start}; allowed: 0..=65535")));
    }
    Ok(())
}

/// The expected end index is below 2^16.
pub(crate) fn validate_end_state(end_state: u32) -> Result<(), CaseError> {
    if end_state > u32::from(u16::MAX) {
        return Err(bad(
            "expect.end_state",
            format!("{end_state}; allowed: 0..=65535"),
        ));
    }
    Ok(())
}

/// Encode `p_q16` over `len` steps of the dimension on the kernel (words `W`).
pub(crate) fn run<W: Word>(
    dimension: usize,
    start: u32,
    p_q16: u32,
    len: usize,
) -> Result<GenExpect, CaseError> {
    let g = field("dimension", Sobol::new(dimension, start))?;
    generator::run::<W, _>(g, p_q16, len, |g| u32::from(g.index()))
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
                let name = format!("sobol_d{dimension}_start{start}_p{p}_len{len}");
                let config = Config::Sobol { dimension, start };
                cases.push(config.case(name, p, len, GenExpect::empty().into()));
            }
        }
    }
    cases
}
