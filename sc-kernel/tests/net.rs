//! The network step against a direct, unpacked re-statement of spec §7.

#![allow(clippy::needless_range_loop)] // the reference indexes like the spec

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::{LifFixed, LifParamsQ16};
use sc_kernel::mac::MacShape;
use sc_kernel::net::{
    counts_to_current, encode_weights, network_step, Layer, LayerState, StreamSource,
};
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::rng::SplitMix64;
use sc_kernel::sng::{Probability, Sng};
use sc_kernel::{words_for, Error};

struct Net {
    dims: Vec<usize>,
    len: usize,
    w_q16: Vec<Vec<u32>>,
    neg: Vec<Vec<u8>>,
    gain: I16F16,
    params: LifParamsQ16,
}

fn make(dims: &[usize], len: usize, seed: u64) -> Net {
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
    }
}

/// Unpacked reference: streams as Vec<bool>, generators sampled directly.
fn reference(
    net: &Net,
    wsrc: StreamSource,
    xsrc: StreamSource,
    inputs: &[u32],
    steps: usize,
) -> Vec<Vec<Vec<bool>>> {
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
        let mut x: Vec<Vec<bool>> = inputs.iter().map(|&p| stream(xsrc, t * l, p)).collect();
        let mut all = vec![];
        for k in 0..nl {
            let (ni, no) = (net.dims[k], net.dims[k + 1]);
            let mut spikes = vec![];
            for j in 0..no {
                let mut c = 0i64;
                for i in 0..ni {
                    let w = stream(wsrc, 0, net.w_q16[k][j * ni + i]);
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

fn run(
    net: &Net,
    wsrc: StreamSource,
    xsrc: StreamSource,
    inputs: &[u32],
    steps: usize,
) -> Vec<Vec<Vec<bool>>> {
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
        encode_weights(sh, wsrc, &ps, &mut m).unwrap();
        mags.push(m);
        let rs = RowShape {
            rows: sh.neurons(),
            row_len: sh.inputs(),
        };
        let mut s = vec![0 as W; rs.words::<W>().unwrap()];
        pack_rows(rs, &net.neg[k], &mut s).unwrap();
        signs.push(s);
    }
    let layers: Vec<Layer<'_, I16F16, W>> = (0..nl)
        .map(|k| Layer {
            shape: shapes[k],
            magnitudes: &mags[k],
            signs: &signs[k],
            gain: net.gain,
            params: net.params,
        })
        .collect();
    let mut v: Vec<Vec<I16F16>> = (0..nl)
        .map(|k| vec![net.params.v_rest(); net.dims[k + 1]])
        .collect();
    let mut r: Vec<Vec<u16>> = (0..nl).map(|k| vec![0; net.dims[k + 1]]).collect();
    let mut c: Vec<Vec<i32>> = (0..nl).map(|k| vec![0; net.dims[k + 1]]).collect();
    let mut cur: Vec<Vec<I16F16>> = (0..nl)
        .map(|k| vec![I16F16::ZERO; net.dims[k + 1]])
        .collect();
    let mut sp: Vec<Vec<W>> = (0..nl)
        .map(|k| vec![0; words_for::<W>(net.dims[k + 1])])
        .collect();
    let mut x: Vec<Vec<W>> = (0..nl)
        .map(|k| vec![0; net.dims[k] * words_for::<W>(l)])
        .collect();
    let mut states: Vec<LayerState<'_, I16F16, W>> = v
        .iter_mut()
        .zip(&mut r)
        .zip(&mut c)
        .zip(&mut cur)
        .zip(&mut sp)
        .zip(&mut x)
        .map(|(((((v, r), c), cur), sp), x)| LayerState {
            v,
            refractory: r,
            counts: c,
            current: cur,
            spikes: sp,
            x,
        })
        .collect();
    let probs: Vec<Probability> = inputs
        .iter()
        .map(|&q| Probability::from_q16(q).unwrap())
        .collect();
    let mut g = xsrc.start().unwrap();
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
        let net = make(&dims, len, 42);
        let inputs: Vec<u32> = (0..dims[0]).map(|i| (i as u32 * 40503) % 65537).collect();
        let got = run(&net, wsrc, xsrc, &inputs, 6);
        assert_eq!(got, reference(&net, wsrc, xsrc, &inputs, 6));
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
