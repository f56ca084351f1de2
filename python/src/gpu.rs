//! The GPU side of `lib.rs`'s functions called with `gpu=True`
//! (`pack_rows`, `bitwise`, `popcount_words`, `vec_mac`; cargo feature
//! `gpu`), on `sc_host::gpu::GpuBackend`: one backend per process, created
//! on first use, with the host's own fallback (no adapter, a lost device,
//! data too large for the device: the CPU backend, the same bits). The
//! functions here take the operands that `lib.rs` checked for both paths
//! (so errors read the same) and run inside its `py.allow_threads`: each
//! uploads its operands, runs the shader and downloads the result with the
//! GIL released.

use pyo3::prelude::*;
use std::sync::OnceLock;

use sc_host::gpu::{GpuBackend, GpuError};
use sc_kernel::mac::MacShape;
use sc_kernel::ops::BitOp;
use sc_kernel::pack::RowShape;

use sc_host::engine::Record;
use sc_host::scnet::{NetRun, NetworkSpec};
use sc_kernel::sng::Probability;

use crate::value_err;

/// The process's GPU backend (its adapter, or the host's CPU fallback).
fn gpu() -> Result<&'static GpuBackend, String> {
    static GPU: OnceLock<Result<GpuBackend, String>> = OnceLock::new();
    GPU.get_or_init(|| GpuBackend::new().map_err(|e| format!("GPU backend: {e}")))
        .as_ref()
        .map_err(Clone::clone)
}

/// A GPU error as the CPU functions word it.
fn gpu_err(e: GpuError) -> String {
    match e {
        GpuError::Kernel(k) => crate::kernel_err(k),
        e => e.to_string(),
    }
}

/// The adapter in use (`"name (API)"`), or `None` when the backend runs on
/// the CPU (no adapter, or the device was lost). Creates the backend.
#[pyfunction]
pub(crate) fn gpu_adapter(py: Python<'_>) -> PyResult<Option<String>> {
    py.allow_threads(|| gpu().map(|g| g.adapter()))
        .map_err(value_err)
}

/// `crate::pack_rows`'s words for `shape` (at least one word).
pub(crate) fn pack_rows(shape: RowShape, bits: &[u8]) -> Result<Vec<u64>, String> {
    let g = gpu()?;
    let d = g.pack(shape, bits).map_err(gpu_err)?;
    g.to_host(&d).map_err(gpu_err)
}

/// `crate::bitwise`'s op into `o` over whole words (rows of `stride` words
/// when they divide `a`); the caller clears the padding.
pub(crate) fn bitwise(
    op: BitOp,
    [a, b, s]: [&[u64]; 3],
    o: &mut [u64],
    stride: usize,
) -> Result<(), String> {
    if a.is_empty() {
        return Ok(());
    }
    let (rows, words) = if stride > 0 && a.len().is_multiple_of(stride) {
        (a.len() / stride, stride)
    } else {
        (1, a.len())
    };
    let shape = RowShape {
        rows,
        row_len: words.checked_mul(64).ok_or("`a` too large")?,
    };
    let g = gpu()?;
    let up = |w: &[u64]| g.to_device(shape, w).map_err(gpu_err);
    let da = up(a)?;
    // Operands the op does not read are not uploaded.
    let db = if op == BitOp::Not { None } else { Some(up(b)?) };
    let ds = if op == BitOp::Mux { Some(up(s)?) } else { None };
    let r = g
        .bitwise(
            op,
            &da,
            db.as_ref().unwrap_or(&da),
            ds.as_ref().unwrap_or(&da),
        )
        .map_err(gpu_err)?;
    let words = g.to_host(&r).map_err(gpu_err)?;
    if words.len() != o.len() {
        return Err(format!(
            "GPU result of {} words, expected {}",
            words.len(),
            o.len()
        ));
    }
    o.copy_from_slice(&words);
    Ok(())
}

/// `crate::popcount_words`'s count of every word of `p`.
pub(crate) fn count_ones_per_word(p: &[u64]) -> Result<Vec<u32>, String> {
    if p.is_empty() {
        return Ok(vec![]);
    }
    let shape = RowShape {
        rows: 1,
        row_len: p.len().checked_mul(64).ok_or("`packed` too large")?,
    };
    let g = gpu()?;
    let d = g.to_device(shape, p).map_err(gpu_err)?;
    g.count_ones_per_word(&d).map_err(gpu_err)
}

/// `crate::vec_mac`'s counts (the device's MAC, unsigned) for a `shape` of
/// at least one neuron, input and word.
pub(crate) fn mac(shape: &MacShape, w: &[u64], x: &[u64]) -> Result<Vec<u32>, String> {
    let g = gpu()?;
    let dw = g.to_device(shape.weight_rows(), w).map_err(gpu_err)?;
    let dx = g.to_device(shape.input_rows(), x).map_err(gpu_err)?;
    // The device computes the signed MAC too: all signs positive. No
    // larger than the weights (inputs and words are >= 1).
    let signs = shape.sign_rows();
    let zeros = vec![0u64; signs.words::<u64>().map_err(|e| e.to_string())?];
    let ds = g.to_device(signs, &zeros).map_err(gpu_err)?;
    let (u, _) = g.mac_both(shape, &dw, &ds, &dx, 1).map_err(gpu_err)?;
    Ok(u)
}

/// Every row's run of `net` (spike counts only) on the GPU backend, all
/// rows at once (in chunks the device holds): `crate::run_model` with
/// `backend="gpu"`.
pub(crate) fn network_batch(
    net: &NetworkSpec,
    rows: &[Vec<Probability>],
    steps: usize,
) -> Result<Vec<NetRun>, String> {
    let g = gpu()?;
    g.prepare(net)
        .map_err(|e| sc_host::vectors::compute::chain(&e))?
        .run_batch(rows, steps, Record::Counts, rows.len().max(1), &mut |_| {})
        .map_err(|e| sc_host::vectors::compute::chain(&e))
}
