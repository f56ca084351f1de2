//! Word kernels with AVX-512 F/BW and VPOPCNTDQ (and POPCNT for tails).

use std::arch::x86_64::*;

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParamsQ16;

use super::super::{portable, ByteRow, StepRow, WordOp, BLOCK_SAMPLES, STEP_CODE_NEGATIVE};
use super::popcnt::{self, PopcntToken};

/// Proof that this CPU has AVX-512 F, BW and VPOPCNTDQ, and POPCNT; the
/// only way to get one is [`Avx512Token::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avx512Token(());

impl Avx512Token {
    /// `Some` exactly when this CPU has AVX-512 F, BW and VPOPCNTDQ, and
    /// POPCNT.
    #[inline]
    pub fn new() -> Option<Self> {
        PopcntToken::new()?;
        (is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vpopcntdq"))
        .then_some(Self(()))
    }

    word_kernel_methods!();
    wide_kernel_methods!();

    token_methods! {
        /// `out[k] = popcount(a[k])`.
        fn popcount_per_word(a: &[u64], out: &mut [u32]);
        /// `[and_popcount(w, xs[s]) for s in 0..BLOCK_SAMPLES]`, loading each
        /// word of `w` once.
        fn and_popcount_xb(w: &[u64], xs: [&[u64]; BLOCK_SAMPLES]) -> [u64; BLOCK_SAMPLES];
        /// `table[n] = #{k < n : q[k] < p}`, 16 entries at a time;
        /// `table.len() == q.len() + 1` (checked by the caller).
        fn prefix_counts(q: &[u16], p: u32, table: &mut [u32]);
        /// `out[t] = bit t of words`, a word's 64 bytes from its mask at once.
        fn unpack(words: &[u64], out: &mut [u8]);
    }

    /// Whether this CPU has the byte-row look-up ([`prefix_look_up_bytes`]):
    /// AVX-512 VBMI. std caches the feature test.
    #[inline]
    pub fn bytes_form(self) -> bool {
        is_x86_feature_detected!("avx512vbmi")
    }

    /// The byte form of `p`'s prefix table built in registers and the
    /// byte-row look-up on it, 64 lanes at a time with VBMI byte permutes
    /// (else the portable loops).
    #[inline]
    pub fn prefix_look_up_bytes<'a>(
        self,
        q: &[u16],
        p: u32,
        rows: impl IntoIterator<Item = ByteRow<'a>>,
    ) {
        if self.bytes_form() {
            // SAFETY: `self` proves AVX-512 F/BW; VBMI was just detected.
            unsafe { prefix_look_up_bytes(q, p, rows) }
        } else {
            portable::prefix_look_up_bytes(q, p, rows)
        }
    }

    /// Whether layer-0 look-ups at stream length `len` are faster on the
    /// step form than on the full table here: `len <= 1024` with AVX-512
    /// BITALG. std caches the feature test.
    #[inline]
    pub fn steps_form(self, len: usize) -> bool {
        len <= 1024 && is_x86_feature_detected!("avx512bitalg")
    }

