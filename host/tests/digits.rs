//! The digits job: data loading, the shipped model's accuracy targets,
//! quantisation, training, and the model export.

use std::path::PathBuf;

use sc_host::digits::{self, Digits, DigitsModel};
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
    assert_eq!(m.network.len, 256);
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
    let deq = digits::dequantised(&spec, &m.snn.config);
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
    assert_eq!(w[7], 256);
    assert_eq!(*w.last().unwrap() as usize, m.steps);
    // magic, len; 16 header words; per layer magnitudes, sign rows and gain; steps.
    assert_eq!(
        w.len(),
        2 + 6 + 4 + 6 + 65 * 64 + 64 * 3 + 1 + 64 * 10 + 10 * 2 + 1 + 1
    );
}
