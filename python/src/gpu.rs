//! The `gpu_backend` functions on `sc_host::gpu::GpuBackend` (cargo
//! feature `gpu`): one backend per process, created on first use, with the
//! host's own fallback (no adapter, a lost device, data too large for the
//! device: the CPU backend, the same bits). Every call uploads its operands,
//! runs the shader and downloads the result with the GIL released; the
//! argument checks are the CPU functions' (`crate::bitwise`, `crate::vec_mac`,
//! `crate::popcount_words`), so errors read the same.

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArrayDyn, PyReadwriteArrayDyn};
use pyo3::prelude::*;
use std::sync::OnceLock;

use sc_host::gpu::{GpuBackend, GpuError};
use sc_kernel::ops::BitOp;
use sc_kernel::pack::RowShape;
use sc_kernel::words_for;

use crate::{bitwise_operands, contiguous, contiguous_mut, mac_operands, mask_rows, value_err};

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

/// `crate::pack_rows` on the GPU.
#[pyfunction]
pub(crate) fn gpu_pack_rows<'py>(
    py: Python<'py>,
    bits: PyReadonlyArrayDyn<'py, u8>,
    rows: usize,
    row_len: usize,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let b = contiguous("bitstream", &bits)?;
    let shape = RowShape { rows, row_len };
    let stride = shape.stride::<u64>();
    let cpu = crate::cpu()?;
    let out = py
        .allow_threads(|| -> Result<Vec<u64>, String> {
            let n = shape.words::<u64>().map_err(|e| e.to_string())?;
            if n == 0 {
                // Nothing to pack (no rows, or rows of no bits); the
                // length check is the CPU's.
                let mut out = vec![];
                cpu.pack_rows(shape, b, &mut out)
                    .map_err(crate::kernel_err)?;
                return Ok(out);
            }
            let g = gpu()?;
            let d = g.pack(shape, b).map_err(gpu_err)?;
            g.to_host(&d).map_err(gpu_err)
        })
        .map_err(value_err)?;
    let arr = Array2::from_shape_vec((rows, stride), out).map_err(value_err)?;
    Ok(arr.into_pyarray_bound(py))
}

/// `crate::bitwise` on the GPU: the op over whole words (rows of `stride`
/// words when they divide `a`), the padding cleared on the host as there.
#[pyfunction]
#[pyo3(signature = (op, a, b, sel, out, stride, row_len=None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn gpu_bitwise(
    py: Python<'_>,
    op: &str,
    a: PyReadonlyArrayDyn<'_, u64>,
    b: PyReadonlyArrayDyn<'_, u64>,
    sel: PyReadonlyArrayDyn<'_, u64>,
    mut out: PyReadwriteArrayDyn<'_, u64>,
    stride: usize,
    row_len: Option<usize>,
) -> PyResult<()> {
    let (op, [a, b, s], o, mask) = bitwise_operands(op, [&a, &b, &sel], &mut out, stride, row_len)?;
    if a.is_empty() {
        return Ok(());
    }
    py.allow_threads(|| -> Result<(), String> {
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
        mask_rows(o, stride, mask);
        Ok(())
    })
    .map_err(value_err)
}

/// `crate::popcount_words` on the GPU.
#[pyfunction]
pub(crate) fn gpu_popcount_words(
    py: Python<'_>,
    packed: PyReadonlyArrayDyn<'_, u64>,
    mut out: PyReadwriteArrayDyn<'_, u64>,
) -> PyResult<()> {
    let p = contiguous("packed", &packed)?;
    let o = contiguous_mut("out", &mut out)?;
    if o.len() != p.len() {
        return Err(value_err("`out` must have the shape of `packed`"));
    }
    if p.is_empty() {
        return Ok(());
    }
    py.allow_threads(|| -> Result<(), String> {
        let shape = RowShape {
            rows: 1,
            row_len: p.len().checked_mul(64).ok_or("`packed` too large")?,
        };
        let g = gpu()?;
        let d = g.to_device(shape, p).map_err(gpu_err)?;
        let counts = g.count_ones_per_word(&d).map_err(gpu_err)?;
        for (o, c) in o.iter_mut().zip(counts) {
            *o = u64::from(c);
        }
        Ok(())
    })
    .map_err(value_err)
}

/// `crate::vec_mac` on the GPU (the device's MAC, unsigned counts).
#[pyfunction]
pub(crate) fn gpu_vec_mac<'py>(
    py: Python<'py>,
    weights: PyReadonlyArrayDyn<'py, u64>,
    inputs: PyReadonlyArrayDyn<'py, u64>,
    neurons: usize,
    n_inputs: usize,
    words: usize,
) -> PyResult<Bound<'py, PyArray1<u64>>> {
    let (w, x, shape) = mac_operands(&weights, &inputs, neurons, n_inputs, words)?;
    let cpu = crate::cpu()?;
    let counts = py
        .allow_threads(|| -> Result<Vec<u32>, String> {
            if neurons == 0 || n_inputs == 0 || words == 0 {
                // Nothing to count (all zeros): the CPU's answer, with no
                // device buffers sized by `neurons` alone.
                return crate::mac_counts(cpu, &shape, w, x);
            }
            let g = gpu()?;
            let dw = g.to_device(shape.weight_rows(), w).map_err(gpu_err)?;
            let dx = g.to_device(shape.input_rows(), x).map_err(gpu_err)?;
            // The device computes the signed MAC too: all signs positive.
            let signs = RowShape {
                rows: neurons,
                row_len: n_inputs,
            };
            // No larger than the weights (n_inputs and words are >= 1).
            let zeros = vec![0u64; neurons * words_for::<u64>(n_inputs)];
            let ds = g.to_device(signs, &zeros).map_err(gpu_err)?;
            let (u, _) = g.mac_both(&shape, &dw, &ds, &dx, 1).map_err(gpu_err)?;
            Ok(u)
        })
        .map_err(value_err)?;
    let counts: Vec<u64> = counts.into_iter().map(u64::from).collect();
    Ok(counts.into_pyarray_bound(py))
}
