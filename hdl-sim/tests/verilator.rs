//! The Verilator model of the RTL against sc-kernel, cycle by cycle, over
//! random inputs.

use sc_hdl_sim::Hw;
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::{mac_signed, MacShape};
use sc_kernel::net::{encode_weights, network_step, Layer, LayerState, StreamSource};
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::rng::SplitMix64;
use sc_kernel::sng::{encode, Lfsr16, Probability, Sobol, SOBOL_DIMENSIONS};
use sc_kernel::{words_for, BitSlice, BitSliceMut};

mod common;

/// The model, or `None` with a message when Verilator was not installed at
/// build time (CI installs it, so there the tests always run).
fn hw() -> Option<Hw> {
    common::model_or_skip(Hw::new())
}

#[test]
fn generators_match_cycle_by_cycle() {
    let Some(mut h) = hw() else { return };
    let mut rng = SplitMix64::new(1);
    for trial in 0..60 {
        let seed = 1 + rng.below(65535) as u32;
        let dim = rng.below(SOBOL_DIMENSIONS as u64) as usize;
        let start = rng.below(65536) as u32;
        let p = match trial % 4 {
            0 => 0,
            1 => 65536,
            _ => rng.below(65537) as u32,
        };
        let len = 1 + rng.below(400) as usize;
        let prob = Probability::from_q16(p).unwrap();
        let mut lw = vec![0u32; words_for::<u32>(len)];
        let mut sw = vec![0u32; words_for::<u32>(len)];
        let mut lg = Lfsr16::new(seed).unwrap();
        let mut sg = Sobol::new(dim, start).unwrap();
        encode(&mut lg, prob, &mut BitSliceMut::new(&mut lw, len).unwrap());
        encode(&mut sg, prob, &mut BitSliceMut::new(&mut sw, len).unwrap());
        let (ls, ss) = (
            BitSlice::new(&lw, len).unwrap(),
            BitSlice::new(&sw, len).unwrap(),
        );

        h.set("lfsr_seed", seed as u64).unwrap();
        h.set("sobol_dim", dim as u64).unwrap();
        h.set("sobol_start", start as u64).unwrap();
        h.set("p", p as u64).unwrap();
        h.set("g_load", 1).unwrap();
        h.tick();
        h.set("g_load", 0).unwrap();
        h.set("g_en", 1).unwrap();
        for t in 0..len {
            h.eval();
            assert_eq!(
                h.get("lfsr_bit").unwrap() == 1,
                ls.get(t).unwrap(),
                "lfsr seed {seed:#x} p {p} bit {t}"
            );
            assert_eq!(
                h.get("sobol_bit").unwrap() == 1,
                ss.get(t).unwrap(),
                "sobol dim {dim} start {start} p {p} bit {t}"
            );
            h.tick();
        }
        h.set("g_en", 0).unwrap();
        h.eval();
        assert_eq!(h.get("lfsr_state").unwrap(), lg.state() as u64);
        assert_eq!(h.get("sobol_index").unwrap(), sg.index() as u64);
    }
}

#[test]
fn neuron_accumulator_matches_mac_prefix_by_prefix() {
    let Some(mut h) = hw() else { return };
    let mut rng = SplitMix64::new(2);
    const N: usize = 16;
    for _ in 0..20 {
        let len = 1 + rng.below(150) as usize;
        let x: Vec<u8> = (0..N * len).map(|_| (rng.below(4) != 0) as u8).collect();
        let w: Vec<u8> = (0..N * len).map(|_| (rng.below(3) == 0) as u8).collect();
        let neg: Vec<u8> = (0..N).map(|_| rng.below(2) as u8).collect();
        let mut sw = vec![0u32; 1];
        pack_rows(
            RowShape {
                rows: 1,
                row_len: N,
            },
            &neg,
            &mut sw,
        )
        .unwrap();
        h.set("n_neg", sw[0] as u64).unwrap();
        h.set("n_clr", 1).unwrap();
        h.tick();
        h.set("n_clr", 0).unwrap();
        h.set("n_en", 1).unwrap();
        for t in 0..len {
            let xb = (0..N).fold(0u64, |a, i| a | (x[i * len + t] as u64) << i);
            let wb = (0..N).fold(0u64, |a, i| a | (w[i * len + t] as u64) << i);
            h.set("n_x", xb).unwrap();
            h.set("n_w", wb).unwrap();
            h.tick();
            // Kernel MAC over the first t + 1 bits of every stream.
            let l = t + 1;
            let shape = MacShape::new(1, N, l).unwrap();
            let pre = |v: &[u8]| -> Vec<u32> {
                let rows: Vec<u8> = (0..N)
                    .flat_map(|i| v[i * len..i * len + l].to_vec())
                    .collect();
                let mut out = vec![0u32; N * words_for::<u32>(l)];
                pack_rows(
                    RowShape {
                        rows: N,
                        row_len: l,
                    },
                    &rows,
                    &mut out,
                )
                .unwrap();
                out
            };
            let mut c = [0i32];
            mac_signed(&shape, &pre(&w), &sw, &pre(&x), &mut c).unwrap();
            assert_eq!(h.get("n_acc").unwrap() as u32 as i32, c[0], "cycle {t}");
        }
        h.set("n_en", 0).unwrap();
    }
}

