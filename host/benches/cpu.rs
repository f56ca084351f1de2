//! criterion benchmarks of the CPU backend, at working-set sizes in L2, in
//! L3 and in DRAM (taken from this machine's cache sizes), plus the seed's
//! 128 x 784 x 1024-bit MAC at one thread and at every core, and the
//! layer-0 input encoding of 784 inputs (kernel against backend).
//!
//! `cargo bench -p sc-host --bench cpu` (filter with e.g. `-- mac`).
//! Benchmarks are not tests: nothing here asserts a timing. The figures in
//! docs/benchmarks.md come from `scripts/bench-cpu.sh`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use sc_host::backend::{Bitwise, LifStep};
use sc_host::bench::{random_bits, random_words, SEED_INPUTS, SEED_LEN, SEED_NEURONS};
use sc_host::cpu::{CpuBackend, SimdLevel};
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;
use sc_kernel::mac::MacShape;
use sc_kernel::net::{encode_inputs, StreamSource};
use sc_kernel::ops::BitOp;
use sc_kernel::sng::Probability;
use sc_kernel::{BitSlice, BitSliceMut};

/// Cache size in bytes from sysfs (`index` 2 = L2, 3 = L3), or `default`.
fn cache_bytes(index: usize, default: usize) -> usize {
    std::fs::read_to_string(format!(
        "/sys/devices/system/cpu/cpu0/cache/index{index}/size"
    ))
    .ok()
    .and_then(|s| {
        let s = s.trim();
        let (n, mul) = match s.strip_suffix('K') {
            Some(n) => (n, 1024),
            None => (s.strip_suffix('M').unwrap_or(s), 1024 * 1024),
        };
        n.parse::<usize>().ok().map(|n| n * mul)
    })
    .unwrap_or(default)
}

/// Working-set sizes in bytes: half the L2, a quarter of the L3 (at least
/// 8x the L2), and twice the L3 (at least 256 MiB).
fn levels() -> Vec<(&'static str, usize)> {
    let l2 = cache_bytes(2, 1 << 20);
    let l3 = cache_bytes(3, 32 << 20);
    vec![
        ("L2", l2 / 2),
        ("L3", (l3 / 4).max(8 * l2)),
        ("DRAM", (2 * l3).max(256 << 20)),
    ]
}

fn config<'a>(
    c: &'a mut Criterion,
    name: &str,
    bytes: usize,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(if bytes > 64 << 20 { 4 } else { 2 }))
        .throughput(Throughput::Bytes(bytes as u64));
    g
}

fn streams(c: &mut Criterion) {
    let be = CpuBackend::new(0).expect("thread pool");
    for (level, ws) in levels() {
        // Binary ops touch a, b and out: three streams.
        let words = ws / 8 / 3;
        let len = words * 64;
        let a = random_words(words, 1);
        let b = random_words(words, 2);
        let s = random_words(words, 3);
        let mut o = vec![0u64; words];
        let (sa, sb, ss) = (
            BitSlice::new(&a, len).expect("zero padding"),
            BitSlice::new(&b, len).expect("zero padding"),
            BitSlice::new(&s, len).expect("zero padding"),
        );
        let mut g = config(c, "bitwise", ws);
        for (name, op) in [
            ("and", BitOp::And),
            ("xnor", BitOp::Xnor),
            ("mux", BitOp::Mux),
        ] {
            let op = Bitwise {
                op,
                a: sa,
                b: sb,
                sel: ss,
            };
            g.bench_function(BenchmarkId::new(name, level), |bn| {
                bn.iter(|| {
                    be.bitwise(op, &mut BitSliceMut::new(&mut o, len).expect("len"))
                        .expect("same lengths")
                })
            });
        }
        g.finish();

        // Popcounts read one stream.
        let words1 = ws / 8;
        let big = random_words(words1, 4);
        let sbig = BitSlice::new(&big, words1 * 64).expect("zero padding");
        let mut per = vec![0u32; words1];
        let mut g = config(c, "popcount", ws);
        g.bench_function(BenchmarkId::new("count_ones", level), |bn| {
            bn.iter(|| black_box(be.count_ones(sbig)))
        });
        g.bench_function(BenchmarkId::new("count_ones_per_word", level), |bn| {
            bn.iter(|| be.count_ones_per_word(sbig, &mut per).expect("sizes"))
        });
        g.finish();

        // Pack reads 64 bytes per word written.
        let nbits = ws / 65 * 64;
        let bits = random_bits(nbits, 5);
        let mut pw = vec![0u64; nbits / 64];
        let mut g = config(c, "pack", ws);
        g.bench_function(BenchmarkId::new("pack", level), |bn| {
            bn.iter(|| {
                be.pack(&bits, &mut BitSliceMut::new(&mut pw, nbits).expect("len"))
                    .expect("0/1 bytes")
            })
        });
        g.finish();
    }
}

