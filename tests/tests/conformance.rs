//! Every implementation in this process reproduces the committed vectors,
//! the committed vectors are exactly what the reference generates, and a
//! corrupted expectation is caught with the first differing bit/step.

use std::path::PathBuf;

use sc_host::vectors::check::{check_case, Outcome};
use sc_host::vectors::export::{self, ExportFormat, Kind, MAGIC};
use sc_host::vectors::schema::Expect;
use sc_host::vectors::{self, generate, implementations, Case, Implementation, Report, Which};

fn vector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

fn committed() -> Vec<(PathBuf, vectors::VectorFile)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(vector_dir())
        .expect("tests/vectors exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 9,
        "expected the 9 vector groups, found {paths:?}"
    );
    paths
        .into_iter()
        .map(|p| {
            let f = vectors::load(&p).unwrap_or_else(|e| panic!("{e}"));
            (p, f)
        })
        .collect()
}

#[test]
fn every_implementation_reproduces_the_committed_vectors() {
    let imps = implementations(Which::all());
    let names: Vec<&str> = imps.iter().map(|i| i.name()).collect();
    // Both kernel word sizes, the portable CPU backend, and the best level here.
    for want in ["kernel-u32", "kernel-u64", "cpu-portable"] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    // Host backends: the CPU backend per SIMD level, and the GPU backend.
    let backends = names
        .iter()
        .filter(|n| n.starts_with("cpu-") || n.starts_with("gpu-"))
        .count();
    assert!(names.iter().any(|n| n.starts_with("gpu-")), "{names:?}");
    let mut report = Report::default();
    let mut generator_cases = 0;
    let mut network_cases = 0;
    let mut cases = 0;
    for (p, f) in committed() {
        cases += f.cases.len();
        vectors::check_file(&p.display().to_string(), &f, &imps, &mut report);
        generator_cases += f
            .cases
            .iter()
            .filter(|c| matches!(c, Case::Lfsr { .. } | Case::Sobol { .. }))
            .count();
        network_cases += f
            .cases
            .iter()
            .filter(|c| matches!(c, Case::Network { .. }))
            .count();
    }
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n"));
    // Only the kernel runs the generators; the backends report exactly
    // those cases as unsupported, nothing else: every backend runs the
    // whole networks.
    assert!(network_cases > 0);
    assert_eq!(report.unsupported, backends * generator_cases);
    assert_eq!(report.passed + report.unsupported, imps.len() * cases);
    assert!(cases > 700, "only {cases} cases");
}

// Error cases: every implementation that runs a case's kind rejects it
// with exactly the named kernel error (the GPU included: SC_REQUIRE_GPU),
// and a wrong name is caught on each of them.
#[test]
fn every_implementation_rejects_the_error_cases_with_the_named_error() {
    use sc_host::vectors::errors::{code, ERROR_FLAG};
    let imps = implementations(Which::all());
    let (_, f) = committed()
        .into_iter()
        .find(|(_, f)| f.group == "errors")
        .expect("errors.json");
    let mut names = std::collections::BTreeSet::new();
    for case in &f.cases {
        let want = case.expected_error().expect("an error case").to_string();
        names.insert(want.clone());
        let mut wrong = serde_json::to_value(case).unwrap();
        let other = if want == "EmptyStream" {
            "InvalidSeed"
        } else {
            "EmptyStream"
        };
        wrong["expect"] = serde_json::json!({ "error": other });
        let wrong: Case = serde_json::from_value(wrong).unwrap();
        let mut ran = 0;
        for imp in &imps {
            match check_case(imp.as_ref(), case) {
                Outcome::Pass => ran += 1,
                Outcome::Unsupported => continue,
                o => panic!("{} on {}: {o:?}", case.name(), imp.name()),
            }
            match check_case(imp.as_ref(), &wrong) {
                Outcome::Mismatch(d) => assert!(
                    d.starts_with(&format!(
                        "expected error {other}, implementation returned {want}"
                    )),
                    "{d}"
                ),
                o => panic!(
                    "{} on {}: wrong name not caught: {o:?}",
                    case.name(),
                    imp.name()
                ),
            }
        }
        assert!(
            ran >= 2,
            "{}: only {ran} implementations ran it",
            case.name()
        );
        // Its export record: KIND | ERROR_FLAG, the inputs, then the code.
        let words = export::word_stream(&[vectors::VectorFile {
            cases: vec![case.clone()],
            ..f.clone()
        }])
        .unwrap();
        assert_ne!(words[2] & ERROR_FLAG, 0, "{}", case.name());
        assert_eq!(words.last().copied(), code(&want), "{}", case.name());
    }
    let want: std::collections::BTreeSet<String> = [
        "NonZeroPadding",
        "InvalidSeed",
        "ProbabilityOutOfRange",
        "SobolDimension",
        "EmptyStream",
        "ShapeOverflow",
        "InvalidParameter",
    ]
    .map(String::from)
    .into();
    assert_eq!(names, want);
}

