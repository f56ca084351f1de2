//! Device plumbing: adapter, device and queue, the device's limits, error
//! scopes, buffer creation, upload and download, and one dispatch.

use super::params::{
    BitwiseParams, LifShaderParams, MacParams, NetParams, PackParams, PopcountParams, RowsParams,
    ShaderParams, SnnShaderParams, NET_FIRE, NET_PREFIX,
};
use super::{DeviceRows, GpuError};

/// An open device: its queue, limits and one pipeline per entry point of
/// sc.wgsl.
pub(super) struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub bitwise: wgpu::ComputePipeline,
    pub popcount: wgpu::ComputePipeline,
    pub popcount_rows: wgpu::ComputePipeline,
    pub pack: wgpu::ComputePipeline,
    pub mac: wgpu::ComputePipeline,
    pub lif: wgpu::ComputePipeline,
    /// Whole networks (counting form): layer 0's prefix tables.
    pub net_prefix: wgpu::ComputePipeline,
    /// One layer's synaptic sums.
    pub net_sum: wgpu::ComputePipeline,
    /// One layer's neuron steps and spikes.
    pub net_fire: wgpu::ComputePipeline,
    /// The float SNN: one layer, one step.
    pub snn_layer: wgpu::ComputePipeline,
}

/// Why an operation did not complete on the GPU.
pub(super) enum Failed {
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

/// Largest staging buffer for downloads, bytes.
const STAGING: u64 = 64 << 20;

/// `x` as a `u32` for a shader, or [`Failed::TooLarge`].
pub(super) fn u32_of(x: usize) -> Result<u32, Failed> {
    u32::try_from(x).map_err(|_| Failed::TooLarge)
}

/// `a * b` in bytes (`u64`), or [`Failed::TooLarge`].
pub(super) fn bytes_of(count: usize, size: usize) -> Result<u64, Failed> {
    count
        .checked_mul(size)
        .and_then(|b| u64::try_from(b).ok())
        .ok_or(Failed::TooLarge)
}

// Storage bindings of sc.wgsl (the parameter blocks' are
// `ShaderParams::BINDING`).
/// `A`: first operand (read).
pub(super) const B_A: u32 = 1;
/// `B`: second operand (read).
pub(super) const B_B: u32 = 2;
/// `C`: third operand (read).
pub(super) const B_C: u32 = 3;
/// `OUT`: result (read-write).
pub(super) const B_OUT: u32 = 4;
/// `ATOM`: atomic result (read-write).
pub(super) const B_ATOM: u32 = 5;

/// The compute pipeline of entry point `entry`.
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

/// Usage of storage buffers (operands and results).
const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Gpu {
    /// Open the best adapter of `backends`, with its limits as `lower`
    /// leaves them (lowering them tests oversized data).
    pub(super) fn open(
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
            source: wgpu::ShaderSource::Wgsl(shader_source().into()),
        });
        let gpu = Gpu {
            bitwise: pipeline(&device, &module, BitwiseParams::ENTRY),
            popcount: pipeline(&device, &module, PopcountParams::ENTRY),
            popcount_rows: pipeline(&device, &module, RowsParams::ENTRY),
            pack: pipeline(&device, &module, PackParams::ENTRY),
            mac: pipeline(&device, &module, MacParams::ENTRY),
            lif: pipeline(&device, &module, LifShaderParams::ENTRY),
            net_prefix: pipeline(&device, &module, NET_PREFIX),
            net_sum: pipeline(&device, &module, NetParams::ENTRY),
            net_fire: pipeline(&device, &module, NET_FIRE),
            snn_layer: pipeline(&device, &module, SnnShaderParams::ENTRY),
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
    pub(super) fn buffer(
        &self,
        bytes: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer, Failed> {
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
        self.scoped("creating a buffer", || {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size,
                usage,
                mapped_at_creation: false,
            })
        })
    }

