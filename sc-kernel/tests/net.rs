//! The network step against a direct, unpacked re-statement of spec §7.

#![allow(clippy::needless_range_loop)] // the reference indexes like the spec

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::{LifFixed, LifParamsQ16};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{counts_to_current, encode_weights, network_step, Layer, StreamSource};
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::rng::SplitMix64;
use sc_kernel::sng::{Probability, Sng};
use sc_kernel::{words_for, Error};

mod common;

struct Net {
    dims: Vec<usize>,
    len: usize,
    w_q16: Vec<Vec<u32>>,
    neg: Vec<Vec<u8>>,
    gain: I16F16,
    params: LifParamsQ16,
    wsrc: StreamSource,
    xsrc: StreamSource,
    inputs: Vec<u32>,
}

fn make(dims: &[usize], len: usize, wsrc: StreamSource, xsrc: StreamSource, seed: u64) -> Net {
    let mut rng = SplitMix64::new(seed);
    let mut w_q16 = vec![];
    let mut neg = vec![];
    for l in 0..dims.len() - 1 {
        let n = dims[l] * dims[l + 1];
        w_q16.push((0..n).map(|_| rng.below(65537) as u32).collect());
        neg.push((0..n).map(|_| rng.below(2) as u8).collect());
    }
    Net {
        dims: dims.to_vec(),
        len,
        w_q16,
        neg,
        gain: I16F16::from_num(1.5),
        params: LifParamsQ16::from_f64(0.0, -0.1, 0.6, 0.25, 1.0, 1).unwrap(),
        wsrc,
        xsrc,
        inputs: (0..dims[0]).map(|i| (i as u32 * 40503) % 65537).collect(),
    }
}

/// Unpacked reference: streams as Vec<bool>, generators sampled directly.
fn reference(net: &Net, steps: usize) -> Vec<Vec<Vec<bool>>> {
    let l = net.len;
    let stream = |src: StreamSource, skip: usize, p: u32| -> Vec<bool> {
        let mut g = src.start().unwrap();
        g.skip(skip);
        (0..l).map(|_| (g.next_q16() as u32) < p).collect()
    };
    let nl = net.dims.len() - 1;
    let mut v: Vec<Vec<I16F16>> = (0..nl)
        .map(|k| vec![net.params.v_rest(); net.dims[k + 1]])
        .collect();
    let mut r: Vec<Vec<u16>> = (0..nl).map(|k| vec![0; net.dims[k + 1]]).collect();
    let mut out = vec![];
    for t in 0..steps {
        let mut x: Vec<Vec<bool>> = net
            .inputs
            .iter()
            .map(|&p| stream(net.xsrc, t * l, p))
            .collect();
        let mut all = vec![];
        for k in 0..nl {
            let (ni, no) = (net.dims[k], net.dims[k + 1]);
            let mut spikes = vec![];
            for j in 0..no {
                let mut c = 0i64;
                for i in 0..ni {
                    let w = stream(net.wsrc, 0, net.w_q16[k][j * ni + i]);
                    let pc = (0..l).filter(|&b| w[b] && x[i][b]).count() as i64;
                    c += if net.neg[k][j * ni + i] == 1 { -pc } else { pc };
                }
                let cur = ((c * net.gain.to_bits() as i64).div_euclid(l as i64))
                    .clamp(i32::MIN as i64, i32::MAX as i64);
                spikes.push(net.params.step(
                    &mut v[k][j],
                    &mut r[k][j],
                    I16F16::from_bits(cur as i32),
                ));
            }
            x = spikes.iter().map(|&s| vec![s; l]).collect();
            all.push(spikes);
        }
        out.push(all);
    }
    out
}