    /// The step form of `p`'s prefix table built in registers and looked
    /// up at once; `q.len() <= 1024` (checked by the caller). Needs BITALG
    /// (else the portable loops).
    #[inline]
    pub fn prefix_look_up_steps<'a>(
        self,
        q: &[u16],
        p: u32,
        rows: impl IntoIterator<Item = StepRow<'a>>,
    ) {
        if is_x86_feature_detected!("avx512bitalg") {
            // SAFETY: `self` proves AVX-512 F/BW and POPCNT; BITALG was
            // just detected.
            unsafe { prefix_look_up_steps(q, p, rows) }
        } else {
            portable::prefix_look_up_steps(q, p, rows)
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn encode_rows(r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]) {
    if row_words == 0 {
        return;
    }
    let n = r.len().min(row_words.saturating_mul(64));
    let (full, tail) = (n / 64, n % 64);
    // Lanes of the tail word's two 32-value halves that hold values.
    let (m0, m1): (u32, u32) = match tail {
        0..=31 => ((1u32 << tail) - 1, 0),
        _ => (u32::MAX, (1u32 << (tail - 32)) - 1),
    };
    for (row, &p) in out.chunks_exact_mut(row_words).zip(ps) {
        // r < p is r <= p - 1 for p >= 1 (p - 1 capped at the largest
        // u16, as every r is below any p > 65535); p = 0 keeps no bit.
        let keep = if p == 0 { 0 } else { u64::MAX };
        let q = _mm512_set1_epi16(p.wrapping_sub(1).min(0xFFFF) as u16 as i16);
        for (k, o) in row[..full].iter_mut().enumerate() {
            // SAFETY: 64 * (k + 1) <= 64 * full <= n <= r.len().
            let a = r.as_ptr().add(64 * k);
            let lo = _mm512_cmple_epu16_mask(_mm512_loadu_si512(a as *const _), q);
            let hi = _mm512_cmple_epu16_mask(_mm512_loadu_si512(a.add(32) as *const _), q);
            *o = (u64::from(lo) | u64::from(hi) << 32) & keep;
        }
        let mut done = full;
        if tail > 0 {
            // SAFETY: the masked loads read only lanes below `tail`, so
            // at most r[64 * full + tail - 1] = r[n - 1]. The second half's
            // address may lie past the end when `tail <= 32` (then `m1 = 0`
            // and no lane is read), so it is formed with `wrapping_add`.
            let a = r.as_ptr().add(64 * full);
            let lo =
                _mm512_mask_cmple_epu16_mask(m0, _mm512_maskz_loadu_epi16(m0, a as *const _), q);
            let hi = _mm512_mask_cmple_epu16_mask(
                m1,
                _mm512_maskz_loadu_epi16(m1, a.wrapping_add(32) as *const _),
                q,
            );
            row[full] = (u64::from(lo) | u64::from(hi) << 32) & keep;
            done += 1;
        }
        row[done..].iter_mut().for_each(|o| *o = 0);
    }
}

/// The lanes of [`lif_q16`]: the kernel's step (sc_kernel::lif) on
/// 64-bit lanes, 16 neurons at a time: every value is sign-extended, so
/// each saturating operation is the exact result clamped to the i32 range,
/// and `sat_mul` is the exact 32 x 32-bit product shifted right (floor) by
/// 16, then clamped.
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
#[inline]
unsafe fn lif_lanes(
    params: &LifParamsQ16,
) -> impl FnMut(*mut I16F16, *mut u16, *const I16F16) -> u64 {
    let wide = |x: I16F16| _mm512_set1_epi64(i64::from(x.to_bits()));
    let (v_rest, alpha, res) = (
        wide(params.v_rest()),
        wide(params.alpha()),
        wide(params.resistance()),
    );
    let lo = _mm512_set1_epi64(i64::from(i32::MIN));
    let hi = _mm512_set1_epi64(i64::from(i32::MAX));
    let thr = _mm512_set1_epi32(params.threshold().to_bits());
    let reset = _mm512_set1_epi32(params.v_reset().to_bits());
    let period = _mm512_set1_epi32(i32::from(params.refractory()));
    let one = _mm512_set1_epi32(1);
    let sat = move |x: __m512i| _mm512_min_epi64(_mm512_max_epi64(x, lo), hi);
    // New membrane of the 8 neurons with membranes `v` (sign-extended)
    // and inputs `i` (low 32 bits of each lane).
    let step8 = move |v: __m512i, i: __m512i| {
        let d = sat(_mm512_sub_epi64(v_rest, v));
        let leak = sat(_mm512_srai_epi64::<16>(_mm512_mul_epi32(d, alpha)));
        let drive = sat(_mm512_srai_epi64::<16>(_mm512_mul_epi32(i, res)));
        sat(_mm512_add_epi64(v, sat(_mm512_add_epi64(leak, drive))))
    };
    move |vp, rp, ip| {
        // SAFETY: 16 values from each pointer are in bounds (lif_words);
        // I16F16 is `repr(transparent)` over i32.
        let rp = rp as *mut __m256i;
        let vv = _mm512_loadu_si512(vp as *const _);
        let iv = _mm512_loadu_si512(ip as *const _);
        let rv = _mm512_cvtepu16_epi32(_mm256_loadu_si256(rp));
        // Even neurons in the low halves of the 64-bit lanes, odd in the high.
        let even = step8(_mm512_srai_epi64::<32>(_mm512_slli_epi64::<32>(vv)), iv);
        let odd = step8(_mm512_srai_epi64::<32>(vv), _mm512_srli_epi64::<32>(iv));
        let nv = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64::<32>(odd));
        // Refractory neurons count down at v_reset; the others spike
        // at the threshold, to v_reset and a full refractory period.
        let refr = _mm512_test_epi32_mask(rv, rv);
        let spike = _mm512_mask_cmpge_epi32_mask(!refr, nv, thr);
        let nv = _mm512_mask_mov_epi32(nv, refr | spike, reset);
        let nr = _mm512_mask_sub_epi32(rv, refr, rv, one);
        let nr = _mm512_mask_mov_epi32(nr, spike, period);
        _mm512_storeu_si512(vp as *mut _, nv);
        _mm256_storeu_si256(rp, _mm512_cvtepi32_epi16(nr));
        u64::from(spike)
    }
}

