//! Export of vector files as a flat stream of 32-bit words for the RTL
//! (`$readmemh`), the firmware (a Rust array in flash) or any other
//! consumer (little-endian binary). The layout is in `docs/vectors.md`.

use std::fmt::Write as _;

use sc_kernel::words_for;

use super::compute::CaseError;
use super::schema::*;
use crate::hex::{bits_from_str, hex_to_words};
use crate::scnet::{LifFormat, Source};

/// Magic word opening an export: ASCII "SCV1" read little-endian.
pub const MAGIC: u32 = u32::from_le_bytes(*b"SCV1");

/// Record kind identifiers.
pub mod kind {
    /// [`super::Case::Pack`].
    pub const PACK: u32 = 1;
    /// [`super::Case::Bitwise`].
    pub const BITWISE: u32 = 2;
    /// [`super::Case::Decode`].
    pub const DECODE: u32 = 3;
    /// [`super::Case::Lfsr`].
    pub const LFSR: u32 = 4;
    /// [`super::Case::Sobol`].
    pub const SOBOL: u32 = 5;
    /// [`super::Case::Mac`].
    pub const MAC: u32 = 6;
    /// [`super::Case::Lif`].
    pub const LIF: u32 = 7;
    /// [`super::Case::Network`].
    pub const NETWORK: u32 = 8;
}

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

fn words(field: &'static str, hex: &str, len: usize) -> Result<Vec<u32>, CaseError> {
    hex_to_words::<u32>(hex, len).map_err(|source| CaseError::Field { field, source })
}

fn bit_words(field: &'static str, s: &str) -> Result<Vec<u32>, CaseError> {
    let bits = bits_from_str(s).map_err(|source| CaseError::Field { field, source })?;
    let mut w = vec![0u32; words_for::<u32>(bits.len())];
    for (t, &b) in bits.iter().enumerate() {
        w[t / 32] |= (b as u32) << (t % 32);
    }
    Ok(w)
}

fn source_words(s: Source) -> [u32; 2] {
    match s {
        Source::Sobol { dimension } => [0, dimension as u32],
        Source::Lfsr16 { seed } => [1, seed as u32],
    }
}

/// The payload words of one case (without the record header).
pub fn payload(case: &Case) -> Result<(u32, Vec<u32>), CaseError> {
    let mut p: Vec<u32> = vec![];
    let k = match case {
        Case::Pack { bits, expect, .. } => {
            let input = bits_from_str(bits).map_err(|source| CaseError::Field {
                field: "bits",
                source,
            })?;
            let n = input.len();
            p.push(n as u32);
            // The input bytes (0/1), four per word, byte t at byte t % 4 of word t / 4.
            p.extend(
                input
                    .chunks(4)
                    .map(|c| c.iter().rev().fold(0u32, |w, &b| (w << 8) | b as u32)),
            );
            p.extend(words("expect.stream", &expect.stream, n)?);
            kind::PACK
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
            p.push(*op as u32);
            p.push(*len as u32);
            p.extend(words("a", a, *len)?);
            p.extend(words("b", b.as_deref().unwrap_or(&zero()), *len)?);
            p.extend(words("sel", sel.as_deref().unwrap_or(&zero()), *len)?);
            p.extend(words("expect.out", &expect.out, *len)?);
            p.push(expect.popcount as u32);
            kind::BITWISE
        }
        Case::Decode {
            len,
            stream,
            expect,
            ..
        } => {
            p.push(*len as u32);
            p.extend(words("stream", stream, *len)?);
            p.extend([
                expect.ones as u32,
                expect.unipolar_q16 as u32,
                expect.bipolar_q16 as u32,
            ]);
            kind::DECODE
        }
        Case::Lfsr {
            width,
            seed,
            p_q16,
            len,
            expect,
            ..
        } => {
            p.extend([*width, *seed, *p_q16, *len as u32]);
            p.extend(words("expect.stream", &expect.stream, *len)?);
            p.extend([expect.ones as u32, expect.end_state]);
            kind::LFSR
        }
        Case::Sobol {
            dimension,
            start,
            p_q16,
            len,
            expect,
            ..
        } => {
            p.extend([*dimension as u32, *start, *p_q16, *len as u32]);
            p.extend(words("expect.stream", &expect.stream, *len)?);
            p.extend([expect.ones as u32, expect.end_state]);
            kind::SOBOL
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
            p.extend([*neurons as u32, *inputs as u32, *len as u32]);
            for w in weights {
                p.extend(words("weights", w, *len)?);
            }
            for s in signs {
                p.extend(bit_words("signs", s)?);
            }
            for xi in x {
                p.extend(words("x", xi, *len)?);
            }
            p.extend(&expect.unsigned);
            p.extend(expect.signed.iter().map(|&c| c as u32));
            kind::MAC
        }
        Case::Lif {
            format,
            params,
            neurons,
            input,
            expect,
            ..
        } => {
            p.push(match format {
                LifFormat::Q16_16 => 0,
                LifFormat::Q8_8 => 1,
            });
            p.extend(
                [
                    params.v_rest,
                    params.v_reset,
                    params.threshold,
                    params.alpha,
                    params.resistance,
                ]
                .map(|x| x as u32),
            );
            p.extend([
                params.refractory as u32,
                *neurons as u32,
                input.len() as u32,
            ]);
            p.extend(input.iter().flatten().map(|&x| x as u32));
            p.extend(expect.v.iter().flatten().map(|&x| x as u32));
            p.extend(expect.refractory.iter().flatten().map(|&x| x as u32));
            for s in &expect.spikes {
                p.extend(bit_words("expect.spikes", s)?);
            }
            kind::LIF
        }
        Case::Network {
            network: n,
            inputs_q16,
            steps,
            expect,
            ..
        } => {
            p.extend(network_words(n)?);
            p.extend(inputs_q16);
            p.push(*steps as u32);
            for step in &expect.spikes {
                for layer in step {
                    p.extend(bit_words("expect.spikes", layer)?);
                }
            }
            p.extend(&expect.counts);
            kind::NETWORK
        }
    };
    Ok((k, p))
}