fn run(net: &Net, steps: usize) -> Vec<Vec<Vec<bool>>> {
    type W = u32;
    let l = net.len;
    let nl = net.dims.len() - 1;
    let shapes: Vec<MacShape> = (0..nl)
        .map(|k| MacShape::new(net.dims[k + 1], net.dims[k], l).unwrap())
        .collect();
    let mut mags = vec![];
    let mut signs = vec![];
    for k in 0..nl {
        let sh = &shapes[k];
        let mut m = vec![0 as W; sh.weight_rows().words::<W>().unwrap()];
        let ps: Vec<Probability> = net.w_q16[k]
            .iter()
            .map(|&q| Probability::from_q16(q).unwrap())
            .collect();
        encode_weights(sh, net.wsrc, &ps, &mut m).unwrap();
        mags.push(m);
        let rs = RowShape {
            rows: sh.neurons(),
            row_len: sh.inputs(),
        };
        let mut s = vec![0 as W; rs.words::<W>().unwrap()];
        pack_rows(rs, &net.neg[k], &mut s).unwrap();
        signs.push(s);
    }
    let layers: Vec<Layer<'_, LifParamsQ16, W>> = (0..nl)
        .map(|k| Layer {
            shape: shapes[k],
            magnitudes: &mags[k],
            signs: &signs[k],
            gain: net.gain,
            params: net.params,
        })
        .collect();
    let neurons = |k: usize| net.dims[k + 1];
    let mut st: common::Store<LifParamsQ16, W> = common::Store {
        v: (0..nl)
            .map(|k| vec![net.params.v_rest(); neurons(k)])
            .collect(),
        r: (0..nl).map(|k| vec![0; neurons(k)]).collect(),
        c: (0..nl).map(|k| vec![0; neurons(k)]).collect(),
        cur: (0..nl).map(|k| vec![I16F16::ZERO; neurons(k)]).collect(),
        sp: (0..nl)
            .map(|k| vec![0; words_for::<W>(neurons(k))])
            .collect(),
        x: (0..nl)
            .map(|k| vec![0; net.dims[k] * words_for::<W>(l)])
            .collect(),
    };
    let mut states = st.states();
    let probs: Vec<Probability> = net
        .inputs
        .iter()
        .map(|&q| Probability::from_q16(q).unwrap())
        .collect();
    let mut g = net.xsrc.start().unwrap();
    let mut out = vec![];
    for _ in 0..steps {
        network_step(&layers, &mut states, &probs, &mut g).unwrap();
        out.push(
            (0..nl)
                .map(|k| {
                    (0..net.dims[k + 1])
                        .map(|j| states[k].spikes[j / 32] >> (j % 32) & 1 == 1)
                        .collect()
                })
                .collect(),
        );
    }
    out
}

#[test]
fn network_matches_reference() {
    for (dims, len, wsrc, xsrc) in [
        (
            vec![5usize, 4, 3],
            64usize,
            StreamSource::Sobol { dimension: 0 },
            StreamSource::Sobol { dimension: 1 },
        ),
        (
            vec![7, 33, 2],
            50,
            StreamSource::Lfsr16 { seed: 0xACE1 },
            StreamSource::Lfsr16 { seed: 0x1D0F },
        ),
    ] {
        let net = make(&dims, len, wsrc, xsrc, 42);
        let got = run(&net, 6);
        assert_eq!(got, reference(&net, 6));
        assert!(
            got.iter().flatten().flatten().any(|&s| s),
            "test network never spikes"
        );
    }
}

#[test]
fn counts_to_current_floors_and_saturates() {
    let mut out = [I16F16::ZERO; 3];
    counts_to_current(&[-3, 5, 7], 4, I16F16::from_bits(3), &mut out).unwrap();
    assert_eq!(out.map(|x| x.raw()), [-3, 3, 5]); // floor(-9/4), floor(15/4), floor(21/4)
    counts_to_current(&[i32::MAX, i32::MIN, 0], 4, I16F16::from_bits(8), &mut out).unwrap();
    assert_eq!(out.map(|x| x.raw()), [i32::MAX, i32::MIN, 0]);
    assert_eq!(
        counts_to_current(&[1], 0, I16F16::ONE, &mut out[..1]),
        Err(Error::EmptyStream)
    );
}

