//! The one backend interface: the word-level operations the conformance
//! vectors (and anything else that wants to run on every implementation)
//! need. The kernel reference ([`KernelBackend`]), the CPU backend
//! (`crate::cpu`, its `backend.rs`) and the GPU backend (`crate::gpu`, its
//! `backend.rs`) implement it; [`implementations`] lists them.

use std::marker::PhantomData;

use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::ops::BitOp;
use sc_kernel::pack::pack;
use sc_kernel::{BitSlice, BitSliceMut, Word};

use crate::cpu::{CpuBackend, SimdLevel};
use crate::scnet::{run_network, NetError, NetRun, NetworkSpec};
use crate::vectors::{BackendImpl, Implementation};

/// Why a backend call failed.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The kernel's own error (invalid input).
    #[error(transparent)]
    Kernel(#[from] sc_kernel::Error),
    /// The device failed (lost, could not be created).
    #[error("{0}")]
    Device(String),
    /// The network could not be built or run.
    #[error(transparent)]
    Network(#[from] NetError),
    /// The backend does not run this (what, and what to use instead).
    #[error("not supported: {0}")]
    Unsupported(&'static str),
}

/// Result of a [`Backend`] call.
pub type BackendResult<T> = Result<T, BackendError>;

/// The word-level operations over storage words `W`, with the kernel's
/// semantics and errors (spec §1-§6). Each implementation lives next to
/// its backend; callers (the vectors checker) are generic over it.
pub trait Backend<W: Word>: Sync {
    /// Short name used in reports (`kernel-u32`, `cpu-avx2`, `gpu-<adapter>`).
    fn name(&self) -> String;
    /// Pack 0/1 bytes (`sc_kernel::pack::pack`).
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, W>) -> BackendResult<()>;
    /// A binary op (`And`/`Or`/`Xor`/`Xnor`), `Not` (ignores `b`) or `Mux`
    /// (`sel` selects `a`).
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, W>,
        b: BitSlice<'_, W>,
        sel: BitSlice<'_, W>,
        out: &mut BitSliceMut<'_, W>,
    ) -> BackendResult<()>;
    /// Popcount of a stream.
    fn count_ones(&self, a: BitSlice<'_, W>) -> BackendResult<usize>;
    /// Unsigned and signed dense MAC (`sc_kernel::mac::{mac, mac_signed}`).
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[W],
        signs: &[W],
        x: &[W],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> BackendResult<()>;
    /// One LIF population step (`LifParams::step_population`); returns the
    /// spike count.
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, W>,
    ) -> BackendResult<usize>;
    /// A whole network (spec §7): `steps` steps of one sample from the
    /// initial state with constant input probabilities `inputs_q16`
    /// (Q0.16), every layer's spikes recorded. Bit-identical on every
    /// backend (the kernel runs the bitstream path, the others the
    /// counting form of spec §7.1).
    fn network(
        &self,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        steps: usize,
    ) -> BackendResult<NetRun>;
    /// Whether the stream generator kinds (`lfsr`, `sobol`) run here: only
    /// the kernel itself; backends report those kinds as unsupported.
    fn runs_generators(&self) -> bool {
        false
    }
}

/// The `sc-kernel` reference with storage words `W`.
pub struct KernelBackend<W: Word>(PhantomData<fn() -> W>);

impl<W: Word> Default for KernelBackend<W> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<W: Word> Backend<W> for KernelBackend<W> {
    fn name(&self) -> String {
        format!("kernel-u{}", W::BITS)
    }
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, W>) -> BackendResult<()> {
        Ok(pack(bits, out)?)
    }
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, W>,
        b: BitSlice<'_, W>,
        sel: BitSlice<'_, W>,
        out: &mut BitSliceMut<'_, W>,
    ) -> BackendResult<()> {
        Ok(op.apply(a, b, sel, out)?)
    }
    fn count_ones(&self, a: BitSlice<'_, W>) -> BackendResult<usize> {
        Ok(a.count_ones())
    }
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[W],
        signs: &[W],
        x: &[W],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> BackendResult<()> {
        mac(shape, weights, x, unsigned)?;
        Ok(mac_signed(shape, weights, signs, x, signed)?)
    }
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, W>,
    ) -> BackendResult<usize> {
        Ok(p.step_population(v, r, i, s)?)
    }
    fn network(
        &self,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        steps: usize,
    ) -> BackendResult<NetRun> {
        Ok(run_network::<W>(spec, inputs_q16, steps)?)
    }
    fn runs_generators(&self) -> bool {
        true
    }
}

