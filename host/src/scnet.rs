//! Owned SC spiking networks (spec §7) run on the kernel's `net` module.
//!
//! [`NetworkSpec`] is the serialisable description shared by the vector
//! files and model files; [`run_network`] runs it with `u32` or `u64` words.

use std::marker::PhantomData;

use serde::{Deserialize, Serialize};

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{encode_weights, Layer, LayerState, Network, StreamSource};
use sc_kernel::neuron::Neuron;
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, BitSlice, BitSliceMut, Word};

use crate::hex::{bits_from_str, TextError};
use crate::limits::{check_bytes, try_vec, try_with_capacity, LimitError};

/// Fixed-point format of the LIF neurons (`"q16.16"` or `"q8.8"`).
pub use sc_kernel::lif::Format as LifFormat;

/// LIF parameters as raw fixed-point integers (spec §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LifParamsRaw {
    /// Resting potential (raw).
    pub v_rest: i32,
    /// Reset potential (raw).
    pub v_reset: i32,
    /// Threshold (raw).
    pub threshold: i32,
    /// Leak per step (raw; (0, 1]).
    pub alpha: i32,
    /// Input resistance (raw; > 0).
    pub resistance: i32,
    /// Refractory period in steps.
    pub refractory: u16,
}

impl LifParamsRaw {
    /// Validate into kernel parameters of format `F`.
    pub fn to_params<F: LifFixed>(&self) -> Result<LifParams<F>, sc_kernel::Error> {
        LifParams::new(
            F::try_from_raw(self.v_rest)?,
            F::try_from_raw(self.v_reset)?,
            F::try_from_raw(self.threshold)?,
            F::try_from_raw(self.alpha)?,
            F::try_from_raw(self.resistance)?,
            self.refractory,
        )
    }

    /// Raw parameters of validated kernel parameters.
    pub fn from_params<F: LifFixed>(p: &LifParams<F>) -> Self {
        Self {
            v_rest: p.v_rest().raw(),
            v_reset: p.v_reset().raw(),
            threshold: p.threshold().raw(),
            alpha: p.alpha().raw(),
            resistance: p.resistance().raw(),
            refractory: p.refractory(),
        }
    }
}

/// Stream source of a family of streams (spec §4.3): `{"kind": "sobol",
/// "dimension": D}` or `{"kind": "lfsr16", "seed": S}`.
pub use sc_kernel::net::StreamSource as Source;

/// One layer of a [`NetworkSpec`] (spec §7: layer `k` has its own stream
/// length `L_k`, LIF parameters, weights and gain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// Stream length `L_k` of the layer's weight and input streams, in
    /// bits (> 0; `inputs * len` at most 2^31 - 1).
    pub len: usize,
    /// LIF parameters of the layer's neurons, in the network's format.
    pub params: LifParamsRaw,
    /// Weight magnitudes in Q0.16 (0..=65536), row-major `[neuron][input]`.
    pub weights_q16: Vec<u32>,
    /// Sign bits, row-major `[neuron][input]`, `'1'` = negative.
    pub negative: String,
    /// Gain (raw, LIF format): current for a full-scale count.
    pub gain: i32,
}

/// A whole SC network (spec §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// LIF number format.
    pub format: LifFormat,
    /// Layer widths: `dims[0]` inputs, then each layer's neurons.
    pub dims: Vec<usize>,
    /// Source of the weight streams.
    pub weight_source: Source,
    /// Source of the input streams.
    pub input_source: Source,
    /// `dims.len() - 1` layers.
    pub layers: Vec<LayerSpec>,
}

