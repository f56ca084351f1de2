//! `firmware/data/` holds the words the firmware embeds (its build script
//! uses only the kernel). They must be what the host exports today from
//! `tests/vectors/*.json` and the shipped model: regenerate them with
//! `scripts/firmware-data.sh`.

use std::path::PathBuf;

use sc_host::digits::{self, Digits, DigitsModel};
use sc_host::vectors::export::{model_words, word_stream};
use sc_host::vectors::load;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn committed(name: &str) -> Vec<u32> {
    let path = root().join("firmware/data").join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(bytes.len() % 4, 0, "{}", path.display());
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn assert_current(name: &str, now: &[u32]) {
    let old = committed(name);
    let first = old.iter().zip(now).position(|(a, b)| a != b);
    assert!(
        old.len() == now.len() && first.is_none(),
        "firmware/data/{name} is stale ({} words committed, {} exported now, first difference at word {first:?}); \
         run scripts/firmware-data.sh and commit the result",
        old.len(),
        now.len()
    );
}

#[test]
fn firmware_data_is_current() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join("tests/vectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    let files: Vec<_> = paths.iter().map(|p| load(p).unwrap()).collect();
    assert_current("vectors.bin", &word_stream(&files).unwrap());

    let model = DigitsModel::load(&root().join("models/digits.json")).unwrap();
    assert_current(
        "digits-model.bin",
        &model_words(&model.network, model.steps).unwrap(),
    );
    let samples = digits::sample_words(&model, &Digits::shipped().unwrap()).unwrap();
    assert_current("digits-samples.bin", &samples);
    // The host's predictions in the sample set agree with its labels as
    // often as the report says the shipped model does (352 of 359).
    let set = sc_kernel::wire::Samples::parse(&samples).unwrap();
    let correct = set.iter().filter(|s| s.label == s.predicted).count();
    assert_eq!((set.len(), correct), (359, 352));
}
