//! Checking vector files against every implementation, with a precise
//! description of the first difference.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::compute::{chain, validate, CaseError, Implementation};
use super::errors;
use super::schema::{Case, VectorFile, FORMAT, SPEC_VERSION};
use crate::limits::{read_text, ReadError};

/// Why a vector file could not be loaded (`sc vectors check` exits 2).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read (missing, too large, not UTF-8).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Not JSON (or nested deeper than the parser's recursion limit).
    #[error("{path}: not valid JSON")]
    Json {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: serde_json::Error,
    },
    /// Wrong or missing `format`, `spec_version`, `group`, `description`,
    /// `cases`, or an unknown top-level field.
    #[error("{path}: {what}")]
    Header {
        /// File.
        path: String,
        /// What is wrong.
        what: String,
    },
    /// A malformed case (only from [`load`], which accepts no bad case).
    #[error("{path}: {case}")]
    Case {
        /// File.
        path: String,
        /// The case and what is wrong with it.
        case: MalformedCase,
    },
}

/// A case that does not parse (unknown field, wrong type, bad value,
/// duplicate name). The other cases of its file still run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedCase {
    /// Index in `cases` (from 0).
    pub index: usize,
    /// Its `name`, if it has a string one.
    pub name: Option<String>,
    /// The field at fault (e.g. `network.layers[0].params.alpha`), if known.
    pub field: Option<String>,
    /// What is wrong.
    pub what: String,
}

impl std::fmt::Display for MalformedCase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "case #{}", self.index)?;
        if let Some(n) = &self.name {
            write!(f, " `{n}`")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.what)
    }
}

/// A vector file with each case parsed on its own.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// `group`.
    pub group: String,
    /// `description`.
    pub description: String,
    /// The cases in order: parsed, or why not.
    pub cases: Vec<Result<Case, MalformedCase>>,
}

impl LoadedFile {
    /// The cases that parsed, as a [`VectorFile`].
    pub fn valid(&self) -> VectorFile {
        VectorFile {
            format: FORMAT.into(),
            spec_version: SPEC_VERSION,
            group: self.group.clone(),
            description: self.description.clone(),
            cases: self.cases.iter().filter_map(|c| c.clone().ok()).collect(),
        }
    }

    /// The cases that did not parse.
    pub fn malformed(&self) -> impl Iterator<Item = &MalformedCase> {
        self.cases.iter().filter_map(|c| c.as_ref().err())
    }
}

const HEADER_FIELDS: [&str; 5] = ["format", "spec_version", "group", "description", "cases"];

