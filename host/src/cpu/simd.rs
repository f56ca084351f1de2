//! Word kernels with runtime SIMD dispatch. Every function has the same
//! result at every [`SimdLevel`]; the property tests compare each level
//! with `sc-kernel`.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Instruction-set level of the word kernels.
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
    /// The best level this CPU supports.
    pub fn detect() -> Self {
        Self::available()
            .into_iter()
            .max()
            .unwrap_or(SimdLevel::Portable)
    }

    /// Every level this CPU supports (always includes `Portable`).
    pub fn available() -> Vec<Self> {
        let mut v = vec![SimdLevel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("popcnt") {
                v.push(SimdLevel::Popcnt);
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("popcnt") {
                v.push(SimdLevel::Avx2);
            }
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vpopcntdq")
                && is_x86_feature_detected!("popcnt")
            {
                v.push(SimdLevel::Avx512);
            }
        }
        #[cfg(target_arch = "aarch64")]
        {
            if std::arch::is_aarch64_feature_detected!("neon") {
                v.push(SimdLevel::Neon);
            }
        }
        v
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

    /// True if this CPU supports the level.
    pub fn is_available(self) -> bool {
        Self::available().contains(&self)
    }
}

// ------------------------------------------------------------------ AND+popcount

fn and_popcount_portable(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x & y).count_ones() as u64)
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn and_popcount_popcnt(a: &[u64], b: &[u64]) -> u64 {
    let n = a.len().min(b.len());
    let (mut s0, mut s1, mut s2, mut s3) = (0u64, 0u64, 0u64, 0u64);
    let mut k = 0;
    while k + 4 <= n {
        s0 += (a[k] & b[k]).count_ones() as u64;
        s1 += (a[k + 1] & b[k + 1]).count_ones() as u64;
        s2 += (a[k + 2] & b[k + 2]).count_ones() as u64;
        s3 += (a[k + 3] & b[k + 3]).count_ones() as u64;
        k += 4;
    }
    while k < n {
        s0 += (a[k] & b[k]).count_ones() as u64;
        k += 1;
    }
    s0 + s1 + s2 + s3
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn and_popcount_avx2(a: &[u64], b: &[u64]) -> u64 {
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
    lanes.iter().sum::<u64>() + and_popcount_popcnt(&a[k..n], &b[k..n])
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn and_popcount_avx512(a: &[u64], b: &[u64]) -> u64 {
    let n = a.len().min(b.len());
    let mut acc0 = _mm512_setzero_si512();
    let mut acc1 = _mm512_setzero_si512();
    let mut k = 0;
    while k + 16 <= n {
        // SAFETY: k + 16 <= n, so both 8-word loads are in bounds.
        let x0 = _mm512_loadu_si512(a.as_ptr().add(k) as *const _);
        let y0 = _mm512_loadu_si512(b.as_ptr().add(k) as *const _);
        let x1 = _mm512_loadu_si512(a.as_ptr().add(k + 8) as *const _);
        let y1 = _mm512_loadu_si512(b.as_ptr().add(k + 8) as *const _);
        acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(_mm512_and_si512(x0, y0)));
        acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(_mm512_and_si512(x1, y1)));
        k += 16;
    }
    if k + 8 <= n {
        let x0 = _mm512_loadu_si512(a.as_ptr().add(k) as *const _);
        let y0 = _mm512_loadu_si512(b.as_ptr().add(k) as *const _);
        acc0 = _mm512_add_epi64(acc0, _mm512_popcnt_epi64(_mm512_and_si512(x0, y0)));
        k += 8;
    }
    if k < n {
        // Masked tail: lanes past the end load as zero.
        let m: __mmask8 = ((1u16 << (n - k)) - 1) as u8;
        let x = _mm512_maskz_loadu_epi64(m, a.as_ptr().add(k) as *const _);
        let y = _mm512_maskz_loadu_epi64(m, b.as_ptr().add(k) as *const _);
        acc1 = _mm512_add_epi64(acc1, _mm512_popcnt_epi64(_mm512_and_si512(x, y)));
    }
    _mm512_reduce_add_epi64(_mm512_add_epi64(acc0, acc1)) as u64
}

