//! Build script of the firmware demos. It uses the kernel only (no host
//! crate): the words it embeds were exported by the host into
//! `firmware/data/` (`scripts/firmware-data.sh`; a host test checks that
//! they are current).
//!
//! 1. Picks the board's `memory.x` from `memory/` (board from `SC_BOARD`,
//!    default by target: thumbv6m -> microbit, thumbv7em -> mps2-an386,
//!    thumbv8m.main -> mps2-an505, riscv32 -> qemu-riscv-virt).
//! 2. Embeds the shared vectors (`data/vectors.bin`, the export word
//!    stream of `tests/vectors/*.json`, docs/vectors.md), the case names
//!    (from the JSON files), and the weight streams of every `network`
//!    record, encoded by the kernel, with its counting form (spec §7.1).
//! 3. Embeds the digits model (`data/digits-model.bin`) in the counting
//!    form of spec §7.1 (signed weight counts, 2 bytes per synapse, and
//!    layer 0's weight-order ranks, from the kernel's `count` module), and
//!    the test images (`data/digits-samples.bin`) as
//!    indices into a table of input probabilities, with their labels and
//!    the host's bit-exact predictions.
//!
//! Weight streams and counts are constants of a network, so they are made
//! once, here, by the same kernel code the host uses, and live in flash;
//! the firmware re-encodes each stream from its probability and checks the
//! stream, or the count, before use.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use sc_kernel::count::{ones_table, weight_counts, weight_ranks, ONES_TABLE_LEN};
use sc_kernel::mac::MacShape;
use sc_kernel::net::encode_weights;
use sc_kernel::sng::Probability;
use sc_kernel::wire::{Kind, Model, Network, NetworkRecord, Reader, Records, Samples};

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

/// Little-endian words of `data/NAME` (exported by the host).
fn data_words(manifest: &Path, name: &str) -> Vec<u32> {
    let path = manifest.join("data").join(name);
    println!("cargo:rerun-if-changed={}", path.display());
    let bytes = fs::read(&path).unwrap_or_else(|e| {
        fail(format!(
            "{}: {e} (run scripts/firmware-data.sh to export it)",
            path.display()
        ))
    });
    if !bytes.len().is_multiple_of(4) {
        fail(format!("{}: not whole 32-bit words", path.display()));
    }
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// The encoded weight magnitudes (u32 words) of every layer of `net`.
fn magnitudes(net: &Network<'_>) -> Vec<Vec<u32>> {
    net.layers()
        .enumerate()
        .map(|(k, l)| {
            let (m, n) = (net.head.dims[k] as usize, net.head.dims[k + 1] as usize);
            let shape = MacShape::new(n, m, l.len as usize)
                .unwrap_or_else(|e| fail(format!("network layer {k}: {e}")));
            let probs: Vec<Probability> = l
                .weights_q16
                .iter()
                .map(|&q| Probability::from_q16(q).unwrap_or_else(|e| fail(format!("{e}"))))
                .collect();
            let words = shape
                .weight_rows()
                .words::<u32>()
                .unwrap_or_else(|e| fail(format!("{e}")));
            let mut out = vec![0u32; words];
            encode_weights(&shape, net.head.weight_source, &probs, &mut out)
                .unwrap_or_else(|e| fail(format!("network layer {k}: {e}")));
            out
        })
        .collect()
}

/// The counting form of `net` (spec §7.1), from the kernel's `count`
/// module: per layer the signed weight counts `s_ji * n_ji` (i16,
/// input-major), and layer 0's rank of each stream position.
fn count_form(net: &Network<'_>) -> (Vec<Vec<i16>>, Vec<u32>) {
    let source = net.head.weight_source;
    let mut ones = vec![0u32; ONES_TABLE_LEN];
    let weights = net
        .layers()
        .enumerate()
        .map(|(k, l)| {
            let (m, n) = (net.head.dims[k] as usize, net.head.dims[k + 1] as usize);
            ones_table(source, l.len as usize, &mut ones)
                .unwrap_or_else(|e| fail(format!("network layer {k}: {e}")));
            let sign_row = m.div_ceil(32);
            let mut out = vec![0i16; n * m];
            weight_counts(
                &ones,
                n,
                m,
                |j, i| {
                    Probability::from_q16(l.weights_q16[j * m + i])
                        .unwrap_or_else(|e| fail(format!("network layer {k}: {e}")))
                },
                |j, i| l.signs[j * sign_row + i / 32] >> (i % 32) & 1 == 1,
                &mut out,
            )
            .unwrap_or_else(|e| {
                fail(format!(
                    "network layer {k}: {e} (the firmware stores counts as i16: L <= 32767)"
                ))
            });
            out
        })
        .collect();
    let len0 = net.layers().next().map_or(0, |l| l.len as usize);
    let (mut values, mut order, mut rank) = (vec![0u16; len0], vec![0u32; len0], vec![0u32; len0]);
    weight_ranks(source, &mut values, &mut order, &mut rank)
        .unwrap_or_else(|e| fail(format!("network layer 0: {e}")));
    (weights, rank)
}

fn emit_counts(out: &mut String, name: &str, layers: &[Vec<i16>]) {
    for (k, l) in layers.iter().enumerate() {
        write!(out, "static {name}_{k}: [i16; {}] = [", l.len()).unwrap();
        for (x, w) in l.iter().enumerate() {
            if x % 16 == 0 {
                out.push_str("\n    ");
            }
            write!(out, "{w}, ").unwrap();
        }
        out.push_str("\n];\n");
    }
    write!(out, "static {name}: [&[i16]; {}] = [", layers.len()).unwrap();
    for k in 0..layers.len() {
        write!(out, "&{name}_{k}, ").unwrap();
    }
    out.push_str("];\n");
}

/// Most input-stream words of any layer of `net`.
fn max_x_words(net: &Network<'_>) -> usize {
    net.layers()
        .enumerate()
        .map(|(k, l)| net.head.dims[k] as usize * (l.len as usize).div_ceil(32))
        .max()
        .unwrap_or(0)
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

/// `group/name` of every case of the vector files, in export order (the
/// files sorted by name, as `scripts/firmware-data.sh` exports them).
fn case_names(root: &Path) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    #[derive(serde::Deserialize)]
    struct File {
        group: String,
        cases: Vec<Named>,
    }
    let dir = root.join("tests/vectors");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| fail(format!("{}: {e}", dir.display())))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let mut names = vec![];
    for p in paths {
        let text = fs::read_to_string(&p).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
        let f: File =
            serde_json::from_str(&text).unwrap_or_else(|e| fail(format!("{}: {e}", p.display())));
        names.extend(
            f.cases
                .into_iter()
                .map(|c| format!("{}/{}", f.group, c.name)),
        );
    }
    names
}

