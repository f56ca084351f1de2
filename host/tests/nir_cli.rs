//! `sc model import-nir` / `export-nir`: the errors raised before or
//! instead of the Python package (no file, bad numbers, no interpreter, an
//! interpreter without sc_neuro), and the help. The round trips through
//! the package are in python/tests/test_nir_cli.py, run by pytest once
//! scripts/test.sh has built the package into target/py-venv (after
//! `cargo test`, so it is not there for this test).

use std::path::Path;
use std::process::Command;

fn sc(args: &[&str], python: Option<&Path>) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sc"));
    cmd.args(args)
        .env_remove("XDG_RUNTIME_DIR")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    match python {
        Some(p) => cmd.env("SC_PYTHON", p),
        None => cmd.env_remove("SC_PYTHON"),
    };
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

fn says(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "no {p:?} in: {text}");
    }
}

#[test]
fn missing_files_are_named_before_python_runs() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-python");
    let (code, text) = sc(
        &["model", "import-nir", "none.nir", "--out", "m.json"],
        Some(&nowhere),
    );
    assert_eq!(code, 2, "{text}");
    says(&text, &["error: none.nir: no such file"]);
    let (code, text) = sc(
        &["model", "export-nir", "none.json", "--out", "m.nir"],
        Some(&nowhere),
    );
    assert_eq!(code, 2, "{text}");
    says(&text, &["error: none.json: no such file"]);
    let (code, text) = sc(
        &[
            "model",
            "export-nir",
            "models/digits.json",
            "--out",
            "m.nir",
            "--dt",
            "0",
        ],
        Some(&nowhere),
    );
    assert_eq!(code, 2, "{text}");
    says(&text, &["error: --dt must be a finite number > 0, got 0"]);
    assert!(!Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../m.nir")).exists());
}

#[test]
fn missing_interpreter_names_it_and_sc_python() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-python");
    let (code, text) = sc(
        &[
            "model",
            "export-nir",
            "models/digits.json",
            "--out",
            dir.path().join("m.nir").to_str().unwrap(),
        ],
        Some(&nowhere),
    );
    assert_eq!(code, 2, "{text}");
    says(
        &text,
        &[
            "error: cannot run the Python interpreter",
            "no-python",
            "set SC_PYTHON",
            "pip install \"$(git rev-parse --show-toplevel)/python[nir]\"",
        ],
    );
}

#[cfg(unix)]
#[test]
fn interpreter_without_the_package_says_how_to_install_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A stand-in interpreter whose `import sc_neuro.nir` fails as a python
    // without the package does.
    let fake = dir.path().join("python");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'sc_neuro'\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, text) = sc(
        &[
            "model",
            "import-nir",
            "models/digits.json",
            "--out",
            dir.path().join("m.json").to_str().unwrap(),
        ],
        Some(&fake),
    );
    assert_eq!(code, 2, "{text}");
    says(
        &text,
        &[
            "cannot import sc_neuro.nir (ModuleNotFoundError: No module named 'sc_neuro')",
            "-m pip install \"$(git rev-parse --show-toplevel)/python[nir]\"",
            "or set SC_PYTHON",
        ],
    );
    assert!(!dir.path().join("m.json").exists());
}

#[test]
fn help_lists_both_commands() {
    let (code, text) = sc(&["model", "--help"], None);
    assert_eq!(code, 0, "{text}");
    says(&text, &["import-nir", "export-nir", "export"]);
    let (code, text) = sc(&["model", "import-nir", "--help"], None);
    assert_eq!(code, 0, "{text}");
    says(
        &text,
        &["SC_PYTHON", "--drive", "--steps", "--length", "--dt"],
    );
}
