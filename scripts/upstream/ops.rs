//! Op-level rows of this project's CPU backend against the upstream engine
//! (anulum/sc-neurocore, `engine/`), measured side by side in one process:
//! for each row, batches of calls of ours and theirs alternate, and each
//! side's median time per call is reported.
//!
//! Built and run by `scripts/bench-upstream.sh`, which writes a Cargo
//! project around this file with the upstream crate as a path dependency.
//! The upstream crate is AGPL-3.0: it is only linked into this local
//! benchmark binary, never into the project, and none of its code is
//! copied here; this file only calls its public API.
//!
//! Output: one JSON object per line (`row`, `threads`, `ours_s`,
//! `theirs_s`, `bytes`, `note`): times in seconds per call, and the bytes
//! one call reads (0 where a rate would mean little).

use std::hint::black_box;
use std::time::Instant;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use sc_host::backend::LifStep;
use sc_host::bench::random_words;
use sc_host::cpu::CpuBackend;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;
use sc_kernel::mac::MacShape;
use sc_kernel::net::StreamSource;
use sc_kernel::sng::Probability;
use sc_kernel::{BitSlice, BitSliceMut};
use sc_neurocore_engine as up;

/// Rounds of alternating batches per row.
const ROUNDS: usize = 31;
/// Smallest batch duration, seconds, so timer resolution does not matter.
const BATCH_S: f64 = 2e-3;

fn time_batch(iters: usize, f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..iters {
        f();
    }
    t.elapsed().as_secs_f64() / iters as f64
}

/// Iterations per batch so one batch of `f` takes at least `BATCH_S`.
fn calibrate(f: &mut dyn FnMut()) -> usize {
    let mut iters = 1;
    loop {
        let t = time_batch(iters, f) * iters as f64;
        if t >= BATCH_S || iters >= 1 << 24 {
            return iters;
        }
        iters *= if t < BATCH_S / 16.0 { 8 } else { 2 };
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median seconds per call of `ours` and `theirs`, batches alternating.
fn pair(mut ours: impl FnMut(), mut theirs: impl FnMut()) -> (f64, f64) {
    let (io, it) = (calibrate(&mut ours), calibrate(&mut theirs));
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        a.push(time_batch(io, &mut ours));
        b.push(time_batch(it, &mut theirs));
    }
    (median(a), median(b))
}

fn emit(row: &str, threads: usize, (ours, theirs): (f64, f64), bytes: usize, note: &str) {
    println!(
        "{}",
        serde_json::json!({
            "row": row, "threads": threads, "ours_s": ours, "theirs_s": theirs,
            "bytes": bytes, "note": note,
        })
    );
    eprintln!(
        "{row:<40} {threads} thr  ours {:>12.2} ns  theirs {:>12.2} ns  ours faster by {:.2}x",
        ours * 1e9,
        theirs * 1e9,
        theirs / ours
    );
}

/// Working-set size in bytes of half this machine's L2 (sysfs), else 1 MiB.
fn half_l2() -> usize {
    std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index2/size")
        .ok()
        .and_then(|s| s.trim().strip_suffix('K')?.parse::<usize>().ok())
        .map_or(1 << 20, |k| k * 1024 / 2)
}

fn popcount_rows(be: &CpuBackend) {
    let l2_words = half_l2() / 8;
    for (row, words) in [
        ("popcount, 1024 bits", 16),
        ("popcount, 1 Mbit", 16384),
        ("popcount, half the L2", l2_words),
    ] {
        let a = random_words(words, 1);
        let s = BitSlice::new(&a, words * 64).expect("whole words");
        let r = pair(
            || {
                black_box(be.count_ones(black_box(s)));
            },
            || {
                black_box(up::simd::popcount_dispatch(black_box(&a)));
            },
        );
        emit(row, 1, r, words * 8, &format!("{words} words"));
    }
    for (row, words) in [
        ("AND+popcount, 1024 bits", 16),
        ("AND+popcount, 1 Mbit", 16384),
    ] {
        let (a, b) = (random_words(words, 2), random_words(words, 3));
        let r = pair(
            || {
                black_box(be.and_popcount_words(black_box(&a), black_box(&b)).ok());
            },
            || {
                black_box(up::simd::fused_and_popcount_dispatch(
                    black_box(&a),
                    black_box(&b),
                ));
            },
        );
        emit(row, 1, r, words * 16, &format!("2 x {words} words"));
    }
    let bits: Vec<u8> = random_words(1 << 20, 4)
        .into_iter()
        .map(|w| (w & 1) as u8)
        .collect();
    let mut out = vec![0u64; bits.len() / 64];
    let r = pair(
        || {
            let mut o = BitSliceMut::new(&mut out, bits.len()).expect("whole words");
            be.pack(black_box(&bits), &mut o).expect("0/1 bytes");
        },
        || {
            black_box(up::simd::pack_dispatch(black_box(&bits)));
        },
    );
    emit(
        "pack, 1 Mbit of 0/1 bytes",
        1,
        r,
        bits.len(),
        "theirs allocates its result",
    );
}

/// The seed's 784 inputs encoded at L = 1024, as a layer's forward pass
/// does on each side: ours from one comparator sequence (spec section 3),
/// theirs one Xoshiro generator per input with 8-bit thresholds
/// (`bernoulli_packed_simd`, inputs in parallel as its `forward_fast`).
fn encode_row(be: &CpuBackend, pool: &rayon::ThreadPool, threads: usize) {
    const INPUTS: usize = 784;
    const LEN: usize = 1024;
    let words = random_words(INPUTS, 5);
    let ps: Vec<Probability> = words
        .iter()
        .map(|w| Probability::from_q16((w % 65537) as u32).expect("in range"))
        .collect();
    let pf: Vec<f64> = ps.iter().map(|p| p.to_f64()).collect();
    let shape = MacShape::new(1, INPUTS, LEN).expect("fits");
    let mut x = vec![0u64; INPUTS * LEN / 64];
    let mut gen = StreamSource::Sobol { dimension: 0 }
        .start()
        .expect("valid source");
    let r = pair(
        || {
            be.encode_inputs(&shape, black_box(&ps), &mut gen, &mut x)
                .expect("valid")
        },
        || {
            let v: Vec<Vec<u64>> = pool.install(|| {
                black_box(&pf)
                    .par_iter()
                    .enumerate()
                    .map(|(i, &p)| {
                        let mut rng = Xoshiro256PlusPlus::seed_from_u64(42 + i as u64);
                        up::bitstream::bernoulli_packed_simd(p, LEN, &mut rng)
                    })
                    .collect()
            });
            black_box(v);
        },
    );
    emit(
        "encode 784 inputs, L = 1024",
        threads,
        r,
        0,
        "theirs: 8-bit thresholds, one generator per input",
    );
}

/// A LIF population step: ours `lif_step` (Q16.16, saturating), theirs
/// `FixedPointLif::step` over a vector of neurons (16-bit).
fn lif_row(be: &CpuBackend, n: usize) {
    let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.1, 1.0, 2).expect("valid parameters");
    let mut v = vec![I16F16::ZERO; n];
    let mut rf = vec![0u16; n];
    let raw = random_words(n, 6);
    let input: Vec<I16F16> = raw
        .iter()
        .map(|&w| I16F16::from_bits((w >> 47) as i32))
        .collect();
    let mut spikes = vec![0u64; n.div_ceil(64)];
    let mut pop: Vec<up::neuron::FixedPointLif> = (0..n)
        .map(|_| up::neuron::FixedPointLif::new(16, 8, 0, 0, 256, 2))
        .collect();
    let i_t: Vec<i16> = raw.iter().map(|&w| (w >> 56) as i16).collect();
    let mut s_out = vec![0i32; n];
    let r = pair(
        || {
            be.lif_step(LifStep {
                params: &p,
                v: &mut v,
                refractory: &mut rf,
                input: black_box(&input),
                spikes: BitSliceMut::new(&mut spikes, n).expect("len"),
            })
            .expect("same lengths");
        },
        || {
            for ((l, &i), s) in pop.iter_mut().zip(black_box(&i_t)).zip(&mut s_out) {
                *s = l.step(20, 256, i, 0).0;
            }
            black_box(&s_out);
        },
    );
    emit(
        &format!("LIF population step, {n} neurons"),
        1,
        r,
        0,
        "ours Q16.16 saturating; theirs 16-bit wrapping",
    );
}

