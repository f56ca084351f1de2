//! Stochastic number generators (SNGs) and probability-to-stream encoding.
//!
//! Every generator yields a 16-bit comparator value `r_t` per step. Stream
//! bit `t` encoding probability `p` (Q0.16, `0..=65536`) is `r_t < p`
//! (unsigned compare), so `p = 0` gives all zeros and `p = 65536` all ones.
//! Generators are deterministic functions of their seed; bit `t` uses the
//! value *before* the `t`-th advance (`r_0` comes from the seed itself).
//! See `docs/spec.md` §4 for the normative definitions.

use fixed::types::I16F16;

use crate::bits::BitSliceMut;
use crate::error::{Error, Result};
use crate::word::Word;

/// A probability in Q0.16 with one extra value for exactly 1:
/// `q16` in `0..=65536`, value `q16 / 65536`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Probability(u32);

impl Probability {
    /// Probability 0.
    pub const ZERO: Self = Self(0);
    /// Probability 1 (`q16 = 65536`).
    pub const ONE: Self = Self(65536);

    /// From raw Q0.16 (`0..=65536`); errors with
    /// [`Error::ProbabilityOutOfRange`] above 65536.
    pub const fn from_q16(q16: u32) -> Result<Self> {
        if q16 > 65536 {
            Err(Error::ProbabilityOutOfRange)
        } else {
            Ok(Self(q16))
        }
    }

    /// From a unipolar Q16.16 value in [0, 1] (exact: its raw bits are the Q0.16).
    pub fn from_unipolar(p: I16F16) -> Result<Self> {
        let b = p.to_bits();
        if !(0..=65536).contains(&b) {
            return Err(Error::ProbabilityOutOfRange);
        }
        Ok(Self(b as u32))
    }

    /// From a bipolar Q16.16 value `x` in [-1, 1]: `p = (x + 1) / 2`,
    /// rounded half up: `q16 = (bits(x) + 65536 + 1) >> 1`.
    pub fn from_bipolar(x: I16F16) -> Result<Self> {
        let b = x.to_bits();
        if !(-65536..=65536).contains(&b) {
            return Err(Error::ProbabilityOutOfRange);
        }
        Ok(Self(((b + 65537) >> 1) as u32))
    }

    /// From a finite `f64` in [0, 1], rounded to nearest (ties up):
    /// `q16 = floor(p * 65536 + 1/2)` computed exactly (spec §4), not as
    /// the binary64 sum `p * 65536.0 + 0.5`, which rounds once more (at
    /// `p = (0.5 - 2^-54) / 65536` the exact rule gives 0, the sum 1).
    pub fn from_f64(p: f64) -> Result<Self> {
        if !p.is_finite() || !(0.0..=1.0).contains(&p) {
            return Err(Error::ProbabilityOutOfRange);
        }
        // Scaling by a power of two is exact; for 0 <= x <= 65536 the
        // truncating cast is floor (no_std has no `f64::floor`), and
        // `x - floor(x)` is exact (for x >= 1 by Sterbenz's lemma, for
        // x < 1 because floor(x) = 0).
        let x = p * 65536.0;
        let f = x as u32 as f64;
        let q = if x - f >= 0.5 { f + 1.0 } else { f };
        // 0 <= q <= 65536, an integer: the cast is exact.
        Ok(Self(q as u32))
    }

    /// Raw Q0.16 value in `0..=65536`.
    #[inline]
    pub const fn q16(self) -> u32 {
        self.0
    }

    /// Value as `f64` in [0, 1].
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 65536.0
    }
}

/// A stochastic number generator: a deterministic source of 16-bit
/// comparator values.
pub trait Sng {
    /// Return the current comparator value `r_t` and advance to `t + 1`.
    fn next_q16(&mut self) -> u16;
}

