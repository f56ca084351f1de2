//! The CPU backend as a [`Backend`]: its own methods, one to one.

use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::ops::BitOp;
use sc_kernel::{BitSlice, BitSliceMut};

use super::CpuBackend;
use crate::backend::{Backend, BackendResult};
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
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, u64>,
        b: BitSlice<'_, u64>,
        sel: BitSlice<'_, u64>,
        out: &mut BitSliceMut<'_, u64>,
    ) -> BackendResult<()> {
        Ok(CpuBackend::bitwise(self, op, a, b, sel, out)?)
    }
    fn count_ones(&self, a: BitSlice<'_, u64>) -> BackendResult<usize> {
        Ok(CpuBackend::count_ones(self, a))
    }
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[u64],
        signs: &[u64],
        x: &[u64],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> BackendResult<()> {
        CpuBackend::mac(self, shape, weights, x, unsigned)?;
        Ok(self.mac_signed(shape, weights, signs, x, signed)?)
    }
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, u64>,
    ) -> BackendResult<usize> {
        Ok(self.lif_step(p, v, r, i, s)?)
    }
    /// The engine's counting form (spec §7.1), on this backend's pool.
    fn network(
        &self,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        steps: usize,
    ) -> BackendResult<NetRun> {
        Ok(self
            .pool
            .install(|| engine::run_network(spec, inputs_q16, steps))?)
    }
}
