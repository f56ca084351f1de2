//! Whole networks (spec §7) on the GPU backend, in the counting form of
//! spec §7.1 ([`sc_kernel::count`]), bit-identical to the bitstream path
//! and to the CPU engine, a batch of samples at once.
//!
//! Once per run, on the host: the spec's checks, every layer's signed
//! weight counts `s * n` (`i32`, input-major, from the kernel's
//! [`ones_table`](sc_kernel::count::ones_table) and [`weight_counts`](sc_kernel::count::weight_counts)) and layer 0's ranks
//! ([`weight_ranks`](sc_kernel::count::weight_ranks)); the counts go to device buffers once.
//!
//! Every step, the host orders the step's input comparator values
//! ([`input_values`]; every sample's generator starts alike, so they are
//! the same for the whole batch) and uploads them; then one submission
//! runs the step on the device: `net_prefix` builds each (sample, input)'s
//! prefix table `T_i`; then, per layer, `net_sum` sums the layer's counts
//! (layer 0 from the tables, a layer `k >= 1` from the previous layer's
//! spike words; blocks of inputs in parallel, 8 samples per weight read)
//! and `net_fire` turns them into currents and steps the neurons (sc.wgsl
//! re-implements the kernel's `counts_to_current` and LIF step; the
//! vectors and tests check it against the kernel). The host waits only
//! at the end of the run, for the counts and, when asked, the spikes.

use std::cell::RefCell;
use std::sync::{Mutex, OnceLock};

use sc_kernel::count::{input_values, CountLayer};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{Neuron, StreamSource};
use sc_kernel::sng::Probability;

use super::device::{bytes_of, u32_of, words_u32, Failed, Gpu, B_A, B_ATOM, B_B, B_C, B_OUT};
use super::params::{LifConsts, NetParams, ShaderParams};
use super::GpuBackend;
use crate::backend::BackendResult;
use crate::engine::{layer_counts, weight_tables, Engine, Record};
use crate::limits::{try_vec, try_with_capacity};
use crate::scnet::{
    check_record, check_spec, probabilities, LifFormat, NetError, NetRun, NetworkSpec,
};

/// One layer prepared on the host.
struct HostLayer<F: LifFixed> {
    shape: MacShape,
    /// Signed weight counts `s * n`, input-major (`[i * neurons + j]`).
    weights: Vec<i32>,
    gain: F,
    params: LifParams<F>,
}

/// A network prepared on the host: its layers and layer 0's ranks.
struct Model<F: LifFixed> {
    layers: Vec<HostLayer<F>>,
    rank: Vec<u32>,
    input_source: StreamSource,
}

impl<F: LifFixed> Model<F> {
    /// Check `spec` in format `F` and build its weight counts (as the CPU
    /// engine does, so bad input gets the same errors).
    fn new(spec: &NetworkSpec) -> Result<Self, NetError> {
        let checked = check_spec::<F>(spec)?;
        let mut layers = vec![];
        let mut rank = vec![];
        for (k, l) in spec.layers.iter().enumerate() {
            let (m, n) = (spec.dims[k], spec.dims[k + 1]);
            let (ones, r) = weight_tables(spec, k)?;
            if let Some(r) = r {
                rank = r;
            }
            let shape = MacShape::new(n, m, l.len)?;
            let weights = layer_counts::<i32>(k, l, &checked.negative[k], m, &ones, 0..n)?;
            layers.push(HostLayer {
                shape,
                weights,
                gain: checked.gains[k],
                params: checked.params[k],
            });
        }
        Ok(Self {
            layers,
            rank,
            input_source: spec.input_source,
        })
    }

    /// [`CountLayer::new`]'s checks of every layer.
    fn check_layers(&self) -> Result<(), NetError> {
        for l in &self.layers {
            CountLayer::new(l.shape, &l.weights, l.gain, l.params)?;
        }
        Ok(())
    }

    /// A run's check of one sample's `inputs`: their number.
    fn check_inputs(&self, inputs: &[Probability]) -> Result<(), NetError> {
        let m = self.layers.first().map_or(0, |l| l.shape.inputs());
        if inputs.len() != m {
            return Err(NetError::Invalid(format!(
                "{} input probabilities given, the network has {m} inputs",
                inputs.len()
            )));
        }
        Ok(())
    }
}