fn vectors(root: &Path, manifest: &Path, out_dir: &Path) {
    let mut words = data_words(manifest, "vectors.bin");
    let names = case_names(root);
    // SC_CORRUPT_CASE=K flips the last word of case K's record (an expected
    // value in every kind): CI builds this to prove a mismatch fails the run.
    println!("cargo:rerun-if-env-changed=SC_CORRUPT_CASE");
    if let Ok(k) = env::var("SC_CORRUPT_CASE") {
        let k: usize = k
            .parse()
            .unwrap_or_else(|_| fail(format!("SC_CORRUPT_CASE={k}: not a case index")));
        let mut records = Records::new(&words).unwrap_or_else(|e| fail(format!("vectors: {e}")));
        let mut end = None;
        for i in 0..=k {
            let pos = records.pos();
            match records.next() {
                Some(Ok(r)) if i == k && !r.payload.is_empty() => {
                    end = Some(pos + 2 + r.payload.len())
                }
                Some(Ok(_)) => {}
                _ => break,
            }
        }
        let Some(end) = end else {
            fail(format!("SC_CORRUPT_CASE={k}: no such case"))
        };
        words[end - 1] ^= 1;
        println!("cargo:warning=vectors: case {k} deliberately corrupted (SC_CORRUPT_CASE)");
    }
    let records = Records::new(&words).unwrap_or_else(|e| fail(format!("vectors: {e}")));
    if records.announced() != names.len() {
        fail(format!(
            "data/vectors.bin has {} records, tests/vectors/*.json {} cases: run scripts/firmware-data.sh",
            records.announced(),
            names.len()
        ));
    }
    // Network records (not error records: their networks are invalid).
    let (mut nets, mut forms) = (vec![], vec![]);
    let (mut max_layers, mut max_neurons, mut max_x, mut max_table) = (0, 0, 0, 0);
    for r in records {
        let r = r.unwrap_or_else(|e| fail(format!("vectors: {e}")));
        if r.kind() == Some(Kind::Network) && r.error().is_none() {
            let rec = NetworkRecord::parse(&mut Reader::new(r.payload), true)
                .unwrap_or_else(|e| fail(format!("vectors: network record: {e}")));
            let net = rec.network;
            max_layers = max_layers.max(net.head.layers());
            max_neurons =
                max_neurons.max(net.head.dims[1..].iter().copied().max().unwrap_or(0) as usize);
            max_x = max_x.max(max_x_words(&net));
            max_table = max_table.max(net.layers().map(|l| l.len as usize + 1).max().unwrap_or(0));
            nets.push(magnitudes(&net));
            forms.push(count_form(&net));
        }
    }
    let mut s = String::from(
        "// Generated by build.rs from data/vectors.bin and tests/vectors/*.json. Do not edit.\n",
    );
    write!(s, "/// The export word stream of every vector file (docs/vectors.md).\npub static VECTORS: [u32; {}] = ", words.len()).unwrap();
    words_literal(&mut s, &words);
    s.push_str(";\n");
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
    for (i, (counts, rank)) in forms.iter().enumerate() {
        emit_counts(&mut s, &format!("NETC{i}"), counts);
        write!(s, "static NETR{i}: [u32; {}] = ", rank.len()).unwrap();
        words_literal(&mut s, rank);
        s.push_str(";\n");
    }
    write!(s, "/// The counting form (spec §7.1) of each `network` case.\npub static NETWORK_COUNTS: [crate::netdesc::CountForm<'static>; {}] = [", forms.len()).unwrap();
    for i in 0..forms.len() {
        write!(
            s,
            "crate::netdesc::CountForm {{ weights: &NETC{i}, rank: &NETR{i} }}, "
        )
        .unwrap();
    }
    s.push_str("];\n");
    writeln!(s, "/// The longest stream of any network case plus one (layer 0's prefix table).\npub const NET_MAX_TABLE: usize = {max_table};").unwrap();
    writeln!(
        s,
        "/// Most layers of any network case.\npub const NET_MAX_LAYERS: usize = {max_layers};"
    )
    .unwrap();
    writeln!(s, "/// Most neurons in a layer of any network case.\npub const NET_MAX_NEURONS: usize = {max_neurons};").unwrap();
    writeln!(s, "/// Most input-stream words of a layer of any network case.\npub const NET_MAX_X_WORDS: usize = {max_x};").unwrap();
    fs::write(out_dir.join("vectors.rs"), s)
        .unwrap_or_else(|e| fail(format!("writing vectors.rs: {e}")));
}

