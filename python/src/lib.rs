//! `sc_neuro._native`: the Rust kernels behind the Python package
//! `sc_neuro` (python/sc_neuro/). The Python layer checks dtypes, shapes
//! and values and gives the seed's names and defaults; the functions here
//! take C-contiguous arrays of the right dtype (borrowed, never copied),
//! release the GIL while they compute (so another Python thread must not
//! write an array during a call that reads it), and turn every error of theirs into
//! a Python `ValueError` (never a panic); an argument of the wrong type,
//! dtype or number of dimensions is pyo3's `TypeError` before they run.
//!
//! `pack_rows`, `bitwise`, `popcount_words` and `vec_mac` serve both the
//! CPU functions and `gpu_backend`'s: one set of argument checks, then with
//! `gpu=True` the GPU path of `gpu.rs` on `sc_host::gpu::GpuBackend`. That
//! path (and `gpu_adapter`) needs the cargo feature `gpu` (default), which
//! makes `GPU_BUILD` `True`; without it `gpu=True` is an error.

// pyo3 0.22's `#[pyfunction]` expansion converts `PyResult`'s error into
// itself, which clippy 1.95 flags on every function signature.
#![allow(clippy::useless_conversion)]

use numpy::ndarray::{Array2, Dimension};
use numpy::{
    IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyReadonlyArray3, PyReadonlyArrayDyn, PyReadwriteArray1, PyReadwriteArray2,
    PyReadwriteArrayDyn, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use sc_host::backend::Bitwise;
use sc_host::cpu::CpuBackend;
use sc_host::digits::DigitsModel;
use sc_host::engine::{Engine, Record};
use sc_host::job::{RunModel, Values};
use sc_host::scnet::{LifFormat, NetError, NetRun, NetworkSpec, ScNetwork};
use sc_host::snn::seed;
use sc_host::snn::{Snn, SnnConfig};
use sc_host::vectors::compute::chain;
use sc_host::vectors::export::{model_words, render, ExportFormat};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::mac::MacShape;
use sc_kernel::ops::BitOp;
use sc_kernel::pack::RowShape;
use sc_kernel::sng::Probability;
use sc_kernel::{BitSlice, BitSliceMut};

use std::sync::OnceLock;

#[cfg(feature = "gpu")]
mod gpu;

/// A build without the cargo feature `gpu` has no GPU path: `gpu=True` is
/// refused (the Python layer asks for it only where `GPU_BUILD` is true).
#[cfg(not(feature = "gpu"))]
mod gpu {
    use sc_kernel::{mac::MacShape, ops::BitOp, pack::RowShape};

    const NO_GPU: &str = "gpu=True: this build has no GPU backend (cargo feature `gpu`)";

    pub(crate) fn pack_rows(_: RowShape, _: &[u8]) -> Result<Vec<u64>, String> {
        Err(NO_GPU.into())
    }
    pub(crate) fn bitwise(_: BitOp, _: [&[u64]; 3], _: &mut [u64], _: usize) -> Result<(), String> {
        Err(NO_GPU.into())
    }
    pub(crate) fn count_ones_per_word(_: &[u64]) -> Result<Vec<u32>, String> {
        Err(NO_GPU.into())
    }
    pub(crate) fn mac(_: &MacShape, _: &[u64], _: &[u64]) -> Result<Vec<u32>, String> {
        Err(NO_GPU.into())
    }
}

fn value_err(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The process's CPU backend (one rayon pool for every call).
fn cpu() -> PyResult<&'static CpuBackend> {
    static CPU: OnceLock<Result<CpuBackend, String>> = OnceLock::new();
    CPU.get_or_init(|| CpuBackend::new(0).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| value_err(format!("CPU backend: {e}")))
}

fn contiguous<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    name: &str,
    a: &'a numpy::PyReadonlyArray<'_, T, D>,
) -> PyResult<&'a [T]> {
    a.as_slice()
        .map_err(|_| value_err(format!("`{name}` must be C-contiguous")))
}

/// [`contiguous`] for an array the call writes.
fn contiguous_mut<'a, T: numpy::Element, D: numpy::ndarray::Dimension>(
    name: &str,
    a: &'a mut numpy::PyReadwriteArray<'_, T, D>,
) -> PyResult<&'a mut [T]> {
    a.as_slice_mut()
        .map_err(|_| value_err(format!("`{name}` must be C-contiguous")))
}

