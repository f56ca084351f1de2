//! Word kernels with AVX2 (nibble-table popcount, 256-bit ops) and POPCNT.

use std::arch::x86_64::*;

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParamsQ16;

use super::super::{portable, WordOp};
use super::popcnt::{self, PopcntToken};

/// Proof that this CPU has AVX2 and POPCNT; the only way to get one is
/// [`Avx2Token::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avx2Token {
    popcnt: PopcntToken,
}

impl Avx2Token {
    /// `Some` exactly when this CPU has AVX2 and POPCNT.
    #[inline]
    pub fn new() -> Option<Self> {
        let popcnt = PopcntToken::new()?;
        is_x86_feature_detected!("avx2").then_some(Self { popcnt })
    }

    /// The POPCNT token this one includes.
    #[inline]
    pub fn popcnt(self) -> PopcntToken {
        self.popcnt
    }

    word_kernel_methods!();

    wide_kernel_methods!();
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn encode_rows(r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]) {
    if row_words == 0 {
        return;
    }
    let n = r.len().min(row_words.saturating_mul(64));
    let full = n / 64;
    // Unsigned compare as signed after flipping the top bit.
    let flip = _mm256_set1_epi16(i16::MIN);
    for (row, &p) in out.chunks_exact_mut(row_words).zip(ps) {
        // r < p is !(r > p - 1) for p >= 1 (p - 1 capped at the largest
        // u16, as every r is below any p > 65535); p = 0 keeps no bit.
        let keep = if p == 0 { 0 } else { u64::MAX };
        let q = _mm256_set1_epi16((p.wrapping_sub(1).min(0xFFFF) as u16 ^ 0x8000) as i16);
        // 32 values: the greater-than masks of two 16-lane halves, packed
        // to bytes (the pack interleaves 128-bit lanes; the permute
        // restores value order), one bit each.
        let gt32 = |a: *const u16| {
            let x0 = _mm256_xor_si256(_mm256_loadu_si256(a as *const __m256i), flip);
            let x1 = _mm256_xor_si256(_mm256_loadu_si256(a.add(16) as *const __m256i), flip);
            let g = _mm256_packs_epi16(_mm256_cmpgt_epi16(x0, q), _mm256_cmpgt_epi16(x1, q));
            let g = _mm256_permute4x64_epi64::<0b11_01_10_00>(g);
            _mm256_movemask_epi8(g) as u32
        };
        for (k, o) in row[..full].iter_mut().enumerate() {
            // SAFETY: 64 * (k + 1) <= 64 * full <= n <= r.len().
            let a = r.as_ptr().add(64 * k);
            let gt = u64::from(gt32(a)) | u64::from(gt32(a.add(32))) << 32;
            *o = !gt & keep;
        }
        portable::encode_row(&r[64 * full..n], p, &mut row[full..]);
    }
}

/// `r` in the lanes whose `ovf` sign bit is clear, else the i32 bound of
/// `a`'s sign (`i32::MAX ^ (a >> 31)`).
#[target_feature(enable = "avx2")]
#[inline]
fn saturate32(a: __m256i, r: __m256i, ovf: __m256i) -> __m256i {
    let bound = _mm256_xor_si256(_mm256_set1_epi32(i32::MAX), _mm256_srai_epi32::<31>(a));
    _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(r),
        _mm256_castsi256_ps(bound),
        _mm256_castsi256_ps(ovf),
    ))
}

/// `a + b` (`SUB = false`) or `a - b` (`SUB = true`) saturated to the
/// i32 range (lane-wise).
#[target_feature(enable = "avx2")]
#[inline]
fn sat32<const SUB: bool>(a: __m256i, b: __m256i) -> __m256i {
    // Overflow: r's sign differs from a's, and b's sign equals r's (a + b)
    // or differs from a's (a - b).
    let (r, other) = if SUB {
        let r = _mm256_sub_epi32(a, b);
        (r, _mm256_xor_si256(a, b))
    } else {
        let r = _mm256_add_epi32(a, b);
        (r, _mm256_xor_si256(b, r))
    };
    saturate32(a, r, _mm256_and_si256(_mm256_xor_si256(a, r), other))
}

