//! Checking vector files against every implementation, with a precise
//! description of the first difference.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::compute::{CaseError, Implementation};
use super::schema::{VectorFile, FORMAT, SPEC_VERSION};

/// Why a vector file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// I/O error.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Not valid JSON for the schema.
    #[error("{path}: not a valid vector file: {source}")]
    Json {
        /// File.
        path: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// Wrong `format` or `spec_version`.
    #[error("{path}: {what}")]
    Header {
        /// File.
        path: String,
        /// What is wrong.
        what: String,
    },
}

/// Load and validate the header of a vector file.
pub fn load(path: &Path) -> Result<VectorFile, LoadError> {
    let p = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: p.clone(),
        source,
    })?;
    let file: VectorFile = serde_json::from_str(&text).map_err(|source| LoadError::Json {
        path: p.clone(),
        source,
    })?;
    if file.format != FORMAT {
        return Err(LoadError::Header {
            path: p,
            what: format!("format is {:?}, expected {FORMAT:?}", file.format),
        });
    }
    if file.spec_version != SPEC_VERSION {
        return Err(LoadError::Header {
            path: p,
            what: format!(
                "spec_version is {}, this tool implements {SPEC_VERSION}",
                file.spec_version
            ),
        });
    }
    let mut names = std::collections::HashSet::new();
    for c in &file.cases {
        if !names.insert(c.name()) {
            return Err(LoadError::Header {
                path: p,
                what: format!("duplicate case name {:?}", c.name()),
            });
        }
    }
    Ok(file)
}

/// First bit where two hex streams differ, with the two bit values.
fn hex_first_diff(a: &str, b: &str) -> Option<(usize, u8, u8)> {
    let da: Vec<u32> = a.chars().filter_map(|c| c.to_digit(16)).collect();
    let db: Vec<u32> = b.chars().filter_map(|c| c.to_digit(16)).collect();
    for (c, (&x, &y)) in da.iter().zip(&db).enumerate() {
        if x != y {
            let lowest = (x ^ y).trailing_zeros() as usize;
            // Digit c is the high nibble of byte c/2 when c is even.
            let bit = (c / 2) * 8 + if c % 2 == 0 { 4 } else { 0 } + lowest;
            return Some((bit, ((x >> lowest) & 1) as u8, ((y >> lowest) & 1) as u8));
        }
    }
    None
}

/// Describe the first difference between `want` (from the file) and
/// `got` (from an implementation), or `None` if they are equal.
pub fn first_difference(want: &Value, got: &Value) -> Option<String> {
    fn walk(path: &mut String, key: &str, want: &Value, got: &Value) -> Option<String> {
        match (want, got) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, va) in a {
                    let n = path.len();
                    write!(path, ".{k}").ok()?;
                    let r = match b.get(k) {
                        Some(vb) => walk(path, k, va, vb),
                        None => Some(format!("{path}: missing in implementation output")),
                    };
                    path.truncate(n);
                    if r.is_some() {
                        return r;
                    }
                }
                b.keys()
                    .find(|k| !a.contains_key(*k))
                    .map(|k| format!("{path}.{k}: not in the file"))
            }
            (Value::Array(a), Value::Array(b)) => {
                for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                    let n = path.len();
                    write!(path, "[{i}]").ok()?;
                    let r = walk(path, key, va, vb);
                    path.truncate(n);
                    if r.is_some() {
                        return r;
                    }
                }
                (a.len() != b.len()).then(|| {
                    format!(
                        "{path}: file has {} entries, implementation {}",
                        a.len(),
                        b.len()
                    )
                })
            }
            (Value::String(a), Value::String(b)) if a != b => {
                let bitstring = |s: &str| s.chars().all(|c| c == '0' || c == '1');
                if key == "spikes" && bitstring(a) && bitstring(b) {
                    let i = a
                        .chars()
                        .zip(b.chars())
                        .position(|(x, y)| x != y)
                        .unwrap_or(a.len().min(b.len()));
                    return Some(format!(
                        "{path}: first differing neuron {i} (file {:?}, implementation {:?})",
                        a.chars().nth(i),
                        b.chars().nth(i)
                    ));
                }
                if a.len() != b.len() {
                    return Some(format!(
                        "{path}: file has {} hex digits, implementation {}",
                        a.len(),
                        b.len()
                    ));
                }
                match hex_first_diff(a, b) {
                    Some((bit, x, y)) => Some(format!(
                        "{path}: first differing bit {bit} (file {x}, implementation {y})"
                    )),
                    None => Some(format!("{path}: file {a:?}, implementation {b:?}")),
                }
            }
            (a, b) if a != b => Some(format!("{path}: file {a}, implementation {b}")),
            _ => None,
        }
    }
    walk(&mut String::from("expect"), "", want, got)
}

