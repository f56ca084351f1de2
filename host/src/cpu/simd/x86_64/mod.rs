//! x86-64 word kernels, one module per feature level. Each level has a
//! capability token whose existence proves the CPU has its features.

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
/// 64-neuron word, `lanes(v, refractory, input, k)` steps neurons `k .. k +
/// LANES` (called only with `k + LANES <= n`) and returns their spike
/// bits, and the word's tail takes the kernel's scalar step. Writes each
/// word of `spikes` up to `n` and returns the spike count. Inlined into
/// each level's `lif_q16`, so `lanes` runs with that level's features.
#[inline(always)]
fn lif_words<const LANES: usize>(
    params: &LifParamsQ16,
    v: &mut [I16F16],
    refractory: &mut [u16],
    input: &[I16F16],
    spikes: &mut [u64],
    mut lanes: impl FnMut(&mut [I16F16], &mut [u16], &[I16F16], usize) -> u64,
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
            w |= lanes(v, refractory, input, k) << (k - base);
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
