//! Whole-network simulation timings for `sc bench --sim` and
//! `scripts/bench-sim.sh`: the engine's counting form against the
//! kernel's bitstream path, on a random network of the vectors' kind.
//!
//! Figures are medians of `reps` timed runs after one warm-up; building
//! the network (encoding weights, weight counts) is not timed. Nothing
//! here is a test: no timing is ever asserted.

use rayon::prelude::*;
use serde::Serialize;

use sc_kernel::fixed::types::I16F16;
use sc_kernel::sng::Probability;

use crate::bench::try_median_s;
use crate::engine::{Engine, Record, SimPath};
use crate::scnet::{LifFormat, NetError, NetworkSpec, ScNetwork, Source};
use crate::vectors::generate::SplitMix64;
use crate::vectors::kinds::network::random_network;

/// One configuration to time.
#[derive(Debug, Clone, Serialize)]
pub struct SimConfig {
    /// Widths: inputs, then each layer's neurons.
    pub dims: Vec<usize>,
    /// Stream length of every layer.
    pub len: usize,
    /// Time steps per sample.
    pub steps: usize,
    /// Samples run together.
    pub batch: usize,
    /// Worker threads.
    pub threads: usize,
    /// The form that runs.
    pub path: SimPath,
    /// Run the counting form on the GPU backend (`path` is then
    /// [`SimPath::Counting`]; `threads` is the host's).
    pub gpu: bool,
}

/// One timing.
#[derive(Debug, Clone, Serialize)]
pub struct SimTiming {
    /// The configuration.
    #[serde(flatten)]
    pub config: SimConfig,
    /// `"counting"`, `"bitstream"` or `"gpu"` (the counting form on the
    /// GPU backend).
    pub path_name: &'static str,
    /// The GPU adapter (`"name (API)"`) a `"gpu"` timing ran on; `None`
    /// when it ran on the CPU fallback.
    pub adapter: Option<String>,
    /// Median seconds of one run (`batch` samples x `steps` steps), or
    /// `None` if skipped.
    pub median_s: Option<f64>,
    /// Milliseconds per time step of the whole batch.
    pub ms_per_step: Option<f64>,
    /// Synapses of the network.
    pub synapses: usize,
    /// Dense synaptic operations per second (`synapses x steps x batch /
    /// time`).
    pub synapse_ops_per_s: Option<f64>,
    /// Synaptic events per second: layer 0's nonzero inputs x its neurons,
    /// plus every spike of layer `k` x layer `k + 1`'s neurons, per time.
    pub events_per_s: Option<f64>,
    /// Spikes per step of each layer (sample 0).
    pub spikes_per_step: Vec<f64>,
    /// Bytes of model state per synapse (weight counts or weight streams).
    pub bytes_per_synapse: f64,
    /// Why the run was skipped, if it was.
    pub skipped: Option<String>,
}

/// The benchmark network: the vectors' random network (Q16.16, Sobol
/// dimensions 0 and 1, gain 3), stream length `len` in every layer.
pub fn network(dims: &[usize], len: usize) -> NetworkSpec {
    random_network(
        &mut SplitMix64::new(7),
        LifFormat::Q16_16,
        dims,
        &vec![len; dims.len().saturating_sub(1)],
        Source::Sobol { dimension: 0 },
        Source::Sobol { dimension: 1 },
    )
}

/// Random input probabilities, uniform in Q0.16, one row per sample.
pub fn inputs(n: usize, batch: usize) -> Vec<Vec<Probability>> {
    let mut rng = SplitMix64::new(11);
    (0..batch)
        .map(|_| {
            (0..n)
                .map(|_| {
                    Probability::from_q16(rng.below(65537) as u32).unwrap_or(Probability::ZERO)
                })
                .collect()
        })
        .collect()
}