/// The two dimensions of a 2-D array's `shape`; else the error
/// `"{what}, got {n}-D"`.
fn two_d(shape: &[usize], what: impl std::fmt::Display) -> PyResult<(usize, usize)> {
    match *shape {
        [rows, cols] => Ok((rows, cols)),
        _ => Err(value_err(format!("{what}, got {}-D", shape.len()))),
    }
}

/// Every bit of `words`.
fn all_bits(words: &[u64]) -> Result<BitSlice<'_, u64>, String> {
    BitSlice::new(words, words.len() * 64).map_err(|e| e.to_string())
}

/// A new 2-D array of `rows x cols` elements.
fn py2<T: numpy::Element>(
    py: Python<'_>,
    (rows, cols): (usize, usize),
    data: Vec<T>,
) -> PyResult<Bound<'_, PyArray2<T>>> {
    let a = Array2::from_shape_vec((rows, cols), data).map_err(value_err)?;
    Ok(a.into_pyarray_bound(py))
}

/// Pack the rows of 0/1 bytes of `bits` (`rows x row_len`) into
/// `rows x ceil(row_len / 64)` words; with `gpu`, on the GPU backend.
#[pyfunction]
#[pyo3(signature = (bits, gpu=false))]
fn pack_rows<'py>(
    py: Python<'py>,
    bits: PyReadonlyArray2<'py, u8>,
    gpu: bool,
) -> PyResult<Bound<'py, PyArray2<u64>>> {
    let (rows, row_len) = bits.dims().into_pattern();
    let shape = RowShape { rows, row_len };
    let b = contiguous("bitstream", &bits)?;
    let cpu = cpu()?;
    let out = py.allow_threads(|| -> Result<Vec<u64>, String> {
        let n = shape.words::<u64>().map_err(|e| e.to_string())?;
        if gpu && n > 0 {
            return gpu::pack_rows(shape, b);
        }
        // The CPU path, or nothing to pack (no rows, or rows of no bits):
        // the length check is the CPU's.
        let mut out = vec![0u64; n];
        cpu.pack_rows(shape, b, &mut out).map_err(kernel_err)?;
        Ok(out)
    });
    py2(py, (rows, shape.stride::<u64>()), out.map_err(value_err)?)
}

/// A kernel error as the Python functions word it (an invalid bit names
/// the bitstream's flat index).
fn kernel_err(e: sc_kernel::Error) -> String {
    match e {
        sc_kernel::Error::InvalidBit { index, value } => {
            format!("bitstream[{index}] (flat index) is {value}; a bitstream holds only 0 and 1")
        }
        e => e.to_string(),
    }
}

/// Unpack the first `row_len` bits of each row of `packed` (`rows x
/// stride` words) into `out` (`rows x row_len` bytes, 0 or 1).
#[pyfunction]
fn unpack_rows(
    py: Python<'_>,
    packed: PyReadonlyArray2<'_, u64>,
    mut out: PyReadwriteArray2<'_, u8>,
) -> PyResult<()> {
    let (rows, stride) = packed.dims().into_pattern();
    let (out_rows, row_len) = out.dims().into_pattern();
    if out_rows != rows || row_len > stride.saturating_mul(64) {
        return Err(value_err(format!(
            "`out` of {out_rows} rows of {row_len} bits does not fit `packed`, {rows} rows of {stride} words"
        )));
    }
    let p = contiguous("packed", &packed)?;
    let o = contiguous_mut("out", &mut out)?;
    let cpu = cpu()?;
    py.allow_threads(|| cpu.unpack_rows(p, stride, o, row_len).map_err(kernel_err))
        .map_err(value_err)
}

/// Mask of the valid bits of a row's last word (`row_len` bits in
/// `stride` words), or `None` when every bit of the row is valid.
fn last_mask(stride: usize, row_len: usize) -> Option<u64> {
    if stride == 0 || row_len >= stride * 64 {
        None
    } else {
        let r = row_len - (stride - 1) * 64;
        Some(if r == 0 { 0 } else { u64::MAX >> (64 - r) })
    }
}