/// The seed's dense MAC, 128 neurons x 784 inputs x L = 1024, inputs
/// already packed: ours `mac`, theirs `DenseLayer::forward_prepacked`.
fn mac_row(be: &CpuBackend, pool: &rayon::ThreadPool, threads: usize) {
    const N: usize = 128;
    const I: usize = 784;
    const LEN: usize = 1024;
    let shape = MacShape::new(N, I, LEN).expect("fits");
    let weights = random_words(N * I * LEN / 64, 7);
    let x = random_words(I * LEN / 64, 8);
    let xs: Vec<Vec<u64>> = x.chunks(LEN / 64).map(<[u64]>::to_vec).collect();
    let layer = up::layer::DenseLayer::new(I, N, LEN, 9);
    let mut out = vec![0u32; N];
    let r = pair(
        || {
            be.mac(&shape, &weights, black_box(&x), &mut out)
                .expect("valid")
        },
        || {
            black_box(pool.install(|| layer.forward_prepacked(black_box(&xs)).ok()));
        },
    );
    emit(
        "dense MAC 128 x 784, L = 1024",
        threads,
        r,
        weights.len() * 8,
        "theirs returns f64 fractions",
    );
}

fn main() {
    for threads in [1, 2] {
        let be = CpuBackend::new(threads).expect("thread pool");
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        if threads == 1 {
            popcount_rows(&be);
            lif_row(&be, 2048);
            lif_row(&be, 1 << 20);
        }
        encode_row(&be, &pool, threads);
        mac_row(&be, &pool, threads);
    }
}