/// Time `cfg` with `reps` timed runs. The bitstream path is skipped when
/// its weight streams would take more than `max_stream_bytes`.
pub fn run(cfg: &SimConfig, reps: usize, max_stream_bytes: u64) -> Result<SimTiming, NetError> {
    let spec = network(&cfg.dims, cfg.len);
    let synapses: usize = cfg.dims.windows(2).map(|w| w[0] * w[1]).sum();
    let x = inputs(cfg.dims[0], cfg.batch);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads.max(1))
        .build()
        .map_err(|e| NetError::Invalid(format!("thread pool: {e}")))?;
    let stream_bytes = synapses as u64 * cfg.len.div_ceil(64) as u64 * 8;
    let mut t = SimTiming {
        config: cfg.clone(),
        path_name: match (cfg.gpu, cfg.path) {
            (true, _) => "gpu",
            (false, SimPath::Counting) => "counting",
            (false, SimPath::Bitstream) => "bitstream",
        },
        adapter: None,
        median_s: None,
        ms_per_step: None,
        synapses,
        synapse_ops_per_s: None,
        events_per_s: None,
        spikes_per_step: vec![],
        bytes_per_synapse: 0.0,
        skipped: None,
    };
    pool.install(|| -> Result<(), NetError> {
        let engine = Engine::<I16F16>::new(&spec)?;
        // Activity of sample 0 (not timed), the same on both paths.
        let rec = engine.run(&x[0], cfg.steps, Record::Spikes)?;
        let steps = cfg.steps.max(1) as f64;
        t.spikes_per_step = (0..cfg.dims.len() - 1)
            .map(|k| {
                rec.spikes
                    .iter()
                    .map(|s| s[k].iter().filter(|&&z| z).count())
                    .sum::<usize>() as f64
                    / steps
            })
            .collect();
        let nonzero = x[0].iter().filter(|p| **p != Probability::ZERO).count() as f64;
        let events_per_step = nonzero * cfg.dims[1] as f64
            + t.spikes_per_step
                .iter()
                .zip(&cfg.dims[2..])
                .map(|(s, &n)| s * n as f64)
                .sum::<f64>();
        let secs = match cfg.path {
            SimPath::Counting if cfg.gpu => {
                drop(engine);
                let (secs, adapter, bytes) = time_gpu(&spec, &x, cfg.steps, reps)?;
                t.adapter = adapter;
                t.bytes_per_synapse = bytes as f64 / synapses.max(1) as f64;
                Some(secs)
            }
            SimPath::Counting => {
                t.bytes_per_synapse = engine.model_bytes() as f64 / synapses.max(1) as f64;
                Some(try_median_s(reps, || {
                    if cfg.batch == 1 {
                        engine.run(&x[0], cfg.steps, Record::Counts).map(|_| ())
                    } else {
                        engine.run_batch(&x, cfg.steps, Record::Counts).map(|_| ())
                    }
                })?)
            }
            SimPath::Bitstream => {
                t.bytes_per_synapse = stream_bytes as f64 / synapses.max(1) as f64;
                if stream_bytes > max_stream_bytes {
                    t.skipped = Some(format!(
                        "its weight streams take {:.1} GB (limit {:.1} GB)",
                        stream_bytes as f64 / 1e9,
                        max_stream_bytes as f64 / 1e9
                    ));
                    None
                } else {
                    drop(engine);
                    let net = ScNetwork::<I16F16, u64>::new(&spec)?;
                    Some(try_median_s(reps, || {
                        x.par_iter()
                            .try_for_each(|xi| net.run(xi, cfg.steps).map(|_| ()))
                    })?)
                }
            }
        };
        if let Some(s) = secs {
            let work = steps * cfg.batch as f64;
            t.median_s = Some(s);
            t.ms_per_step = Some(1e3 * s / steps);
            t.synapse_ops_per_s = Some(synapses as f64 * work / s);
            t.events_per_s = Some(events_per_step * work / s);
        }
        Ok(())
    })?;
    Ok(t)
}

/// Median seconds of `reps` runs of `batch` on the GPU backend (after one
/// warm-up, which uploads the weight counts; preparing the network is not
/// timed), its adapter, and the bytes of weight counts it holds.
fn time_gpu(
    spec: &NetworkSpec,
    batch: &[Vec<Probability>],
    steps: usize,
    reps: usize,
) -> Result<(f64, Option<String>, usize), NetError> {
    #[cfg(not(feature = "gpu"))]
    {
        let _ = (spec, batch, steps, reps);
        Err(NetError::Invalid(
            "this build has no GPU backend (cargo feature `gpu`)".into(),
        ))
    }
    #[cfg(feature = "gpu")]
    {
        let g = crate::gpu::GpuBackend::new()
            .map_err(|e| NetError::Invalid(format!("GPU backend: {e}")))?;
        let net = g.prepare(spec)?;
        let secs = try_median_s(reps, || {
            net.run_batch(batch, steps, Record::Counts, batch.len(), &mut |_| {})
                .map(|_| ())
                .map_err(|e| NetError::Invalid(e.to_string()))
        })?;
        Ok((secs, g.adapter(), net.model_bytes()))
    }
}
