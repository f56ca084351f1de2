//! `sc run`: a user's job from files, and the errors bad files get.

use std::path::Path;

mod common;
use common::{p, sc};

/// The first `n` digits images as CSV rows of 64 pixels (0..=16).
fn digits_csv(dir: &Path, n: usize) -> (String, Vec<usize>) {
    let data = sc_host::digits::Digits::shipped().unwrap();
    let mut s = String::from(
        &(0..64)
            .map(|i| format!("px{i}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    s.push('\n');
    let mut expect = vec![];
    let model = sc_host::digits::DigitsModel::shipped().unwrap();
    let (_, test) = data.split();
    for &i in test.iter().take(n) {
        let img = &data.images[i];
        s.push_str(
            &img.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
        s.push('\n');
        let q = sc_host::digits::input_q16(img);
        let run = sc_host::scnet::run_network::<u64>(&model.network, &q, model.steps).unwrap();
        expect.push(run.predicted().unwrap());
    }
    let path = p(dir, "digits.csv");
    std::fs::write(&path, s).unwrap();
    (path, expect)
}

#[test]
fn digits_on_every_backend_equal_the_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let (input, expect) = digits_csv(dir.path(), 40);
    let mut outs = vec![];
    let backends: &[&str] = if cfg!(feature = "gpu") {
        &["kernel", "cpu", "gpu"]
    } else {
        &["kernel", "cpu"]
    };
    for &backend in backends {
        let out = p(dir.path(), &format!("{backend}.json"));
        let (code, _, err) = sc(&[
            "run",
            "--input",
            &input,
            "--pixel-max",
            "16",
            "--backend",
            backend,
            "--out",
            &out,
            "--batch",
            "7",
        ]);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let pred: Vec<usize> = serde_json::from_value(v["predictions"].clone()).unwrap();
        assert_eq!(pred, expect, "{backend}");
        assert_eq!(v["counts"].as_array().unwrap().len(), 40);
        outs.push(v["counts"].clone());
    }
    for o in &outs[1..] {
        assert_eq!(&outs[0], o);
    }
}

#[test]
fn npy_in_and_out_with_spikes_and_raster() {
    let dir = tempfile::tempdir().unwrap();
    // A 2 x 65 float64 array of probabilities (a digits model with its bias input).
    let mut bytes = vec![];
    {
        use npyz::WriterBuilder;
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[2, 65])
            .writer(&mut bytes)
            .begin_nd()
            .unwrap();
        // The last column is the bias input: it must be 1.
        w.extend((0..130).map(|i| {
            if i % 65 == 64 {
                1.0
            } else {
                (i % 7) as f64 / 6.0
            }
        }))
        .unwrap();
        w.finish().unwrap();
    }
    let input = p(dir.path(), "x.npy");
    std::fs::write(&input, bytes).unwrap();
    let out = p(dir.path(), "y.npy");
    let svg = p(dir.path(), "r.svg");
    let (code, _, err) = sc(&[
        "run",
        "--input",
        &input,
        "--out",
        &out,
        "--spikes",
        "--steps",
        "5",
        "--raster",
        &svg,
        "--raster-sample",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    fn read<T: npyz::Deserialize>(path: std::path::PathBuf) -> (Vec<u64>, Vec<T>) {
        let b = std::fs::read(path).unwrap();
        let f = npyz::NpyFile::new(&b[..]).unwrap();
        (f.shape().to_vec(), f.into_vec().unwrap())
    }
    let (shape, counts) = read::<i64>(dir.path().join("y.npy"));
    assert_eq!(shape, [2, 10]);
    assert!(counts.iter().all(|&c| (0..=5).contains(&c)));
    let (shape, _) = read::<i64>(dir.path().join("y.predictions.npy"));
    assert_eq!(shape, [2]);
    let (shape, spikes) = read::<u8>(dir.path().join("y.spikes.npy"));
    assert_eq!(shape, [2, 5, 74]);
    // The last layer's spikes add up to the counts.
    for s in 0..2 {
        for j in 0..10 {
            let n: i64 = (0..5)
                .map(|t| i64::from(spikes[s * 5 * 74 + t * 74 + 64 + j]))
                .sum();
            assert_eq!(n, counts[s * 10 + j]);
        }
    }
    let svg = std::fs::read_to_string(&svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("sample 1"));
}

#[test]
fn bare_network_and_csv_out() {
    let dir = tempfile::tempdir().unwrap();
    let file: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/network.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let case = &file["cases"][0];
    let model = p(dir.path(), "net.json");
    std::fs::write(&model, case["network"].to_string()).unwrap();
    let probs: Vec<String> = case["inputs_q16"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| format!("{}", q.as_f64().unwrap() / 65536.0))
        .collect();
    let input = p(dir.path(), "x.csv");
    std::fs::write(&input, probs.join(",") + "\n").unwrap();
    let out = p(dir.path(), "y.csv");
    let steps = case["steps"].to_string();
    let (code, _, err) = sc(&[
        "run", "--model", &model, "--input", &input, "--values", "prob", "--steps", &steps,
        "--out", &out,
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let row: Vec<u32> = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .skip(2)
        .map(|c| c.parse().unwrap())
        .collect();
    let expect: Vec<u32> = serde_json::from_value(case["expect"]["counts"].clone()).unwrap();
    assert_eq!(row, expect);
    // A bare network needs --steps.
    let (code, _, err) = sc(&["run", "--model", &model, "--input", &input, "--out", &out]);
    assert_eq!(code, 2);
    assert!(err.contains("--steps"), "{err}");
}

#[test]
fn bad_files_get_errors_that_name_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let out = p(dir.path(), "o.json");
    let cases: &[(&str, &[u8], &[&str], &str)] = &[
        (
            "a.csv",
            b"1,2,3\n",
            &[],
            "3 values per row, the model has 65 inputs",
        ),
        ("b.csv", b"", &[], "no rows"),
        ("c.csv", &[b'0'; 0], &[], "no rows"),
        ("d.txt.bin", b"0", &[], "unknown file type"),
        ("e.npy", b"\x93NUMPY garbage", &[], "not a .npy file"),
    ];
    for (name, bytes, extra, want) in cases {
        let f = p(dir.path(), name);
        std::fs::write(&f, bytes).unwrap();
        let mut args = vec!["run", "--input", &f, "--out", &out];
        args.extend_from_slice(extra);
        let (code, _, err) = sc(&args);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
    }
    // A value out of range names its row and column.
    let mut row: Vec<String> = vec!["0".into(); 64];
    row[5] = "17".into();
    let f = p(dir.path(), "px.csv");
    std::fs::write(
        &f,
        format!("{}\n{}\n", vec!["0"; 64].join(","), row.join(",")),
    )
    .unwrap();
    let (code, _, err) = sc(&["run", "--input", &f, "--pixel-max", "16", "--out", &out]);
    assert_eq!(code, 2);
    assert!(err.contains("row 1, column 5: 17"), "{err}");
    let (code, _, err) = sc(&["run", "--input", &f, "--values", "prob", "--out", &out]);
    assert_eq!(code, 2);
    assert!(
        err.contains("row 1, column 5") && err.contains("[0, 1]"),
        "{err}"
    );
    // Ragged rows and words.
    std::fs::write(&f, "0,0\n0\n").unwrap();
    let (code, _, err) = sc(&["run", "--input", &f, "--out", &out]);
    assert_eq!(code, 2);
    assert!(err.contains("line 2"), "{err}");
    // An .npy header promising more data than the file holds.
    let mut header =
        "{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999999, 65), }".to_string();
    while !(header.len() + 11).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut s = b"\x93NUMPY\x01\x00".to_vec();
    s.extend_from_slice(&(header.len() as u16).to_le_bytes());
    s.extend_from_slice(header.as_bytes());
    s.extend_from_slice(&[0u8; 64]);
    let f = p(dir.path(), "big.npy");
    std::fs::write(&f, &s).unwrap();
    let (code, _, err) = sc(&["run", "--input", &f, "--out", &out]);
    assert_eq!(code, 2);
    assert!(err.contains("needs more data"), "{err}");
    // A model that is neither kind.
    let m = p(dir.path(), "m.json");
    std::fs::write(&m, "{\"dims\": [1]}").unwrap();
    let (code, _, err) = sc(&["run", "--model", &m, "--input", &f, "--out", &out]);
    assert_eq!(code, 2);
    assert!(err.contains("model") && err.contains("network"), "{err}");
    // Unknown output type, GPU networks, sample index.
    let good = p(dir.path(), "g.csv");
    std::fs::write(&good, vec!["0"; 64].join(",") + "\n").unwrap();
    let (code, _, err) = sc(&["run", "--input", &good, "--out", &p(dir.path(), "o.txt")]);
    assert_eq!(code, 2);
    assert!(err.contains(".json, .csv or .npy"), "{err}");
    let (code, _, err) = sc(&[
        "run",
        "--input",
        &good,
        "--out",
        &out,
        "--raster",
        &p(dir.path(), "r.png"),
        "--raster-sample",
        "3",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--raster-sample 3"), "{err}");
    let (code, _, err) = sc(&["run", "--input", &good, "--out", &out, "--batch", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--batch"), "{err}");
}