#[cfg(target_arch = "aarch64")]
#[target_feature(enable = "neon")]
unsafe fn and_popcount_neon(a: &[u64], b: &[u64]) -> u64 {
    use std::arch::aarch64::*;
    let n = a.len().min(b.len());
    let mut acc = vdupq_n_u64(0);
    let mut k = 0;
    while k + 2 <= n {
        // SAFETY: k + 2 <= n.
        let x = vld1q_u64(a.as_ptr().add(k));
        let y = vld1q_u64(b.as_ptr().add(k));
        let c = vcntq_u8(vreinterpretq_u8_u64(vandq_u64(x, y)));
        acc = vaddq_u64(acc, vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(c))));
        k += 2;
    }
    vaddvq_u64(acc) + and_popcount_portable(&a[k..n], &b[k..n])
}

/// `sum_k popcount(a[k] & b[k])` over the common length.
#[inline]
pub fn and_popcount(level: SimdLevel, a: &[u64], b: &[u64]) -> u64 {
    match level {
        // SAFETY: a level is only constructed for CPUs that support it
        // (CpuBackend checks `is_available`).
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { and_popcount_avx512(a, b) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { and_popcount_avx2(a, b) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Popcnt => unsafe { and_popcount_popcnt(a, b) },
        #[cfg(target_arch = "aarch64")]
        SimdLevel::Neon => unsafe { and_popcount_neon(a, b) },
        _ => and_popcount_portable(a, b),
    }
}

// ------------------------------------------------------------------ per-word popcount

fn per_word_portable(a: &[u64], out: &mut [u32]) {
    for (o, &w) in out.iter_mut().zip(a) {
        *o = w.count_ones();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn per_word_popcnt(a: &[u64], out: &mut [u32]) {
    per_word_portable(a, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn per_word_avx512(a: &[u64], out: &mut [u32]) {
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
    per_word_popcnt(&a[k..n], &mut out[k..n]);
}

/// `out[k] = popcount(a[k])`.
pub fn popcount_per_word(level: SimdLevel, a: &[u64], out: &mut [u32]) {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { per_word_avx512(a, out) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Popcnt | SimdLevel::Avx2 => unsafe { per_word_popcnt(a, out) },
        _ => per_word_portable(a, out),
    }
}

// ------------------------------------------------------------------ pack

/// Pack 0/1 bytes into words (bit `t` of word `t / 64` at `t % 64`); the
/// last word's padding is zero. Returns the index of the first byte that
/// is not 0 or 1. `out.len()` must be `ceil(bits.len() / 64)`.
fn pack_portable(bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
    for (o, chunk) in out.iter_mut().zip(bits.chunks(64)) {
        let mut w = 0u64;
        let mut bad = 0u8;
        for (i, &b) in chunk.iter().enumerate() {
            bad |= b;
            w |= ((b & 1) as u64) << i;
        }
        if bad > 1 {
            return Err(first_bad(bits));
        }
        *o = w;
    }
    Ok(())
}

fn first_bad(bits: &[u8]) -> usize {
    bits.iter().position(|&b| b > 1).unwrap_or(0)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn pack_avx2(bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
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
    if _mm256_movemask_epi8(gt) != -1 {
        return Err(first_bad(bits));
    }
    pack_portable(&bits[64 * full..], &mut out[full..])
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn pack_avx512(bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
    let full = bits.len() / 64;
    let one = _mm512_set1_epi8(1);
    let mut bad: u64 = 0;
    for k in 0..full.min(out.len()) {
        // SAFETY: 64 * (k + 1) <= bits.len().
        let v = _mm512_loadu_si512(bits.as_ptr().add(64 * k) as *const _);
        bad |= _mm512_cmpgt_epu8_mask(v, one);
        out[k] = _mm512_test_epi8_mask(v, v);
    }
    if bad != 0 {
        return Err(first_bad(bits));
    }
    pack_portable(&bits[64 * full..], &mut out[full..])
}

/// See [`pack_portable`].
pub fn pack(level: SimdLevel, bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { pack_avx512(bits, out) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { pack_avx2(bits, out) },
        _ => pack_portable(bits, out),
    }
}

// ------------------------------------------------------------------ bitwise

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

#[inline(always)]
fn binary_body(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]) {
    let it = out.iter_mut().zip(a.iter().zip(b));
    match op {
        WordOp::And => it.for_each(|(o, (&x, &y))| *o = x & y),
        WordOp::Or => it.for_each(|(o, (&x, &y))| *o = x | y),
        WordOp::Xor => it.for_each(|(o, (&x, &y))| *o = x ^ y),
        WordOp::Xnor => it.for_each(|(o, (&x, &y))| *o = !(x ^ y)),
    }
}

#[inline(always)]
fn mux_body(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    for (o, ((&s, &x), &y)) in out.iter_mut().zip(s.iter().zip(a).zip(b)) {
        *o = (s & x) | (!s & y);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn binary_avx2(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]) {
    binary_body(op, a, b, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn binary_avx512(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]) {
    binary_body(op, a, b, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn mux_avx2(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    mux_body(s, a, b, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn mux_avx512(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    mux_body(s, a, b, out)
}

/// `out[k] = op(a[k], b[k])` (no padding handling).
pub fn binary(level: SimdLevel, op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]) {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { binary_avx512(op, a, b, out) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { binary_avx2(op, a, b, out) },
        _ => binary_body(op, a, b, out),
    }
}

/// `out[k] = (s[k] & a[k]) | (!s[k] & b[k])` (no padding handling).
pub fn mux(level: SimdLevel, s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { mux_avx512(s, a, b, out) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { mux_avx2(s, a, b, out) },
        _ => mux_body(s, a, b, out),
    }
}

#[inline(always)]
fn not_body(a: &[u64], out: &mut [u64]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = !x;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn not_avx2(a: &[u64], out: &mut [u64]) {
    not_body(a, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn not_avx512(a: &[u64], out: &mut [u64]) {
    not_body(a, out)
}

/// `out[k] = !a[k]` (no padding handling).
pub fn not(level: SimdLevel, a: &[u64], out: &mut [u64]) {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { not_avx512(a, out) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { not_avx2(a, out) },
        _ => not_body(a, out),
    }
}

// ------------------------------------------------------------------ read

#[inline(always)]
fn xor_body(a: &[u64]) -> u64 {
    // Eight independent lanes so the loop vectorises and is load-bound.
    let mut acc = [0u64; 8];
    let mut chunks = a.chunks_exact(8);
    for c in &mut chunks {
        for (x, &w) in acc.iter_mut().zip(c) {
            *x ^= w;
        }
    }
    chunks
        .remainder()
        .iter()
        .fold(acc.iter().fold(0, |x, &y| x ^ y), |x, &y| x ^ y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn xor_avx2(a: &[u64]) -> u64 {
    xor_body(a)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn xor_avx512(a: &[u64]) -> u64 {
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
    lanes.iter().fold(xor_body(&a[k..]), |x, &y| x ^ y)
}

/// XOR of all words: a pure streaming read (for bandwidth ceilings).
pub fn xor_reduce(level: SimdLevel, a: &[u64]) -> u64 {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { xor_avx512(a) },
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx2 => unsafe { xor_avx2(a) },
        _ => xor_body(a),
    }
}

// ------------------------------------------------------------------ blocked MAC

/// Samples per register block of [`and_popcount_xb`].
pub const BLOCK_SAMPLES: usize = 8;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vpopcntdq,popcnt")]
unsafe fn and_popcount_xb_avx512(w: &[u64], xs: [&[u64]; BLOCK_SAMPLES]) -> [u64; BLOCK_SAMPLES] {
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
        *o = _mm512_reduce_add_epi64(*a) as u64 + and_popcount_popcnt(&w[k..n], &x[k..n]);
    }
    out
}

/// `[and_popcount(w, xs[s]) for s in 0..BLOCK_SAMPLES]`, loading each word of `w` once
/// (the batched MAC's inner loop).
pub fn and_popcount_xb(
    level: SimdLevel,
    w: &[u64],
    xs: [&[u64]; BLOCK_SAMPLES],
) -> [u64; BLOCK_SAMPLES] {
    match level {
        // SAFETY: see `and_popcount`.
        #[cfg(target_arch = "x86_64")]
        SimdLevel::Avx512 => unsafe { and_popcount_xb_avx512(w, xs) },
        _ => xs.map(|x| and_popcount(level, w, x)),
    }
}
