//! The GPU backend: wgpu compute shaders (Vulkan, Metal, DX12; lavapipe in
//! CI) with a transparent fallback to the [`CpuBackend`].
//!
//! Data lives on the device as [`DeviceRows`] (explicit [`GpuBackend::to_device`]
//! and [`GpuBackend::to_host`]): batches of `rows` streams of `row_len` bits,
//! each row padded to whole `u64` words on its own with zero padding
//! (docs/spec.md §1.3). Streams keep the host's `u64` word layout (the
//! shaders read them as pairs of `u32`), so results are bit-identical to
//! the CPU backend and the kernel (the conformance vectors and the property
//! tests check it).
//!
//! What runs where: pack, the bitwise ops, popcount, the dense MAC and LIF
//! runs are compute shaders end to end. Whole networks
//! ([`crate::backend::Backend::network`]) run in the counting form of spec
//! §7.1, a batch of samples at once ([`GpuBackend::prepare`], then
//! [`GpuNetwork::run_batch`]): the host builds the weight counts once per
//! network (the kernel's `ones_table`, `weight_counts`, `weight_ranks`),
//! uploads them on the first run, and per step orders the input comparator
//! values; the device builds layer 0's prefix tables, sums every layer's
//! synaptic counts (layers `k >= 1` from the previous layer's spike words)
//! and steps the neurons (sc.wgsl re-implements the kernel's currents and
//! LIF step), so the spikes are bit-identical to the bitstream path; the
//! host waits only for the results. Its fallback is the CPU engine.
//!
//! Fallback: when no adapter exists, or the device is lost or reports an
//! error at run time, the backend prints one warning, remembers that the GPU
//! is broken, and from then on runs every operation on the CPU backend.
//! Buffers uploaded with `to_device` keep a host copy, so they stay usable
//! after a loss; results computed on the GPU and never downloaded are lost
//! with the device ([`GpuError::Lost`]).
//!
//! Data too large for the device: before it creates any buffer, every
//! operation checks the sizes against the device's limits
//! (`max_buffer_size`, `max_storage_buffer_binding_size`, the dispatch
//! grid) and the shaders' `u32` indexing; buffer creation also runs inside
//! error scopes, so an allocation failure is caught too. A call whose data
//! does not fit runs on the CPU backend instead, with the same result and
//! without a warning; the GPU stays in use for later calls
//! ([`GpuBackend::oversized_calls`] counts such calls).
//!
//! Layout: `device.rs` holds the device plumbing (adapter, device, limits,
//! error scopes, buffers, dispatch), `params.rs` the shaders' parameter
//! blocks, `ops.rs` the operations, `snn.rs` the float SNN's forward pass
//! in `f32`; this module holds the backend itself
//! and its fallback policy (`GpuBackend::run_or_fallback`, the one place
//! that decides between the device and the CPU backend); `backend.rs` its
//! [`crate::backend::Backend`] implementation; `net.rs` whole networks.

mod backend;
mod device;
mod net;
mod ops;
mod params;
mod snn;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::cpu::{CpuBackend, CpuError};
use sc_kernel::pack::RowShape;
use sc_kernel::Error;

use device::{Failed, Gpu};

/// Why a GPU operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// Invalid input (the kernel's error, as the CPU backend reports it).
    #[error(transparent)]
    Kernel(#[from] Error),
    /// The device was lost before this result was downloaded.
    #[error("the GPU was lost; results that were only on the device are gone")]
    Lost,
    /// The CPU backend could not be created.
    #[error(transparent)]
    Cpu(#[from] CpuError),
    /// Invalid float network or inputs ([`GpuBackend::snn_forward`]).
    #[error(transparent)]
    Snn(crate::snn::SnnError),
}

/// A batch of streams on the device (or on the host, after a fallback or
/// when it is too large for the device): `shape.rows` rows of
/// `shape.row_len` bits, each padded to whole `u64` words.
pub struct DeviceRows {
    shape: RowShape,
    words: usize,
    gpu: Option<wgpu::Buffer>,
    host: Option<Vec<u64>>,
}

impl DeviceRows {
    /// The row layout (`rows` rows of `row_len` bits).
    pub fn shape(&self) -> RowShape {
        self.shape
    }
    /// Length in `u64` words (`rows * ceil(row_len / 64)`).
    pub fn words(&self) -> usize {
        self.words
    }
}

/// The LIF state after [`GpuBackend::lif_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifRun<F> {
    /// Spike words per step: `steps` rows of `words_for::<u64>(n)` words.
    pub spikes: Vec<u64>,
    /// Membranes after the last step.
    pub v: Vec<F>,
    /// Refractory counters after the last step.
    pub refractory: Vec<u16>,
}

/// Graphics APIs (re-exported from wgpu) for [`GpuBackend::with_backends`].
pub use net::GpuNetwork;
pub use wgpu::Backends;

/// The GPU backend with its CPU fallback.
pub struct GpuBackend {
    cpu: CpuBackend,
    gpu: Option<Gpu>,
    broken: Arc<AtomicBool>,
    why: Arc<Mutex<String>>,
    warned: AtomicBool,
    warnings: AtomicUsize,
    oversized: AtomicUsize,
}

