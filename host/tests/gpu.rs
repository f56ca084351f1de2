//! The GPU backend against the CPU backend and the kernel, on random input
//! at edge lengths; and its fallback (no adapter, device lost).
//!
//! Runs on whatever adapter wgpu finds (lavapipe in CI: Debian
//! `mesa-vulkan-drivers`). With `SC_REQUIRE_GPU=1` a missing adapter is a
//! failure instead of a fallback.

use std::sync::OnceLock;

use proptest::prelude::*;
use sc_host::backend::{Bitwise, LifStep, MacCounts, MacInputs};
use sc_host::cpu::CpuBackend;
use sc_host::gpu::{Backends, GpuBackend, GpuError};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::rng::SplitMix64;
use sc_kernel::{words_for, BitSlice, BitSliceMut, Error};

mod common;

fn gpu() -> &'static GpuBackend {
    static G: OnceLock<GpuBackend> = OnceLock::new();
    G.get_or_init(|| {
        let g = GpuBackend::new().expect("backend");
        has_adapter(&g);
        eprintln!("GPU adapter: {:?}", g.adapter());
        g
    })
}

/// Whether `g` runs on a GPU adapter; without one the test fails when
/// `SC_REQUIRE_GPU` is set.
fn has_adapter(g: &GpuBackend) -> bool {
    let had = g.adapter().is_some();
    if std::env::var_os("SC_REQUIRE_GPU").is_some() {
        assert!(had, "SC_REQUIRE_GPU is set but no GPU adapter was found");
    }
    had
}

/// The GPU backend forced onto its CPU fallback.
fn fallback() -> &'static GpuBackend {
    static G: OnceLock<GpuBackend> = OnceLock::new();
    G.get_or_init(|| GpuBackend::with_backends(Backends::empty()).expect("backend"))
}

fn cpu() -> &'static CpuBackend {
    static C: OnceLock<CpuBackend> = OnceLock::new();
    C.get_or_init(|| CpuBackend::new(2).expect("cpu"))
}

fn packed(rows: usize, row_len: usize, bits: &[u8]) -> Vec<u64> {
    let shape = RowShape { rows, row_len };
    let mut w = vec![0u64; shape.words::<u64>().unwrap()];
    pack_rows(shape, bits, &mut w).unwrap();
    w
}

fn single(len: usize) -> RowShape {
    RowShape {
        rows: 1,
        row_len: len,
    }
}

/// The element-wise operations bit by bit on the bytes (the reference),
/// packed by the kernel: and, or, xor, xnor, not, mux.
fn reference(shape: RowShape, a: &[u8], b: &[u8], s: &[u8]) -> Vec<Vec<u64>> {
    let ops: [&dyn Fn(u8, u8, u8) -> u8; 6] = [
        &|a, b, _| a & b,
        &|a, b, _| a | b,
        &|a, b, _| a ^ b,
        &|a, b, _| 1 - (a ^ b),
        &|a, _, _| 1 - a,
        &|a, b, s| (s & a) | ((1 - s) & b),
    ];
    ops.iter()
        .map(|f| {
            let bits: Vec<u8> = (0..a.len()).map(|t| f(a[t], b[t], s[t])).collect();
            packed(shape.rows, shape.row_len, &bits)
        })
        .collect()
}

/// Every batch operation of `g` on a `rows x row_len` batch against the
/// reference, the kernel's `pack_rows` and the CPU backend (row by row).
fn check_batch(g: &GpuBackend, shape: RowShape, a: &[u8], b: &[u8], s: &[u8]) {
    let c = cpu();
    let what = format!("{} rows x {} bits", shape.rows, shape.row_len);
    let (wa, wb, ws) = (
        packed(shape.rows, shape.row_len, a),
        packed(shape.rows, shape.row_len, b),
        packed(shape.rows, shape.row_len, s),
    );
    // pack: the kernel's and the CPU backend's batch layout.
    let pa = g.pack(shape, a).unwrap();
    assert_eq!(pa.shape(), shape);
    assert_eq!(pa.words(), wa.len());
    assert_eq!(g.to_host(&pa).unwrap(), wa, "pack {what}");
    let mut cw = vec![0u64; wa.len()];
    c.pack_rows(shape, a, &mut cw).unwrap();
    assert_eq!(cw, wa);
    let db = g.to_device(shape, &wb).unwrap();
    let ds = g.to_device(shape, &ws).unwrap();
    let want = reference(shape, a, b, s);
    let got = [
        g.and(&pa, &db),
        g.or(&pa, &db),
        g.xor(&pa, &db),
        g.xnor(&pa, &db),
        g.not(&pa),
        g.mux(&ds, &pa, &db),
    ];
    for (k, (got, want)) in got.into_iter().zip(want).enumerate() {
        let got = got.unwrap();
        assert_eq!(got.shape(), shape);
        assert_eq!(
            g.to_host(&got).unwrap(),
            want,
            "op {k} (and, or, xor, xnor, not, mux) {what}"
        );
    }
    // Popcounts: per word, per row, in all.
    let stride = shape.stride::<u64>();
    let mut per = vec![0u32; wa.len()];
    let mut rows = vec![0usize; shape.rows];
    for r in 0..shape.rows {
        let row = shape.row(&wa, r).unwrap();
        c.count_ones_per_word(row, &mut per[r * stride..(r + 1) * stride])
            .unwrap();
        rows[r] = c.count_ones(row);
    }
    assert_eq!(
        rows.iter().sum::<usize>(),
        a.iter().map(|&x| x as usize).sum::<usize>()
    );
    assert_eq!(g.count_ones_per_word(&pa).unwrap(), per, "popcount {what}");
    assert_eq!(g.count_ones_rows(&pa).unwrap(), rows, "row popcount {what}");
    assert_eq!(g.count_ones(&pa).unwrap(), rows.iter().sum::<usize>());
}