lif_q16!("avx512f,avx512bw,avx512vpopcntdq,popcnt", 16, lif_lanes);

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn prefix_counts(q: &[u16], p: u32, table: &mut [u32]) {
    let n = q.len().min(table.len().saturating_sub(1));
    let Some((first, rest)) = table.split_first_mut() else {
        return;
    };
    *first = 0;
    let pv = _mm512_set1_epi32(p.min(i32::MAX as u32) as i32);
    // Lane k keeps mask bits 0..=k: popcount gives the count up to k.
    let below = _mm512_setr_epi32(
        0x1, 0x3, 0x7, 0xF, 0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF, 0x3FFF,
        0x7FFF, 0xFFFF,
    );
    let mut acc = 0u32;
    let mut k = 0;
    while k + 16 <= n {
        // SAFETY: k + 16 <= n <= q.len() and n <= rest.len().
        let v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(q.as_ptr().add(k) as *const _));
        let m = _mm512_cmplt_epu32_mask(v, pv);
        let upto = _mm512_popcnt_epi32(_mm512_and_si512(_mm512_set1_epi32(i32::from(m)), below));
        let out = _mm512_add_epi32(upto, _mm512_set1_epi32(acc as i32));
        _mm512_storeu_si512(rest.as_mut_ptr().add(k) as *mut _, out);
        acc += m.count_ones();
        k += 16;
    }
    for (&r, t) in q[k..n].iter().zip(&mut rest[k..n]) {
        acc += u32::from(u32::from(r) < p);
        *t = acc;
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn add_widened(row: &[i16], counts: &mut [i32]) {
    // SAFETY: 16 values from `r` and `c` are in bounds (add_widened).
    super::add_widened::<16>(row, counts, |r, c| {
        add_widened16(c, _mm256_loadu_si256(r as *const _))
    });
}

/// `c[..16] += w`, its 16 i16 lanes widened (unaligned; the caller keeps
/// `c` in bounds).
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn add_widened16(c: *mut i32, w: __m256i) {
    let sum = _mm512_add_epi32(_mm512_loadu_si512(c as *const _), _mm512_cvtepi16_epi32(w));
    _mm512_storeu_si512(c as *mut _, sum);
}

/// Rows shorter than this take the gathers: building the in-register table
/// costs about as much as 64 look-ups.
const PERMUTE_MIN_ROW: usize = 64;

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn look_up_add(row: &[i16], table: &[u32], len: usize, counts: &mut [i32]) {
    let n = row.len().min(counts.len());
    let mut j = 0;
    if len <= 256 && n >= PERMUTE_MIN_ROW {
        j = look_up_add_permute(row, table, len, counts);
    }
    let cap = _mm512_set1_epi32(len as i32);
    let zero = _mm512_setzero_si512();
    while j + 16 <= n {
        // SAFETY: j + 16 <= n <= both lengths; every gathered index is at
        // most len < table.len().
        let w = _mm512_cvtepi16_epi32(_mm256_loadu_si256(row.as_ptr().add(j) as *const _));
        let idx = _mm512_min_epu32(_mm512_abs_epi32(w), cap);
        let t = _mm512_i32gather_epi32::<4>(idx, table.as_ptr() as *const _);
        let neg = _mm512_cmplt_epi32_mask(w, zero);
        let v = _mm512_mask_sub_epi32(t, neg, zero, t);
        let c = counts.as_mut_ptr().add(j) as *mut __m512i;
        _mm512_storeu_si512(
            c as *mut _,
            _mm512_add_epi32(_mm512_loadu_si512(c as *const _), v),
        );
        j += 16;
    }
    portable::look_up_add(&row[j..n], table, len, &mut counts[j..n]);
}

/// Entries `16 g .. 16 g + 16` of a table of `entries` entries (`entries
/// <= table.len()`), as 32-bit lanes; lanes past `entries` read 0.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn table_group(table: &[u32], entries: usize, g: usize) -> __m512i {
    let have = entries.saturating_sub(16 * g).min(16);
    let m: __mmask16 = ((1u32 << have) - 1) as u16;
    // SAFETY: only the `have` lanes in bounds (16 g + have <= entries <=
    // table.len()) are read.
    _mm512_maskz_loadu_epi32(m, table.as_ptr().wrapping_add(16 * g) as *const _)
}