/// Why a network could not be built or run.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The description is inconsistent.
    #[error("invalid network: {0}")]
    Invalid(String),
    /// A field of the description is malformed or out of range; the cause
    /// is the error's source.
    #[error("network field `{field}`")]
    Field {
        /// The field, e.g. `layers[1].gain`.
        field: String,
        /// What was wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A text field is malformed.
    #[error(transparent)]
    Text(#[from] TextError),
    /// The kernel rejected a value.
    #[error(transparent)]
    Kernel(#[from] sc_kernel::Error),
    /// A size is too large to allocate.
    #[error(transparent)]
    Limit(#[from] LimitError),
}

fn at<T, E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    field: impl FnOnce() -> String,
    r: Result<T, E>,
) -> Result<T, NetError> {
    r.map_err(|e| NetError::Field {
        field: field(),
        source: e.into(),
    })
}

impl NetworkSpec {
    /// Validate the description in its own `format` (Q8.8 networks as
    /// Q8.8, Q16.16 ones as Q16.16) without encoding any weights: shapes,
    /// counts, parameters, gains, probabilities, sign bits and sources.
    pub fn validate(&self) -> Result<(), NetError> {
        match self.format {
            LifFormat::Q16_16 => check_spec::<I16F16>(self).map(|_| ()),
            LifFormat::Q8_8 => check_spec::<I8F8>(self).map(|_| ()),
        }
    }

    /// Output neurons (`dims.last()`, 0 for an empty `dims`).
    pub fn outputs(&self) -> usize {
        self.dims.last().copied().unwrap_or(0)
    }
}

/// Bytes of the spike record of `steps` steps of a network whose layers
/// have `neurons` neurons each, checked against
/// [`crate::limits::max_alloc_bytes`]; `what` names the source of `steps`
/// (e.g. `--steps`).
pub fn check_record(what: &str, neurons: &[usize], steps: usize) -> Result<(), LimitError> {
    let per_step = neurons
        .iter()
        .try_fold(std::mem::size_of::<Vec<Vec<bool>>>(), |acc, &n| {
            acc.checked_add(n)?
                .checked_add(std::mem::size_of::<Vec<bool>>())
        });
    let total = per_step.and_then(|p| p.checked_mul(steps));
    match total {
        Some(t) if check_bytes::<u8>(what, t).is_ok() => Ok(()),
        _ => Err(LimitError {
            what: what.to_string(),
            requested: format!(
                "{steps} steps of layers of {neurons:?} neurons ({} bytes of spike record)",
                total.map_or("over 2^64".to_string(), |t| t.to_string())
            ),
            allowed: format!(
                "a spike record of at most {} bytes (set SC_MAX_ALLOC_BYTES to raise the limit)",
                crate::limits::max_alloc_bytes()
            ),
        }),
    }
}

/// Layer `k`'s inputs and the neurons `rows(k, n_k)` a process holds of
/// it (a distributed run's slice; `0..n_k` for a whole layer), checked to
/// lie in `0..n_k`.
pub(crate) fn layer_rows(
    spec: &NetworkSpec,
    k: usize,
    rows: &impl Fn(usize, usize) -> std::ops::Range<usize>,
) -> Result<(usize, std::ops::Range<usize>), NetError> {
    let (m, n) = (spec.dims[k], spec.dims[k + 1]);
    let r = rows(k, n);
    if r.start > r.end || r.end > n {
        return Err(NetError::Invalid(format!(
            "layer {k}: rows {r:?} outside 0..{n}"
        )));
    }
    Ok((m, r))
}

/// Structure and value checks of `spec` in format `F`; the validated
/// parameters, gains and sign bits of every layer (`params[k]`,
/// `gains[k]`, `negative[k]`).
pub(crate) struct Checked<F: LifFixed> {
    pub(crate) params: Vec<LifParams<F>>,
    pub(crate) gains: Vec<F>,
    pub(crate) negative: Vec<Vec<u8>>,
}

pub(crate) fn check_spec<F: LifFixed>(spec: &NetworkSpec) -> Result<Checked<F>, NetError> {
    if spec.dims.len() < 2 {
        return Err(NetError::Invalid(format!(
            "dims {:?}: need at least an input width and one layer",
            spec.dims
        )));
    }
    if spec.layers.len() != spec.dims.len() - 1 {
        return Err(NetError::Invalid(format!(
            "{} layers given, dims {:?} need {}",
            spec.layers.len(),
            spec.dims,
            spec.dims.len() - 1
        )));
    }
    at(|| "weight_source".into(), spec.weight_source.start())?;
    at(|| "input_source".into(), spec.input_source.start())?;
    // Spec §7 / §4.4: the two families must differ.
    if spec.weight_source == spec.input_source {
        return at(
            || "input_source".into(),
            Err(sc_kernel::Error::InvalidParameter {
                name: "input_source",
                allowed: "a source different from weight_source (spec 4.4)",
            }),
        );
    }
    let mut params = vec![];
    let mut gains = vec![];
    let mut negative = vec![];
    for (k, l) in spec.layers.iter().enumerate() {
        let (m, n) = (spec.dims[k], spec.dims[k + 1]);
        if l.len == 0 {
            return at(
                || format!("layers[{k}].len"),
                Err(sc_kernel::Error::EmptyStream),
            );
        }
        params.push(at(
            || format!("layers[{k}].params"),
            l.params.to_params::<F>(),
        )?);
        let nm = n
            .checked_mul(m)
            .ok_or_else(|| NetError::Invalid(format!("dims[{k}] x dims[{}] overflows", k + 1)))?;
        if l.weights_q16.len() != nm {
            return Err(NetError::Invalid(format!(
                "layer {k}: {} weights, {n}x{m} needed",
                l.weights_q16.len()
            )));
        }
        at(|| format!("layers[{k}]"), MacShape::new(n, m, l.len))?;
        for (i, &q) in l.weights_q16.iter().enumerate() {
            at(
                || format!("layers[{k}].weights_q16[{i}]"),
                Probability::from_q16(q),
            )?;
        }
        let neg = at(
            || format!("layers[{k}].negative"),
            bits_from_str(&l.negative),
        )?;
        if neg.len() != nm {
            return Err(NetError::Invalid(format!(
                "layer {k}: {} sign bits, {n}x{m} needed",
                neg.len()
            )));
        }
        negative.push(neg);
        gains.push(at(|| format!("layers[{k}].gain"), F::try_from_raw(l.gain))?);
    }
    Ok(Checked {
        params,
        gains,
        negative,
    })
}

/// Spike trains of a run: `spikes[t][k][j]` is neuron `j` of layer `k` at
/// step `t`; `counts[j]` the last layer's spike counts over all steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRun {
    /// Per step, per layer, per neuron.
    pub spikes: Vec<Vec<Vec<bool>>>,
    /// Spike counts of the last layer.
    pub counts: Vec<u32>,
}

impl NetRun {
    /// Predicted class: index of the largest count, ties to the smaller index.
    /// `Some` for every network with at least one output neuron, also
    /// over 0 steps (all counts 0: class 0).
    pub fn predicted(&self) -> Option<usize> {
        sc_kernel::net::argmax(&self.counts)
    }
}

/// A network ready to run: weights encoded into words of type `W`.
pub struct ScNetwork<F: LifFixed, W: Word> {
    shapes: Vec<MacShape>,
    mags: Vec<Vec<W>>,
    signs: Vec<Vec<W>>,
    gains: Vec<F>,
    params: Vec<LifParams<F>>,
    input_source: StreamSource,
    dims: Vec<usize>,
    _w: PhantomData<W>,
}

impl<F: LifFixed, W: Word> ScNetwork<F, W> {
    /// Validate `spec` and encode its weights.
    pub fn new(spec: &NetworkSpec) -> Result<Self, NetError> {
        Self::new_rows(spec, |_, n| 0..n)
    }

    /// Like [`Self::new`], but layer `k` holds only the neurons
    /// `rows(k, n_k)` (a sub-range of `0..n_k`): the slice of the network
    /// one process of a distributed run steps. Only those neurons' weight
    /// streams are encoded.
    pub fn new_rows(
        spec: &NetworkSpec,
        rows: impl Fn(usize, usize) -> std::ops::Range<usize>,
    ) -> Result<Self, NetError> {
        let checked = check_spec::<F>(spec)?;
        let params = checked.params;
        let wsrc: StreamSource = spec.weight_source;
        let mut shapes = vec![];
        let mut mags = vec![];
        let mut signs = vec![];
        for (k, l) in spec.layers.iter().enumerate() {
            let (m, r) = layer_rows(spec, k, &rows)?;
            let shape = MacShape::new(r.len(), m, l.len)?;
            let probs = l.weights_q16[r.start * m..r.end * m]
                .iter()
                .map(|&q| Probability::from_q16(q))
                .collect::<Result<Vec<_>, _>>()?;
            let what = format!("layers[{k}] weight streams");
            let mut mw = try_vec(&what, shape.weight_rows().words::<W>()?, W::ZERO)?;
            encode_weights(&shape, wsrc, &probs, &mut mw)?;
            let rs = RowShape {
                rows: r.len(),
                row_len: m,
            };
            let mut sw = vec![W::ZERO; rs.words::<W>()?];
            pack_rows(rs, &checked.negative[k][r.start * m..r.end * m], &mut sw)?;
            shapes.push(shape);
            mags.push(mw);
            signs.push(sw);
        }
        let gains = checked.gains;
        Ok(Self {
            shapes,
            mags,
            signs,
            gains,
            params,
            input_source: spec.input_source,
            dims: spec.dims.clone(),
            _w: PhantomData,
        })
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.shapes[0].inputs()
    }

    /// The layers, borrowing the encoded weights.
    pub fn layers(&self) -> Vec<Layer<'_, LifParams<F>, W>> {
        match self.layers_with(|k, gain| Ok::<_, std::convert::Infallible>((self.params[k], gain)))
        {
            Ok(layers) => layers,
            Err(never) => match never {},
        }
    }

    /// The layers with another neuron model: `neuron(k, gain)` gives layer
    /// `k`'s neuron parameters and gain from its fixed-point gain (e.g. the
    /// float LIF of [`crate::lif_float`] for the "SC + float LIF" rows).
    /// The weight streams are this network's.
    pub fn layers_with<N: Neuron, E>(
        &self,
        mut neuron: impl FnMut(usize, F) -> Result<(N, N::Current), E>,
    ) -> Result<Vec<Layer<'_, N, W>>, E> {
        (0..self.shapes.len())
            .map(|k| {
                let (params, gain) = neuron(k, self.gains[k])?;
                Ok(Layer {
                    shape: self.shapes[k],
                    magnitudes: &self.mags[k],
                    signs: &self.signs[k],
                    gain,
                    params,
                })
            })
            .collect()
    }

    /// Layer widths: `dims[0]` inputs, then each whole layer's neurons.
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The source of the input streams.
    pub fn input_source(&self) -> StreamSource {
        self.input_source
    }

    /// Run `steps` time steps from the initial state with constant input
    /// probabilities `inputs` (Q0.16).
    pub fn run(&self, inputs: &[Probability], steps: usize) -> Result<NetRun, NetError> {
        self.run_layers(inputs, steps, None)
    }

    /// [`Self::run`] for a network that holds a slice of every layer's
    /// neurons (see [`Self::new_rows`]): after each layer steps, `exchange`
    /// turns this process's spike words into the whole layer's, which feed
    /// the next layer (as packed words) and are recorded. Every process
    /// runs the same input generator, so input streams need no exchange.
    pub fn run_with(
        &self,
        inputs: &[Probability],
        steps: usize,
        exchange: &mut dyn SpikeExchange<W>,
    ) -> Result<NetRun, NetError> {
        self.run_layers(inputs, steps, Some(exchange))
    }

    /// [`run_layers`] over this network's layers.
    fn run_layers(
        &self,
        inputs: &[Probability],
        steps: usize,
        exchange: Option<&mut dyn SpikeExchange<W>>,
    ) -> Result<NetRun, NetError> {
        run_layers(
            &self.layers(),
            self.input_source,
            &self.dims,
            inputs,
            steps,
            exchange,
        )
    }
}

