//! Word kernels (and the seed functions' float kernels) with runtime SIMD
//! dispatch, one module per instruction set
//! (as in the `memchr` crate). Every kernel has the same result at every
//! [`SimdLevel`]; the property tests compare each level with `sc-kernel`.
//!
//! Each ISA module has a zero-sized capability token (for example
//! `Avx2Token`) whose only constructor checks the CPU for every feature
//! its kernels use; the token's safe methods call the `#[target_feature]`
//! functions. [`Kernels`] holds the token of one level: it is resolved once
//! (the CPU backend builds it when it is created), so a call neither checks
//! features nor needs `unsafe`.

/// Safe methods of a capability token, each calling the `unsafe`
/// `#[target_feature]` function of the same name and arguments in the
/// token's module: the token exists only if its `new` found every feature
/// those functions enable.
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_macros))]
macro_rules! token_methods {
    ($(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;
    )*) => {$(
        $(#[$meta])*
        #[inline]
        pub fn $name(self, $($arg: $ty),*) $(-> $ret)? {
            // SAFETY: `self` exists, so `new` found this token's features
            // (those `$name` enables) on this CPU.
            unsafe { $name($($arg),*) }
        }
    )*};
}

/// The token methods of the kernels every SIMD level has (through
/// [`token_methods!`]): `popcount`, `and_popcount`, `pack`, `binary`, `mux`,
/// `not` and `xor_reduce` (the token's module names [`WordOp`]).
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_macros))]
macro_rules! word_kernel_methods {
    () => {
        token_methods! {
            /// `sum_k popcount(a[k])`, loading each word once.
            fn popcount(a: &[u64]) -> u64;
            /// `sum_k popcount(a[k] & b[k])` over the common length.
            fn and_popcount(a: &[u64], b: &[u64]) -> u64;
            /// Pack 0/1 bytes into words; see [`super::super::Kernels::pack`].
            fn pack(bits: &[u8], out: &mut [u64]) -> Result<(), usize>;
            /// `out[k] = op(a[k], b[k])`.
            fn binary(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]);
            /// `out[k] = (s[k] & a[k]) | (!s[k] & b[k])`.
            fn mux(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]);
            /// `out[k] = !a[k]`.
            fn not(a: &[u64], out: &mut [u64]);
            /// XOR of all words.
            fn xor_reduce(a: &[u64]) -> u64;
        }
    };
}

/// The token methods the AVX2 and AVX-512 levels share beyond the word
/// kernels (through [`token_methods!`]): the counting form's look-up and
/// row sum, stream encoding and the Q16.16 LIF step, each several lanes at
/// a time (the token's module names `LifParamsQ16` and `I16F16`).
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_macros))]
macro_rules! wide_kernel_methods {
    () => {
        token_methods! {
            /// `counts[j] += sign(row[j]) * table[min(|row[j]|, len)]`;
            /// `table.len() > len`, `len < 2^31` (checked by the caller).
            fn look_up_add(row: &[i16], table: &[u32], len: usize, counts: &mut [i32]);
            /// `counts[j] += row[j]`, widened.
            fn add_widened(row: &[i16], counts: &mut [i32]);
            /// Rows of stream bits `r[t] < ps[i]`; see
            /// [`super::super::Kernels::encode_rows`].
            fn encode_rows(r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]);
            /// One Q16.16 LIF population step, branchless; spike bit `k` of
            /// `spikes` is neuron `k`'s. Returns the spike count. All
            /// lengths agree (checked by the caller).
            fn lif_q16(
                params: &LifParamsQ16,
                v: &mut [I16F16],
                refractory: &mut [u16],
                input: &[I16F16],
                spikes: &mut [u64],
            ) -> usize;
        }
    };
}

/// `unsafe` `#[target_feature(enable = $features)]` functions that run the
/// [`portable`] kernel of the same name: the same code, compiled with the
/// level's features (which the compiler may vectorise with).
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_macros))]
macro_rules! portable_kernels {
    ($features:literal: $(
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;
    )*) => {$(
        #[target_feature(enable = $features)]
        unsafe fn $name($($arg: $ty),*) $(-> $ret)? {
            $crate::cpu::simd::portable::$name($($arg),*)
        }
    )*};
}

/// The float kernels of [`portable`] (`gemm_nt`, `outer_acc`: `dot`-order
/// sums, no fused multiply-add) as `unsafe` `#[target_feature(enable =
/// $features)]` functions, and `$token`'s safe methods calling them: the
/// same code and results, compiled for the wider registers.
#[cfg_attr(not(target_arch = "x86_64"), allow(unused_macros))]
macro_rules! float_kernels {
    ($features:literal, $token:ident) => {
        float_kernels! {
            @each $features, $token:
            /// `portable::gemm_nt` at this level.
            fn gemm_nt(x: &[T], w: &[T], n_in: usize, n_out: usize, out: &mut [T]);
            /// `portable::outer_acc` at this level.
            fn outer_acc(d: &[T], x: &[T], n_in: usize, n_out: usize, g: &mut [T]);
        }
    };
    (@each $features:literal, $token:ident: $(
        $(#[$meta:meta])*
        fn $name:ident($($arg:ident: $ty:ty),* $(,)?);
    )*) => {
        $(
            #[target_feature(enable = $features)]
            unsafe fn $name<T: $crate::real::Real>($($arg: $ty),*) {
                $crate::cpu::simd::portable::$name($($arg),*)
            }
        )*
        impl $token {
            $(
                $(#[$meta])*
                #[inline]
                pub fn $name<T: $crate::real::Real>(self, $($arg: $ty),*) {
                    // SAFETY: `self` exists, so `new` found this token's
                    // features (`$features` among them) on this CPU.
                    unsafe { $name($($arg),*) }
                }
            )*
        }
    };
}

mod portable;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "x86_64")]
mod x86_64;

#[cfg(target_arch = "aarch64")]
use aarch64::NeonToken;
#[cfg(target_arch = "x86_64")]
use x86_64::{Avx2Token, Avx512Token, PopcntToken};

use std::sync::OnceLock;

use crate::real::Real;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParamsQ16;
use sc_kernel::sng::Probability;
use sc_kernel::BitSliceMut;

/// The longest stream (bits) of the step form of a prefix table
/// ([`Kernels::prefix_look_up_steps`]): its bases must fit 16 bits, and the
/// AVX-512 look-up holds 65 of them.
pub const STEPS_MAX_LEN: usize = 1024;

/// The longest stream (bits) of the byte rows
/// ([`Kernels::prefix_look_up_bytes`]):
/// a byte holds counts up to 255, and a count of 256 is 255 plus one step.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub const BYTES_MAX_LEN: usize = 256;