fn check_streams(g: &GpuBackend, a: &[u8], b: &[u8], s: &[u8]) {
    check_batch(g, single(a.len()), a, b, s);
}

fn check_mac(
    g: &GpuBackend,
    (n, m, len): (usize, usize, usize),
    w: &[u8],
    sg: &[u8],
    samples: usize,
    xs: &[u8],
) {
    let shape = MacShape::new(n, m, len).unwrap();
    let (pw, ps, px) = (
        packed(n * m, len, w),
        packed(n, m, sg),
        packed(samples * m, len, xs),
    );
    let dw = g
        .to_device(
            RowShape {
                rows: n * m,
                row_len: len,
            },
            &pw,
        )
        .unwrap();
    let ds = g
        .to_device(
            RowShape {
                rows: n,
                row_len: m,
            },
            &ps,
        )
        .unwrap();
    let dx = g
        .to_device(
            RowShape {
                rows: samples * m,
                row_len: len,
            },
            &px,
        )
        .unwrap();
    let (u, s) = g.mac_both(&shape, &dw, &ds, &dx, samples).unwrap();
    let c = cpu();
    let xw = m * shape.stride::<u64>();
    let mut want_u = vec![0u32; n * samples];
    let mut want_s = vec![0i32; n * samples];
    for k in 0..samples {
        c.mac(
            &shape,
            &pw,
            &px[k * xw..(k + 1) * xw],
            &mut want_u[k * n..(k + 1) * n],
        )
        .unwrap();
        let inputs = MacInputs {
            shape: &shape,
            weights: &pw,
            signs: &ps,
            x: &px[k * xw..(k + 1) * xw],
        };
        c.mac_signed(inputs, &mut want_s[k * n..(k + 1) * n])
            .unwrap();
    }
    if n == 0 || samples == 0 {
        assert!(u.is_empty() && s.is_empty());
    } else {
        assert_eq!(u, want_u, "unsigned {n}x{m}x{len} samples {samples}");
        assert_eq!(s, want_s, "signed {n}x{m}x{len} samples {samples}");
    }
}

/// `check_mac` on random weights, signs and `samples` inputs from `gen`.
fn check_random_mac(
    g: &GpuBackend,
    (n, m, len): (usize, usize, usize),
    samples: usize,
    gen: &mut impl FnMut(usize) -> Vec<u8>,
) {
    let (w, sg, xs) = (gen(n * m * len), gen(n * m), gen(samples * m * len));
    check_mac(g, (n, m, len), &w, &sg, samples, &xs);
}

/// `check_lif` of `neurons` neurons from rest over `steps` steps of random
/// input currents 0.4 or 0.7 from `gen`.
fn check_random_lif(
    g: &GpuBackend,
    neurons: usize,
    steps: usize,
    gen: &mut impl FnMut(usize) -> Vec<u8>,
) {
    let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.5, 1.0, 1).unwrap();
    let input: Vec<I16F16> = gen(neurons * steps)
        .iter()
        .map(|&b| I16F16::from_num(0.4 + 0.3 * b as f64))
        .collect();
    check_lif(g, p, &vec![I16F16::ZERO; neurons], &input, steps);
}

fn check_lif<F: LifFixed>(g: &GpuBackend, p: LifParams<F>, v0: &[F], input: &[F], steps: usize) {
    let n = v0.len();
    let got = g.lif_run(&p, v0, &vec![0; n], input, steps).unwrap();
    let (mut v, mut r) = (v0.to_vec(), vec![0u16; n]);
    let sw = words_for::<u64>(n);
    let mut spikes = vec![0u64; steps * sw];
    for t in 0..steps {
        let mut s = BitSliceMut::new(&mut spikes[t * sw..(t + 1) * sw], n).unwrap();
        p.step_population(&mut v, &mut r, &input[t * n..(t + 1) * n], &mut s)
            .unwrap();
    }
    assert!(got.spikes == spikes, "LIF spikes, {n} neurons");
    assert!(got.v == v, "LIF v, {n} neurons");
    assert_eq!(got.refractory, r);
}

