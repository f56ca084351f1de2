//! Word kernels with NEON.

use std::arch::aarch64::*;

use super::super::portable;

/// Proof that this CPU has NEON; the only way to get one is
/// [`NeonToken::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeonToken(());

impl NeonToken {
    /// `Some` exactly when this CPU has NEON.
    #[inline]
    pub fn new() -> Option<Self> {
        std::arch::is_aarch64_feature_detected!("neon").then_some(Self(()))
    }

    /// `sum_k popcount(a[k] & b[k])` over the common length.
    #[inline]
    pub fn and_popcount(self, a: &[u64], b: &[u64]) -> u64 {
        // SAFETY: `self` exists, so `new` found NEON on this CPU.
        unsafe { and_popcount(a, b) }
    }
}

#[target_feature(enable = "neon")]
unsafe fn and_popcount(a: &[u64], b: &[u64]) -> u64 {
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
    vaddvq_u64(acc) + portable::and_popcount(&a[k..n], &b[k..n])
}