/// Write the signed counts `row` as a byte row of
/// [`Kernels::prefix_look_up_bytes`]: lane `j`'s magnitude (magnitudes above 255
/// as 255) at its interleaved place in `mag`, its sign as bit `j % 64` of
/// `sign[j / 64]`. Only lanes below `min(row.len(), mag.len() / 64 * 64,
/// 64 * sign.len())` are written; set the others to zero beforehand.
pub fn byte_row(row: &[i16], mag: &mut [u8], sign: &mut [u64]) {
    for ((m, s), r) in mag.chunks_exact_mut(64).zip(sign).zip(row.chunks(64)) {
        for (lane, &w) in r.iter().enumerate() {
            m[2 * (lane % 32) + lane / 32] = w.unsigned_abs().min(255) as u8;
            *s = *s & !(1 << lane) | u64::from(w < 0) << lane;
        }
    }
}

/// The table index `a` of a step code ([`step_code`]): its low 6 bits.
pub const STEP_CODE_INDEX: u16 = 0x3F;
/// The sign bit of a step code ([`step_code`]).
pub const STEP_CODE_NEGATIVE: u16 = 0x40;

/// The step code of a signed count `w` with `|w| <= 1024`
/// ([`STEPS_MAX_LEN`]), for [`Kernels::prefix_look_up_steps`]: with `n = |w| = 16
/// a + b`, `b` in `1..=16` (`a = b = 0` for `n = 0`), the code holds `a`
/// (bits 0..6, at most 63), the sign (bit 6) and `16 - b` (bits 8..16),
/// so that `T[n] = base[a] + popcount(steps[a] << (16 - b) mod 2^16)`
/// needs neither an entry 64 nor a mask. `None` for `|w| > 1024`.
pub fn step_code(w: i16) -> Option<u16> {
    let n = w.unsigned_abs();
    if usize::from(n) > STEPS_MAX_LEN {
        return None;
    }
    let a = n.saturating_sub(1) >> 4;
    let b = n - 16 * a;
    Some(a | if w < 0 { STEP_CODE_NEGATIVE } else { 0 } | (16 - b) << 8)
}

/// Instruction-set level of the word and float kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// Plain Rust, no target features (any CPU).
    Portable,
    /// x86-64 with the POPCNT instruction.
    Popcnt,
    /// x86-64 AVX2 (nibble-table popcount, 256-bit ops).
    Avx2,
    /// x86-64 AVX-512 F/BW with VPOPCNTDQ.
    Avx512,
    /// aarch64 NEON.
    Neon,
}

impl SimdLevel {
    /// Every level, in order.
    const ALL: [SimdLevel; 5] = [
        SimdLevel::Portable,
        SimdLevel::Popcnt,
        SimdLevel::Avx2,
        SimdLevel::Avx512,
        SimdLevel::Neon,
    ];

    /// The best level this CPU supports.
    pub fn detect() -> Self {
        Self::available()
            .into_iter()
            .max()
            .unwrap_or(SimdLevel::Portable)
    }

    /// Every level this CPU supports (always includes `Portable`).
    pub fn available() -> Vec<Self> {
        Self::ALL.into_iter().filter(|l| l.is_available()).collect()
    }

    /// Short name ("avx512", "avx2", "popcnt", "neon", "portable").
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Portable => "portable",
            SimdLevel::Popcnt => "popcnt",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
            SimdLevel::Neon => "neon",
        }
    }

    /// True if this CPU supports the level (its capability token can be
    /// made).
    pub fn is_available(self) -> bool {
        Kernels::new(self).is_some()
    }
}

/// Bitwise operation on words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordOp {
    /// `a & b`.
    And,
    /// `a | b`.
    Or,
    /// `a ^ b`.
    Xor,
    /// `!(a ^ b)`.
    Xnor,
}

/// One row of byte-form look-ups ([`Kernels::prefix_look_up_bytes`]):
/// interleaved magnitudes, sign words and the 16-bit sums they add to.
pub struct ByteRow<'a> {
    /// Magnitudes, 64 lanes a group ([`byte_row`]).
    pub mag: &'a [u8],
    /// One sign word per group (bit set: subtract).
    pub sign: &'a [u64],
    /// The sums, one per lane.
    pub acc: &'a mut [i16],
}

/// One row of step-form look-ups ([`Kernels::prefix_look_up_steps`]):
/// step codes ([`step_code`]) and the 16-bit sums they add to.
pub struct StepRow<'a> {
    /// One code per lane.
    pub codes: &'a [u16],
    /// The sums, one per lane.
    pub acc: &'a mut [i16],
}

/// Samples per register block of [`Kernels::and_popcount_xb`].
pub const BLOCK_SAMPLES: usize = 8;

/// The word and float kernels of one [`SimdLevel`], holding that level's capability
/// token: having a `Kernels` proves the CPU supports its level. Build it
/// once with [`Kernels::new`]; each method then only picks the variant's
/// kernel (kernels a level has no code of its own for fall back to a lower
/// level, as the token implies that level's features, or to portable code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// Plain Rust.
    Portable,
    /// POPCNT.
    #[cfg(target_arch = "x86_64")]
    Popcnt(PopcntToken),
    /// AVX2 and POPCNT.
    #[cfg(target_arch = "x86_64")]
    Avx2(Avx2Token),
    /// AVX-512 F/BW/VPOPCNTDQ and POPCNT.
    #[cfg(target_arch = "x86_64")]
    Avx512(Avx512Token),
    /// NEON.
    #[cfg(target_arch = "aarch64")]
    Neon(NeonToken),
}

impl Kernels {
    /// The kernels of `level`, or `None` if this CPU does not support it.
    pub fn new(level: SimdLevel) -> Option<Self> {
        match level {
            SimdLevel::Portable => Some(Kernels::Portable),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Popcnt => PopcntToken::new().map(Kernels::Popcnt),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => Avx2Token::new().map(Kernels::Avx2),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => Avx512Token::new().map(Kernels::Avx512),
            #[cfg(target_arch = "aarch64")]
            SimdLevel::Neon => NeonToken::new().map(Kernels::Neon),
            _ => None,
        }
    }

    /// `out[b][j] = dot(x[b], w[j])` of the seed's float functions: `x`
    /// is `rows x n_in`, `w` is `n_out x n_in`, `out` is `rows x n_out`,
    /// all row-major; each dot product summed in 8 strided partial sums,
    /// then folded, with no fused multiply-add: bit-identical at every
    /// level (AVX-512 and AVX2 compile the portable code wider).
    #[inline]
    pub fn gemm_nt<T: Real>(self, x: &[T], w: &[T], n_in: usize, n_out: usize, out: &mut [T]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.gemm_nt(x, w, n_in, n_out, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.gemm_nt(x, w, n_in, n_out, out),
            _ => portable::gemm_nt(x, w, n_in, n_out, out),
        }
    }