const LENS: &[usize] = &[0, 1, 31, 32, 33, 63, 64, 65, 127, 129, 1000, 4097];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn streams_match_cpu(
        (a, b, s) in prop::sample::select(LENS.to_vec()).prop_flat_map(|l| (
            prop::collection::vec(0u8..=1, l),
            prop::collection::vec(0u8..=1, l),
            prop::collection::vec(0u8..=1, l),
        ))
    ) {
        check_streams(gpu(), &a, &b, &s);
        check_streams(fallback(), &a, &b, &s);
    }

    #[test]
    fn batches_match_reference(
        (rows, row_len, a, b, s) in (
            prop::sample::select(vec![0usize, 1, 2, 3, 7]),
            prop::sample::select(vec![0usize, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 200]),
        ).prop_flat_map(|(rows, row_len)| (
            Just(rows), Just(row_len),
            prop::collection::vec(0u8..=1, rows * row_len),
            prop::collection::vec(0u8..=1, rows * row_len),
            prop::collection::vec(0u8..=1, rows * row_len),
        ))
    ) {
        let shape = RowShape { rows, row_len };
        check_batch(gpu(), shape, &a, &b, &s);
        check_batch(fallback(), shape, &a, &b, &s);
    }

    #[test]
    fn mac_matches_cpu(
        (n, m, len, w, sg, samples, xs) in (0usize..7, 0usize..6, prop::sample::select(vec![0usize, 1, 63, 64, 65, 200, 1025]), 0usize..4)
            .prop_flat_map(|(n, m, len, samples)| (
                Just(n), Just(m), Just(len),
                prop::collection::vec(0u8..=1, n * m * len),
                prop::collection::vec(0u8..=1, n * m),
                Just(samples),
                prop::collection::vec(0u8..=1, samples * m * len),
            ))
    ) {
        check_mac(gpu(), (n, m, len), &w, &sg, samples, &xs);
    }

    #[test]
    fn lif_q16_matches_kernel(
        n in prop::sample::select(vec![0usize, 1, 63, 64, 65, 300]),
        steps in 0usize..6, alpha in 1i32..=65536, refr in 0u16..3, seed in any::<u64>(),
    ) {
        let p = LifParams::<I16F16>::new(I16F16::from_bits(-3000), I16F16::from_bits(-7000),
            I16F16::from_bits(60_000), I16F16::from_bits(alpha), I16F16::from_bits(90_000), refr).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut next = move || rng.next_u64();
        // Wide values, to reach the saturating paths.
        let v0: Vec<I16F16> = (0..n).map(|_| I16F16::from_bits(next() as i32 >> (next() % 20) as u32)).collect();
        let input: Vec<I16F16> = (0..n * steps).map(|_| I16F16::from_bits(next() as i32 >> (next() % 24) as u32)).collect();
        check_lif(gpu(), p, &v0, &input, steps);
    }

    #[test]
    fn lif_q8_matches_kernel(
        n in prop::sample::select(vec![1usize, 65, 300]),
        steps in 1usize..5, alpha in 1i16..=256, seed in any::<u64>(),
    ) {
        let p = LifParams::<I8F8>::new(I8F8::ZERO, I8F8::from_bits(-50), I8F8::from_bits(200),
            I8F8::from_bits(alpha), I8F8::from_bits(300), 1).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut next = move || rng.next_u64();
        let v0: Vec<I8F8> = (0..n).map(|_| I8F8::from_bits(next() as i16)).collect();
        let input: Vec<I8F8> = (0..n * steps).map(|_| I8F8::from_bits(next() as i16)).collect();
        check_lif(gpu(), p, &v0, &input, steps);
    }
}

#[test]
fn seed_shape_mac_and_large_streams() {
    let (n, m, len) = (128, 784, 1024);
    let mut gen = common::random_bits_after(0);
    let (w, sg, xs) = (gen(n * m * len), gen(n * m), gen(2 * m * len));
    check_mac(gpu(), (n, m, len), &w, &sg, 2, &xs);
    let big = (1 << 22) + 65; // more than 65535 workgroups of 64 u32 words
    check_streams(gpu(), &gen(big), &gen(big), &gen(big));
    // Rows long enough to be counted word by word, and many short rows.
    for (rows, row_len) in [(3, 64 * 1500 + 7), (70_000, 3)] {
        let n = rows * row_len;
        check_batch(gpu(), RowShape { rows, row_len }, &gen(n), &gen(n), &gen(n));
    }
}

#[test]
fn bad_input_gets_the_cpu_backends_errors() {
    let g = gpu();
    let mut bits = vec![0u8; 100];
    bits[70] = 2;
    bits[90] = 5;
    assert!(matches!(
        g.pack(single(100), &bits),
        Err(GpuError::Kernel(Error::InvalidBit {
            index: 70,
            value: 2
        }))
    ));
    // Padding bits set: rejected on upload.
    assert!(matches!(
        g.to_device(single(65), &[0, 0b10]),
        Err(GpuError::Kernel(Error::NonZeroPadding { .. }))
    ));
    assert!(g.to_device(single(65), &[0]).is_err());
    let a = g.to_device(single(64), &[1]).unwrap();
    let b = g.to_device(single(65), &[1, 1]).unwrap();
    assert!(g.and(&a, &b).is_err());
    let shape = MacShape::new(2, 1, 64).unwrap();
    assert!(g.mac_both(&shape, &a, &a, &a, 1).is_err());
}

