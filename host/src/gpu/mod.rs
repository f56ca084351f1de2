//! The GPU backend: wgpu compute shaders (Vulkan, Metal, DX12; lavapipe in
//! CI) with a transparent fallback to the [`CpuBackend`].
//!
//! Data lives on the device as [`DeviceRows`] (explicit [`GpuBackend::to_device`]
//! and [`GpuBackend::to_host`]); streams keep the host's `u64` word layout
//! (the shaders read them as pairs of `u32`), so results are bit-identical to
//! the CPU backend and the kernel (the conformance vectors and the property
//! tests check it).
//!
//! Fallback: when no adapter exists, or the device is lost or reports an
//! error at run time, the backend prints one warning, remembers that the GPU
//! is broken, and from then on runs every operation on the CPU backend.
//! Buffers uploaded with `to_device` keep a host copy, so they stay usable
//! after a loss; results computed on the GPU and never downloaded are lost
//! with the device ([`GpuError::Lost`]).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use wgpu::util::DeviceExt;

use crate::cpu::{CpuBackend, CpuError};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::pack::RowShape;
use sc_kernel::{words_for, BitSlice, BitSliceMut, Error};

/// Why a GPU operation failed.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// Invalid input (the kernel's error, as the CPU backend reports it).
    #[error("{0}")]
    Kernel(#[from] Error),
    /// The device was lost before this result was downloaded.
    #[error("the GPU was lost; results that were only on the device are gone")]
    Lost,
    /// The CPU backend could not be created.
    #[error("{0}")]
    Cpu(#[from] CpuError),
}

/// `u64` words on the device (or on the host, after a fallback), with the
/// row layout they were validated against.
pub struct DeviceRows {
    shape: RowShape,
    words: usize,
    gpu: Option<wgpu::Buffer>,
    host: Option<Vec<u64>>,
}

impl DeviceRows {
    /// The row layout (rows of `row_len` bits).
    pub fn shape(&self) -> RowShape {
        self.shape
    }
    /// Length in `u64` words.
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
    bitwise: wgpu::ComputePipeline,
    popcount: wgpu::ComputePipeline,
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
    warned: AtomicBool,
    warnings: AtomicUsize,
}

/// Internal GPU failure (leads to the fallback).
struct Failed(String);

const WG: u32 = 64;

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

impl Gpu {
    fn open(backends: wgpu::Backends) -> Result<Self, String> {
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
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("sc-host"),
            required_features: wgpu::Features::empty(),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| format!("GPU device: {e}"))?;
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("sc.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("sc.wgsl").into()),
        });
        let gpu = Gpu {
            bitwise: pipeline(&device, &module, "bitwise"),
            popcount: pipeline(&device, &module, "popcount64"),
            pack: pipeline(&device, &module, "pack"),
            mac: pipeline(&device, &module, "mac"),
            lif: pipeline(&device, &module, "lif"),
            device,
            queue,
            info,
        };
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(format!("shader: {e}"));
        }
        Ok(gpu)
    }

    fn storage(&self, bytes: &[u8]) -> wgpu::Buffer {
        // Empty bindings are not allowed: keep at least one word.
        let pad = [0u8; 4];
        let contents = if bytes.is_empty() { &pad[..] } else { bytes };
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
            })
    }

    fn zeroed(&self, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes.max(4),
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    fn params(&self, p: [u32; 12]) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(&p),
                usage: wgpu::BufferUsages::UNIFORM,
            })
    }

    /// Workgroup grid for `n` threads (x up to 65535 groups, then y), and
    /// the x extent in threads (`Params.p11`).
    fn grid(n: u32) -> ((u32, u32), u32) {
        let groups = n.div_ceil(WG).max(1);
        let x = groups.min(65_535);
        ((x, groups.div_ceil(x)), x * WG)
    }

    /// Record one dispatch with `entries` (binding, buffer), submit, and
    /// wait; errors (validation, out of memory, loss) come back as `Failed`.
    fn run(
        &self,
        pipe: &wgpu::ComputePipeline,
        entries: &[(u32, &wgpu::Buffer)],
        groups: (u32, u32),
    ) -> Result<(), Failed> {
        let v = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let m = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
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
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Failed(format!("poll: {e}")))?;
        if let Some(e) = pollster::block_on(m.pop()) {
            return Err(Failed(format!("{e}")));
        }
        if let Some(e) = pollster::block_on(v.pop()) {
            return Err(Failed(format!("{e}")));
        }
        Ok(())
    }

    /// Download `bytes` bytes of `buf`.
    fn read(&self, buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, Failed> {
        if bytes == 0 {
            return Ok(vec![]);
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: bytes.next_multiple_of(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&Default::default());
        enc.copy_buffer_to_buffer(buf, 0, &staging, 0, bytes.next_multiple_of(4));
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Failed(format!("poll: {e}")))?;
        match rx.recv() {
            Ok(Ok(())) => {}
            _ => return Err(Failed("mapping a result buffer failed".into())),
        }
        let view = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| Failed(format!("{e}")))?;
        Ok(view[..bytes as usize].to_vec())
    }
}