// ---------------------------------------------------------------------
// The packed network state (`Network`) against a per-layer reference loop
// over random small networks with per-layer lengths, parameters and gains.

mod packed {
    use super::*;
    use proptest::prelude::*;
    use sc_kernel::lif::LifParams;
    use sc_kernel::net::Network;
    use sc_kernel::{BitSlice, BitSliceMut};

    /// A random network: per layer its own `L_k`, parameters and gain.
    #[derive(Debug, Clone)]
    struct RNet {
        dims: Vec<usize>,
        lens: Vec<usize>,
        w_q16: Vec<Vec<u32>>,
        neg: Vec<Vec<u8>>,
        gains: Vec<I16F16>,
        params: Vec<LifParamsQ16>,
        wsrc: StreamSource,
        xsrc: StreamSource,
        inputs: Vec<u32>,
    }

    fn source(k: u8) -> StreamSource {
        match k % 4 {
            0 => StreamSource::Sobol { dimension: 0 },
            1 => StreamSource::Sobol { dimension: 3 },
            2 => StreamSource::Lfsr16 { seed: 0xACE1 },
            _ => StreamSource::Lfsr16 { seed: 0x1D0F },
        }
    }

    fn rnet(seed: u64, nl: usize, wide: bool) -> RNet {
        let mut rng = SplitMix64::new(seed);
        let mut dims = vec![];
        for _ in 0..=nl {
            dims.push(1 + rng.below(if wide { 70 } else { 9 }) as usize);
        }
        let mut lens = vec![];
        let mut w_q16 = vec![];
        let mut neg = vec![];
        let mut gains = vec![];
        let mut params = vec![];
        for k in 0..nl {
            lens.push(1 + rng.below(80) as usize);
            let n = dims[k] * dims[k + 1];
            w_q16.push((0..n).map(|_| rng.below(65537) as u32).collect());
            neg.push((0..n).map(|_| rng.below(4).min(1) as u8 ^ 1).collect());
            gains.push(I16F16::from_bits(rng.below(6 << 16) as i32 - (1 << 16)));
            let v_reset = -(rng.below(1 << 15) as i32);
            params.push(
                LifParams::new(
                    I16F16::from_bits(rng.below(1 << 14) as i32 - (1 << 13)),
                    I16F16::from_bits(v_reset),
                    I16F16::from_bits(1 + rng.below(1 << 16) as i32),
                    I16F16::from_bits(1 + rng.below(1 << 16) as i32),
                    I16F16::from_bits(1 + rng.below(2 << 16) as i32),
                    rng.below(3) as u16,
                )
                .unwrap(),
            );
        }
        let a = rng.below(4) as u8;
        let b = a + 1 + rng.below(3) as u8;
        let inputs = (0..dims[0]).map(|_| rng.below(65537) as u32).collect();
        RNet {
            dims,
            lens,
            w_q16,
            neg,
            gains,
            params,
            wsrc: source(a),
            xsrc: source(b),
            inputs,
        }
    }

