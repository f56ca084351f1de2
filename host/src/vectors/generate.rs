//! Deterministic generation of the shared vectors from the kernel.

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::LifParams;
use sc_kernel::{words_for, BitSliceMut};

use super::check::{check_case, Outcome};
use super::compute::{evaluate, CaseError, Kernel, OpsImpl};
use super::schema::*;
use crate::hex::{bits_to_str, stream_to_hex};
use crate::scnet::{LayerSpec, LifFormat, LifParamsRaw, NetworkSpec, Source};

/// The vectors' PRNG: the kernel's SplitMix64 (its sequence is fixed, so
/// the vectors do not depend on a crate's RNG version).
pub use sc_kernel::rng::SplitMix64;

/// Random 0/1 bytes from the vectors' PRNG.
pub trait RandomBits {
    /// `len` random bits, each 1 with probability `density / 256`
    /// (`255` means all ones); one draw per bit.
    fn bits(&mut self, len: usize, density: u8) -> Vec<u8>;
}

impl RandomBits for SplitMix64 {
    fn bits(&mut self, len: usize, density: u8) -> Vec<u8> {
        (0..len)
            .map(|_| ((self.next_u64() & 0xFF) < density as u64 || density == 255) as u8)
            .collect()
    }
}

const EDGE_LENS: [usize; 14] = [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 129, 1000];

fn hex_of(bits: &[u8]) -> String {
    let mut w = vec![0u32; words_for::<u32>(bits.len())];
    let mut s = BitSliceMut::new(&mut w, bits.len()).expect("sized");
    sc_kernel::pack::pack(bits, &mut s).expect("0/1 bits");
    stream_to_hex(s.as_slice())
}

fn str_of(bits: &[u8]) -> String {
    bits_to_str(bits.iter().map(|&b| b == 1))
}

fn file(group: &str, description: &str, cases: Vec<Case>) -> Result<VectorFile, CaseError> {
    let cases = cases
        .iter()
        .map(|c| match c.expected_error() {
            None => evaluate::<u32>(c),
            // An error case is kept only if the reference rejects it with
            // exactly that error.
            Some(_) => match check_case(&OpsImpl::new(Kernel::<u32>::default()), c) {
                Outcome::Pass => Ok(c.clone()),
                o => Err(CaseError::Invalid(format!(
                    "error case `{}`: {o:?} on kernel-u32",
                    c.name()
                ))),
            },
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VectorFile {
        format: FORMAT.into(),
        spec_version: SPEC_VERSION,
        group: group.into(),
        description: description.into(),
        cases,
    })
}

fn empty_stream() -> StreamExpect {
    StreamExpect {
        stream: String::new(),
    }
}
fn empty_gen() -> GenExpect {
    GenExpect {
        stream: String::new(),
        ones: 0,
        values: vec![],
        end_state: 0,
    }
}

fn pack_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for &len in &EDGE_LENS {
        for density in [128u8, 255, 0] {
            cases.push(Case::Pack {
                name: format!("pack_len{len}_d{density}"),
                bits: str_of(&rng.bits(len, density)),
                expect: empty_stream().into(),
            });
        }
    }
    cases
}

fn bitwise_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let ops = [
        BitOp::And,
        BitOp::Or,
        BitOp::Xor,
        BitOp::Xnor,
        BitOp::Not,
        BitOp::Mux,
    ];
    let mut cases = vec![];
    for op in ops {
        for &len in &EDGE_LENS {
            let a = hex_of(&rng.bits(len, 160));
            let b = hex_of(&rng.bits(len, 96));
            let s = hex_of(&rng.bits(len, 128));
            cases.push(Case::Bitwise {
                name: format!(
                    "{}_len{len}",
                    serde_json::to_value(op).unwrap().as_str().unwrap_or("op")
                ),
                op,
                len,
                a,
                b: (op != BitOp::Not).then_some(b),
                sel: (op == BitOp::Mux).then_some(s),
                expect: Expect::Value(BitwiseExpect {
                    out: String::new(),
                    popcount: 0,
                }),
            });
        }
    }
    cases
}

fn decode_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for len in [1usize, 2, 3, 7, 63, 64, 65, 1000] {
        for density in [0u8, 1, 77, 128, 200, 255] {
            let bits = rng.bits(len, density);
            cases.push(Case::Decode {
                name: format!("decode_len{len}_d{density}"),
                len,
                stream: hex_of(&bits),
                expect: Expect::Value(DecodeExpect {
                    ones: 0,
                    unipolar_q16: 0,
                    bipolar_q16: 0,
                }),
            });
        }
    }
    cases
}