/// The loop of the in-register look-ups, 32 entries of `row` at a time:
/// `idx = min(|row[j]|, len)` as unsigned 16-bit lanes (`i16::MIN` gives
/// 32768 before the clamp), `pick(idx)` the table entries (each at most
/// `i16::MAX`), and `counts[j] += sign(row[j]) * entry`, widened. Returns
/// how many leading entries of `row` it did (a multiple of 32).
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn look_up_lanes(
    row: &[i16],
    len: usize,
    counts: &mut [i32],
    pick: impl Fn(__m512i) -> __m512i,
) -> usize {
    let n = row.len().min(counts.len());
    let cap = _mm512_set1_epi16(len.min(i16::MAX as usize) as i16);
    let zero = _mm512_setzero_si512();
    let mut j = 0;
    while j + 32 <= n {
        // SAFETY: j + 32 <= n <= both lengths.
        let w = _mm512_loadu_si512(row.as_ptr().add(j) as *const _);
        let r = pick(_mm512_min_epu16(_mm512_abs_epi16(w), cap));
        let r = _mm512_mask_sub_epi16(r, _mm512_movepi16_mask(w), zero, r);
        let c = counts.as_mut_ptr().add(j);
        add_widened16(c, _mm512_castsi512_si256(r));
        add_widened16(c.add(16), _mm512_extracti64x4_epi64::<1>(r));
        j += 32;
    }
    j
}

/// [`look_up_add`] for `len <= 256` with the table in registers: its
/// `len + 1 <= 257` entries as 16-bit words in four 64-entry halves of
/// `vpermt2w` tables (entry 256 broadcast), 32 look-ups per permute, no
/// gathers. Returns how many leading entries of `row` it did (a multiple
/// of 32); 0 when some table entry is above `i16::MAX` (the 16-bit lanes
/// could not hold it or its negation), leaving all to the gathers.
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn look_up_add_permute(row: &[i16], table: &[u32], len: usize, counts: &mut [i32]) -> usize {
    // The caller checked table.len() > len; entries past len read as 0
    // (never selected: every index is clamped to len).
    let entries = (len + 1).min(table.len()).min(257);
    let top = if entries == 257 { table[256] } else { 0 };
    let mut seen = _mm512_set1_epi32(top as i32);
    let half = core::array::from_fn::<_, 16, _>(|g| {
        let t = table_group(table, entries, g);
        seen = _mm512_or_si512(seen, t);
        _mm512_cvtepi32_epi16(t)
    });
    if _mm512_cmpgt_epu32_mask(seen, _mm512_set1_epi32(i32::from(i16::MAX))) != 0 {
        return 0;
    }
    let pair = |g: usize| _mm512_inserti64x4::<1>(_mm512_castsi256_si512(half[g]), half[g + 1]);
    let t: [__m512i; 8] = core::array::from_fn(|k| pair(2 * k));
    let t256 = _mm512_set1_epi16(top as i16);
    let pick = |idx| {
        // Each permute reads entries 64 k .. 64 k + 63 by the index's low
        // six bits; bits 6, 7 and 8 pick among them.
        let r0 = _mm512_permutex2var_epi16(t[0], idx, t[1]);
        let r1 = _mm512_permutex2var_epi16(t[2], idx, t[3]);
        let r2 = _mm512_permutex2var_epi16(t[4], idx, t[5]);
        let r3 = _mm512_permutex2var_epi16(t[6], idx, t[7]);
        let b6 = _mm512_movepi16_mask(_mm512_slli_epi16::<9>(idx));
        let b7 = _mm512_movepi16_mask(_mm512_slli_epi16::<8>(idx));
        let b8 = _mm512_movepi16_mask(_mm512_slli_epi16::<7>(idx));
        let r01 = _mm512_mask_blend_epi16(b6, r0, r1);
        let r23 = _mm512_mask_blend_epi16(b6, r2, r3);
        _mm512_mask_blend_epi16(b8, _mm512_mask_blend_epi16(b7, r01, r23), t256)
    };
    look_up_lanes(row, len, counts, pick)
}

