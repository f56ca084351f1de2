//! Plain-Rust word kernels for any CPU. They define every kernel's result;
//! the ISA modules reuse the bodies marked `#[inline(always)]` inside their
//! `#[target_feature]` functions so the compiler vectorises them for the
//! wider registers.

use super::{ByteRow, StepRow, WordOp, STEP_CODE_INDEX, STEP_CODE_NEGATIVE};
use crate::real::Real;

/// `sum_k popcount(a[k])`.
pub(super) fn popcount(a: &[u64]) -> u64 {
    a.iter().map(|&x| x.count_ones() as u64).sum()
}

/// `sum_k popcount(a[k] & b[k])` over the common length.
pub(super) fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x & y).count_ones() as u64)
        .sum()
}

/// `out[k] = popcount(a[k])`.
pub(super) fn popcount_per_word(a: &[u64], out: &mut [u32]) {
    for (o, &w) in out.iter_mut().zip(a) {
        *o = w.count_ones();
    }
}

/// Pack 0/1 bytes into words (bit `t` of word `t / 64` at `t % 64`); the
/// last word's padding is zero. Returns the index of the first byte that
/// is not 0 or 1. `out.len()` must be `ceil(bits.len() / 64)`.
pub(super) fn pack(bits: &[u8], out: &mut [u64]) -> Result<(), usize> {
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

/// Index of the first byte that is not 0 or 1 (0 if there is none).
pub(super) fn first_bad(bits: &[u8]) -> usize {
    bits.iter().position(|&b| b > 1).unwrap_or(0)
}

/// The end of a SIMD [`pack`] that has packed the first `full` words of
/// `out` and found a byte > 1 in them if `bad`: the error at the first
/// such byte, or the tail packed here.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(super) fn pack_tail(bits: &[u8], out: &mut [u64], full: usize, bad: bool) -> Result<(), usize> {
    if bad {
        return Err(first_bad(bits));
    }
    // The tail's error index is relative to the tail.
    pack(&bits[64 * full..], &mut out[full..]).map_err(|i| 64 * full + i)
}

/// `out[k] = op(a[k], b[k])`.
#[inline(always)]
pub(super) fn binary(op: WordOp, a: &[u64], b: &[u64], out: &mut [u64]) {
    let it = out.iter_mut().zip(a.iter().zip(b));
    match op {
        WordOp::And => it.for_each(|(o, (&x, &y))| *o = x & y),
        WordOp::Or => it.for_each(|(o, (&x, &y))| *o = x | y),
        WordOp::Xor => it.for_each(|(o, (&x, &y))| *o = x ^ y),
        WordOp::Xnor => it.for_each(|(o, (&x, &y))| *o = !(x ^ y)),
    }
}

/// `out[k] = (s[k] & a[k]) | (!s[k] & b[k])`.
#[inline(always)]
pub(super) fn mux(s: &[u64], a: &[u64], b: &[u64], out: &mut [u64]) {
    for (o, ((&s, &x), &y)) in out.iter_mut().zip(s.iter().zip(a).zip(b)) {
        *o = (s & x) | (!s & y);
    }
}

/// `out[k] = !a[k]`.
#[inline(always)]
pub(super) fn not(a: &[u64], out: &mut [u64]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = !x;
    }
}

/// XOR of all words.
#[inline(always)]
pub(super) fn xor_reduce(a: &[u64]) -> u64 {
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

/// `counts[j] += sign(row[j]) * table[min(|row[j]|, len)]`; `table` has
/// more than `len` entries (checked by the caller).
pub fn look_up_add(row: &[i16], table: &[u32], len: usize, counts: &mut [i32]) {
    for (c, &w) in counts.iter_mut().zip(row) {
        let n = table
            .get((w.unsigned_abs() as usize).min(len))
            .copied()
            .unwrap_or(0) as i32;
        *c = c.wrapping_add(if w < 0 { n.wrapping_neg() } else { n });
    }
}

/// The step form of `p`'s prefix table (see
/// [`super::Kernels::prefix_look_up_steps`]): `out[a] = T[16 a] | steps[a] << 16`
/// for `a = 0..=q.len() / 16`, bit `k` of `steps[a]` being `q[16 a + k] <
/// p`; `q.len() < 65536` and `out.len() > q.len() / 16` (checked by the
/// caller).
pub fn prefix_steps(q: &[u16], p: u32, out: &mut [u32]) {
    let mut acc = 0u32;
    for (a, o) in out.iter_mut().enumerate().take(q.len() / 16 + 1) {
        let bits = q
            .iter()
            .skip(16 * a)
            .take(16)
            .enumerate()
            .fold(0u32, |m, (k, &r)| m | u32::from(u32::from(r) < p) << k);
        *o = acc | bits << 16;
        acc += bits.count_ones();
    }
}

/// The step-code look-up (see [`super::Kernels::prefix_look_up_steps`]):
/// `acc[j] += base[a] + popcount(steps[a] << c mod 2^16)` (0 for `c >=
/// 16`), subtracted for a negative code, wrapping, with `a` and `c` from
/// `codes[j]`; `steps` past its end reads 0.
pub fn look_up_steps(codes: &[u16], steps: &[u32], acc: &mut [i16]) {
    for (x, &code) in acc.iter_mut().zip(codes) {
        let e = steps
            .get(usize::from(code & STEP_CODE_INDEX))
            .copied()
            .unwrap_or(0);
        let c = u32::from(code >> 8);
        let below = if c >= 16 {
            0
        } else {
            ((e >> 16) << c) & 0xFFFF
        };
        let v = (e as u16).wrapping_add(below.count_ones() as u16) as i16;
        *x = if code & STEP_CODE_NEGATIVE != 0 {
            x.wrapping_sub(v)
        } else {
            x.wrapping_add(v)
        };
    }
}

/// [`prefix_steps`] of `q` and `p` then [`look_up_steps`] of each row (see
/// [`super::Kernels::prefix_look_up_steps`]); `q.len() <= 1024`.
pub fn prefix_look_up_steps<'a>(q: &[u16], p: u32, rows: impl IntoIterator<Item = StepRow<'a>>) {
    let mut steps = [0u32; super::STEPS_MAX_LEN / 16 + 1];
    prefix_steps(q, p, &mut steps);
    for r in rows {
        look_up_steps(r.codes, &steps, r.acc);
    }
}