/// Read a vector file (bounded: [`crate::limits::read_text`]), check its
/// header, and parse each case on its own: a malformed case is recorded
/// with its index, name and field, and the others still parse.
pub fn load_cases(path: &Path) -> Result<LoadedFile, LoadError> {
    let p = path.display().to_string();
    let text = read_text(path)?;
    let v: Value = serde_json::from_str(&text).map_err(|source| LoadError::Json {
        path: p.clone(),
        source,
    })?;
    let header = |what: String| LoadError::Header {
        path: p.clone(),
        what,
    };
    let Value::Object(mut top) = v else {
        return Err(header("not a JSON object".into()));
    };
    if let Some(k) = top.keys().find(|k| !HEADER_FIELDS.contains(&k.as_str())) {
        return Err(header(format!(
            "unknown field `{k}`; allowed: {}",
            HEADER_FIELDS.join(", ")
        )));
    }
    match top.get("format") {
        Some(Value::String(f)) if f == FORMAT => {}
        Some(f) => return Err(header(format!("format is {f}, expected {FORMAT:?}"))),
        None => return Err(header("missing field `format`".into())),
    }
    match top.get("spec_version") {
        Some(n) if n.as_u64() == Some(u64::from(SPEC_VERSION)) => {}
        Some(n) => {
            return Err(header(format!(
                "spec_version is {n}, this tool implements {SPEC_VERSION}"
            )))
        }
        None => return Err(header("missing field `spec_version`".into())),
    }
    let group = match top.get("group") {
        Some(Value::String(g)) => g.clone(),
        Some(g) => return Err(header(format!("field `group` is {g}, expected a string"))),
        None => return Err(header("missing field `group`".into())),
    };
    let description = match top.get("description") {
        Some(Value::String(d)) => d.clone(),
        None => String::new(),
        Some(d) => {
            return Err(header(format!(
                "field `description` is {d}, expected a string"
            )))
        }
    };
    let Some(Value::Array(raw)) = top.remove("cases") else {
        return Err(header(
            "field `cases` is missing or not an array of cases".into(),
        ));
    };
    let mut names = std::collections::HashSet::new();
    let cases = raw
        .into_iter()
        .enumerate()
        .map(|(index, v)| {
            let name = v.get("name").and_then(Value::as_str).map(str::to_string);
            let malformed = |field: Option<String>, what: String| MalformedCase {
                index,
                name: name.clone(),
                field,
                what,
            };
            let case = match serde_json::from_value::<Case>(v.clone()) {
                Ok(c) => c,
                Err(e) => {
                    return Err(match probe::case(&v) {
                        Some((field, what)) => malformed(Some(field), what),
                        None => malformed(None, e.to_string()),
                    })
                }
            };
            if !names.insert(case.name().to_string()) {
                return Err(malformed(
                    Some("name".into()),
                    "duplicate case name; names must be unique within a file".into(),
                ));
            }
            Ok(case)
        })
        .collect();
    Ok(LoadedFile {
        group,
        description,
        cases,
    })
}

/// Load a vector file in which every case must parse ([`load_cases`];
/// the first malformed case is an error).
pub fn load(path: &Path) -> Result<VectorFile, LoadError> {
    let loaded = load_cases(path)?;
    if let Some(m) = loaded.malformed().next() {
        return Err(LoadError::Case {
            path: path.display().to_string(),
            case: m.clone(),
        });
    }
    Ok(loaded.valid())
}

/// Finding the field at fault in a case that does not deserialise (each
/// kind lists its fields and their probes: `kinds::*::fields`).
pub(crate) mod probe {
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use crate::vectors::kinds;

    /// (field path, what is wrong) of the first problem.
    pub(crate) type Found = Option<(String, String)>;
    /// Finds the first problem of a field's value at a path.
    pub(crate) type Probe = fn(&Value, &str) -> Found;

    fn join(path: &str, key: &str) -> String {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    }

    /// A value that deserialises as `T` (or the error).
    pub(crate) fn leaf<T: DeserializeOwned>(v: &Value, path: &str) -> Found {
        serde_json::from_value::<T>(v.clone())
            .err()
            .map(|e| (path.to_string(), e.to_string()))
    }

    /// An object with exactly `fields` (and `kind` if `tag`), each probed.
    pub(crate) fn object(v: &Value, path: &str, fields: &[(&str, Probe)], tag: bool) -> Found {
        let Some(obj) = v.as_object() else {
            return Some((path.to_string(), format!("{v} is not an object")));
        };
        let allowed = || {
            fields
                .iter()
                .map(|(f, _)| *f)
                .collect::<Vec<_>>()
                .join(", ")
        };
        for k in obj.keys() {
            let known = fields.iter().any(|(f, _)| f == k) || (tag && k == "kind");
            if !known {
                return Some((
                    join(path, k),
                    format!("unknown field; allowed: {}", allowed()),
                ));
            }
        }
        for (f, p) in fields {
            match obj.get(*f) {
                Some(x) => {
                    if let Some(r) = p(x, &join(path, f)) {
                        return Some(r);
                    }
                }
                None if *f != "b" && *f != "sel" && *f != "description" => {
                    return Some((join(path, f), "missing".into()))
                }
                None => {}
            }
        }
        None
    }

