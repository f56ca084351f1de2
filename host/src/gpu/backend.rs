//! The GPU backend as a [`Backend`]: each call uploads its operands as
//! device-held rows (one row per stream, the MAC's weights, signs and
//! inputs as batches), runs the backend's kernel and downloads the
//! result. Whole networks run in the counting form (`net.rs`: every step
//! of a batch on the device). When there is no adapter (or the device is lost) the backend
//! runs on its CPU fallback, so the same calls work there
//! (`gpu-fallback`).

use sc_kernel::lif::LifFixed;
use sc_kernel::pack::RowShape;
use sc_kernel::{BitSlice, BitSliceMut};

use super::{DeviceRows, GpuBackend, GpuError};
use crate::backend::{
    Backend, BackendError, BackendResult, Bitwise, LifStep, MacCounts, MacInputs,
};
use crate::scnet::{NetRun, NetworkSpec};

impl From<GpuError> for BackendError {
    fn from(e: GpuError) -> Self {
        match e {
            GpuError::Kernel(k) => BackendError::Kernel(k),
            e => BackendError::Device(e.to_string()),
        }
    }
}

fn ensure_words(expected: usize, found: usize) -> BackendResult<()> {
    if expected == found {
        Ok(())
    } else {
        Err(sc_kernel::Error::LengthMismatch { expected, found }.into())
    }
}

fn store(out: &mut BitSliceMut<'_, u64>, words: &[u64]) -> BackendResult<()> {
    ensure_words(out.words().len(), words.len())?;
    out.update_words(|w| w.copy_from_slice(words));
    Ok(())
}

impl GpuBackend {
    /// One stream as a single device-held row.
    fn one(&self, s: BitSlice<'_, u64>) -> BackendResult<DeviceRows> {
        let shape = RowShape {
            rows: 1,
            row_len: s.len(),
        };
        Ok(self.to_device(shape, s.words())?)
    }
}

impl Backend<u64> for GpuBackend {
    /// `gpu-<adapter>` (its first word), or `gpu-fallback` on the CPU
    /// fallback.
    fn name(&self) -> String {
        match self.adapter() {
            Some(a) => format!("gpu-{}", a.split_whitespace().next().unwrap_or("?")),
            None => "gpu-fallback".to_string(),
        }
    }
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, u64>) -> BackendResult<()> {
        ensure_words(out.len(), bits.len())?;
        let d = GpuBackend::pack(
            self,
            RowShape {
                rows: 1,
                row_len: bits.len(),
            },
            bits,
        )?;
        store(out, &self.to_host(&d)?)
    }
    fn bitwise(&self, op: Bitwise<'_, u64>, out: &mut BitSliceMut<'_, u64>) -> BackendResult<()> {
        let (da, db, ds) = (self.one(op.a)?, self.one(op.b)?, self.one(op.sel)?);
        let r = GpuBackend::bitwise(self, op.op, &da, &db, &ds)?;
        ensure_words(out.len(), op.a.len())?;
        store(out, &self.to_host(&r)?)
    }
    fn count_ones(&self, a: BitSlice<'_, u64>) -> BackendResult<usize> {
        Ok(GpuBackend::count_ones(self, &self.one(a)?)?)
    }
    fn mac(&self, m: MacInputs<'_, u64>, out: MacCounts<'_>) -> BackendResult<()> {
        let MacInputs {
            shape,
            weights,
            signs,
            x,
        } = m;
        let w = self.to_device(shape.weight_rows(), weights)?;
        let s = self.to_device(
            RowShape {
                rows: shape.neurons(),
                row_len: shape.inputs(),
            },
            signs,
        )?;
        let xd = self.to_device(shape.input_rows(), x)?;
        let (u, sg) = self.mac_both(shape, &w, &s, &xd, 1)?;
        ensure_words(out.unsigned.len(), shape.neurons())?;
        ensure_words(out.signed.len(), shape.neurons())?;
        if shape.neurons() > 0 {
            out.unsigned.copy_from_slice(&u);
            out.signed.copy_from_slice(&sg);
        }
        Ok(())
    }
    fn lif<F: LifFixed>(&self, mut step: LifStep<'_, F, u64>) -> BackendResult<usize> {
        ensure_words(step.v.len(), step.spikes.len())?;
        let run = self.lif_run(step.params, step.v, step.refractory, step.input, 1)?;
        step.v.copy_from_slice(&run.v);
        step.refractory.copy_from_slice(&run.refractory);
        store(&mut step.spikes, &run.spikes)?;
        Ok(step.spikes.count_ones())
    }
    /// The counting form of spec §7.1 with every step on the device (see
    /// `net.rs`); the CPU backend's engine on the fallback.
    fn network(&self, spec: &NetworkSpec, inputs: &[u32], steps: usize) -> BackendResult<NetRun> {
        self.run_network(spec, inputs, steps)
    }
}