/// The words describing a network (the head of a `network` record, and
/// the body of a model export): `format`, `n_layers`, `dims`, `len`, the
/// two sources, the LIF parameters, then per layer the magnitudes, sign
/// rows and gain.
pub fn network_words(n: &crate::scnet::NetworkSpec) -> Result<Vec<u32>, CaseError> {
    let mut p = vec![];
    p.push(match n.format {
        LifFormat::Q16_16 => 0,
        LifFormat::Q8_8 => 1,
    });
    p.push(n.layers.len() as u32);
    if n.dims.len() != n.layers.len() + 1 {
        return Err(CaseError::Invalid(format!(
            "{} dims for {} layers",
            n.dims.len(),
            n.layers.len()
        )));
    }
    p.extend(n.dims.iter().map(|&d| d as u32));
    p.push(n.len as u32);
    p.extend(source_words(n.weight_source));
    p.extend(source_words(n.input_source));
    let r = &n.params;
    p.extend([r.v_rest, r.v_reset, r.threshold, r.alpha, r.resistance].map(|x| x as u32));
    p.push(r.refractory as u32);
    for (k, l) in n.layers.iter().enumerate() {
        let (m, nn) = (n.dims[k], n.dims[k + 1]);
        if l.weights_q16.len() != m * nn {
            return Err(CaseError::Invalid(format!(
                "layer {k}: {} weights, {} needed",
                l.weights_q16.len(),
                m * nn
            )));
        }
        p.extend(&l.weights_q16);
        let neg = bits_from_str(&l.negative).map_err(|source| CaseError::Field {
            field: "negative",
            source,
        })?;
        if neg.len() != m * nn {
            return Err(CaseError::Invalid(format!(
                "layer {k}: {} sign bits, {} needed",
                neg.len(),
                m * nn
            )));
        }
        for row in neg.chunks(m.max(1)) {
            let mut w = vec![0u32; words_for::<u32>(m)];
            for (i, &b) in row.iter().enumerate() {
                w[i / 32] |= (b as u32) << (i % 32);
            }
            p.extend(w);
        }
        p.push(l.gain as u32);
    }
    Ok(p)
}

/// Magic word of a model export: ASCII "SCM1" read little-endian.
pub const MODEL_MAGIC: u32 = u32::from_le_bytes(*b"SCM1");

/// A model as words: `MODEL_MAGIC, n_words, network_words..., steps`
/// (`n_words` counts the words after it).
pub fn model_words(n: &crate::scnet::NetworkSpec, steps: usize) -> Result<Vec<u32>, CaseError> {
    let body = network_words(n)?;
    let mut out = vec![MODEL_MAGIC, body.len() as u32 + 1];
    out.extend(body);
    out.push(steps as u32);
    Ok(out)
}

/// The whole word stream of some files: `MAGIC, n_records`, then per case
/// `kind, n_payload_words, payload...`.
pub fn word_stream(files: &[VectorFile]) -> Result<Vec<u32>, CaseError> {
    let cases: Vec<&Case> = files.iter().flat_map(|f| &f.cases).collect();
    let mut out = vec![MAGIC, cases.len() as u32];
    for c in cases {
        let (k, p) = payload(c)?;
        out.extend([k, p.len() as u32]);
        out.extend(p);
    }
    Ok(out)
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
