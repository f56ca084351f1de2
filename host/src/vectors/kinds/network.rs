//! `network`: a multi-layer SC spiking network over several steps
//! (spec §7), and the words describing a network (record head, model
//! export).

use sc_kernel::wire::{self, Kind, LayerRecord, NetworkHead, NetworkRecord, NetworkTail};
use sc_kernel::{words_for, Word};
use serde::{Deserialize, Serialize};

use super::{count, p_q16_ok};
use crate::backend::Backend;
use crate::hex::{bits_from_str, bits_to_str};
use crate::scnet::{LayerSpec, LifFormat, LifParamsRaw, NetworkSpec, Source};
use crate::vectors::check::probe::{leaf, object, Found, Probe};
use crate::vectors::compute::{field, CaseError};
use crate::vectors::export::{bit_words, w32, wire};
use crate::vectors::generate::{str_of, RandomBits, SplitMix64};
use crate::vectors::schema::{Case, Expect};

/// File group and description of the generated file.
pub(crate) const GROUP: (&str, &str) = (
    "network",
    "multi-layer SC spiking networks over 12 steps (spec 7)",
);

/// Output of a network case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkExpect {
    /// Spikes `[step][layer]`, bit strings over neurons.
    pub spikes: Vec<Vec<String>>,
    /// Last layer's spike counts over all steps.
    pub counts: Vec<u32>,
}

fn layers(v: &serde_json::Value, path: &str) -> Found {
    let Some(a) = v.as_array() else {
        return Some((path.to_string(), format!("{v} is not an array")));
    };
    a.iter().enumerate().find_map(|(i, l)| {
        object(
            l,
            &format!("{path}[{i}]"),
            &[
                ("len", leaf::<usize>),
                ("params", super::lif::params),
                ("weights_q16", leaf::<Vec<u32>>),
                ("negative", leaf::<String>),
                ("gain", leaf::<i32>),
            ],
            false,
        )
    })
}

fn network(v: &serde_json::Value, path: &str) -> Found {
    object(
        v,
        path,
        &[
            ("format", leaf::<LifFormat>),
            ("dims", leaf::<Vec<usize>>),
            ("weight_source", leaf::<Source>),
            ("input_source", leaf::<Source>),
            ("layers", layers),
        ],
        false,
    )
}

/// The case's fields, in order, with their probes (for `MALFORMED`).
pub(crate) fn fields() -> Vec<(&'static str, Probe)> {
    vec![
        ("name", leaf::<String>),
        ("network", network),
        ("inputs_q16", leaf::<Vec<u32>>),
        ("steps", leaf::<usize>),
        ("expect", leaf::<Expect<NetworkExpect>>),
    ]
}

case_view! {
    /// A `network` case's fields.
    NetworkCase = Network("network") {
        copy: steps: usize;
        ref: network: NetworkSpec, inputs_q16: Vec<u32>, expect: Expect<NetworkExpect>
    }
}

/// Check the inputs: the network ([`NetworkSpec::validate`]), then the
/// input probabilities.
pub(crate) fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    let NetworkCase {
        network,
        inputs_q16,
        ..
    } = NetworkCase::of(case)?;
    field("network", network.validate())?;
    count(
        "inputs_q16",
        inputs_q16.len(),
        network.dims[0],
        "probabilities (dims[0])",
    )?;
    for (i, &q) in inputs_q16.iter().enumerate() {
        p_q16_ok(&format!("inputs_q16[{i}]"), q)?;
    }
    Ok(())
}

/// Check the expectation's shape (a row per step, a bit per neuron of
/// each layer, a count per output neuron).
pub(crate) fn validate_expect(case: &Case) -> Result<(), CaseError> {
    let Case::Network {
        network,
        steps,
        expect: Expect::Value(expect),
        ..
    } = case
    else {
        return Ok(());
    };
    count("expect.spikes", expect.spikes.len(), *steps, "rows (steps)")?;
    let layers = &network.dims[1..];
    for (t, row) in expect.spikes.iter().enumerate() {
        count(
            &format!("expect.spikes[{t}]"),
            row.len(),
            layers.len(),
            "layers",
        )?;
        for (k, (s, &n)) in row.iter().zip(layers).enumerate() {
            count(
                &format!("expect.spikes[{t}][{k}]"),
                s.len(),
                n,
                "bits (neurons)",
            )?;
        }
    }
    count(
        "expect.counts",
        expect.counts.len(),
        network.outputs(),
        "counts (output neurons)",
    )
}

