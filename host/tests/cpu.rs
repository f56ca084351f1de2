//! The CPU backend at every SIMD level this machine has, against the kernel,
//! on random input at edge lengths, and on inputs large enough to take the
//! parallel paths.

use proptest::prelude::*;
use sc_host::backend::{Bitwise, LifStep, MacInputs};
use sc_host::cpu::{CpuBackend, SimdLevel};
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::net::{encode_inputs, Generator, StreamSource};
use sc_kernel::ops::BitOp;
use sc_kernel::pack::{pack, pack_rows, RowShape};
use sc_kernel::rng::SplitMix64;
use sc_kernel::sng::{Probability, SOBOL_DIMENSIONS};
use sc_kernel::{ops, words_for, BitSlice, BitSliceMut, BitStream, Error};

mod common;

/// Backends for every available level, each with two threads.
fn backends() -> Vec<CpuBackend> {
    SimdLevel::available()
        .into_iter()
        .map(|l| CpuBackend::with_level(2, l).unwrap())
        .collect()
}

const LENS: &[usize] = &[
    0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, 511, 512, 513, 1000, 1087, 4097,
];

fn packed(bits: &[u8]) -> Vec<u64> {
    let mut w = vec![0u64; words_for::<u64>(bits.len())];
    pack(bits, &mut BitSliceMut::new(&mut w, bits.len()).unwrap()).unwrap();
    w
}

fn bits_strategy(max_words: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::sample::select(LENS.to_vec())
        .prop_filter("size", move |&l| l <= max_words * 64)
        .prop_flat_map(|l| prop::collection::vec(0u8..=1, l))
}

fn check_all_ops(a_bits: &[u8], b_bits: &[u8], s_bits: &[u8]) {
    let len = a_bits.len();
    let (a, b, s) = (packed(a_bits), packed(b_bits), packed(s_bits));
    fn view(w: &[u64], len: usize) -> BitSlice<'_, u64> {
        BitSlice::new(w, len).unwrap()
    }
    let sl = |w| view(w, len);
    let nw = words_for::<u64>(len);
    for be in backends() {
        let lvl = be.level();
        // pack
        let mut p = vec![u64::MAX; nw];
        be.pack(a_bits, &mut BitSliceMut::new(&mut p, len).unwrap())
            .unwrap();
        assert_eq!(p, a, "pack {lvl:?} len {len}");
        // binary ops, not, mux
        type Kop = fn(
            BitSlice<'_, u64>,
            BitSlice<'_, u64>,
            &mut BitSliceMut<'_, u64>,
        ) -> sc_kernel::Result<()>;
        let pairs: [(Kop, BitOp); 4] = [
            (ops::and, BitOp::And),
            (ops::or, BitOp::Or),
            (ops::xor, BitOp::Xor),
            (ops::xnor, BitOp::Xnor),
        ];
        // Every op on the CPU backend, with these operands.
        let bitwise = |op, out: &mut BitSliceMut<'_, u64>| {
            let (a, b, sel) = (sl(&a), sl(&b), sl(&s));
            be.bitwise(Bitwise { op, a, b, sel }, out)
        };
        for (k, op) in pairs {
            let mut want = vec![0u64; nw];
            k(
                sl(&a),
                sl(&b),
                &mut BitSliceMut::new(&mut want, len).unwrap(),
            )
            .unwrap();
            let mut got = vec![u64::MAX; nw];
            bitwise(op, &mut BitSliceMut::new(&mut got, len).unwrap()).unwrap();
            assert_eq!(got, want, "{op:?} {lvl:?} len {len}");
        }
        let mut want = vec![0u64; nw];
        ops::not(sl(&a), &mut BitSliceMut::new(&mut want, len).unwrap()).unwrap();
        let mut got = vec![u64::MAX; nw];
        bitwise(BitOp::Not, &mut BitSliceMut::new(&mut got, len).unwrap()).unwrap();
        assert_eq!(got, want, "not {lvl:?} len {len}");
        ops::mux(
            sl(&s),
            sl(&a),
            sl(&b),
            &mut BitSliceMut::new(&mut want, len).unwrap(),
        )
        .unwrap();
        bitwise(BitOp::Mux, &mut BitSliceMut::new(&mut got, len).unwrap()).unwrap();
        assert_eq!(got, want, "mux {lvl:?} len {len}");
        // popcounts
        assert_eq!(
            be.count_ones(sl(&a)),
            sl(&a).count_ones(),
            "count {lvl:?} len {len}"
        );
        let mut pw = vec![0u32; nw];
        let mut kw = vec![0u32; nw];
        be.count_ones_per_word(sl(&a), &mut pw).unwrap();
        ops::count_ones_per_word(sl(&a), &mut kw).unwrap();
        assert_eq!(pw, kw, "per-word {lvl:?} len {len}");
        let mut pw64 = vec![u64::MAX; nw];
        be.count_ones_per_word_u64(sl(&a), &mut pw64).unwrap();
        let kw64: Vec<u64> = kw.iter().map(|&c| u64::from(c)).collect();
        assert_eq!(pw64, kw64, "per-word u64 {lvl:?} len {len}");
        assert!(be
            .count_ones_per_word_u64(sl(&a), &mut vec![0; nw + 1])
            .is_err());
    }
}