/// Why a run on the device stopped: the device, or the run itself.
enum Stop {
    Gpu(Failed),
    Net(NetError),
}

impl From<Failed> for Stop {
    fn from(f: Failed) -> Self {
        Stop::Gpu(f)
    }
}

macro_rules! stop_net {
    ($($t:ty),*) => {$(
        impl From<$t> for Stop {
            fn from(e: $t) -> Self {
                Stop::Net(e.into())
            }
        }
    )*};
}
stop_net!(NetError, sc_kernel::Error, crate::limits::LimitError);

/// Samples per invocation of `net_sum`: each weight read serves this many
/// (`NET_GROUP` in sc.wgsl, prepended from here).
pub(super) const GROUP: usize = 8;

/// Inputs per workgroup of `net_sum`, a multiple of 32 (whole spike words;
/// `NET_BLOCK` in sc.wgsl, prepended from here).
pub(super) const BLOCK: usize = 128;

/// Largest prefix-table buffer a chunk of samples uses, bytes (the
/// device's storage limits may be lower).
const MAX_TABLES: u64 = 1 << 30;

/// `count` `u32` words as bytes, checked for the shaders' indexing.
fn words(count: usize) -> Result<u64, Failed> {
    u32_of(count)?;
    bytes_of(count, 4)
}

/// `u32` words of one (sample, input)'s prefix table for stream length
/// `len`: `floor(len / 32) + 1` pairs (cum, mask), see `net_prefix`.
fn table_words(len: usize) -> usize {
    2 * (len / 32 + 1)
}

/// `u32` spike words of a layer of `n` neurons, per sample.
fn spike_words(n: usize) -> usize {
    n.div_ceil(32)
}

/// A layer's device buffers for one chunk of samples.
struct DeviceLayer {
    /// Neuron state `(v, r, spike count, this step's count)` per (sample,
    /// neuron).
    state: wgpu::Buffer,
    /// This step's spike words (`batch * out_words`), cleared every step.
    spikes: wgpu::Buffer,
    /// Every step's spike words, when the run records them.
    record: Option<wgpu::Buffer>,
    /// Bytes of one step's spike words (`spikes` may be longer: at least
    /// 4 bytes).
    spike_bytes: u64,
    /// `net_sum`'s and `net_fire`'s bind groups and grids.
    sum: (wgpu::BindGroup, (u32, u32)),
    fire: (wgpu::BindGroup, (u32, u32)),
}

/// The layer parameters that do not depend on the batch.
fn layer_params<F: LifFixed>(l: &HostLayer<F>, first: bool) -> Result<NetParams, Failed> {
    let s = l.shape;
    let len = s.len();
    Ok(NetParams {
        neurons: u32_of(s.neurons())?,
        inputs: u32_of(s.inputs())?,
        len: u32_of(len)?,
        xt: 0,
        batch: 0,
        first: u32::from(first),
        shift: if len.is_power_of_two() {
            len.trailing_zeros()
        } else {
            u32::MAX
        },
        in_words: u32_of(spike_words(s.inputs()))?,
        out_words: u32_of(spike_words(s.neurons()))?,
        gain: l.gain.raw(),
        raw_min: F::RAW_MIN,
        raw_max: F::RAW_MAX,
        gx: 0,
        pad: [0; 3],
    })
}

