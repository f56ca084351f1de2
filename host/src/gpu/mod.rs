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

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::cpu::{CpuBackend, CpuError};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::pack::RowShape;
use sc_kernel::{words_for, BitSliceMut, Error};

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

struct Gpu {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    bitwise: wgpu::ComputePipeline,
    popcount: wgpu::ComputePipeline,
    popcount_rows: wgpu::ComputePipeline,
    pack: wgpu::ComputePipeline,
    mac: wgpu::ComputePipeline,
    lif: wgpu::ComputePipeline,
}

/// Graphics APIs (re-exported from wgpu) for [`GpuBackend::with_backends`].
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

/// Why an operation did not complete on the GPU.
enum Failed {
    /// The device failed (validation error, loss): fall back for good.
    Device(String),
    /// This call's data exceeds the device's limits, the dispatch grid or
    /// the shaders' `u32` indexing, or its allocation failed: run this call
    /// on the CPU backend.
    TooLarge,
    /// Invalid input, found on the device: report it.
    Input(GpuError),
}

/// Threads per workgroup (`@workgroup_size` in sc.wgsl).
const WG: u32 = 64;

/// Rows longer than this many `u64` words are counted word by word (one
/// workgroup per row would leave most of the device idle).
const LONG_ROW: usize = 1024;

/// Largest staging buffer for downloads, bytes.
const STAGING: u64 = 64 << 20;

/// `x` as a `u32` for a shader, or [`Failed::TooLarge`].
fn u32_of(x: usize) -> Result<u32, Failed> {
    u32::try_from(x).map_err(|_| Failed::TooLarge)
}

/// `a * b` in bytes (`u64`), or [`Failed::TooLarge`].
fn bytes_of(count: usize, size: usize) -> Result<u64, Failed> {
    count
        .checked_mul(size)
        .and_then(|b| u64::try_from(b).ok())
        .ok_or(Failed::TooLarge)
}