/// Everything an operation set needs, on one backend: (pack, and, mac, lif).
fn workload(g: &GpuBackend) -> (Vec<u64>, Vec<u64>, Vec<u32>, Vec<u64>) {
    let bits: Vec<u8> = (0..777).map(|t| (t % 3 == 0) as u8).collect();
    let w = g.pack(single(777), &bits).unwrap();
    let pw = g.to_host(&w).unwrap();
    let x = g
        .to_device(
            single(777),
            &packed(1, 777, &bits.iter().map(|b| 1 - b).collect::<Vec<_>>()),
        )
        .unwrap();
    let and = g.to_host(&g.and(&w, &x).unwrap()).unwrap();
    let shape = MacShape::new(1, 1, 777).unwrap();
    let s = g
        .to_device(
            RowShape {
                rows: 1,
                row_len: 1,
            },
            &[0],
        )
        .unwrap();
    let wd = g
        .to_device(
            RowShape {
                rows: 1,
                row_len: 777,
            },
            &pw,
        )
        .unwrap();
    let (counts, _) = g.mac_both(&shape, &wd, &s, &wd, 1).unwrap();
    let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.5, 1.0, 1).unwrap();
    let run = g
        .lif_run(
            &p,
            &[I16F16::ZERO; 70],
            &[0; 70],
            &[I16F16::from_num(0.7); 70 * 5],
            5,
        )
        .unwrap();
    (pw, and, counts, run.spikes)
}

#[test]
fn no_adapter_falls_back_with_one_warning() {
    let g = GpuBackend::with_backends(sc_host::gpu::Backends::empty()).unwrap();
    assert_eq!(g.adapter(), None);
    assert_eq!(g.warnings(), 1);
    let a = workload(&g);
    let b = workload(&g);
    assert_eq!(a, b);
    assert_eq!(a, workload(gpu()), "fallback results equal the GPU's");
    assert_eq!(g.warnings(), 1, "one warning, not one per call");
}

#[test]
fn device_loss_at_run_time_falls_back_once() {
    let g = GpuBackend::new().unwrap();
    let before = workload(&g);
    let kept = g.to_device(single(64), &[0xdead_beef]).unwrap();
    let computed = g.not(&kept).unwrap();
    g.simulate_device_loss();
    assert_eq!(g.adapter(), None, "remembers the GPU is broken");
    assert_eq!(workload(&g), before);
    assert_eq!(workload(&g), before);
    // Uploaded buffers keep working; GPU-only results are reported lost
    // (unless the backend never had a GPU, in which case they are on the host).
    assert_eq!(g.to_host(&kept).unwrap(), vec![0xdead_beef]);
    match g.to_host(&computed) {
        Ok(w) => assert_eq!(w, vec![!0xdead_beefu64]),
        Err(e) => assert!(matches!(e, GpuError::Lost)),
    }
    assert_eq!(g.warnings(), 1);
}

#[test]
fn pack_and_bitwise_take_batches() {
    // Regression: a (3, 70) batch came back as one 210-bit row.
    let shape = RowShape {
        rows: 3,
        row_len: 70,
    };
    let bits: Vec<u8> = (0..210)
        .map(|t| (t % 69 == 0 || t % 7 == 3) as u8)
        .collect();
    let want = packed(3, 70, &bits);
    assert_eq!(want.len(), 6);
    for g in [gpu(), fallback()] {
        let d = g.pack(shape, &bits).unwrap();
        assert_eq!(d.shape(), shape);
        assert_eq!(g.to_host(&d).unwrap(), want);
        // NOT keeps every row's padding zero.
        let n = g.to_host(&g.not(&d).unwrap()).unwrap();
        let inv: Vec<u8> = bits.iter().map(|b| 1 - b).collect();
        assert_eq!(n, packed(3, 70, &inv));
        assert_eq!(
            g.count_ones_rows(&d).unwrap(),
            bits.chunks(70)
                .map(|r| r.iter().map(|&b| b as usize).sum())
                .collect::<Vec<usize>>()
        );
        // Same number of words, different shapes: rejected.
        let other = g
            .to_device(
                RowShape {
                    rows: 2,
                    row_len: 192,
                },
                &[0; 6],
            )
            .unwrap();
        assert!(matches!(
            g.and(&d, &other),
            Err(GpuError::Kernel(Error::LengthMismatch { .. }))
        ));
        assert!(matches!(
            g.mux(&other, &d, &d),
            Err(GpuError::Kernel(Error::LengthMismatch { .. }))
        ));
        // The first bad byte in row-major order, as the CPU backend reports it.
        let mut bad = bits.clone();
        bad[150] = 3;
        bad[180] = 2;
        assert!(matches!(
            g.pack(shape, &bad),
            Err(GpuError::Kernel(Error::InvalidBit {
                index: 150,
                value: 3
            }))
        ));
        assert!(matches!(
            g.pack(shape, &bits[1..]),
            Err(GpuError::Kernel(Error::LengthMismatch { .. }))
        ));
    }
}