fn ensure(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
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

impl GpuBackend {
    /// The best GPU adapter of any primary API (Vulkan, Metal, DX12), else
    /// the CPU backend with one warning.
    pub fn new() -> Result<Self, GpuError> {
        Self::with_backends(wgpu::Backends::PRIMARY)
    }

    /// Only adapters of these graphics APIs (`Backends::empty()` forces the
    /// CPU fallback, for tests).
    pub fn with_backends(backends: wgpu::Backends) -> Result<Self, GpuError> {
        let cpu = CpuBackend::new(0)?;
        let be = Self {
            cpu,
            gpu: None,
            broken: Arc::new(AtomicBool::new(false)),
            warned: AtomicBool::new(false),
            warnings: AtomicUsize::new(0),
        };
        let gpu = if backends.is_empty() {
            Err("no graphics API enabled".to_string())
        } else {
            Gpu::open(backends)
        };
        match gpu {
            Ok(g) => {
                let broken = be.broken.clone();
                g.device
                    .set_device_lost_callback(move |_, _| broken.store(true, Ordering::SeqCst));
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

    /// Behave as if the device had been lost (tests of the fallback).
    #[doc(hidden)]
    pub fn simulate_device_loss(&self) {
        self.fallback("device lost (simulated)");
    }

    fn active(&self) -> Option<&Gpu> {
        if self.broken.load(Ordering::SeqCst) {
            if !self.warned.load(Ordering::SeqCst) {
                self.fallback("device lost");
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

    /// Seconds for one device-to-device copy of `bytes` bytes (median of
    /// `reps`): the card's memory-bandwidth floor moves `2 * bytes` per copy.
    /// `None` without a GPU.
    pub fn copy_seconds(&self, bytes: u64, reps: usize) -> Option<f64> {
        let g = self.active()?;
        let a = g.zeroed(bytes);
        let b = g.zeroed(bytes);
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
        Some(t[t.len() / 2])
    }

    /// Upload `words` laid out as `shape` (validated as the kernel does:
    /// exact length, zero padding). A host copy is kept for the fallback.
    pub fn to_device(&self, shape: RowShape, words: &[u64]) -> Result<DeviceRows, GpuError> {
        ensure(shape.words::<u64>()?, words.len())?;
        shape.validate(words)?;
        let gpu = self
            .active()
            .map(|g| g.storage(bytemuck::cast_slice(words)));
        Ok(DeviceRows {
            shape,
            words: words.len(),
            gpu,
            host: Some(words.to_vec()),
        })
    }

    /// Download a buffer.
    pub fn to_host(&self, rows: &DeviceRows) -> Result<Vec<u64>, GpuError> {
        if let (Some(g), Some(buf)) = (self.active(), &rows.gpu) {
            match g.read(buf, 8 * rows.words as u64) {
                Ok(b) => return Ok(words_u64(&b)),
                Err(Failed(why)) => self.fallback(&why),
            }
        }
        rows.host.clone().ok_or(GpuError::Lost)
    }

    fn host_of<'a>(&self, rows: &'a DeviceRows) -> Result<&'a [u64], GpuError> {
        rows.host.as_deref().ok_or(GpuError::Lost)
    }

    fn result(&self, shape: RowShape, words: Vec<u64>) -> DeviceRows {
        DeviceRows {
            shape,
            words: words.len(),
            gpu: None,
            host: Some(words),
        }
    }

    /// Pack 0/1 bytes into one stream (`sc_kernel::pack::pack`).
    pub fn pack(&self, bits: &[u8]) -> Result<DeviceRows, GpuError> {
        let n = bits.len();
        let shape = RowShape {
            rows: 1,
            row_len: n,
        };
        let nw = words_for::<u64>(n);
        if let Some(g) = self.active() {
            let mut padded = bits.to_vec();
            padded.resize(n.next_multiple_of(4), 0);
            let input = g.storage(&padded);
            let out = g.zeroed(8 * nw as u64);
            let bad = g.storage(bytemuck::cast_slice(&[u32::MAX]));
            let ((gx, gy), xt) = Gpu::grid(2 * nw as u32);
            let p = g.params([0, n as u32, 2 * nw as u32, 0, 0, 0, 0, 0, 0, 0, 0, xt]);
            let r = g
                .run(
                    &g.pack,
                    &[(0, &p), (1, &input), (4, &out), (5, &bad)],
                    (gx, gy),
                )
                .and_then(|()| g.read(&bad, 4));
            match r {
                Ok(b) => {
                    let first = words_u32(&b)[0];
                    if first != u32::MAX {
                        let index = first as usize;
                        return Err(Error::InvalidBit {
                            index,
                            value: bits[index],
                        }
                        .into());
                    }
                    return Ok(DeviceRows {
                        shape,
                        words: nw,
                        gpu: Some(out),
                        host: None,
                    });
                }
                Err(Failed(why)) => self.fallback(&why),
            }
        }
        let mut w = vec![0u64; nw];
        self.cpu.pack(bits, &mut BitSliceMut::new(&mut w, n)?)?;
        Ok(self.result(shape, w))
    }

    fn single(&self, rows: &DeviceRows) -> Result<usize, GpuError> {
        if rows.shape.rows != 1 {
            return Err(Error::LengthMismatch {
                expected: 1,
                found: rows.shape.rows,
            }
            .into());
        }
        Ok(rows.shape.row_len)
    }

    /// `op` on streams: and = 0, or = 1, xor = 2, xnor = 3, not = 4 (`a`
    /// only), mux = 5 (`sel` selects `a`).
    fn bitwise(
        &self,
        op: u32,
        a: &DeviceRows,
        b: &DeviceRows,
        sel: &DeviceRows,
    ) -> Result<DeviceRows, GpuError> {
        let len = self.single(a)?;
        ensure(len, self.single(b)?)?;
        ensure(len, self.single(sel)?)?;
        let nw = a.words;
        if let (Some(g), Some(ga), Some(gb), Some(gs)) = (self.active(), &a.gpu, &b.gpu, &sel.gpu) {
            let out = g.zeroed(8 * nw as u64);
            let ((gx, gy), xt) = Gpu::grid(2 * nw as u32);
            let p = g.params([op, len as u32, 2 * nw as u32, 0, 0, 0, 0, 0, 0, 0, 0, xt]);
            match g.run(
                &g.bitwise,
                &[(0, &p), (1, ga), (2, gb), (3, gs), (4, &out)],
                (gx, gy),
            ) {
                Ok(()) => {
                    return Ok(DeviceRows {
                        shape: a.shape,
                        words: nw,
                        gpu: Some(out),
                        host: None,
                    })
                }
                Err(Failed(why)) => self.fallback(&why),
            }
        }
        let (ha, hb, hs) = (self.host_of(a)?, self.host_of(b)?, self.host_of(sel)?);
        let (sa, sb, ss) = (
            BitSlice::new(ha, len)?,
            BitSlice::new(hb, len)?,
            BitSlice::new(hs, len)?,
        );
        let mut w = vec![0u64; nw];
        let mut o = BitSliceMut::new(&mut w, len)?;
        match op {
            0 => self.cpu.and(sa, sb, &mut o)?,
            1 => self.cpu.or(sa, sb, &mut o)?,
            2 => self.cpu.xor(sa, sb, &mut o)?,
            3 => self.cpu.xnor(sa, sb, &mut o)?,
            4 => self.cpu.not(sa, &mut o)?,
            _ => self.cpu.mux(ss, sa, sb, &mut o)?,
        }
        Ok(self.result(a.shape, w))
    }

    /// `a AND b` (unipolar multiply).
    pub fn and(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(0, a, b, a)
    }
    /// `a OR b`.
    pub fn or(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(1, a, b, a)
    }
    /// `a XOR b`.
    pub fn xor(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(2, a, b, a)
    }
    /// `NOT (a XOR b)` (bipolar multiply); padding stays zero.
    pub fn xnor(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(3, a, b, a)
    }
    /// `NOT a`; padding stays zero.
    pub fn not(&self, a: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(4, a, a, a)
    }
    /// `(sel AND a) OR (NOT sel AND b)` (scaled add).
    pub fn mux(
        &self,
        sel: &DeviceRows,
        a: &DeviceRows,
        b: &DeviceRows,
    ) -> Result<DeviceRows, GpuError> {
        self.bitwise(5, a, b, sel)
    }

    /// Popcount of every `u64` word of a stream.
    pub fn count_ones_per_word(&self, a: &DeviceRows) -> Result<Vec<u32>, GpuError> {
        let len = self.single(a)?;
        let nw = a.words;
        if let (Some(g), Some(ga)) = (self.active(), &a.gpu) {
            let out = g.zeroed(4 * nw as u64);
            let ((gx, gy), xt) = Gpu::grid(nw as u32);
            let p = g.params([0, len as u32, nw as u32, 0, 0, 0, 0, 0, 0, 0, 0, xt]);
            match g
                .run(&g.popcount, &[(0, &p), (1, ga), (4, &out)], (gx, gy))
                .and_then(|()| g.read(&out, 4 * nw as u64))
            {
                Ok(b) => return Ok(words_u32(&b)),
                Err(Failed(why)) => self.fallback(&why),
            }
        }
        let mut out = vec![0u32; nw];
        self.cpu
            .count_ones_per_word(BitSlice::new(self.host_of(a)?, len)?, &mut out)?;
        Ok(out)
    }

    /// Popcount of a stream.
    pub fn count_ones(&self, a: &DeviceRows) -> Result<usize, GpuError> {
        Ok(self
            .count_ones_per_word(a)?
            .iter()
            .map(|&c| c as usize)
            .sum())
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
        if let (Some(g), Some(gw), Some(gs), Some(gx)) =
            (self.active(), &weights.gpu, &signs.gpu, &xs.gpu)
        {
            if n <= 65_535 && samples <= 65_535 {
                let out = g.zeroed(8 * (n * samples) as u64);
                let p = g.params([
                    (2 * m * stride) as u32,
                    (2 * stride).max(1) as u32,
                    (2 * words_for::<u64>(m)) as u32,
                    n as u32,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                ]);
                match g
                    .run(
                        &g.mac,
                        &[(0, &p), (1, gw), (2, gx), (3, gs), (4, &out)],
                        (n as u32, samples as u32),
                    )
                    .and_then(|()| g.read(&out, 8 * (n * samples) as u64))
                {
                    Ok(b) => {
                        let w = words_u32(&b);
                        let u = w.iter().step_by(2).copied().collect();
                        let s = w.iter().skip(1).step_by(2).map(|&x| x as i32).collect();
                        return Ok((u, s));
                    }
                    Err(Failed(why)) => self.fallback(&why),
                }
            }
        }
        let (hw, hs, hx) = (
            self.host_of(weights)?,
            self.host_of(signs)?,
            self.host_of(xs)?,
        );
        let xw = m * stride;
        let mut u = vec![0u32; n * samples];
        let mut s = vec![0i32; n * samples];
        self.cpu.mac_batch(shape, hw, hx, samples, &mut u)?;
        for k in 0..samples {
            self.cpu.mac_signed(
                shape,
                hw,
                hs,
                &hx[k * xw..(k + 1) * xw],
                &mut s[k * n..(k + 1) * n],
            )?;
        }
        Ok((u, s))
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
        ensure(
            steps.checked_mul(n).ok_or(Error::ShapeOverflow)?,
            input.len(),
        )?;
        let sw = words_for::<u64>(n);
        if let Some(g) = self.active() {
            let state: Vec<u32> = v
                .iter()
                .zip(refractory)
                .flat_map(|(x, &r)| [x.raw() as u32, r as u32])
                .collect();
            let inp: Vec<u32> = input.iter().map(|x| x.raw() as u32).collect();
            let st = g.storage(bytemuck::cast_slice(&state));
            let ib = g.storage(bytemuck::cast_slice(&inp));
            let spikes = g.zeroed(8 * (steps * sw) as u64);
            let ((gx, gy), xt) = Gpu::grid(n as u32);
            let raw = |x: F| x.raw() as u32;
            let p = g.params([
                n as u32,
                steps as u32,
                u32::from(F::FRAC_BITS == 8),
                raw(params.v_rest()),
                raw(params.v_reset()),
                raw(params.threshold()),
                raw(params.alpha()),
                raw(params.resistance()),
                params.refractory() as u32,
                2 * sw as u32,
                0,
                xt,
            ]);
            let r = g
                .run(
                    &g.lif,
                    &[(0, &p), (1, &ib), (4, &st), (5, &spikes)],
                    (gx, gy),
                )
                .and_then(|()| {
                    Ok((
                        g.read(&st, 8 * n as u64)?,
                        g.read(&spikes, 8 * (steps * sw) as u64)?,
                    ))
                });
            match r {
                Ok((s, sp)) => {
                    let s = words_u32(&s);
                    let mut vv = Vec::with_capacity(n);
                    for k in 0..n {
                        vv.push(F::try_from_raw(s[2 * k] as i32)?);
                    }
                    return Ok(LifRun {
                        spikes: words_u64(&sp),
                        v: vv,
                        refractory: (0..n).map(|k| s[2 * k + 1] as u16).collect(),
                    });
                }
                Err(Failed(why)) => self.fallback(&why),
            }
        }
        let mut vv = v.to_vec();
        let mut rr = refractory.to_vec();
        let mut spikes = vec![0u64; steps * sw];
        for (t, row) in spikes.chunks_mut(sw.max(1)).take(steps).enumerate() {
            let mut s = BitSliceMut::new(row, n)?;
            self.cpu
                .lif_step(params, &mut vv, &mut rr, &input[t * n..(t + 1) * n], &mut s)?;
        }
        Ok(LifRun {
            spikes,
            v: vv,
            refractory: rr,
        })
    }
}