/// Recompute `expect` on backend `b` ([`Backend::network`]).
pub(crate) fn evaluate<W: Word, B: Backend<W>>(b: &B, case: &mut Case) -> Result<(), CaseError> {
    let c = NetworkCase::of(case)?;
    let run = b.network(c.network, c.inputs_q16, c.steps)?;
    let value = NetworkExpect {
        spikes: run
            .spikes
            .iter()
            .map(|step| {
                step.iter()
                    .map(|l| bits_to_str(l.iter().copied()))
                    .collect()
            })
            .collect(),
        counts: run.counts,
    };
    if let Case::Network { expect, .. } = case {
        *expect = Expect::Value(value);
    }
    Ok(())
}

/// A random network of the given widths and per-layer stream lengths
/// (`lens[k]` for layer `k`), in `format`: weights uniform in Q0.16, signs
/// with density 100/256, gain 3. Layer `k`'s LIF parameters differ from
/// layer to layer (spec §7): threshold `1 + k/2`, alpha `1/4 + k/8`
/// (at most 1), reset `-k/8`, R 1, refractory `k % 3`. Deterministic in
/// `rng`.
pub fn random_network(
    rng: &mut SplitMix64,
    format: LifFormat,
    dims: &[usize],
    lens: &[usize],
    weight_source: Source,
    input_source: Source,
) -> NetworkSpec {
    let one: i32 = if format == LifFormat::Q16_16 {
        65536
    } else {
        256
    };
    let layers = dims
        .windows(2)
        .zip(lens)
        .enumerate()
        .map(|(k, (d, &len))| {
            let k = k as i32;
            LayerSpec {
                len,
                params: LifParamsRaw {
                    v_rest: 0,
                    v_reset: -k * one / 8,
                    threshold: one + k * one / 2,
                    alpha: (one / 4 + k * one / 8).min(one),
                    resistance: one,
                    refractory: (k % 3) as u16,
                },
                weights_q16: (0..d[0] * d[1]).map(|_| rng.below(65537) as u32).collect(),
                negative: str_of(&rng.bits(d[0] * d[1], 100)),
                gain: 3 * one,
            }
        })
        .collect();
    NetworkSpec {
        format,
        dims: dims.to_vec(),
        weight_source,
        input_source,
        layers,
    }
}

/// The generated cases (expectations empty until evaluated).
pub(crate) fn cases(rng: &mut SplitMix64) -> Vec<Case> {
    let configs = [
        (
            "net_q16_sobol_8x12x4",
            LifFormat::Q16_16,
            vec![8usize, 12, 4],
            vec![64usize, 32],
            Source::Sobol { dimension: 0 },
            Source::Sobol { dimension: 1 },
        ),
        (
            "net_q8_sobol_10x33x16x3",
            LifFormat::Q8_8,
            vec![10, 33, 16, 3],
            vec![128, 40, 77],
            Source::Sobol { dimension: 2 },
            Source::Sobol { dimension: 3 },
        ),
        (
            "net_q16_lfsr_6x9x5",
            LifFormat::Q16_16,
            vec![6, 9, 5],
            vec![100, 100],
            Source::Lfsr16 { seed: 0xACE1 },
            Source::Lfsr16 { seed: 0x1D0F },
        ),
    ];
    configs
        .into_iter()
        .map(|(name, format, dims, lens, ws, xs)| {
            let net = random_network(rng, format, &dims, &lens, ws, xs);
            Case::Network {
                name: name.into(),
                inputs_q16: (0..dims[0]).map(|_| rng.below(65537) as u32).collect(),
                network: net,
                steps: 12,
                expect: Expect::Value(NetworkExpect {
                    spikes: vec![],
                    counts: vec![],
                }),
            }
        })
        .collect()
}

/// A layer's words, owned, for [`LayerRecord`].
struct OwnedLayer {
    len: u32,
    params: [i32; 5],
    refractory: u16,
    weights_q16: Vec<u32>,
    signs: Vec<u32>,
    gain: i32,
}

impl OwnedLayer {
    fn record(&self) -> LayerRecord<'_> {
        LayerRecord {
            len: self.len,
            params: self.params,
            refractory: self.refractory,
            weights_q16: &self.weights_q16,
            signs: &self.signs,
            gain: self.gain,
        }
    }
}