    /// Run `f` inside an out-of-memory and a validation error scope: an
    /// allocation failure is [`Failed::TooLarge`], a validation error
    /// `Failed::Device("{what}: {error}")`.
    fn scoped<T>(&self, what: &str, f: impl FnOnce() -> T) -> Result<T, Failed> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let invalid = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out = f();
        let invalid = pollster::block_on(invalid.pop());
        let oom = pollster::block_on(oom.pop());
        if oom.is_some() {
            return Err(Failed::TooLarge);
        }
        if let Some(e) = invalid {
            return Err(Failed::Device(format!("{what}: {e}")));
        }
        Ok(out)
    }

    /// Upload `bytes` into a new storage buffer (the tail padded with zero
    /// bytes to a multiple of 4).
    pub(super) fn upload(&self, bytes: &[u8]) -> Result<wgpu::Buffer, Failed> {
        let buf = self.buffer(bytes_of(bytes.len(), 1)?, STORAGE)?;
        self.write(&buf, bytes)?;
        Ok(buf)
    }

    /// Write `bytes` at the start of `buf` (inside error scopes).
    pub(super) fn write(&self, buf: &wgpu::Buffer, bytes: &[u8]) -> Result<(), Failed> {
        self.scoped("uploading", || {
            let whole = bytes.len() / 4 * 4;
            if whole > 0 {
                self.queue.write_buffer(buf, 0, &bytes[..whole]);
            }
            if whole < bytes.len() {
                let mut tail = [0u8; 4];
                tail[..bytes.len() - whole].copy_from_slice(&bytes[whole..]);
                self.queue.write_buffer(buf, whole as u64, &tail);
            }
        })
    }

    /// Check storage buffers of these sizes (bytes) against the device's
    /// limits before creating any of them.
    pub(super) fn fits(&self, sizes: &[u64]) -> Result<(), Failed> {
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
    pub(super) fn zeroed(&self, bytes: u64) -> Result<wgpu::Buffer, Failed> {
        self.buffer(bytes, STORAGE)
    }

    /// A uniform buffer holding `p`.
    pub(super) fn params<P: ShaderParams>(&self, p: &P) -> Result<wgpu::Buffer, Failed> {
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
    pub(super) fn operand(&self, rows: &DeviceRows) -> Result<wgpu::Buffer, Failed> {
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
    pub(super) fn grid(&self, n: usize) -> Result<((u32, u32), u32), Failed> {
        let (x, y) = self.groups(n.div_ceil(WG as usize))?;
        let xt = x.checked_mul(WG).ok_or(Failed::TooLarge)?;
        if u64::from(xt) * u64::from(y) > 1 << 32 {
            return Err(Failed::TooLarge);
        }
        Ok(((x, y), xt))
    }

    /// A 2-D grid of at least `groups` workgroups (at least one).
    pub(super) fn groups(&self, groups: usize) -> Result<(u32, u32), Failed> {
        let max = self.limits.max_compute_workgroups_per_dimension.max(1);
        let groups = u32_of(groups.max(1))?;
        let x = groups.min(max);
        let y = groups.div_ceil(x);
        if y > max {
            return Err(Failed::TooLarge);
        }
        Ok((x, y))
    }

    /// A bind group of `pipe`'s group 0 over `entries` (binding, buffer).
    pub(super) fn bind_group(
        &self,
        pipe: &wgpu::ComputePipeline,
        entries: &[(u32, &wgpu::Buffer)],
    ) -> wgpu::BindGroup {
        self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipe.get_bind_group_layout(0),
            entries: &entries
                .iter()
                .map(|&(binding, b)| wgpu::BindGroupEntry {
                    binding,
                    resource: b.as_entire_binding(),
                })
                .collect::<Vec<_>>(),
        })
    }

    /// Record one dispatch with `entries` (binding, buffer), submit, and
    /// wait: a sequence of one (see [`Self::run_sequence`]).
    pub(super) fn run(
        &self,
        pipe: &wgpu::ComputePipeline,
        entries: &[(u32, &wgpu::Buffer)],
        groups: (u32, u32),
    ) -> Result<(), Failed> {
        self.run_sequence(pipe, &[entries.to_vec()], &[(0, groups)])
    }

    /// Record a sequence of dispatches of `pipe` in one compute pass (each
    /// sees the writes of those before it): `bindings[g]` are the entries
    /// of bind group `g`, `seq` the (bind group, workgroups) of each
    /// dispatch in order; submit and wait. Errors (validation, out of
    /// memory, loss) come back as `Failed`.
    pub(super) fn run_sequence(
        &self,
        pipe: &wgpu::ComputePipeline,
        bindings: &[Vec<(u32, &wgpu::Buffer)>],
        seq: &[(usize, (u32, u32))],
    ) -> Result<(), Failed> {
        let m = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let v = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let groups: Vec<wgpu::BindGroup> = bindings
            .iter()
            .map(|entries| self.bind_group(pipe, entries))
            .collect();
        let mut enc = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipe);
            for &(g, (x, y)) in seq {
                let Some(bg) = groups.get(g) else {
                    return Err(Failed::Device(format!("no bind group {g}")));
                };
                pass.set_bind_group(0, bg, &[]);
                pass.dispatch_workgroups(x, y, 1);
            }
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
    pub(super) fn read(&self, buf: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>, Failed> {
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

/// Little-endian bytes as `u64` words.
pub(super) fn words_u64(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

/// Little-endian bytes as `u32` words.
pub(super) fn words_u32(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
        .collect()
}

/// The shader: `sc.wgsl` after the bitwise op codes, generated from the
/// kernel's [`sc_kernel::ops::BitOp`] (`const OP_AND: u32 = 0u;` ...), the
/// network passes' sizes ([`super::net::GROUP`], [`super::net::BLOCK`]) and
/// the parameter blocks of [`super::params`], so that each is written once.
pub(crate) fn shader_source() -> String {
    use sc_kernel::ops::BitOp;
    let mut s = String::from("// Generated from sc_kernel::ops::BitOp.\n");
    for op in BitOp::ALL {
        s.push_str(&format!(
            "const OP_{}: u32 = {}u;\n",
            op.name().to_uppercase(),
            op.code()
        ));
    }
    s.push_str(&format!(
        "// Generated from host/src/gpu/net.rs.\nconst NET_GROUP: u32 = {}u;\nconst NET_BLOCK: u32 = {}u;\n",
        super::net::GROUP,
        super::net::BLOCK
    ));
    s + &super::params::wgsl_declarations() + include_str!("sc.wgsl")
}
