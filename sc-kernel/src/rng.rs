//! The project's one pseudo-random generator for tests, benchmarks' and
//! vectors' data: SplitMix64.
//!
//! **Not a stochastic number generator.** Nothing in the SC semantics of
//! `docs/spec.md` draws from it: the spec's SNGs (LFSRs and Sobol) are in
//! [`crate::sng`]. This is for choosing test inputs: the random cases of
//! the shared vectors (`sc vectors generate`), the host's random weights,
//! the on-target firmware tests and the RTL-against-kernel tests. Everything
//! that needs "some random values" uses it, so that their sequences come
//! from one definition and do not depend on any crate's RNG version.
//!
//! SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014; the `splitmix64.c` of Vigna): a 64-bit state
//! advanced by a Weyl increment and a 64-bit output mix. Its sequence is
//! fixed: `tests/vectors` are generated from it, so changing the algorithm
//! or the seeding changes those files.
//!
//! The arithmetic is modular (`wrapping_*`) by definition of the algorithm;
//! no method panics or overflows, for any seed or argument.
//!
//! ```
//! use sc_kernel::rng::SplitMix64;
//! let mut rng = SplitMix64::new(0);
//! assert_eq!(rng.next_u64(), 0xE220_A839_7B1D_CDAF);
//! let die = 1 + rng.below(6);
//! assert!((1..=6).contains(&die));
//! ```

/// SplitMix64: a tiny, well-known, deterministic PRNG for test and data
/// generation (see the [module docs](self); not an SC stochastic number
/// generator, those are in [`crate::sng`]).
///
/// Equal seeds give equal sequences on every target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The Weyl increment (the golden ratio in 0.64 fixed point).
    const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

    /// A generator seeded with `seed` (any value, 0 included).
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(Self::GAMMA);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next 32 random bits: the high half of [`next_u64`](Self::next_u64)
    /// (one 64-bit draw per call).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A value in `0..n`: [`next_u64`](Self::next_u64) modulo `n` (one
    /// draw per call; the modulo bias, below `n / 2^64`, does not matter
    /// for test data).
    ///
    /// `n = 0` (an empty range) returns 0, still consuming one draw, and
    /// does not panic.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64().checked_rem(n).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    #[test]
    fn known_values() {
        // The published outputs of the reference `splitmix64.c` from
        // seeds 0 and 1234567.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(r.next_u64(), 0x06C4_5D18_8009_454F);
        let mut r = SplitMix64::new(1_234_567);
        assert_eq!(r.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(r.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(r.next_u64(), 9_817_491_932_198_370_423);
        assert_eq!(r.next_u64(), 4_593_380_528_125_082_431);
        assert_eq!(r.next_u64(), 16_408_922_859_458_223_821);
    }

    #[test]
    fn u32_is_the_high_half_and_below_is_the_remainder() {
        let (mut a, mut b) = (SplitMix64::new(42), SplitMix64::new(42));
        for n in [1u64, 2, 3, 7, 65_537, u64::MAX] {
            let x = a.next_u64();
            assert_eq!(b.clone().next_u32(), (x >> 32) as u32);
            assert_eq!(b.below(n), x % n);
        }
    }

    #[test]
    fn extremes_do_not_panic() {
        let mut r = SplitMix64::new(u64::MAX);
        let mut s = r.clone();
        assert_eq!(r.below(0), 0);
        s.next_u64();
        assert_eq!(r, s, "below(0) consumes one draw");
        assert_eq!(r.below(1), 0);
        let _ = r.below(u64::MAX);
        let _ = r.next_u32();
    }
}