    /// The field at fault in case object `v`, if it can be told.
    pub fn case(v: &Value) -> Found {
        let kind = match v.get("kind") {
            Some(Value::String(k)) => k.as_str(),
            Some(k) => return Some(("kind".into(), format!("{k} is not a string"))),
            None => return Some(("kind".into(), "missing".into())),
        };
        let fields: Vec<(&str, Probe)> = match kind {
            "pack" => kinds::pack::fields(),
            "bitwise" => kinds::bitwise::fields(),
            "decode" => kinds::decode::fields(),
            "lfsr" => kinds::lfsr::fields(),
            "sobol" => kinds::sobol::fields(),
            "mac" => kinds::mac::fields(),
            "lif" => kinds::lif::fields(),
            "network" => kinds::network::fields(),
            k => {
                return Some((
                    "kind".into(),
                    format!(
                        "unknown kind {k:?}; allowed: pack, bitwise, decode, lfsr, sobol, mac, lif, network"
                    ),
                ))
            }
        };
        object(v, "", &fields, true)
    }
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
    /// Cases that did not parse (counted once, not per implementation).
    pub malformed: usize,
    /// One line per failure.
    pub failures: Vec<String>,
    /// One summary line per file and implementation.
    pub lines: Vec<String>,
}

/// Run one case on one implementation.
pub fn check_case(imp: &dyn Implementation, case: &Case) -> Outcome {
    if let Some(want) = case.expected_error() {
        return check_error_case(imp, case, want);
    }
    if let Err(e) = validate(case) {
        return Outcome::Error(chain(&e));
    }
    match imp.evaluate(case) {
        Ok(got) => match first_difference(&case.expect_json(), &got.expect_json()) {
            None => Outcome::Pass,
            Some(d) => Outcome::Mismatch(d),
        },
        Err(CaseError::Unsupported) => Outcome::Unsupported,
        Err(e) => Outcome::Error(chain(&e)),
    }
}

/// Run a case whose `expect` is `{"error": want}`: it passes when the
/// implementation rejects the inputs with exactly the kernel error `want`
/// (compared by variant name). A case that evaluates fine, or fails with
/// another kernel error, is a mismatch; one that fails for a reason that
/// is not a kernel error (bad hex digit, wrong hex length, a count that
/// does not match a shape) is a bad case (`Outcome::Error`): an error case
/// must be well-formed and fail only in the kernel's semantic checks.
fn check_error_case(imp: &dyn Implementation, case: &Case, want: &str) -> Outcome {
    match imp.evaluate(case) {
        Ok(_) => Outcome::Mismatch(format!(
            "expected error {want}, implementation returned a result"
        )),
        Err(CaseError::Unsupported) => Outcome::Unsupported,
        Err(e) => match errors::kernel_error(&e) {
            Some(k) if errors::name(k) == want => Outcome::Pass,
            Some(k) => Outcome::Mismatch(format!(
                "expected error {want}, implementation returned {} ({})",
                errors::name(k),
                chain(&e)
            )),
            None => Outcome::Error(format!(
                "expected error {want}, but the case is not well-formed: {}",
                chain(&e)
            )),
        },
    }
}

