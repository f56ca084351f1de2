//! `sc train` on a generated CSV, then `sc run` on the model it wrote; and
//! the errors bad data and settings get.

use std::path::Path;

mod common;
use common::{p, sc};

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

/// `sc run` of `model` on the features [`generate`] wrote into `dir`,
/// results to `out`; it must succeed.
fn run_model(dir: &Path, model: &str, out: &str) {
    let (code, _, err) = sc(&[
        "run",
        "--model",
        model,
        "--input",
        &p(dir, "features.csv"),
        "--out",
        out,
    ]);
    assert_eq!(code, 0, "{err}");
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
        run_model(d.path(), &model, &out);
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
    run_model(d.path(), &model, &p(d.path(), "r.json"));
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

// ---- the library's checks: errors, not panics, clamps or late failures ----

use sc_host::job::{load_inputs, Values};
use sc_host::snn::{batch, Adam, Optimizer, Sgd, Snn, SnnConfig};
use sc_host::train::{self, Dataset, LabelColumn, TrainConfig, TrainError};

fn cfg(dims: &[usize]) -> TrainConfig {
    TrainConfig {
        dims: dims.to_vec(),
        ..TrainConfig::default()
    }
}

fn field(e: Result<(), TrainError>) -> &'static str {
    match e {
        Err(TrainError::Setting { field, .. }) => field,
        other => panic!("expected a setting error, got {other:?}"),
    }
}

#[test]
fn batch_memory_is_checked_up_front_per_thread_and_does_not_grow_with_the_batch() {
    let c = cfg(&[784, 4096, 10]);
    let snn = c.snn_config();
    let threads = rayon::current_num_threads();
    // The live memory is one block's worth per thread, whatever the batch.
    let per_wave = batch::memory(&snn, batch::CHUNK * threads, true);
    assert_eq!(batch::memory(&snn, 1 << 20, true), per_wave);
    assert!(per_wave >= batch::memory(&snn, batch::CHUNK, true) * threads);
    // Steps that make the trace too large are refused before any data.
    let mut big = cfg(&[784, 4096, 10]);
    big.steps = 65536;
    let e = big.validate().unwrap_err().to_string();
    assert!(
        e.starts_with("steps, dims, batch:") && e.contains("threads"),
        "{e}"
    );
}

#[test]
fn settings_that_would_fail_after_training_are_refused_up_front() {
    let base = cfg(&[4, 3]);
    for (f, v, name) in [
        (0, 1e-300, "threshold"),
        (0, 40000.0, "threshold"),
        (1, 1e300, "kappa"),
        (2, 1e300, "beta"),
        (3, 1e300, "lr"),
        (3, 1e-300, "lr"),
        (4, 1e-9, "alpha"),
    ] {
        let mut c = base.clone();
        match f {
            0 => c.threshold = v,
            1 => c.kappa = v,
            2 => c.beta = v,
            3 => c.lr = v,
            _ => c.alpha = v,
        }
        assert_eq!(field(c.validate()), name, "{name} = {v}");
    }
    let mut c = base.clone();
    c.threshold = 32767.0;
    c.alpha = 1.0 / 65536.0;
    assert!(c.validate().is_ok());
}

#[test]
fn a_quantised_alpha_or_gain_that_rounds_to_zero_is_an_error() {
    use sc_host::scnet::{LifFormat, Source};
    let s = Source::Sobol { dimension: 0 };
    let mut net = Snn::<f32>::init(
        SnnConfig {
            sizes: vec![2, 2],
            steps: 2,
            alpha: 1e-7,
            threshold: 1.0,
            beta: 1.0,
            kappa: 1.0,
            bias: false,
        },
        1,
    )
    .unwrap();
    let e = sc_host::digits::quantise(&net, LifFormat::Q16_16, 16, s, s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("alpha") && e.contains("rounds to 0"), "{e}");
    net.config.alpha = 0.5;
    net.weights[0].iter_mut().for_each(|w| *w = 1e-7);
    let e = sc_host::digits::quantise(&net, LifFormat::Q16_16, 16, s, s)
        .unwrap_err()
        .to_string();
    assert!(e.contains("gain") && e.contains("7.6"), "{e}");
}

#[test]
fn split_refuses_fractions_it_cannot_honour() {
    let e = |r: Result<(Vec<usize>, Vec<usize>), TrainError>| match r {
        Err(TrainError::Setting { field, what }) => format!("{field}: {what}"),
        other => panic!("{other:?}"),
    };
    assert!(e(train::split(40, 0.999, 1)).contains("no training sample"));
    assert!(e(train::split(1, 0.5, 1)).contains("no training sample"));
    assert!(e(train::split(3, 0.1, 1)).contains("holds out none"));
    assert_eq!(train::split(40, 0.5, 1).unwrap().1.len(), 20);
}

fn dataset() -> Dataset {
    Dataset {
        features: vec![0.5; 8],
        labels: vec![0, 1, 0, 1],
        inputs: 2,
        label_column: 2,
    }
}

