//! `sc train` on a generated CSV, then `sc run` on the model it wrote; and
//! the errors bad data and settings get.

use std::path::Path;
use std::process::Command;

fn sc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sc"))
        .args(args)
        .output()
        .expect("sc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

const CLASSES: usize = 4;
const FEATURES: usize = 12;

/// `n` samples: feature `f` is high (about 0.8) when `f % 4` is the class,
/// low (about 0.2) otherwise, with uniform noise of +-0.2. Writes the
/// training CSV (header, label column first) and the features alone (for
/// `sc run`); returns the labels.
fn generate(dir: &Path, n: usize) -> Vec<usize> {
    let mut rng = sc_kernel::rng::SplitMix64::new(2024);
    let mut unit = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    let mut train = String::from("class");
    for f in 0..FEATURES {
        train.push_str(&format!(",f{f}"));
    }
    train.push('\n');
    let mut features = String::new();
    let mut labels = vec![];
    for _ in 0..n {
        let y = (unit() * CLASSES as f64) as usize % CLASSES;
        let x: Vec<String> = (0..FEATURES)
            .map(|f| {
                let base = if f % CLASSES == y { 0.8 } else { 0.2 };
                format!("{:.3}", base + 0.4 * (unit() - 0.5))
            })
            .collect();
        train.push_str(&format!("{y},{}\n", x.join(",")));
        features.push_str(&format!("{}\n", x.join(",")));
        labels.push(y);
    }
    std::fs::write(dir.join("train.csv"), train).unwrap();
    std::fs::write(dir.join("features.csv"), features).unwrap();
    labels
}

#[test]
fn trains_on_a_csv_and_sc_run_executes_the_model() {
    let d = tempfile::tempdir().unwrap();
    let labels = generate(d.path(), 400);
    for (surrogate, optimizer, lr) in [
        ("fast-sigmoid", "adam", "0.01"),
        ("straight-through", "sgd", "0.5"),
    ] {
        let model = p(d.path(), &format!("{surrogate}.json"));
        let (code, _, err) = sc(&[
            "train",
            "--data",
            &p(d.path(), "train.csv"),
            "--label",
            "class",
            "--dims",
            "12,24,4",
            "--steps",
            "8",
            "--epochs",
            "6",
            "--lr",
            lr,
            "--surrogate",
            surrogate,
            "--optimizer",
            optimizer,
            "--out",
            &model,
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("320 train, 80 validation"), "{err}");
        assert!(err.contains("validation accuracy: float"), "{err}");
        let out = p(d.path(), &format!("{surrogate}.results.csv"));
        let (code, _, err) = sc(&[
            "run",
            "--model",
            &model,
            "--input",
            &p(d.path(), "features.csv"),
            "--out",
            &out,
        ]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&out).unwrap();
        let predictions: Vec<usize> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(predictions.len(), labels.len());
        let correct = predictions
            .iter()
            .zip(&labels)
            .filter(|(a, b)| a == b)
            .count();
        let acc = correct as f64 / labels.len() as f64;
        // Chance is 25 %.
        assert!(
            acc > 0.8,
            "{surrogate}/{optimizer}: SC accuracy {acc} ({correct}/{})",
            labels.len()
        );
    }
}

#[test]
fn settings_from_a_config_file_and_no_bias() {
    let d = tempfile::tempdir().unwrap();
    generate(d.path(), 120);
    let cfg = p(d.path(), "cfg.json");
    std::fs::write(
        &cfg,
        r#"{"dims": [12, 8, 4], "steps": 4, "epochs": 2, "bias": false, "validation": 0.25}"#,
    )
    .unwrap();
    let model = p(d.path(), "m.json");
    let (code, _, err) = sc(&[
        "train",
        "--data",
        &p(d.path(), "train.csv"),
        "--config",
        &cfg,
        "--label",
        "0",
        "--epochs",
        "3",
        "--out",
        &model,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("90 train, 30 validation") && err.contains("3 epochs"),
        "{err}"
    );
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(m["snn"]["config"]["bias"], false);
    assert_eq!(m["network"]["dims"][0], 12);
    let (code, _, err) = sc(&[
        "run",
        "--model",
        &model,
        "--input",
        &p(d.path(), "features.csv"),
        "--out",
        &p(d.path(), "r.json"),
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn bad_data_and_settings_get_errors_naming_the_place() {
    let d = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = p(d.path(), name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let train = |data: &str, dims: &str| {
        let (code, _, err) = sc(&[
            "train",
            "--data",
            data,
            "--dims",
            dims,
            "--epochs",
            "1",
            "--out",
            &p(d.path(), "never.json"),
        ]);
        assert_eq!(code, 2, "{err}");
        err
    };
    let e = train(&file("a.csv", "0.1,0.2,1\n0.3,abc,0\n"), "2,3,2");
    assert!(
        e.contains("row 1, column 1") && e.contains("`abc` is not a number"),
        "{e}"
    );
    let e = train(&file("b.csv", "0.1,0.2,1\n0.3,0\n"), "2,3,2");
    assert!(e.contains("row 1") && e.contains("2 columns"), "{e}");
    let e = train(&file("c.csv", "0.1,0.2,1\n0.3,0.1,7\n"), "2,3,2");
    assert!(
        e.contains("row 1, column 2 (the label): 7 is not a class"),
        "{e}"
    );
    let e = train(&file("d.csv", ""), "2,3,2");
    assert!(e.contains("no data rows"), "{e}");
    let e = train(&file("e.csv", "0.1,0.2,1\n"), "3,3,2");
    assert!(
        e.contains("2 feature columns") && e.contains("dims[0] is 3"),
        "{e}"
    );
    let e = train(&file("f.csv", "0.1,0.2,1\n"), "2");
    assert!(e.contains("--dims"), "{e}");
    let e = train(&p(d.path(), "missing.csv"), "2,3,2");
    assert!(e.contains("missing.csv"), "{e}");
    assert!(!d.path().join("never.json").exists());
    let (code, _, err) = sc(&[
        "train",
        "--data",
        &file("g.csv", "0,0,1\n"),
        "--dims",
        "2,2",
        "--lr",
        "0",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--lr"), "{err}");
}