fn mac(c: &mut Criterion) {
    let all = CpuBackend::new(0).expect("thread pool");
    let one = CpuBackend::new(1).expect("thread pool");
    // The seed's shape, one thread and all cores.
    let shape = MacShape::new(SEED_NEURONS, SEED_INPUTS, SEED_LEN).expect("fits");
    let row = SEED_INPUTS * shape.stride::<u64>();
    let w = random_words(SEED_NEURONS * row, 1);
    let x = random_words(row, 2);
    let mut out = vec![0u32; SEED_NEURONS];
    let mut g = config(c, "mac_seed_128x784x1024", w.len() * 8);
    for be in [&one, &all] {
        g.bench_function(BenchmarkId::new("threads", be.threads()), |bn| {
            bn.iter(|| be.mac(&shape, &w, &x, &mut out).expect("valid"))
        });
    }
    g.finish();

    // 784 inputs x 1024 bits; neurons scaled so the weights fill each level.
    for (level, ws) in levels() {
        let n = (ws / (row * 8)).max(1);
        let shape = MacShape::new(n, SEED_INPUTS, SEED_LEN).expect("fits");
        let w = random_words(n * row, 3);
        let mut out = vec![0u32; n];
        let mut g = config(c, "mac", w.len() * 8);
        g.bench_function(BenchmarkId::new(format!("{n}x784x1024"), level), |bn| {
            bn.iter(|| all.mac(&shape, &w, &x, &mut out).expect("valid"))
        });
        g.finish();
    }

    // Batched: 32 samples against the seed's weights.
    const SAMPLES: usize = 32;
    let xs = random_words(SAMPLES * row, 4);
    let mut outb = vec![0u32; SEED_NEURONS * SAMPLES];
    let mut g = config(c, "mac_batch32_128x784x1024", w.len() * 8 * SAMPLES);
    for be in [&one, &all] {
        g.bench_function(BenchmarkId::new("threads", be.threads()), |bn| {
            bn.iter(|| {
                be.mac_batch(&shape, &w, &xs, SAMPLES, &mut outb)
                    .expect("valid")
            })
        });
    }
    g.finish();
}

fn lif(c: &mut Criterion) {
    let be = CpuBackend::new(0).expect("thread pool");
    let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.1, 1.0, 2).expect("valid parameters");
    for (level, ws) in levels() {
        // Per neuron: v (4 B), refractory (2 B), input (4 B), spike bit.
        let n = ws / 10;
        let mut v = vec![I16F16::ZERO; n];
        let mut r = vec![0u16; n];
        let input: Vec<I16F16> = random_words(n, 6)
            .into_iter()
            .map(|w| I16F16::from_bits((w >> 47) as i32))
            .collect();
        let mut spikes = vec![0u64; n.div_ceil(64)];
        let mut g = config(c, "lif_q16_step", ws);
        g.bench_function(BenchmarkId::new(format!("{n}_neurons"), level), |bn| {
            bn.iter(|| {
                be.lif_step(LifStep {
                    params: &p,
                    v: &mut v,
                    refractory: &mut r,
                    input: &input,
                    spikes: BitSliceMut::new(&mut spikes, n).expect("len"),
                })
                .expect("same lengths")
            })
        });
        g.finish();
    }
}

/// Layer-0 input encoding of the seed's 784 inputs: the kernel's bit-serial
/// `encode_inputs` against the backend's (values once, rows by the word
/// kernel), at one and two threads at the best level, and at one thread
/// at the AVX2 (where the CPU has it) and portable levels.
fn encode(c: &mut Criterion) {
    let mut backends = vec![
        ("threads_1", CpuBackend::new(1).expect("thread pool")),
        ("threads_2", CpuBackend::new(2).expect("thread pool")),
    ];
    for (name, level) in [
        ("avx2_threads_1", SimdLevel::Avx2),
        ("portable_threads_1", SimdLevel::Portable),
    ] {
        if let Ok(be) = CpuBackend::with_level(1, level) {
            backends.push((name, be));
        }
    }
    let source = StreamSource::Sobol { dimension: 0 };
    let inputs: Vec<Probability> = random_words(SEED_INPUTS, 7)
        .into_iter()
        .map(|w| Probability::from_q16((w % 65537) as u32).expect("in range"))
        .collect();
    for len in [256, 1024] {
        let shape = MacShape::new(1, SEED_INPUTS, len).expect("fits");
        let mut x = vec![0u64; shape.input_rows().words::<u64>().expect("fits")];
        let mut g = c.benchmark_group(format!("encode_inputs_{SEED_INPUTS}x{len}"));
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Elements((SEED_INPUTS * len) as u64));
        let mut gen = source.start().expect("valid source");
        g.bench_function("kernel", |bn| {
            bn.iter(|| encode_inputs(&shape, &inputs, &mut gen, &mut x).expect("valid"))
        });
        for (name, be) in &backends {
            g.bench_function(BenchmarkId::new("cpu", name), |bn| {
                bn.iter(|| {
                    be.encode_inputs(&shape, &inputs, &mut gen, &mut x)
                        .expect("valid")
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, streams, mac, lif, encode);
criterion_main!(benches);
