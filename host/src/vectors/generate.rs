//! Deterministic generation of the shared vectors from the kernel.

use sc_kernel::{words_for, BitSliceMut};

use super::check::{check_case, Outcome};
use super::compute::{evaluate, kernel, CaseError};
use super::kinds;
use super::kinds::generator::Config::{Lfsr, Sobol};
use super::schema::*;
use crate::hex::{bits_to_str, stream_to_hex};
use crate::scnet::{LayerSpec, LifFormat, LifParamsRaw, NetworkSpec, Source};

pub use super::kinds::network::random_network;

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

/// Stream lengths around word boundaries.
pub(crate) const EDGE_LENS: [usize; 14] = [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 127, 129, 1000];

/// The canonical hex of 0/1 bits.
pub(crate) fn hex_of(bits: &[u8]) -> String {
    let mut w = vec![0u32; words_for::<u32>(bits.len())];
    let mut s = BitSliceMut::new(&mut w, bits.len()).expect("sized");
    sc_kernel::pack::pack(bits, &mut s).expect("0/1 bits");
    stream_to_hex(s.as_slice())
}

/// 0/1 bits as a bit string.
pub(crate) fn str_of(bits: &[u8]) -> String {
    bits_to_str(bits.iter().map(|&b| b == 1))
}

fn file(group: &str, description: &str, cases: Vec<Case>) -> Result<VectorFile, CaseError> {
    let cases = cases
        .iter()
        .map(|c| match c.expected_error() {
            None => evaluate::<u32>(c),
            // An error case is kept only if the reference rejects it with
            // exactly that error.
            Some(_) => match check_case(&kernel::<u32>(), c) {
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

/// A kind's case generator.
type Cases = fn(&mut SplitMix64) -> Vec<Case>;

/// Every vector file, generated from the kernel (u32 words) with fixed seeds.
pub fn generate_all() -> Result<Vec<VectorFile>, CaseError> {
    let mut rng = SplitMix64::new(0x5C_2026);
    let kinds: [(_, Cases); 8] = [
        (kinds::pack::GROUP, kinds::pack::cases),
        (kinds::bitwise::GROUP, kinds::bitwise::cases),
        (kinds::decode::GROUP, kinds::decode::cases),
        (kinds::lfsr::GROUP, kinds::lfsr::cases),
        (kinds::sobol::GROUP, kinds::sobol::cases),
        (kinds::mac::GROUP, kinds::mac::cases),
        (kinds::lif::GROUP, kinds::lif::cases),
        (kinds::network::GROUP, kinds::network::cases),
    ];
    let mut files = vec![];
    for ((group, description), cases) in kinds {
        files.push(file(group, description, cases(&mut rng))?);
    }
    files.push(file(
        "errors",
        "inputs every implementation must reject with the named kernel error (spec 8)",
        error_cases(),
    )?);
    Ok(files)
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
    // ... in an input stream, then in a weight stream.
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    for (name, [neurons, inputs, len], [weights, signs, x]) in [
        ("x1", [1, 2, 4], [&["0f", "0f"][..], &["01"], &["05", "15"]]),
        (
            "weight",
            [2, 1, 12],
            [&["ff0f", "ff1f"], &["0", "1"], &["aa0a"]],
        ),
    ] {
        cases.push(Case::Mac {
            name: format!("padding_mac_{name}"),
            neurons,
            inputs,
            len,
            weights: strings(weights),
            signs: strings(signs),
            x: strings(x),
            expect: err("NonZeroPadding"),
        });
    }
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
            let name = format!("lfsr{width}_seed_{seed:#x}");
            cases.push(Lfsr { width, seed }.case(name, 32768, 8, err("InvalidSeed")));
        }
    }
    // ProbabilityOutOfRange: 65537 (one past 1.0) and the largest word.
    for p_q16 in [65537u32, u32::MAX] {
        for (generator, config) in [
            (
                "lfsr16",
                Lfsr {
                    width: 16,
                    seed: 0xACE1,
                },
            ),
            (
                "sobol",
                Sobol {
                    dimension: 1,
                    start: 0,
                },
            ),
        ] {
            let name = format!("{generator}_p_{p_q16}");
            cases.push(config.case(name, p_q16, 8, err("ProbabilityOutOfRange")));
        }
    }
    // SobolDimension: one past the last dimension.
    let sobol16 = Sobol {
        dimension: 16,
        start: 0,
    };
    cases.push(sobol16.case("sobol_dimension_16".into(), 32768, 8, err("SobolDimension")));
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
