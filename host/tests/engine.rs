//! The engine (counting form, spec §7.1) against the bitstream path
//! (`scnet`, the kernel's `net`): identical spikes at every step and layer,
//! on random networks of 1 to 4 layers, odd sizes, both formats, both
//! sources, stream lengths that are not powers of two, up to 65536; in
//! one block and several, alone and in batches.

use proptest::prelude::*;

mod common;
use common::{net_inputs as inputs, net_source as source};
use sc_host::engine::{self, Engine, Record};
use sc_host::scnet::{self, LifFormat, NetworkSpec};
use sc_host::vectors::generate::SplitMix64;
use sc_host::vectors::kinds::network::random_network;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::sng::Probability;

/// The vectors' random network of `dims`, Sobol sources 0 and 1.
fn net(seed: u64, format: LifFormat, dims: &[usize], lens: &[usize]) -> (NetworkSpec, SplitMix64) {
    let mut rng = SplitMix64::new(seed);
    let spec = random_network(&mut rng, format, dims, lens, source(0, 0), source(0, 1));
    (spec, rng)
}

fn same(spec: &NetworkSpec, x: &[u32], steps: usize) {
    let bits = scnet::run_network::<u64>(spec, x, steps).unwrap();
    let count = engine::run_network(spec, x, steps).unwrap();
    assert_eq!(count, bits, "dims {:?}", spec.dims);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_networks_match_the_bitstream_path(
        (spec, x) in common::random_networks(4, 70, 400, |w| w, |l| l),
    ) {
        same(&spec, &x, 6);
    }
}

#[test]
fn long_streams() {
    let mut rng = SplitMix64::new(7);
    for (lens, ws, xs) in [
        ([65536, 1000], source(0, 2), source(1, 0xACE1)),
        ([65535, 65536], source(1, 0x1D0F), source(0, 5)),
        ([4097, 3], source(1, 0x1D0F), source(1, 0xACE1)),
    ] {
        let spec = random_network(&mut rng, LifFormat::Q16_16, &[5, 7, 3], &lens, ws, xs);
        let x = inputs(&mut rng, 5);
        same(&spec, &x, 3);
    }
}

/// Wide layers split into several blocks (parallel within a sample), a
/// batch, and counts-only runs give the same results as one block, with
/// layer 0 as byte rows (`L_0 <= 256`) and as step codes (`L_0 <= 1024`).
/// On a 2-thread pool, so that a batch of chunks runs each chunk on one
/// thread and looks up layer 0's blocks together, whatever the machine.
#[test]
fn blocks_and_batches() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for l0 in [200, 700] {
        pool.install(|| blocks_and_batches_at(l0));
    }
}

fn blocks_and_batches_at(l0: usize) {
    let (spec, mut rng) = net(11, LifFormat::Q16_16, &[40, 300, 129, 10], &[l0, 64, 77]);
    let batch: Vec<Vec<Probability>> = (0..5)
        .map(|_| {
            inputs(&mut rng, 40)
                .into_iter()
                .map(|q| Probability::from_q16(q).unwrap())
                .collect()
        })
        .collect();
    let one = Engine::<I16F16>::new_rows(&spec, |_, n| 0..n, 1).unwrap();
    let many = Engine::<I16F16>::new_rows(&spec, |_, n| 0..n, 4).unwrap();
    let runs = many.run_batch(&batch, 9, Record::Spikes).unwrap();
    // Not a silent network: every layer spikes somewhere.
    for k in 0..3 {
        assert!(runs
            .iter()
            .flat_map(|r| &r.spikes)
            .any(|s| s[k].contains(&true)));
    }
    for (x, run) in batch.iter().zip(&runs) {
        let q: Vec<u32> = x.iter().map(|p| p.q16()).collect();
        assert_eq!(run, &scnet::run_network::<u32>(&spec, &q, 9).unwrap());
        assert_eq!(run, &one.run(x, 9, Record::Spikes).unwrap());
        assert_eq!(run, &many.run(x, 9, Record::Spikes).unwrap());
        let counts = one.run(x, 9, Record::Counts).unwrap();
        assert_eq!(counts.counts, run.counts);
        assert!(counts.spikes.is_empty());
    }
    assert_eq!(one.synapses(), 40 * 300 + 300 * 129 + 129 * 10);
    // 2 bytes per synapse (every L <= 32767), 4 per bit of L_0 and per
    // neuron of layers k >= 1 (its all-inputs total). Where the CPU has
    // byte permutes, layer 0 at L = 200 is byte rows: per input, a byte
    // per neuron (300 padded to 320), a sign word per 64 and an exception
    // offset (8 bytes; no count is 256 here).
    let layer0 = if byte_rows() && l0 <= 256 {
        40 * 320 + 40 * 5 * 8 + 41 * 8
    } else {
        2 * 40 * 300
    };
    assert_eq!(
        one.model_bytes(),
        layer0 + 2 * (300 * 129 + 129 * 10) + 4 * l0 + 4 * (129 + 10)
    );
}

