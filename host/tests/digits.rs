//! The digits job: data loading, the shipped model's accuracy targets,
//! quantisation, training, and the model export; model and data
//! validation, the report, and the `sc digits` command's behaviour.

use sc_host::plot::Figure;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sc_host::digits::{self, Digits, DigitsModel, Report, Row};
use sc_host::scnet::LifFormat;
use sc_host::vectors::export;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn data() -> Digits {
    Digits::load(&root().join("host/data/digits.csv")).unwrap()
}

#[test]
fn data_set_and_split() {
    let d = data();
    assert_eq!(d.images.len(), 1797);
    let (train, test) = d.split();
    assert_eq!((train.len(), test.len()), (1438, 359));
    assert!(test.iter().all(|k| k % 5 == 4));
    let mut per_class = [0; 10];
    for &k in &test {
        per_class[d.labels[k] as usize] += 1;
    }
    assert!(
        per_class.iter().all(|&n| n >= 20),
        "every class is in the test set: {per_class:?}"
    );
}

#[test]
fn malformed_data_is_reported_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.csv");
    let good = "0,".repeat(64) + "3";
    std::fs::write(&p, format!("{good}\n{}17,3\n", "0,".repeat(63))).unwrap();
    let e = Digits::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("line 2") && e.contains("pixel 63 is 17; allowed 0..=16"),
        "{e}"
    );
    std::fs::write(&p, format!("{good}\n0,1\n")).unwrap();
    let e = Digits::load(&p).unwrap_err().to_string();
    assert!(e.contains("line 2") && e.contains("2 fields"), "{e}");
    std::fs::write(&p, "0,".repeat(64) + "10\n").unwrap();
    assert!(Digits::load(&p)
        .unwrap_err()
        .to_string()
        .contains("label 10"));
}

#[test]
fn shipped_model_meets_the_accuracy_targets() {
    let d = data();
    let (_, test) = d.split();
    let m = DigitsModel::load(&root().join("models/digits.json")).unwrap();
    let float = digits::accuracy(&d, &test, |img| {
        Ok(m.snn.predict(&digits::input_float::<f32>(img))?)
    })
    .unwrap();
    assert!(float >= 0.95, "float SNN test accuracy {float}");
    // The shipped network is Q16.16, Sobol, L = 256: bit-exact SC + fixed-point LIF.
    assert!(m.network.layers.iter().all(|l| l.len == 256));
    let sc = digits::sc_fixed_accuracy(&d, &test, &m.network, m.steps).unwrap();
    assert!(
        sc >= float - 0.02,
        "SC + fixed-point accuracy {sc} vs float {float}"
    );
}

