//! Word kernels with the POPCNT instruction.

use super::super::portable;

/// Proof that this CPU has POPCNT; the only way to get one is
/// [`PopcntToken::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopcntToken(());

impl PopcntToken {
    /// `Some` exactly when this CPU has POPCNT.
    #[inline]
    pub fn new() -> Option<Self> {
        is_x86_feature_detected!("popcnt").then_some(Self(()))
    }

    token_methods! {
        /// `sum_k popcount(a[k])`.
        fn popcount(a: &[u64]) -> u64;
        /// `sum_k popcount(a[k] & b[k])` over the common length.
        fn and_popcount(a: &[u64], b: &[u64]) -> u64;
        /// `out[k] = popcount(a[k])`.
        fn popcount_per_word(a: &[u64], out: &mut [u32]);
    }
}

/// See [`PopcntToken::popcount`]. Also the tail loop of the wider levels,
/// whose tokens include a [`PopcntToken`].
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn popcount(a: &[u64]) -> u64 {
    // Four independent sums so the POPCNTs are not one dependency chain.
    let (mut s0, mut s1, mut s2, mut s3) = (0u64, 0u64, 0u64, 0u64);
    let mut chunks = a.chunks_exact(4);
    for c in &mut chunks {
        s0 += c[0].count_ones() as u64;
        s1 += c[1].count_ones() as u64;
        s2 += c[2].count_ones() as u64;
        s3 += c[3].count_ones() as u64;
    }
    for &x in chunks.remainder() {
        s0 += x.count_ones() as u64;
    }
    s0 + s1 + s2 + s3
}

/// See [`PopcntToken::and_popcount`]. Also the tail loop of the wider
/// levels, whose tokens include a [`PopcntToken`].
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
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

/// See [`PopcntToken::popcount_per_word`].
#[target_feature(enable = "popcnt")]
pub(super) unsafe fn popcount_per_word(a: &[u64], out: &mut [u32]) {
    portable::popcount_per_word(a, out)
}