/// `out[t] = bit t of words` (0 or 1) for `t < min(out.len(), 64 *
/// words.len())`; bytes past that are left alone.
pub fn unpack(words: &[u64], out: &mut [u8]) {
    for (o, &w) in out.chunks_mut(64).zip(words) {
        for (t, b) in o.iter_mut().enumerate() {
            *b = ((w >> t) & 1) as u8;
        }
    }
}

/// The byte form of `p`'s prefix table (see
/// [`super::Kernels::prefix_look_up_bytes`]): `out[n] = #{k < min(n, q.len()) :
/// q[k] < p}` for `n < 256` (at most 255).
pub fn prefix_bytes(q: &[u16], p: u32, out: &mut [u8; 256]) {
    let mut acc = 0u8;
    for (n, o) in out.iter_mut().enumerate() {
        *o = acc;
        // acc counts k < n <= 255 and so stays below 256.
        let below = q.get(n).is_some_and(|&r| u32::from(r) < p);
        acc = acc.wrapping_add(u8::from(below));
    }
}

/// [`prefix_bytes`] of `q` and `p` then [`look_up_bytes`] of each row (see
/// [`super::Kernels::prefix_look_up_bytes`]).
pub fn prefix_look_up_bytes<'a>(q: &[u16], p: u32, rows: impl IntoIterator<Item = ByteRow<'a>>) {
    let mut table = [0u8; 256];
    prefix_bytes(q, p, &mut table);
    for r in rows {
        look_up_bytes(r.mag, r.sign, &table, r.acc);
    }
}

/// The byte-row look-up (see [`super::Kernels::prefix_look_up_bytes`]): in each
/// whole group `g` of 64 lanes, byte `2 k + h` of `mag` is lane `32 h + k`,
/// and `acc[64 g + lane] += table[byte]`, negated where bit `lane` of
/// `sign[g]` is set (wrapping).
pub fn look_up_bytes(mag: &[u8], sign: &[u64], table: &[u8; 256], acc: &mut [i16]) {
    let groups = (mag.len() / 64).min(sign.len()).min(acc.len() / 64);
    for ((m, &s), a) in mag
        .chunks_exact(64)
        .zip(sign)
        .zip(acc.chunks_exact_mut(64))
        .take(groups)
    {
        for (b, &x) in m.iter().enumerate() {
            let lane = b / 2 + 32 * (b % 2);
            let v = i16::from(table[usize::from(x)]);
            a[lane] = if s >> lane & 1 == 1 {
                a[lane].wrapping_sub(v)
            } else {
                a[lane].wrapping_add(v)
            };
        }
    }
}

/// `counts[j] += row[j]`, widened, wrapping.
pub fn add_widened(row: &[i16], counts: &mut [i32]) {
    for (c, &w) in counts.iter_mut().zip(row) {
        *c = c.wrapping_add(i32::from(w));
    }
}

/// The streams of many probabilities from one sequence of comparator
/// values (see [`super::Kernels::encode_rows`]): row `i` of `out`
/// (`row_words` words) gets bit `t = (r[t] < ps[i])` for `t <
/// min(r.len(), 64 * row_words)`, every other bit zero.
pub(super) fn encode_rows(r: &[u16], ps: &[u32], row_words: usize, out: &mut [u64]) {
    if row_words == 0 {
        return;
    }
    let r = &r[..r.len().min(row_words.saturating_mul(64))];
    for (row, &p) in out.chunks_exact_mut(row_words).zip(ps) {
        encode_row(r, p, row);
    }
}