#[test]
fn data_too_large_for_the_device_runs_on_the_cpu() {
    // Regression: to_device of more than the device's max_buffer_size
    // panicked inside wgpu. Here the device's buffers hold at most 4 KiB.
    let g = GpuBackend::with_lowered_limits(Backends::PRIMARY, |l| {
        l.max_buffer_size = l.max_buffer_size.min(4096);
        l.max_storage_buffer_binding_size = l.max_storage_buffer_binding_size.min(4096);
    })
    .unwrap();
    let had_gpu = has_adapter(&g);
    let mut gen = common::random_bits_after(100);
    // 8000 bytes: over the limit; no panic, the same words back.
    let big = packed(1, 64_000, &gen(64_000));
    let d = g.to_device(single(64_000), &big).unwrap();
    assert_eq!(g.to_host(&d).unwrap(), big);
    assert_eq!(
        g.count_ones(&d).unwrap(),
        BitSlice::new(&big, 64_000).unwrap().count_ones()
    );
    // Fitting, unpacked input over the limit, both over it.
    for (rows, row_len) in [(3, 70), (1, 20_000), (4, 10_000)] {
        let shape = RowShape { rows, row_len };
        let n = rows * row_len;
        check_batch(&g, shape, &gen(n), &gen(n), &gen(n));
    }
    // MAC: weights over the limit; inputs over it with weights on the device.
    check_random_mac(&g, (8, 40, 200), 1, &mut gen);
    let (n, m, len, samples) = (2, 10, 64, 60);
    check_random_mac(&g, (n, m, len), samples, &mut gen);
    // Weights only on the device (packed there), inputs only on the host
    // (over the limit): the CPU downloads the weights.
    let (wb, xb) = (gen(n * m * len), gen(samples * m * len));
    let sg = vec![0u64; n];
    let shape = MacShape::new(n, m, len).unwrap();
    let mut results = Vec::new();
    for b in [&g, fallback()] {
        let w = b
            .pack(
                RowShape {
                    rows: n * m,
                    row_len: len,
                },
                &wb,
            )
            .unwrap();
        let x = b
            .pack(
                RowShape {
                    rows: samples * m,
                    row_len: len,
                },
                &xb,
            )
            .unwrap();
        let s = b
            .to_device(
                RowShape {
                    rows: n,
                    row_len: m,
                },
                &sg,
            )
            .unwrap();
        results.push(b.mac_both(&shape, &w, &s, &x, samples).unwrap());
    }
    assert_eq!(results[0], results[1]);
    // LIF: state over the limit.
    check_random_lif(&g, 1000, 3, &mut gen);
    if had_gpu {
        assert!(g.oversized_calls() > 0);
        assert_eq!(g.warnings(), 0, "oversized data is not a device failure");
        assert!(g.adapter().is_some(), "the GPU stays in use");
        // Small data still runs on the device.
        let before = g.oversized_calls();
        let small = g.pack(single(100), &gen(100)).unwrap();
        let _ = g.not(&small).unwrap();
        assert_eq!(g.oversized_calls(), before);
    }
}

#[test]
fn errors_do_not_repeat_their_cause() {
    let e = GpuError::from(Error::ShapeOverflow);
    assert_eq!(e.to_string(), Error::ShapeOverflow.to_string());
    assert_eq!(
        format!("{:#}", anyhow::Error::from(e)),
        Error::ShapeOverflow.to_string()
    );
}

#[test]
fn shapes_beyond_the_dispatch_grid_run_on_the_cpu() {
    // A grid of at most 4 x 4 workgroups (of 64 threads).
    let g = GpuBackend::with_lowered_limits(Backends::PRIMARY, |l| {
        l.max_compute_workgroups_per_dimension = l.max_compute_workgroups_per_dimension.min(4);
    })
    .unwrap();
    let had_gpu = has_adapter(&g);
    let mut gen = common::random_bits_after(200);
    // Within the grid; beyond it (1200 u32 words, 20 rows, 1 long row).
    for (rows, row_len) in [(3, 70), (1, 64 * 600), (20, 3), (2, 64 * 1100)] {
        let shape = RowShape { rows, row_len };
        let n = rows * row_len;
        check_batch(&g, shape, &gen(n), &gen(n), &gen(n));
    }
    // MAC with more neurons and samples than the grid has workgroups.
    check_random_mac(&g, (6, 3, 100), 5, &mut gen);
    // LIF with more neurons than 4 * 4 * 64 threads.
    check_random_lif(&g, 1500, 2, &mut gen);
    if had_gpu {
        assert!(g.oversized_calls() > 0);
        assert_eq!(g.warnings(), 0);
        assert!(g.adapter().is_some(), "the GPU stays in use");
    }
}

