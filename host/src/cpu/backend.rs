//! The CPU backend as a [`Backend`]: its own methods, one to one.

use sc_kernel::lif::LifFixed;
use sc_kernel::{BitSlice, BitSliceMut};

use super::CpuBackend;
use crate::backend::{Backend, BackendResult, Bitwise, LifStep, MacCounts, MacInputs};
use crate::engine;
use crate::scnet::{NetRun, NetworkSpec};

impl Backend<u64> for CpuBackend {
    /// `cpu-<level>`.
    fn name(&self) -> String {
        format!("cpu-{}", self.level().name())
    }
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, u64>) -> BackendResult<()> {
        Ok(CpuBackend::pack(self, bits, out)?)
    }
    fn bitwise(&self, op: Bitwise<'_, u64>, out: &mut BitSliceMut<'_, u64>) -> BackendResult<()> {
        Ok(CpuBackend::bitwise(self, op, out)?)
    }
    fn count_ones(&self, a: BitSlice<'_, u64>) -> BackendResult<usize> {
        Ok(CpuBackend::count_ones(self, a))
    }
    fn mac(&self, m: MacInputs<'_, u64>, out: MacCounts<'_>) -> BackendResult<()> {
        CpuBackend::mac(self, m.shape, m.weights, m.x, out.unsigned)?;
        Ok(self.mac_signed(m, out.signed)?)
    }
    fn lif<F: LifFixed>(&self, step: LifStep<'_, F, u64>) -> BackendResult<usize> {
        Ok(self.lif_step(step)?)
    }
    /// The engine's counting form (spec §7.1), on this backend's pool.
    fn network(&self, spec: &NetworkSpec, inputs: &[u32], steps: usize) -> BackendResult<NetRun> {
        Ok(self
            .pool
            .install(|| engine::run_network(spec, inputs, steps))?)
    }
}