/// `sat(floor(a * b / 2^16))` of the i32 lanes (`sat_mul` of Q16.16).
#[target_feature(enable = "avx2")]
#[inline]
fn sat_mul_q16(a: __m256i, b: __m256i) -> __m256i {
    let max = _mm256_set1_epi64x((1 << 47) - 1);
    let min = _mm256_set1_epi64x(-(1 << 47));
    // floor(p / 2^16) of an exact 64-bit product p, as its low 32 bits if
    // it fits (-2^47 <= p < 2^47), else the bound of p's sign.
    let one = |p: __m256i| {
        let lo = _mm256_srli_epi64::<16>(p);
        let hi = _mm256_cmpgt_epi64(p, max);
        let below = _mm256_cmpgt_epi64(min, p);
        let lo = _mm256_blendv_epi8(lo, _mm256_set1_epi64x(i64::from(i32::MAX)), hi);
        _mm256_blendv_epi8(lo, _mm256_set1_epi64x(i64::from(i32::MIN)), below)
    };
    let even = one(_mm256_mul_epi32(a, b));
    let odd = one(_mm256_mul_epi32(
        _mm256_srli_epi64::<32>(a),
        _mm256_srli_epi64::<32>(b),
    ));
    _mm256_blend_epi32::<0b1010_1010>(even, _mm256_slli_epi64::<32>(odd))
}

/// The lanes of [`lif_q16`]: the kernel's step (sc_kernel::lif) with
/// saturating i32 lanes, 8 neurons at a time.
#[target_feature(enable = "avx2,popcnt")]
#[inline]
unsafe fn lif_lanes(
    params: &LifParamsQ16,
) -> impl FnMut(*mut I16F16, *mut u16, *const I16F16) -> u64 {
    let set = |x: I16F16| _mm256_set1_epi32(x.to_bits());
    let (v_rest, alpha, res) = (
        set(params.v_rest()),
        set(params.alpha()),
        set(params.resistance()),
    );
    let (thr, reset) = (set(params.threshold()), set(params.v_reset()));
    let period = _mm256_set1_epi32(i32::from(params.refractory()));
    let zero = _mm256_setzero_si256();
    move |vp, rp, ip| {
        // SAFETY: 8 values from each pointer are in bounds (lif_words);
        // I16F16 is `repr(transparent)` over i32.
        let (vp, rp) = (vp as *mut __m256i, rp as *mut __m128i);
        let vv = _mm256_loadu_si256(vp);
        let iv = _mm256_loadu_si256(ip as *const __m256i);
        let rv = _mm256_cvtepu16_epi32(_mm_loadu_si128(rp));
        let d = sat32::<true>(v_rest, vv);
        let leak = sat_mul_q16(d, alpha);
        let drive = sat_mul_q16(iv, res);
        let nv = sat32::<false>(vv, sat32::<false>(leak, drive));
        let refr = _mm256_xor_si256(_mm256_cmpeq_epi32(rv, zero), _mm256_set1_epi32(-1));
        let below = _mm256_cmpgt_epi32(thr, nv);
        // spike = !refr & !below
        let spike = _mm256_andnot_si256(_mm256_or_si256(refr, below), _mm256_set1_epi32(-1));
        let nv = _mm256_blendv_epi8(nv, reset, _mm256_or_si256(refr, spike));
        let nr = _mm256_add_epi32(rv, refr); // refr lanes are -1
        let nr = _mm256_blendv_epi8(nr, period, spike);
        _mm256_storeu_si256(vp, nv);
        let packed = _mm_packus_epi32(
            _mm256_castsi256_si128(nr),
            _mm256_extracti128_si256::<1>(nr),
        );
        _mm_storeu_si128(rp, packed);
        _mm256_movemask_ps(_mm256_castsi256_ps(spike)) as u32 as u64
    }
}

lif_q16!("avx2,popcnt", 8, lif_lanes);