fn digits(manifest: &Path, out_dir: &Path) {
    let model_words = data_words(manifest, "digits-model.bin");
    let sample_words = data_words(manifest, "digits-samples.bin");
    let model =
        Model::parse(&model_words).unwrap_or_else(|e| fail(format!("digits-model.bin: {e}")));
    let samples =
        Samples::parse(&sample_words).unwrap_or_else(|e| fail(format!("digits-samples.bin: {e}")));
    let net = model.network;
    let inputs = net.head.dims[0] as usize;
    if samples.inputs() != inputs {
        fail(format!(
            "digits-samples.bin has {} inputs per sample, the model {inputs}: run scripts/firmware-data.sh",
            samples.inputs()
        ));
    }
    // Input probabilities as indices into a table of the distinct values.
    let mut table: Vec<u32> = samples
        .iter()
        .flat_map(|s| s.inputs_q16.iter().copied())
        .collect();
    table.sort_unstable();
    table.dedup();
    if table.len() > 256 {
        fail(format!(
            "{} distinct input probabilities; the firmware table holds 256",
            table.len()
        ));
    }
    let mut s = String::from(
        "// Generated by build.rs from data/digits-model.bin and data/digits-samples.bin. Do not edit.\n",
    );
    write!(s, "/// The model as `sc model export` words (docs/vectors.md).\npub static MODEL: [u32; {}] = ", model_words.len()).unwrap();
    words_literal(&mut s, &model_words);
    s.push_str(";\n");
    let (counts, rank) = count_form(&net);
    emit_counts(&mut s, "MODEL_CNT", &counts);
    s.push_str("/// Signed weight counts of each layer of the model (spec §7.1), input-major.\npub static MODEL_COUNTS: &[&[i16]] = &MODEL_CNT;\n");
    write!(s, "/// Layer 0's rank of each stream position in weight order (spec §7.1).\npub static MODEL_RANK: [u32; {}] = ", rank.len()).unwrap();
    words_literal(&mut s, &rank);
    s.push_str(";\n");
    writeln!(
        s,
        "/// The longest stream of the model plus one (layer 0's prefix table).\npub const MAX_TABLE: usize = {};",
        net.layers().map(|l| l.len as usize + 1).max().unwrap_or(0)
    )
    .unwrap();
    write!(s, "/// Distinct input probabilities (Q0.16) of the test images.\npub static INPUT_TABLE: [u32; {}] = ", table.len()).unwrap();
    words_literal(&mut s, &table);
    s.push_str(";\n");
    writeln!(s, "/// Model inputs per image (64 pixels and the bias input).\npub const INPUTS: usize = {inputs};").unwrap();
    write!(s, "/// Test images: per image, per input, an index into [`INPUT_TABLE`].\npub static IMAGES: [[u8; {inputs}]; {}] = [\n", samples.len()).unwrap();
    for smp in samples.iter() {
        s.push_str("    [");
        for v in smp.inputs_q16 {
            write!(s, "{},", table.binary_search(v).unwrap_or(0)).unwrap();
        }
        s.push_str("],\n");
    }
    s.push_str("];\n");
    let small = |v: u32| u8::try_from(v).unwrap_or_else(|_| fail(format!("class {v} past 255")));
    let labels: Vec<u8> = samples.iter().map(|x| small(x.label)).collect();
    let expected: Vec<u8> = samples.iter().map(|x| small(x.predicted)).collect();
    write!(
        s,
        "/// Labels of the test images.\npub static LABELS: [u8; {}] = {labels:?};\n",
        labels.len()
    )
    .unwrap();
    write!(s, "/// The host's bit-exact predictions of the test images.\npub static EXPECTED: [u8; {}] = {expected:?};\n", expected.len()).unwrap();
    writeln!(
        s,
        "/// Neurons of the widest layer.\npub const MAX_NEURONS: usize = {};",
        net.head.dims[1..].iter().max().copied().unwrap_or(0)
    )
    .unwrap();
    writeln!(
        s,
        "/// Layers.\npub const LAYERS: usize = {};",
        net.head.layers()
    )
    .unwrap();
    let lif = match net.head.format {
        sc_kernel::lif::Format::Q16_16 => "I16F16",
        sc_kernel::lif::Format::Q8_8 => "I8F8",
    };
    writeln!(
        s,
        "/// The model's LIF format.\npub type Lif = sc_kernel::fixed::types::{lif};"
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

    transport(&board);
    vectors(&root, &manifest, &out_dir);
    digits(&manifest, &out_dir);
}

// ---- The defmt transport (boards branch; see src/platform.rs) ----------

/// Boards that run in QEMU: their images log over semihosting. Every other
/// board is real hardware: RTT (defmt-rtt, panic-probe), which `probe-rs run`
/// decodes.
const EMULATED: &[&str] = &["microbit", "mps2-an386", "mps2-an505", "qemu-riscv-virt"];

/// Emits `cfg(sc_transport = "rtt" | "semihosting")`: from the board, or
/// from `SC_TRANSPORT` (e.g. `SC_TRANSPORT=rtt` on mps2-an386, which is how
/// CI reads a board image's RTT output in QEMU). RTT is Cortex-M only here.
fn transport(board: &str) {
    println!("cargo::rustc-check-cfg=cfg(sc_transport, values(\"rtt\", \"semihosting\"))");
    println!("cargo:rerun-if-env-changed=SC_TRANSPORT");
    let default = if EMULATED.contains(&board) {
        "semihosting"
    } else {
        "rtt"
    };
    let transport = match env::var("SC_TRANSPORT") {
        Ok(t) if t.is_empty() => default.to_string(),
        Ok(t) if t == "rtt" || t == "semihosting" => t,
        Ok(t) => fail(format!("SC_TRANSPORT={t}: use rtt or semihosting")),
        Err(_) => default.to_string(),
    };
    if transport == "rtt" && board == "qemu-riscv-virt" {
        fail("SC_TRANSPORT=rtt: the RTT transport is for Cortex-M boards".into());
    }
    println!("cargo:rustc-cfg=sc_transport=\"{transport}\"");
    println!("cargo:rustc-env=SC_TRANSPORT={transport}");
}