/// Every [`Backend`] op of `b` on random input of `len` bits (MAC of 3
/// neurons over 5 inputs, 4 LIF steps of 70 neurons), as words.
fn backend_ops<B: sc_host::backend::Backend<u64>>(b: &B, len: usize, seed: u64) -> Vec<Vec<u64>> {
    use sc_kernel::ops::BitOp;
    let mut rng = SplitMix64::new(seed);
    let mut bits = |n: usize| -> Vec<u8> { (0..n).map(|_| (rng.next_u64() & 1) as u8).collect() };
    let nw = words_for::<u64>(len);
    let mut out = vec![];
    let mut streams = vec![vec![0u64; nw]; 3];
    for w in &mut streams {
        b.pack(&bits(len), &mut BitSliceMut::new(w, len).unwrap())
            .unwrap();
    }
    let s = |k: usize| BitSlice::new(&streams[k], len).unwrap();
    // Each op's words, then its count of ones.
    out.extend(BitOp::ALL.map(|op| {
        let mut w = vec![0u64; nw];
        let mut o = BitSliceMut::new(&mut w, len).unwrap();
        let op = Bitwise {
            op,
            a: s(0),
            b: s(1),
            sel: s(2),
        };
        b.bitwise(op, &mut o).unwrap();
        let ones = b.count_ones(o.as_slice()).unwrap();
        w.push(ones as u64);
        w
    }));
    out.extend(streams.iter().cloned());
    let (m, n) = (3, 5);
    let shape = MacShape::new(m, n, len).unwrap();
    let weights = packed(m * n, len, &bits(m * n * len));
    let x = packed(n, len, &bits(n * len));
    let signs = packed(m, n, &bits(m * n));
    let (mut u, mut sg) = (vec![0u32; m], vec![0i32; m]);
    let counts = MacCounts {
        unsigned: &mut u,
        signed: &mut sg,
    };
    b.mac(
        MacInputs {
            shape: &shape,
            weights: &weights,
            signs: &signs,
            x: &x,
        },
        counts,
    )
    .unwrap();
    out.push(u.iter().map(|&c| u64::from(c)).collect());
    out.push(sg.iter().map(|&c| c as u64).collect());
    let p = LifParams::<I16F16>::from_f64(0.0, -0.25, 1.0, 0.25, 1.0, 2).unwrap();
    let neurons = 70;
    let (mut v, mut r) = (vec![p.v_rest(); neurons], vec![0u16; neurons]);
    let mut spikes = vec![0u64; words_for::<u64>(neurons)];
    for _ in 0..4 {
        let i: Vec<I16F16> = (0..neurons)
            .map(|_| I16F16::from_bits((rng.next_u64() % 200_000) as i32))
            .collect();
        let n = b
            .lif(LifStep {
                params: &p,
                v: &mut v,
                refractory: &mut r,
                input: &i,
                spikes: BitSliceMut::new(&mut spikes, neurons).unwrap(),
            })
            .unwrap();
        out.push(spikes.clone());
        out.push(vec![n as u64]);
        out.push(v.iter().map(|x| x.raw() as u64).collect());
        out.push(r.iter().map(|&x| u64::from(x)).collect());
    }
    out
}

// The GPU backend through the one backend trait (what `sc vectors check
// --gpu` runs), on the device and on its CPU fallback, matches the kernel.
#[test]
fn backend_trait_matches_the_kernel_on_device_and_fallback() {
    use sc_host::backend::{Backend, KernelBackend};
    let kernel = KernelBackend::<u64>::default();
    assert_eq!(Backend::<u64>::name(fallback()), "gpu-fallback");
    assert!(Backend::<u64>::name(gpu()).starts_with("gpu-"));
    for g in [gpu(), fallback()] {
        for (len, seed) in [(1, 1), (64, 2), (65, 3), (1000, 4)] {
            assert_eq!(
                backend_ops(g, len, seed),
                backend_ops(&kernel, len, seed),
                "{} len {len}",
                Backend::<u64>::name(g)
            );
        }
    }
}

// ---- whole networks (counting form, spec §7.1) ----

use sc_host::backend::Backend;
use sc_host::scnet::{self, LifFormat, NetworkSpec};
use sc_host::vectors::kinds::network::random_network;

/// The GPU backend's network run equals the bitstream path's
/// (`scnet::run_network::<u64>`), on the device and on the fallback.
fn check_network(spec: &NetworkSpec, x: &[u32], steps: usize) {
    let want = scnet::run_network::<u64>(spec, x, steps).unwrap();
    for g in [gpu(), fallback()] {
        let got = Backend::<u64>::network(g, spec, x, steps).unwrap();
        assert_eq!(
            got,
            want,
            "dims {:?} on {}",
            spec.dims,
            Backend::<u64>::name(g)
        );
    }
}