/// One row of [`encode_rows`]: bit `t` of `row` is `r[t] < p` (LSB
/// first), bits past `r.len()` (and words past them) zero. Also the tail
/// of the SIMD levels.
#[inline(always)]
pub(super) fn encode_row(r: &[u16], p: u32, row: &mut [u64]) {
    // r < p is r <= p - 1 for p >= 1 (p - 1 capped at the largest u16, as
    // every r is below any p > 65535); p = 0 keeps no bit. A 16-bit
    // compare into bytes vectorises.
    let keep = if p == 0 { 0 } else { u64::MAX };
    let q = p.wrapping_sub(1).min(0xFFFF) as u16;
    let mut chunks = r.chunks(64);
    for o in row.iter_mut() {
        *o = chunks.next().map_or(0, |c| {
            let mut bytes = [0u8; 64];
            for (b, &v) in bytes.iter_mut().zip(c) {
                *b = u8::from(v <= q);
            }
            // Eight 0/1 bytes to eight bits: the multiply moves byte j's
            // bit to bit 56 + j (all partial products are distinct powers
            // of two, so nothing carries).
            bytes.chunks_exact(8).enumerate().fold(0, |w, (k, b)| {
                let x = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                w | (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * k)
            }) & keep
        });
    }
}

// ---- float kernels of the seed's functions (`snn::seed`) ----------------

/// Dot product with 8 independent partial sums (vectorises).
#[inline(always)]
pub fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = T::ZERO;
    for (&x, &y) in ar.iter().zip(br) {
        s += x * y;
    }
    acc.iter().fold(s, |a, &b| a + b)
}

/// Four dot products of `w` with rows `x0..x3`, each summed exactly as
/// [`dot`] sums it (so the results are bit-identical to four `dot`s), with
/// every load of `w` shared.
#[inline(always)]
fn dot4<T: Real>(w: &[T], x: [&[T]; 4]) -> [T; 4] {
    let n = w.len();
    let full = n / 8 * 8;
    let mut acc = [[T::ZERO; 8]; 4];
    let mut i = 0;
    while i < full {
        let wc = &w[i..i + 8];
        for (a, xr) in acc.iter_mut().zip(&x) {
            let xc = &xr[i..i + 8];
            for k in 0..8 {
                a[k] += wc[k] * xc[k];
            }
        }
        i += 8;
    }
    let mut out = [T::ZERO; 4];
    for ((o, a), xr) in out.iter_mut().zip(&acc).zip(&x) {
        let mut s = T::ZERO;
        for (&wv, &xv) in w[full..].iter().zip(&xr[full..n]) {
            s += xv * wv;
        }
        *o = a.iter().fold(s, |p, &q| p + q);
    }
    out
}

/// `out[b][j] = dot(x[b], w[j])`: `x` is `rows x n_in`, `w` is `n_out x
/// n_in`, both row-major, `out` is `rows x n_out`. Each weight row is read
/// once per 4 samples (it stays in L1 across the block); the sums are
/// those of [`dot`].
#[inline(always)]
pub fn gemm_nt<T: Real>(x: &[T], w: &[T], n_in: usize, n_out: usize, out: &mut [T]) {
    if n_in == 0 {
        // Sums of no terms.
        out.fill(T::ZERO);
        return;
    }
    let rows = x.len() / n_in;
    for (j, wr) in w.chunks_exact(n_in).take(n_out).enumerate() {
        let mut b = 0;
        while b + 4 <= rows {
            let r = |q: usize| &x[(b + q) * n_in..(b + q + 1) * n_in];
            let d = dot4(wr, [r(0), r(1), r(2), r(3)]);
            for (q, v) in d.into_iter().enumerate() {
                out[(b + q) * n_out + j] = v;
            }
            b += 4;
        }
        while b < rows {
            out[b * n_out + j] = dot(&x[b * n_in..(b + 1) * n_in], wr);
            b += 1;
        }
    }
}

/// `g[j] += sum_b d[b][j] * x[b]` (`d`: `rows x n_out`, `x`: `rows x n_in`,
/// `g`: `n_out x n_in`): the weight gradient of a block, one gradient row
/// at a time (it stays in L1 across the samples).
#[inline(always)]
pub fn outer_acc<T: Real>(d: &[T], x: &[T], n_in: usize, n_out: usize, g: &mut [T]) {
    if n_in == 0 {
        return;
    }
    for (j, gr) in g.chunks_exact_mut(n_in).take(n_out).enumerate() {
        for (b, xr) in x.chunks_exact(n_in).enumerate() {
            let dv = d[b * n_out + j];
            if dv != T::ZERO {
                for (o, &xi) in gr.iter_mut().zip(xr) {
                    *o += dv * xi;
                }
            }
        }
    }
}