/// `c[..8] += v` (unaligned; the caller keeps `c` in bounds).
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn add_to(c: *mut i32, v: __m256i) {
    let c = c as *mut __m256i;
    _mm256_storeu_si256(c, _mm256_add_epi32(_mm256_loadu_si256(c), v));
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn add_widened(row: &[i16], counts: &mut [i32]) {
    // SAFETY: 8 values from `r` and `c` are in bounds (add_widened).
    super::add_widened::<8>(row, counts, |r, c| {
        add_to(c, _mm256_cvtepi16_epi32(_mm_loadu_si128(r as *const _)))
    });
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn look_up_add(row: &[i16], table: &[u32], len: usize, counts: &mut [i32]) {
    let n = row.len().min(counts.len());
    let cap = _mm256_set1_epi32(len as i32);
    let mut j = 0;
    while j + 8 <= n {
        // SAFETY: j + 8 <= n <= both lengths; every gathered index is at
        // most len < table.len().
        let w = _mm256_cvtepi16_epi32(_mm_loadu_si128(row.as_ptr().add(j) as *const _));
        let idx = _mm256_min_epu32(_mm256_abs_epi32(w), cap);
        let t = _mm256_i32gather_epi32::<4>(table.as_ptr() as *const _, idx);
        // -t where w < 0: (t ^ m) - m with m all ones there.
        let m = _mm256_cmpgt_epi32(_mm256_setzero_si256(), w);
        add_to(
            counts.as_mut_ptr().add(j),
            _mm256_sub_epi32(_mm256_xor_si256(t, m), m),
        );
        j += 8;
    }
    portable::look_up_add(&row[j..n], table, len, &mut counts[j..n]);
}

/// Mula's nibble-table popcount of each byte of `v`, summed per 64-bit
/// lane with SAD.
#[target_feature(enable = "avx2")]
#[inline]
fn lane_popcounts(v: __m256i) -> __m256i {
    let lut = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3,
        3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let lo = _mm256_and_si256(v, low);
    let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    let c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
    _mm256_sad_epu8(c, _mm256_setzero_si256())
}

/// `sum popcount` of the `n` words that `load(k)` gives 4 at a time (those
/// from `k`, called only with `k + 4 <= n`): the sum and how many words it
/// did (a multiple of 8).
#[target_feature(enable = "avx2,popcnt")]
#[inline]
unsafe fn popcount_with(n: usize, load: impl Fn(usize) -> __m256i) -> (u64, usize) {
    let (acc0, acc1, k) = super::popcount_rounds::<4, _>(
        n,
        _mm256_setzero_si256(),
        |k| lane_popcounts(load(k)),
        |x, y| _mm256_add_epi64(x, y),
    );
    let mut lanes = [0u64; 4];
    _mm256_storeu_si256(
        lanes.as_mut_ptr() as *mut __m256i,
        _mm256_add_epi64(acc0, acc1),
    );
    (lanes.iter().sum(), k)
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn popcount(a: &[u64]) -> u64 {
    // One load per word. SAFETY: k + 4 <= a.len() (popcount_with).
    let (sum, k) = popcount_with(a.len(), |k| {
        _mm256_loadu_si256(a.as_ptr().add(k) as *const __m256i)
    });
    sum + popcnt::popcount(&a[k..])
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
    let n = a.len().min(b.len());
    // SAFETY: k + 4 <= n (popcount_with), so both loads are in bounds.
    let (sum, k) = popcount_with(n, |k| {
        let x = _mm256_loadu_si256(a.as_ptr().add(k) as *const __m256i);
        _mm256_and_si256(x, _mm256_loadu_si256(b.as_ptr().add(k) as *const __m256i))
    });
    sum + popcnt::and_popcount(&a[k..n], &b[k..n])
}

#[target_feature(enable = "avx2")]
unsafe fn pack(bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
    let full = bits.len() / 64;
    let one = _mm256_set1_epi8(1);
    let mut maxv = _mm256_setzero_si256();
    for k in 0..full.min(out.len()) {
        // SAFETY: 64 * (k + 1) <= bits.len().
        let p = bits.as_ptr().add(64 * k);
        let v0 = _mm256_loadu_si256(p as *const __m256i);
        let v1 = _mm256_loadu_si256(p.add(32) as *const __m256i);
        maxv = _mm256_max_epu8(maxv, _mm256_max_epu8(v0, v1));
        // Bit 0 of each byte to bit 7, then movemask.
        let m0 = _mm256_movemask_epi8(_mm256_slli_epi16(v0, 7)) as u32 as u64;
        let m1 = _mm256_movemask_epi8(_mm256_slli_epi16(v1, 7)) as u32 as u64;
        out[k] = m0 | (m1 << 32);
    }
    // Any byte > 1 leaves a byte > 1 in maxv.
    let gt = _mm256_cmpeq_epi8(_mm256_max_epu8(maxv, one), one);
    portable::pack_tail(bits, out, full, _mm256_movemask_epi8(gt) != -1)
}

portable_kernels! {
    "avx2":
    fn binary(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]);
    fn mux(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]);
    fn not(a: &[u64], out: &mut [u64]);
    fn xor_reduce(a: &[u64]) -> u64;
}

float_kernels!("avx2", Avx2Token);
