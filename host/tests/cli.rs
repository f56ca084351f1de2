//! The `sc` binary end to end: exit codes and messages.

use std::process::Command;

fn sc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sc"))
        .args(args)
        // No GPU probe unless asked for: nothing may need a runtime dir.
        .env_remove("XDG_RUNTIME_DIR")
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
    let (code, text) = sc(&["vectors", "check", "/nonexistent.json"]);
    assert_eq!(code, 2, "{text}");
    // The path is named and the OS error printed exactly once.
    assert!(
        text.contains("cannot read /nonexistent.json: No such file or directory"),
        "{text}"
    );
    assert_eq!(
        text.matches("No such file or directory").count(),
        1,
        "{text}"
    );
}

fn committed(group: &str) -> serde_json::Value {
    let src = std::fs::read_to_string(format!(
        "{}/../tests/vectors/{group}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    serde_json::from_str(&src).unwrap()
}

fn write(dir: &std::path::Path, name: &str, v: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(v).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

// Exit codes as documented; a bad case or file does not hide the others.
#[test]
fn every_file_is_checked_and_exit_codes_are_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = committed("bitwise");
    v["cases"][0]["sel"] = serde_json::json!("zz");
    v["cases"][1]["expect"]["bogus"] = serde_json::json!(1);
    let bad = write(dir.path(), "bad.json", &v);
    let (code, text) = sc(&["vectors", "check", &bad, "tests/vectors/decode.json"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("MALFORMED ") && text.contains("case #1 `and_len1`: field `expect`"),
        "{text}"
    );
    assert!(text.contains("unknown field `bogus`"), "{text}");
    assert!(
        text.contains(
            "case `and_len0` (bitwise) on kernel-u32: field `sel`: op `and` does not use it"
        ),
        "{text}"
    );
    // The other 82 cases of the file and the good file still ran.
    assert!(
        text.contains("bad.json: kernel-u32   82 passed, 1 failed"),
        "{text}"
    );
    assert!(
        text.contains("decode.json: kernel-u32   48 passed, 0 failed"),
        "{text}"
    );
    assert!(text.contains(", 1 malformed"), "{text}");
    // An unreadable file: exit 2, and the good file is still reported.
    let (code, text) = sc(&[
        "vectors",
        "check",
        "/nonexistent.json",
        "tests/vectors/decode.json",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("decode.json: kernel-u32   48 passed, 0 failed"),
        "{text}"
    );
    assert!(text.contains("1 of 2 files could not be read"), "{text}");
}

#[test]
fn endless_files_are_refused() {
    let (code, text) = sc(&["vectors", "check", "/dev/zero"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("/dev/zero: larger than 268435456 bytes"),
        "{text}"
    );
}

#[test]
fn gpu_is_probed_only_on_request() {
    let (code, text) = sc(&["vectors", "check", "tests/vectors/pack.json"]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("XDG_RUNTIME_DIR"), "{text}");
    assert!(!text.contains("gpu-"), "{text}");
    let (code, text) = sc(&[
        "vectors",
        "check",
        "--impl",
        "gpu-x",
        "tests/vectors/pack.json",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("no implementation named \"gpu-x\"; available: kernel-u32"),
        "{text}"
    );
    if cfg!(feature = "gpu") {
        assert!(
            text.contains("gpu-"),
            "the GPU backend was not probed: {text}"
        );
    }
}

#[test]
fn export_validates_and_names_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("v.memh");
    let out = out.to_str().unwrap();
    let mut v = committed("mac");
    v["cases"][2]["weights"].as_array_mut().unwrap().pop();
    let bad = write(dir.path(), "mac.json", &v);
    let (code, text) = sc(&["vectors", "export", "--format", "memh", "--out", out, &bad]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("mac.json: case #2 `mac_4x7_len65` (mac): field `weights`: 27 streams"),
        "{text}"
    );
    assert!(!std::path::Path::new(out).exists());
    let mut v = committed("mac");
    v["cases"][0]["neurons"] = serde_json::json!((1u64 << 32) + 1);
    let bad = write(dir.path(), "mac2.json", &v);
    let (code, text) = sc(&["vectors", "export", "--format", "bin", "--out", out, &bad]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("case #0 `mac_1x1_len1` (mac): field `"),
        "{text}"
    );
    // A write failure names the path, once.
    let (code, text) = sc(&[
        "vectors",
        "export",
        "--format",
        "bin",
        "--out",
        "/nonexistent/dir/v.bin",
        "tests/vectors/decode.json",
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("writing /nonexistent/dir/v.bin: No such file"),
        "{text}"
    );
    assert_eq!(text.matches("No such file").count(), 1, "{text}");
    let (code, text) = sc(&["vectors", "generate", "--out", "/dev/null/x"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("/dev/null/x"), "{text}");
}

#[test]
fn simulate_checks_steps_and_reads_out_zero_steps() {
    let (code, text) = sc(&["simulate", "--steps", "1099511627776"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("--steps: ") && text.contains("too large"),
        "{text}"
    );
    let (code, text) = sc(&["simulate", "--steps", "0"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("output spike counts: [0, 0, 0, 0], predicted class: 0"),
        "{text}"
    );
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
