//! The float SNN ([`crate::snn`]) on the GPU: the batched forward pass
//! of [`crate::snn::batch::forward_counts`] in `f32` compute, one
//! invocation per (sample, neuron) and one dispatch per layer and step,
//! the state on the device for the whole run.
//!
//! Tolerance: every membrane is the CPU's up to `f32` rounding (the same
//! operations in the same order; a GPU may fuse a multiply and an add), so
//! a spike count can differ from the CPU's only where a membrane lies
//! within a few `f32` ulps of the threshold. `host/tests/gpu.rs` requires
//! at least 99 % of the samples' output counts to be identical and no count
//! to differ by more than 2 spikes on random networks.
//!
//! Fallback: the rules of every GPU operation ([`GpuBackend`]): without
//! an adapter or after a loss, the CPU's `forward_counts`; data over the
//! device's limits run on the CPU for that call.

use super::device::{bytes_of, u32_of, words_u32, Failed, Gpu, B_A, B_B, B_OUT};
use super::params::{ShaderParams, SnnShaderParams};
use super::{GpuBackend, GpuError};
use crate::snn::batch;
use crate::snn::{Snn, SnnError};

/// Steps recorded per submission.
const STEPS_PER_SUBMIT: usize = 256;

impl From<SnnError> for GpuError {
    fn from(e: SnnError) -> Self {
        GpuError::Snn(e)
    }
}

impl GpuBackend {
    /// The last layer's spike counts of every sample (`xs`: samples x
    /// `sizes[0]` inputs, row-major, finite), samples x classes: the float
    /// network's forward pass in `f32` on the device (equal to
    /// [`batch::forward_counts`] within the tolerance of the module docs),
    /// or on the CPU under the fallback rules.
    pub fn snn_forward(&self, net: &Snn<f32>, xs: &[f32]) -> Result<Vec<f32>, GpuError> {
        let rows = batch::check(net, xs, None, false)?;
        self.run_or_fallback(
            |g| forward_on(g, net, xs, rows),
            |_| Ok(batch::forward_counts(net, xs)?),
        )
    }
}

fn forward_on(g: &Gpu, net: &Snn<f32>, xs: &[f32], rows: usize) -> Result<Vec<f32>, Failed> {
    let c = &net.config;
    let nl = net.weights.len();
    let (n0, m0) = (c.sizes[0], c.inputs(0));
    let width = |l: usize| c.sizes[l + 1];
    let classes = width(nl - 1);
    // Layer 0's inputs with the bias input, as f32 bits.
    let x_words = rows.checked_mul(m0).ok_or(Failed::TooLarge)?;
    let mut xin = Vec::new();
    xin.try_reserve_exact(x_words)
        .map_err(|_| Failed::TooLarge)?;
    for r in xs.chunks_exact(n0) {
        xin.extend(r.iter().map(|v| v.to_bits()));
        if c.bias {
            xin.push(1f32.to_bits());
        }
    }
    // Weights, every layer after the other.
    let w_words: usize = net.weights.iter().map(Vec::len).sum();
    let mut w = Vec::new();
    w.try_reserve_exact(w_words).map_err(|_| Failed::TooLarge)?;
    let mut w_off = vec![];
    for wl in &net.weights {
        w_off.push(u32_of(w.len())?);
        w.extend(wl.iter().map(|v| v.to_bits()));
    }
    // OUT: the counts first (downloaded from offset 0), then per layer its
    // membranes and spikes.
    let mut off = rows.checked_mul(classes).ok_or(Failed::TooLarge)?;
    let count_words = off;
    let mut a_off = vec![];
    let mut s_off = vec![];
    for l in 0..nl {
        let n = rows.checked_mul(width(l)).ok_or(Failed::TooLarge)?;
        a_off.push(u32_of(off)?);
        s_off.push(u32_of(off.checked_add(n).ok_or(Failed::TooLarge)?)?);
        off = off
            .checked_add(n.checked_mul(2).ok_or(Failed::TooLarge)?)
            .ok_or(Failed::TooLarge)?;
    }
    u32_of(off)?;
    let out_bytes = bytes_of(off, 4)?;
    g.fits(&[bytes_of(x_words, 4)?, bytes_of(w_words, 4)?, out_bytes])?;
    let keep = (1.0 - c.alpha) as f32;
    let mut params = vec![];
    let mut grids = vec![];
    for l in 0..nl {
        let ((gx, gy), xt) = g.grid(rows.checked_mul(width(l)).ok_or(Failed::TooLarge)?)?;
        grids.push((gx, gy));
        params.push(g.params(&SnnShaderParams {
            rows: u32_of(rows)?,
            n_out: u32_of(width(l))?,
            n_in: u32_of(c.inputs(l))?,
            w_off: w_off[l],
            in_off: if l == 0 { 0 } else { s_off[l - 1] },
            from_out: u32::from(l > 0),
            a_off: a_off[l],
            s_off: s_off[l],
            c_off: if l + 1 == nl { 0 } else { u32::MAX },
            keep: keep.to_bits(),
            threshold: (c.threshold as f32).to_bits(),
            xt,
        })?);
    }
    let wb = g.upload(bytemuck::cast_slice(&w))?;
    let xb = g.upload(bytemuck::cast_slice(&xin))?;
    let out = g.zeroed(out_bytes)?;
    let bindings: Vec<Vec<(u32, &wgpu::Buffer)>> = params
        .iter()
        .map(|p| {
            vec![
                (SnnShaderParams::BINDING, p),
                (B_A, &wb),
                (B_B, &xb),
                (B_OUT, &out),
            ]
        })
        .collect();
    let mut t = 0;
    while t < c.steps {
        let n = STEPS_PER_SUBMIT.min(c.steps - t);
        let seq: Vec<(usize, (u32, u32))> = (0..n)
            .flat_map(|_| (0..nl).map(|l| (l, grids[l])))
            .collect();
        g.run_sequence(&g.snn_layer, &bindings, &seq)?;
        t += n;
    }
    let counts = words_u32(&g.read(&out, bytes_of(count_words, 4)?)?);
    Ok(counts.into_iter().map(f32::from_bits).collect())
}
