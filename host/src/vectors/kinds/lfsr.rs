//! `lfsr`: encoding `p_q16` with an 8/16/32-bit LFSR (spec §4.1).

use sc_kernel::sng::{Lfsr16, Lfsr32, Lfsr8};
use sc_kernel::Word;

use super::generator::{self, Config, GenExpect, PROBS};
use crate::vectors::check::probe::Probe;
use crate::vectors::compute::{bad, field, CaseError};
use crate::vectors::schema::Case;
use sc_kernel::rng::SplitMix64;

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = ("lfsr", "8/16/32-bit LFSR encoding (spec 4.1)");

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    generator::fields(probes![width: u32, seed: u32])
}

/// Check the configuration: the width, and the seed for it.
pub(crate) fn validate(width: u32, seed: u32) -> Result<(), CaseError> {
    match width {
        8 => field("seed", Lfsr8::new(seed)).map(|_| ())?,
        16 => field("seed", Lfsr16::new(seed)).map(|_| ())?,
        32 => field("seed", Lfsr32::new(seed)).map(|_| ())?,
        w => return Err(bad("width", format!("{w}; allowed: 8, 16, 32"))),
    }
    Ok(())
}

/// The expected end state fits `width` bits.
pub(crate) fn validate_end_state(width: u32, end_state: u32) -> Result<(), CaseError> {
    if width < 32 && end_state >= 1 << width {
        return Err(bad(
            "expect.end_state",
            format!("{end_state} does not fit {width} bits"),
        ));
    }
    Ok(())
}

/// Encode `p_q16` over `len` steps of the LFSR on the kernel (words `W`).
pub(crate) fn run<W: Word>(
    width: u32,
    seed: u32,
    p_q16: u32,
    len: usize,
) -> Result<GenExpect, CaseError> {
    match width {
        8 => generator::run::<W, _>(field("seed", Lfsr8::new(seed))?, p_q16, len, |g| {
            u32::from(g.state())
        }),
        16 => generator::run::<W, _>(field("seed", Lfsr16::new(seed))?, p_q16, len, |g| {
            u32::from(g.state())
        }),
        32 => generator::run::<W, _>(field("seed", Lfsr32::new(seed))?, p_q16, len, |g| g.state()),
        w => Err(bad("width", format!("{w}; allowed: 8, 16, 32"))),
    }
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for (width, seeds) in [
        (8u32, [1u32, 0x5A, 0xFF]),
        (16, [1, 0xACE1, 0x1D0F]),
        (32, [1, 0xDEAD_BEEF, 0xFFFF_FFFF]),
    ] {
        for seed in seeds {
            for p in PROBS.into_iter().chain([rng.below(65537) as u32]) {
                for len in [100usize, 257] {
                    let name = format!("lfsr{width}_s{seed:x}_p{p}_len{len}");
                    let config = Config::Lfsr { width, seed };
                    cases.push(config.case(name, p, len, GenExpect::empty().into()));
                }
            }
        }
    }
    cases
}