/// Samples per chunk: as many as `max` allows and every per-sample buffer
/// of a run of `steps` steps (layer 0's probabilities and prefix tables
/// within [`MAX_TABLES`] too, each layer's state, spikes and, with
/// `record`, spike record) fits the device's buffer limits with; a
/// multiple of [`GROUP`] when more than one group, at least one.
fn chunk_size(
    g: &Gpu,
    model: &Model<impl LifFixed>,
    steps: usize,
    record: Record,
    max: usize,
) -> usize {
    let limit = g
        .limits
        .max_buffer_size
        .min(g.limits.max_storage_buffer_binding_size);
    // Bytes per sample of each buffer, with its own limit.
    let mut per_sample: Vec<(u64, u64)> = vec![];
    if let Some(l) = model.layers.first() {
        let m = l.shape.inputs() as u64;
        per_sample.push((m.saturating_mul(4), limit));
        let tables = m.saturating_mul(table_words(l.shape.len()) as u64);
        per_sample.push((tables.saturating_mul(4), limit.min(MAX_TABLES)));
    }
    for l in &model.layers {
        let n = l.shape.neurons() as u64;
        let spikes = spike_words(l.shape.neurons()) as u64 * 4;
        per_sample.push((n.saturating_mul(16), limit));
        per_sample.push((spikes, limit));
        if record == Record::Spikes {
            per_sample.push((spikes.saturating_mul(steps as u64), limit));
        }
    }
    let fit = per_sample
        .iter()
        .map(|&(bytes, lim)| lim.checked_div(bytes).unwrap_or(u64::MAX))
        .min()
        .unwrap_or(u64::MAX);
    let c = usize::try_from(fit).unwrap_or(usize::MAX).min(max).max(1);
    if c > GROUP {
        c / GROUP * GROUP
    } else {
        c
    }
}

/// Weight buffers of `model`, uploaded once per run.
fn upload_weights<F: LifFixed>(g: &Gpu, model: &Model<F>) -> Result<Vec<wgpu::Buffer>, Failed> {
    let sizes = model
        .layers
        .iter()
        .map(|l| words(l.weights.len()))
        .collect::<Result<Vec<_>, _>>()?;
    g.fits(&sizes)?;
    model
        .layers
        .iter()
        .map(|l| g.upload(bytemuck::cast_slice(&l.weights)))
        .collect()
}

