//! Word kernels with AVX2 (nibble-table popcount, 256-bit ops) and POPCNT.

use std::arch::x86_64::*;

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

    token_methods! {
        /// `counts[j] += sign(row[j]) * table[min(|row[j]|, len)]`, 8 at a
        /// time; `table.len() > len`, `len < 2^31` (checked by the caller).
        fn look_up_add(row: &[i16], table: &[u32], len: usize, counts: &mut [i32]);
        /// `counts[j] += row[j]`, widened, 8 at a time.
        fn add_widened(row: &[i16], counts: &mut [i32]);
        /// Rows of stream bits `r[t] < ps[i]`, 16 comparisons at a time;
        /// see [`super::super::Kernels::encode_rows`].
        fn encode_rows(r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]);
    }
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn encode_rows(r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]) {
    if row_words == 0 {
        return;
    }
    let n = r.len().min(64 * row_words);
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

#[target_feature(enable = "avx2,popcnt")]
unsafe fn add_widened(row: &[i16], counts: &mut [i32]) {
    let n = row.len().min(counts.len());
    let mut j = 0;
    while j + 8 <= n {
        // SAFETY: j + 8 <= n <= both lengths.
        let w = _mm256_cvtepi16_epi32(_mm_loadu_si128(row.as_ptr().add(j) as *const _));
        let c = counts.as_mut_ptr().add(j) as *mut __m256i;
        _mm256_storeu_si256(c, _mm256_add_epi32(_mm256_loadu_si256(c), w));
        j += 8;
    }
    portable::add_widened(&row[j..n], &mut counts[j..n]);
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
        let v = _mm256_sub_epi32(_mm256_xor_si256(t, m), m);
        let c = counts.as_mut_ptr().add(j) as *mut __m256i;
        _mm256_storeu_si256(c, _mm256_add_epi32(_mm256_loadu_si256(c), v));
        j += 8;
    }
    portable::look_up_add(&row[j..n], table, len, &mut counts[j..n]);
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
    // Mula's nibble-table popcount, summed per 64-bit lane with SAD.
    let n = a.len().min(b.len());
    let lut = _mm256_setr_epi8(
        0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3,
        3, 4,
    );
    let low = _mm256_set1_epi8(0x0f);
    let zero = _mm256_setzero_si256();
    let mut acc0 = _mm256_setzero_si256();
    let mut acc1 = _mm256_setzero_si256();
    let mut k = 0;
    let count = |v: __m256i| {
        let lo = _mm256_and_si256(v, low);
        let hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
        let c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
        _mm256_sad_epu8(c, zero)
    };
    while k + 8 <= n {
        // SAFETY: k + 8 <= n, so both 4-word loads are in bounds.
        let x0 = _mm256_loadu_si256(a.as_ptr().add(k) as *const __m256i);
        let y0 = _mm256_loadu_si256(b.as_ptr().add(k) as *const __m256i);
        let x1 = _mm256_loadu_si256(a.as_ptr().add(k + 4) as *const __m256i);
        let y1 = _mm256_loadu_si256(b.as_ptr().add(k + 4) as *const __m256i);
        acc0 = _mm256_add_epi64(acc0, count(_mm256_and_si256(x0, y0)));
        acc1 = _mm256_add_epi64(acc1, count(_mm256_and_si256(x1, y1)));
        k += 8;
    }
    let acc = _mm256_add_epi64(acc0, acc1);
    let mut lanes = [0u64; 4];
    _mm256_storeu_si256(lanes.as_mut_ptr() as *mut __m256i, acc);
    lanes.iter().sum::<u64>() + popcnt::and_popcount(&a[k..n], &b[k..n])
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
