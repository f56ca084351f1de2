//! The `sc` binary end to end: exit codes and messages.

use std::process::Command;

fn sc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sc"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn check_passes_on_committed_vectors() {
    let (code, text) = sc(&[
        "vectors",
        "check",
        "tests/vectors/decode.json",
        "tests/vectors/network.json",
    ]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("kernel-u32") && text.contains("kernel-u64"),
        "{text}"
    );
    assert!(text.contains(" passed, 0 failed"), "{text}");
}

#[test]
fn hand_edited_expectation_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/decode.json"
    ))
    .unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&src).unwrap();
    let case = &mut v["cases"][5]["expect"]["ones"];
    *case = serde_json::json!(case.as_u64().unwrap() + 1);
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let (code, text) = sc(&["vectors", "check", path.to_str().unwrap()]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("MISMATCH") && text.contains("expect.ones: file"),
        "{text}"
    );
    // Every implementation in the process (kernel u32/u64, each CPU level) fails it.
    let imps = text
        .lines()
        .find_map(|l| l.strip_prefix("implementations: "))
        .unwrap_or_else(|| panic!("no implementations line in {text}"))
        .split(", ")
        .count();
    assert!(imps >= 3, "{text}");
    assert!(text.contains(&format!(", {imps} failed")), "{text}");
}

#[test]
fn bad_files_and_arguments_get_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.json");
    std::fs::write(
        &path,
        r#"{"format":"sc-neuro-vectors","spec_version":9,"group":"x","cases":[]}"#,
    )
    .unwrap();
    let (code, text) = sc(&["vectors", "check", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("spec_version is 9"), "{text}");
    let (code, text) = sc(&[
        "vectors",
        "check",
        "tests/vectors/decode.json",
        "--impl",
        "nope",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("available: kernel-u32, kernel-u64"), "{text}");
    let (code, _) = sc(&["vectors", "check", "/nonexistent.json"]);
    assert_eq!(code, 2);
}

#[test]
fn export_writes_all_formats() {
    let dir = tempfile::tempdir().unwrap();
    for fmt in ["memh", "rust", "bin"] {
        let out = dir.path().join(format!("v.{fmt}"));
        let (code, text) = sc(&[
            "vectors",
            "export",
            "--format",
            fmt,
            "--out",
            out.to_str().unwrap(),
            "tests/vectors/lif.json",
        ]);
        assert_eq!(code, 0, "{text}");
        assert!(std::fs::metadata(&out).unwrap().len() > 100);
    }
}

#[test]
fn simulate_runs_the_shared_networks() {
    let (code, text) = sc(&["simulate"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("matches the shared vectors: yes"), "{text}");
    assert!(!text.contains("matches the shared vectors: NO"), "{text}");
}
