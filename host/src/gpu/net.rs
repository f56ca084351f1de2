//! Whole networks (spec §7) on the GPU backend, in the counting form of
//! spec §7.1 ([`sc_kernel::count`]), bit-identical to the bitstream path
//! and to the CPU engine.
//!
//! Once per run, on the host: the spec's checks, every layer's signed
//! weight counts `s * n` (`i32`, input-major, from the kernel's
//! [`ones_table`](sc_kernel::count::ones_table) and [`weight_counts`](sc_kernel::count::weight_counts)) and layer 0's ranks
//! ([`weight_ranks`](sc_kernel::count::weight_ranks)); the counts go to device buffers once.
//!
//! Every step: the host orders the step's input comparator values
//! ([`input_values`]) and uploads them; on the device, `net_prefix` builds
//! each input's prefix table `T_i` and `net_layer0` sums layer 0's counts
//! (one invocation per neuron); each layer `k >= 1` gets the previous
//! layer's spike words and `net_spikes` sums the weight counts of the
//! inputs that spiked. The host downloads each layer's counts and steps
//! its neurons with the kernel's model ([`CountLayer::fire`]: currents,
//! then the LIF step), so the spikes are the kernel's.

use sc_kernel::count::{input_values, CountLayer};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{Neuron, StreamSource};
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, BitSlice, BitSliceMut};

use super::device::{bytes_of, u32_of, words_u32, Failed, Gpu, B_A, B_B, B_C, B_OUT};
use super::params::{NetParams, ShaderParams};
use super::GpuBackend;
use crate::backend::{Backend, BackendResult};
use crate::engine::{layer_counts, weight_tables};
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

    /// The kernel's layers over the weight counts, after the run's checks
    /// (input count, size of the spike record).
    fn count_layers(
        &self,
        inputs: &[Probability],
        steps: usize,
    ) -> Result<Vec<CountLayer<'_, LifParams<F>, i32>>, NetError> {
        let dims: Vec<usize> = self.layers.iter().map(|l| l.shape.neurons()).collect();
        let m = self.layers.first().map_or(0, |l| l.shape.inputs());
        if inputs.len() != m {
            return Err(NetError::Invalid(format!(
                "{} input probabilities given, the network has {m} inputs",
                inputs.len()
            )));
        }
        check_record("steps", &dims, steps)?;
        Ok(self
            .layers
            .iter()
            .map(|l| CountLayer::new(l.shape, &l.weights, l.gain, l.params))
            .collect::<Result<_, _>>()?)
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

/// A layer's device buffers and state.
struct DeviceLayer<F: LifFixed> {
    weights: wgpu::Buffer,
    /// The previous layer's spike words (layers `k >= 1`).
    spikes_in: wgpu::Buffer,
    counts: wgpu::Buffer,
    params: wgpu::Buffer,
    groups: (u32, u32),
    v: Vec<F>,
    refractory: Vec<u16>,
    current: Vec<F>,
    spikes: Vec<u64>,
}

/// Layer 0's device buffers: comparator values, probabilities, prefix
/// tables, and the prefix pass's parameters and grid.
struct Layer0 {
    q: wgpu::Buffer,
    p: wgpu::Buffer,
    tables: wgpu::Buffer,
    params: wgpu::Buffer,
    groups: (u32, u32),
}

/// `count` `u32` words as bytes, checked for the shaders' indexing.
fn words(count: usize) -> Result<u64, Failed> {
    u32_of(count)?;
    bytes_of(count, 4)
}

/// The parameters of one pass over `threads` invocations of a layer of
/// `shape`: the buffer and the grid.
fn pass(g: &Gpu, shape: &MacShape, threads: usize) -> Result<(wgpu::Buffer, (u32, u32)), Failed> {
    let (groups, xt) = g.grid(threads)?;
    let p = g.params(&NetParams {
        neurons: u32_of(shape.neurons())?,
        inputs: u32_of(shape.inputs())?,
        len: u32_of(shape.len())?,
        xt,
    })?;
    Ok((p, groups))
}