// Parameter blocks of the shaders (the structs of the same names in
// sc.wgsl), padded to 16 bytes.

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct BitwiseParams {
    op: u32,
    row_len: u32,
    stride: u32,
    words: u32,
    xt: u32,
    pad: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct PopcountParams {
    words: u32,
    xt: u32,
    pad: [u32; 2],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct RowsParams {
    rows: u32,
    stride: u32,
    gx: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct PackParams {
    row_len: u32,
    stride: u32,
    words: u32,
    xt: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct MacParams {
    row: u32,
    stream: u32,
    sign_row: u32,
    neurons: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct LifShaderParams {
    n: u32,
    steps: u32,
    q8: u32,
    v_rest: i32,
    v_reset: i32,
    threshold: i32,
    alpha: i32,
    resistance: i32,
    refractory: u32,
    spike_row: u32,
    xt: u32,
    pad: u32,
}

// Bindings of sc.wgsl.
const B_A: u32 = 1;
const B_B: u32 = 2;
const B_C: u32 = 3;
const B_OUT: u32 = 4;
const B_ATOM: u32 = 5;
const P_BITWISE: u32 = 0;
const P_POPCOUNT: u32 = 6;
const P_ROWS: u32 = 7;
const P_PACK: u32 = 8;
const P_MAC: u32 = 9;
const P_LIF: u32 = 10;

fn pipeline(
    device: &wgpu::Device,
    module: &wgpu::ShaderModule,
    entry: &str,
) -> wgpu::ComputePipeline {
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: None,
        module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Gpu {
    /// Open the best adapter of `backends`, with its limits as `lower`
    /// leaves them (lowering them tests oversized data).
    fn open(
        backends: wgpu::Backends,
        lower: impl FnOnce(&mut wgpu::Limits),
    ) -> Result<Self, String> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        }))
        .map_err(|e| format!("no GPU adapter ({e})"))?;
        let info = adapter.get_info();
        let mut required = adapter.limits();
        lower(&mut required);
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("sc-host"),
            required_features: wgpu::Features::empty(),
            required_limits: required,
            ..Default::default()
        }))
        .map_err(|e| format!("GPU device: {e}"))?;
        let limits = device.limits();
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("sc.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("sc.wgsl").into()),
        });
        let gpu = Gpu {
            bitwise: pipeline(&device, &module, "bitwise"),
            popcount: pipeline(&device, &module, "popcount64"),
            popcount_rows: pipeline(&device, &module, "popcount_rows"),
            pack: pipeline(&device, &module, "pack"),
            mac: pipeline(&device, &module, "mac"),
            lif: pipeline(&device, &module, "lif"),
            device,
            queue,
            info,
            limits,
        };
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(format!("shader: {e}"));
        }
        Ok(gpu)
    }

    /// A buffer of `bytes` bytes (at least 4, rounded up to 4), after
    /// checking the device's limits; creation runs inside error scopes, so
    /// an allocation failure is [`Failed::TooLarge`], not a panic.
    fn buffer(&self, bytes: u64, usage: wgpu::BufferUsages) -> Result<wgpu::Buffer, Failed> {
        let size = bytes
            .max(4)
            .checked_next_multiple_of(4)
            .ok_or(Failed::TooLarge)?;
        let mut max = self.limits.max_buffer_size;
        if usage.contains(wgpu::BufferUsages::STORAGE) {
            max = max.min(self.limits.max_storage_buffer_binding_size);
        }
        if usage.contains(wgpu::BufferUsages::UNIFORM) {
            max = max.min(self.limits.max_uniform_buffer_binding_size);
        }
        if size > max {
            return Err(Failed::TooLarge);
        }
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let invalid = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage,
            mapped_at_creation: false,
        });
        let invalid = pollster::block_on(invalid.pop());
        let oom = pollster::block_on(oom.pop());
        if oom.is_some() {
            return Err(Failed::TooLarge);
        }
        if let Some(e) = invalid {
            return Err(Failed::Device(format!("creating a buffer: {e}")));
        }
        Ok(buf)
    }

    /// Upload `bytes` into a new storage buffer (the tail padded with zero
    /// bytes to a multiple of 4).
    fn upload(&self, bytes: &[u8]) -> Result<wgpu::Buffer, Failed> {
        let buf = self.buffer(bytes_of(bytes.len(), 1)?, STORAGE)?;
        self.write(&buf, bytes)?;
        Ok(buf)
    }

    /// Write `bytes` at the start of `buf` (inside error scopes).
    fn write(&self, buf: &wgpu::Buffer, bytes: &[u8]) -> Result<(), Failed> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let invalid = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let whole = bytes.len() / 4 * 4;
        if whole > 0 {
            self.queue.write_buffer(buf, 0, &bytes[..whole]);
        }
        if whole < bytes.len() {
            let mut tail = [0u8; 4];
            tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
            self.queue.write_buffer(buf, whole as u64, &tail);
        }
        let invalid = pollster::block_on(invalid.pop());
        let oom = pollster::block_on(oom.pop());
        if oom.is_some() {
            return Err(Failed::TooLarge);
        }
        if let Some(e) = invalid {
            return Err(Failed::Device(format!("uploading: {e}")));
        }
        Ok(())
    }

    /// Check storage buffers of these sizes (bytes) against the device's
    /// limits before creating any of them.
    fn fits(&self, sizes: &[u64]) -> Result<(), Failed> {
        let max = self
            .limits
            .max_buffer_size
            .min(self.limits.max_storage_buffer_binding_size);
        if sizes.iter().any(|&b| b.max(4).next_multiple_of(4) > max) {
            return Err(Failed::TooLarge);
        }
        Ok(())
    }

    /// A zero-filled storage buffer of `bytes` bytes.
    fn zeroed(&self, bytes: u64) -> Result<wgpu::Buffer, Failed> {
        self.buffer(bytes, STORAGE)
    }

    /// A uniform buffer holding `p`.
    fn params<P: bytemuck::Pod>(&self, p: &P) -> Result<wgpu::Buffer, Failed> {
        let bytes = bytemuck::bytes_of(p);
        let buf = self.buffer(
            bytes_of(bytes.len(), 1)?,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        self.write(&buf, bytes)?;
        Ok(buf)
    }

    /// The device buffer of `rows`: its own, or its host copy uploaded
    /// (after a call that ran on the CPU because its data was too large).
    fn operand(&self, rows: &DeviceRows) -> Result<wgpu::Buffer, Failed> {
        match (&rows.gpu, &rows.host) {
            (Some(b), _) => Ok(b.clone()),
            (None, Some(h)) => self.upload(bytemuck::cast_slice(h)),
            (None, None) => Err(Failed::Input(GpuError::Lost)),
        }
    }

    /// Workgroup grid for `n` threads (x up to the device's limit per
    /// dimension, then y) and the x extent in threads; [`Failed::TooLarge`]
    /// when `n` needs more workgroups than the grid holds or the flat index
    /// `x + y * extent` would not fit in `u32`.
    fn grid(&self, n: usize) -> Result<((u32, u32), u32), Failed> {
        let (x, y) = self.groups(n.div_ceil(WG as usize))?;
        let xt = x.checked_mul(WG).ok_or(Failed::TooLarge)?;
        if u64::from(xt) * u64::from(y) > 1 << 32 {
            return Err(Failed::TooLarge);
        }
        Ok(((x, y), xt))
    }

    /// A 2-D grid of at least `groups` workgroups (at least one).
    fn groups(&self, groups: usize) -> Result<(u32, u32), Failed> {
        let max = self.limits.max_compute_workgroups_per_dimension.max(1);
        let groups = u32_of(groups.max(1))?;
        let x = groups.min(max);
        let y = groups.div_ceil(x);
        if y > max {
            return Err(Failed::TooLarge);
        }
        Ok((x, y))
    }

    /// Record one dispatch with `entries` (binding, buffer), submit, and
    /// wait; errors (validation, out of memory, loss) come back as `Failed`.
    fn run(
        &self,
        pipe: &wgpu::ComputePipeline,
        entries: &[(u32, &wgpu::Buffer)],
        groups: (u32, u32),
    ) -> Result<(), Failed> {
        let m = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let v = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipe.get_bind_group_layout(0),
            entries: &entries
                .iter()
                .map(|&(binding, b)| wgpu::BindGroupEntry {
                    binding,
                    resource: b.as_entire_binding(),
                })
                .collect::<Vec<_>>(),
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipe);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        }
        self.queue.submit([enc.finish()]);
        let polled = self.device.poll(wgpu::PollType::wait_indefinitely());
        let v = pollster::block_on(v.pop());
        let m = pollster::block_on(m.pop());
        polled.map_err(|e| Failed::Device(format!("poll: {e}")))?;
        if let Some(e) = v {
            return Err(Failed::Device(format!("{e}")));
        }
        if m.is_some() {
            return Err(Failed::TooLarge);
        }
        Ok(())
    }

    /// Download the first `bytes` bytes of `buf`, through staging buffers
    /// of at most [`STAGING`] bytes (and the device's buffer limit).
    fn read(&self, buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, Failed> {
        let mut out = Vec::new();
        out.try_reserve_exact(usize::try_from(bytes).map_err(|_| Failed::TooLarge)?)
            .map_err(|_| Failed::TooLarge)?;
        let chunk = STAGING.min(self.limits.max_buffer_size).max(8) / 8 * 8;
        let mut at = 0u64;
        while at < bytes {
            let len = chunk.min(bytes - at);
            let padded = len.next_multiple_of(4);
            let staging = self.buffer(
                padded,
                wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            )?;
            let v = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
            let mut enc = self.device.create_command_encoder(&Default::default());
            enc.copy_buffer_to_buffer(buf, at, &staging, 0, padded);
            self.queue.submit([enc.finish()]);
            let (tx, rx) = std::sync::mpsc::channel();
            staging
                .slice(..padded)
                .map_async(wgpu::MapMode::Read, move |r| {
                    let _ = tx.send(r);
                });
            let polled = self.device.poll(wgpu::PollType::wait_indefinitely());
            let v = pollster::block_on(v.pop());
            polled.map_err(|e| Failed::Device(format!("poll: {e}")))?;
            if let Some(e) = v {
                return Err(Failed::Device(format!("downloading: {e}")));
            }
            match rx.recv() {
                Ok(Ok(())) => {}
                _ => return Err(Failed::Device("mapping a result buffer failed".into())),
            }
            let view = staging
                .slice(..padded)
                .get_mapped_range()
                .map_err(|e| Failed::Device(format!("{e}")))?;
            out.extend_from_slice(&view[..len as usize]);
            at += len;
        }
        Ok(out)
    }
}