/// The byte form of input `p`'s prefix table built in four registers and
/// the byte-row look-up on it (see
/// [`super::super::Kernels::prefix_look_up_bytes`]): 32 comparisons of
/// 16-bit values per mask, the 256-bit mask shifted up one bit (entry `n`
/// counts the steps below `n`), each 64 bits spread to byte lanes of 0 or
/// 1 and scanned across the lanes (six byte-permute-and-add rounds), the
/// last lane carried into the next register; every entry is at most 255.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
unsafe fn prefix_look_up_bytes<'a>(q: &[u16], p: u32, rows: impl IntoIterator<Item = ByteRow<'a>>) {
    let mut w = [0u32; 8];
    below_masks(q, p, &mut w);
    let m: [u64; 4] = core::array::from_fn(|k| u64::from(w[2 * k]) | u64::from(w[2 * k + 1]) << 32);
    let shifted = [
        m[0] << 1,
        m[1] << 1 | m[0] >> 63,
        m[2] << 1 | m[1] >> 63,
        m[3] << 1 | m[2] >> 63,
    ];
    let one = _mm512_set1_epi8(1);
    let iota = _mm512_loadu_si512(IOTA8.as_ptr() as *const _);
    let mut carry = _mm512_setzero_si512();
    let t: [__m512i; 4] = core::array::from_fn(|r| {
        let mut x = _mm512_maskz_mov_epi8(shifted[r], one);
        for k in [1u8, 2, 4, 8, 16, 32] {
            let idx = _mm512_sub_epi8(iota, _mm512_set1_epi8(k as i8));
            let from = _mm512_maskz_permutexvar_epi8(u64::MAX << k, idx, x);
            x = _mm512_add_epi8(x, from);
        }
        x = _mm512_add_epi8(x, carry);
        carry = _mm512_permutexvar_epi8(_mm512_set1_epi8(63), x);
        x
    });
    let low = _mm512_set1_epi16(0xFF);
    for ByteRow { mag, sign, acc } in rows {
        let groups = (mag.len() / 64).min(sign.len()).min(acc.len() / 64);
        for (g, &s) in sign.iter().enumerate().take(groups) {
            // SAFETY: g < groups, so 64 g + 64 <= mag.len() and acc.len().
            let w = _mm512_loadu_si512(mag.as_ptr().add(64 * g) as *const _);
            let r0 = _mm512_permutex2var_epi8(t[0], w, t[1]);
            let r1 = _mm512_permutex2var_epi8(t[2], w, t[3]);
            let r = _mm512_mask_blend_epi8(_mm512_movepi8_mask(w), r0, r1);
            let (lo, hi) = (_mm512_and_si512(r, low), _mm512_srli_epi16::<8>(r));
            let a = acc.as_mut_ptr().add(64 * g);
            let a0 = _mm512_loadu_si512(a as *const _);
            let a1 = _mm512_loadu_si512(a.add(32) as *const _);
            let a0 = _mm512_mask_sub_epi16(_mm512_add_epi16(a0, lo), s as u32, a0, lo);
            let a1 = _mm512_mask_sub_epi16(_mm512_add_epi16(a1, hi), (s >> 32) as u32, a1, hi);
            _mm512_storeu_si512(a as *mut _, a0);
            _mm512_storeu_si512(a.add(32) as *mut _, a1);
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn unpack(words: &[u64], out: &mut [u8]) {
    let n = out.len().min(64 * words.len());
    let one = _mm512_set1_epi8(1);
    for (k, &w) in words.iter().enumerate().take(n.div_ceil(64)) {
        let have = (n - 64 * k).min(64);
        let m = if have == 64 {
            u64::MAX
        } else {
            (1u64 << have) - 1
        };
        // SAFETY: only the `have` bytes 64 k .. 64 k + have <= n <=
        // out.len() are written.
        _mm512_mask_storeu_epi8(
            out.as_mut_ptr().add(64 * k) as *mut _,
            m,
            _mm512_maskz_mov_epi8(w, one),
        );
    }
}

/// `masks[t]` bit `k` = `q[32 t + k] < p` (unsigned; zero past `q`), for
/// the first `32 * masks.len()` values, 32 comparisons of 16-bit values at
/// once; `p >= 65536` is above every value.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn below_masks(q: &[u16], p: u32, masks: &mut [u32]) {
    let len = q.len().min(32 * masks.len());
    let pv = _mm512_set1_epi16(p.min(0xFFFF) as u16 as i16);
    for (t, m) in masks.iter_mut().enumerate().take(len.div_ceil(32)) {
        let have = (len - 32 * t).min(32);
        let k = if have == 32 {
            u32::MAX
        } else {
            (1u32 << have) - 1
        };
        // SAFETY: only the `have` lanes 32 t .. 32 t + have <= len are read.
        let x = _mm512_maskz_loadu_epi16(k, q.as_ptr().add(32 * t) as *const _);
        *m = if p > 0xFFFF {
            k
        } else {
            _mm512_mask_cmplt_epu16_mask(k, x, pv)
        };
    }
}

/// 0, 1, .., 63 as bytes (the lane numbers of the scans).
static IOTA8: [u8; 64] = {
    let mut a = [0u8; 64];
    let mut i = 0;
    while i < 64 {
        a[i] = i as u8;
        i += 1;
    }
    a
};

/// The step form of input `p`'s prefix table built in registers and
/// looked up at once (see
/// [`super::super::Kernels::prefix_look_up_steps`]): 32 comparisons of
/// 16-bit values per mask, the 64 masks' halves are the steps, their
/// 16-bit popcounts scanned across the lanes (five permute-and-add rounds
/// per register) give the bases. `q.len() <= 1024` (checked by the
/// caller); each row of `rows` is then looked up in full.
#[target_feature(enable = "avx512f,avx512bw,avx512bitalg,popcnt")]
unsafe fn prefix_look_up_steps<'a>(q: &[u16], p: u32, rows: impl IntoIterator<Item = StepRow<'a>>) {
    let mut masks = [0u32; 32];
    below_masks(q, p, &mut masks);
    // SAFETY: `masks` is 128 bytes: two 64-byte loads (steps 0..31 and
    // 32..63 as 16-bit lanes, little-endian).
    let s0 = _mm512_loadu_si512(masks.as_ptr() as *const _);
    let s1 = _mm512_loadu_si512(masks.as_ptr().add(16) as *const _);
    let (c0, c1) = (_mm512_popcnt_epi16(s0), _mm512_popcnt_epi16(s1));
    // Inclusive scans: lane i adds lane i - k for k = 1, 2, 4, 8, 16.
    // SAFETY: IOTA8 has 64 bytes; the first 32, widened.
    let iota = _mm512_cvtepu8_epi16(_mm256_loadu_si256(IOTA8.as_ptr() as *const _));
    let scan = |mut x: __m512i| {
        for k in [1u16, 2, 4, 8, 16] {
            let idx = _mm512_sub_epi16(iota, _mm512_set1_epi16(k as i16));
            let from = _mm512_maskz_permutexvar_epi16(u32::MAX << k, idx, x);
            x = _mm512_add_epi16(x, from);
        }
        x
    };
    let i0 = scan(c0);
    let carry = _mm512_permutexvar_epi16(_mm512_set1_epi16(31), i0);
    let i1 = _mm512_add_epi16(scan(c1), carry);
    let t = [_mm512_sub_epi16(i0, c0), _mm512_sub_epi16(i1, c1), s0, s1];
    for StepRow { codes, acc } in rows {
        look_up_codes(codes, t, acc);
    }
}

/// The loop of the step-code look-ups over a table in registers: `t` =
/// bases 0..31, bases 32..63, steps 0..31, steps 32..63 (16-bit lanes).
/// `vpermt2w` picks by the code's low 6 bits, the steps below `b` are
/// shifted to the top (`vpsllvw` by `16 - b`, 16 or more giving 0) and
/// counted with AVX-512 BITALG's 16-bit popcount, and the sign bit picks
/// add or subtract; 32 look-ups at a time, the last lanes masked, over
/// the common length of `codes` and `acc`.
#[target_feature(enable = "avx512f,avx512bw,avx512bitalg,popcnt")]
#[inline]
unsafe fn look_up_codes(codes: &[u16], t: [__m512i; 4], acc: &mut [i16]) {
    let [b0, b1, s0, s1] = t;
    let sign = _mm512_set1_epi16(STEP_CODE_NEGATIVE as i16);
    // Code vector `w` added into the sums `x`.
    let add = |w: __m512i, x: __m512i| {
        let r = _mm512_permutex2var_epi16(b0, w, b1);
        let st = _mm512_permutex2var_epi16(s0, w, s1);
        let below = _mm512_sllv_epi16(st, _mm512_srli_epi16::<8>(w));
        let v = _mm512_add_epi16(r, _mm512_popcnt_epi16(below));
        let neg = _mm512_test_epi16_mask(w, sign);
        _mm512_mask_sub_epi16(_mm512_add_epi16(x, v), neg, x, v)
    };
    let n = codes.len().min(acc.len());
    let mut j = 0;
    while j + 32 <= n {
        // SAFETY: j + 32 <= n <= both lengths.
        let w = _mm512_loadu_si512(codes.as_ptr().add(j) as *const _);
        let c = acc.as_mut_ptr().add(j);
        _mm512_storeu_si512(c as *mut _, add(w, _mm512_loadu_si512(c as *const _)));
        j += 32;
    }
    if j < n {
        // SAFETY: the masked loads and store touch only the lanes j .. n
        // of both slices (no fault on the others).
        let m: __mmask32 = (1u32 << (n - j)) - 1;
        let w = _mm512_maskz_loadu_epi16(m, codes.as_ptr().add(j) as *const _);
        let c = acc.as_mut_ptr().add(j);
        let x = add(w, _mm512_maskz_loadu_epi16(m, c as *const _));
        _mm512_mask_storeu_epi16(c as *mut _, m, x);
    }
}

/// `sum popcount` of the `n` words that `load(k)` gives 8 at a time (those
/// from `k`, called only with `k + 8 <= n`) and `load_masked(m, k)` the
/// words from `k` in the lanes of mask `m` (the others zero; called with
/// `k + 8 > n` only for lanes below `n`, and `m` may be 0).
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
#[inline]
unsafe fn popcount_with(
    n: usize,
    load: impl Fn(usize) -> __m512i,
    load_masked: impl Fn(__mmask8, usize) -> __m512i,
) -> u64 {
    if n <= 16 {
        // Up to one stream of L = 1024: two masked loads and no loop.
        // Each lane's sum is at most 128: narrowed to bytes, one `psadbw`
        // adds the eight.
        let m = (1u32 << n) - 1;
        let lo = _mm512_popcnt_epi64(load_masked(m as u8, 0));
        let hi = _mm512_popcnt_epi64(load_masked((m >> 8) as u8, 8));
        let bytes = _mm512_cvtepi64_epi8(_mm512_add_epi64(lo, hi));
        return _mm_cvtsi128_si64(_mm_sad_epu8(bytes, _mm_setzero_si128())) as u64;
    }
    let (mut acc0, mut acc1, mut k) = super::popcount_rounds::<8, _>(
        n,
        _mm512_setzero_si512(),
        |k| _mm512_popcnt_epi64(load(k)),
        |x, y| _mm512_add_epi64(x, y),
    );
    if k + 8 <= n {
        acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(load(k)));
        k += 8;
    }
    if k < n {
        let m: __mmask8 = ((1u16 << (n - k)) - 1) as u8;
        acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(load_masked(m, k)));
    }
    _mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1)) as u64
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn popcount(a: &[u64]) -> u64 {
    // One load per word. SAFETY: `load` reads words k .. k + 8 <= n, and
    // a masked load only the lanes in bounds (and does not fault on the
    // others; its address may be past the end, hence `wrapping_add`).
    let p = a.as_ptr();
    popcount_with(
        a.len(),
        |k| _mm512_loadu_si512(p.add(k) as *const _),
        |m, k| _mm512_maskz_loadu_epi64(m, p.wrapping_add(k) as *const _),
    )
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
    // SAFETY: as in `popcount`, for each of `a` and `b`.
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    popcount_with(
        a.len().min(b.len()),
        |k| {
            let x = _mm512_loadu_si512(pa.add(k) as *const _);
            _mm512_and_si512(x, _mm512_loadu_si512(pb.add(k) as *const _))
        },
        |m, k| {
            let x = _mm512_maskz_loadu_epi64(m, pa.wrapping_add(k) as *const _);
            _mm512_and_si512(
                x,
                _mm512_maskz_loadu_epi64(m, pb.wrapping_add(k) as *const _),
            )
        },
    )
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn popcount_per_word(a: &[u64], out: &mut [u32]) {
    let n = a.len().min(out.len());
    let mut k = 0;
    while k + 8 <= n {
        // SAFETY: k + 8 <= n for both the 8-word load and the 8-u32 store.
        let c = _mm512_popcnt_epi64(_mm512_loadu_si512(a.as_ptr().add(k) as *const _));
        _mm256_storeu_si256(
            out.as_mut_ptr().add(k) as *mut __m256i,
            _mm512_cvtepi64_epi32(c),
        );
        k += 8;
    }
    popcnt::popcount_per_word(&a[k..n], &mut out[k..n]);
}

#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn pack(bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
    let full = bits.len() / 64;
    // Validation ORs the bytes (a byte above 1 leaves a bit above bit 0 in
    // the OR), checked once at the end; bit 0 of each byte, shifted to its
    // sign bit (a 16-bit shift by 7 moves each byte's bit 0 to its bit 7),
    // is the packed bit. One shuffle-port op per 64 bytes instead of two
    // compares.
    let mut seen = _mm512_setzero_si512();
    for k in 0..full.min(out.len()) {
        // SAFETY: 64 * (k + 1) <= bits.len().
        let v = _mm512_loadu_si512(bits.as_ptr().add(64 * k) as *const _);
        seen = _mm512_or_si512(seen, v);
        out[k] = _mm512_movepi8_mask(_mm512_slli_epi16::<7>(v));
    }
    let bad = _mm512_cmpgt_epu8_mask(seen, _mm512_set1_epi8(1)) != 0;
    portable::pack_tail(bits, out, full, bad)
}