fn row_bits(p: &[u64], stride: usize, row_len: Option<usize>) -> PyResult<Option<u64>> {
    match row_len {
        None => Ok(None),
        Some(n) => {
            if stride == 0
                || !p.len().is_multiple_of(stride)
                || n > stride * 64
                || n + 64 <= stride * 64
            {
                return Err(value_err(format!(
                    "`length` {n} does not fit rows of {stride} words (it must be in {}..={})",
                    (stride * 64).saturating_sub(63),
                    stride * 64
                )));
            }
            Ok(last_mask(stride, n))
        }
    }
}

/// `out = op(a, b, sel)` over whole words; with `row_len`, the padding of
/// every row of `stride` words is cleared afterwards. With `gpu`, the op
/// runs on the GPU backend (rows of `stride` words when they divide `a`).
#[pyfunction]
#[pyo3(signature = (op, a, b, sel, out, stride, row_len=None, gpu=false))]
#[allow(clippy::too_many_arguments)]
fn bitwise(
    py: Python<'_>,
    op: &str,
    a: PyReadonlyArrayDyn<'_, u64>,
    b: PyReadonlyArrayDyn<'_, u64>,
    sel: PyReadonlyArrayDyn<'_, u64>,
    mut out: PyReadwriteArrayDyn<'_, u64>,
    stride: usize,
    row_len: Option<usize>,
    gpu: bool,
) -> PyResult<()> {
    let op = bit_op(op)?;
    let (a, b, s) = (
        contiguous("a", &a)?,
        contiguous("b", &b)?,
        contiguous("select", &sel)?,
    );
    let o = contiguous_mut("out", &mut out)?;
    let mask = operand_lens(a, [("b", b), ("select", s), ("out", &*o)], stride, row_len)?;
    let cpu = cpu()?;
    py.allow_threads(|| -> Result<(), String> {
        if gpu {
            gpu::bitwise(op, [a, b, s], o, stride)?;
        } else {
            let e = |e: sc_kernel::Error| e.to_string();
            let (sa, sb, ss) = (all_bits(a)?, all_bits(b)?, all_bits(s)?);
            let mut so = BitSliceMut::new(o, a.len() * 64).map_err(e)?;
            let operands = Bitwise {
                op,
                a: sa,
                b: sb,
                sel: ss,
            };
            cpu.bitwise(operands, &mut so).map_err(e)?;
        }
        mask_rows(o, stride, mask);
        Ok(())
    })
    .map_err(value_err)
}

/// `bitwise`'s op by name.
fn bit_op(op: &str) -> PyResult<BitOp> {
    match op {
        "and" => Ok(BitOp::And),
        "xnor" => Ok(BitOp::Xnor),
        "not" => Ok(BitOp::Not),
        "mux" => Ok(BitOp::Mux),
        o => Err(value_err(format!("unknown op {o:?}"))),
    }
}

/// `bitwise`'s operands checked against `a` (the same number of words;
/// `row_len` fits rows of `stride` words): the mask of each row's last
/// word, if any.
fn operand_lens(
    a: &[u64],
    others: [(&str, &[u64]); 3],
    stride: usize,
    row_len: Option<usize>,
) -> PyResult<Option<u64>> {
    let mask = row_bits(a, stride, row_len)?;
    for (n, x) in others {
        if x.len() != a.len() {
            return Err(value_err(format!(
                "`{n}` holds {} words; `a` holds {}",
                x.len(),
                a.len()
            )));
        }
    }
    Ok(mask)
}

/// Clear the padding of every row of `stride` words (`mask`: the valid
/// bits of a row's last word, from [`operand_lens`]).
fn mask_rows(o: &mut [u64], stride: usize, mask: Option<u64>) {
    if let Some(m) = mask {
        for w in o.chunks_mut(stride) {
            w[stride - 1] &= m;
        }
    }
}

