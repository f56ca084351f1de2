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

    /// `sum_k popcount(a[k])`, loading each word once.
    #[inline]
    pub fn popcount(self, a: &[u64]) -> u64 {
        // SAFETY: `self` exists, so `new` found NEON on this CPU.
        unsafe { popcount(a) }
    }

    /// `sum_k popcount(a[k] & b[k])` over the common length.
    #[inline]
    pub fn and_popcount(self, a: &[u64], b: &[u64]) -> u64 {
        // SAFETY: `self` exists, so `new` found NEON on this CPU.
        unsafe { and_popcount(a, b) }
    }
}

#[target_feature(enable = "neon")]
unsafe fn popcount(a: &[u64]) -> u64 {
    let n = a.len();
    let mut acc0 = vdupq_n_u64(0);
    let mut acc1 = vdupq_n_u64(0);
    let mut k = 0;
    while k + 4 <= n {
        // SAFETY: k + 4 <= n, so both 2-word loads are in bounds.
        let c0 = vcntq_u8(vreinterpretq_u8_u64(vld1q_u64(a.as_ptr().add(k))));
        let c1 = vcntq_u8(vreinterpretq_u8_u64(vld1q_u64(a.as_ptr().add(k + 2))));
        acc0 = vaddq_u64(acc0, vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(c0))));
        acc1 = vaddq_u64(acc1, vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(c1))));
        k += 4;
    }
    vaddvq_u64(vaddq_u64(acc0, acc1)) + portable::popcount(&a[k..])
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