/// `(n, m, len)`: neurons, inputs, stream length.
fn check_mac(
    (n, m, len): (usize, usize, usize),
    w: &[u8],
    x: &[u8],
    sg: &[u8],
    samples: usize,
    xs_bits: &[u8],
) {
    let shape = MacShape::new(n, m, len).unwrap();
    let pack_b = |rows: usize, row_len: usize, bits: &[u8]| {
        let sh = RowShape { rows, row_len };
        let mut v = vec![0u64; sh.words::<u64>().unwrap()];
        pack_rows(sh, bits, &mut v).unwrap();
        v
    };
    let pw = pack_b(n * m, len, w);
    let px = pack_b(m, len, x);
    let ps = pack_b(n, m, sg);
    let pxs = pack_b(samples * m, len, xs_bits);
    let mut want = vec![0u32; n];
    mac(&shape, &pw, &px, &mut want).unwrap();
    let mut want_s = vec![0i32; n];
    mac_signed(&shape, &pw, &ps, &px, &mut want_s).unwrap();
    let xw = shape.input_rows().words::<u64>().unwrap();
    let mut want_b = vec![0u32; samples * n];
    for s in 0..samples {
        mac(
            &shape,
            &pw,
            &pxs[s * xw..(s + 1) * xw],
            &mut want_b[s * n..(s + 1) * n],
        )
        .unwrap();
    }
    for be in backends() {
        let lvl = be.level();
        let mut got = vec![7u32; n];
        be.mac(&shape, &pw, &px, &mut got).unwrap();
        assert_eq!(got, want, "mac {lvl:?} {n}x{m}x{len}");
        let mut got_s = vec![7i32; n];
        let inputs = MacInputs {
            shape: &shape,
            weights: &pw,
            signs: &ps,
            x: &px,
        };
        be.mac_signed(inputs, &mut got_s).unwrap();
        assert_eq!(got_s, want_s, "mac_signed {lvl:?} {n}x{m}x{len}");
        let mut got_b = vec![7u32; samples * n];
        be.mac_batch(&shape, &pw, &pxs, samples, &mut got_b)
            .unwrap();
        assert_eq!(
            got_b, want_b,
            "mac_batch {lvl:?} {n}x{m}x{len} samples {samples}"
        );
        // pack_rows against the kernel.
        let sh = RowShape {
            rows: samples * m,
            row_len: len,
        };
        let mut pr = vec![u64::MAX; sh.words::<u64>().unwrap()];
        be.pack_rows(sh, xs_bits, &mut pr).unwrap();
        assert_eq!(pr, pxs, "pack_rows {lvl:?}");
    }
}

