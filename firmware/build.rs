//! Build script of the firmware demos.
//!
//! 1. Picks the board's `memory.x` from `memory/` (board from `SC_BOARD`,
//!    default by target: thumbv6m -> microbit, thumbv7em -> mps2-an386,
//!    thumbv8m.main -> mps2-an505, riscv32 -> qemu-riscv-virt).
//! 2. Embeds the shared vectors (`tests/vectors/*.json`) as the export word
//!    stream of `sc vectors export` (docs/vectors.md), with case names, and
//!    the weight streams of every `network` case encoded by the kernel.
//! 3. Embeds the digits model (`models/digits.json`) as `sc model export`
//!    words with its encoded weight streams, the test images as indices into
//!    a table of input probabilities, the labels, and the prediction of the
//!    host's bit-exact reference for every test image.
//!
//! Weight streams are constants of a network, so they are encoded once, here,
//! by the same kernel code the host uses, and live in flash; the firmware
//! re-encodes each one from its probability and checks it before use.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use sc_host::digits::{input_q16, Digits, DigitsModel};
use sc_host::scnet::{LifFormat, NetworkSpec, ScNetwork};
use sc_host::vectors::compute::chain;
use sc_host::vectors::errors::{ERROR_CODES, ERROR_FLAG};
use sc_host::vectors::export::{model_words, word_stream};
use sc_host::vectors::schema::Expect;
use sc_host::vectors::{load, Case};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::LifFixed;

/// Boards: name, target architecture prefix, `memory/` file.
const BOARDS: &[(&str, &str)] = &[
    ("microbit", "thumbv6m"),
    ("mps2-an386", "thumbv7em"),
    ("mps2-an505", "thumbv8m.main"),
    ("nucleo-f411re", "thumbv7em"),
    ("nrf52840-dk", "thumbv7em"),
    ("rp-pico", "thumbv6m"),
    ("qemu-riscv-virt", "riscv32"),
];

fn fail(msg: String) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}

fn board(target: &str) -> String {
    println!("cargo:rerun-if-env-changed=SC_BOARD");
    let board = match env::var("SC_BOARD") {
        Ok(b) if !b.is_empty() => b,
        _ => {
            let default = [
                ("thumbv6m", "microbit"),
                ("thumbv7em", "mps2-an386"),
                ("thumbv8m.main", "mps2-an505"),
                ("riscv32", "qemu-riscv-virt"),
            ];
            match default.iter().find(|(t, _)| target.starts_with(t)) {
                Some((_, b)) => b.to_string(),
                None => fail(format!(
                    "no default board for target {target}; set SC_BOARD"
                )),
            }
        }
    };
    let Some((_, arch)) = BOARDS.iter().find(|(b, _)| *b == board) else {
        let names: Vec<&str> = BOARDS.iter().map(|(b, _)| *b).collect();
        fail(format!(
            "SC_BOARD={board} is not a known board; known: {}",
            names.join(", ")
        ))
    };
    if !target.starts_with(arch) {
        fail(format!(
            "SC_BOARD={board} needs a {arch}* target, but this build is for {target}"
        ));
    }
    if board == "rp-pico" && env::var_os("CARGO_FEATURE_RP_PICO").is_none() {
        fail(
            "SC_BOARD=rp-pico needs `--features rp-pico` (the RP2040 second-stage bootloader)"
                .into(),
        );
    }
    board
}

fn words_literal(out: &mut String, words: &[u32]) {
    out.push('[');
    for (k, w) in words.iter().enumerate() {
        if k % 8 == 0 {
            out.push_str("\n    ");
        }
        write!(out, "0x{w:08x}, ").unwrap();
    }
    out.push_str("\n]");
}

/// The encoded weight magnitudes (u32 words) of every layer of `spec`.
fn magnitudes(spec: &NetworkSpec) -> Vec<Vec<u32>> {
    fn enc<F: LifFixed>(spec: &NetworkSpec) -> Vec<Vec<u32>> {
        let net = ScNetwork::<F, u32>::new(spec).unwrap_or_else(|e| fail(format!("network: {e}")));
        net.layers().iter().map(|l| l.magnitudes.to_vec()).collect()
    }
    match spec.format {
        LifFormat::Q16_16 => enc::<I16F16>(spec),
        LifFormat::Q8_8 => enc::<I8F8>(spec),
    }
}

fn emit_magnitudes(out: &mut String, name: &str, layers: &[Vec<u32>]) {
    for (k, l) in layers.iter().enumerate() {
        write!(out, "static {name}_{k}: [u32; {}] = ", l.len()).unwrap();
        words_literal(out, l);
        out.push_str(";\n");
    }
    write!(out, "static {name}: [&[u32]; {}] = [", layers.len()).unwrap();
    for k in 0..layers.len() {
        write!(out, "&{name}_{k}, ").unwrap();
    }
    out.push_str("];\n");
}