/// Set bits of all words; with `row_len`, padding bits of every row of
/// `stride` words are not counted.
#[pyfunction]
#[pyo3(signature = (packed, stride, row_len=None))]
fn popcount(
    py: Python<'_>,
    packed: PyReadonlyArrayDyn<'_, u64>,
    stride: usize,
    row_len: Option<usize>,
) -> PyResult<u64> {
    let p = contiguous("packed", &packed)?;
    let mask = row_bits(p, stride, row_len)?;
    let cpu = cpu()?;
    py.allow_threads(|| -> Result<u64, String> {
        let mut n = cpu.count_ones(all_bits(p)?) as u64;
        if let Some(m) = mask {
            for w in p.chunks(stride) {
                n -= u64::from((w[stride - 1] & !m).count_ones());
            }
        }
        Ok(n)
    })
    .map_err(value_err)
}

/// Popcount of every word into `out`, as `uint64` (the seed's
/// `gpu_popcount`); with `gpu`, on the GPU backend.
#[pyfunction]
#[pyo3(signature = (packed, out, gpu=false))]
fn popcount_words(
    py: Python<'_>,
    packed: PyReadonlyArrayDyn<'_, u64>,
    mut out: PyReadwriteArrayDyn<'_, u64>,
    gpu: bool,
) -> PyResult<()> {
    let p = contiguous("packed", &packed)?;
    let o = contiguous_mut("out", &mut out)?;
    if o.len() != p.len() {
        return Err(value_err("`out` must have the shape of `packed`"));
    }
    let cpu = cpu()?;
    py.allow_threads(|| -> Result<(), String> {
        if !gpu {
            return cpu
                .count_ones_per_word_u64(all_bits(p)?, o)
                .map_err(|e| e.to_string());
        }
        let counts = gpu::count_ones_per_word(p)?;
        if counts.len() != o.len() {
            return Err(format!(
                "{} counts for {} words (the device's result is short)",
                counts.len(),
                o.len()
            ));
        }
        for (o, c) in o.iter_mut().zip(counts) {
            *o = u64::from(c);
        }
        Ok(())
    })
    .map_err(value_err)
}

/// The dense MAC: `counts[i] = sum_j popcount(w[i, j, :] & x[j, :])` of
/// `weights` (`neurons x n_inputs x words`) and `inputs` (`n_inputs x
/// words`), as a new `uint64` array, or into the caller's `out` (`int64`,
/// `jit_vec_mac`; then `None`); with `gpu`, on the GPU backend.
#[pyfunction]
#[pyo3(signature = (weights, inputs, out=None, gpu=false))]
fn vec_mac<'py>(
    py: Python<'py>,
    weights: PyReadonlyArray3<'py, u64>,
    inputs: PyReadonlyArray2<'py, u64>,
    mut out: Option<PyReadwriteArray1<'py, i64>>,
    gpu: bool,
) -> PyResult<Option<Bound<'py, PyArray1<u64>>>> {
    let (w, x, shape) = mac_operands(&weights, &inputs)?;
    let mut o = out
        .as_mut()
        .map(|o| contiguous_mut("outputs", o))
        .transpose()?;
    if let Some(o) = &o {
        if o.len() != shape.neurons() {
            return Err(value_err(format!(
                "`outputs` has {} elements; expected n_neurons = {}",
                o.len(),
                shape.neurons()
            )));
        }
    }
    let cpu = cpu()?;
    let counts = py
        .allow_threads(|| -> Result<Option<Vec<u64>>, String> {
            let counts = if gpu && shape.neurons() > 0 && shape.inputs() > 0 && !shape.is_empty() {
                gpu::mac(&shape, w, x)?
            } else {
                // Nothing to count on the GPU (all zeros): the CPU's
                // answer, with no device buffers sized by `neurons` alone.
                let mut counts = vec![0u32; shape.neurons()];
                cpu.mac(&shape, w, x, &mut counts)
                    .map_err(|e| e.to_string())?;
                counts
            };
            let Some(o) = o.as_mut() else {
                return Ok(Some(counts.into_iter().map(u64::from).collect()));
            };
            for (o, c) in o.iter_mut().zip(counts) {
                *o = i64::from(c);
            }
            Ok(None)
        })
        .map_err(value_err)?;
    Ok(counts.map(|c| c.into_pyarray_bound(py)))
}