#[test]
fn network_vectors_match_the_bitstream_path() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/network.json"
    ))
    .unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    // On the device (its own backend, to count its fallbacks), on one whose
    // buffers are too small for the networks (the CPU for those calls),
    // and after a device loss.
    let g = GpuBackend::new().unwrap();
    let small = GpuBackend::with_lowered_limits(Backends::PRIMARY, |l| {
        l.max_storage_buffer_binding_size = 64;
    })
    .unwrap();
    let lost = GpuBackend::new().unwrap();
    lost.simulate_device_loss();
    let mut n = 0;
    for case in file["cases"].as_array().unwrap() {
        if case["kind"] != "network" {
            continue;
        }
        let spec: NetworkSpec = serde_json::from_value(case["network"].clone()).unwrap();
        let x: Vec<u32> = serde_json::from_value(case["inputs_q16"].clone()).unwrap();
        let steps = case["steps"].as_u64().unwrap() as usize;
        check_network(&spec, &x, steps);
        let want = scnet::run_network::<u64>(&spec, &x, steps).unwrap();
        for b in [&g, &small, &lost] {
            assert_eq!(Backend::<u64>::network(b, &spec, &x, steps).unwrap(), want);
        }
        n += 1;
    }
    assert!(n > 0, "no network cases");
    if has_adapter(&g) {
        assert_eq!(g.oversized_calls(), 0, "the networks ran on the device");
        assert_eq!(g.warnings(), 0);
        assert!(g.adapter().is_some());
        assert_eq!(small.oversized_calls(), n, "too large: on the CPU");
        assert_eq!(small.warnings(), 0);
    }
    assert_eq!(lost.warnings(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    /// Random networks: 1 to 3 layers of odd widths, both formats, both
    /// sources, odd stream lengths (never a power of two) per layer.
    #[test]
    fn random_networks_match_the_bitstream_path(
        (spec, x) in common::random_networks(3, 36, 150, |w| 2 * w + 1, |l| 2 * l + 1),
    ) {
        check_network(&spec, &x, 5);
    }
}

/// A batch of `n` random input rows for `spec`, some inputs 0 or 1.
fn batch_inputs(
    rng: &mut SplitMix64,
    inputs: usize,
    n: usize,
) -> Vec<Vec<sc_kernel::sng::Probability>> {
    use sc_kernel::sng::Probability;
    (0..n)
        .map(|_| {
            (0..inputs)
                .map(|_| {
                    let q = match rng.below(8) {
                        0 => 0,
                        1 => 65536,
                        _ => rng.below(65537) as u32,
                    };
                    Probability::from_q16(q).unwrap()
                })
                .collect()
        })
        .collect()
}

/// `prepare(..).run_batch` on the device (in chunks of every size, and on a device
/// whose buffers hold one sample's tables) and on the fallback equals the
/// CPU engine's `run_batch`, counts and spikes.
fn check_network_batch(
    spec: &NetworkSpec,
    batch: &[Vec<sc_kernel::sng::Probability>],
    steps: usize,
) {
    use sc_host::engine::{Engine, Record};
    for record in [Record::Counts, Record::Spikes] {
        let want = match spec.format {
            LifFormat::Q16_16 => Engine::<I16F16>::new(spec)
                .unwrap()
                .run_batch(batch, steps, record),
            LifFormat::Q8_8 => Engine::<I8F8>::new(spec)
                .unwrap()
                .run_batch(batch, steps, record),
        }
        .unwrap();
        for chunk in [1, 3, 8, 9, 64] {
            for g in [gpu(), fallback()] {
                let mut done = vec![];
                let got = g
                    .prepare(spec)
                    .unwrap()
                    .run_batch(batch, steps, record, chunk, &mut |n| done.push(n))
                    .unwrap();
                assert_eq!(got, want, "dims {:?}, chunk {chunk}, {record:?}", spec.dims);
                assert_eq!(done.last().copied(), Some(batch.len()).filter(|&n| n > 0));
                assert!(done.windows(2).all(|w| w[0] < w[1]), "progress {done:?}");
            }
        }
    }
}

#[test]
fn network_batches_match_the_cpu_engine() {
    let mut rng = SplitMix64::new(21);
    let g = gpu();
    let before = g.oversized_calls();
    // Power-of-two and other stream lengths, both formats, both sources,
    // widths around a spike word, a group of 8 samples and a block of 128
    // inputs.
    let cases: [(LifFormat, &[usize], &[usize]); 7] = [
        (LifFormat::Q16_16, &[17, 33, 9], &[64, 100]),
        // A layer of no neurons (and so one of no inputs), and no inputs.
        (LifFormat::Q16_16, &[5, 0, 3], &[16, 8]),
        (LifFormat::Q8_8, &[0, 4, 2], &[32, 5]),
        // Several blocks of 128 inputs per layer.
        (LifFormat::Q8_8, &[300, 260, 7], &[33, 64]),
        (LifFormat::Q8_8, &[5, 32, 31, 3], &[7, 256, 33]),
        (LifFormat::Q16_16, &[40, 65, 2], &[1024, 1]),
        (LifFormat::Q8_8, &[1, 1], &[3]),
    ];
    let net = |rng: &mut SplitMix64, k: u8, format, dims: &[usize], lens: &[usize]| {
        let sources = (
            common::net_source(k % 2, 0),
            common::net_source(1 - k % 2, 0xACE1),
        );
        random_network(rng, format, dims, lens, sources.0, sources.1)
    };
    for (k, (format, dims, lens)) in cases.into_iter().enumerate() {
        let spec = net(&mut rng, k as u8, format, dims, lens);
        for n in [1, 7, 8, 9, 20] {
            let batch = batch_inputs(&mut rng, dims[0], n);
            check_network_batch(&spec, &batch, 6);
        }
        check_network_batch(&spec, &[], 3);
        check_network_batch(&spec, &batch_inputs(&mut rng, dims[0], 3), 0);
    }
    if has_adapter(g) {
        assert_eq!(g.oversized_calls(), before, "the batches ran on the device");
    }
    // A device whose buffers hold one sample's prefix tables: chunks of one.
    let spec = net(&mut rng, 0, LifFormat::Q16_16, &[20, 10, 4], &[1000, 8]);
    let one = GpuBackend::with_lowered_limits(Backends::PRIMARY, |l| {
        // (20 inputs x 32 pairs of u32 for L = 1000).
        l.max_storage_buffer_binding_size = 20 * 64 * 4;
    })
    .unwrap();
    let batch = batch_inputs(&mut rng, 20, 5);
    let want = sc_host::engine::Engine::<I16F16>::new(&spec)
        .unwrap()
        .run_batch(&batch, 4, sc_host::engine::Record::Spikes)
        .unwrap();
    let mut done = vec![];
    let got = one
        .prepare(&spec)
        .unwrap()
        .run_batch(&batch, 4, sc_host::engine::Record::Spikes, 64, &mut |n| {
            done.push(n)
        })
        .unwrap();
    assert_eq!(got, want);
    if has_adapter(&one) {
        assert_eq!(done, [1, 2, 3, 4, 5], "one sample per chunk");
        assert_eq!(one.oversized_calls(), 0);
    }
}

#[test]
fn bad_networks_get_the_cpu_backends_errors() {
    let mut rng = SplitMix64::new(3);
    let spec = random_network(
        &mut rng,
        LifFormat::Q8_8,
        &[3, 5, 2],
        &[33, 7],
        common::net_source(0, 0),
        common::net_source(1, 0xACE1),
    );
    let mut bad_weight = spec.clone();
    bad_weight.layers[1].weights_q16[3] = 65537;
    let mut bad_dims = spec.clone();
    bad_dims.dims.push(4);
    let mut same_sources = spec.clone();
    same_sources.input_source = same_sources.weight_source;
    let cases: [(&NetworkSpec, &[u32]); 5] = [
        (&spec, &[1, 2]),
        (&spec, &[1, 2, 65537]),
        (&bad_weight, &[1, 2, 3]),
        (&bad_dims, &[1, 2, 3]),
        (&same_sources, &[1, 2, 3]),
    ];
    for (s, x) in cases {
        let want = Backend::<u64>::network(cpu(), s, x, 4)
            .unwrap_err()
            .to_string();
        for g in [gpu(), fallback()] {
            let got = Backend::<u64>::network(g, s, x, 4).unwrap_err().to_string();
            assert_eq!(got, want);
        }
    }
}

/// The float SNN's forward pass in f32 on the device equals the CPU's
/// batched one within the stated tolerance (`sc_host::gpu` snn.rs: at
/// least 99 % of the samples' counts identical, none off by more than 2
/// spikes); on the fallback exactly; bad input is an error.
#[test]
fn float_snn_forward_equals_the_cpu() {
    use sc_host::snn::{batch, Snn, SnnConfig};
    let g = gpu();
    let on_gpu = has_adapter(g);
    let mut rng = SplitMix64::new(11);
    for (bias, sizes) in [(true, vec![20, 33, 17, 5]), (false, vec![9, 70, 3])] {
        let cfg = SnnConfig {
            sizes: sizes.clone(),
            steps: 12,
            alpha: 0.2,
            threshold: 1.0,
            beta: 4.0,
            kappa: 0.5,
            bias,
        };
        let net = Snn::<f32>::init(cfg, 7).expect("net");
        let rows = 45;
        let xs: Vec<f32> = (0..rows * sizes[0])
            .map(|_| (rng.next_u64() >> 40) as f32 / (1u32 << 24) as f32)
            .collect();
        let want = batch::forward_counts(&net, &xs).expect("cpu");
        let classes = sizes[sizes.len() - 1];
        for (who, got) in [
            ("gpu", g.snn_forward(&net, &xs).expect("gpu")),
            (
                "fallback",
                fallback().snn_forward(&net, &xs).expect("fallback"),
            ),
        ] {
            assert_eq!(got.len(), want.len(), "{who}");
            let same = got
                .chunks(classes)
                .zip(want.chunks(classes))
                .filter(|(a, b)| a == b)
                .count();
            let worst = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            if who == "fallback" || !on_gpu {
                assert_eq!(got, want, "{who}: the fallback is the CPU pass itself");
            }
            assert!(
                same * 100 >= rows * 99 && worst <= 2.0,
                "{who}: {same}/{rows} samples identical, worst count difference {worst}"
            );
        }
        assert!(
            want.iter().sum::<f32>() > 0.0,
            "no output spikes: a vacuous test"
        );
    }
    let net = Snn::<f32>::init(
        SnnConfig {
            sizes: vec![4, 3],
            steps: 2,
            alpha: 0.5,
            threshold: 1.0,
            beta: 1.0,
            kappa: 1.0,
            bias: true,
        },
        1,
    )
    .expect("net");
    assert!(matches!(
        g.snn_forward(&net, &[0.5; 7]),
        Err(GpuError::Snn(_))
    ));
    assert!(matches!(
        g.snn_forward(&net, &[0.5, f32::NAN, 0.0, 0.0]),
        Err(GpuError::Snn(_))
    ));
}