fn ensure(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

/// Operands of an element-wise operation must have the same row layout.
fn same_shape(a: RowShape, b: RowShape) -> Result<(), Error> {
    ensure(a.rows, b.rows)?;
    ensure(a.row_len, b.row_len)
}

fn words_u64(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

fn words_u32(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
        .collect()
}

/// The element-wise operations.
#[derive(Clone, Copy)]
enum BitOp {
    And,
    Or,
    Xor,
    Xnor,
    Not,
    Mux,
}

/// The `u32` geometry of a batch for the shaders: (row_len, u32 words per
/// row, u32 words in all), or [`Failed::TooLarge`] when a bit index inside
/// a row or a word index of the batch would not fit in `u32`.
fn geometry(shape: RowShape) -> Result<(u32, u32, u32), Failed> {
    let stride = shape.stride::<u64>();
    // Bit offsets inside a row (word * 32 + k) stay below stride * 64.
    u32_of(stride.checked_mul(64).ok_or(Failed::TooLarge)?)?;
    let words = shape.words::<u64>().map_err(|e| Failed::Input(e.into()))?;
    Ok((
        u32_of(shape.row_len)?,
        u32_of(2 * stride)?,
        u32_of(words.checked_mul(2).ok_or(Failed::TooLarge)?)?,
    ))
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

    fn fallback(&self, why: &str) {
        self.broken.store(true, Ordering::SeqCst);
        if !self.warned.swap(true, Ordering::SeqCst) {
            self.warnings.fetch_add(1, Ordering::SeqCst);
            eprintln!("warning: GPU backend: {why}; using the CPU backend from now on");
        }
    }

    /// Try `gpu` on the device; when there is none, or it fails (one
    /// warning, then the CPU for good), or this call's data is too large
    /// for it (the CPU for this call), run `cpu`.
    fn dispatch<T>(
        &self,
        gpu: impl FnOnce(&Gpu) -> Result<T, Failed>,
        cpu: impl FnOnce() -> Result<T, GpuError>,
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
        cpu()
    }

    /// Seconds for one device-to-device copy of `bytes` bytes (median of
    /// `reps`): the card's memory-bandwidth floor moves `2 * bytes` per copy.
    /// `None` without a GPU or when `bytes` exceeds the device's limits.
    pub fn copy_seconds(&self, bytes: u64, reps: usize) -> Option<f64> {
        let g = self.active()?;
        let usage = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let a = g.buffer(bytes, usage).ok()?;
        let b = g.buffer(bytes, usage).ok()?;
        let bytes = bytes.next_multiple_of(4);
        let mut t: Vec<f64> = (0..reps.max(1) + 1)
            .map(|_| {
                let s = std::time::Instant::now();
                let mut enc = g.device.create_command_encoder(&Default::default());
                enc.copy_buffer_to_buffer(&a, 0, &b, 0, bytes);
                g.queue.submit([enc.finish()]);
                let _ = g.device.poll(wgpu::PollType::wait_indefinitely());
                s.elapsed().as_secs_f64()
            })
            .skip(1)
            .collect();
        t.sort_by(f64::total_cmp);
        t.get(t.len() / 2).copied()
    }

    /// Upload `words` laid out as `shape` (validated as the kernel does:
    /// exact length, zero padding). A host copy is kept for the fallback;
    /// data too large for the device stays on the host only, and the
    /// operations on it run on the CPU backend.
    pub fn to_device(&self, shape: RowShape, words: &[u64]) -> Result<DeviceRows, GpuError> {
        ensure(shape.words::<u64>()?, words.len())?;
        shape.validate(words)?;
        let gpu = self.dispatch(
            |g| g.upload(bytemuck::cast_slice(words)).map(Some),
            || Ok(None),
        )?;
        Ok(DeviceRows {
            shape,
            words: words.len(),
            gpu,
            host: Some(words.to_vec()),
        })
    }

    /// Download a batch (`rows.words()` words).
    pub fn to_host(&self, rows: &DeviceRows) -> Result<Vec<u64>, GpuError> {
        Ok(self.host_words(rows)?.into_owned())
    }

    /// The words of `rows` on the host: its host copy, else downloaded.
    fn host_words<'a>(&self, rows: &'a DeviceRows) -> Result<Cow<'a, [u64]>, GpuError> {
        if let Some(h) = &rows.host {
            return Ok(Cow::Borrowed(h));
        }
        let Some(buf) = &rows.gpu else {
            return Err(GpuError::Lost);
        };
        self.dispatch(
            |g| {
                Ok(Cow::Owned(words_u64(
                    &g.read(buf, bytes_of(rows.words, 8)?)?,
                )))
            },
            || Err(GpuError::Lost),
        )
    }

    /// A result held only on the device: `words` u64 words in `buf`.
    fn on_device(shape: RowShape, words: usize, buf: wgpu::Buffer) -> DeviceRows {
        DeviceRows {
            shape,
            words,
            gpu: Some(buf),
            host: None,
        }
    }

    fn on_host(&self, shape: RowShape, words: Vec<u64>) -> DeviceRows {
        DeviceRows {
            shape,
            words: words.len(),
            gpu: None,
            host: Some(words),
        }
    }

    /// Pack a batch of 0/1 bytes (`shape.rows` rows of `shape.row_len`
    /// bytes, row after row; `bits.len() == rows * row_len`) into rows of
    /// `ceil(row_len / 64)` words each (`sc_kernel::pack::pack_rows`).
    /// Errors as the CPU backend does: `LengthMismatch`, or `InvalidBit`
    /// naming the first byte (flat index) other than 0 or 1.
    pub fn pack(&self, shape: RowShape, bits: &[u8]) -> Result<DeviceRows, GpuError> {
        ensure(shape.bits()?, bits.len())?;
        let nw = shape.words::<u64>()?;
        self.dispatch(
            |g| {
                let (row_len, stride, words) = geometry(shape)?;
                u32_of(bits.len())?; // byte indices
                let ((gx, gy), xt) = g.grid(words as usize)?;
                g.fits(&[bytes_of(bits.len(), 1)?, bytes_of(nw, 8)?])?;
                let input = g.upload(bits)?;
                let out = g.zeroed(bytes_of(nw, 8)?)?;
                let bad = g.upload(bytemuck::bytes_of(&u32::MAX))?;
                let p = g.params(&PackParams {
                    row_len,
                    stride: stride.max(1),
                    words,
                    xt,
                })?;
                g.run(
                    &g.pack,
                    &[(P_PACK, &p), (B_A, &input), (B_OUT, &out), (B_ATOM, &bad)],
                    (gx, gy),
                )?;
                let first = words_u32(&g.read(&bad, 4)?)
                    .first()
                    .copied()
                    .unwrap_or(u32::MAX);
                if first != u32::MAX {
                    let index = first as usize;
                    let value = bits.get(index).copied().unwrap_or(u8::MAX);
                    return Err(Failed::Input(Error::InvalidBit { index, value }.into()));
                }
                Ok(Self::on_device(shape, nw, out))
            },
            || {
                let mut w = vec![0u64; nw];
                self.cpu.pack_rows(shape, bits, &mut w)?;
                Ok(self.on_host(shape, w))
            },
        )
    }

    /// `op` on batches of the same shape (else `LengthMismatch`), row by
    /// row; `sel` is used by mux only, `b` not by not.
    fn bitwise(
        &self,
        op: BitOp,
        a: &DeviceRows,
        b: &DeviceRows,
        sel: &DeviceRows,
    ) -> Result<DeviceRows, GpuError> {
        same_shape(a.shape, b.shape)?;
        same_shape(a.shape, sel.shape)?;
        let shape = a.shape;
        let nw = a.words;
        self.dispatch(
            |g| {
                let (row_len, stride, words) = geometry(shape)?;
                let ((gx, gy), xt) = g.grid(words as usize)?;
                g.fits(&[bytes_of(nw, 8)?])?;
                let (ga, gb, gs) = (g.operand(a)?, g.operand(b)?, g.operand(sel)?);
                let out = g.zeroed(bytes_of(nw, 8)?)?;
                let p = g.params(&BitwiseParams {
                    op: op as u32,
                    row_len,
                    stride: stride.max(1),
                    words,
                    xt,
                    pad: [0; 3],
                })?;
                g.run(
                    &g.bitwise,
                    &[
                        (P_BITWISE, &p),
                        (B_A, &ga),
                        (B_B, &gb),
                        (B_C, &gs),
                        (B_OUT, &out),
                    ],
                    (gx, gy),
                )?;
                Ok(Self::on_device(shape, nw, out))
            },
            || {
                let (ha, hb, hs) = (
                    self.host_words(a)?,
                    self.host_words(b)?,
                    self.host_words(sel)?,
                );
                let mut w = vec![0u64; nw];
                let stride = shape.stride::<u64>();
                if stride == 0 {
                    return Ok(self.on_host(shape, w));
                }
                for (r, o) in w.chunks_mut(stride).enumerate() {
                    let (sa, sb, ss) = (shape.row(&ha, r)?, shape.row(&hb, r)?, shape.row(&hs, r)?);
                    let mut o = BitSliceMut::new(o, shape.row_len)?;
                    match op {
                        BitOp::And => self.cpu.and(sa, sb, &mut o)?,
                        BitOp::Or => self.cpu.or(sa, sb, &mut o)?,
                        BitOp::Xor => self.cpu.xor(sa, sb, &mut o)?,
                        BitOp::Xnor => self.cpu.xnor(sa, sb, &mut o)?,
                        BitOp::Not => self.cpu.not(sa, &mut o)?,
                        BitOp::Mux => self.cpu.mux(ss, sa, sb, &mut o)?,
                    }
                }
                Ok(self.on_host(shape, w))
            },
        )
    }

    /// `a AND b` (unipolar multiply), row by row; same shapes.
    pub fn and(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::And, a, b, a)
    }
    /// `a OR b`, row by row; same shapes.
    pub fn or(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Or, a, b, a)
    }
    /// `a XOR b`, row by row; same shapes.
    pub fn xor(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Xor, a, b, a)
    }
    /// `NOT (a XOR b)` (bipolar multiply), row by row; every row's padding
    /// stays zero.
    pub fn xnor(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Xnor, a, b, a)
    }
    /// `NOT a`, row by row; every row's padding stays zero.
    pub fn not(&self, a: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Not, a, a, a)
    }
    /// `(sel AND a) OR (NOT sel AND b)` (scaled add), row by row; same
    /// shapes.
    pub fn mux(
        &self,
        sel: &DeviceRows,
        a: &DeviceRows,
        b: &DeviceRows,
    ) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Mux, a, b, sel)
    }

    /// Popcount of every `u64` word of a batch (`rows.words()` counts, each
    /// 0..=64; padding is zero, so it never counts).
    pub fn count_ones_per_word(&self, a: &DeviceRows) -> Result<Vec<u32>, GpuError> {
        let nw = a.words;
        self.dispatch(
            |g| {
                let words = u32_of(nw)?;
                u32_of(nw.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                let ((gx, gy), xt) = g.grid(nw)?;
                g.fits(&[bytes_of(nw, 8)?])?;
                let ga = g.operand(a)?;
                let out = g.zeroed(bytes_of(nw, 4)?)?;
                let p = g.params(&PopcountParams {
                    words,
                    xt,
                    pad: [0; 2],
                })?;
                g.run(
                    &g.popcount,
                    &[(P_POPCOUNT, &p), (B_A, &ga), (B_OUT, &out)],
                    (gx, gy),
                )?;
                Ok(words_u32(&g.read(&out, bytes_of(nw, 4)?)?))
            },
            || {
                let h = self.host_words(a)?;
                let mut out = vec![0u32; nw];
                let s = a.shape.stride::<u64>();
                if s == 0 {
                    return Ok(out);
                }
                for (r, o) in out.chunks_mut(s).enumerate() {
                    self.cpu.count_ones_per_word(a.shape.row(&h, r)?, o)?;
                }
                Ok(out)
            },
        )
    }

    /// Popcount of every row of a batch (`rows.shape().rows` counts, each
    /// 0..=`row_len`).
    pub fn count_ones_rows(&self, a: &DeviceRows) -> Result<Vec<usize>, GpuError> {
        let shape = a.shape;
        let s = shape.stride::<u64>();
        if s > LONG_ROW {
            // Few long rows: count words in parallel, add up on the host.
            let per = self.count_ones_per_word(a)?;
            return Ok(per
                .chunks(s)
                .map(|c| c.iter().map(|&x| x as usize).sum())
                .collect());
        }
        self.dispatch(
            |g| {
                let (_, stride, _) = geometry(shape)?;
                let rows = u32_of(shape.rows)?;
                let (gx, gy) = g.groups(shape.rows)?;
                g.fits(&[bytes_of(a.words, 8)?, bytes_of(shape.rows, 4)?])?;
                let ga = g.operand(a)?;
                let out = g.zeroed(bytes_of(shape.rows, 4)?)?;
                let p = g.params(&RowsParams {
                    rows,
                    stride,
                    gx,
                    pad: 0,
                })?;
                g.run(
                    &g.popcount_rows,
                    &[(P_ROWS, &p), (B_A, &ga), (B_OUT, &out)],
                    (gx, gy),
                )?;
                let counts = words_u32(&g.read(&out, bytes_of(shape.rows, 4)?)?);
                Ok(counts.into_iter().map(|c| c as usize).collect())
            },
            || {
                let h = self.host_words(a)?;
                (0..shape.rows)
                    .map(|r| Ok(self.cpu.count_ones(shape.row(&h, r)?)))
                    .collect()
            },
        )
    }

    /// Popcount of a whole batch (all rows; padding never counts).
    pub fn count_ones(&self, a: &DeviceRows) -> Result<usize, GpuError> {
        Ok(self.count_ones_rows(a)?.iter().sum())
    }

    /// Unsigned and signed dense MAC of `samples` input sets (`xs`: rows
    /// `samples * inputs`): `(unsigned, signed)`, each `samples * neurons`
    /// counts, `[s * neurons + j]`.
    pub fn mac_both(
        &self,
        shape: &MacShape,
        weights: &DeviceRows,
        signs: &DeviceRows,
        xs: &DeviceRows,
        samples: usize,
    ) -> Result<(Vec<u32>, Vec<i32>), GpuError> {
        let (n, m, len) = (shape.neurons(), shape.inputs(), shape.len());
        let want = |rows: usize, row_len: usize| RowShape { rows, row_len };
        let check = |got: RowShape, w: RowShape| {
            if got == w {
                Ok(())
            } else {
                Err(Error::LengthMismatch {
                    expected: w.rows * w.row_len,
                    found: got.rows * got.row_len,
                })
            }
        };
        check(weights.shape, want(n * m, len))?;
        check(signs.shape, want(n, m))?;
        check(
            xs.shape,
            want(samples.checked_mul(m).ok_or(Error::ShapeOverflow)?, len),
        )?;
        let stride = shape.stride::<u64>();
        if n == 0 || samples == 0 {
            return Ok((vec![], vec![]));
        }
        let results = n.checked_mul(samples).ok_or(Error::ShapeOverflow)?;
        self.dispatch(
            |g| {
                // Indices: weights (n * row), inputs (samples * row) and
                // results (2 * n * samples) in u32 words.
                let row = m.checked_mul(2 * stride).ok_or(Failed::TooLarge)?;
                u32_of(n.checked_mul(row).ok_or(Failed::TooLarge)?)?;
                u32_of(samples.checked_mul(row).ok_or(Failed::TooLarge)?)?;
                u32_of(results.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                let max = g.limits.max_compute_workgroups_per_dimension;
                let (gn, gs) = (u32_of(n)?, u32_of(samples)?);
                if gn > max || gs > max {
                    return Err(Failed::TooLarge);
                }
                g.fits(&[
                    bytes_of(weights.words, 8)?,
                    bytes_of(signs.words, 8)?,
                    bytes_of(xs.words, 8)?,
                    bytes_of(results, 8)?,
                ])?;
                let p = g.params(&MacParams {
                    row: u32_of(row)?,
                    stream: u32_of((2 * stride).max(1))?,
                    sign_row: u32_of(2 * words_for::<u64>(m))?,
                    neurons: gn,
                })?;
                let (gw, gsg, gx) = (g.operand(weights)?, g.operand(signs)?, g.operand(xs)?);
                let out = g.zeroed(bytes_of(results, 8)?)?;
                g.run(
                    &g.mac,
                    &[
                        (P_MAC, &p),
                        (B_A, &gw),
                        (B_B, &gx),
                        (B_C, &gsg),
                        (B_OUT, &out),
                    ],
                    (gn, gs),
                )?;
                let w = words_u32(&g.read(&out, bytes_of(results, 8)?)?);
                let u = w.iter().step_by(2).copied().collect();
                let s = w.iter().skip(1).step_by(2).map(|&x| x as i32).collect();
                Ok((u, s))
            },
            || {
                let (hw, hs, hx) = (
                    self.host_words(weights)?,
                    self.host_words(signs)?,
                    self.host_words(xs)?,
                );
                let xw = m * stride;
                let mut u = vec![0u32; results];
                let mut s = vec![0i32; results];
                self.cpu.mac_batch(shape, &hw, &hx, samples, &mut u)?;
                for k in 0..samples {
                    self.cpu.mac_signed(
                        shape,
                        &hw,
                        &hs,
                        &hx[k * xw..(k + 1) * xw],
                        &mut s[k * n..(k + 1) * n],
                    )?;
                }
                Ok((u, s))
            },
        )
    }

    /// Unsigned dense MAC of one input set.
    pub fn mac(
        &self,
        shape: &MacShape,
        weights: &DeviceRows,
        signs: &DeviceRows,
        x: &DeviceRows,
    ) -> Result<Vec<u32>, GpuError> {
        Ok(self.mac_both(shape, weights, signs, x, 1)?.0)
    }

    /// Signed (sign-magnitude) dense MAC of one input set.
    pub fn mac_signed(
        &self,
        shape: &MacShape,
        weights: &DeviceRows,
        signs: &DeviceRows,
        x: &DeviceRows,
    ) -> Result<Vec<i32>, GpuError> {
        Ok(self.mac_both(shape, weights, signs, x, 1)?.1)
    }

    /// Run a LIF population for `steps` steps on the device, starting from
    /// membranes `v` and refractory counters `refractory`, with input
    /// currents `input` (`steps` rows of `n`): one dispatch, no host round
    /// trip between steps.
    pub fn lif_run<F: LifFixed>(
        &self,
        params: &LifParams<F>,
        v: &[F],
        refractory: &[u16],
        input: &[F],
        steps: usize,
    ) -> Result<LifRun<F>, GpuError> {
        let n = v.len();
        ensure(n, refractory.len())?;
        let inputs = steps.checked_mul(n).ok_or(Error::ShapeOverflow)?;
        ensure(inputs, input.len())?;
        let sw = words_for::<u64>(n);
        let spike_words = steps.checked_mul(sw).ok_or(Error::ShapeOverflow)?;
        self.dispatch(
            |g| {
                // Indices: inputs (steps * n), state (2 * n) and spike rows
                // (steps * 2 * sw) in u32 words.
                u32_of(inputs)?;
                u32_of(n.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                u32_of(spike_words.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                let ((gx, gy), xt) = g.grid(n)?;
                let state_bytes = bytes_of(n, 8)?;
                let input_bytes = bytes_of(inputs, 4)?;
                let spike_bytes = bytes_of(spike_words, 8)?;
                g.fits(&[state_bytes, input_bytes, spike_bytes])?;
                let raw = |x: F| x.raw();
                let p = g.params(&LifShaderParams {
                    n: u32_of(n)?,
                    steps: u32_of(steps)?,
                    q8: u32::from(F::FRAC_BITS == 8),
                    v_rest: raw(params.v_rest()),
                    v_reset: raw(params.v_reset()),
                    threshold: raw(params.threshold()),
                    alpha: raw(params.alpha()),
                    resistance: raw(params.resistance()),
                    refractory: u32::from(params.refractory()),
                    spike_row: u32_of(2 * sw)?,
                    xt,
                    pad: 0,
                })?;
                let state: Vec<u32> = v
                    .iter()
                    .zip(refractory)
                    .flat_map(|(x, &r)| [x.raw() as u32, u32::from(r)])
                    .collect();
                let inp: Vec<u32> = input.iter().map(|x| x.raw() as u32).collect();
                let st = g.upload(bytemuck::cast_slice(&state))?;
                let ib = g.upload(bytemuck::cast_slice(&inp))?;
                let spikes = g.zeroed(spike_bytes)?;
                g.run(
                    &g.lif,
                    &[(P_LIF, &p), (B_A, &ib), (B_OUT, &st), (B_ATOM, &spikes)],
                    (gx, gy),
                )?;
                let s = words_u32(&g.read(&st, state_bytes)?);
                let sp = words_u64(&g.read(&spikes, spike_bytes)?);
                let mut vv = Vec::with_capacity(n);
                let mut rr = Vec::with_capacity(n);
                for k in s.chunks_exact(2) {
                    vv.push(F::try_from_raw(k[0] as i32).map_err(|e| Failed::Input(e.into()))?);
                    rr.push(u16::try_from(k[1]).unwrap_or(u16::MAX));
                }
                Ok(LifRun {
                    spikes: sp,
                    v: vv,
                    refractory: rr,
                })
            },
            || {
                let mut vv = v.to_vec();
                let mut rr = refractory.to_vec();
                let mut spikes = vec![0u64; spike_words];
                for (t, row) in spikes.chunks_mut(sw.max(1)).take(steps).enumerate() {
                    let mut s = BitSliceMut::new(row, n)?;
                    self.cpu.lif_step(
                        params,
                        &mut vv,
                        &mut rr,
                        &input[t * n..(t + 1) * n],
                        &mut s,
                    )?;
                }
                Ok(LifRun {
                    spikes,
                    v: vv,
                    refractory: rr,
                })
            },
        )
    }
}