#[test]
fn committed_vectors_are_what_the_reference_generates() {
    let generated = generate::generate_all().unwrap();
    for f in generated {
        let path = vector_dir().join(format!("{}.json", f.group));
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == vectors::to_text(&f),
            "{} differs from `sc vectors generate`; if the spec changed on purpose, regenerate and commit",
            path.display()
        );
    }
}

fn find(group: &str, pred: impl Fn(&Case) -> bool) -> Case {
    committed()
        .into_iter()
        .find(|(_, f)| f.group == group)
        .and_then(|(_, f)| f.cases.into_iter().find(|c| pred(c)))
        .unwrap()
}

/// The `expect` value of `case`, a case of the variant `$variant`.
macro_rules! expect_of {
    ($case:expr, $variant:ident) => {
        match &mut $case {
            Case::$variant {
                expect: Expect::Value(expect),
                ..
            } => expect,
            _ => unreachable!(),
        }
    };
}

/// Every implementation in `imps` finds `case` a mismatch whose description
/// starts with `first_difference`.
fn assert_caught(imps: &[Box<dyn Implementation>], case: &Case, first_difference: &str) {
    for imp in imps {
        match check_case(imp.as_ref(), case) {
            Outcome::Mismatch(d) => assert!(d.starts_with(first_difference), "{d}"),
            o => panic!("corruption not caught: {o:?}"),
        }
    }
}

#[test]
fn corrupted_expectations_fail_with_the_first_difference() {
    let imps = implementations(Which::all());
    // Flip bit 37 of an AND result: byte 4, bit 5 = high nibble (hex digit 8), nibble bit 1.
    let mut case = find("bitwise", |c| matches!(c, Case::Bitwise { len: 1000, .. }));
    let expect = expect_of!(case, Bitwise);
    let mut digits: Vec<u32> = expect
        .out
        .chars()
        .map(|c| c.to_digit(16).unwrap())
        .collect();
    digits[8] ^= 0b10;
    expect.out = digits
        .iter()
        .map(|d| char::from_digit(*d, 16).unwrap())
        .collect();
    assert_caught(&imps, &case, "expect.out: first differing bit 37");
    // A LIF membrane value at step 3, neuron 1.
    let mut case = find("lif", |_| true);
    expect_of!(case, Lif).v[3][1] += 1;
    assert_caught(&imps, &case, "expect.v[3][1]: file");
    // A network spike.
    let mut case = find("network", |_| true);
    let s = &mut expect_of!(case, Network).spikes[2][0];
    let flipped = if s.starts_with('0') { "1" } else { "0" };
    s.replace_range(0..1, flipped);
    assert_caught(
        &imps[..1],
        &case,
        "expect.spikes[2][0]: first differing neuron 0",
    );
    // A malformed input is an error, not a pass.
    let mut case = find("mac", |_| true);
    let Case::Mac { ref mut x, .. } = case else {
        unreachable!()
    };
    x[0].push_str("zz");
    assert!(matches!(
        check_case(imps[0].as_ref(), &case),
        Outcome::Error(_)
    ));
}

#[test]
fn export_stream_layout() {
    let files: Vec<vectors::VectorFile> = committed().into_iter().map(|(_, f)| f).collect();
    let total: usize = files.iter().map(|f| f.cases.len()).sum();
    let words = export::word_stream(&files).unwrap();
    assert_eq!(words[0], MAGIC);
    assert_eq!(words[1] as usize, total);
    // Walk the records; re-check every AND record from the exported words alone.
    let mut at = 2;
    let mut seen = 0;
    let mut ands = 0;
    while at < words.len() {
        let (k, n) = (words[at], words[at + 1] as usize);
        let p = &words[at + 2..at + 2 + n];
        if k == Kind::Bitwise.code() && p[0] == 0 {
            let len = p[1] as usize;
            let nw = len.div_ceil(32);
            let (a, b) = (&p[2..2 + nw], &p[2 + nw..2 + 2 * nw]);
            // a, b, sel, out, popcount
            let out = &p[2 + 3 * nw..2 + 4 * nw];
            let pop = p[2 + 4 * nw];
            for i in 0..nw {
                assert_eq!(a[i] & b[i], out[i]);
            }
            assert_eq!(out.iter().map(|w| w.count_ones()).sum::<u32>(), pop);
            ands += 1;
        }
        at += 2 + n;
        seen += 1;
    }
    assert_eq!(at, words.len());
    assert_eq!(seen, total);
    assert!(ands > 10);
    let memh = String::from_utf8(export::render(
        &words,
        ExportFormat::Memh,
        "test",
        "VECTORS",
    ))
    .unwrap();
    assert_eq!(
        memh.lines().filter(|l| !l.starts_with("//")).count(),
        words.len()
    );
    let bin = export::render(&words, ExportFormat::Bin, "test", "VECTORS");
    assert_eq!(bin.len(), 4 * words.len());
    let rust = String::from_utf8(export::render(
        &words,
        ExportFormat::Rust,
        "test",
        "VECTORS",
    ))
    .unwrap();
    assert!(rust.contains(&format!("pub static VECTORS: [u32; {}]", words.len())));
}