fn check_lif<F: LifFixed + Send + Sync>(params: LifParams<F>, v0: &[F], inputs: &[Vec<F>]) {
    let n = v0.len();
    let nw = words_for::<u64>(n);
    let mut kv = v0.to_vec();
    let mut kr = vec![0u16; n];
    let mut kspikes = Vec::new();
    for i in inputs {
        let mut s = vec![0u64; nw];
        let c = params
            .step_population(
                &mut kv,
                &mut kr,
                i,
                &mut BitSliceMut::new(&mut s, n).unwrap(),
            )
            .unwrap();
        kspikes.push((c, s));
    }
    for be in backends() {
        let mut v = v0.to_vec();
        let mut r = vec![0u16; n];
        for (step, i) in inputs.iter().enumerate() {
            let mut s = vec![u64::MAX; nw];
            let c = be
                .lif_step(LifStep {
                    params: &params,
                    v: &mut v,
                    refractory: &mut r,
                    input: i,
                    spikes: BitSliceMut::new(&mut s, n).unwrap(),
                })
                .unwrap();
            assert_eq!(
                (c, s),
                kspikes[step],
                "lif spikes {:?} step {step}",
                be.level()
            );
        }
        assert_eq!(v, kv, "lif v {:?}", be.level());
        assert_eq!(r, kr, "lif refractory {:?}", be.level());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ops_match_kernel(
        (a, b, s) in bits_strategy(80).prop_flat_map(|a| {
            let l = a.len();
            (Just(a), prop::collection::vec(0u8..=1, l), prop::collection::vec(0u8..=1, l))
        })
    ) {
        check_all_ops(&a, &b, &s);
    }

    #[test]
    fn mac_matches_kernel(
        (n, m, len, w, x, sg, samples, xs) in (0usize..9, 0usize..5, prop::sample::select(vec![0usize, 1, 63, 64, 65, 129, 600, 1100]), 0usize..19)
            .prop_flat_map(|(n, m, len, samples)| (
                Just(n), Just(m), Just(len),
                prop::collection::vec(0u8..=1, n * m * len),
                prop::collection::vec(0u8..=1, m * len),
                prop::collection::vec(0u8..=1, n * m),
                Just(samples),
                prop::collection::vec(0u8..=1, samples * m * len),
            ))
    ) {
        check_mac((n, m, len), &w, &x, &sg, samples, &xs);
    }

    #[test]
    fn lif_q16_matches_kernel(
        n in prop::sample::select(vec![0usize, 1, 63, 64, 65, 4096, 4097, 9000]),
        alpha in 1i32..=65536, thr in 1i32..300_000, refr in 0u16..4, seed in any::<u64>(),
    ) {
        let params = LifParams::<I16F16>::new(
            I16F16::from_bits(-1000), I16F16::from_bits(-5000), I16F16::from_bits(thr),
            I16F16::from_bits(alpha), I16F16::from_bits(70_000), refr).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut next = move || rng.next_u64();
        let v0: Vec<I16F16> = (0..n).map(|_| I16F16::from_bits(next() as i32 >> 12)).collect();
        let inputs: Vec<Vec<I16F16>> = (0..3).map(|_| (0..n).map(|_| I16F16::from_bits(next() as i32 >> 10)).collect()).collect();
        check_lif(params, &v0, &inputs);
    }

    #[test]
    fn lif_q8_matches_kernel(
        n in prop::sample::select(vec![0usize, 1, 65, 4097]),
        alpha in 1i16..=256, seed in any::<u64>(),
    ) {
        let params = LifParams::<I8F8>::new(
            I8F8::ZERO, I8F8::from_bits(-100), I8F8::from_bits(256),
            I8F8::from_bits(alpha), I8F8::ONE, 1).unwrap();
        let mut rng = SplitMix64::new(seed);
        let mut next = move || rng.next_u64();
        let v0: Vec<I8F8> = (0..n).map(|_| I8F8::from_bits(next() as i16)).collect();
        let inputs: Vec<Vec<I8F8>> = (0..4).map(|_| (0..n).map(|_| I8F8::from_bits(next() as i16)).collect()).collect();
        check_lif(params, &v0, &inputs);
    }
}

/// Streams past the parallel threshold (2^15 words) take the chunked paths.
#[test]
fn large_streams_take_parallel_paths() {
    let len = (1 << 21) + 65;
    let mut rng = SplitMix64::new(0x9E37_79B9_7F4A_7C15);
    let mut bits = || {
        (0..len)
            .map(|_| (rng.next_u64() >> 63) as u8)
            .collect::<Vec<u8>>()
    };
    let (a, b, s) = (bits(), bits(), bits());
    check_all_ops(&a, &b, &s);
}

#[test]
fn seed_shape_mac() {
    // 128 neurons x 784 inputs x L = 1024 (16 words), as the seed's jit_vec_mac.
    let (n, m, len) = (128, 784, 1024);
    let mut gen = common::random_bits_after(0);
    let (w, x, sg, xs) = (gen(n * m * len), gen(m * len), gen(n * m), gen(9 * m * len));
    check_mac((n, m, len), &w, &x, &sg, 9, &xs);
}

#[test]
fn bad_input_gets_kernel_errors() {
    for be in backends() {
        let mut w = [0u64; 2];
        let mut out = BitSliceMut::new(&mut w, 100).unwrap();
        let mut bits = vec![0u8; 100];
        bits[70] = 2;
        bits[90] = 7;
        assert_eq!(
            be.pack(&bits, &mut out),
            Err(Error::InvalidBit {
                index: 70,
                value: 2
            })
        );
        assert_eq!(
            be.pack(&bits[..99], &mut out),
            Err(Error::LengthMismatch {
                expected: 100,
                found: 99
            })
        );
        // The first bad byte is reported even when chunks run in parallel.
        let big = (1 << 22) + 3;
        let mut bw = vec![0u64; words_for::<u64>(big)];
        let mut bb = vec![1u8; big];
        bb[big - 2] = 9;
        bb[5000] = 3;
        let mut view = BitSliceMut::new(&mut bw, big).unwrap();
        assert_eq!(
            be.pack(&bb, &mut view),
            Err(Error::InvalidBit {
                index: 5000,
                value: 3
            })
        );
        let sh = RowShape {
            rows: 2,
            row_len: 50,
        };
        let mut rows = vec![0u64; 2];
        assert_eq!(
            be.pack_rows(sh, &bits, &mut rows),
            Err(Error::InvalidBit {
                index: 70,
                value: 2
            })
        );

        let a = BitStream::<u64, 2>::zeros(100).unwrap();
        let b = BitStream::<u64, 2>::zeros(99).unwrap();
        let mut o = [0u64; 2];
        let and = Bitwise {
            op: BitOp::And,
            a: a.as_slice(),
            b: b.as_slice(),
            sel: a.as_slice(),
        };
        assert!(matches!(
            be.bitwise(and, &mut BitSliceMut::new(&mut o, 100).unwrap()),
            Err(Error::LengthMismatch { .. })
        ));
        let shape = MacShape::new(2, 3, 64).unwrap();
        let mut cnt = [0u32; 2];
        assert!(be.mac(&shape, &[0u64; 5], &[0u64; 3], &mut cnt).is_err());
        let shape65 = MacShape::new(1, 1, 65).unwrap();
        // Padding bits set in the inputs are rejected, as by the kernel.
        let x = [0u64, 0b10];
        assert_eq!(
            be.mac(&shape65, &[0u64, 0], &x, &mut cnt[..1]),
            mac(&shape65, &[0u64, 0], &x, &mut [0u32; 1])
        );
        assert!(be
            .mac_batch(&shape, &[0u64; 6], &[0u64; 5], 2, &mut [0u32; 4])
            .is_err());
    }
}

/// `calls` consecutive steps of layer-0 input encoding, `inputs` inputs of
/// `len` bits from `source`: every backend's output words (written over
/// garbage) and generator after each step equal the kernel's.
fn check_encode_inputs(inputs: usize, len: usize, source: StreamSource, calls: usize, seed: u64) {
    let shape = MacShape::new(1, inputs, len).unwrap();
    let nw = shape.input_rows().words::<u64>().unwrap();
    let mut rng = SplitMix64::new(seed);
    let steps: Vec<Vec<Probability>> = (0..calls)
        .map(|_| {
            (0..inputs)
                .map(|_| {
                    let q = match rng.below(4) {
                        0 => [0, 1, 2, 32768, 65535, 65536][rng.below(6) as usize],
                        _ => rng.below(65537) as u32,
                    };
                    Probability::from_q16(q).unwrap()
                })
                .collect()
        })
        .collect();
    let mut kgen = source.start().unwrap();
    let want: Vec<(Vec<u64>, Generator)> = steps
        .iter()
        .map(|ps| {
            let mut x = vec![u64::MAX; nw];
            encode_inputs(&shape, ps, &mut kgen, &mut x).unwrap();
            (x, kgen)
        })
        .collect();
    for be in backends().into_iter().chain([CpuBackend::new(1).unwrap()]) {
        let mut gen = source.start().unwrap();
        for (k, (ps, (wx, wg))) in steps.iter().zip(&want).enumerate() {
            let mut x = vec![u64::MAX; nw];
            be.encode_inputs(&shape, ps, &mut gen, &mut x).unwrap();
            let what = format!(
                "{:?} x{} {inputs} inputs, L {len}, {source:?}, step {k}",
                be.level(),
                be.threads()
            );
            assert!(x == *wx, "streams: {what}");
            assert_eq!(gen, *wg, "generator: {what}");
        }
    }
}

fn source_strategy() -> impl Strategy<Value = StreamSource> {
    prop_oneof![
        (0..SOBOL_DIMENSIONS as u8).prop_map(|dimension| StreamSource::Sobol { dimension }),
        (1..=u16::MAX).prop_map(|seed| StreamSource::Lfsr16 { seed }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn encode_inputs_matches_kernel(
        inputs in 0usize..70,
        len in prop_oneof![9 => 1usize..400, 1 => prop::sample::select(vec![0usize, 64, 65536, 65537])],
        source in source_strategy(),
        calls in 1usize..4,
        seed in any::<u64>(),
    ) {
        check_encode_inputs(inputs, len, source, calls, seed);
    }
}

/// The seed's 784 inputs at L = 1024, and past 2^15 words (the parallel
/// path: 784 x 3000 and 40 x 70000 bits), both sources; and the kernel's
/// errors, with the generator untouched.
#[test]
fn encode_inputs_large_and_bad() {
    for source in [
        StreamSource::Sobol { dimension: 0 },
        StreamSource::Lfsr16 { seed: 0xACE1 },
    ] {
        check_encode_inputs(784, 1024, source, 2, 1);
        check_encode_inputs(784, 3000, source, 2, 2);
        check_encode_inputs(40, 70_000, source, 2, 3);
    }
    let shape = MacShape::new(2, 3, 100).unwrap();
    let ps = [Probability::ONE; 4];
    for be in backends() {
        for (n, words) in [(2, 6), (4, 6), (3, 5), (3, 7), (0, 0)] {
            let (mut kg, mut g) = (
                StreamSource::Lfsr16 { seed: 9 }.start().unwrap(),
                kg_start(),
            );
            let (mut kx, mut x) = (vec![0u64; words], vec![0u64; words]);
            let want = encode_inputs(&shape, &ps[..n], &mut kg, &mut kx);
            assert!(want.is_err());
            assert_eq!(be.encode_inputs(&shape, &ps[..n], &mut g, &mut x), want);
            assert_eq!(g, kg_start(), "{n} inputs, {words} words");
            assert_eq!(kg, kg_start());
        }
    }
    fn kg_start() -> Generator {
        StreamSource::Lfsr16 { seed: 9 }.start().unwrap()
    }
}