#[test]
fn quantisation_round_trips_within_one_step() {
    let m = DigitsModel::load(&root().join("models/digits.json")).unwrap();
    let (ws, xs) = digits::sources("sobol");
    let spec = digits::quantise(&m.snn, LifFormat::Q16_16, 256, ws, xs).unwrap();
    assert_eq!(
        spec, m.network,
        "the shipped network is the quantised shipped float model"
    );
    let deq = digits::dequantised(&spec, &m.snn.config).unwrap();
    for (l, (wf, wq)) in m.snn.weights.iter().zip(&deq.weights).enumerate() {
        let wmax = wf.iter().fold(0f32, |a, &b| a.max(b.abs())) as f64;
        for (&a, &b) in wf.iter().zip(wq) {
            // Magnitude step wmax/65536, plus the gain's own rounding (2^-17 relative to wmax).
            assert!(
                (a as f64 - b).abs() <= wmax / 65536.0 + wmax * 1e-4 + 1e-7,
                "layer {l}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn training_reduces_the_loss() {
    let d = data();
    let (train, _) = d.split();
    let subset: Vec<usize> = train.into_iter().take(320).collect();
    let mut losses = vec![];
    digits::train(&d, &subset, digits::default_config(), 4, |_, l| {
        losses.push(l)
    })
    .unwrap();
    assert_eq!(losses.len(), 4);
    assert!(losses[3] < 0.8 * losses[0], "{losses:?}");
}

#[test]
fn model_export_layout() {
    let m = DigitsModel::load(&root().join("models/digits.json")).unwrap();
    let w = export::model_words(&m.network, m.steps).unwrap();
    assert_eq!(w[0], export::MODEL_MAGIC);
    assert_eq!(w[1] as usize, w.len() - 2);
    assert_eq!(w[3], 2); // layers
    assert_eq!(&w[4..7], &[65, 64, 10]);
    // Layer 0 starts after the two sources: its len, then its parameters.
    assert_eq!(w[11], 256);
    assert_eq!(&w[12..18], &[0, 0, 65536, 16384, 65536, 0]);
    assert_eq!(*w.last().unwrap() as usize, m.steps);
    // magic, n_words; format, n_layers, 3 dims, 4 source words; per layer
    // len, 6 parameter words, magnitudes, sign rows and gain; steps.
    assert_eq!(
        w.len(),
        2 + 2 + 3 + 4 + (7 + 65 * 64 + 64 * 3 + 1) + (7 + 64 * 10 + 10 * 2 + 1) + 1
    );
}

// ---------------------------------------------------------------------------
// Built-in data and model.

#[test]
fn shipped_data_and_model_are_built_in() {
    let d = Digits::shipped().unwrap();
    assert_eq!(d.images.len(), 1797);
    assert_eq!(d.labels, data().labels);
    let m = DigitsModel::shipped().unwrap();
    let f = DigitsModel::load(&root().join("models/digits.json")).unwrap();
    assert_eq!(m.to_json(), f.to_json());
}

#[test]
fn shipped_model_figures_are_unchanged() {
    // 352/359 = 98.1% for the float SNN and for SC + Q16.16, Sobol, L = 256.
    let d = data();
    let (_, test) = d.split();
    let m = DigitsModel::shipped().unwrap();
    let r = digits::evaluate(&m, &d, &test, &[256], |_| {}).unwrap();
    assert_eq!(r.test_images, 359);
    let float = &r.rows[0];
    assert_eq!(float.correct, vec![352], "{}", r.markdown());
    let q16 = r
        .rows
        .iter()
        .find(|r| r.model == "SC + fixed-point LIF Q16.16" && r.generator == "sobol")
        .unwrap();
    assert_eq!(q16.correct, vec![352], "{}", r.markdown());
}

// ---------------------------------------------------------------------------
// Data validation.

#[test]
fn empty_or_too_small_data_sets_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("d.csv");
    for text in ["", "\n  \n\n"] {
        std::fs::write(&p, text).unwrap();
        let e = Digits::load(&p).unwrap_err().to_string();
        assert!(e.contains("d.csv") && e.contains("no images"), "{e}");
    }
    let line = "0,".repeat(64) + "3\n";
    std::fs::write(&p, line.repeat(4)).unwrap();
    let e = Digits::load(&p).unwrap_err().to_string();
    assert!(
        e.contains("d.csv") && e.contains("0 test images") && e.contains("at least 5"),
        "{e}"
    );
    std::fs::write(&p, line.repeat(5)).unwrap();
    let d = Digits::load(&p).unwrap();
    assert_eq!(d.split(), (vec![0, 1, 2, 3], vec![4]));
}

#[test]
fn missing_input_files_say_where_they_were_looked_for() {
    let e = Digits::load(Path::new("no/such/digits.csv"))
        .unwrap_err()
        .to_string();
    let abs = std::env::current_dir().unwrap().join("no/such/digits.csv");
    assert!(
        e.contains(&abs.display().to_string()) && e.contains("current directory"),
        "{e}"
    );
    let e = DigitsModel::load(Path::new("nope.json")).unwrap_err();
    assert!(
        e.to_string().contains("model file nope.json not found"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// Model validation.

fn shipped_json() -> serde_json::Value {
    serde_json::from_str(digits::SHIPPED_MODEL).unwrap()
}

/// The error of the shipped model after `edit`.
fn edited_model_error(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v = shipped_json();
    edit(&mut v);
    model_error(&v)
}

fn model_error(v: &serde_json::Value) -> String {
    let text = serde_json::to_string(v).unwrap();
    match DigitsModel::parse(&text, "m.json") {
        Ok(_) => panic!("accepted: {}", &text[..200.min(text.len())]),
        // The whole chain, as `sc` prints it (`{:#}`).
        Err(e) => sc_host::vectors::compute::chain(&e),
    }
}

#[test]
fn model_weights_must_match_the_sizes() {
    let e = edited_model_error(|v| v["snn"]["weights"] = serde_json::json!([]));
    assert!(
        e.starts_with("m.json: ") && e.contains("snn.weights has 0 layers"),
        "{e}"
    );
    let e = edited_model_error(|v| {
        v["snn"]["weights"][1].as_array_mut().unwrap().pop();
    });
    assert!(e.contains("snn.weights[1] has 639 values"), "{e}");
    // 1e39 is inf as f32.
    let e = edited_model_error(|v| v["snn"]["weights"][0][5] = serde_json::json!(1e39));
    assert!(
        e.contains("snn.weights[0][5]") && e.contains("finite"),
        "{e}"
    );
    // The float network itself refuses weights of the wrong shape.
    let mut m = DigitsModel::shipped().unwrap();
    m.snn.weights.clear();
    assert!(m.snn.predict(&[0.0f32; 64]).is_err());
}

#[test]
fn model_steps_are_bounded() {
    for (steps, ok) in [
        (0u64, false),
        (1, true),
        (65536, true),
        (65537, false),
        (1 << 62, false),
    ] {
        let mut v = shipped_json();
        v["steps"] = serde_json::json!(steps);
        let text = serde_json::to_string(&v).unwrap();
        let r = DigitsModel::parse(&text, "m.json");
        assert_eq!(r.is_ok(), ok, "steps {steps}: {r:?}");
        if let Err(e) = r {
            assert!(e.to_string().contains("allowed 1..=65536"), "{e}");
        }
    }
    let e = edited_model_error(|v| v["snn"]["config"]["steps"] = serde_json::json!(1u64 << 40));
    assert!(e.contains("snn.config.steps"), "{e}");
}

/// The shipped model with its network in Q8.8: both layers' LIF `alpha`
/// (raw), threshold and resistance 1.0, and the layers' gains (raw).
fn shipped_q88_json(alpha: i64, gains: [i64; 2]) -> serde_json::Value {
    let mut v = shipped_json();
    v["network"]["format"] = serde_json::json!("q8.8");
    for (k, gain) in gains.into_iter().enumerate() {
        let layer = &mut v["network"]["layers"][k];
        layer["params"]["alpha"] = serde_json::json!(alpha);
        layer["params"]["threshold"] = serde_json::json!(256);
        layer["params"]["resistance"] = serde_json::json!(256);
        layer["gain"] = serde_json::json!(gain);
    }
    v
}

#[test]
fn model_network_is_validated_in_its_own_format() {
    // alpha 3.9 in Q8.8 (raw 998): the LIF leak must be at most 1.
    let v = shipped_q88_json(998, [300, 300]);
    let e = model_error(&v);
    assert!(e.contains("network (q8.8)") && e.contains("alpha"), "{e}");
    // A gain beyond Q8.8's 16-bit range.
    let mut v = shipped_q88_json(64, [40000, 300]);
    let e = model_error(&v);
    assert!(
        e.contains("network.layers[0].gain is 40000; a q8.8 raw value must be in -32768..=32767"),
        "{e}"
    );
    // The same network with in-range gains is a valid Q8.8 model.
    v["network"]["layers"][0]["gain"] = serde_json::json!(300);
    DigitsModel::parse(&serde_json::to_string(&v).unwrap(), "m.json").unwrap();
}

#[test]
fn model_network_must_match_the_float_network() {
    let e = edited_model_error(|v| v["network"]["dims"] = serde_json::json!([64, 64, 10]));
    assert!(e.contains("dims[0] must be 65"), "{e}");
    let e =
        edited_model_error(|v| v["network"]["layers"][1]["len"] = serde_json::json!(1u64 << 40));
    assert!(
        e.contains("network.layers[1].len") && e.contains("1..=65536"),
        "{e}"
    );
}

#[test]
fn unknown_model_fields_are_errors() {
    for path in [
        &[][..],
        &["snn"][..],
        &["snn", "config"][..],
        &["network"][..],
        &["network", "layers", "1", "params"][..],
        &["network", "weight_source"][..],
    ] {
        let e = edited_model_error(|v| {
            let mut o = v;
            for k in path {
                o = match k.parse::<usize>() {
                    Ok(i) => &mut o[i],
                    Err(_) => &mut o[*k],
                };
            }
            o["colour"] = serde_json::json!(1);
        });
        assert!(
            e.contains("unknown field") && e.contains("colour"),
            "{path:?}: {e}"
        );
    }
    let e = edited_model_error(|v| v["network"]["layers"][1]["colour"] = serde_json::json!(1));
    assert!(
        e.contains("unknown field `colour`") && e.contains("weights_q16"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------
// Lengths, epochs.

#[test]
fn lengths_and_epochs_are_bounded() {
    let dims = [65, 64, 10];
    assert!(digits::check_lengths(&[32, 65536], &dims).is_ok());
    for bad in [
        &[][..],
        &[0][..],
        &[65537][..],
        &[33_000_000][..],
        &[32, 32][..],
    ] {
        let e = digits::check_lengths(bad, &dims).unwrap_err().to_string();
        assert!(e.starts_with("--lengths: "), "{e}");
    }
    let d = data();
    let (train, _) = d.split();
    let e = digits::train(&d, &train, digits::default_config(), 0, |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("--epochs") && e.contains("allowed 1..="), "{e}");
}

// ---------------------------------------------------------------------------
// The report.

fn small_report(lengths: Vec<usize>) -> Report {
    let sc = |g: &str, c: Vec<usize>| Row {
        model: "SC + fixed-point LIF Q16.16".into(),
        generator: g.into(),
        length_independent: false,
        correct: c,
    };
    let k = lengths.len();
    Report {
        rows: vec![
            Row {
                model: "float SNN (f32, as trained)".into(),
                generator: "-".into(),
                length_independent: true,
                correct: vec![352],
            },
            sc("lfsr", (0..k).map(|i| 340 + i).collect()),
            sc("sobol", (0..k).map(|i| 350 - i).collect()),
        ],
        lengths,
        test_images: 359,
        steps: 16,
    }
}

#[test]
fn report_get_answers_only_for_evaluated_lengths() {
    let r = small_report(vec![32]);
    let q = "SC + fixed-point LIF Q16.16";
    assert_eq!(r.get(q, "sobol", 256), None);
    assert_eq!(r.get(q, "sobol", 32), Some(350.0 / 359.0));
    assert_eq!(r.get("float SNN", "-", 256), Some(352.0 / 359.0));
    assert_eq!(r.get("float SNN", "-", 7), Some(352.0 / 359.0));
    let r = small_report(vec![32, 256]);
    assert_eq!(r.get(q, "sobol", 256), Some(349.0 / 359.0));
    assert_eq!(r.get(q, "lfsr", 64), None);
}

#[test]
fn wilson_intervals() {
    let (lo, hi) = digits::wilson(0, 10);
    assert_eq!(lo, 0.0);
    assert!((hi - 0.27753).abs() < 1e-4, "{hi}");
    let (lo, hi) = digits::wilson(352, 359);
    assert!(lo < 352.0 / 359.0 && 352.0 / 359.0 < hi, "{lo} {hi}");
    assert!(
        (lo - 0.9603).abs() < 1e-3 && (hi - 0.9906).abs() < 1e-3,
        "{lo} {hi}"
    );
}

#[test]
fn report_csv_and_plots() {
    let r = small_report(vec![32, 64]);
    let csv = r.csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "model,generator,length,correct,n,accuracy,wilson_low,wilson_high"
    );
    assert_eq!(lines.len(), 1 + 3 * 2);
    assert!(
        lines[1].starts_with("\"float SNN (f32, as trained)\",-,32,352,359,0.980501,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[6].starts_with("SC + fixed-point LIF Q16.16,sobol,64,349,359,"),
        "{}",
        lines[6]
    );
    let svg = r.svg().unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("test accuracy (%)"),
        "{}",
        &svg[..200]
    );
    assert!(svg.contains("SC + fixed-point LIF Q16.16, Sobol"));
    let png = r.png().unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Text is drawn in the PNG (the embedded font): the legend area is not blank.
    assert!(png.len() > 20_000, "{} bytes", png.len());
}

// ---------------------------------------------------------------------------
// `sc digits` (the built binary, run in a temporary directory).

fn sc(dir: &Path, args: &[&str]) -> (Output, Duration) {
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_sc"))
        .arg("digits")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (out, t0.elapsed())
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The first 60 images of the shipped data (48 train, 12 test).
fn small_data(dir: &Path) -> PathBuf {
    let p = dir.join("small.csv");
    let lines: Vec<&str> = digits::SHIPPED_DATA.lines().take(60).collect();
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn cli_runs_outside_the_repository_with_the_built_in_data_and_model() {
    let dir = tempfile::tempdir().unwrap();
    let (o, _) = sc(dir.path(), &["--lengths", "8,16"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("1797 images (1438 train, 359 test)"), "{out}");
    // The closing lines quote a length that was evaluated.
    assert!(out.contains("float SNN: 98.1% (352/359)"), "{out}");
    assert!(out.contains("Sobol, L = 16: "), "{out}");
    assert!(!out.contains("L = 256"), "{out}");
    assert!(
        !out.contains("target") || !out.contains("target >="),
        "{out}"
    );
    assert!(!out.contains("target within"), "{out}");
    let outdir = dir.path().join("target/sc-digits");
    for f in [
        "digits-accuracy.svg",
        "digits-accuracy.png",
        "digits-accuracy.csv",
        "digits-accuracy.md",
    ] {
        let m = std::fs::metadata(outdir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(m.len() > 0, "{f}");
    }
    let csv = std::fs::read_to_string(outdir.join("digits-accuracy.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8 * 2);
}

#[test]
fn cli_missing_input_files_name_the_absolute_path_and_cwd() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["--data", "--model"] {
        let (o, _) = sc(dir.path(), &[flag, "missing.file", "--lengths", "8"]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
        let cwd = dir.path().canonicalize().unwrap();
        assert!(
            err.contains(&cwd.join("missing.file").display().to_string())
                && err.contains(&format!("current directory {}", cwd.display())),
            "{flag}: {err}"
        );
        assert!(!out.contains("test accuracy"), "{out}");
        // Nothing is left behind by a failed run.
        assert!(!dir
            .path()
            .join("target/sc-digits/digits-accuracy.svg")
            .exists());
    }
}

#[test]
fn cli_unwritable_outputs_fail_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("out.md");
    let under = under.to_str().unwrap();
    for args in [
        vec!["--report", under],
        vec!["--csv", under],
        vec!["--plot", under.trim_end_matches(".md")],
        vec!["--out-dir", under],
        vec!["--train", "--model", under],
    ] {
        let (o, t) = sc(dir.path(), &args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}\n{err}");
        assert!(
            err.contains(under.trim_end_matches("/out.md")),
            "{args:?}: {err}"
        );
        assert!(
            !out.contains("test accuracy") && !out.contains("training"),
            "{args:?}: {out}"
        );
        assert!(t < Duration::from_secs(10), "{args:?}: {t:?}");
        // The cause is printed once.
        assert_eq!(err.matches("(os error").count(), 1, "{args:?}: {err}");
    }
    let (o, _) = sc(dir.path(), &["--plot", "p.pdf"]);
    assert!(
        text(&o).1.contains("--plot p.pdf: extension .pdf"),
        "{:?}",
        text(&o)
    );
}

#[test]
fn cli_rejects_bad_numbers_before_the_work() {
    let dir = tempfile::tempdir().unwrap();
    for (args, msg) in [
        (vec!["--lengths", "33000000"], "1..=65536"),
        (vec!["--lengths", "0"], "1..=65536"),
        (
            vec!["--lengths", "32,64,32"],
            "--lengths: 32 is given twice",
        ),
        (
            vec!["--train", "--epochs", "0"],
            "--epochs: 0; allowed 1..=",
        ),
        (vec!["--epochs", "3"], "--epochs: given without --train"),
    ] {
        let (o, t) = sc(dir.path(), &args);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}\n{err}");
        assert!(err.contains(msg), "{args:?}: {err}");
        assert!(t < Duration::from_secs(10), "{args:?}: {t:?}");
        assert!(!out.contains("images"), "{args:?}: {out}");
    }
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "\n").unwrap();
    let (o, _) = sc(
        dir.path(),
        &[
            "--data",
            empty.to_str().unwrap(),
            "--train",
            "--epochs",
            "1",
        ],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(err.contains("empty.csv: no images"), "{err}");
    assert!(!dir
        .path()
        .join("target/sc-digits/digits-model.json")
        .exists());
}

#[test]
fn cli_train_writes_the_model_to_the_out_dir_or_to_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = small_data(dir.path());
    let data = data.to_str().unwrap();
    // One quick training epoch on the small data, then `dest` (where to write).
    let train = |dest: [&str; 2]| {
        let args = ["--train", "--epochs", "1", "--data", data, "--lengths", "8"];
        sc(dir.path(), &[&args[..], &dest].concat()).0
    };
    let o = train(["--out-dir", "o"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("60 images (48 train, 12 test)"), "{out}");
    let m = DigitsModel::load(&dir.path().join("o/digits-model.json")).unwrap();
    assert!(m.description.contains("1 epochs"), "{}", m.description);
    let o = train(["--model", "m/x.json"]);
    assert!(o.status.success(), "{:?}", text(&o));
    DigitsModel::load(&dir.path().join("m/x.json")).unwrap();
    // ... and `--model` then loads it.
    let (o, _) = sc(
        dir.path(),
        &["--model", "m/x.json", "--data", data, "--lengths", "8"],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("model: the m/x.json"), "{out}");
}

#[test]
fn cli_model_export_uses_the_built_in_model() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_sc"))
        .args(["model", "export", "--format", "bin", "--out", "m.bin"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{:?}", text(&o));
    let m = DigitsModel::shipped().unwrap();
    let words = export::model_words(&m.network, m.steps).unwrap();
    assert_eq!(
        std::fs::metadata(dir.path().join("m.bin")).unwrap().len() as usize,
        4 * words.len()
    );
    let o = Command::new(env!("CARGO_BIN_EXE_sc"))
        .args([
            "model", "export", "--format", "bin", "--out", "m.bin", "--model", "x.json",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let (_, err) = text(&o);
    assert!(err.contains("model file x.json not found"), "{err}");
}
