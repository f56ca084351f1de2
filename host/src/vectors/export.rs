//! Export of vector files as a flat stream of 32-bit words for the RTL
//! (`$readmemh`), the firmware (a Rust array in flash) or any other
//! consumer (little-endian binary). The layout is in `docs/vectors.md`.

use std::fmt::Write as _;

use sc_kernel::wire::{self, WireError};
use sc_kernel::words_for;

use super::check::{check_case, Outcome};
use super::compute::{field, kernel, CaseError};
use super::kinds;
use super::schema::*;
use crate::hex::{bits_from_str, hex_to_words};

pub use super::kinds::network::{model_words, network_words};

/// Record kinds (`Kind::code()` is a record's KIND word).
pub use sc_kernel::wire::Kind;
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
pub(crate) fn w32(field: &str, v: usize) -> Result<u32, CaseError> {
    u32::try_from(v).map_err(|_| CaseError::TooWide {
        field: field.to_string(),
        value: v.to_string(),
    })
}

/// A signed raw value as its two's-complement word (lossless).
pub(crate) fn s32(v: i32) -> u32 {
    v.cast_unsigned()
}

/// Stream `name` (hex) of `len` bits as 32-bit words.
pub(crate) fn words(name: &str, hex: &str, len: usize) -> Result<Vec<u32>, CaseError> {
    field(name, hex_to_words::<u32>(hex, len))
}

/// A bit string as 32-bit words, bit `t` at bit `t % 32` of word `t / 32`.
pub(crate) fn bit_words(name: &str, s: &str) -> Result<Vec<u32>, CaseError> {
    let bits = field(name, bits_from_str(s))?;
    let mut w = crate::limits::try_vec(name, words_for::<u32>(bits.len()), 0u32)?;
    for (t, &b) in bits.iter().enumerate() {
        w[t / 32] |= u32::from(b) << (t % 32);
    }
    Ok(w)
}

/// A layout error of the wire format, as a case error naming `field`.
pub(crate) fn wire(name: &str, r: Result<(), WireError>) -> Result<(), CaseError> {
    field(name, r)
}

/// Check `case` exactly as `sc vectors check` does on the kernel
/// reference (u32 words): `Ok(())` only if it passes.
pub fn verify(case: &Case) -> Result<(), Outcome> {
    match check_case(&kernel::<u32>(), case) {
        Outcome::Pass => Ok(()),
        o => Err(o),
    }
}

/// Stream words of an input: checked ([`hex_to_words`]) for a case with
/// outputs; for an error case only the digits are decoded, so that inputs
/// the kernel rejects (padding bits set) reach the consumer unchanged.
pub(crate) fn input_words(
    name: &str,
    hex: &str,
    len: usize,
    raw: bool,
) -> Result<Vec<u32>, CaseError> {
    if !raw {
        return words(name, hex, len);
    }
    let bytes = field(name, crate::hex::hex_to_bytes(hex))?;
    let mut w = crate::limits::try_vec(name, words_for::<u32>(len), 0u32)?;
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
    let p_ = &mut p;
    let k = match case {
        Case::Pack { .. } => kinds::pack::payload(case, p_)?,
        Case::Bitwise { .. } => kinds::bitwise::payload(case, raw, p_)?,
        Case::Decode { .. } => kinds::decode::payload(case, raw, p_)?,
        Case::Lfsr { .. } | Case::Sobol { .. } => kinds::generator::payload(case, p_)?,
        Case::Mac { .. } => kinds::mac::payload(case, raw, p_)?,
        Case::Lif { .. } => kinds::lif::payload(case, p_)?,
        Case::Network { .. } => kinds::network::payload(case, raw, p_)?,
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