/// Run `steps` steps of each sample of `batch` on `g`, all of them at
/// once (the caller keeps the chunk within [`chunk_size`]).
fn run_on<F: LifFixed>(
    g: &Gpu,
    model: &Model<F>,
    weights: &[wgpu::Buffer],
    batch: &[Vec<Probability>],
    steps: usize,
    record: Record,
) -> Result<Vec<NetRun>, Stop> {
    let Some(first) = model.layers.first() else {
        return Err(NetError::Invalid("no layers".into()).into());
    };
    let nb = batch.len();
    let s0 = first.shape;
    let (m, len0) = (s0.inputs(), s0.len());
    let keep = record == Record::Spikes;
    // Every buffer's size and index range, before creating any.
    let tables_len = nb
        .checked_mul(m)
        .and_then(|x| x.checked_mul(table_words(len0)))
        .ok_or(Failed::TooLarge)?;
    let mut sizes = vec![words(len0)?, words(nb * m)?, words(tables_len)?];
    for l in &model.layers {
        let n = l.shape.neurons();
        let sw = nb.checked_mul(spike_words(n)).ok_or(Failed::TooLarge)?;
        sizes.push(words(sw)?);
        sizes.push(words(
            n.checked_mul(nb)
                .and_then(|x| x.checked_mul(4))
                .ok_or(Failed::TooLarge)?,
        )?);
        if keep {
            sizes.push(words(sw.checked_mul(steps).ok_or(Failed::TooLarge)?)?);
        }
    }
    g.fits(&sizes)?;
    let p: Vec<u32> = batch.iter().flatten().map(|p| p.q16()).collect();
    let q = g.zeroed(sizes[0])?;
    let p = g.upload(bytemuck::cast_slice(&p))?;
    let tables = g.zeroed(sizes[2])?;
    let ((gx, gy), xt) = g.grid(nb * m)?;
    let prefix_params = g.params(&NetParams {
        batch: u32_of(nb)?,
        xt,
        ..layer_params(first, true)?
    })?;
    let prefix = (
        g.bind_group(
            &g.net_prefix,
            &[
                (NetParams::BINDING, &prefix_params),
                (B_A, &q),
                (B_C, &p),
                (B_OUT, &tables),
            ],
        ),
        (gx, gy),
    );
    let mut dev: Vec<DeviceLayer> = vec![];
    for (k, (l, w)) in model.layers.iter().zip(weights).enumerate() {
        let n = l.shape.neurons();
        let sw = nb * spike_words(n);
        // net_sum: blocks of 64 neurons x NET_BLOCK inputs x GROUP samples.
        let blocks = n
            .div_ceil(64)
            .checked_mul(l.shape.inputs().div_ceil(BLOCK).max(1))
            .and_then(|x| x.checked_mul(nb.div_ceil(GROUP)))
            .ok_or(Failed::TooLarge)?;
        let sum_groups = g.groups(blocks)?;
        let (fire_groups, xt) = g.grid(nb * n)?;
        let base = NetParams {
            batch: u32_of(nb)?,
            ..layer_params(l, k == 0)?
        };
        let sum_params = g.params(&NetParams {
            gx: sum_groups.0,
            ..base
        })?;
        let fire_params = g.params(&NetParams { xt, ..base })?;
        let consts = g.params(&LifConsts::of(&l.params))?;
        let mut state = try_with_capacity("neuron state", nb * n * 4)?;
        for _ in 0..nb * n {
            state.extend_from_slice(&[l.params.rest().raw() as u32, 0, 0, 0]);
        }
        let state = g.upload(bytemuck::cast_slice(&state))?;
        let spikes = g.zeroed(words(sw)?)?;
        let rec = if keep {
            Some(g.zeroed(words(sw * steps)?)?)
        } else {
            None
        };
        let input = match dev.last() {
            None => &tables,
            Some(prev) => &prev.spikes,
        };
        let sum = g.bind_group(
            &g.net_sum,
            &[
                (NetParams::BINDING, &sum_params),
                (B_A, w),
                (B_B, input),
                (B_C, &p),
                (B_ATOM, &state),
            ],
        );
        let fire = g.bind_group(
            &g.net_fire,
            &[
                (NetParams::BINDING, &fire_params),
                (LifConsts::BINDING, &consts),
                (B_OUT, &state),
                (B_ATOM, &spikes),
            ],
        );
        dev.push(DeviceLayer {
            state,
            spikes,
            record: rec,
            spike_bytes: bytes_of(sw, 4)?,
            sum: (sum, sum_groups),
            fire: (fire, fire_groups),
        });
    }
    // The steps: no waiting between them.
    let oom = g.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let invalid = g.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let mut gen = model.input_source.start()?;
    let mut qs = try_vec("layer 0 stream", model.rank.len(), 0u16)?;
    let mut q32 = try_vec("layer 0 stream", model.rank.len(), 0u32)?;
    for step in 0..steps {
        input_values(&mut gen, &model.rank, &mut qs)?;
        for (a, &b) in q32.iter_mut().zip(&qs) {
            *a = u32::from(b);
        }
        g.queue.write_buffer(&q, 0, bytemuck::cast_slice(&q32));
        let mut enc = g.device.create_command_encoder(&Default::default());
        for d in &dev {
            enc.clear_buffer(&d.spikes, 0, None);
        }
        {
            let mut pass = enc.begin_compute_pass(&Default::default());
            pass.set_pipeline(&g.net_prefix);
            pass.set_bind_group(0, &prefix.0, &[]);
            pass.dispatch_workgroups(prefix.1 .0, prefix.1 .1, 1);
            for d in &dev {
                for (pipe, (bg, (x, y))) in [(&g.net_sum, &d.sum), (&g.net_fire, &d.fire)] {
                    pass.set_pipeline(pipe);
                    pass.set_bind_group(0, bg, &[]);
                    pass.dispatch_workgroups(*x, *y, 1);
                }
            }
        }
        for d in &dev {
            // The step's spike words (none for a layer of no neurons).
            if let (Some(r), size @ 1..) = (&d.record, d.spike_bytes) {
                enc.copy_buffer_to_buffer(&d.spikes, 0, r, size * step as u64, size);
            }
        }
        g.queue.submit([enc.finish()]);
        // Frees finished steps' staging memory; does not wait.
        g.device
            .poll(wgpu::PollType::Poll)
            .map_err(|e| Failed::Device(format!("poll: {e}")))?;
    }
    let polled = g.device.poll(wgpu::PollType::wait_indefinitely());
    let invalid = pollster::block_on(invalid.pop());
    let oom = pollster::block_on(oom.pop());
    polled.map_err(|e| Failed::Device(format!("poll: {e}")))?;
    if let Some(e) = invalid {
        return Err(Failed::Device(format!("{e}")).into());
    }
    if oom.is_some() {
        return Err(Failed::TooLarge.into());
    }
    // The results.
    let last = dev.last().ok_or(Failed::TooLarge)?;
    let outputs = model.layers.last().map_or(0, |l| l.shape.neurons());
    let state = words_u32(&g.read(&last.state, last.state.size())?);
    let mut runs: Vec<NetRun> = (0..nb)
        .map(|b| NetRun {
            spikes: vec![],
            counts: (0..outputs)
                .map(|j| state.get(4 * (b * outputs + j) + 2).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    if keep {
        let recs = dev
            .iter()
            .map(|d| match &d.record {
                Some(r) => Ok(words_u32(&g.read(r, r.size())?)),
                None => Err(Failed::TooLarge),
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (b, run) in runs.iter_mut().enumerate() {
            run.spikes = try_with_capacity("steps", steps)?;
            for step in 0..steps {
                let mut layers = Vec::with_capacity(dev.len());
                for (l, rec) in model.layers.iter().zip(&recs) {
                    let n = l.shape.neurons();
                    let sw = spike_words(n);
                    let at = (step * nb + b) * sw;
                    let row = rec.get(at..at + sw).unwrap_or(&[]);
                    layers.push(
                        (0..n)
                            .map(|j| row.get(j / 32).is_some_and(|w| (w >> (j % 32)) & 1 == 1))
                            .collect::<Vec<bool>>(),
                    );
                }
                run.spikes.push(layers);
            }
        }
    }
    Ok(runs)
}

/// A network prepared for [`GpuBackend`] in format `F`: its checked
/// weight counts, their device buffers (uploaded on the first run that
/// reaches the device) and the CPU engine for the fallback (built on the
/// first run that needs it).
struct Prepared<F: LifFixed> {
    model: Model<F>,
    weights: Mutex<Option<Vec<wgpu::Buffer>>>,
    engine: OnceLock<Engine<F>>,
}

/// A prepared network in its format.
enum Formats {
    Q16(Prepared<I16F16>),
    Q8(Prepared<I8F8>),
}

/// A network prepared once for the GPU backend ([`GpuBackend::prepare`]):
/// runs of it build and upload nothing again.
pub struct GpuNetwork<'a> {
    backend: &'a GpuBackend,
    spec: &'a NetworkSpec,
    net: Formats,
}

impl GpuBackend {
    /// `steps` steps of one sample of `spec` (inputs in Q0.16, every
    /// layer's spikes recorded), on the device; on the CPU backend when
    /// there is no device, it is lost, or the network does not fit it.
    pub(super) fn run_network(
        &self,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        steps: usize,
    ) -> BackendResult<NetRun> {
        let inputs = probabilities(inputs_q16)?;
        let mut runs =
            self.prepare(spec)?
                .run_batch(&[inputs], steps, Record::Spikes, 1, &mut |_| {})?;
        runs.pop()
            .ok_or_else(|| NetError::Invalid("no run".into()).into())
    }

    /// Check `spec` and build its weight counts once (the CPU engine's
    /// checks and errors), for runs on this backend.
    pub fn prepare<'a>(&'a self, spec: &'a NetworkSpec) -> Result<GpuNetwork<'a>, NetError> {
        fn prep<F: LifFixed>(spec: &NetworkSpec) -> Result<Prepared<F>, NetError> {
            let model = Model::<F>::new(spec)?;
            model.check_layers()?;
            Ok(Prepared {
                model,
                weights: Mutex::new(None),
                engine: OnceLock::new(),
            })
        }
        let net = match spec.format {
            LifFormat::Q16_16 => Formats::Q16(prep(spec)?),
            LifFormat::Q8_8 => Formats::Q8(prep(spec)?),
        };
        Ok(GpuNetwork {
            backend: self,
            spec,
            net,
        })
    }
}

impl GpuNetwork<'_> {
    /// Bytes of weight counts the device holds for this network (an `i32`
    /// per synapse).
    pub fn model_bytes(&self) -> usize {
        fn bytes<F: LifFixed>(p: &Prepared<F>) -> usize {
            p.model
                .layers
                .iter()
                .map(|l| std::mem::size_of_val(l.weights.as_slice()))
                .sum()
        }
        match &self.net {
            Formats::Q16(p) => bytes(p),
            Formats::Q8(p) => bytes(p),
        }
    }

    /// Every sample of `batch` (each its own state and input generator,
    /// spec §7) for `steps` steps, results in order, bit-identical to the
    /// CPU engine's [`Engine::run_batch`]: on the device, up to `chunk`
    /// samples at a time (fewer when the device's buffers hold fewer),
    /// `progress` told the samples done after each chunk; on the CPU
    /// engine when there is no device, it is lost, or the network does not
    /// fit it. Errors as the CPU engine's.
    pub fn run_batch(
        &self,
        batch: &[Vec<Probability>],
        steps: usize,
        record: Record,
        chunk: usize,
        progress: &mut dyn FnMut(usize),
    ) -> BackendResult<Vec<NetRun>> {
        let job = (batch, steps, record, chunk);
        match &self.net {
            Formats::Q16(p) => self.run_format(p, job, progress),
            Formats::Q8(p) => self.run_format(p, job, progress),
        }
    }

    /// [`Self::run_batch`] in format `F`; `job` is its `(batch, steps,
    /// record, chunk)`.
    fn run_format<F: LifFixed>(
        &self,
        prep: &Prepared<F>,
        (batch, steps, record, chunk): (&[Vec<Probability>], usize, Record, usize),
        progress: &mut dyn FnMut(usize),
    ) -> BackendResult<Vec<NetRun>> {
        let model = &prep.model;
        // The CPU engine's checks, in its order: every sample's inputs,
        // then (recording) one sample's spike record.
        for x in batch {
            model.check_inputs(x)?;
        }
        if record == Record::Spikes {
            let dims: Vec<usize> = model.layers.iter().map(|l| l.shape.neurons()).collect();
            check_record("steps", &dims, steps).map_err(NetError::from)?;
        }
        // Progress never goes back (a fallback after some chunks starts over
        // on the CPU).
        let mut shown = 0;
        let mut forward = |n: usize| {
            if n > shown {
                shown = n;
                progress(n);
            }
        };
        let progress = RefCell::new(&mut forward as &mut dyn FnMut(usize));
        self.backend.run_or_fallback(
            |g| {
                let mut held = prep
                    .weights
                    .lock()
                    .map_err(|_| Failed::Device("a run panicked".into()))?;
                if held.is_none() {
                    *held = Some(upload_weights(g, model)?);
                }
                let weights = held.as_deref().unwrap_or(&[]);
                let size = chunk_size(g, model, steps, record, chunk.max(1));
                let mut p = progress.borrow_mut();
                match in_chunks(batch, size, &mut **p, |c| {
                    run_on(g, model, weights, c, steps, record)
                }) {
                    Ok(runs) => Ok(Ok(runs)),
                    Err(Stop::Net(e)) => Ok(Err(e.into())),
                    Err(Stop::Gpu(f)) => Err(f),
                }
            },
            |_| {
                let mut p = progress.borrow_mut();
                let engine = match prep.engine.get() {
                    Some(e) => e,
                    None => match Engine::<F>::new(self.spec) {
                        Ok(e) => prep.engine.get_or_init(|| e),
                        Err(e) => return Ok(Err(e.into())),
                    },
                };
                let runs = in_chunks(batch, chunk, &mut **p, |c| {
                    engine.run_batch(c, steps, record)
                });
                Ok(runs.map_err(Into::into))
            },
        )?
    }
}

/// `run` over `batch` in chunks of `size` samples (at least one), results
/// in order, `progress` told the samples done after each chunk: the device
/// and the CPU engine of [`GpuNetwork::run_batch`] alike.
fn in_chunks<E: From<crate::limits::LimitError>>(
    batch: &[Vec<Probability>],
    size: usize,
    progress: &mut dyn FnMut(usize),
    mut run: impl FnMut(&[Vec<Probability>]) -> Result<Vec<NetRun>, E>,
) -> Result<Vec<NetRun>, E> {
    let mut runs = try_with_capacity("samples", batch.len())?;
    for c in batch.chunks(size.max(1)) {
        runs.extend(run(c)?);
        progress(runs.len());
    }
    Ok(runs)
}