/// Whether this CPU runs layer 0 on byte rows (AVX-512 with VBMI) when
/// `L_0 <= 256`.
fn byte_rows() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        sc_host::cpu::SimdLevel::detect() == sc_host::cpu::SimdLevel::Avx512
            && std::arch::is_x86_feature_detected!("avx512vbmi")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// Layer 0 at `L = 256` with weights of exactly +-1 (a count of 256, which
/// byte rows hold as 255 plus the table's last step), more inputs than
/// the 16-bit sums hold before they are widened, and inputs at 0, 1 and
/// between: the same spikes as the bitstream path, alone and in a batch
/// over several blocks.
#[test]
fn full_weights_at_256() {
    for seed in [1, 2] {
        let (mut spec, mut rng) = net(seed, LifFormat::Q16_16, &[300, 130, 9], &[256, 100]);
        let l = &mut spec.layers[0];
        for (k, w) in l.weights_q16.iter_mut().enumerate() {
            if k % 3 == 0 {
                *w = 1 << 16;
            }
        }
        l.gain = l.gain.abs().max(1 << 14);
        let x: Vec<u32> = (0..300)
            .map(|i| match i % 5 {
                0 => 0,
                1 => 1 << 16,
                _ => rng.below(1 << 16) as u32,
            })
            .collect();
        let bits = scnet::run_network::<u64>(&spec, &x, 5).unwrap();
        assert!(bits.spikes.iter().any(|s| s[0].contains(&true)));
        same(&spec, &x, 5);
        let e = Engine::<I16F16>::new_rows(&spec, |_, n| 0..n, 3).unwrap();
        let p: Vec<Probability> = x
            .iter()
            .map(|&q| Probability::from_q16(q).unwrap())
            .collect();
        let runs = e.run_batch(&[p.clone(), p], 5, Record::Spikes).unwrap();
        assert_eq!(runs[0], bits);
        assert_eq!(runs[1], bits);
    }
}

#[test]
fn bad_input_is_an_error() {
    let (spec, _) = net(3, LifFormat::Q8_8, &[3, 2], &[10]);
    let e = Engine::<sc_kernel::fixed::types::I8F8>::new(&spec).unwrap();
    let err = e
        .run(&[Probability::ZERO; 2], 1, Record::Counts)
        .unwrap_err();
    assert!(err.to_string().contains("3 inputs"), "{err}");
    let err = engine::run_network(&spec, &[0, 70000, 0], 1).unwrap_err();
    assert!(format!("{err}").contains("inputs_q16[1]"), "{err}");
    let mut bad = spec.clone();
    bad.layers[0].len = 0;
    assert!(engine::run_network(&bad, &[0, 0, 0], 1).is_err());
}

/// Layers in which nearly every input spikes (counts from the all-inputs
/// totals minus the silent rows) and layers in which few do, in one run:
/// the same spikes as the bitstream path.
#[test]
fn mostly_spiking_layers() {
    for (seed, steps) in [(3, 7), (4, 5)] {
        let (mut spec, mut rng) = net(
            seed,
            LifFormat::Q16_16,
            &[30, 130, 70, 65, 5],
            &[90, 64, 33, 100],
        );
        // Positive weights, gain and a low threshold: hidden layers
        // saturate after a step or two; the last layer stays mixed.
        for l in &mut spec.layers[..3] {
            l.negative = l.negative.replace('1', "0");
            l.gain = l.gain.abs().max(1 << 16) * 4;
        }
        let x: Vec<u32> = (0..30).map(|_| 40000 + rng.below(25537) as u32).collect();
        let bits = scnet::run_network::<u64>(&spec, &x, steps).unwrap();
        let busy = bits
            .spikes
            .iter()
            .flat_map(|s| &s[..3])
            .filter(|l| 2 * l.iter().filter(|&&z| z).count() > l.len());
        assert!(busy.count() >= 3, "the hidden layers saturate");
        same(&spec, &x, steps);
        // Several blocks and a batch with one quiet sample (all zeros).
        let e = Engine::<I16F16>::new_rows(&spec, |_, n| 0..n, 3).unwrap();
        let p = |x: &[u32]| -> Vec<Probability> {
            x.iter()
                .map(|&q| Probability::from_q16(q).unwrap())
                .collect()
        };
        let runs = e
            .run_batch(&[p(&x), p(&[0; 30])], steps, Record::Spikes)
            .unwrap();
        assert_eq!(runs[0], bits);
        assert_eq!(
            runs[1],
            scnet::run_network::<u64>(&spec, &[0; 30], steps).unwrap()
        );
    }
}