/// The widths and layers of `n` as words (shapes must be consistent; the
/// values are not checked here).
fn network_parts(n: &NetworkSpec) -> Result<(Vec<u32>, Vec<OwnedLayer>), CaseError> {
    let dims = n
        .dims
        .iter()
        .enumerate()
        .map(|(k, &d)| w32(&format!("network.dims[{k}]"), d))
        .collect::<Result<Vec<_>, _>>()?;
    let mut layers = vec![];
    for (k, l) in n.layers.iter().enumerate() {
        // Shapes are consistent (validate(), or an error case whose
        // counts match dims); a missing dimension is an error, not a panic.
        let m = n.dims.get(k).copied().ok_or_else(|| CaseError::Bad {
            field: "network.dims".into(),
            what: format!("no input width for layer {k}"),
        })?;
        let neg = field(
            format!("network.layers[{k}].negative"),
            bits_from_str(&l.negative),
        )?;
        let mut signs = vec![];
        for row in neg.chunks(m.max(1)) {
            let mut w = vec![0u32; words_for::<u32>(m)];
            for (i, &b) in row.iter().enumerate() {
                w[i / 32] |= u32::from(b) << (i % 32);
            }
            signs.extend(w);
        }
        let r = &l.params;
        layers.push(OwnedLayer {
            len: w32(&format!("network.layers[{k}].len"), l.len)?,
            params: [r.v_rest, r.v_reset, r.threshold, r.alpha, r.resistance],
            refractory: r.refractory,
            weights_q16: l.weights_q16.clone(),
            signs,
            gain: l.gain,
        });
    }
    Ok((dims, layers))
}

fn head_of<'a>(n: &NetworkSpec, dims: &'a [u32]) -> NetworkHead<'a> {
    NetworkHead {
        format: n.format,
        dims,
        weight_source: n.weight_source,
        input_source: n.input_source,
    }
}

/// The words describing a network (the head of a `network` record, and
/// the body of a model export): `format`, `n_layers`, `dims`, the two
/// sources, then per layer `len`, the LIF parameters, the magnitudes, the
/// sign rows and the gain. The network is validated in its own format
/// first.
pub fn network_words(n: &NetworkSpec) -> Result<Vec<u32>, CaseError> {
    emit_validated(n, |head, layers, out| {
        wire("network", wire::Network::emit(head, layers, out))
    })
}

/// A model as words: `MODEL_MAGIC, n_words, network_words..., steps`
/// (`n_words` counts the words after it). The network is validated first.
pub fn model_words(n: &NetworkSpec, steps: usize) -> Result<Vec<u32>, CaseError> {
    emit_validated(n, |head, layers, out| {
        wire(
            "network",
            wire::Model::emit(head, layers, w32("steps", steps)?, out),
        )
    })
}

/// Validate `n`, then `emit` its head and layer records into new words.
fn emit_validated(
    n: &NetworkSpec,
    emit: impl FnOnce(&NetworkHead<'_>, &[LayerRecord<'_>], &mut Vec<u32>) -> Result<(), CaseError>,
) -> Result<Vec<u32>, CaseError> {
    field("network", n.validate())?;
    let (dims, layers) = network_parts(n)?;
    let layers: Vec<LayerRecord<'_>> = layers.iter().map(OwnedLayer::record).collect();
    let mut out = vec![];
    emit(&head_of(n, &dims), &layers, &mut out)?;
    Ok(out)
}

/// The export payload (appended to `p`); `raw`: an error case, whose
/// network is not validated.
pub(crate) fn payload(case: &Case, raw: bool, p: &mut Vec<u32>) -> Result<Kind, CaseError> {
    let c = NetworkCase::of(case)?;
    let (n, expect) = (c.network, c.expect);
    if !raw {
        field("network", n.validate())?;
    }
    let mut spikes = vec![];
    if let Expect::Value(e) = expect {
        for (t, step) in e.spikes.iter().enumerate() {
            for (k, layer) in step.iter().enumerate() {
                spikes.extend(bit_words(&format!("expect.spikes[{t}][{k}]"), layer)?);
            }
        }
    }
    let tail = NetworkTail {
        inputs_q16: c.inputs_q16,
        steps: w32("steps", c.steps)?,
        expect: match expect {
            Expect::Value(e) => Some(wire::NetworkExpect {
                spikes: &spikes,
                counts: &e.counts,
            }),
            Expect::Error { .. } => None,
        },
    };
    let (dims, layers) = network_parts(n)?;
    let layers: Vec<LayerRecord<'_>> = layers.iter().map(OwnedLayer::record).collect();
    let head = head_of(n, &dims);
    wire("network", NetworkRecord::emit(&head, &layers, &tail, p))?;
    Ok(Kind::Network)
}