const PROBS: [u32; 7] = [0, 1, 16384, 32768, 50000, 65535, 65536];

fn lfsr_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for (width, seeds) in [
        (8u32, [1u32, 0x5A, 0xFF]),
        (16, [1, 0xACE1, 0x1D0F]),
        (32, [1, 0xDEAD_BEEF, 0xFFFF_FFFF]),
    ] {
        for seed in seeds {
            for p in PROBS.into_iter().chain([rng.below(65537) as u32]) {
                for len in [100usize, 257] {
                    cases.push(Case::Lfsr {
                        name: format!("lfsr{width}_s{seed:x}_p{p}_len{len}"),
                        width,
                        seed,
                        p_q16: p,
                        len,
                        expect: empty_gen().into(),
                    });
                }
            }
        }
    }
    cases
}

fn sobol_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for dimension in 0..sc_kernel::sng::SOBOL_DIMENSIONS {
        for (start, len) in [(0u32, 256usize), (256, 256), (12345, 100), (65530, 40)] {
            for p in [
                0u32,
                1 << 8,
                21 << 8,
                128 << 8,
                65536,
                rng.below(65537) as u32,
            ] {
                cases.push(Case::Sobol {
                    name: format!("sobol_d{dimension}_start{start}_p{p}_len{len}"),
                    dimension,
                    start,
                    p_q16: p,
                    len,
                    expect: empty_gen().into(),
                });
            }
        }
    }
    cases
}

fn mac_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let mut cases = vec![];
    for (neurons, inputs, len) in [
        (1usize, 1usize, 1usize),
        (3, 5, 64),
        (4, 7, 65),
        (2, 33, 31),
        (8, 16, 256),
        (5, 64, 1000),
        (2, 3, 0),
    ] {
        let weights = (0..neurons * inputs)
            .map(|_| hex_of(&rng.bits(len, 100)))
            .collect();
        let x = (0..inputs).map(|_| hex_of(&rng.bits(len, 140))).collect();
        let signs = (0..neurons)
            .map(|_| str_of(&rng.bits(inputs, 128)))
            .collect();
        cases.push(Case::Mac {
            name: format!("mac_{neurons}x{inputs}_len{len}"),
            neurons,
            inputs,
            len,
            weights,
            signs,
            x,
            expect: Expect::Value(MacExpect {
                unsigned: vec![],
                signed: vec![],
            }),
        });
    }
    cases
}

fn lif_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let q16 = |rest, reset, thr, alpha, r, refr| {
        LifParamsRaw::from_params(
            &LifParams::<I16F16>::from_f64(rest, reset, thr, alpha, r, refr).expect("valid"),
        )
    };
    let q8 = |rest, reset, thr, alpha, r, refr| {
        LifParamsRaw::from_params(
            &LifParams::<I8F8>::from_f64(rest, reset, thr, alpha, r, refr).expect("valid"),
        )
    };
    let sets = [
        (
            "q16_basic",
            LifFormat::Q16_16,
            q16(0.0, 0.0, 1.0, 0.1, 1.0, 0),
            1.0,
        ),
        (
            "q16_refractory",
            LifFormat::Q16_16,
            q16(-0.2, -0.5, 0.8, 0.25, 1.5, 3),
            1.0,
        ),
        (
            "q16_saturation",
            LifFormat::Q16_16,
            q16(0.0, -1.0, 30000.0, 0.001, 2.0, 0),
            20000.0,
        ),
        (
            "q8_basic",
            LifFormat::Q8_8,
            q8(0.0, 0.0, 1.0, 0.125, 1.0, 0),
            1.0,
        ),
        (
            "q8_refractory",
            LifFormat::Q8_8,
            q8(-0.25, -0.5, 0.75, 0.5, 1.25, 2),
            1.0,
        ),
        (
            "q8_saturation",
            LifFormat::Q8_8,
            q8(0.0, -2.0, 120.0, 1.0, 4.0, 1),
            100.0,
        ),
    ];
    let mut cases = vec![];
    for (name, format, params, scale) in sets {
        let frac = if format == LifFormat::Q16_16 {
            65536.0
        } else {
            256.0
        };
        let (lo, hi) = if format == LifFormat::Q16_16 {
            (i32::MIN as f64, i32::MAX as f64)
        } else {
            (i16::MIN as f64, i16::MAX as f64)
        };
        let neurons = 5;
        let input = (0..40)
            .map(|_| {
                (0..neurons)
                    .map(|_| {
                        let u = rng.below(1 << 20) as f64 / (1 << 20) as f64;
                        ((u * 1.4 - 0.4) * scale * frac).clamp(lo, hi) as i32
                    })
                    .collect()
            })
            .collect();
        cases.push(Case::Lif {
            name: name.into(),
            format,
            params,
            neurons,
            input,
            expect: Expect::Value(LifExpect {
                v: vec![],
                refractory: vec![],
                spikes: vec![],
            }),
        });
    }
    cases
}