/// Report the malformed cases of `file`, then check the others on every
/// implementation ([`check_file`]).
pub fn check_loaded(
    label: &str,
    file: &LoadedFile,
    imps: &[Box<dyn Implementation>],
    report: &mut Report,
) {
    for m in file.malformed() {
        report.malformed += 1;
        report.failures.push(format!("MALFORMED {label} {m}"));
    }
    check_file(label, &file.valid(), imps, report);
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
            let (what, detail) = match check_case(imp.as_ref(), case) {
                Outcome::Pass => {
                    p += 1;
                    continue;
                }
                Outcome::Unsupported => {
                    u += 1;
                    continue;
                }
                Outcome::Mismatch(d) => ("MISMATCH", d),
                Outcome::Error(e) => ("ERROR", e),
            };
            f += 1;
            report.failures.push(format!(
                "{what} {label} case `{}` ({}) on {}: {detail}",
                case.name(),
                case.kind(),
                imp.name()
            ));
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

    fn committed(group: &str) -> Value {
        let path = format!(
            "{}/../tests/vectors/{group}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn load_value(v: &Value) -> Result<LoadedFile, LoadError> {
        load_text(&serde_json::to_string(v).unwrap())
    }

    fn load_text(text: &str) -> Result<LoadedFile, LoadError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.json");
        std::fs::write(&path, text).unwrap();
        load_cases(&path)
    }

    // Class 2 and 6: unknown fields anywhere in a case are errors naming
    // the field; the other cases of the file still parse.
    #[test]
    fn malformed_cases_are_reported_one_by_one() {
        let mut v = committed("network");
        v["cases"][0]["network"]["layers"][0]["params"]["tau"] = json!(3);
        v["cases"][1]["network"]["layers"][1]["gain"] = json!("x");
        v["cases"][2]["expect"]["extra"] = json!([]);
        let good = committed("network")["cases"][0].clone();
        v["cases"].as_array_mut().unwrap().push(good.clone());
        let mut dup = good.clone();
        dup["name"] = json!("second");
        v["cases"].as_array_mut().unwrap().push(dup);
        v["cases"].as_array_mut().unwrap().push(good);
        let f = load_value(&v).unwrap();
        let bad: Vec<&MalformedCase> = f.malformed().collect();
        assert_eq!(bad.len(), 4, "{bad:?}");
        assert_eq!(
            bad[0].field.as_deref(),
            Some("network.layers[0].params.tau")
        );
        assert!(
            bad[0].what.starts_with("unknown field; allowed: v_rest"),
            "{}",
            bad[0]
        );
        assert_eq!(bad[1].field.as_deref(), Some("network.layers[1].gain"));
        assert!(bad[1].what.contains("expected i32"), "{}", bad[1]);
        assert_eq!(bad[2].field.as_deref(), Some("expect"));
        assert!(bad[2].what.contains("unknown field `extra`"), "{}", bad[2]);
        assert_eq!(bad[3].index, 5);
        assert_eq!(bad[3].field.as_deref(), Some("name"));
        assert!(bad[3]
            .to_string()
            .starts_with("case #5 `net_q16_sobol_8x12x4`: field `name`: duplicate"));
        assert_eq!(f.valid().cases.len(), 2);
        let e = load_path_err(&v);
        assert!(
            e.contains("case #0 `net_q16_sobol_8x12x4`: field `network.layers[0].params.tau`"),
            "{e}"
        );
    }

    fn load_path_err(v: &Value) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.json");
        std::fs::write(&path, serde_json::to_string(v).unwrap()).unwrap();
        load(&path).unwrap_err().to_string()
    }

    // Class 10: headers, encodings and nesting.
    #[test]
    fn bad_files_are_header_errors() {
        let mut v = committed("decode");
        v["extra"] = json!(1);
        let e = load_value(&v).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "unknown field `extra`; allowed: format, spec_version, group, description, cases"
            ),
            "{e}"
        );
        let mut v = committed("decode");
        v["cases"] = json!({});
        assert!(matches!(load_value(&v), Err(LoadError::Header { .. })));
        let e = load_text("\u{ff}").unwrap_err();
        assert!(matches!(e, LoadError::Json { .. }), "{e}");
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let e = load_text(&deep).unwrap_err();
        assert!(matches!(e, LoadError::Json { .. }), "{e}");
        assert!(chain(&e).contains("recursion limit"), "{}", chain(&e));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.json");
        std::fs::write(&path, b"{\"format\": \"\xff\"}").unwrap();
        let e = load_cases(&path).unwrap_err();
        assert!(e.to_string().contains("not UTF-8"), "{e}");
        // An unknown kind names the allowed ones.
        let mut v = committed("decode");
        v["cases"][0]["kind"] = json!("fft");
        let f = load_value(&v).unwrap();
        let m = f.malformed().next().unwrap();
        assert_eq!(m.field.as_deref(), Some("kind"));
        assert!(m.what.contains("allowed: pack, bitwise"), "{m}");
    }

    fn kernel() -> super::super::compute::BackendImpl<u32, crate::backend::KernelBackend<u32>> {
        super::super::compute::kernel()
    }

    // Error expectations: the exact variant passes; another variant, a
    // result, or a text problem fails with a clear message.
    #[test]
    fn error_expectations_compare_the_variant_name() {
        let lfsr = |seed: u32, error: &str| -> Case {
            serde_json::from_value(json!({"kind": "lfsr", "name": "l", "width": 8,
                "seed": seed, "p_q16": 100, "len": 8, "expect": {"error": error}}))
            .unwrap()
        };
        assert_eq!(
            check_case(&kernel(), &lfsr(0, "InvalidSeed")),
            Outcome::Pass
        );
        assert_eq!(
            check_case(&kernel(), &lfsr(256, "InvalidSeed")),
            Outcome::Pass
        );
        match check_case(&kernel(), &lfsr(0, "SobolDimension")) {
            Outcome::Mismatch(d) => assert!(
                d.starts_with("expected error SobolDimension, implementation returned InvalidSeed"),
                "{d}"
            ),
            o => panic!("wrong error not caught: {o:?}"),
        }
        assert_eq!(
            check_case(&kernel(), &lfsr(1, "InvalidSeed")),
            Outcome::Mismatch(
                "expected error InvalidSeed, implementation returned a result".into()
            )
        );
        // A text problem is not the kernel's error: the case is bad.
        let bad: Case = serde_json::from_value(json!({"kind": "bitwise", "name": "b",
            "op": "not", "len": 8, "a": "zz", "expect": {"error": "NonZeroPadding"}}))
        .unwrap();
        match check_case(&kernel(), &bad) {
            Outcome::Error(e) => assert!(e.contains("not well-formed"), "{e}"),
            o => panic!("{o:?}"),
        }
        // Unknown names and extra fields are malformed cases.
        let mut v = committed("decode");
        v["cases"][0]["expect"] = json!({"error": "Bogus"});
        v["cases"][1]["expect"] = json!({"error": "EmptyStream", "ones": 0});
        let f = load_value(&v).unwrap();
        let bad: Vec<&MalformedCase> = f.malformed().collect();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].field.as_deref(), Some("expect"));
        assert!(
            bad[0]
                .what
                .contains("unknown error \"Bogus\"; allowed: LengthMismatch"),
            "{}",
            bad[0]
        );
        assert!(bad[1].what.contains("only the field `error`"), "{}", bad[1]);
    }

    // Every committed error case passes on every implementation that runs
    // its kind, and a wrong name in each is caught.
    #[test]
    fn committed_error_cases_pass_and_corruptions_fail() {
        let path = format!(
            "{}/../tests/vectors/errors.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let file = load(Path::new(&path)).unwrap();
        let imps = super::super::compute::implementations(Default::default());
        for case in &file.cases {
            let want = case.expected_error().unwrap().to_string();
            let mut wrong: Value = serde_json::to_value(case).unwrap();
            let other = if want == "InvalidSeed" {
                "EmptyStream"
            } else {
                "InvalidSeed"
            };
            wrong["expect"] = json!({"error": other});
            let wrong: Case = serde_json::from_value(wrong).unwrap();
            for imp in &imps {
                let o = check_case(imp.as_ref(), case);
                assert!(
                    matches!(o, Outcome::Pass | Outcome::Unsupported),
                    "{} on {}: {o:?}",
                    case.name(),
                    imp.name()
                );
                if o == Outcome::Pass {
                    match check_case(imp.as_ref(), &wrong) {
                        Outcome::Mismatch(d) => assert!(
                            d.starts_with(&format!(
                                "expected error {other}, implementation returned {want}"
                            )),
                            "{d}"
                        ),
                        o => panic!("{}: corruption not caught: {o:?}", case.name()),
                    }
                }
            }
        }
    }

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