impl GpuBackend {
    /// The best GPU adapter of any primary API (Vulkan, Metal, DX12), else
    /// the CPU backend with one warning.
    pub fn new() -> Result<Self, GpuError> {
        Self::with_backends(wgpu::Backends::PRIMARY)
    }

    /// Only adapters of these graphics APIs (`Backends::empty()` forces the
    /// CPU fallback, for tests).
    pub fn with_backends(backends: wgpu::Backends) -> Result<Self, GpuError> {
        Self::open(backends, |_| {})
    }

    /// Like [`Self::with_backends`], on a device whose limits `lower` may
    /// lower from the adapter's (tests of data too large for the device:
    /// `max_buffer_size`, `max_storage_buffer_binding_size`,
    /// `max_compute_workgroups_per_dimension`).
    #[doc(hidden)]
    pub fn with_lowered_limits(
        backends: wgpu::Backends,
        lower: impl FnOnce(&mut wgpu::Limits),
    ) -> Result<Self, GpuError> {
        Self::open(backends, lower)
    }

    fn open(
        backends: wgpu::Backends,
        lower: impl FnOnce(&mut wgpu::Limits),
    ) -> Result<Self, GpuError> {
        let cpu = CpuBackend::new(0)?;
        let be = Self {
            cpu,
            gpu: None,
            broken: Arc::new(AtomicBool::new(false)),
            why: Arc::new(Mutex::new("device lost".into())),
            warned: AtomicBool::new(false),
            warnings: AtomicUsize::new(0),
            oversized: AtomicUsize::new(0),
        };
        let gpu = if backends.is_empty() {
            Err("no graphics API enabled".to_string())
        } else {
            Gpu::open(backends, lower)
        };
        match gpu {
            Ok(g) => {
                let (broken, why) = (be.broken.clone(), be.why.clone());
                g.device.set_device_lost_callback(move |_, msg| {
                    if let Ok(mut w) = why.lock() {
                        *w = format!("device lost ({msg})");
                    }
                    broken.store(true, Ordering::SeqCst);
                });
                // Errors outside an error scope mark the GPU broken instead
                // of panicking (wgpu's default handler panics).
                let (broken, why) = (be.broken.clone(), be.why.clone());
                g.device.on_uncaptured_error(Arc::new(move |e| {
                    if let Ok(mut w) = why.lock() {
                        *w = format!("device error ({e})");
                    }
                    broken.store(true, Ordering::SeqCst);
                }));
                Ok(Self { gpu: Some(g), ..be })
            }
            Err(why) => {
                be.fallback(&why);
                Ok(be)
            }
        }
    }

    /// The adapter in use (name, API), or `None` when running on the CPU.
    pub fn adapter(&self) -> Option<String> {
        self.active()
            .map(|g| format!("{} ({:?})", g.info.name, g.info.backend))
    }

    /// Warnings printed so far (0 or 1).
    pub fn warnings(&self) -> usize {
        self.warnings.load(Ordering::SeqCst)
    }

    /// Calls so far that ran on the CPU backend because their data did not
    /// fit the device (its buffer limits, its dispatch grid, the shaders'
    /// `u32` indexing, or its free memory), with the GPU still in use.
    pub fn oversized_calls(&self) -> usize {
        self.oversized.load(Ordering::SeqCst)
    }

    /// Behave as if the device had been lost (tests of the fallback).
    #[doc(hidden)]
    pub fn simulate_device_loss(&self) {
        self.fallback("device lost (simulated)");
    }

    /// The device, unless there is none or it broke (the first call after a
    /// loss reported by wgpu prints the warning).
    fn active(&self) -> Option<&Gpu> {
        if self.broken.load(Ordering::SeqCst) {
            if !self.warned.load(Ordering::SeqCst) {
                let why = self
                    .why
                    .lock()
                    .map(|w| w.clone())
                    .unwrap_or_else(|_| "device lost".into());
                self.fallback(&why);
            }
            return None;
        }
        self.gpu.as_ref()
    }

    /// Mark the device broken for good; warn once.
    fn fallback(&self, why: &str) {
        self.broken.store(true, Ordering::SeqCst);
        if !self.warned.swap(true, Ordering::SeqCst) {
            self.warnings.fetch_add(1, Ordering::SeqCst);
            eprintln!("warning: GPU backend: {why}; using the CPU backend from now on");
        }
    }

    /// Run one operation: `gpu` on the device when there is one, else (no
    /// device, or a lost one) `cpu` on the CPU backend. When `gpu` fails:
    /// [`Failed::Input`] is returned as is; [`Failed::TooLarge`] counts in
    /// [`Self::oversized_calls`] and runs `cpu` for this call only;
    /// [`Failed::Device`] prints the one warning, switches to the CPU
    /// backend for good and runs `cpu`.
    fn run_or_fallback<T>(
        &self,
        gpu: impl FnOnce(&Gpu) -> Result<T, Failed>,
        cpu: impl FnOnce(&CpuBackend) -> Result<T, GpuError>,
    ) -> Result<T, GpuError> {
        if let Some(g) = self.active() {
            match gpu(g) {
                Ok(t) => return Ok(t),
                Err(Failed::Input(e)) => return Err(e),
                Err(Failed::TooLarge) => {
                    self.oversized.fetch_add(1, Ordering::SeqCst);
                }
                Err(Failed::Device(why)) => self.fallback(&why),
            }
        }
        cpu(&self.cpu)
    }
}