/// A random network of the given widths and per-layer stream lengths
/// (`lens[k]` for layer `k`), in `format`: weights uniform in Q0.16, signs
/// with density 100/256, gain 3. Layer `k`'s LIF parameters differ from
/// layer to layer (spec §7): threshold `1 + k/2`, alpha `1/4 + k/8`
/// (at most 1), reset `-k/8`, R 1, refractory `k % 3`. Deterministic in
/// `rng`.
pub fn random_network(
    rng: &mut SplitMix64,
    format: LifFormat,
    dims: &[usize],
    lens: &[usize],
    weight_source: Source,
    input_source: Source,
) -> NetworkSpec {
    let one: i32 = if format == LifFormat::Q16_16 {
        65536
    } else {
        256
    };
    let layers = dims
        .windows(2)
        .zip(lens)
        .enumerate()
        .map(|(k, (d, &len))| {
            let k = k as i32;
            LayerSpec {
                len,
                params: LifParamsRaw {
                    v_rest: 0,
                    v_reset: -k * one / 8,
                    threshold: one + k * one / 2,
                    alpha: (one / 4 + k * one / 8).min(one),
                    resistance: one,
                    refractory: (k % 3) as u16,
                },
                weights_q16: (0..d[0] * d[1]).map(|_| rng.below(65537) as u32).collect(),
                negative: str_of(&rng.bits(d[0] * d[1], 100)),
                gain: 3 * one,
            }
        })
        .collect();
    NetworkSpec {
        format,
        dims: dims.to_vec(),
        weight_source,
        input_source,
        layers,
    }
}

fn network_cases(rng: &mut SplitMix64) -> Vec<Case> {
    let configs = [
        (
            "net_q16_sobol_8x12x4",
            LifFormat::Q16_16,
            vec![8usize, 12, 4],
            vec![64usize, 32],
            Source::Sobol { dimension: 0 },
            Source::Sobol { dimension: 1 },
        ),
        (
            "net_q8_sobol_10x33x16x3",
            LifFormat::Q8_8,
            vec![10, 33, 16, 3],
            vec![128, 40, 77],
            Source::Sobol { dimension: 2 },
            Source::Sobol { dimension: 3 },
        ),
        (
            "net_q16_lfsr_6x9x5",
            LifFormat::Q16_16,
            vec![6, 9, 5],
            vec![100, 100],
            Source::Lfsr16 { seed: 0xACE1 },
            Source::Lfsr16 { seed: 0x1D0F },
        ),
    ];
    configs
        .into_iter()
        .map(|(name, format, dims, lens, ws, xs)| {
            let net = random_network(rng, format, &dims, &lens, ws, xs);
            Case::Network {
                name: name.into(),
                inputs_q16: (0..dims[0]).map(|_| rng.below(65537) as u32).collect(),
                network: net,
                steps: 12,
                expect: Expect::Value(NetworkExpect {
                    spikes: vec![],
                    counts: vec![],
                }),
            }
        })
        .collect()
}

/// Every vector file, generated from the kernel (u32 words) with fixed seeds.
pub fn generate_all() -> Result<Vec<VectorFile>, CaseError> {
    let mut rng = SplitMix64::new(0x5C_2026);
    Ok(vec![
        file(
            "pack",
            "pack/unpack of 0/1 bytes at edge lengths (spec 1.4)",
            pack_cases(&mut rng),
        )?,
        file(
            "bitwise",
            "AND/OR/XOR/XNOR/NOT/MUX at edge lengths (spec 2)",
            bitwise_cases(&mut rng),
        )?,
        file(
            "decode",
            "popcount and unipolar/bipolar Q16.16 decode (spec 3)",
            decode_cases(&mut rng),
        )?,
        file(
            "lfsr",
            "8/16/32-bit LFSR encoding (spec 4.1)",
            lfsr_cases(&mut rng),
        )?,
        file(
            "sobol",
            "Sobol encoding, every dimension (spec 4.2)",
            sobol_cases(&mut rng),
        )?,
        file(
            "mac",
            "dense unsigned and signed SC MAC (spec 5)",
            mac_cases(&mut rng),
        )?,
        file(
            "lif",
            "Q16.16 and Q8.8 LIF populations: spikes, resets, refractory, saturation (spec 6)",
            lif_cases(&mut rng),
        )?,
        file(
            "network",
            "multi-layer SC spiking networks over 12 steps (spec 7)",
            network_cases(&mut rng),
        )?,
        file(
            "errors",
            "inputs every implementation must reject with the named kernel error (spec 8)",
            error_cases(),
        )?,
    ])
}