/// Which optional implementations [`implementations`] includes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Which {
    /// Also the GPU backend. Only then is a GPU adapter probed (probing
    /// loads the system's graphics drivers, which may print warnings).
    pub gpu: bool,
}

impl Which {
    /// Every implementation, the GPU backend included.
    pub fn all() -> Self {
        Self { gpu: true }
    }
}

/// The implementations available in this process, boxed: the kernel with
/// u32 and u64 words, the CPU backend at every SIMD level this CPU has,
/// and, if `which.gpu`, the GPU backend (on its CPU fallback when there is
/// no adapter; absent when built without the `gpu` feature).
pub fn implementations(which: Which) -> Vec<Box<dyn Implementation>> {
    let mut v: Vec<Box<dyn Implementation>> = vec![
        Box::new(BackendImpl::new(KernelBackend::<u32>::default())),
        Box::new(BackendImpl::new(KernelBackend::<u64>::default())),
    ];
    for level in SimdLevel::available() {
        if let Ok(be) = CpuBackend::with_level(0, level) {
            v.push(Box::new(BackendImpl::<u64, _>::new(be)));
        }
    }
    #[cfg(feature = "gpu")]
    if which.gpu {
        if let Ok(g) = crate::gpu::GpuBackend::new() {
            v.push(Box::new(BackendImpl::<u64, _>::new(g)));
        }
    }
    #[cfg(not(feature = "gpu"))]
    let _ = which;
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use sc_kernel::rng::SplitMix64;

    #[test]
    fn implementations_are_the_kernel_then_every_cpu_level() {
        let names: Vec<String> = implementations(Which::default())
            .iter()
            .map(|i| i.name().to_string())
            .collect();
        let mut want = vec!["kernel-u32".to_string(), "kernel-u64".to_string()];
        want.extend(
            SimdLevel::available()
                .into_iter()
                .map(|l| format!("cpu-{}", l.name())),
        );
        assert_eq!(names, want);
    }

    /// Every op of `b` on streams of `len` bits, as words.
    fn run_ops<B: Backend<u64>>(b: &B, len: usize, seed: u64) -> Vec<Vec<u64>> {
        let mut rng = SplitMix64::new(seed);
        let bits: Vec<Vec<u8>> = (0..3)
            .map(|_| (0..len).map(|_| (rng.next_u64() & 1) as u8).collect())
            .collect();
        let nw = sc_kernel::words_for::<u64>(len);
        let mut streams = vec![vec![0u64; nw]; 3];
        for (w, bits) in streams.iter_mut().zip(&bits) {
            b.pack(bits, &mut BitSliceMut::new(w, len).unwrap())
                .unwrap();
        }
        let s = |k: usize| BitSlice::new(&streams[k], len).unwrap();
        let mut out = vec![];
        for op in BitOp::ALL {
            let mut w = vec![0u64; nw];
            b.bitwise(
                op,
                s(0),
                s(1),
                s(2),
                &mut BitSliceMut::new(&mut w, len).unwrap(),
            )
            .unwrap();
            w.push(b.count_ones(BitSlice::new(&w, len).unwrap()).unwrap() as u64);
            out.push(w);
        }
        out.extend(streams);
        out
    }

    // The trait is usable directly (not only through the vectors): the
    // CPU backend at every level agrees with the kernel.
    #[test]
    fn backends_agree_with_the_kernel_through_the_trait() {
        let kernel = KernelBackend::<u64>::default();
        for level in SimdLevel::available() {
            let cpu = CpuBackend::with_level(0, level).unwrap();
            for (len, seed) in [(1, 1), (63, 2), (64, 3), (1000, 4)] {
                assert_eq!(
                    run_ops(&cpu, len, seed),
                    run_ops(&kernel, len, seed),
                    "{} len {len}",
                    Backend::<u64>::name(&cpu)
                );
            }
        }
    }
}
