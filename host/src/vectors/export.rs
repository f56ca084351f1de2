//! Export of vector files as a flat stream of 32-bit words for the RTL
//! (`$readmemh`), the firmware (a Rust array in flash) or any other
//! consumer (little-endian binary). The layout is in `docs/vectors.md`.

use std::fmt::Write as _;

use sc_kernel::wire::{
    self, BitwiseRecord, DecodeRecord, GeneratorRecord, Kind, LayerRecord, LifRecord, MacRecord,
    NetworkHead, NetworkRecord, NetworkTail, PackRecord, WireError,
};
use sc_kernel::words_for;

use super::check::{check_case, Outcome};
use super::compute::{CaseError, Kernel, OpsImpl};
use super::schema::*;
use crate::hex::{bits_from_str, hex_to_words};

/// Magic word opening an export: ASCII "SCV1" read little-endian.
pub use sc_kernel::wire::MAGIC;
/// Magic word of a model export: ASCII "SCM1" read little-endian.
pub use sc_kernel::wire::MODEL_MAGIC;

/// Output encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One 8-digit hex word per line, for Verilog `$readmemh`.
    Memh,
    /// A Rust source file with `pub static NAME: [u32; N]`.
    Rust,
    /// Little-endian `u32` words.
    Bin,
}

/// Why cases could not be exported: the file, the case and what is wrong
/// (the cause, if any, is the error's source).
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A case the reference rejects (malformed input, a number that does
    /// not fit 32 bits).
    #[error("{file}: case #{index} `{case}` ({kind})")]
    Case {
        /// File (path or group).
        file: String,
        /// Index in the file's `cases`.
        index: usize,
        /// Case name.
        case: String,
        /// Case kind.
        kind: &'static str,
        /// What is wrong (names the field).
        #[source]
        source: Box<CaseError>,
    },
    /// A case whose `expect` is not what the reference computes.
    #[error("{file}: case #{index} `{case}` ({kind}) does not pass on {reference}: {difference}")]
    Mismatch {
        /// File (path or group).
        file: String,
        /// Index in the file's `cases`.
        index: usize,
        /// Case name.
        case: String,
        /// Case kind.
        kind: &'static str,
        /// The implementation it was checked on.
        reference: String,
        /// The first difference (names the field).
        difference: String,
    },
    /// More records than a 32-bit count holds.
    #[error("{0} records; at most 4294967295 fit the export's record count")]
    TooMany(usize),
}

/// `v` as a 32-bit word, or an error naming `field`.
fn w32(field: &str, v: usize) -> Result<u32, CaseError> {
    u32::try_from(v).map_err(|_| CaseError::TooWide {
        field: field.to_string(),
        value: v.to_string(),
    })
}

/// A signed raw value as its two's-complement word (lossless).
fn s32(v: i32) -> u32 {
    v.cast_unsigned()
}

fn words(field: &str, hex: &str, len: usize) -> Result<Vec<u32>, CaseError> {
    super::compute::field(field, hex_to_words::<u32>(hex, len))
}

fn bit_words(field: &str, s: &str) -> Result<Vec<u32>, CaseError> {
    let bits = super::compute::field(field, bits_from_str(s))?;
    let mut w = crate::limits::try_vec(field, words_for::<u32>(bits.len()), 0u32)?;
    for (t, &b) in bits.iter().enumerate() {
        w[t / 32] |= u32::from(b) << (t % 32);
    }
    Ok(w)
}

/// A layout error of the wire format, as a case error naming `field`.
fn wire(field: &str, r: Result<(), WireError>) -> Result<(), CaseError> {
    super::compute::field(field, r)
}

/// Check `case` exactly as `sc vectors check` does on the kernel
/// reference (u32 words): `Ok(())` only if it passes.
pub fn verify(case: &Case) -> Result<(), Outcome> {
    let reference = OpsImpl::new(Kernel::<u32>::default());
    match check_case(&reference, case) {
        Outcome::Pass => Ok(()),
        o => Err(o),
    }
}