    /// `g[j] += sum_b d[b][j] * x[b]` (`d`: `rows x n_out`, `x`: `rows x
    /// n_in`, `g`: `n_out x n_in`): each element's terms in sample order,
    /// zero factors skipped; bit-identical at every level.
    #[inline]
    pub fn outer_acc<T: Real>(self, d: &[T], x: &[T], n_in: usize, n_out: usize, g: &mut [T]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.outer_acc(d, x, n_in, n_out, g),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.outer_acc(d, x, n_in, n_out, g),
            _ => portable::outer_acc(d, x, n_in, n_out, g),
        }
    }

    /// The kernels of this CPU's best level ([`SimdLevel::detect`]),
    /// found once per process.
    pub fn best() -> Self {
        static BEST: OnceLock<Kernels> = OnceLock::new();
        *BEST.get_or_init(|| Kernels::new(SimdLevel::detect()).unwrap_or(Kernels::Portable))
    }

    /// The level these kernels run at.
    pub fn level(self) -> SimdLevel {
        match self {
            Kernels::Portable => SimdLevel::Portable,
            #[cfg(target_arch = "x86_64")]
            Kernels::Popcnt(_) => SimdLevel::Popcnt,
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(_) => SimdLevel::Avx2,
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(_) => SimdLevel::Avx512,
            #[cfg(target_arch = "aarch64")]
            Kernels::Neon(_) => SimdLevel::Neon,
        }
    }

    /// `sum_k popcount(a[k])`: the popcount of one stream, loading each
    /// word once (the same as `and_popcount(a, a)`, which loads it twice).
    #[inline]
    pub fn popcount(self, a: &[u64]) -> u64 {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.popcount(a),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.popcount(a),
            #[cfg(target_arch = "x86_64")]
            Kernels::Popcnt(t) => t.popcount(a),
            #[cfg(target_arch = "aarch64")]
            Kernels::Neon(t) => t.popcount(a),
            Kernels::Portable => portable::popcount(a),
        }
    }

    /// `sum_k popcount(a[k] & b[k])` over the common length.
    #[inline]
    pub fn and_popcount(self, a: &[u64], b: &[u64]) -> u64 {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.and_popcount(a, b),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.and_popcount(a, b),
            #[cfg(target_arch = "x86_64")]
            Kernels::Popcnt(t) => t.and_popcount(a, b),
            #[cfg(target_arch = "aarch64")]
            Kernels::Neon(t) => t.and_popcount(a, b),
            Kernels::Portable => portable::and_popcount(a, b),
        }
    }

    /// `out[k] = popcount(a[k])`.
    pub fn popcount_per_word(self, a: &[u64], out: &mut [u32]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.popcount_per_word(a, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.popcnt().popcount_per_word(a, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Popcnt(t) => t.popcount_per_word(a, out),
            _ => portable::popcount_per_word(a, out),
        }
    }

    /// Pack 0/1 bytes into words (bit `t` of word `t / 64` at `t % 64`);
    /// the last word's padding is zero. Returns the index of the first
    /// byte that is not 0 or 1. `out.len()` must be `ceil(bits.len() / 64)`.
    pub fn pack(self, bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.pack(bits, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.pack(bits, out),
            _ => portable::pack(bits, out),
        }
    }

    /// `out[t] = bit t of words` (0 or 1) for `t < min(out.len(), 64 *
    /// words.len())`; bytes past that are left alone. AVX-512 writes each
    /// word's 64 bytes from its bits as a mask.
    pub fn unpack(self, words: &[u64], out: &mut [u8]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.unpack(words, out),
            _ => portable::unpack(words, out),
        }
    }

    /// `out[k] = op(a[k], b[k])` (no padding handling).
    pub fn binary(self, op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.binary(op, a, b, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.binary(op, a, b, out),
            _ => portable::binary(op, a, b, out),
        }
    }

    /// `out[k] = (s[k] & a[k]) | (!s[k] & b[k])` (no padding handling).
    pub fn mux(self, s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.mux(s, a, b, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.mux(s, a, b, out),
            _ => portable::mux(s, a, b, out),
        }
    }

    /// `out[k] = !a[k]` (no padding handling).
    pub fn not(self, a: &[u64], out: &mut [u64]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.not(a, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.not(a, out),
            _ => portable::not(a, out),
        }
    }

    /// XOR of all words: a pure streaming read (for bandwidth ceilings).
    pub fn xor_reduce(self, a: &[u64]) -> u64 {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.xor_reduce(a),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.xor_reduce(a),
            _ => portable::xor_reduce(a),
        }
    }

    /// The counting form's layer-0 look-up (spec §7.1): `counts[j] +=
    /// sign(row[j]) * table[min(|row[j]|, len)]` over the common length of
    /// `row` and `counts`; `table` must have at least `len + 1` entries
    /// (else nothing is added). The same as `sc_kernel::count`'s scalar
    /// loop; AVX-512 and AVX2 gather 16 or 8 entries at once.
    pub fn look_up_add(self, row: &[i16], table: &[u32], len: usize, counts: &mut [i32]) {
        if table.len() <= len || u32::try_from(len).is_err() {
            return;
        }
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.look_up_add(row, table, len, counts),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.look_up_add(row, table, len, counts),
            _ => portable::look_up_add(row, table, len, counts),
        }
    }

    /// The counting form's prefix table of input `p` (spec §7.1): `table[n]
    /// = #{k < n : q[k] < p}` for `n = 0..=q.len()`, as
    /// `sc_kernel::count::prefix_counts` (which runs when `table` does not
    /// have `q.len() + 1` entries); AVX-512 compares 16 values at once and
    /// counts each lane's prefix with VPOPCNTD.
    pub fn prefix_counts(self, q: &[u16], p: Probability, table: &mut [u32]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) if table.len() == q.len() + 1 => t.prefix_counts(q, p.q16(), table),
            _ => sc_kernel::count::prefix_counts(q, p, table),
        }
    }

    /// Whether the layer-0 look-ups of a layer with streams of `len` bits
    /// can use the step form ([`Self::prefix_look_up_steps`]) rather than
    /// the full prefix table: where this level has a faster look-up on it
    /// (AVX-512 BITALG, `len <= 1024`). Where [`Self::bytes_form`] holds
    /// too, byte rows are faster still. Every form gives the same counts.
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    pub fn steps_form(self, len: usize) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.steps_form(len),
            _ => false,
        }
    }

    /// Whether the layer-0 look-ups of a layer with streams of `len` bits
    /// should use byte rows ([`Self::prefix_look_up_bytes`]): where this level has the byte permutes
    /// (AVX-512 VBMI) and `len <= 256`. Either form gives the same counts.
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    pub fn bytes_form(self, len: usize) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => len <= BYTES_MAX_LEN && t.bytes_form(),
            _ => false,
        }
    }

    /// The layer-0 look-up on byte rows with the byte form of input `p`'s
    /// prefix table `T[n] = #{k < n : q[k] < p}` (spec §7.1), `table[n] =
    /// T[min(n, q.len())]` for `n < 256` (each at most 255; any `q.len()`,
    /// only `q[..255]` is read; with `q.len() = 256`, `T[256]` is
    /// `table[255]` plus `q[255] < p`): for each whole group `g` of 64
    /// lanes (`g < min(mag.len() / 64, sign.len(), acc.len() / 64)`), byte `2 k + h` of
    /// `mag[64 g ..]` is lane `32 h + k` (`k < 32`, `h < 2`; see
    /// [`byte_row`]), and `acc[64 g + lane] += table[byte]`, subtracted
    /// instead where bit `lane` of `sign[g]` is set (wrapping: the caller
    /// keeps the sums in range). The interleave lets AVX-512 widen the
    /// looked-up bytes to 16-bit lanes with a mask and a shift; with VBMI
    /// it builds the table in four registers and takes two byte permutes
    /// per 64 lanes, reading 1.125 bytes per synapse. The table is built
    /// once for all of `rows` (each with its own magnitudes, signs and
    /// sums: one input's rows in several blocks of neurons).
    pub fn prefix_look_up_bytes<'a>(
        self,
        q: &[u16],
        p: Probability,
        rows: impl IntoIterator<Item = ByteRow<'a>>,
    ) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.prefix_look_up_bytes(q, p.q16(), rows),
            _ => portable::prefix_look_up_bytes(q, p.q16(), rows),
        }
    }

    /// The layer-0 look-up on the step form of input `p`'s prefix table
    /// `T[n] = #{k < n : q[k] < p}` (spec §7.1), for `q.len() <= 1024`
    /// ([`STEPS_MAX_LEN`]; else nothing is added), with the counts given
    /// as step codes ([`step_code`]), into 16-bit sums. The step form is
    /// `base[a] = T[16 a]` and `steps[a]`, whose bit `k` is `q[16 a + k] <
    /// p` (zero past `q.len()`), so `T[16 a + b] = base[a] +
    /// popcount(steps[a] & (2^b - 1))`. Then `acc[j] += sign * (base[a] +
    /// popcount(steps[a] << c mod 2^16))` over the common length of `codes`
    /// and `acc`, where code `codes[j]` holds `a` (bits 0..6), the sign
    /// (bit 6) and `c` (bits 8..16; 16 or more counts nothing); entries `a`
    /// past `q.len() / 16` read 0, and the sums wrap (the caller keeps them
    /// in range). For the code of `w`, the term is `sign(w) * T[|w|]`.
    /// AVX-512 (BITALG) builds the table in four registers (32 comparisons
    /// per mask, a lane scan of the steps' popcounts for the bases) and
    /// then takes two word permutes, a shift and a 16-bit popcount per 32
    /// look-ups. The table is built once for all of `rows` (each its own
    /// codes and sums: one input's rows in several blocks of neurons).
    pub fn prefix_look_up_steps<'a>(
        self,
        q: &[u16],
        p: Probability,
        rows: impl IntoIterator<Item = StepRow<'a>>,
    ) {
        if q.len() > STEPS_MAX_LEN {
            return;
        }
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.prefix_look_up_steps(q, p.q16(), rows),
            _ => portable::prefix_look_up_steps(q, p.q16(), rows),
        }
    }

    /// Encode many probabilities from one sequence of comparator values
    /// (the layer-0 input streams of a step, spec §4 / §7): row `i` of
    /// `out`, the words `row_words * i .. row_words * (i + 1)`, gets bit
    /// `t = (r[t] < ps[i])` (unsigned; LSB first within each word) for `t <
    /// min(r.len(), 64 * row_words)`; every other bit of the row is zero
    /// (so `ps[i] = 0` gives zeros and `ps[i] >= 65536` ones for every
    /// `t < r.len()`). Rows are encoded for `i < min(ps.len(), out.len() /
    /// row_words)`; words past them are left alone (nothing is written
    /// when `row_words == 0`). The same bits as `sc_kernel::sng::encode`
    /// with a generator yielding `r`; AVX-512 compares 32 values at once,
    /// AVX2 16.
    pub fn encode_rows(self, r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.encode_rows(r, ps, row_words, out),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.encode_rows(r, ps, row_words, out),
            _ => portable::encode_rows(r, ps, row_words, out),
        }
    }

    /// `counts[j] += row[j]` (widened, wrapping) over the common length:
    /// the counting form's row sum of an input that spiked.
    pub fn add_widened(self, row: &[i16], counts: &mut [i32]) {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.add_widened(row, counts),
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) => t.add_widened(row, counts),
            _ => portable::add_widened(row, counts),
        }
    }

    /// One Q16.16 LIF population step, bit-identical to the kernel's
    /// `LifParams::step_population` (which runs at the other levels, and
    /// for bad lengths, returning its errors): AVX-512 steps 16 neurons at
    /// once without branches (saturating arithmetic on 64-bit lanes), AVX2
    /// 8 at once (saturating i32 lanes), and both write their spike bits
    /// from the compare mask. Returns the number of
    /// spikes.
    pub fn lif_q16(
        self,
        params: &LifParamsQ16,
        v: &mut [I16F16],
        refractory: &mut [u16],
        input: &[I16F16],
        spikes: &mut BitSliceMut<'_, u64>,
    ) -> sc_kernel::Result<usize> {
        // Bad lengths go to the kernel, for its errors.
        #[cfg(target_arch = "x86_64")]
        let fits = v.len() == refractory.len() && v.len() == input.len() && v.len() == spikes.len();
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) if fits => {
                Ok(spikes.update_words(|w| t.lif_q16(params, v, refractory, input, w)))
            }
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2(t) if fits => {
                Ok(spikes.update_words(|w| t.lif_q16(params, v, refractory, input, w)))
            }
            _ => params.step_population(v, refractory, input, spikes),
        }
    }

    /// `[and_popcount(w, xs[s]) for s in 0..BLOCK_SAMPLES]`, loading each
    /// word of `w` once (the batched MAC's inner loop).
    pub fn and_popcount_xb(self, w: &[u64], xs: [&[u64]; BLOCK_SAMPLES]) -> [u64; BLOCK_SAMPLES] {
        match self {
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx512(t) => t.and_popcount_xb(w, xs),
            _ => xs.map(|x| self.and_popcount(w, x)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sc_kernel::sng::Sng;

    /// The features each level needs, checked here directly rather than
    /// through a token.
    fn cpu_has(level: SimdLevel) -> bool {
        match level {
            SimdLevel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Popcnt => is_x86_feature_detected!("popcnt"),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => {
                is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vpopcntdq")
                    && is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "aarch64")]
            SimdLevel::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            _ => false,
        }
    }

    /// The float kernels at every level against the portable code (bit
    /// for bit) and against plain sums (closely), in `f32` and `f64`, at
    /// lengths around the 8-wide partial sums and the 4-sample blocks.
    fn check_float_kernels<T: Real + std::fmt::Debug>(tol: f64) {
        let mut rng = sc_kernel::rng::SplitMix64::new(0x5eed_f10a);
        let mut val = |zero: bool| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            if zero && u < 0.25 {
                T::ZERO
            } else {
                T::of((u - 0.4) * 8.0)
            }
        };
        for n_in in [0usize, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65] {
            for rows in [0usize, 1, 3, 4, 5, 9] {
                for n_out in [0usize, 1, 3] {
                    let x: Vec<T> = (0..rows * n_in).map(|_| val(false)).collect();
                    let w: Vec<T> = (0..n_out * n_in).map(|_| val(false)).collect();
                    let d: Vec<T> = (0..rows * n_out).map(|_| val(true)).collect();
                    let g0: Vec<T> = (0..n_out * n_in).map(|_| val(false)).collect();
                    let mut want = vec![T::ZERO; rows * n_out];
                    portable::gemm_nt(&x, &w, n_in, n_out, &mut want);
                    let mut want_g = g0.clone();
                    portable::outer_acc(&d, &x, n_in, n_out, &mut want_g);
                    for b in 0..rows {
                        for j in 0..n_out {
                            let plain: f64 = (0..n_in)
                                .map(|i| x[b * n_in + i].f64() * w[j * n_in + i].f64())
                                .sum();
                            let got = want[b * n_out + j].f64();
                            assert!(
                                (got - plain).abs() <= tol * (1.0 + plain.abs()),
                                "{got} {plain}"
                            );
                        }
                    }
                    for j in 0..n_out {
                        for i in 0..n_in {
                            let plain = g0[j * n_in + i].f64()
                                + (0..rows)
                                    .map(|b| d[b * n_out + j].f64() * x[b * n_in + i].f64())
                                    .sum::<f64>();
                            let got = want_g[j * n_in + i].f64();
                            assert!(
                                (got - plain).abs() <= tol * (1.0 + plain.abs()),
                                "{got} {plain}"
                            );
                        }
                    }
                    let bits = |v: &[T]| v.iter().map(|x| x.f64().to_bits()).collect::<Vec<_>>();
                    for level in SimdLevel::available() {
                        let k = Kernels::new(level).unwrap();
                        let mut out = vec![T::of(7.0); rows * n_out];
                        k.gemm_nt(&x, &w, n_in, n_out, &mut out);
                        assert_eq!(
                            bits(&out),
                            bits(&want),
                            "gemm_nt {level:?} {rows}x{n_in}x{n_out}"
                        );
                        let mut g = g0.clone();
                        k.outer_acc(&d, &x, n_in, n_out, &mut g);
                        assert_eq!(
                            bits(&g),
                            bits(&want_g),
                            "outer_acc {level:?} {rows}x{n_in}x{n_out}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn float_kernels_agree_at_every_level() {
        check_float_kernels::<f64>(1e-12);
        check_float_kernels::<f32>(1e-4);
    }

    #[test]
    fn token_exists_exactly_when_level_is_available() {
        for level in SimdLevel::ALL {
            let k = Kernels::new(level);
            assert_eq!(k.is_some(), cpu_has(level), "{level:?}");
            assert_eq!(k.is_some(), level.is_available(), "{level:?}");
            assert_eq!(
                SimdLevel::available().contains(&level),
                cpu_has(level),
                "{level:?}"
            );
            if let Some(k) = k {
                assert_eq!(k.level(), level);
            }
        }
        #[cfg(target_arch = "x86_64")]
        {
            assert_eq!(PopcntToken::new().is_some(), cpu_has(SimdLevel::Popcnt));
            assert_eq!(Avx2Token::new().is_some(), cpu_has(SimdLevel::Avx2));
            assert_eq!(Avx512Token::new().is_some(), cpu_has(SimdLevel::Avx512));
        }
        #[cfg(target_arch = "aarch64")]
        assert_eq!(NeonToken::new().is_some(), cpu_has(SimdLevel::Neon));
        assert_eq!(SimdLevel::available()[0], SimdLevel::Portable);
        assert!(SimdLevel::detect().is_available());
    }

    fn words(seed: u64, n: usize) -> Vec<u64> {
        crate::bench::random_words(n, seed)
    }

    #[test]
    fn every_level_matches_portable() {
        let p = Kernels::Portable;
        for level in SimdLevel::available() {
            let k = Kernels::new(level).unwrap();
            for n in (0..70).chain([127, 128, 129, 257]) {
                let (a, b, s) = (words(1 + n as u64, n), words(99, n), words(7, n));
                assert_eq!(
                    k.and_popcount(&a, &b),
                    p.and_popcount(&a, &b),
                    "{level:?} {n}"
                );
                assert_eq!(k.xor_reduce(&a), p.xor_reduce(&a), "{level:?} {n}");
                let (mut x, mut y) = (vec![0u32; n], vec![1u32; n]);
                k.popcount_per_word(&a, &mut x);
                p.popcount_per_word(&a, &mut y);
                assert_eq!(x, y, "per word {level:?} {n}");
                for op in [WordOp::And, WordOp::Or, WordOp::Xor, WordOp::Xnor] {
                    let (mut x, mut y) = (vec![0u64; n], vec![1u64; n]);
                    k.binary(op, &a, &b, &mut x);
                    p.binary(op, &a, &b, &mut y);
                    assert_eq!(x, y, "{op:?} {level:?} {n}");
                }
                let (mut x, mut y) = (vec![0u64; n], vec![1u64; n]);
                k.mux(&s, &a, &b, &mut x);
                p.mux(&s, &a, &b, &mut y);
                assert_eq!(x, y, "mux {level:?} {n}");
                k.not(&a, &mut x);
                p.not(&a, &mut y);
                assert_eq!(x, y, "not {level:?} {n}");
                let xs: Vec<Vec<u64>> = (0..BLOCK_SAMPLES)
                    .map(|d| words(1000 + d as u64, n))
                    .collect();
                let xs: [&[u64]; BLOCK_SAMPLES] = std::array::from_fn(|d| &xs[d][..]);
                assert_eq!(
                    k.and_popcount_xb(&a, xs),
                    p.and_popcount_xb(&a, xs),
                    "xb {level:?} {n}"
                );
                // pack: n bits, then one bad byte at each of a few places.
                let mut bits: Vec<u8> = a.iter().map(|w| (w & 1) as u8).collect();
                let nw = n.div_ceil(64);
                let (mut x, mut y) = (vec![u64::MAX; nw], vec![0u64; nw]);
                assert_eq!(
                    k.pack(&bits, &mut x),
                    p.pack(&bits, &mut y),
                    "{level:?} {n}"
                );
                assert_eq!(x, y, "pack {level:?} {n}");
                for at in [0, n / 2, n.saturating_sub(1)] {
                    if n == 0 {
                        break;
                    }
                    let old = std::mem::replace(&mut bits[at], 2 + (at % 200) as u8);
                    let (mut x, mut y) = (vec![0u64; nw], vec![0u64; nw]);
                    assert_eq!(k.pack(&bits, &mut x), Err(at), "{level:?} {n}");
                    assert_eq!(p.pack(&bits, &mut y), Err(at), "{level:?} {n}");
                    bits[at] = old;
                }
            }
        }
    }

    /// A random row of `n` signed counts for a look-up at `len` (an eighth
    /// anywhere in the i16 range, an eighth each at `len` and `-len`, the
    /// rest within `±len`) and the counts it adds to; checks that every
    /// level's `look_up_add` equals the kernel's (`what`: the case).
    fn look_up_case(
        rng: &mut sc_kernel::rng::SplitMix64,
        n: usize,
        table: &[u32],
        len: usize,
        what: &str,
    ) -> (Vec<i16>, Vec<i32>) {
        let edge = len.min(i16::MAX as usize) as i16;
        let row: Vec<i16> = (0..n)
            .map(|_| match rng.below(8) {
                0 => rng.next_u32() as i16,
                1 => edge,
                2 => -edge,
                _ => (rng.below(2 * len as u64 + 1) as i64 - len as i64) as i16,
            })
            .collect();
        let start: Vec<i32> = (0..n).map(|_| rng.next_u32() as i32 >> 4).collect();
        let mut want = start.clone();
        sc_kernel::count::look_up_add(&row, table, len, &mut want);
        for level in SimdLevel::available() {
            let mut got = start.clone();
            Kernels::new(level)
                .unwrap()
                .look_up_add(&row, table, len, &mut got);
            assert_eq!(got, want, "{level:?} n={n} len={len} {what}");
        }
        (row, start)
    }

    /// The counting form's look-up at every level equals the kernel's
    /// scalar loop: edge lengths around the vector widths, full i16 range
    /// (counts above `len` read `table[len]`), short tables add nothing.
    #[test]
    fn look_up_add_matches_the_kernel_at_every_level() {
        let mut rng = sc_kernel::rng::SplitMix64::new(5);
        for n in [
            0usize, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 96, 97, 1000,
        ] {
            for (len, limit) in [
                (0usize, 1 << 20),
                (1, 1 << 20),
                (63, 64),
                (64, 65),
                (65, 1 << 15),
                (200, 201),
                (255, 1 << 20),
                (255, 256),
                (256, 257),
                (256, 1 << 15),
                (256, (1 << 15) + 1),
                (1024, 1 << 20),
                (40000, 1 << 20),
            ] {
                // Tables of counts (entries up to len, as the engine's) take
                // the in-register path where len <= 256; larger entries the
                // gathers.
                let table: Vec<u32> = (0..=len).map(|_| rng.below(limit) as u32).collect();
                let (row, start) = look_up_case(&mut rng, n, &table, len, "");
                for level in SimdLevel::available() {
                    let k = Kernels::new(level).unwrap();
                    let (mut sum, mut sum_k) = (start.clone(), start.clone());
                    k.add_widened(&row, &mut sum);
                    sc_kernel::count::add_row(&row, &mut sum_k);
                    assert_eq!(sum, sum_k, "{level:?} n={n}: row sums");
                    let mut short = start.clone();
                    k.look_up_add(&row, &table[..len], len, &mut short);
                    assert_eq!(short, start, "{level:?}: a short table adds nothing");
                }
            }
        }
    }

    /// The byte form at every level equals the kernel's look-up for a row
    /// within `±len` (`len <= 255`, as a layer's): the portable byte table
    /// equals `table` (clamped at `len`), and [`byte_row`] looked up with
    /// [`Kernels::prefix_look_up_bytes`] into 16-bit sums equals
    /// `sc_kernel::count::look_up_add` for `p`, 0 and 1 (lanes past the
    /// row stay zero).
    fn bytes_case(
        row: &[i16],
        q: &[u16],
        p: Probability,
        table: &[u32],
        start: &[i32],
        len: usize,
    ) {
        let mut bytes = [7u8; 256];
        portable::prefix_bytes(q, p.q16(), &mut bytes);
        for (n, &b) in bytes.iter().enumerate() {
            assert_eq!(
                u32::from(b),
                table[n.min(len)],
                "prefix_bytes len={len} n={n}"
            );
        }
        let edge = len as i16;
        let row: Vec<i16> = row.iter().map(|&w| w.clamp(-edge, edge)).collect();
        let lanes = row.len().div_ceil(64) * 64;
        let (mut mag, mut sign) = (vec![0u8; lanes], vec![0u64; lanes / 64]);
        byte_row(&row, &mut mag, &mut sign);
        for p in [p, Probability::ZERO, Probability::ONE] {
            let mut table = vec![0u32; len + 1];
            sc_kernel::count::prefix_counts(q, p, &mut table);
            let mut want = start.to_vec();
            sc_kernel::count::look_up_add(&row, &table, len, &mut want);
            for level in SimdLevel::available() {
                let k = Kernels::new(level).unwrap();
                let mut acc = vec![0i16; lanes];
                k.prefix_look_up_bytes(
                    q,
                    p,
                    [ByteRow {
                        mag: &mag,
                        sign: &sign,
                        acc: &mut acc,
                    }],
                );
                assert!(
                    acc[row.len()..].iter().all(|&a| a == 0),
                    "{level:?} padding lanes"
                );
                let got: Vec<i32> = start
                    .iter()
                    .zip(&acc)
                    .map(|(&s, &a)| s + i32::from(a))
                    .collect();
                assert_eq!(
                    got,
                    want,
                    "{level:?} bytes n={} len={len} p={p:?}",
                    row.len()
                );
                // The same as two rows (64-lane groups) on one table.
                if lanes >= 128 {
                    let (mut a0, mut a1) = (vec![0i16; 64], vec![0i16; lanes - 64]);
                    k.prefix_look_up_bytes(
                        q,
                        p,
                        [
                            ByteRow {
                                mag: &mag[..64],
                                sign: &sign[..1],
                                acc: &mut a0,
                            },
                            ByteRow {
                                mag: &mag[64..],
                                sign: &sign[1..],
                                acc: &mut a1,
                            },
                        ],
                    );
                    a0.extend(a1);
                    assert_eq!(a0, acc, "{level:?} two byte rows len={len} p={p:?}");
                }
            }
        }
    }

    /// Prefix-count tables (each entry the previous one plus 0 or 1, as the
    /// engine's) take the byte-permute and step paths: every level equals
    /// the kernel's loop at lengths around 16, 64, 256 and 1024, densities
    /// from none to all, and offsets that put the last entry at and just
    /// past `i16::MAX` (the gathers then).
    #[test]
    fn look_up_add_of_prefix_counts_matches_the_kernel() {
        let mut rng = sc_kernel::rng::SplitMix64::new(17);
        for len in [
            0usize, 1, 15, 16, 17, 63, 64, 65, 255, 256, 257, 511, 512, 513, 1000, 1023, 1024,
            1025, 2048,
        ] {
            for (density, offset) in [
                (0u64, 0u32),
                (1, 0),
                (2, 0),
                (3, 0),
                (4, 0),
                (2, 7),
                (4, (i16::MAX as u32).saturating_sub(len as u32)),
                (4, (i16::MAX as u32 + 1).saturating_sub(len as u32)),
            ] {
                // A step of the table is q[k] < p: density / 4 of them.
                let p = Probability::from_q16(1 << 14).unwrap();
                let q: Vec<u16> = (0..len)
                    .map(|_| {
                        let r = rng.below(1 << 14) as u16;
                        if rng.below(4) < density {
                            r
                        } else {
                            r | 1 << 14
                        }
                    })
                    .collect();
                let mut table = vec![0u32; len + 1];
                sc_kernel::count::prefix_counts(&q, p, &mut table);
                table.iter_mut().for_each(|t| *t += offset);
                for n in [1usize, 31, 32, 33, 64, 100, 2048] {
                    let what = format!("density {density}, offset {offset}");
                    let (row, start) = look_up_case(&mut rng, n, &table, len, &what);
                    if offset != 0 || len > STEPS_MAX_LEN {
                        continue;
                    }
                    if len <= 255 {
                        bytes_case(&row, &q, p, &table, &start, len);
                    }
                    // The row within +-len as step codes, into 16-bit
                    // sums from starts within +-1024.
                    let edge = len as i16;
                    let row: Vec<i16> = row.iter().map(|&w| w.clamp(-edge, edge)).collect();
                    let codes: Vec<u16> = row.iter().map(|&w| step_code(w).unwrap()).collect();
                    let start16: Vec<i16> = start.iter().map(|&s| (s >> 17) as i16).collect();
                    for level in SimdLevel::available() {
                        let k = Kernels::new(level).unwrap();
                        for p in [p, Probability::ZERO, Probability::ONE] {
                            let mut table = vec![0u32; len + 1];
                            sc_kernel::count::prefix_counts(&q, p, &mut table);
                            let mut want: Vec<i32> =
                                start16.iter().map(|&a| i32::from(a)).collect();
                            sc_kernel::count::look_up_add(&row, &table, len, &mut want);
                            let mut acc = start16.clone();
                            k.prefix_look_up_steps(
                                &q,
                                p,
                                [StepRow {
                                    codes: &codes,
                                    acc: &mut acc,
                                }],
                            );
                            let got: Vec<i32> = acc.iter().map(|&a| i32::from(a)).collect();
                            assert_eq!(got, want, "{level:?} prefix+steps n={n} len={len} p={p:?}");
                            // The same as two rows on one table, the first
                            // with sums past its codes (left alone).
                            let h = n / 3;
                            let mut a0: Vec<i16> = start16[..h].to_vec();
                            a0.extend([-7i16; 5]);
                            let mut a1 = start16[h..].to_vec();
                            k.prefix_look_up_steps(
                                &q,
                                p,
                                [
                                    StepRow {
                                        codes: &codes[..h],
                                        acc: &mut a0,
                                    },
                                    StepRow {
                                        codes: &codes[h..],
                                        acc: &mut a1,
                                    },
                                ],
                            );
                            assert_eq!(a0[h..], [-7; 5], "{level:?} sums past the codes");
                            a0.truncate(h);
                            a0.extend(a1);
                            assert_eq!(a0, acc, "{level:?} two rows n={n} len={len} p={p:?}");
                        }
                    }
                }
            }
        }
    }

    /// Unpacking at every level equals the kernel's `unpack` at lengths
    /// around the word, and leaves the bytes past the words alone.
    #[test]
    fn unpack_matches_the_kernel_at_every_level() {
        let mut rng = sc_kernel::rng::SplitMix64::new(23);
        for n in [0usize, 1, 7, 63, 64, 65, 127, 128, 129, 1000] {
            let words: Vec<u64> = (0..n.div_ceil(64)).map(|_| rng.next_u64()).collect();
            // The kernel's stream has zero padding; the bits past n do not
            // reach want.
            let mut clear = words.clone();
            if let Some(last) = clear.last_mut().filter(|_| n % 64 != 0) {
                *last &= (1u64 << (n % 64)) - 1;
            }
            let mut want = vec![0u8; n];
            sc_kernel::pack::unpack(sc_kernel::BitSlice::new(&clear, n).unwrap(), &mut want)
                .unwrap();
            for level in SimdLevel::available() {
                let k = Kernels::new(level).unwrap();
                let mut got = vec![9u8; n + 70];
                k.unpack(&words, &mut got);
                assert_eq!(&got[..n], want, "{level:?} n={n}");
                let past = &got[n..];
                let whole = 64 * words.len() - n;
                assert!(past[..whole].iter().all(|&b| b <= 1), "{level:?} n={n}");
                assert!(
                    past[whole..].iter().all(|&b| b == 9),
                    "{level:?} n={n}: left alone"
                );
                // An output shorter than the words: nothing past it.
                let short = n.saturating_sub(1);
                let mut got = vec![9u8; n + 70];
                k.unpack(&words, &mut got[..short]);
                assert!(got[short..].iter().all(|&b| b == 9), "{level:?} n={n}");
            }
        }
    }

    /// The single-stream popcount at every level equals the plain
    /// `count_ones` sum (and `and_popcount(a, a)`): random words at lengths
    /// around every vector width, all-ones and all-zero words.
    #[test]
    fn popcount_matches_count_ones_at_every_level() {
        let mut rng = sc_kernel::rng::SplitMix64::new(13);
        for n in [0usize, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000] {
            let random: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
            let sparse: Vec<u64> = (0..n)
                .map(|_| rng.next_u64() & rng.next_u64() & rng.next_u64())
                .collect();
            for a in [random, sparse, vec![u64::MAX; n], vec![0u64; n]] {
                let want: u64 = a.iter().map(|w| u64::from(w.count_ones())).sum();
                for level in SimdLevel::available() {
                    let k = Kernels::new(level).unwrap();
                    assert_eq!(k.popcount(&a), want, "{level:?} n={n}");
                    assert_eq!(k.and_popcount(&a, &a), want, "{level:?} n={n}");
                }
            }
        }
    }

    /// `steps` Q16.16 LIF steps of `n` neurons from `seed` at every level
    /// against the kernel, each level keeping its own state: every
    /// value drawn from edge values, values near the threshold and the
    /// full i32 range.
    fn lif_case(seed: u64, n: usize, steps: usize, params: &LifParamsQ16) {
        let mut rng = sc_kernel::rng::SplitMix64::new(seed);
        let thr = params.threshold().to_bits();
        let raw = |rng: &mut sc_kernel::rng::SplitMix64| match rng.below(6) {
            0 => [i32::MIN, i32::MIN + 1, i32::MAX, i32::MAX - 1, 0, -1][rng.below(6) as usize],
            1 => i32::MIN.wrapping_add(rng.below(1 << 20) as i32),
            2 => i32::MAX.wrapping_sub(rng.below(1 << 20) as i32),
            3 => thr.saturating_add(rng.below(1 << 12) as i32 - (1 << 11)),
            4 => rng.next_u32() as i32 >> rng.below(32),
            _ => rng.next_u32() as i32,
        };
        let mut v: Vec<I16F16> = (0..n).map(|_| I16F16::from_bits(raw(&mut rng))).collect();
        let mut r: Vec<u16> = (0..n)
            .map(|_| match rng.below(4) {
                0 => rng.next_u32() as u16,
                1 => 1 + rng.below(3) as u16,
                _ => 0,
            })
            .collect();
        let levels: Vec<Kernels> = SimdLevel::available()
            .into_iter()
            .map(|l| Kernels::new(l).unwrap())
            .collect();
        let mut states: Vec<_> = levels.iter().map(|_| (v.clone(), r.clone())).collect();
        let words = n.div_ceil(64);
        for step in 0..steps {
            let input: Vec<I16F16> = (0..n).map(|_| I16F16::from_bits(raw(&mut rng))).collect();
            let mut want_s = vec![0u64; words];
            let want = params
                .step_population(
                    &mut v,
                    &mut r,
                    &input,
                    &mut BitSliceMut::new(&mut want_s, n).unwrap(),
                )
                .unwrap();
            for (k, (gv, gr)) in levels.iter().zip(&mut states) {
                let mut got_s = vec![u64::MAX; words];
                let got = k
                    .lif_q16(
                        params,
                        gv,
                        gr,
                        &input,
                        &mut BitSliceMut::new(&mut got_s, n).unwrap(),
                    )
                    .unwrap();
                let at = format!("{:?} n={n} step {step} {params:?}", k.level());
                assert_eq!(got, want, "count {at}");
                assert_eq!(got_s, want_s, "spikes {at}");
                assert_eq!(*gv, v, "v {at}");
                assert_eq!(*gr, r, "refractory {at}");
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// The Q16.16 LIF step at every level equals the kernel's, over the
        /// full valid parameter ranges and many steps in a row.
        #[test]
        fn lif_q16_matches_the_kernel_at_every_level(
            v_rest in proptest::prelude::any::<i32>(),
            v_reset in i32::MIN..i32::MAX,
            above in proptest::prop_oneof![1u32..(1 << 20), 1u32..=u32::MAX],
            alpha in 1i32..=65536,
            resistance in 1i32..=i32::MAX,
            refractory in proptest::prop_oneof![0u16..4, proptest::prelude::any::<u16>()],
            n in proptest::sample::select(vec![0usize, 1, 15, 16, 17, 63, 64, 65, 100]),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let threshold = (i64::from(v_reset) + i64::from(above)).min(i64::from(i32::MAX)) as i32;
            let b = I16F16::from_bits;
            let params = LifParamsQ16::new(
                b(v_rest), b(v_reset), b(threshold), b(alpha), b(resistance), refractory,
            ).unwrap();
            lif_case(seed, n, 12, &params);
        }
    }

    /// Saturation edges of the Q16.16 LIF step: the extreme parameters.
    #[test]
    fn lif_q16_edges_match_the_kernel_at_every_level() {
        let b = I16F16::from_bits;
        for (rest, reset, thr, alpha, res) in [
            (i32::MIN, i32::MIN, i32::MAX, 65536, i32::MAX),
            (i32::MAX, i32::MIN, i32::MAX, 65536, i32::MAX),
            (i32::MAX, i32::MAX - 1, i32::MAX, 1, 1),
            (i32::MIN, i32::MIN, i32::MIN + 1, 1, i32::MAX),
            (0, -65536, 65536, 6554, 65536),
        ] {
            for refr in [0u16, 1, u16::MAX] {
                let p =
                    LifParamsQ16::new(b(rest), b(reset), b(thr), b(alpha), b(res), refr).unwrap();
                for (seed, n) in [0usize, 1, 15, 16, 17, 63, 64, 65, 100, 1000]
                    .into_iter()
                    .enumerate()
                {
                    lif_case(seed as u64, n, 20, &p);
                }
            }
        }
    }

    /// The prefix tables at every level equal the kernel's: lengths around
    /// the vector width, every edge probability, tables of other lengths.
    #[test]
    fn prefix_counts_match_the_kernel_at_every_level() {
        let mut rng = sc_kernel::rng::SplitMix64::new(9);
        for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 257, 1000] {
            let q: Vec<u16> = (0..len).map(|_| rng.next_u32() as u16).collect();
            let some = q.first().map_or(1, |&v| u32::from(v));
            for p in [0, 1, 2, some, some + 1, 32768, 65535, 65536]
                .into_iter()
                .chain((0..4).map(|_| rng.below(65537) as u32))
            {
                let p = Probability::from_q16(p).unwrap();
                for extra in [1usize, 0, 2] {
                    let mut want = vec![7u32; len + extra];
                    sc_kernel::count::prefix_counts(&q, p, &mut want);
                    for level in SimdLevel::available() {
                        let mut got = vec![7u32; len + extra];
                        Kernels::new(level).unwrap().prefix_counts(&q, p, &mut got);
                        assert_eq!(got, want, "{level:?} len={len} p={p:?} table {extra}");
                    }
                }
            }
        }
    }

    /// The input encoding at every level equals the portable kernel, and
    /// the portable kernel the kernel's bit-serial `encode`: lengths around
    /// the vector widths, every edge probability, rows wider than needed,
    /// fewer rows than probabilities, rows shorter than the values.
    #[test]
    fn encode_rows_match_portable_at_every_level() {
        use sc_kernel::bits::BitSliceMut;
        use sc_kernel::net::StreamSource;
        let mut rng = sc_kernel::rng::SplitMix64::new(13);
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000] {
            let r: Vec<u16> = (0..len).map(|_| rng.next_u32() as u16).collect();
            let some = r.first().map_or(1, |&v| u32::from(v));
            let ps: Vec<u32> = [0, 1, 2, some, some + 1, 32768, 65535, 65536, 70000]
                .into_iter()
                .chain((0..8).map(|_| rng.below(65537) as u32))
                .collect();
            let need = len.div_ceil(64);
            for row_words in [need, need + 1, need.saturating_sub(1), 0] {
                for rows in [ps.len(), ps.len() - 3] {
                    // Less than a row more: left alone.
                    let size = rows * row_words + row_words.saturating_sub(1);
                    let mut want = vec![u64::MAX; size];
                    portable::encode_rows(&r, &ps, row_words, &mut want);
                    assert!(want[rows * row_words..].iter().all(|&w| w == u64::MAX));
                    for (i, &p) in ps.iter().take(rows).enumerate() {
                        let row = &want[i * row_words..(i + 1) * row_words];
                        for t in 0..64 * row_words {
                            let bit = (row[t / 64] >> (t % 64)) & 1 == 1;
                            let v = r.get(t).is_some_and(|&v| u32::from(v) < p);
                            assert_eq!(bit, v, "len={len} p={p} t={t} words {row_words}");
                        }
                    }
                    for level in SimdLevel::available() {
                        let mut got = vec![u64::MAX; size];
                        Kernels::new(level)
                            .unwrap()
                            .encode_rows(&r, &ps, row_words, &mut got);
                        assert_eq!(
                            got, want,
                            "{level:?} len={len} words {row_words} rows {rows}"
                        );
                    }
                }
            }
            // The kernel's encode from a generator yielding these values.
            for source in [
                StreamSource::Sobol { dimension: 3 },
                StreamSource::Lfsr16 { seed: 0xACE1 },
            ] {
                let start = source.start().unwrap();
                let mut g = start;
                let r: Vec<u16> = (0..len).map(|_| g.next_q16()).collect();
                for &p in &ps[..8] {
                    let mut want = vec![0u64; need];
                    let mut g = start;
                    let p = Probability::from_q16(p.min(65536)).unwrap();
                    sc_kernel::sng::encode(
                        &mut g,
                        p,
                        &mut BitSliceMut::new(&mut want, len).unwrap(),
                    );
                    for level in SimdLevel::available() {
                        let mut got = vec![7u64; need];
                        Kernels::new(level)
                            .unwrap()
                            .encode_rows(&r, &[p.q16()], need, &mut got);
                        assert_eq!(got, want, "{level:?} {source:?} len={len} {p:?}");
                    }
                }
            }
        }
    }
}