    /// The previous behaviour restated per layer: unpacked streams (one bool
    /// per bit), counts, `sat(floor(c * G / L))`, one LIF step per neuron,
    /// then layer `k + 1`'s inputs all ones / all zeros from layer `k`'s
    /// spikes (L_(k+1) bits).
    fn reference(net: &RNet, steps: usize) -> Vec<Vec<Vec<bool>>> {
        let nl = net.lens.len();
        let stream = |src: StreamSource, skip: usize, l: usize, p: u32| -> Vec<bool> {
            let mut g = src.start().unwrap();
            g.skip(skip);
            (0..l).map(|_| (g.next_q16() as u32) < p).collect()
        };
        let mut v: Vec<Vec<I16F16>> = (0..nl)
            .map(|k| vec![net.params[k].v_rest(); net.dims[k + 1]])
            .collect();
        let mut r: Vec<Vec<u16>> = (0..nl).map(|k| vec![0; net.dims[k + 1]]).collect();
        let l0 = net.lens[0];
        let mut out = vec![];
        for t in 0..steps {
            let mut x: Vec<Vec<bool>> = net
                .inputs
                .iter()
                .map(|&p| stream(net.xsrc, t * l0, l0, p))
                .collect();
            let mut all = vec![];
            for k in 0..nl {
                let (ni, no, l) = (net.dims[k], net.dims[k + 1], net.lens[k]);
                let mut spikes = vec![];
                for j in 0..no {
                    let mut c = 0i64;
                    for i in 0..ni {
                        let w = stream(net.wsrc, 0, l, net.w_q16[k][j * ni + i]);
                        let pc = (0..l).filter(|&b| w[b] && x[i][b]).count() as i64;
                        c += if net.neg[k][j * ni + i] == 1 { -pc } else { pc };
                    }
                    let cur = ((c * net.gains[k].to_bits() as i64).div_euclid(l as i64))
                        .clamp(i32::MIN as i64, i32::MAX as i64);
                    spikes.push(net.params[k].step(
                        &mut v[k][j],
                        &mut r[k][j],
                        I16F16::from_bits(cur as i32),
                    ));
                }
                if k + 1 < nl {
                    x = spikes.iter().map(|&s| vec![s; net.lens[k + 1]]).collect();
                }
                all.push(spikes);
            }
            out.push(all);
        }
        out
    }

    type W = u32;

    /// Encoded weights of rows `rows(k)` of every layer.
    struct Enc {
        shapes: Vec<MacShape>,
        mags: Vec<Vec<W>>,
        signs: Vec<Vec<W>>,
    }

    fn encode(net: &RNet, rows: impl Fn(usize) -> std::ops::Range<usize>) -> Enc {
        let nl = net.lens.len();
        let (mut shapes, mut mags, mut signs) = (vec![], vec![], vec![]);
        for k in 0..nl {
            let m = net.dims[k];
            let r = rows(k);
            let sh = MacShape::new(r.len(), m, net.lens[k]).unwrap();
            let mut mw = vec![0 as W; sh.weight_rows().words::<W>().unwrap()];
            let ps: Vec<Probability> = net.w_q16[k][r.start * m..r.end * m]
                .iter()
                .map(|&q| Probability::from_q16(q).unwrap())
                .collect();
            encode_weights(&sh, net.wsrc, &ps, &mut mw).unwrap();
            let rs = RowShape {
                rows: r.len(),
                row_len: m,
            };
            let mut sw = vec![0 as W; rs.words::<W>().unwrap()];
            pack_rows(rs, &net.neg[k][r.start * m..r.end * m], &mut sw).unwrap();
            shapes.push(sh);
            mags.push(mw);
            signs.push(sw);
        }
        Enc {
            shapes,
            mags,
            signs,
        }
    }