/// `vec_mac`'s operands as slices and its shape, from the shape of
/// `weights`; the errors name the Python arguments.
type MacOperands<'a> = (&'a [u64], &'a [u64], MacShape);
fn mac_operands<'a>(
    weights: &'a PyReadonlyArray3<'_, u64>,
    inputs: &'a PyReadonlyArray2<'_, u64>,
) -> PyResult<MacOperands<'a>> {
    let (neurons, n_inputs, words) = weights.dims().into_pattern();
    if inputs.dims().into_pattern() != (n_inputs, words) {
        return Err(value_err(format!(
            "`packed_inputs` has shape {:?}; `packed_weights` needs ({n_inputs}, {words})",
            inputs.shape()
        )));
    }
    let w = contiguous("packed_weights", weights)?;
    let x = contiguous("packed_inputs", inputs)?;
    let len = words
        .checked_mul(64)
        .ok_or_else(|| value_err("`n_words` too large"))?;
    let shape = MacShape::new(neurons, n_inputs, len).map_err(|e| {
        value_err(format!(
            "{e}: n_inputs * n_words * 64 must be at most 2^31 - 1"
        ))
    })?;
    Ok((w, x, shape))
}

fn matrix<'a>(
    name: &str,
    a: &'a PyReadonlyArrayDyn<'_, f64>,
) -> PyResult<seed::MatrixRef<'a, f64>> {
    let (rows, cols) = two_d(a.shape(), format_args!("`{name}` must be 2-D"))?;
    let data = contiguous(name, a)?;
    seed::MatrixRef::new(name, rows, cols, data).map_err(value_err)
}

/// Each of `weights` as a matrix, named `weights[k]` in errors.
fn matrices<'a>(
    weights: &'a [PyReadonlyArrayDyn<'_, f64>],
) -> PyResult<Vec<seed::MatrixRef<'a, f64>>> {
    weights
        .iter()
        .enumerate()
        .map(|(k, w)| matrix(&format!("weights[{k}]"), w))
        .collect()
}

fn to_py2(py: Python<'_>, m: seed::Matrix<f64>) -> PyResult<Bound<'_, PyArray2<f64>>> {
    py2(py, (m.rows, m.cols), m.data)
}

/// The LIF parameters of `lif_step` and `forward_pass`, one Python tuple
/// `(v_rest, v_reset, v_threshold, alpha)`.
#[derive(FromPyObject)]
struct Lif(f64, f64, f64, f64);

impl From<Lif> for seed::ForwardParams {
    fn from(Lif(v_rest, v_reset, v_threshold, alpha): Lif) -> Self {
        Self {
            v_rest,
            v_reset,
            v_threshold,
            alpha,
        }
    }
}

/// The seed's `jax_lif_step` (float64) into `v_new` and `spikes` (the
/// caller's arrays of `v`'s length: numpy's `empty`, so no page is written
/// twice).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn lif_step(
    py: Python<'_>,
    v: PyReadonlyArray1<'_, f64>,
    i_t: PyReadonlyArray1<'_, f64>,
    lif: Lif,
    resistance: f64,
    noise: PyReadonlyArray1<'_, f64>,
    mut v_new: PyReadwriteArray1<'_, f64>,
    mut spikes: PyReadwriteArray1<'_, f64>,
) -> PyResult<()> {
    let (v, i, n) = (
        v.as_slice().map_err(value_err)?,
        i_t.as_slice().map_err(value_err)?,
        noise.as_slice().map_err(value_err)?,
    );
    let (nw, sw) = (
        contiguous_mut("v_new", &mut v_new)?,
        contiguous_mut("spikes", &mut spikes)?,
    );
    let Lif(v_rest, v_reset, v_threshold, alpha) = lif;
    let p = seed::LifStepParams {
        v_rest,
        v_reset,
        v_threshold,
        alpha,
        resistance,
    };
    let cpu = cpu()?;
    py.allow_threads(|| cpu.install(|| seed::jax_lif_step_into(v, i, n, &p, nw, sw)))
        .map_err(value_err)
}

/// The seed's `jax_forward_pass` (float64): per layer its spikes
/// (`n_steps x batch x n_out`, flat) and the last layer's potentials.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn forward_pass<'py>(
    py: Python<'py>,
    weights: Vec<PyReadonlyArrayDyn<'py, f64>>,
    x: PyReadonlyArrayDyn<'py, f64>,
    n_steps: usize,
    lif: Lif,
) -> PyResult<(Vec<Bound<'py, PyArray1<f64>>>, Bound<'py, PyArray2<f64>>)> {
    let ws = matrices(&weights)?;
    let x = matrix("x", &x)?;
    let p = lif.into();
    let cpu = cpu()?;
    let r = py
        .allow_threads(|| cpu.install(|| seed::jax_forward_pass(&ws, &x, n_steps, &p)))
        .map_err(value_err)?;
    let spikes = r
        .spikes
        .into_iter()
        .map(|s| s.into_pyarray_bound(py))
        .collect();
    Ok((spikes, to_py2(py, r.v)?))
}