/// Run `steps` steps of one sample on `g`.
fn run_on<F: LifFixed>(
    g: &Gpu,
    model: &Model<F>,
    layers: &[CountLayer<'_, LifParams<F>, i32>],
    inputs: &[Probability],
    steps: usize,
) -> Result<NetRun, Stop> {
    let Some(first) = model.layers.first() else {
        return Err(NetError::Invalid("no layers".into()).into());
    };
    let s0 = first.shape;
    // Every buffer's size and index range, before creating any.
    let mut sizes = vec![
        words(s0.len())?,
        words(s0.inputs())?,
        words(
            s0.inputs()
                .checked_mul(s0.len() + 1)
                .ok_or(Failed::TooLarge)?,
        )?,
    ];
    for l in &model.layers {
        let s = l.shape;
        sizes.push(words(
            s.neurons()
                .checked_mul(s.inputs())
                .ok_or(Failed::TooLarge)?,
        )?);
        sizes.push(words(2 * words_for::<u64>(s.inputs()))?);
        sizes.push(words(s.neurons())?);
    }
    g.fits(&sizes)?;
    let (params, groups) = pass(g, &s0, s0.inputs())?;
    let p: Vec<u32> = inputs.iter().map(|p| p.q16()).collect();
    let l0 = Layer0 {
        q: g.zeroed(sizes[0])?,
        p: g.upload(bytemuck::cast_slice(&p))?,
        tables: g.zeroed(sizes[2])?,
        params,
        groups,
    };
    let mut dev = vec![];
    for (l, sz) in model.layers.iter().zip(sizes[3..].chunks_exact(3)) {
        let n = l.shape.neurons();
        let (params, groups) = pass(g, &l.shape, n)?;
        let what = "layer neurons";
        dev.push(DeviceLayer {
            weights: g.upload(bytemuck::cast_slice(&l.weights))?,
            spikes_in: g.zeroed(sz[1])?,
            counts: g.zeroed(sz[2])?,
            params,
            groups,
            v: try_vec(what, n, l.params.rest())?,
            refractory: try_vec(what, n, 0)?,
            current: try_vec(what, n, F::default())?,
            spikes: try_vec(what, words_for::<u64>(n), 0)?,
        });
    }
    let outputs = model.layers.last().map_or(0, |l| l.shape.neurons());
    let mut out = NetRun {
        spikes: try_with_capacity("steps", steps)?,
        counts: vec![0; outputs],
    };
    let mut gen = model.input_source.start()?;
    let mut q = try_vec("layer 0 stream", model.rank.len(), 0u16)?;
    for _ in 0..steps {
        input_values(&mut gen, &model.rank, &mut q)?;
        let q32: Vec<u32> = q.iter().map(|&x| u32::from(x)).collect();
        g.write(&l0.q, bytemuck::cast_slice(&q32))?;
        let pb = NetParams::BINDING;
        g.run(
            &g.net_prefix,
            &[
                (pb, &l0.params),
                (B_A, &l0.q),
                (B_C, &l0.p),
                (B_OUT, &l0.tables),
            ],
            l0.groups,
        )?;
        for (k, layer) in layers.iter().enumerate() {
            let (prev, rest) = dev.split_at_mut(k);
            let Some(d) = rest.first_mut() else { break };
            // Layer 0 reads the prefix tables and probabilities, a layer
            // k >= 1 the previous layer's spike words.
            let (pipe, input) = match prev.last() {
                None => (&g.net_layer0, &l0.tables),
                Some(p) => {
                    g.write(&d.spikes_in, bytemuck::cast_slice(&p.spikes))?;
                    (&g.net_spikes, &d.spikes_in)
                }
            };
            let mut entries = vec![
                (pb, &d.params),
                (B_A, &d.weights),
                (B_B, input),
                (B_OUT, &d.counts),
            ];
            if k == 0 {
                entries.push((B_C, &l0.p));
            }
            g.run(pipe, &entries, d.groups)?;
            let n = d.v.len();
            let counts: Vec<i32> = words_u32(&g.read(&d.counts, bytes_of(n, 4)?)?)
                .into_iter()
                .map(|c| c as i32)
                .collect();
            if n > 0 {
                let mut spikes = BitSliceMut::new(&mut d.spikes, n)?;
                layer.fire(
                    &counts,
                    &mut d.v,
                    &mut d.refractory,
                    &mut d.current,
                    &mut spikes,
                )?;
            }
        }
        let mut step = Vec::with_capacity(dev.len());
        for d in &dev {
            let n = d.v.len();
            let s = BitSlice::new(&d.spikes, n)?;
            step.push(
                (0..n)
                    .map(|j| s.get(j) == Some(true))
                    .collect::<Vec<bool>>(),
            );
        }
        if let Some(last) = step.last() {
            for (c, &z) in out.counts.iter_mut().zip(last) {
                *c += u32::from(z);
            }
        }
        out.spikes.push(step);
    }
    Ok(out)
}

impl GpuBackend {
    /// `steps` steps of one sample of `spec` (inputs in Q0.16, every
    /// layer's spikes recorded): the synaptic sums on the device, the
    /// neuron steps on the host; on the CPU backend when there is no
    /// device, it is lost, or the network does not fit it.
    pub(super) fn run_network(
        &self,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        steps: usize,
    ) -> BackendResult<NetRun> {
        let inputs = probabilities(inputs_q16)?;
        match spec.format {
            LifFormat::Q16_16 => self.run_format::<I16F16>(spec, inputs_q16, &inputs, steps),
            LifFormat::Q8_8 => self.run_format::<I8F8>(spec, inputs_q16, &inputs, steps),
        }
    }

    fn run_format<F: LifFixed>(
        &self,
        spec: &NetworkSpec,
        inputs_q16: &[u32],
        inputs: &[Probability],
        steps: usize,
    ) -> BackendResult<NetRun> {
        let model = Model::<F>::new(spec)?;
        let layers = model.count_layers(inputs, steps)?;
        self.run_or_fallback(
            |g| match run_on(g, &model, &layers, inputs, steps) {
                Ok(r) => Ok(Ok(r)),
                Err(Stop::Net(e)) => Ok(Err(e.into())),
                Err(Stop::Gpu(f)) => Err(f),
            },
            |cpu| Ok(cpu.network(spec, inputs_q16, steps)),
        )?
    }
}