    fn layers<'a>(net: &RNet, e: &'a Enc) -> Vec<Layer<'a, LifParamsQ16, W>> {
        (0..net.lens.len())
            .map(|k| Layer {
                shape: e.shapes[k],
                magnitudes: &e.mags[k],
                signs: &e.signs[k],
                gain: net.gains[k],
                params: net.params[k],
            })
            .collect()
    }

    /// Caller storage of a network: per layer `(neurons, inputs * stride,
    /// spike words)`.
    type Store = common::Store<LifParamsQ16, W>;

    fn store(ls: &[Layer<'_, LifParamsQ16, W>], widths: &[usize]) -> Store {
        let ns: Vec<usize> = ls.iter().map(|l| l.shape.neurons()).collect();
        Store {
            // Garbage on purpose: the network resets the state.
            v: ns
                .iter()
                .map(|&n| vec![I16F16::from_bits(12345); n])
                .collect(),
            r: ns.iter().map(|&n| vec![7; n]).collect(),
            c: ns.iter().map(|&n| vec![0; n]).collect(),
            cur: ns.iter().map(|&n| vec![I16F16::ZERO; n]).collect(),
            sp: widths
                .iter()
                .map(|&n| vec![!0; words_for::<W>(n)])
                .collect(),
            x: ls
                .iter()
                .map(|l| vec![0; l.shape.inputs() * l.shape.stride::<W>()])
                .collect(),
        }
    }

    fn bits(s: BitSlice<'_, W>) -> Vec<bool> {
        (0..s.len()).map(|j| s.get(j).unwrap()).collect()
    }

    fn probs(net: &RNet) -> Vec<Probability> {
        net.inputs
            .iter()
            .map(|&q| Probability::from_q16(q).unwrap())
            .collect()
    }

    /// Calls `f` with the layers of the whole network `net` on one process
    /// and fresh caller storage for them.
    fn on_one_process<R>(
        net: &RNet,
        f: impl FnOnce(&[Layer<'_, LifParamsQ16, W>], &mut Store) -> R,
    ) -> R {
        let e = encode(net, |k| 0..net.dims[k + 1]);
        let ls = layers(net, &e);
        f(&ls, &mut store(&ls, &net.dims[1..]))
    }

    /// `Network::step` on one process.
    fn run_packed(net: &RNet, steps: usize) -> Vec<Vec<Vec<bool>>> {
        on_one_process(net, |ls, st| {
            let mut states = st.states();
            let mut nw = Network::new(ls, &mut states, net.xsrc).unwrap();
            let p = probs(net);
            let mut out = vec![];
            for _ in 0..steps {
                let n = nw.step(&p).unwrap();
                let rec: Vec<Vec<bool>> =
                    (0..ls.len()).map(|k| bits(nw.spikes(k).unwrap())).collect();
                assert_eq!(n, rec.last().unwrap().iter().filter(|&&b| b).count());
                out.push(rec);
            }
            out
        })
    }

    /// The free `network_step` (the firmware's entry point) on the same
    /// storage layout.
    fn run_free(net: &RNet, steps: usize) -> Vec<Vec<Vec<bool>>> {
        on_one_process(net, |ls, st| {
            let mut states = st.states();
            for (l, s) in ls.iter().zip(states.iter_mut()) {
                s.reset(&l.params);
            }
            let mut g = net.xsrc.start().unwrap();
            let p = probs(net);
            let mut out = vec![];
            for _ in 0..steps {
                network_step(ls, &mut states, &p, &mut g).unwrap();
                out.push(
                    (0..ls.len())
                        .map(|k| bits(BitSlice::new(states[k].spikes, net.dims[k + 1]).unwrap()))
                        .collect(),
                );
            }
            out
        })
    }

    /// One "rank" of a distributed run holding neurons `lo..hi` (scaled to
    /// each layer) of every layer; its hand-over checks its local spikes
    /// against the reference and fills in the whole layer from it, as the
    /// other ranks would.
    fn run_rank(net: &RNet, want: &[Vec<Vec<bool>>], part: (usize, usize)) -> Vec<Vec<Vec<bool>>> {
        let rows = |k: usize| {
            let n = net.dims[k + 1];
            (n * part.0 / part.1)..(n * (part.0 + 1) / part.1)
        };
        let e = encode(net, rows);
        let ls = layers(net, &e);
        let mut st = store(&ls, &net.dims[1..]);
        let mut states = st.states();
        let outputs = *net.dims.last().unwrap();
        let mut nw = Network::with_outputs(&ls, &mut states, net.xsrc, outputs).unwrap();
        let p = probs(net);
        let mut local = vec![!0 as W; words_for::<W>(70)];
        let mut out = vec![];
        for (t, want_t) in want.iter().enumerate() {
            nw.step_with(
                &p,
                &mut local,
                |k, mine: BitSlice<'_, W>, all: &mut BitSliceMut<'_, W>| {
                    let r = rows(k);
                    assert_eq!(bits(mine), want_t[k][r], "step {t} layer {k}");
                    for (j, &z) in want_t[k].iter().enumerate() {
                        all.set(j, z)?;
                    }
                    Ok(())
                },
            )
            .unwrap();
            out.push((0..ls.len()).map(|k| bits(nw.spikes(k).unwrap())).collect());
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 2 } else { 48 }))]
        #[test]
        fn packed_network_matches_the_per_layer_reference(
            seed in any::<u64>(), nl in 1usize..=3, wide in any::<bool>(), steps in 0usize..=5,
        ) {
            // Under Miri, narrow networks only: a wide one (up to 70 x 70
            // per layer, run six ways) takes minutes there.
            let net = rnet(seed, nl, wide && !cfg!(miri));
            let want = reference(&net, steps);
            prop_assert_eq!(&run_packed(&net, steps), &want);
            prop_assert_eq!(&run_free(&net, steps), &want);
            for part in [(0, 1), (0, 2), (1, 2), (2, 3)] {
                prop_assert_eq!(&run_rank(&net, &want, part), &want);
            }
        }
    }

    // The random networks are not silent: later layers spike too, so the
    // property above compares spike trains, not zeros.
    // (A property of the test data, not of memory safety: not under Miri.)
    #[test]
    #[cfg_attr(miri, ignore)]
    fn random_networks_spike_in_every_layer_position() {
        let mut per_layer = [0usize; 3];
        for seed in 0..24 {
            let net = rnet(seed, 3, seed % 2 == 0);
            for t in reference(&net, 5) {
                for (k, l) in t.iter().enumerate() {
                    per_layer[k] += l.iter().filter(|&&b| b).count();
                }
            }
        }
        assert!(per_layer.iter().all(|&n| n > 20), "{per_layer:?}");
    }

    // A reset network runs a new sample from the initial state.
    #[test]
    fn reset_restarts_the_sample() {
        let net = rnet(7, 2, true);
        on_one_process(&net, |ls, st| {
            let mut states = st.states();
            let mut nw = Network::new(ls, &mut states, net.xsrc).unwrap();
            let p = probs(&net);
            let mut first = vec![];
            for _ in 0..4 {
                nw.step(&p).unwrap();
                first.push(bits(nw.spikes(1).unwrap()));
            }
            nw.reset();
            for f in &first {
                nw.step(&p).unwrap();
                assert_eq!(&bits(nw.spikes(1).unwrap()), f);
            }
        })
    }

    // Buffers of the wrong size and chained shapes that do not fit are
    // errors at construction, never panics.
    #[test]
    fn network_checks_its_storage() {
        let net = rnet(3, 2, false);
        on_one_process(&net, |ls, st| {
            st.sp[0].push(0);
            let mut states = st.states();
            assert!(matches!(
                Network::new(ls, &mut states, net.xsrc),
                Err(Error::LengthMismatch { .. })
            ));
            let mut st = store(ls, &net.dims[1..]);
            let mut states = st.states();
            assert!(Network::new(&ls[..1], &mut states, net.xsrc).is_err());
            assert!(Network::new(&ls[..0], &mut states[..0], net.xsrc).is_err());
            assert!(Network::new(ls, &mut states, StreamSource::Lfsr16 { seed: 0 }).is_err());
            let mut nw = Network::new(ls, &mut states, net.xsrc).unwrap();
            assert!(nw.step(&[]).is_err());
            assert!(nw.spikes(2).is_none());
            let p = probs(&net);
            // A hand-over error ends the step with that error.
            let r = nw.step_with(&p, &mut [0; 3], |_, _, _| Err(Error::EmptyStream));
            assert_eq!(r, Err(Error::EmptyStream));
            // Too small a local scratch is an error.
            let r = nw.step_with(&p, &mut [], |_, _, _| Ok(()));
            assert!(r.is_err());
        })
    }
}
