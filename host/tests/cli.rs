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

/// Runs `sc` with `args`, checks its exit code and that its output contains
/// each of `says`, and returns the output for further checks.
fn sc_says(args: &[&str], code: i32, says: &[&str]) -> String {
    let (got, text) = sc(args);
    assert_eq!(got, code, "{text}");
    for s in says {
        assert!(text.contains(s), "no {s:?} in: {text}");
    }
    text
}

#[test]
fn check_passes_on_committed_vectors() {
    sc_says(
        &[
            "vectors",
            "check",
            "tests/vectors/decode.json",
            "tests/vectors/network.json",
        ],
        0,
        &["kernel-u32", "kernel-u64", " passed, 0 failed"],
    );
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
    let text = sc_says(
        &["vectors", "check", path.to_str().unwrap()],
        1,
        &["MISMATCH", "expect.ones: file"],
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
    sc_says(
        &["vectors", "check", path.to_str().unwrap()],
        2,
        &["spec_version is 9"],
    );
    sc_says(
        &[
            "vectors",
            "check",
            "tests/vectors/decode.json",
            "--impl",
            "nope",
        ],
        2,
        &["available: kernel-u32, kernel-u64"],
    );
    let text = sc_says(&["vectors", "check", "/nonexistent.json"], 2, &[]);
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
    let text = sc_says(
        &["vectors", "check", &bad, "tests/vectors/decode.json"],
        1,
        &[
            "MALFORMED ",
            "case #1 `and_len1`: field `expect`",
            "unknown field `bogus`",
        ],
    );
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
    sc_says(
        &[
            "vectors",
            "check",
            "/nonexistent.json",
            "tests/vectors/decode.json",
        ],
        2,
        &[
            "decode.json: kernel-u32   48 passed, 0 failed",
            "1 of 2 files could not be read",
        ],
    );
}

#[test]
fn endless_files_are_refused() {
    sc_says(
        &["vectors", "check", "/dev/zero"],
        2,
        &["/dev/zero: larger than 268435456 bytes"],
    );
}

#[test]
fn gpu_is_probed_only_on_request() {
    let text = sc_says(&["vectors", "check", "tests/vectors/pack.json"], 0, &[]);
    assert!(!text.contains("XDG_RUNTIME_DIR"), "{text}");
    assert!(!text.contains("gpu-"), "{text}");
    let text = sc_says(
        &[
            "vectors",
            "check",
            "--impl",
            "gpu-x",
            "tests/vectors/pack.json",
        ],
        2,
        &["no implementation named \"gpu-x\"; available: kernel-u32"],
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
    sc_says(
        &["vectors", "export", "--format", "memh", "--out", out, &bad],
        2,
        &["mac.json: case #2 `mac_4x7_len65` (mac): field `weights`: 27 streams"],
    );
    assert!(!std::path::Path::new(out).exists());
    let mut v = committed("mac");
    v["cases"][0]["neurons"] = serde_json::json!((1u64 << 32) + 1);
    let bad = write(dir.path(), "mac2.json", &v);
    sc_says(
        &["vectors", "export", "--format", "bin", "--out", out, &bad],
        2,
        &["case #0 `mac_1x1_len1` (mac): field `"],
    );
    // A write failure names the path, once.
    let text = sc_says(
        &[
            "vectors",
            "export",
            "--format",
            "bin",
            "--out",
            "/nonexistent/dir/v.bin",
            "tests/vectors/decode.json",
        ],
        2,
        &["writing /nonexistent/dir/v.bin: No such file"],
    );
    assert_eq!(text.matches("No such file").count(), 1, "{text}");
    sc_says(
        &["vectors", "generate", "--out", "/dev/null/x"],
        2,
        &["/dev/null/x"],
    );
}

#[test]
fn simulate_checks_steps_and_reads_out_zero_steps() {
    sc_says(
        &["run", "--vectors", "--steps", "1099511627776"],
        2,
        &["--steps: ", "too large"],
    );
    sc_says(
        &["run", "--vectors", "--steps", "0"],
        0,
        &["output spike counts: [0, 0, 0, 0], predicted class: 0"],
    );
}

#[test]
fn export_writes_all_formats() {
    let dir = tempfile::tempdir().unwrap();
    for fmt in ["memh", "rust", "bin"] {
        let out = dir.path().join(format!("v.{fmt}"));
        sc_says(
            &[
                "vectors",
                "export",
                "--format",
                fmt,
                "--out",
                out.to_str().unwrap(),
                "tests/vectors/lif.json",
            ],
            0,
            &[],
        );
        assert!(std::fs::metadata(&out).unwrap().len() > 100);
    }
}

#[test]
fn simulate_runs_the_shared_networks() {
    for args in [&["run", "--vectors"][..], &["simulate"]] {
        let text = sc_says(args, 0, &["matches the shared vectors: yes"]);
        assert!(!text.contains("matches the shared vectors: NO"), "{text}");
    }
}