/// The seed's `jax_surrogate_loss` (`lr` is `None`: `(None, loss)`) or
/// `jax_surrogate_gradient_step` (`(new weights, loss)`), float64: one
/// function for their common operands.
#[pyfunction]
#[pyo3(signature = (weights, x, targets, n_steps, lr, beta, threshold, surrogate_path))]
#[allow(clippy::too_many_arguments)]
#[allow(clippy::type_complexity)]
fn surrogate<'py>(
    py: Python<'py>,
    weights: Vec<PyReadonlyArrayDyn<'py, f64>>,
    x: PyReadonlyArrayDyn<'py, f64>,
    targets: PyReadonlyArrayDyn<'py, f64>,
    n_steps: usize,
    lr: Option<f64>,
    beta: f64,
    threshold: f64,
    surrogate_path: &str,
) -> PyResult<(Option<Vec<Bound<'py, PyArray2<f64>>>>, f64)> {
    let ws = matrices(&weights)?;
    let (x, t) = (matrix("x", &x)?, matrix("targets", &targets)?);
    let p = seed::LossParams {
        n_steps,
        beta,
        threshold,
        path: seed::SurrogatePath::parse(surrogate_path).map_err(value_err)?,
        ..seed::LossParams::default()
    };
    let cpu = cpu()?;
    let (new, loss) = py
        .allow_threads(|| {
            cpu.install(|| match lr {
                None => seed::jax_surrogate_loss(&ws, &x, &t, &p).map(|l| (None, l)),
                Some(lr) => seed::jax_surrogate_gradient_step(&ws, &x, &t, lr, &p)
                    .map(|(new, l)| (Some(new), l)),
            })
        })
        .map_err(value_err)?;
    let new = new
        .map(|new| new.into_iter().map(|m| to_py2(py, m)).collect())
        .transpose()?;
    Ok((new, loss))
}

/// A model to run: a model file (a digits/trained model, or a bare SC
/// network; docs/model.md) and its JSON text.
#[pyclass(module = "sc_neuro._native", name = "Model", frozen)]
struct Model {
    run: RunModel,
    text: String,
}

#[pymethods]
impl Model {
    /// Layer widths of the SC network (`dims[0]` counts the bias input).
    #[getter]
    fn dims(&self) -> Vec<usize> {
        self.run.network.dims.clone()
    }
    /// Time steps per sample the model file names, or `None`.
    #[getter]
    fn steps(&self) -> Option<usize> {
        self.run.steps
    }
    /// Whether the last input is a constant bias input (probability 1)
    /// that input rows may leave out.
    #[getter]
    fn bias_input(&self) -> bool {
        self.run.bias_input
    }
    /// The model file's JSON text.
    fn to_json(&self) -> String {
        self.text.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "Model(dims={:?}, steps={:?}, format={:?})",
            self.run.network.dims, self.run.steps, self.run.network.format
        )
    }
}

/// Load and validate a model file.
#[pyfunction]
fn load_model(path: std::path::PathBuf) -> PyResult<Model> {
    let run = RunModel::load(&path).map_err(|e| value_err(chain(&e)))?;
    let text = std::fs::read_to_string(&path)
        .map_err(|e| value_err(format!("{}: {e}", path.display())))?;
    Ok(Model { run, text })
}

/// Parse and validate a model from its JSON text.
#[pyfunction]
fn model_from_json(text: String) -> PyResult<Model> {
    // As `RunModel::load` reads a file.
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| value_err(format!("model: not JSON: {e}")))?;
    let run = if v.get("format").and_then(|f| f.as_str()) == Some("sc-neuro-model") {
        let m = DigitsModel::parse(&text, "model").map_err(|e| value_err(chain(&e)))?;
        RunModel::from_digits(m)
    } else {
        let network: NetworkSpec = serde_json::from_value(v)
            .map_err(|e| value_err(format!("model: not a model file or network: {e}")))?;
        network.validate().map_err(|e| value_err(chain(&e)))?;
        RunModel {
            network,
            steps: None,
            bias_input: false,
        }
    };
    Ok(Model { run, text })
}