portable_kernels! {
    "avx512f":
    fn binary(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]);
    fn mux(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]);
    fn not(a: &[u64], out: &mut [u64]);
}

#[target_feature(enable = "avx512f")]
unsafe fn xor_reduce(a: &[u64]) -> u64 {
    let n = a.len();
    let mut acc = [_mm512_setzero_si512(); 4];
    let mut k = 0;
    while k + 32 <= n {
        // SAFETY: k + 32 <= n, so the four 8-word loads are in bounds.
        let p = a.as_ptr().add(k);
        for (j, x) in acc.iter_mut().enumerate() {
            *x = _mm512_xor_si512(*x, _mm512_loadu_si512(p.add(8 * j) as *const _));
        }
        k += 32;
    }
    let v = _mm512_xor_si512(
        _mm512_xor_si512(acc[0], acc[1]),
        _mm512_xor_si512(acc[2], acc[3]),
    );
    let mut lanes = [0u64; 8];
    _mm512_storeu_si512(lanes.as_mut_ptr() as *mut _, v);
    lanes
        .iter()
        .fold(portable::xor_reduce(&a[k..]), |x, &y| x ^ y)
}

#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn and_popcount_xb(w: &[u64], xs: [&[u64]; BLOCK_SAMPLES]) -> [u64; BLOCK_SAMPLES] {
    let n = xs.iter().fold(w.len(), |m, x| m.min(x.len()));
    let mut acc = [_mm512_setzero_si512(); BLOCK_SAMPLES];
    let mut k = 0;
    while k + 8 <= n {
        // SAFETY: k + 8 <= n <= every slice's length.
        let wv = _mm512_loadu_si512(w.as_ptr().add(k) as *const _);
        for (a, x) in acc.iter_mut().zip(xs.iter()) {
            let xv = _mm512_loadu_si512(x.as_ptr().add(k) as *const _);
            *a = _mm512_add_epi64(*a, _mm512_popcnt_epi64(_mm512_and_si512(wv, xv)));
        }
        k += 8;
    }
    let mut out = [0u64; BLOCK_SAMPLES];
    for (o, (a, x)) in out.iter_mut().zip(acc.iter().zip(xs.iter())) {
        *o = _mm512_reduce_add_epi64(*a) as u64 + popcnt::and_popcount(&w[k..n], &x[k..n]);
    }
    out
}

float_kernels!("avx512f", Avx512Token);