/// Run `layers` (any neuron model) for `steps` time steps from spec §7's
/// initial state with constant input probabilities `inputs`, on the
/// kernel's [`Network`] over buffers allocated here. `dims` are the whole
/// network's widths (`dims[0]` inputs, `dims[k + 1]` layer `k`'s neurons);
/// the layers hold all their neurons (`exchange = None`) or, in a
/// distributed run, this process's slice, and `exchange` gathers the whole
/// layer's spikes. Spikes stay packed words between layers; they are
/// unpacked once per step for the record.
pub fn run_layers<N: Neuron, W: Word>(
    layers: &[Layer<'_, N, W>],
    input_source: StreamSource,
    dims: &[usize],
    inputs: &[Probability],
    steps: usize,
    mut exchange: Option<&mut dyn SpikeExchange<W>>,
) -> Result<NetRun, NetError> {
    if dims.len() != layers.len() + 1 || layers.is_empty() {
        return Err(NetError::Invalid(format!(
            "{} layers, dims {dims:?}",
            layers.len()
        )));
    }
    check_record("steps", &dims[1..], steps)?;
    if inputs.len() != dims[0] {
        return Err(NetError::Invalid(format!(
            "{} input probabilities given, the network has {} inputs",
            inputs.len(),
            dims[0]
        )));
    }
    let ns: Vec<usize> = layers.iter().map(|l| l.shape.neurons()).collect();
    // Layer widths a layer with no inputs does not back with weights
    // are capped here, before anything is allocated.
    fn per_layer<T: Clone>(ns: &[usize], value: T) -> Result<Vec<Vec<T>>, LimitError> {
        ns.iter()
            .map(|&n| try_vec("layer neurons", n, value.clone()))
            .collect()
    }
    let mut v: Vec<Vec<N::State>> = ns
        .iter()
        .zip(layers)
        .map(|(&n, l)| try_vec("layer neurons", n, l.params.rest()))
        .collect::<Result<_, _>>()?;
    let mut r = per_layer(&ns, 0u16)?;
    let mut c = per_layer(&ns, 0i32)?;
    let mut cur = per_layer(&ns, N::Current::default())?;
    // The whole layers' spike words (dims), and one scratch for a
    // process's own neurons' spikes.
    let mut sp: Vec<Vec<W>> = dims[1..]
        .iter()
        .map(|&n| try_vec("layer spikes", words_for::<W>(n), W::ZERO))
        .collect::<Result<_, _>>()?;
    let widest = ns.iter().copied().max().unwrap_or(0);
    let mut local = try_vec("layer spikes", words_for::<W>(widest), W::ZERO)?;
    let mut x: Vec<Vec<W>> = layers
        .iter()
        .map(|l| {
            let s = &l.shape;
            try_vec("layer input streams", s.inputs() * s.stride::<W>(), W::ZERO)
        })
        .collect::<Result<_, _>>()?;
    let mut states: Vec<LayerState<'_, N, W>> = v
        .iter_mut()
        .zip(&mut r)
        .zip(&mut c)
        .zip(&mut cur)
        .zip(&mut sp)
        .zip(&mut x)
        .map(
            |(((((v, refractory), counts), current), spikes), x)| LayerState {
                v,
                refractory,
                counts,
                current,
                spikes,
                x,
            },
        )
        .collect();
    let outputs = dims[dims.len() - 1];
    let mut net = Network::with_outputs(layers, &mut states, input_source, outputs)?;
    // Spec §7: the readout is one count per output neuron, zeros for
    // T = 0.
    let mut out = NetRun {
        spikes: try_with_capacity("steps", steps)?,
        counts: vec![0; outputs],
    };
    for _ in 0..steps {
        match exchange.as_deref_mut() {
            None => net.step(inputs)?,
            Some(ex) => net.step_with(inputs, &mut local, |k, l, g| ex.gather(k, l, g))?,
        };
        let mut step: Vec<Vec<bool>> = Vec::with_capacity(layers.len());
        for k in 0..layers.len() {
            let s = net
                .spikes(k)
                .ok_or_else(|| NetError::Invalid(format!("no spikes of layer {k}")))?;
            step.push((0..s.len()).map(|j| s.get(j) == Some(true)).collect());
        }
        if let Some(last) = step.last() {
            for (cnt, &z) in out.counts.iter_mut().zip(last) {
                *cnt += u32::from(z);
            }
        }
        out.spikes.push(step);
    }
    Ok(out)
}

/// Turns one process's spikes of a layer into the whole layer's (see
/// [`ScNetwork::run_with`]), packed words in and out.
pub trait SpikeExchange<W: Word> {
    /// `local` holds this process's neurons of layer `layer`; write the
    /// spikes of all the layer's neurons, in order, into `global` (as long
    /// as the whole layer).
    fn gather(
        &mut self,
        layer: usize,
        local: BitSlice<'_, W>,
        global: &mut BitSliceMut<'_, W>,
    ) -> Result<(), sc_kernel::Error>;
}

/// Layer 0's input probabilities from Q0.16 values (`inputs_q16[i]`
/// named in the error).
pub fn probabilities(inputs_q16: &[u32]) -> Result<Vec<Probability>, NetError> {
    inputs_q16
        .iter()
        .enumerate()
        .map(|(i, &q)| at(|| format!("inputs_q16[{i}]"), Probability::from_q16(q)))
        .collect()
}

/// One sample's run: the network, its input probabilities, the steps.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    /// The network (its declared format picks `F` in [`run_in_format`]).
    pub spec: &'a NetworkSpec,
    /// One probability per layer-0 input.
    pub inputs: &'a [Probability],
    /// Time steps.
    pub steps: usize,
}