/// Run every sample (rows of input probabilities in `[0, 1]`) for `steps`
/// steps on `backend` (`"cpu"`: the engine, `"kernel"`: the bitstream
/// path; the same bits). Returns the last layer's spike counts
/// (`samples x outputs`, uint32) and the predicted classes (int64).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn run_model<'py>(
    py: Python<'py>,
    model: &Model,
    inputs: PyReadonlyArrayDyn<'py, f64>,
    steps: usize,
    backend: &str,
) -> PyResult<(Bound<'py, PyArray2<u32>>, Bound<'py, PyArray1<i64>>)> {
    let (samples, cols) = two_d(inputs.shape(), "inputs must be 2-D (samples, features)")?;
    let x = contiguous("inputs", &inputs)?;
    let net = &model.run.network;
    let n_in = net.dims[0];
    let add_bias = model.run.bias_input && cols + 1 == n_in;
    if cols != n_in && !add_bias {
        return Err(value_err(format!(
            "inputs have {cols} columns; the model takes {n_in}{}",
            if model.run.bias_input {
                format!(" (or {}, without the bias input)", n_in - 1)
            } else {
                String::new()
            }
        )));
    }
    if steps > 65536 {
        return Err(value_err(format!(
            "steps {steps}: at most 65536 are allowed"
        )));
    }
    let mut rows = Vec::with_capacity(samples);
    for (r, row) in x.chunks(cols.max(1)).take(samples).enumerate() {
        let mut ps = Vec::with_capacity(n_in);
        for (c, &v) in row.iter().enumerate() {
            ps.push(
                Values::Probabilities
                    .probability(v)
                    .map_err(|what| value_err(format!("inputs[{r}, {c}] is {v}; {what}")))?,
            );
        }
        if add_bias {
            ps.push(Probability::ONE);
        }
        rows.push(ps);
    }
    let outs = *net.dims.last().unwrap_or(&0);
    let runs = match backend {
        "cpu" | "kernel" => {
            let kernel = backend == "kernel";
            py.allow_threads(|| match net.format {
                LifFormat::Q16_16 => run_rows::<I16F16>(net, &rows, steps, kernel),
                LifFormat::Q8_8 => run_rows::<I8F8>(net, &rows, steps, kernel),
            })
            .map_err(|e| value_err(chain(&e)))?
        }
        #[cfg(feature = "gpu")]
        "gpu" => py
            .allow_threads(|| gpu::network_batch(net, &rows, steps))
            .map_err(value_err)?,
        b => {
            return Err(value_err(format!(
                "backend {b:?}: {} are allowed",
                if cfg!(feature = "gpu") {
                    "\"cpu\", \"kernel\" or \"gpu\""
                } else {
                    "\"cpu\" or \"kernel\""
                }
            )))
        }
    };
    let mut counts = Vec::with_capacity(runs.len() * outs);
    let mut pred = Vec::with_capacity(runs.len());
    for r in &runs {
        counts.extend_from_slice(&r.counts);
        pred.push(r.predicted().map_or(-1, |p| p as i64));
    }
    let counts = py2(py, (runs.len(), outs), counts)?;
    Ok((counts, pred.into_pyarray_bound(py)))
}

/// Every row's run (spike counts only) on the engine, or with `kernel` on
/// the kernel's bitstream path (the same bits).
fn run_rows<F: sc_kernel::lif::LifFixed>(
    net: &NetworkSpec,
    rows: &[Vec<Probability>],
    steps: usize,
    kernel: bool,
) -> Result<Vec<NetRun>, NetError> {
    if !kernel {
        return Engine::<F>::new(net)?.run_batch(rows, steps, Record::Counts);
    }
    let n = ScNetwork::<F, u64>::new(net)?;
    rows.iter()
        .map(|x| {
            n.run(x, steps).map(|mut r| {
                r.spikes.clear();
                r
            })
        })
        .collect()
}