fn vectors(root: &Path, out_dir: &Path) {
    let dir = root.join("tests/vectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let files: Vec<_> = paths
        .iter()
        // The error names its file; its causes follow, each once.
        .map(|p| load(p).unwrap_or_else(|e| fail(chain(&e))))
        .collect();
    let mut words = word_stream(&files).unwrap_or_else(|e| fail(format!("vectors: {e}")));
    // SC_CORRUPT_CASE=K flips the last word of case K's record (an expected
    // value in every kind): CI builds this to prove a mismatch fails the run.
    println!("cargo:rerun-if-env-changed=SC_CORRUPT_CASE");
    if let Ok(k) = env::var("SC_CORRUPT_CASE") {
        let k: usize = k
            .parse()
            .unwrap_or_else(|_| fail(format!("SC_CORRUPT_CASE={k}: not a case index")));
        let mut pos = 2;
        for _ in 0..k {
            pos += 2 + words.get(pos + 1).copied().unwrap_or(0) as usize;
        }
        let end = pos + 2 + words.get(pos + 1).copied().unwrap_or(0) as usize;
        if end > words.len() || end == pos + 2 {
            fail(format!("SC_CORRUPT_CASE={k}: no such case"));
        }
        words[end - 1] ^= 1;
        println!("cargo:warning=vectors: case {k} deliberately corrupted (SC_CORRUPT_CASE)");
    }
    let mut s = String::from("// Generated by build.rs from tests/vectors/*.json. Do not edit.\n");
    write!(s, "/// The export word stream of every vector file (docs/vectors.md).\npub static VECTORS: [u32; {}] = ", words.len()).unwrap();
    words_literal(&mut s, &words);
    s.push_str(";\n");
    let mut names = vec![];
    let mut nets = vec![];
    for f in &files {
        for c in &f.cases {
            names.push(format!("{}/{}", f.group, c.name()));
            // Error records carry no weights (their networks are invalid).
            if let Case::Network {
                network,
                expect: Expect::Value(_),
                ..
            } = c
            {
                nets.push(magnitudes(network));
            }
        }
    }
    write!(
        s,
        "/// `group/name` of every case, in stream order.\npub static CASE_NAMES: [&str; {}] = [\n",
        names.len()
    )
    .unwrap();
    for n in &names {
        writeln!(s, "    {n:?},").unwrap();
    }
    s.push_str("];\n");
    for (i, n) in nets.iter().enumerate() {
        emit_magnitudes(&mut s, &format!("NET{i}"), n);
    }
    write!(s, "/// Encoded weight magnitudes of each `network` case, per layer.\npub static NETWORK_MAGNITUDES: [&[&[u32]]; {}] = [", nets.len()).unwrap();
    for i in 0..nets.len() {
        write!(s, "&NET{i}, ").unwrap();
    }
    s.push_str("];\n");
    // Scratch sizes the runner needs for network cases.
    let max = |f: &dyn Fn(&NetworkSpec) -> usize| {
        files
            .iter()
            .flat_map(|f| &f.cases)
            .filter_map(|c| {
                if let Case::Network {
                    network,
                    expect: Expect::Value(_),
                    ..
                } = c
                {
                    Some(f(network))
                } else {
                    None
                }
            })
            .max()
            .unwrap_or(0)
    };
    let max_layers = max(&|n| n.layers.len());
    let max_neurons = max(&|n| n.dims[1..].iter().copied().max().unwrap_or(0));
    let max_x_words = max(&|n| {
        n.dims
            .iter()
            .zip(&n.layers)
            .map(|(&m, l)| m * l.len.div_ceil(32))
            .max()
            .unwrap_or(0)
    });
    writeln!(
        s,
        "/// Most layers of any network case.\npub const NET_MAX_LAYERS: usize = {max_layers};"
    )
    .unwrap();
    writeln!(s, "/// Most neurons in a layer of any network case.\npub const NET_MAX_NEURONS: usize = {max_neurons};").unwrap();
    writeln!(s, "/// Most input-stream words of a layer of any network case.\npub const NET_MAX_X_WORDS: usize = {max_x_words};").unwrap();
    // The error codes of error records: the host's table, written once.
    writeln!(s, "/// KIND flag of an error record (docs/vectors.md).\npub const ERROR_FLAG: u32 = {ERROR_FLAG:#x};").unwrap();
    writeln!(s, "/// `(spec §8 variant name, code)` of kernel errors (docs/vectors.md).\npub static ERROR_CODES: [(&str, u32); {}] = [", ERROR_CODES.len()).unwrap();
    for (n, c) in ERROR_CODES {
        writeln!(s, "    ({n:?}, {c}),").unwrap();
    }
    s.push_str("];\n");
    fs::write(out_dir.join("vectors.rs"), s)
        .unwrap_or_else(|e| fail(format!("writing vectors.rs: {e}")));
}

fn digits(root: &Path, out_dir: &Path) {
    let model_path = root.join("models/digits.json");
    let data_path = root.join("host/data/digits.csv");
    println!("cargo:rerun-if-changed={}", model_path.display());
    println!("cargo:rerun-if-changed={}", data_path.display());
    let model = DigitsModel::load(&model_path).unwrap_or_else(|e| fail(format!("{e}")));
    let data = Digits::load(&data_path).unwrap_or_else(|e| fail(format!("{e}")));
    let (_, test) = data.split();
    let spec = &model.network;
    let words = model_words(spec, model.steps).unwrap_or_else(|e| fail(format!("model: {e}")));

    // The host's bit-exact reference prediction of every test image.
    fn predict<F: LifFixed>(spec: &NetworkSpec, q: &[Vec<u32>], steps: usize) -> Vec<u8> {
        let net = ScNetwork::<F, u32>::new(spec).unwrap_or_else(|e| fail(format!("model: {e}")));
        q.iter()
            .map(|q| {
                let p: Vec<_> = q
                    .iter()
                    .map(|&v| {
                        sc_kernel::sng::Probability::from_q16(v)
                            .unwrap_or_else(|e| fail(format!("{e}")))
                    })
                    .collect();
                net.run(&p, steps)
                    .unwrap_or_else(|e| fail(format!("{e}")))
                    .predicted()
                    .unwrap_or(0) as u8
            })
            .collect()
    }
    let q: Vec<Vec<u32>> = test.iter().map(|&k| input_q16(&data.images[k])).collect();
    let expected = match spec.format {
        LifFormat::Q16_16 => predict::<I16F16>(spec, &q, model.steps),
        LifFormat::Q8_8 => predict::<I8F8>(spec, &q, model.steps),
    };
    // Input probabilities as indices into a table of the distinct values.
    let mut table: Vec<u32> = q.iter().flatten().copied().collect();
    table.sort_unstable();
    table.dedup();
    if table.len() > 256 {
        fail(format!(
            "{} distinct input probabilities; the firmware table holds 256",
            table.len()
        ));
    }
    let inputs = spec.dims[0];
    let mut s = String::from(
        "// Generated by build.rs from models/digits.json and host/data/digits.csv. Do not edit.\n",
    );
    write!(s, "/// The model as `sc model export` words (docs/vectors.md).\npub static MODEL: [u32; {}] = ", words.len()).unwrap();
    words_literal(&mut s, &words);
    s.push_str(";\n");
    emit_magnitudes(&mut s, "MODEL_MAG", &magnitudes(spec));
    s.push_str("/// Encoded weight magnitudes of each layer of the model.\npub static MODEL_MAGNITUDES: &[&[u32]] = &MODEL_MAG;\n");
    write!(s, "/// Distinct input probabilities (Q0.16) of the test images.\npub static INPUT_TABLE: [u32; {}] = ", table.len()).unwrap();
    words_literal(&mut s, &table);
    s.push_str(";\n");
    writeln!(s, "/// Model inputs per image (64 pixels and the bias input).\npub const INPUTS: usize = {inputs};").unwrap();
    write!(s, "/// Test images: per image, per input, an index into [`INPUT_TABLE`].\npub static IMAGES: [[u8; {inputs}]; {}] = [\n", q.len()).unwrap();
    for img in &q {
        s.push_str("    [");
        for v in img {
            write!(s, "{},", table.binary_search(v).unwrap_or(0)).unwrap();
        }
        s.push_str("],\n");
    }
    s.push_str("];\n");
    write!(
        s,
        "/// Labels of the test images.\npub static LABELS: [u8; {}] = {:?};\n",
        test.len(),
        test.iter().map(|&k| data.labels[k]).collect::<Vec<u8>>()
    )
    .unwrap();
    write!(s, "/// The host's bit-exact predictions of the test images.\npub static EXPECTED: [u8; {}] = {:?};\n", expected.len(), expected).unwrap();
    writeln!(
        s,
        "/// Neurons of the widest layer.\npub const MAX_NEURONS: usize = {};",
        spec.dims[1..].iter().max().copied().unwrap_or(0)
    )
    .unwrap();
    writeln!(
        s,
        "/// Input-stream words of the widest layer input.\npub const MAX_X_WORDS: usize = {};",
        spec.dims
            .iter()
            .zip(&spec.layers)
            .map(|(&m, l)| m * l.len.div_ceil(32))
            .max()
            .unwrap_or(0)
    )
    .unwrap();
    writeln!(
        s,
        "/// Layers.\npub const LAYERS: usize = {};",
        spec.layers.len()
    )
    .unwrap();
    fs::write(out_dir.join("digits.rs"), s)
        .unwrap_or_else(|e| fail(format!("writing digits.rs: {e}")));
}

fn main() {
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("firmware/ is inside the repository")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(sc_board, values(\"microbit\", \"mps2-an386\", \"mps2-an505\", \"nucleo-f411re\", \"nrf52840-dk\", \"rp-pico\", \"qemu-riscv-virt\"))");

    let board = board(&target);
    let mem = manifest.join("memory").join(format!("{board}.x"));
    println!("cargo:rerun-if-changed={}", mem.display());
    fs::copy(&mem, out_dir.join("memory.x"))
        .unwrap_or_else(|e| fail(format!("{}: {e}", mem.display())));
    println!("cargo:rustc-link-search={}", out_dir.display());
    println!("cargo:rustc-cfg=sc_board=\"{board}\"");
    println!("cargo:rustc-env=SC_BOARD={board}");

    vectors(&root, &out_dir);
    digits(&root, &out_dir);
}
