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

/// Run `sc args` (with `SC_PYTHON` set to `python`, or unset) and require
/// exit code `code` and every one of `parts` in its output.
fn expect(code: i32, args: &[&str], python: Option<&Path>, parts: &[&str]) {
    let (got, text) = sc(args, python);
    assert_eq!(got, code, "{text}");
    for p in parts {
        assert!(text.contains(p), "no {p:?} in: {text}");
    }
}

/// `sc model CMD models/digits.json --out OUT`.
fn on_digits<'a>(cmd: &'a str, out: &'a Path) -> [&'a str; 5] {
    let out = out.to_str().expect("a UTF-8 temporary path");
    ["model", cmd, "models/digits.json", "--out", out]
}

#[test]
fn missing_files_are_named_before_python_runs() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = dir.path().join("no-python");
    let py = Some(nowhere.as_path());
    expect(
        2,
        &["model", "import-nir", "none.nir", "--out", "m.json"],
        py,
        &["error: none.nir: no such file"],
    );
    expect(
        2,
        &["model", "export-nir", "none.json", "--out", "m.nir"],
        py,
        &["error: none.json: no such file"],
    );
    let dt0 = ["--out", "m.nir", "--dt", "0"];
    expect(
        2,
        &[&["model", "export-nir", "models/digits.json"][..], &dt0].concat(),
        py,
        &["error: --dt must be a finite number > 0, got 0"],
    );
    assert!(!Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../m.nir")).exists());
}

/// No interpreter at `SC_PYTHON`, and (on Unix) a stand-in whose `import
/// sc_neuro.nir` fails as a python without the package does: each error
/// names what is wrong and how to install the package, and no model is
/// written.
#[test]
fn interpreter_errors_say_how_to_install_the_package() {
    let dir = tempfile::tempdir().unwrap();
    let pip = "pip install \"$(git rev-parse --show-toplevel)/python[nir]\"";
    let mut cases = vec![(
        dir.path().join("no-python"),
        "export-nir",
        vec![
            "error: cannot run the Python interpreter",
            "no-python",
            "set SC_PYTHON",
            pip,
        ],
    )];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let fake = dir.path().join("python");
        let script =
            "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'sc_neuro'\" >&2\nexit 1\n";
        std::fs::write(&fake, script).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let import = "cannot import sc_neuro.nir (ModuleNotFoundError: No module named 'sc_neuro')";
        cases.push((fake, "import-nir", vec![import, pip, "or set SC_PYTHON"]));
    }
    for (python, cmd, says) in cases {
        let out = dir.path().join("model.out");
        expect(2, &on_digits(cmd, &out), Some(&python), &says);
        assert!(!out.exists(), "{cmd} wrote {}", out.display());
    }
}

#[test]
fn help_lists_both_commands() {
    expect(
        0,
        &["model", "--help"],
        None,
        &["import-nir", "export-nir", "export"],
    );
    expect(
        0,
        &["model", "import-nir", "--help"],
        None,
        &["SC_PYTHON", "--drive", "--steps", "--length", "--dt"],
    );
}