/// Quantise a float network (the project's SNN, spec §6: leak `alpha`,
/// `threshold`; `weights[l]` is `sizes[l+1] x inputs_l`, layer 0 with a
/// bias column when `bias`) to an SC model, as `sc train` does: Q16.16,
/// Sobol streams of `length` bits per step.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn quantise(
    weights: Vec<PyReadonlyArrayDyn<'_, f64>>,
    alpha: f64,
    threshold: f64,
    steps: usize,
    bias: bool,
    length: usize,
    beta: f64,
    kappa: f64,
    description: String,
) -> PyResult<Model> {
    if weights.is_empty() {
        return Err(value_err("weights: at least one layer is needed"));
    }
    let mut sizes = Vec::with_capacity(weights.len() + 1);
    let mut ws = Vec::with_capacity(weights.len());
    for (l, w) in weights.iter().enumerate() {
        let (rows, cols) = two_d(w.shape(), format_args!("weights[{l}] must be 2-D"))?;
        let n_in = if l == 0 {
            let n = cols
                .checked_sub(usize::from(bias))
                .ok_or_else(|| value_err("weights[0] needs a bias column (bias=True)"))?;
            sizes.push(n);
            cols
        } else {
            sizes[l]
        };
        if cols != n_in {
            return Err(value_err(format!(
                "weights[{l}] has {cols} columns; layer {} has {} neurons",
                l - 1,
                sizes[l]
            )));
        }
        sizes.push(rows);
        let data = contiguous(&format!("weights[{l}]"), w)?;
        ws.push(data.iter().map(|&x| x as f32).collect::<Vec<f32>>());
    }
    let snn = Snn {
        config: SnnConfig {
            sizes,
            steps,
            alpha,
            threshold,
            beta,
            kappa,
            bias,
        },
        weights: ws,
    };
    let m = sc_host::train::model(snn, length, description).map_err(|e| value_err(chain(&e)))?;
    let text = m.to_json();
    Ok(Model {
        run: RunModel::from_digits(m),
        text,
    })
}

/// The model's SC network as the words `sc model export` writes, rendered
/// as `format` (`"memh"`, `"rust"` or `"bin"`, exactly the CLI's file),
/// run for `steps` steps.
#[pyfunction]
fn export_model<'py>(
    py: Python<'py>,
    model: &Model,
    format: &str,
    steps: usize,
    source: &str,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let fmt = match format {
        "memh" => ExportFormat::Memh,
        "rust" => ExportFormat::Rust,
        "bin" => ExportFormat::Bin,
        f => {
            return Err(value_err(format!(
                "format {f:?}: \"memh\", \"rust\" or \"bin\" are allowed"
            )))
        }
    };
    let words = model_words(&model.run.network, steps).map_err(|e| value_err(chain(&e)))?;
    let bytes = render(&words, fmt, source, "MODEL");
    Ok(pyo3::types::PyBytes::new_bound(py, &bytes))
}

/// The elements `0..n` owned by `rank` of `size` processes
/// (`sc_host::dist::partition`): `(start, stop)`.
#[pyfunction]
fn partition(n: usize, size: usize, rank: usize) -> PyResult<(usize, usize)> {
    if size == 0 || rank >= size {
        return Err(value_err(format!(
            "rank {rank} of size {size}: size must be >= 1 and rank < size"
        )));
    }
    let r = sc_host::dist::partition(n, size, rank);
    Ok((r.start, r.end))
}

/// `m.add_function(wrap_pyfunction!(f, m)?)?` for each function `f`.
macro_rules! add_functions {
    ($m:expr, $($f:path),* $(,)?) => {
        $($m.add_function(wrap_pyfunction!($f, $m)?)?;)*
    };
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    add_functions!(
        m,
        pack_rows,
        unpack_rows,
        bitwise,
        popcount,
        popcount_words,
        vec_mac,
        lif_step,
        forward_pass,
        surrogate,
        partition,
        load_model,
        model_from_json,
        run_model,
        quantise,
        export_model,
    );
    m.add("GPU_BUILD", cfg!(feature = "gpu"))?;
    #[cfg(feature = "gpu")]
    add_functions!(m, gpu::gpu_adapter);
    m.add_class::<Model>()?;
    Ok(())
}
