//! x86-64 word kernels, one module per feature level. Each level has a
//! capability token whose existence proves the CPU has its features. The
//! loops the AVX2 and AVX-512 levels share are written once here, generic
//! over the level's steps (closures), and inlined into each level's
//! `#[target_feature]` kernels, so the steps run with its features.

/// A level's Q16.16 population step: the `unsafe` `#[target_feature(enable
/// = $features)]` function `lif_q16` behind the token method of
/// `wide_kernel_methods!`, [`lif_words`] over the closure that
/// `$lanes(params)` returns (the level's constants, set up once), which
/// steps `$n` neurons at a time.
macro_rules! lif_q16 {
    ($features:literal, $n:literal, $lanes:ident) => {
        #[target_feature(enable = $features)]
        unsafe fn lif_q16(
            params: &LifParamsQ16,
            v: &mut [I16F16],
            refractory: &mut [u16],
            input: &[I16F16],
            spikes: &mut [u64],
        ) -> usize {
            super::lif_words::<$n>(params, v, refractory, input, spikes, $lanes(params))
        }
    };
}

mod avx2;
mod avx512;
mod popcnt;

pub use avx2::Avx2Token;
pub use avx512::Avx512Token;
pub use popcnt::PopcntToken;

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParamsQ16;

/// The word loop the SIMD Q16.16 population steps share: `n` is the common
/// length of `v`, `refractory`, `input` and `64 * spikes.len()`; in each
/// 64-neuron word, `lanes(vp, rp, ip)` steps neurons `k .. k + LANES`
/// (`vp`, `rp` and `ip` point at `v[k]`, `refractory[k]` and `input[k]`,
/// and `k + LANES <= n`) and returns their spike bits, and the word's tail
/// takes the kernel's scalar step. Writes each word of `spikes` up to `n`
/// and returns the spike count. Inlined into each level's `lif_q16`, so
/// `lanes` runs with that level's features.
#[inline(always)]
fn lif_words<const LANES: usize>(
    params: &LifParamsQ16,
    v: &mut [I16F16],
    refractory: &mut [u16],
    input: &[I16F16],
    spikes: &mut [u64],
    mut lanes: impl FnMut(*mut I16F16, *mut u16, *const I16F16) -> u64,
) -> usize {
    let n = v
        .len()
        .min(refractory.len())
        .min(input.len())
        .min(64 * spikes.len());
    let mut count = 0;
    for (wi, word) in spikes.iter_mut().enumerate().take(n.div_ceil(64)) {
        let base = 64 * wi;
        let end = n.min(base + 64);
        let mut w = 0u64;
        let mut k = base;
        while k + LANES <= end {
            // SAFETY: k + LANES <= n <= every slice's length: the pointers
            // and the LANES values from each are in bounds.
            let (vp, rp, ip) = unsafe {
                (
                    v.as_mut_ptr().add(k),
                    refractory.as_mut_ptr().add(k),
                    input.as_ptr().add(k),
                )
            };
            w |= lanes(vp, rp, ip) << (k - base);
            k += LANES;
        }
        for j in k..end {
            if params.step(&mut v[j], &mut refractory[j], input[j]) {
                w |= 1 << (j - base);
            }
        }
        count += w.count_ones() as usize;
        *word = w;
    }
    count
}

/// The popcount loop the AVX2 and AVX-512 levels share: two accumulators
/// (so the adds overlap), `2 * WORDS` words a round, `count(k)` the 64-bit
/// lane popcounts of the `WORDS` words from `k` (called only with `k +
/// WORDS <= n`), `add` the lane-wise sum. Returns both accumulators and
/// how many words it did.
#[inline(always)]
fn popcount_rounds<const WORDS: usize, V: Copy>(
    n: usize,
    zero: V,
    count: impl Fn(usize) -> V,
    add: impl Fn(V, V) -> V,
) -> (V, V, usize) {
    let (mut acc0, mut acc1) = (zero, zero);
    let mut k = 0;
    while k + 2 * WORDS <= n {
        acc0 = add(acc0, count(k));
        acc1 = add(acc1, count(k + WORDS));
        k += 2 * WORDS;
    }
    (acc0, acc1, k)
}

/// `counts[j] += row[j]`, widened, as the AVX2 and AVX-512 levels share
/// it: `add(r, c)` adds the `LANES` values from `r` to the `LANES` counts
/// from `c` (both in bounds), the portable loop the rest.
#[inline(always)]
fn add_widened<const LANES: usize>(
    row: &[i16],
    counts: &mut [i32],
    add: impl Fn(*const i16, *mut i32),
) {
    let n = row.len().min(counts.len());
    let mut j = 0;
    while j + LANES <= n {
        // SAFETY: j + LANES <= n <= both lengths.
        let (r, c) = unsafe { (row.as_ptr().add(j), counts.as_mut_ptr().add(j)) };
        add(r, c);
        j += LANES;
    }
    super::portable::add_widened(&row[j..n], &mut counts[j..n]);
}