macro_rules! lfsr {
    ($(#[$doc:meta])* $name:ident, $t:ty, $width:expr, $mask:expr, $to16:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name {
            state: $t,
        }

        impl $name {
            /// Register width in bits.
            pub const WIDTH: u32 = $width;
            /// Galois toggle mask (right-shifting form).
            pub const MASK: $t = $mask;
            /// Period of the state sequence: `2^WIDTH - 1`.
            pub const PERIOD: u64 = (1u64 << $width) - 1;

            /// A generator whose first state is `seed` (must be nonzero and
            /// fit the register); else [`Error::InvalidSeed`].
            pub fn new(seed: u32) -> Result<Self> {
                if seed == 0 || (seed as u64) > Self::PERIOD {
                    return Err(Error::InvalidSeed { width: $width, seed });
                }
                Ok(Self { state: seed as $t })
            }

            /// Current register state.
            #[inline]
            pub fn state(&self) -> $t {
                self.state
            }

            /// Advance one step: `lsb = s & 1; s >>= 1; if lsb { s ^= MASK }`.
            #[inline]
            pub fn step(&mut self) {
                let lsb = self.state & 1;
                self.state >>= 1;
                self.state ^= (0 as $t).wrapping_sub(lsb) & Self::MASK;
            }

            /// The current state mapped to a 16-bit comparator value.
            #[inline]
            pub fn value_q16(&self) -> u16 {
                let f: fn($t) -> u16 = $to16;
                f(self.state)
            }
        }

        impl Sng for $name {
            #[inline]
            fn next_q16(&mut self) -> u16 {
                let r = self.value_q16();
                self.step();
                r
            }
        }
    };
}

lfsr!(
    /// 8-bit maximal-length Galois LFSR, polynomial x^8+x^6+x^5+x^4+1
    /// (mask `0xB8`). Comparator value: `state << 8`.
    Lfsr8, u8, 8, 0xB8, |s| (s as u16) << 8
);
lfsr!(
    /// 16-bit maximal-length Galois LFSR, polynomial x^16+x^14+x^13+x^11+1
    /// (mask `0xB400`). Comparator value: the state.
    Lfsr16, u16, 16, 0xB400, |s| s
);
lfsr!(
    /// 32-bit maximal-length Galois LFSR, polynomial x^32+x^22+x^2+x+1
    /// (mask `0x8020_0003`). Comparator value: `state >> 16`.
    Lfsr32, u32, 32, 0x8020_0003, |s| (s >> 16) as u16
);

/// Primitive-polynomial parameters `(s, a, m_1..m_s)` from Joe & Kuo's
/// `new-joe-kuo-6.21201` table, lines d = 2..=16 (our dimensions 1..=15).
const JOE_KUO: [(u32, u32, [u16; 6]); 15] = [
    (1, 0, [1, 0, 0, 0, 0, 0]),
    (2, 1, [1, 3, 0, 0, 0, 0]),
    (3, 1, [1, 3, 1, 0, 0, 0]),
    (3, 2, [1, 1, 1, 0, 0, 0]),
    (4, 1, [1, 1, 3, 3, 0, 0]),
    (4, 4, [1, 3, 5, 13, 0, 0]),
    (5, 2, [1, 1, 5, 5, 17, 0]),
    (5, 4, [1, 1, 5, 5, 5, 0]),
    (5, 7, [1, 1, 7, 11, 19, 0]),
    (5, 11, [1, 1, 5, 1, 1, 0]),
    (5, 13, [1, 1, 1, 3, 11, 0]),
    (5, 14, [1, 3, 5, 5, 31, 0]),
    (6, 1, [1, 3, 3, 9, 7, 49]),
    (6, 13, [1, 1, 1, 15, 21, 21]),
    (6, 16, [1, 3, 1, 13, 27, 49]),
];

/// Number of Sobol dimensions shipped (valid dimensions: `0..SOBOL_DIMENSIONS`).
pub const SOBOL_DIMENSIONS: usize = 1 + JOE_KUO.len();

/// 16-bit direction numbers `v[d][k]` (`k = 0..16`, for index bit `k`),
/// left-aligned: `v[d][k] = m_{k+1} << (15 - k)`.
const fn direction_numbers() -> [[u16; 16]; SOBOL_DIMENSIONS] {
    let mut v = [[0u16; 16]; SOBOL_DIMENSIONS];
    // Dimension 0: m_i = 1 (van der Corput).
    let mut k = 0;
    while k < 16 {
        v[0][k] = 1 << (15 - k);
        k += 1;
    }
    let mut d = 1;
    while d < SOBOL_DIMENSIONS {
        let (s, a, m) = JOE_KUO[d - 1];
        let s = s as usize;
        let mut k = 0;
        while k < 16 {
            if k < s {
                v[d][k] = m[k] << (15 - k);
            } else {
                let mut x = v[d][k - s] ^ (v[d][k - s] >> s);
                let mut j = 1;
                while j < s {
                    if (a >> (s - 1 - j)) & 1 == 1 {
                        x ^= v[d][k - j];
                    }
                    j += 1;
                }
                v[d][k] = x;
            }
            k += 1;
        }
        d += 1;
    }
    v
}