/// Drives the LIF parameter ports (shared by the LIF steps and the layer)
/// with `p`'s raw values, masked to the format's `mask`.
fn set_lif_params<F: LifFixed>(h: &mut Hw, p: &LifParams<F>, mask: u64) {
    for (port, v) in [
        ("l_rest", p.v_rest().raw()),
        ("l_reset", p.v_reset().raw()),
        ("l_thr", p.threshold().raw()),
        ("l_alpha", p.alpha().raw()),
        ("l_res", p.resistance().raw()),
    ] {
        h.set(port, v as u32 as u64 & mask).unwrap();
    }
    h.set("l_refr", p.refractory() as u64).unwrap();
}

fn lif_random<F: LifFixed>(h: &mut Hw, rng: &mut SplitMix64, bits: u32) {
    let mask = if bits == 32 { u32::MAX as u64 } else { 0xFFFF };
    let one = 1i64 << F::FRAC_BITS;
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    let rnd =
        |rng: &mut SplitMix64, a: i64, b: i64| (a + rng.below((b - a + 1) as u64) as i64) as i32;
    let mut tried = 0;
    while tried < 40 {
        let params = LifParams::<F>::new(
            F::try_from_raw(rnd(rng, -2 * one, one)).unwrap(),
            F::try_from_raw(rnd(rng, -2 * one, one)).unwrap(),
            F::try_from_raw(rnd(rng, -one, 3 * one)).unwrap(),
            F::try_from_raw(rnd(rng, 1, one)).unwrap(),
            F::try_from_raw(rnd(rng, 1, 4 * one)).unwrap(),
            rng.below(4) as u16,
        );
        let Ok(p) = params else { continue };
        tried += 1;
        set_lif_params(h, &p, mask);
        let (mut v, mut r) = (p.v_rest(), 0u16);
        for step in 0..100 {
            // Mostly moderate currents, sometimes extreme ones to hit saturation.
            let i = if rng.below(10) == 0 {
                rnd(rng, lo, hi)
            } else {
                rnd(rng, -one, 2 * one)
            };
            h.set("l_v", v.raw() as u32 as u64 & mask).unwrap();
            h.set("l_r", r as u64).unwrap();
            h.set("l_i", i as u32 as u64 & mask).unwrap();
            h.eval();
            let spike = p.step(&mut v, &mut r, F::try_from_raw(i).unwrap());
            let (hv, hr, hs) = if bits == 32 {
                (
                    h.get("q16_v").unwrap() as u32 as i32,
                    h.get("q16_r").unwrap(),
                    h.get("q16_spike").unwrap(),
                )
            } else {
                (
                    h.get("q8_v").unwrap() as u16 as i16 as i32,
                    h.get("q8_r").unwrap(),
                    h.get("q8_spike").unwrap(),
                )
            };
            assert_eq!(
                (hv, hr as u16, hs == 1),
                (v.raw(), r, spike),
                "{bits}-bit LIF step {step}, params {p:?}"
            );
        }
    }
}

#[test]
fn lif_steps_match_in_both_formats() {
    let Some(mut h) = hw() else { return };
    let mut rng = SplitMix64::new(3);
    lif_random::<I16F16>(&mut h, &mut rng, 32);
    lif_random::<I8F8>(&mut h, &mut rng, 16);
}