#[test]
fn bad_indices_and_inconsistent_datasets_are_errors_not_panics() {
    let c = TrainConfig {
        epochs: 1,
        ..cfg(&[2, 2])
    };
    let d = dataset();
    let run = |d: &Dataset, t: &[usize], v: &[usize]| {
        train::train(&c, d, t, v, |_| {}, |_| {})
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    assert!(run(&d, &[0, 9], &[]).contains("train_idx[1] = 9"));
    assert!(run(&d, &[0], &[4]).contains("val_idx[0] = 4"));
    let mut short = d.clone();
    short.features.pop();
    assert!(run(&short, &[0], &[]).contains("7 feature values for 4 labels x 2 inputs"));
    let mut wide = d.clone();
    wide.inputs = 4;
    wide.features = vec![0.5; 16];
    assert!(run(&wide, &[0], &[]).contains("dims[0]"));
    let mut label = d.clone();
    label.labels[2] = 5;
    assert!(run(&label, &[0], &[]).contains("sample 2: label 5"));
    assert!(d
        .rows(&[7])
        .unwrap_err()
        .to_string()
        .contains("rows[0] = 7"));
    assert_eq!(d.rows(&[3]).unwrap().len(), 1);
    let (_, h) = train::train(&c, &d, &[0, 1, 2], &[], |_| {}, |_| {}).unwrap();
    assert_eq!(h[0].val_loss, None);
}

#[test]
fn optimisers_refuse_gradients_of_another_shape() {
    let mut net = Snn::<f32>::init(
        SnnConfig {
            sizes: vec![3, 2],
            steps: 2,
            alpha: 0.5,
            threshold: 1.0,
            beta: 1.0,
            kappa: 1.0,
            bias: false,
        },
        1,
    )
    .unwrap();
    let before = net.weights.clone();
    let short = vec![vec![0.1f32; 5]];
    let none: Vec<Vec<f32>> = vec![];
    assert!(Sgd { lr: 0.1 }.step(&mut net, &short).is_err());
    assert!(Sgd { lr: 0.1 }.step(&mut net, &none).is_err());
    let mut adam = Optimizer::Adam(Adam::new(&net, 0.1));
    assert!(adam.step(&mut net, &short).is_err());
    assert_eq!(net.weights, before);
    assert!(adam.step(&mut net, &[vec![0.1f32; 6]]).is_ok());
    assert_ne!(net.weights, before);
}

#[test]
fn non_finite_and_typo_values_are_named_before_auto_picks_pixels() {
    let d = tempfile::tempdir().unwrap();
    let load = |text: &str| {
        let p = d.path().join("x.csv");
        std::fs::write(&p, text).unwrap();
        Dataset::load(&p, &LabelColumn::Index(0), 2, 2, Values::Auto { max: 255 })
            .unwrap_err()
            .to_string()
    };
    let e = load("1,0.1,0.2\n0,inf,0.3\n");
    assert!(e.contains("row 1, column 1: inf is not a number"), "{e}");
    let e = load("1,0.1,0.2\n0,0.4,1e20\n");
    assert!(
        e.contains("row 1, column 2: 100000000000000000000 is neither a probability"),
        "{e}"
    );
    let e = load("1,0.1,0.2\n0,0.4,37\n");
    assert!(
        e.contains("row 0, column 1: 0.1 is not a pixel")
            && e.contains("because row 1, column 2 is 37"),
        "{e}"
    );
    // sc run's reader too.
    let p = d.path().join("r.csv");
    std::fs::write(&p, "0.1,0.2\nNaN,0.3\n").unwrap();
    let e = load_inputs(&p, 2, false, Values::Auto { max: 255 })
        .unwrap_err()
        .to_string();
    assert!(e.contains("row 1, column 0: NaN is not a number"), "{e}");
}

#[test]
fn a_full_width_row_of_a_bias_model_must_end_in_the_bias_value() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x.csv");
    std::fs::write(&p, "0.5,0.25,1\n0.5,0.25,0\n").unwrap();
    let e = load_inputs(&p, 3, true, Values::Probabilities)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 1, column 2 (the bias input") && e.contains("0 is not the bias value"),
        "{e}"
    );
    std::fs::write(&p, "0,128,255\n").unwrap();
    assert!(load_inputs(&p, 3, true, Values::Auto { max: 255 }).is_ok());
    std::fs::write(&p, "0,128,3\n").unwrap();
    let e = load_inputs(&p, 3, true, Values::Auto { max: 255 })
        .unwrap_err()
        .to_string();
    assert!(e.contains("255 (the pixel maximum)"), "{e}");
    std::fs::write(&p, "0.5,0.25\n").unwrap();
    assert_eq!(
        load_inputs(&p, 3, true, Values::Probabilities).unwrap()[0].len(),
        3
    );
}

#[test]
fn cli_names_flags_and_writes_nothing_before_the_checks() {
    let d = tempfile::tempdir().unwrap();
    let data = p(d.path(), "x.csv");
    std::fs::write(&data, "0.1,0.2,1\n0.3,0.4,0\n0.5,0.6,1\n").unwrap();
    let out = d.path().join("new").join("sub").join("m.json");
    let out_s = out.display().to_string();
    let base = ["train", "--data", &data, "--dims", "2,2", "--out", &out_s];
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        let (code, _, err) = sc(&a);
        assert_eq!(code, 2, "{err}");
        err
    };
    let e = run(&["--lr", "-1"]);
    assert!(e.contains("--lr: -1"), "{e}");
    let e = run(&["--validation", "0.999"]);
    assert!(
        e.contains("--validation") && e.contains("no training sample"),
        "{e}"
    );
    let e = run(&["--steps", "65536", "--dims", "2,100000,2"]);
    assert!(e.contains("--steps, --dims, --batch"), "{e}");
    let e = run(&["--threshold", "1e-300"]);
    assert!(e.contains("--threshold"), "{e}");
    let e = run(&["--config", &p(d.path(), "missing.json")]);
    assert!(e.contains("No such file"), "{e}");
    assert!(!d.path().join("new").exists());
    // Without a validation split the epoch lines say nothing of one.
    let (code, _, err) = sc(&[
        "train",
        "--data",
        &data,
        "--dims",
        "2,2",
        "--validation",
        "0",
        "--epochs",
        "1",
        "--out",
        &out_s,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("epoch 1: train loss") && !err.contains("validation loss"),
        "{err}"
    );
}