/// Stream words of an input: checked ([`hex_to_words`]) for a case with
/// outputs; for an error case only the digits are decoded, so that inputs
/// the kernel rejects (padding bits set) reach the consumer unchanged.
fn input_words(field: &str, hex: &str, len: usize, raw: bool) -> Result<Vec<u32>, CaseError> {
    if !raw {
        return words(field, hex, len);
    }
    let bytes = super::compute::field(field, crate::hex::hex_to_bytes(hex))?;
    let mut w = crate::limits::try_vec(field, words_for::<u32>(len), 0u32)?;
    for (t, &b) in bytes.iter().enumerate() {
        if let Some(x) = w.get_mut(t / 4) {
            *x |= u32::from(b) << (8 * (t % 4));
        }
    }
    Ok(w)
}

/// The payload words of one case (without the record header) and its
/// KIND. A case expecting an error has KIND `kind | ERROR_FLAG` and the
/// payload: its inputs, then the error's code. The case is not checked
/// here; see [`word_stream`]. The layouts are the kernel's
/// ([`sc_kernel::wire`]).
pub fn payload(case: &Case) -> Result<(u32, Vec<u32>), CaseError> {
    let mut p: Vec<u32> = vec![];
    let raw = case.expected_error().is_some();
    let value = |e: &Expect<_>| matches!(e, Expect::Value(_));
    let k = match case {
        Case::Pack { bits, expect, .. } => {
            let input = super::compute::field("bits", bits_from_str(bits))?;
            let n = input.len();
            // The input bytes (0/1), four per word, byte t at byte t % 4 of word t / 4.
            let bytes: Vec<u32> = input
                .chunks(4)
                .map(|c| c.iter().rev().fold(0u32, |w, &b| (w << 8) | u32::from(b)))
                .collect();
            let stream = match expect {
                Expect::Value(e) => Some(words("expect.stream", &e.stream, n)?),
                Expect::Error { .. } => None,
            };
            let r = PackRecord {
                bits: w32("bits", n)?,
                bytes: &bytes,
                expect: stream.as_deref(),
            };
            wire("bits", r.emit(&mut p))?;
            Kind::Pack
        }
        Case::Bitwise {
            op,
            len,
            a,
            b,
            sel,
            expect,
            ..
        } => {
            let zero = || "00".repeat(len.div_ceil(8));
            let a = input_words("a", a, *len, raw)?;
            let b = input_words("b", b.as_deref().unwrap_or(&zero()), *len, raw)?;
            let sel = input_words("sel", sel.as_deref().unwrap_or(&zero()), *len, raw)?;
            let out = match expect {
                Expect::Value(e) => Some((
                    words("expect.out", &e.out, *len)?,
                    w32("expect.popcount", e.popcount)?,
                )),
                Expect::Error { .. } => None,
            };
            let r = BitwiseRecord {
                op: *op,
                len: w32("len", *len)?,
                a: &a,
                b: &b,
                sel: &sel,
                expect: out.as_ref().map(|(out, popcount)| wire::BitwiseExpect {
                    out,
                    popcount: *popcount,
                }),
            };
            wire("len", r.emit(&mut p))?;
            Kind::Bitwise
        }
        Case::Decode {
            len,
            stream,
            expect,
            ..
        } => {
            let stream = input_words("stream", stream, *len, raw)?;
            let expect = match expect {
                Expect::Value(e) => Some(wire::DecodeExpect {
                    ones: w32("expect.ones", e.ones)?,
                    unipolar_q16: e.unipolar_q16,
                    bipolar_q16: e.bipolar_q16,
                }),
                Expect::Error { .. } => None,
            };
            let r = DecodeRecord {
                len: w32("len", *len)?,
                stream: &stream,
                expect,
            };
            wire("len", r.emit(&mut p))?;
            Kind::Decode
        }
        Case::Lfsr {
            width,
            seed,
            p_q16,
            len,
            expect,
            ..
        } => {
            generator(&mut p, [*width, *seed, *p_q16], *len, expect)?;
            Kind::Lfsr
        }
        Case::Sobol {
            dimension,
            start,
            p_q16,
            len,
            expect,
            ..
        } => {
            let d = w32("dimension", *dimension)?;
            generator(&mut p, [d, *start, *p_q16], *len, expect)?;
            Kind::Sobol
        }
        Case::Mac {
            neurons,
            inputs,
            len,
            weights,
            signs,
            x,
            expect,
            ..
        } => {
            let mut w = vec![];
            for (k, s) in weights.iter().enumerate() {
                w.extend(input_words(&format!("weights[{k}]"), s, *len, raw)?);
            }
            let mut sg = vec![];
            for (j, s) in signs.iter().enumerate() {
                sg.extend(bit_words(&format!("signs[{j}]"), s)?);
            }
            let mut xs = vec![];
            for (i, s) in x.iter().enumerate() {
                xs.extend(input_words(&format!("x[{i}]"), s, *len, raw)?);
            }
            let signed: Vec<u32> = match expect {
                Expect::Value(e) => e.signed.iter().map(|&c| s32(c)).collect(),
                Expect::Error { .. } => vec![],
            };
            let r = MacRecord {
                neurons: w32("neurons", *neurons)?,
                inputs: w32("inputs", *inputs)?,
                len: w32("len", *len)?,
                weights: &w,
                signs: &sg,
                x: &xs,
                expect: match expect {
                    Expect::Value(e) => Some(wire::MacExpect {
                        unsigned: &e.unsigned,
                        signed: &signed,
                    }),
                    Expect::Error { .. } => None,
                },
            };
            wire("weights", r.emit(&mut p))?;
            Kind::Mac
        }
        Case::Lif {
            format,
            params,
            neurons,
            input,
            expect,
            ..
        } => {
            let flat = |rows: &[Vec<i32>]| -> Vec<u32> {
                rows.iter().flatten().map(|&x| s32(x)).collect()
            };
            let input_words = flat(input);
            let (v, refr, spikes) = match expect {
                Expect::Value(e) => {
                    let mut spikes = vec![];
                    for (t, s) in e.spikes.iter().enumerate() {
                        spikes.extend(bit_words(&format!("expect.spikes[{t}]"), s)?);
                    }
                    (
                        flat(&e.v),
                        e.refractory
                            .iter()
                            .flatten()
                            .map(|&x| u32::from(x))
                            .collect(),
                        spikes,
                    )
                }
                Expect::Error { .. } => (vec![], vec![], vec![]),
            };
            let r = LifRecord {
                format: *format,
                params: [
                    s32(params.v_rest),
                    s32(params.v_reset),
                    s32(params.threshold),
                    s32(params.alpha),
                    s32(params.resistance),
                    u32::from(params.refractory),
                ],
                neurons: w32("neurons", *neurons)?,
                steps: w32("input", input.len())?,
                input: &input_words,
                expect: value(expect).then_some(wire::LifExpect {
                    v: &v,
                    refractory: &refr,
                    spikes: &spikes,
                }),
            };
            wire("input", r.emit(&mut p))?;
            Kind::Lif
        }
        Case::Network {
            network: n,
            inputs_q16,
            steps,
            expect,
            ..
        } => {
            if !raw {
                super::compute::field("network", n.validate())?;
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
                inputs_q16,
                steps: w32("steps", *steps)?,
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
            wire(
                "network",
                NetworkRecord::emit(&head, &layers, &tail, &mut p),
            )?;
            Kind::Network
        }
    };
    let k = k.code();
    match case.expected_error() {
        Some(name) => {
            let code = super::errors::code(name).ok_or_else(|| CaseError::Bad {
                field: "expect.error".into(),
                what: format!(
                    "unknown error {name:?}; allowed: {}",
                    super::errors::allowed()
                ),
            })?;
            p.push(code);
            Ok((k | wire::ERROR_FLAG, p))
        }
        None => Ok((k, p)),
    }
}

/// An `lfsr` or `sobol` payload: `[config, start, p_q16]`, `len`, then
/// the expectation of a plain case.
fn generator(
    p: &mut Vec<u32>,
    [config, start, p_q16]: [u32; 3],
    len: usize,
    expect: &Expect<GenExpect>,
) -> Result<(), CaseError> {
    let stream = match expect {
        Expect::Value(e) => Some((words("expect.stream", &e.stream, len)?, e)),
        Expect::Error { .. } => None,
    };
    let r = GeneratorRecord {
        config,
        start,
        p_q16,
        len: w32("len", len)?,
        expect: match &stream {
            Some((s, e)) => Some(wire::GeneratorExpect {
                stream: s,
                ones: w32("expect.ones", e.ones)?,
                end_state: e.end_state,
            }),
            None => None,
        },
    };
    wire("len", r.emit(p))
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
fn network_parts(n: &crate::scnet::NetworkSpec) -> Result<(Vec<u32>, Vec<OwnedLayer>), CaseError> {
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
        let neg = super::compute::field(
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

fn head_of<'a>(n: &crate::scnet::NetworkSpec, dims: &'a [u32]) -> NetworkHead<'a> {
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
pub fn network_words(n: &crate::scnet::NetworkSpec) -> Result<Vec<u32>, CaseError> {
    super::compute::field("network", n.validate())?;
    let (dims, layers) = network_parts(n)?;
    let layers: Vec<LayerRecord<'_>> = layers.iter().map(OwnedLayer::record).collect();
    let mut p = vec![];
    wire(
        "network",
        wire::Network::emit(&head_of(n, &dims), &layers, &mut p),
    )?;
    Ok(p)
}

/// A model as words: `MODEL_MAGIC, n_words, network_words..., steps`
/// (`n_words` counts the words after it). The network is validated first.
pub fn model_words(n: &crate::scnet::NetworkSpec, steps: usize) -> Result<Vec<u32>, CaseError> {
    super::compute::field("network", n.validate())?;
    let (dims, layers) = network_parts(n)?;
    let layers: Vec<LayerRecord<'_>> = layers.iter().map(OwnedLayer::record).collect();
    let mut out = vec![];
    wire(
        "network",
        wire::Model::emit(&head_of(n, &dims), &layers, w32("steps", steps)?, &mut out),
    )?;
    Ok(out)
}

/// The whole word stream of some files, each labelled (by its path) for
/// errors: `MAGIC, n_records`, then per case `kind, n_payload_words,
/// payload...`. Every case is first checked exactly as `sc vectors check`
/// checks it on the kernel reference; a case that does not pass is an
/// error naming the file, the case and the field.
pub fn word_stream_of(files: &[(String, VectorFile)]) -> Result<Vec<u32>, ExportError> {
    let total: usize = files.iter().map(|(_, f)| f.cases.len()).sum();
    let mut out = vec![];
    let n = u32::try_from(total).map_err(|_| ExportError::TooMany(total))?;
    // Writing into a Vec fails only when an allocation fails.
    wire::Records::emit_header(n, &mut out).map_err(|_| ExportError::TooMany(total))?;
    for (label, f) in files {
        for (index, c) in f.cases.iter().enumerate() {
            let case_err = |source: CaseError| ExportError::Case {
                file: label.clone(),
                index,
                case: c.name().to_string(),
                kind: c.kind(),
                source: Box::new(source),
            };
            match verify(c) {
                Ok(()) => {}
                Err(Outcome::Mismatch(d)) => {
                    return Err(ExportError::Mismatch {
                        file: label.clone(),
                        index,
                        case: c.name().to_string(),
                        kind: c.kind(),
                        reference: "kernel-u32".into(),
                        difference: d,
                    })
                }
                // The reference's own error, with its field.
                Err(_) => {
                    let e = super::compute::validate(c)
                        .and_then(|()| super::compute::evaluate::<u32>(c).map(|_| ()))
                        .err()
                        .unwrap_or_else(|| CaseError::Invalid("rejected by the reference".into()));
                    return Err(case_err(e));
                }
            }
            let (k, p) = payload(c).map_err(case_err)?;
            w32("record length", p.len()).map_err(case_err)?;
            out.extend([k, p.len() as u32]);
            out.extend(p);
        }
    }
    Ok(out)
}

/// [`word_stream_of`] with each file labelled by its `group`.
pub fn word_stream(files: &[VectorFile]) -> Result<Vec<u32>, ExportError> {
    let labelled: Vec<(String, VectorFile)> =
        files.iter().map(|f| (f.group.clone(), f.clone())).collect();
    word_stream_of(&labelled)
}

/// Render `words` in `format`. `source` names the inputs in a comment;
/// `name` is the Rust static's name (`VECTORS`, `MODEL`).
pub fn render(words: &[u32], format: ExportFormat, source: &str, name: &str) -> Vec<u8> {
    match format {
        ExportFormat::Memh => {
            let mut s = format!(
                "// sc-neuro {name}, spec v{SPEC_VERSION}, {} words, from {source}\n",
                words.len()
            );
            for w in words {
                writeln!(s, "{w:08x}").ok();
            }
            s.into_bytes()
        }
        ExportFormat::Rust => {
            let mut s = format!(
                "// Generated by `sc` from {source}. Do not edit.\n\
                 /// sc-neuro {name} (spec v{SPEC_VERSION}) as 32-bit words: see docs/vectors.md for the layout.\n\
                 pub static {name}: [u32; {}] = [\n",
                words.len()
            );
            for chunk in words.chunks(8) {
                s.push_str("   ");
                for w in chunk {
                    write!(s, " 0x{w:08x},").ok();
                }
                s.push('\n');
            }
            s.push_str("];\n");
            s.into_bytes()
        }
        ExportFormat::Bin => words.iter().flat_map(|w| w.to_le_bytes()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(case: serde_json::Value) -> Result<Vec<u32>, ExportError> {
        let c: Case = serde_json::from_value(case).unwrap();
        let f = VectorFile {
            format: FORMAT.into(),
            spec_version: SPEC_VERSION,
            group: "g".into(),
            description: String::new(),
            cases: vec![c],
        };
        word_stream_of(&[("f.json".into(), f)])
    }

    fn committed(group: &str, i: usize) -> serde_json::Value {
        let path = format!(
            "{}/../tests/vectors/{group}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["cases"][i].clone()
    }

    fn chain(e: &ExportError) -> String {
        super::super::compute::chain(e)
    }

    // Class 4: export checks every case like `check` and never truncates.
    #[test]
    fn export_refuses_what_check_refuses() {
        assert!(one(committed("mac", 1)).is_ok());
        let mut c = committed("sobol", 0);
        c["dimension"] = json!((1u64 << 32) + 1);
        let e = chain(&one(c).unwrap_err());
        assert!(
            e.starts_with(
                "f.json: case #0 `sobol_d0_start0_p0_len256` (sobol): field `dimension`: "
            ),
            "{e}"
        );
        let mut c = committed("lfsr", 0);
        c["width"] = json!(7);
        let e = chain(&one(c).unwrap_err());
        assert!(
            e.contains("(lfsr): field `width`: 7; allowed: 8, 16, 32"),
            "{e}"
        );
        let mut c = committed("mac", 1);
        c["weights"].as_array_mut().unwrap().pop();
        let e = chain(&one(c).unwrap_err());
        assert!(e.contains("(mac): field `weights`: 14 streams"), "{e}");
        let mut c = committed("network", 0);
        c["steps"] = json!((1u64 << 32) + 12);
        let e = chain(&one(c).unwrap_err());
        assert!(
            e.contains("(network): field `expect.spikes`: 12 rows"),
            "{e}"
        );
        // A wrong expectation is refused too, naming the field.
        let mut c = committed("decode", 3);
        c["expect"]["ones"] = json!(c["expect"]["ones"].as_u64().unwrap() + 1);
        let e = one(c).unwrap_err();
        assert!(matches!(e, ExportError::Mismatch { .. }), "{e}");
        assert!(e.to_string().contains("expect.ones: file"), "{e}");
    }

    #[test]
    fn numbers_that_do_not_fit_are_errors() {
        let e = w32("network.dims[1]", (1 << 32) + 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `network.dims[1]`: 4294967297 does not fit in 32 bits; allowed: 0..=4294967295"
        );
        assert_eq!(s32(-1), u32::MAX);
    }
}