#[test]
fn layer_matches_network_step() {
    let Some(mut h) = hw() else { return };
    const N: usize = 8;
    const M: usize = 4;
    const L: usize = 64;
    let mut rng = SplitMix64::new(4);
    for (wsrc, xsrc) in [
        (
            StreamSource::Sobol { dimension: 0 },
            StreamSource::Sobol { dimension: 1 },
        ),
        (
            StreamSource::Lfsr16 { seed: 0xACE1 },
            StreamSource::Lfsr16 { seed: 0x1D0F },
        ),
    ] {
        let shape = MacShape::new(M, N, L).unwrap();
        let mags: Vec<Probability> = (0..M * N)
            .map(|_| Probability::from_q16(rng.below(65537) as u32).unwrap())
            .collect();
        let neg: Vec<u8> = (0..M * N).map(|_| (rng.below(3) == 0) as u8).collect();
        let mut mw = vec![0u32; M * N * 2];
        encode_weights(&shape, wsrc, &mags, &mut mw).unwrap();
        let mut sw = vec![0u32; M];
        pack_rows(
            RowShape {
                rows: M,
                row_len: N,
            },
            &neg,
            &mut sw,
        )
        .unwrap();
        let gain = I16F16::from_num(2.5);
        let params = LifParams::<I16F16>::from_f64(0.0, -0.25, 1.0, 0.2, 1.0, 1).unwrap();
        let layers = [Layer {
            shape,
            magnitudes: &mw,
            signs: &sw,
            gain,
            params,
        }];
        let (mut v, mut r, mut c, mut cur) = (
            vec![params.v_rest(); M],
            vec![0u16; M],
            vec![0i32; M],
            vec![I16F16::ZERO; M],
        );
        let (mut sp, mut x) = (vec![0u32; 1], vec![0u32; N * 2]);
        let inputs: Vec<Probability> = (0..N)
            .map(|_| Probability::from_q16(rng.below(65537) as u32).unwrap())
            .collect();
        let mut g = xsrc.start().unwrap();

        let flat = |rows: &[u8]| {
            rows.iter()
                .enumerate()
                .fold(0u64, |a, (k, &b)| a | (b as u64) << k)
        };
        h.set("y_neg", flat(&neg)).unwrap();
        h.set("y_gain", gain.to_bits() as u32 as u64).unwrap();
        set_lif_params(&mut h, &params, u32::MAX as u64);
        h.set("y_rst", 1).unwrap();
        h.tick();
        h.set("y_rst", 0).unwrap();
        let mut spikes_seen = 0;
        for step in 0..15 {
            {
                let mut states = [LayerState {
                    v: &mut v,
                    refractory: &mut r,
                    counts: &mut c,
                    current: &mut cur,
                    spikes: &mut sp,
                    x: &mut x,
                }];
                network_step(&layers, &mut states, &inputs, &mut g).unwrap();
            }
            // Drive the same input and weight stream bits into the RTL layer.
            h.set("y_clr", 1).unwrap();
            h.tick();
            h.set("y_clr", 0).unwrap();
            h.set("y_en", 1).unwrap();
            for t in 0..L {
                let xb = (0..N).fold(0u64, |a, i| {
                    a | (((x[i * 2 + t / 32] >> (t % 32)) & 1) as u64) << i
                });
                let wb = (0..M * N).fold(0u64, |a, k| {
                    a | (((mw[k * 2 + t / 32] >> (t % 32)) & 1) as u64) << k
                });
                h.set("y_x", xb).unwrap();
                h.set("y_w", wb).unwrap();
                h.tick();
            }
            h.set("y_en", 0).unwrap();
            h.set("y_step", 1).unwrap();
            h.tick();
            h.set("y_step", 0).unwrap();
            h.eval();
            for j in 0..M {
                h.set("y_sel", j as u64).unwrap();
                h.eval();
                assert_eq!(
                    h.get("y_count").unwrap() as u32 as i32,
                    c[j],
                    "step {step} neuron {j} count"
                );
                assert_eq!(
                    h.get("y_v").unwrap() as u32 as i32,
                    v[j].to_bits(),
                    "step {step} neuron {j} membrane"
                );
                assert_eq!(
                    h.get("y_refr").unwrap() as u16,
                    r[j],
                    "step {step} neuron {j} refractory"
                );
            }
            assert_eq!(
                h.get("y_spikes").unwrap() as u32,
                sp[0],
                "step {step} spikes"
            );
            spikes_seen += sp[0].count_ones();
        }
        assert!(
            spikes_seen > 0,
            "the layer never spiked: the comparison would be weak"
        );
    }
}