/// Result of one case on one implementation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Reproduced bit for bit.
    Pass,
    /// Differs; the first difference.
    Mismatch(String),
    /// The implementation rejected the case's inputs.
    Error(String),
    /// The implementation does not support this kind.
    Unsupported,
}

/// Per-file, per-implementation tallies and the failures found.
#[derive(Debug, Default)]
pub struct Report {
    /// Passed (case, implementation) pairs.
    pub passed: usize,
    /// Failed pairs (mismatch or error).
    pub failed: usize,
    /// Pairs an implementation does not support.
    pub unsupported: usize,
    /// One line per failure.
    pub failures: Vec<String>,
    /// One summary line per file and implementation.
    pub lines: Vec<String>,
}

/// Run one case on one implementation.
pub fn check_case(imp: &dyn Implementation, case: &super::schema::Case) -> Outcome {
    match imp.evaluate(case) {
        Ok(got) => match first_difference(&case.expect_json(), &got.expect_json()) {
            None => Outcome::Pass,
            Some(d) => Outcome::Mismatch(d),
        },
        Err(CaseError::Unsupported) => Outcome::Unsupported,
        Err(e) => Outcome::Error(e.to_string()),
    }
}

/// Check every case of `file` on every implementation, adding to `report`.
pub fn check_file(
    label: &str,
    file: &VectorFile,
    imps: &[Box<dyn Implementation>],
    report: &mut Report,
) {
    for imp in imps {
        let (mut p, mut f, mut u) = (0, 0, 0);
        for case in &file.cases {
            match check_case(imp.as_ref(), case) {
                Outcome::Pass => p += 1,
                Outcome::Unsupported => u += 1,
                Outcome::Mismatch(d) => {
                    f += 1;
                    report.failures.push(format!(
                        "MISMATCH {label} case `{}` ({}) on {}: {d}",
                        case.name(),
                        case.kind(),
                        imp.name()
                    ));
                }
                Outcome::Error(e) => {
                    f += 1;
                    report.failures.push(format!(
                        "ERROR {label} case `{}` ({}) on {}: {e}",
                        case.name(),
                        case.kind(),
                        imp.name()
                    ));
                }
            }
        }
        let mut line = format!("{label}: {:<12} {p} passed, {f} failed", imp.name());
        if u > 0 {
            write!(line, ", {u} not supported").ok();
        }
        report.lines.push(line);
        report.passed += p;
        report.failed += f;
        report.unsupported += u;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn first_difference_names_bit_and_step() {
        // Byte 1 = 0x10 vs 0x00: bit 12.
        let d = first_difference(&json!({"out": "0010"}), &json!({"out": "0000"})).unwrap();
        assert_eq!(
            d,
            "expect.out: first differing bit 12 (file 1, implementation 0)"
        );
        let d = first_difference(
            &json!({"v": [[1, 2], [3, 4]]}),
            &json!({"v": [[1, 2], [3, 5]]}),
        )
        .unwrap();
        assert_eq!(d, "expect.v[1][1]: file 4, implementation 5");
        let d =
            first_difference(&json!({"spikes": ["0100"]}), &json!({"spikes": ["0110"]})).unwrap();
        assert!(d.contains("neuron 2"), "{d}");
        assert_eq!(
            first_difference(&json!({"a": [1]}), &json!({"a": [1]})),
            None
        );
        let d = first_difference(&json!({"a": [1]}), &json!({"a": [1, 2]})).unwrap();
        assert!(d.contains("1 entries, implementation 2"), "{d}");
    }
}
