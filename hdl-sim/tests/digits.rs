//! The digits classifier on the network core (`rtl/sc_net.v`, Verilator):
//! the shipped model and all 359 test images, as exported for the firmware
//! (`firmware/data/digits-model.bin`, `digits-samples.bin`, which the host
//! test `firmware_data_is_current` keeps equal to `sc model export
//! --samples`). Every image's spike counts must equal the kernel
//! reference's (`sc_kernel::net`, what the host and the firmware run bit
//! for bit) and its predicted class the host's, recorded in the sample set.

use std::path::PathBuf;

mod common;

use sc_hdl_sim::Net;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::{Format, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{argmax, encode_weights, Layer, LayerState, Network};
use sc_kernel::sng::Probability;
use sc_kernel::wire::{Model, Samples};
use sc_kernel::words_for;

fn words(name: &str) -> Vec<u32> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../firmware/data")
        .join(name);
    let b = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(b.len() % 4, 0, "{}: not whole words", p.display());
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[test]
fn digits_on_the_network_core_match_the_host() {
    let Some(mut net) = common::model_or_skip(Net::new()) else {
        return;
    };
    let model_words = words("digits-model.bin");
    let sample_words = words("digits-samples.bin");
    let model = Model::parse(&model_words).unwrap();
    let samples = Samples::parse(&sample_words).unwrap();
    assert_eq!(samples.len(), 359, "the digits test set has 359 images");
    let netw = model.network;
    netw.validate().unwrap();
    assert_eq!(netw.head.format, Format::Q16_16);
    let dims: Vec<usize> = netw.head.dims.iter().map(|&d| d as usize).collect();
    let outputs = *dims.last().unwrap();
    let steps = model.steps;

    // The kernel reference (spec 7, the bitstream form).
    let recs: Vec<_> = netw.layers().collect();
    let mut mags: Vec<Vec<u32>> = Vec::new();
    let mut shapes = Vec::new();
    for (k, l) in recs.iter().enumerate() {
        let shape = MacShape::new(dims[k + 1], dims[k], l.len as usize).unwrap();
        let p: Vec<Probability> = l
            .weights_q16
            .iter()
            .map(|&w| Probability::from_q16(w).unwrap())
            .collect();
        let mut m = vec![0u32; dims[k + 1] * dims[k] * words_for::<u32>(l.len as usize)];
        encode_weights(&shape, netw.head.weight_source, &p, &mut m).unwrap();
        mags.push(m);
        shapes.push(shape);
    }
    let layers: Vec<Layer<'_, LifParams<I16F16>, u32>> = recs
        .iter()
        .enumerate()
        .map(|(k, l)| Layer {
            shape: shapes[k],
            magnitudes: &mags[k],
            signs: l.signs,
            gain: I16F16::from_bits(l.gain),
            params: l.lif_params::<I16F16>().unwrap(),
        })
        .collect();
    let nl = layers.len();
    let mut bufs: Vec<_> = (0..nl)
        .map(|k| {
            let n = dims[k + 1];
            (
                vec![I16F16::ZERO; n],
                vec![0u16; n],
                vec![0i32; n],
                vec![I16F16::ZERO; n],
                vec![0u32; words_for::<u32>(n)],
                vec![0u32; dims[k] * words_for::<u32>(recs[k].len as usize)],
            )
        })
        .collect();
    let mut states: Vec<_> = bufs
        .iter_mut()
        .map(|(v, r, c, cur, sp, x)| LayerState {
            v,
            refractory: r,
            counts: c,
            current: cur,
            spikes: sp,
            x,
        })
        .collect();
    let mut reference = Network::new(&layers, &mut states, netw.head.input_source).unwrap();

    // The core: the model words from `format` on.
    let prep = net.load(&model_words[2..]).unwrap();
    let (mut cycles, mut spikes, mut agree_label) = (0u64, 0u64, 0usize);
    for (s, sample) in samples.iter().enumerate() {
        let inputs: Vec<Probability> = sample
            .inputs_q16
            .iter()
            .map(|&p| Probability::from_q16(p).unwrap())
            .collect();
        reference.reset();
        let mut want = vec![0u32; outputs];
        for _ in 0..steps {
            reference.step(&inputs).unwrap();
            let sp = reference.spikes(nl - 1).unwrap();
            for (j, c) in want.iter_mut().enumerate() {
                *c += sp.get(j).unwrap() as u32;
            }
        }
        let want_class = argmax(&want).unwrap_or(0);
        assert_eq!(
            want_class, sample.predicted as usize,
            "image {s}: the kernel reference disagrees with the host's recorded prediction"
        );
        let got = net.run(sample.inputs_q16, steps, outputs).unwrap();
        assert_eq!(got.counts, want, "image {s}: spike counts");
        assert_eq!(got.predicted, want_class, "image {s}: predicted class");
        assert_eq!(
            got.events,
            steps as u64 * dims[1..].iter().sum::<usize>() as u64,
            "image {s}: LIF steps"
        );
        cycles += got.cycles;
        spikes += want.iter().map(|&c| c as u64).sum::<u64>();
        agree_label += (want_class == sample.label as usize) as usize;
    }
    assert!(spikes > 0, "no output spikes: the comparison would be weak");
    eprintln!(
        "network core: {} images bit-exact, {agree_label} correct; preparation {prep} cycles, \
         {} cycles per image",
        samples.len(),
        cycles / samples.len() as u64
    );
}

#[test]
fn network_core_refuses_what_it_cannot_run() {
    let Some(mut net) = common::model_or_skip(Net::new()) else {
        return;
    };
    let model_words = words("digits-model.bin");
    let m = &model_words[2..];
    // A run before any model was prepared: err 3.
    let e = net.run(&[0; 65], 16, 10).unwrap_err();
    assert!(e.contains("err 3"), "{e}");
    // Q8.8 words on the Q16.16 core: err 1.
    let mut q8 = m.to_vec();
    q8[0] = 1;
    let e = net.load(&q8).unwrap_err();
    assert!(e.contains("err 1"), "{e}");
    // Layer 0 at L = 512, beyond the core's L <= 256: err 2 (layer 0's
    // record starts after format, n_layers, dims[3] and the two sources).
    let mut long = m.to_vec();
    long[9] = 512;
    let e = net.load(&long).unwrap_err();
    assert!(e.contains("err 2"), "{e}");
    // The model itself still loads and runs after the refusals.
    net.load(m).unwrap();
    assert_eq!(net.run(&[0; 65], 0, 10).unwrap().counts, vec![0; 10]);
}