/// A network executor in every fixed-point format (the bitstream path, the
/// engine).
pub trait InFormat {
    /// Build `job.spec` in format `F` and run it.
    fn run<F: LifFixed>(&self, job: Job<'_>) -> Result<NetRun, NetError>;
}

/// Run `spec` with `executor` in its declared format, one sample, input
/// probabilities in Q0.16 (checked: at most 65536 each, named by index).
pub fn run_in_format(
    executor: &impl InFormat,
    spec: &NetworkSpec,
    inputs_q16: &[u32],
    steps: usize,
) -> Result<NetRun, NetError> {
    let inputs = probabilities(inputs_q16)?;
    let job = Job {
        spec,
        inputs: &inputs,
        steps,
    };
    match spec.format {
        LifFormat::Q16_16 => executor.run::<I16F16>(job),
        LifFormat::Q8_8 => executor.run::<I8F8>(job),
    }
}

/// The bitstream path with words `W`, as an [`InFormat`].
struct Bitstream<W>(core::marker::PhantomData<W>);

impl<W: Word> InFormat for Bitstream<W> {
    fn run<F: LifFixed>(&self, job: Job<'_>) -> Result<NetRun, NetError> {
        ScNetwork::<F, W>::new(job.spec)?.run(job.inputs, job.steps)
    }
}

/// Build and run `spec` with words `W` in its declared format.
pub fn run_network<W: Word>(
    spec: &NetworkSpec,
    inputs_q16: &[u32],
    steps: usize,
) -> Result<NetRun, NetError> {
    run_in_format(
        &Bitstream::<W>(core::marker::PhantomData),
        spec,
        inputs_q16,
        steps,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(format: &str, alpha: i32, gain: i32) -> serde_json::Value {
        json!({"format": format, "dims": [2, 2],
            "weight_source": {"kind": "sobol", "dimension": 0},
            "input_source": {"kind": "lfsr16", "seed": 7425},
            "layers": [{"len": 16,
                "params": {"v_rest": 0, "v_reset": 0, "threshold": 256, "alpha": alpha,
                           "resistance": 256, "refractory": 1},
                "weights_q16": [65536, 0, 30000, 65536], "negative": "0100", "gain": gain}]})
    }

    fn parse(v: serde_json::Value) -> Result<NetworkSpec, serde_json::Error> {
        serde_json::from_value(v)
    }

    // Spec §7: over T = 0 steps the readout is one zero per output neuron,
    // and the prediction is class 0.
    #[test]
    fn zero_steps_read_out_zeros() {
        let n = parse(spec("q8.8", 64, 768)).unwrap();
        let run = run_network::<u64>(&n, &[65536, 0], 0).unwrap();
        assert_eq!(run.counts, vec![0, 0]);
        assert!(run.spikes.is_empty());
        assert_eq!(run.predicted(), Some(0));
        let run = run_network::<u32>(&n, &[65536, 0], 3).unwrap();
        assert_eq!(run.counts.len(), 2);
        let e = run_network::<u32>(&n, &[1], 0).unwrap_err();
        assert!(e.to_string().contains("1 input probabilities given"), "{e}");
    }

    // Networks are validated in their own format.
    #[test]
    fn validate_uses_the_networks_format() {
        // alpha 3.9 in Q8.8 (raw 998) is out of (0, 1]; in Q16.16 it would be 0.015.
        let n = parse(spec("q8.8", 998, 768)).unwrap();
        let e = n.validate().unwrap_err();
        assert!(
            matches!(e, NetError::Field { ref field, .. } if field == "layers[0].params"),
            "{e}"
        );
        assert!(ScNetwork::<I16F16, u32>::new(&n).is_ok());
        // A gain out of Q8.8's range.
        let n = parse(spec("q8.8", 64, 40000)).unwrap();
        let e = n.validate().unwrap_err();
        assert_eq!(e.to_string(), "network field `layers[0].gain`");
        assert!(parse(spec("q16.16", 64, 40000)).unwrap().validate().is_ok());
        let mut bad = parse(spec("q8.8", 64, 768)).unwrap();
        bad.layers[0].weights_q16[1] = 65537;
        let e = bad.validate().unwrap_err();
        assert_eq!(e.to_string(), "network field `layers[0].weights_q16[1]`");
        bad.weight_source = Source::Sobol { dimension: 200 };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.to_string(), "network field `weight_source`");
    }

    // Spec §7: equal weight and input sources are InvalidParameter, in
    // validate() and when building the network.
    #[test]
    fn equal_sources_are_rejected() {
        let mut n = parse(spec("q16.16", 64, 768)).unwrap();
        for src in [
            Source::Sobol { dimension: 3 },
            Source::Lfsr16 { seed: 0xACE1 },
        ] {
            n.weight_source = src;
            n.input_source = src;
            let e = n.validate().unwrap_err();
            assert_eq!(e.to_string(), "network field `input_source`");
            let k = crate::vectors::errors::kernel_error(&e).map(crate::vectors::errors::name);
            assert_eq!(k, Some("InvalidParameter"));
            assert!(ScNetwork::<I16F16, u32>::new(&n).is_err());
        }
        n.input_source = Source::Lfsr16 { seed: 0x1D0F };
        assert!(n.validate().is_ok());
    }

    // Spec §7: every layer has its own L_k and LIF parameters.
    #[test]
    fn layers_have_their_own_length_and_parameters() {
        let mut v = spec("q16.16", 32768, 65536 * 3);
        let mut second = v["layers"][0].clone();
        second["len"] = json!(40);
        v["layers"].as_array_mut().unwrap().push(second);
        v["dims"] = json!([2, 2, 2]);
        let n = parse(v).unwrap();
        let run = run_network::<u32>(&n, &[65536, 65536], 8).unwrap();
        let spikes = |r: &NetRun, k: usize| -> Vec<Vec<bool>> {
            r.spikes.iter().map(|s| s[k].clone()).collect()
        };
        assert!(run.counts.iter().sum::<u32>() > 0, "{run:?}");
        // A threshold layer 1 never reaches silences layer 1 only.
        let mut quiet = n.clone();
        quiet.layers[1].params.threshold = i32::MAX;
        let q = run_network::<u32>(&quiet, &[65536, 65536], 8).unwrap();
        assert_eq!(spikes(&q, 0), spikes(&run, 0));
        assert_eq!(q.counts, vec![0, 0]);
        // Layer 1's length is checked on its own.
        let mut bad = n.clone();
        bad.layers[1].len = 0;
        let e = bad.validate().unwrap_err();
        assert_eq!(e.to_string(), "network field `layers[1].len`");
        let mut bad = n;
        bad.layers[1].params.alpha = 0;
        let e = bad.validate().unwrap_err();
        assert_eq!(e.to_string(), "network field `layers[1].params`");
    }

    // Huge step counts are refused before anything is allocated.
    #[test]
    fn huge_step_counts_are_refused() {
        let n = parse(spec("q8.8", 64, 768)).unwrap();
        let e = run_network::<u64>(&n, &[1, 1], 1 << 40).unwrap_err();
        assert!(
            matches!(e, NetError::Limit(ref l) if l.what == "steps"),
            "{e}"
        );
    }

    // Unknown fields in nested objects are errors; a Sobol dimension does
    // not wrap.
    #[test]
    fn nested_objects_deny_unknown_fields() {
        let with = |path: &[&str], key: &str| {
            let mut v = spec("q8.8", 64, 768);
            let mut o = &mut v;
            for p in path {
                o = if let Ok(i) = p.parse::<usize>() {
                    &mut o[i]
                } else {
                    &mut o[*p]
                };
            }
            o[key] = json!(1);
            parse(v).unwrap_err().to_string()
        };
        for (path, key) in [
            (&[][..], "extra"),
            (&["layers", "0", "params"][..], "tau"),
            (&["weight_source"][..], "seed"),
            (&["input_source"][..], "dimension"),
            (&["layers", "0"][..], "bias"),
        ] {
            let e = with(path, key);
            assert!(
                e.contains(&format!("unknown field `{key}`")),
                "{path:?}: {e}"
            );
        }
        let mut v = spec("q8.8", 64, 768);
        v["weight_source"]["dimension"] = json!(300);
        let e = parse(v).unwrap_err().to_string();
        assert!(e.contains("300") && e.contains("u8"), "{e}");
    }
}