/// Prefix XORs: `c[d][k] = v[d][0] ^ ... ^ v[d][k]`, the change applied when
/// the index increments and its low `k + 1` bits flip.
const fn prefix_xors(v: &[[u16; 16]; SOBOL_DIMENSIONS]) -> [[u16; 16]; SOBOL_DIMENSIONS] {
    let mut c = [[0u16; 16]; SOBOL_DIMENSIONS];
    let mut d = 0;
    while d < SOBOL_DIMENSIONS {
        let mut acc = 0u16;
        let mut k = 0;
        while k < 16 {
            acc ^= v[d][k];
            c[d][k] = acc;
            k += 1;
        }
        d += 1;
    }
    c
}

/// Direction numbers of every shipped dimension (see [`Sobol`]).
pub const SOBOL_V: [[u16; 16]; SOBOL_DIMENSIONS] = direction_numbers();
const SOBOL_C: [[u16; 16]; SOBOL_DIMENSIONS] = prefix_xors(&SOBOL_V);

/// `XOR over set bits k of n of v[k]`.
fn xor_point(v: &[u16; 16], n: u16) -> u16 {
    let mut x = 0;
    for (k, &vk) in v.iter().enumerate() {
        if (n >> k) & 1 == 1 {
            x ^= vk;
        }
    }
    x
}

/// Sobol low-discrepancy generator, 16-bit, natural (non-Gray) order.
///
/// Point `n` of dimension `d` is `x(n) = XOR over set bits k of (n mod 2^16)
/// of SOBOL_V[d][k]`; dimension 0 is the van der Corput sequence
/// (`x(n) = bit_reverse_16(n)`). The generator started at index `start`
/// yields `x(start), x(start + 1), ...` (indices wrap modulo 2^16).
///
/// For `L = 2^k` (k <= 16) and `p = m / 2^k`, a stream of length `L` from
/// index 0 has exactly `m` ones in every dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sobol {
    dim: u8,
    index: u16,
    x: u16,
}

impl Sobol {
    /// Generator for `dimension` (< [`SOBOL_DIMENSIONS`]) starting at point
    /// `start` (taken modulo 2^16).
    pub fn new(dimension: usize, start: u32) -> Result<Self> {
        if dimension >= SOBOL_DIMENSIONS {
            return Err(Error::SobolDimension {
                dimension,
                available: SOBOL_DIMENSIONS,
            });
        }
        let index = start as u16;
        Ok(Self {
            dim: dimension as u8,
            index,
            x: Self::point(dimension, index)?,
        })
    }

    /// Point `n` of `dimension` computed directly: the XOR of
    /// `SOBOL_V[dimension][k]` over the set bits `k` of `n`.
    ///
    /// Errors: [`Error::SobolDimension`] if `dimension >= SOBOL_DIMENSIONS`
    /// (never wrapped).
    pub fn point(dimension: usize, n: u16) -> Result<u16> {
        SOBOL_V
            .get(dimension)
            .map(|v| xor_point(v, n))
            .ok_or(Error::SobolDimension {
                dimension,
                available: SOBOL_DIMENSIONS,
            })
    }

    /// Advance `n` steps at once, in constant time: afterwards the
    /// generator is exactly as after `n` calls of [`Sng::next_q16`] (the
    /// index moves to `index + n` mod 2^16).
    pub(crate) fn skip(&mut self, n: usize) {
        // Truncating to u16 is `n mod 2^16`, the index's period.
        self.index = self.index.wrapping_add(n as u16);
        self.x = xor_point(&SOBOL_V[self.dim as usize], self.index);
    }

    /// Current index (mod 2^16).
    #[inline]
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Dimension.
    #[inline]
    pub fn dimension(&self) -> usize {
        self.dim as usize
    }
}

impl Sng for Sobol {
    #[inline]
    fn next_q16(&mut self) -> u16 {
        let r = self.x;
        let next = self.index.wrapping_add(1);
        let flipped = (self.index ^ next).trailing_ones() as usize; // 1..=16
        self.x ^= SOBOL_C[self.dim as usize][flipped - 1];
        self.index = next;
        r
    }
}

/// Fill `out` (all `out.len()` bits) with the stream of `p` from `gen`:
/// bit `t = (gen.next_q16() < p)`. Advances `gen` by `out.len()` steps.
pub fn encode<W: Word, G: Sng>(gen: &mut G, p: Probability, out: &mut BitSliceMut<'_, W>) {
    let p = p.q16();
    let mut left = out.len();
    for o in out.words_mut().iter_mut() {
        let n = left.min(W::BITS);
        left -= n;
        let mut w = W::ZERO;
        for i in 0..n {
            if (gen.next_q16() as u32) < p {
                w = w | W::bit(i);
            }
        }
        *o = w;
    }
}