fn err<T>(name: &str) -> Expect<T> {
    Expect::Error(name.to_string())
}

/// Cases with exactly one problem each, expecting the kernel error that
/// problem causes (spec §8; the reachable variants, docs/vectors.md).
fn error_cases() -> Vec<Case> {
    let mut cases = vec![];
    // NonZeroPadding: a padding bit (bit 9 of a 9-bit stream) set.
    for op in [BitOp::And, BitOp::Not, BitOp::Mux] {
        let (b, sel) = match op {
            BitOp::Not => (None, None),
            BitOp::Mux => (Some("0f00".to_string()), Some("f001".to_string())),
            _ => (Some("0f00".to_string()), None),
        };
        cases.push(Case::Bitwise {
            name: format!("padding_{}_a", op.name()),
            op,
            len: 9,
            a: "ff03".into(),
            b,
            sel,
            expect: err("NonZeroPadding"),
        });
    }
    cases.push(Case::Bitwise {
        name: "padding_and_b_len33".into(),
        op: BitOp::And,
        len: 33,
        a: "ffffffff01".into(),
        b: Some("0000000080".into()),
        sel: None,
        expect: err("NonZeroPadding"),
    });
    cases.push(Case::Decode {
        name: "padding_decode".into(),
        len: 7,
        stream: "80".into(),
        expect: err("NonZeroPadding"),
    });
    cases.push(Case::Mac {
        name: "padding_mac_x1".into(),
        neurons: 1,
        inputs: 2,
        len: 4,
        weights: vec!["0f".into(), "0f".into()],
        signs: vec!["01".into()],
        x: vec!["05".into(), "15".into()],
        expect: err("NonZeroPadding"),
    });
    cases.push(Case::Mac {
        name: "padding_mac_weight".into(),
        neurons: 2,
        inputs: 1,
        len: 12,
        weights: vec!["ff0f".into(), "ff1f".into()],
        signs: vec!["0".into(), "1".into()],
        x: vec!["aa0a".into()],
        expect: err("NonZeroPadding"),
    });
    // EmptyStream: decoding a stream of length 0.
    cases.push(Case::Decode {
        name: "decode_len0".into(),
        len: 0,
        stream: String::new(),
        expect: err("EmptyStream"),
    });
    // InvalidSeed: zero, and one past the register, for each width.
    for (width, seeds) in [
        (8u32, vec![0u32, 256, 0xFFFF_FFFF]),
        (16, vec![0, 65536]),
        (32, vec![0]),
    ] {
        for seed in seeds {
            cases.push(Case::Lfsr {
                name: format!("lfsr{width}_seed_{seed:#x}"),
                width,
                seed,
                p_q16: 32768,
                len: 8,
                expect: err("InvalidSeed"),
            });
        }
    }
    // ProbabilityOutOfRange: 65537 (one past 1.0) and the largest word.
    for p_q16 in [65537u32, u32::MAX] {
        cases.push(Case::Lfsr {
            name: format!("lfsr16_p_{p_q16}"),
            width: 16,
            seed: 0xACE1,
            p_q16,
            len: 8,
            expect: err("ProbabilityOutOfRange"),
        });
        cases.push(Case::Sobol {
            name: format!("sobol_p_{p_q16}"),
            dimension: 1,
            start: 0,
            p_q16,
            len: 8,
            expect: err("ProbabilityOutOfRange"),
        });
    }
    // SobolDimension: one past the last dimension.
    cases.push(Case::Sobol {
        name: "sobol_dimension_16".into(),
        dimension: 16,
        start: 0,
        p_q16: 32768,
        len: 8,
        expect: err("SobolDimension"),
    });
    // InvalidParameter: LIF parameters out of range, in both formats.
    for (format, one, tag) in [
        (LifFormat::Q16_16, 65536, "q16"),
        (LifFormat::Q8_8, 256, "q8"),
    ] {
        let good = LifParamsRaw {
            v_rest: 0,
            v_reset: 0,
            threshold: one,
            alpha: one / 4,
            resistance: one,
            refractory: 1,
        };
        let bad: [(&str, LifParamsRaw); 6] = [
            ("alpha_0", LifParamsRaw { alpha: 0, ..good }),
            ("alpha_negative", LifParamsRaw { alpha: -1, ..good }),
            (
                "alpha_above_one",
                LifParamsRaw {
                    alpha: one + 1,
                    ..good
                },
            ),
            (
                "resistance_0",
                LifParamsRaw {
                    resistance: 0,
                    ..good
                },
            ),
            (
                "resistance_negative",
                LifParamsRaw {
                    resistance: -one,
                    ..good
                },
            ),
            (
                "threshold_eq_reset",
                LifParamsRaw {
                    threshold: 0,
                    ..good
                },
            ),
        ];
        for (what, params) in bad {
            cases.push(Case::Lif {
                name: format!("lif_{tag}_{what}"),
                format,
                params,
                neurons: 2,
                input: vec![vec![one, 0]],
                expect: err("InvalidParameter"),
            });
        }
        if format == LifFormat::Q8_8 {
            cases.push(Case::Lif {
                name: "lif_q8_v_rest_outside_16_bits".into(),
                format,
                params: LifParamsRaw {
                    v_rest: 32768,
                    ..good
                },
                neurons: 2,
                input: vec![vec![one, 0]],
                expect: err("InvalidParameter"),
            });
            cases.push(Case::Lif {
                name: "lif_q8_input_outside_16_bits".into(),
                format,
                params: good,
                neurons: 2,
                input: vec![vec![one, 0], vec![0, -32769]],
                expect: err("InvalidParameter"),
            });
        }
    }
    // Networks: one problem each, on a small valid network.
    let mut rng = SplitMix64::new(0xE550_2026);
    let base = random_network(
        &mut rng,
        LifFormat::Q16_16,
        &[3, 2],
        &[16],
        Source::Sobol { dimension: 0 },
        Source::Lfsr16 { seed: 0x1D0F },
    );
    let inputs: Vec<u32> = vec![65536, 32768, 0];
    let mut net = |name: &str, f: &dyn Fn(&mut NetworkSpec, &mut Vec<u32>), e: &str| {
        let mut n = base.clone();
        let mut x = inputs.clone();
        f(&mut n, &mut x);
        cases.push(Case::Network {
            name: name.into(),
            network: n,
            inputs_q16: x,
            steps: 2,
            expect: err(e),
        });
    };
    net(
        "net_input_p_65537",
        &|_, x| x[1] = 65537,
        "ProbabilityOutOfRange",
    );
    net(
        "net_weight_p_65537",
        &|n, _| n.layers[0].weights_q16[4] = 65537,
        "ProbabilityOutOfRange",
    );
    net(
        "net_same_sobol_sources",
        &|n, _| n.input_source = n.weight_source,
        "InvalidParameter",
    );
    net(
        "net_same_lfsr_sources",
        &|n, _| n.weight_source = n.input_source,
        "InvalidParameter",
    );
    net(
        "net_sobol_dimension_16",
        &|n, _| n.weight_source = Source::Sobol { dimension: 16 },
        "SobolDimension",
    );
    net(
        "net_lfsr_seed_0",
        &|n, _| n.input_source = Source::Lfsr16 { seed: 0 },
        "InvalidSeed",
    );
    net(
        "net_alpha_0",
        &|n, _| n.layers[0].params.alpha = 0,
        "InvalidParameter",
    );
    net(
        "net_q8_gain_outside_16_bits",
        &|n, _| {
            n.format = LifFormat::Q8_8;
            for l in &mut n.layers {
                l.params = LifParamsRaw {
                    v_rest: 0,
                    v_reset: 0,
                    threshold: 256,
                    alpha: 64,
                    resistance: 256,
                    refractory: 1,
                };
            }
            n.layers[0].gain = 40000;
        },
        "InvalidParameter",
    );
    // ShapeOverflow: a layer of 0 neurons over 1 input with L = 2^31, so
    // M * L = 2^31 does not fit (spec §5); no stream is ever encoded.
    cases.push(Case::Network {
        name: "net_shape_overflow".into(),
        network: NetworkSpec {
            dims: vec![1, 0],
            layers: vec![LayerSpec {
                len: 1 << 31,
                params: base.layers[0].params,
                weights_q16: vec![],
                negative: String::new(),
                gain: 65536,
            }],
            ..base.clone()
        },
        inputs_q16: vec![32768],
        steps: 1,
        expect: err("ShapeOverflow"),
    });
    cases
}
