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

/// The operands of one [`Backend::bitwise`] call: a binary op
/// (`And`/`Or`/`Xor`/`Xnor`) of `a` and `b`, `Not` of `a` (ignores `b`) or
/// `Mux` (`sel` selects `a`, else `b`); operands the op does not use are
/// ignored.
#[derive(Clone, Copy)]
pub struct Bitwise<'a, W: Word> {
    /// The op.
    pub op: BitOp,
    /// First operand.
    pub a: BitSlice<'a, W>,
    /// Second operand.
    pub b: BitSlice<'a, W>,
    /// `Mux`'s selector.
    pub sel: BitSlice<'a, W>,
}

impl<W: Word> Bitwise<'_, W> {
    /// Run on the kernel (`BitOp::apply`).
    pub fn apply(self, out: &mut BitSliceMut<'_, W>) -> sc_kernel::Result<()> {
        self.op.apply(self.a, self.b, self.sel, out)
    }
}

/// The inputs of a dense MAC (`sc_kernel::mac`): its shape, the weight
/// magnitudes (one row per neuron and input), the weights' sign bits (one
/// row per neuron) and the input streams.
#[derive(Clone, Copy)]
pub struct MacInputs<'a, W: Word> {
    /// Neurons, inputs and stream length.
    pub shape: &'a MacShape,
    /// Weight magnitudes.
    pub weights: &'a [W],
    /// Weight signs (set = negative).
    pub signs: &'a [W],
    /// Input streams.
    pub x: &'a [W],
}

/// The per-neuron results of [`Backend::mac`].
pub struct MacCounts<'a> {
    /// Unsigned counts (`mac`), ignoring the signs.
    pub unsigned: &'a mut [u32],
    /// Signed counts (`mac_signed`).
    pub signed: &'a mut [i32],
}

/// One LIF population step (`LifParams::step_population`): the state
/// `v`/`refractory` is updated in place and the step's spikes written to
/// `spikes`; one entry per neuron each.
pub struct LifStep<'a, F: LifFixed, W: Word> {
    /// The neurons' parameters.
    pub params: &'a LifParams<F>,
    /// Membrane potentials.
    pub v: &'a mut [F],
    /// Refractory counters.
    pub refractory: &'a mut [u16],
    /// Input currents.
    pub input: &'a [F],
    /// This step's spikes.
    pub spikes: BitSliceMut<'a, W>,
}

impl<F: LifFixed, W: Word> LifStep<'_, F, W> {
    /// Run on the kernel (`LifParams::step_population`); returns the spike
    /// count.
    pub fn apply(mut self) -> sc_kernel::Result<usize> {
        let spikes = &mut self.spikes;
        self.params
            .step_population(self.v, self.refractory, self.input, spikes)
    }
}

/// The word-level operations over storage words `W`, with the kernel's
/// semantics and errors (spec §1-§6). Each implementation lives next to
/// its backend; callers (the vectors checker) are generic over it.
pub trait Backend<W: Word>: Sync {
    /// Short name used in reports (`kernel-u32`, `cpu-avx2`, `gpu-<adapter>`).
    fn name(&self) -> String;
    /// Pack 0/1 bytes (`sc_kernel::pack::pack`).
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, W>) -> BackendResult<()>;
    /// One bitwise op (see [`Bitwise`]) into `out`.
    fn bitwise(&self, op: Bitwise<'_, W>, out: &mut BitSliceMut<'_, W>) -> BackendResult<()>;
    /// Popcount of a stream.
    fn count_ones(&self, a: BitSlice<'_, W>) -> BackendResult<usize>;
    /// Unsigned and signed dense MAC (`sc_kernel::mac::{mac, mac_signed}`).
    fn mac(&self, m: MacInputs<'_, W>, out: MacCounts<'_>) -> BackendResult<()>;
    /// One LIF population step (`LifParams::step_population`); returns the
    /// spike count.
    fn lif<F: LifFixed>(&self, step: LifStep<'_, F, W>) -> BackendResult<usize>;
    /// A whole network (spec §7): `steps` steps of one sample from the
    /// initial state with constant input probabilities `inputs`
    /// (Q0.16), every layer's spikes recorded. Bit-identical on every
    /// backend (the kernel runs the bitstream path, the others the
    /// counting form of spec §7.1).
    fn network(&self, spec: &NetworkSpec, inputs: &[u32], steps: usize) -> BackendResult<NetRun>;
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
    fn bitwise(&self, op: Bitwise<'_, W>, out: &mut BitSliceMut<'_, W>) -> BackendResult<()> {
        Ok(op.apply(out)?)
    }
    fn count_ones(&self, a: BitSlice<'_, W>) -> BackendResult<usize> {
        Ok(a.count_ones())
    }
    fn mac(&self, m: MacInputs<'_, W>, out: MacCounts<'_>) -> BackendResult<()> {
        mac(m.shape, m.weights, m.x, out.unsigned)?;
        Ok(mac_signed(m.shape, m.weights, m.signs, m.x, out.signed)?)
    }
    fn lif<F: LifFixed>(&self, step: LifStep<'_, F, W>) -> BackendResult<usize> {
        Ok(step.apply()?)
    }
    fn network(&self, spec: &NetworkSpec, inputs: &[u32], steps: usize) -> BackendResult<NetRun> {
        Ok(run_network::<W>(spec, inputs, steps)?)
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
            let op = Bitwise {
                op,
                a: s(0),
                b: s(1),
                sel: s(2),
            };
            b.bitwise(op, &mut BitSliceMut::new(&mut w, len).unwrap())
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
