//! The counting form (spec §7.1) against the bitstream MAC of spec §5/§7:
//! equal counts for every layer-0 step and every spike pattern, over
//! random weights, inputs, both sources and edge stream lengths.

use proptest::prelude::*;
use sc_kernel::count::{
    input_values, layer0_counts, ones_table, spike_counts, weight_counts, weight_ranks,
    CheckedCounts, CountLayer, ONES_TABLE_LEN,
};
use sc_kernel::lif::LifParamsQ16;
use sc_kernel::mac::{mac_signed, MacShape};
use sc_kernel::net::{encode_inputs, encode_weights, spikes_to_streams, StreamSource};
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::rng::SplitMix64;
use sc_kernel::sng::Probability;
use sc_kernel::{words_for, BitSlice, Error};

fn source(kind: u8, param: u16) -> StreamSource {
    if kind == 0 {
        StreamSource::Sobol {
            dimension: (param % 16) as u8,
        }
    } else {
        StreamSource::Lfsr16 { seed: param.max(1) }
    }
}

/// A probability: often the edges 0 and 1, else uniform.
fn prob(rng: &mut SplitMix64) -> Probability {
    let q = match rng.below(6) {
        0 => 0,
        1 => 65536,
        _ => rng.below(65537) as u32,
    };
    Probability::from_q16(q).unwrap()
}

/// Compare one layer's counts, bitstream against counting form, over
/// `steps` steps of layer-0 inputs and random spike patterns.
fn check_layer(n: usize, m: usize, len: usize, ws: StreamSource, xs: StreamSource, seed: u64) {
    let mut rng = SplitMix64::new(seed);
    let shape = MacShape::new(n, m, len).unwrap();
    let mags: Vec<Probability> = (0..n * m).map(|_| prob(&mut rng)).collect();
    let neg: Vec<u8> = (0..n * m).map(|_| rng.below(2) as u8).collect();
    // Bitstream path.
    let mut wwords = vec![0u64; shape.weight_rows().words::<u64>().unwrap()];
    encode_weights(&shape, ws, &mags, &mut wwords).unwrap();
    let rs = RowShape {
        rows: n,
        row_len: m,
    };
    let mut signs = vec![0u64; rs.words::<u64>().unwrap()];
    pack_rows(rs, &neg, &mut signs).unwrap();
    // Counting form.
    let (mut values, mut order, mut rank) = (vec![0u16; len], vec![0u32; len], vec![0u32; len]);
    weight_ranks(ws, &mut values, &mut order, &mut rank).unwrap();
    let mut ones = vec![0u32; ONES_TABLE_LEN];
    ones_table(ws, len, &mut ones).unwrap();
    let mut wc = vec![0i32; n * m];
    weight_counts(
        &ones,
        n,
        m,
        |j, i| mags[j * m + i],
        |j, i| neg[j * m + i] == 1,
        &mut wc,
    )
    .unwrap();
    let params = LifParamsQ16::from_f64(0.0, 0.0, 1.0, 0.5, 1.0, 0).unwrap();
    let layer = CountLayer::new(shape, &wc, Default::default(), params).unwrap();
    let mut x = vec![0u64; shape.input_rows().words::<u64>().unwrap()];
    let (mut expect, mut got) = (vec![0i32; n], vec![0i32; n]);
    let (mut gx_bits, mut gx_count) = (xs.start().unwrap(), xs.start().unwrap());
    let (mut q, mut table) = (vec![0u16; len], vec![0u32; len + 1]);
    for _ in 0..3 {
        let inputs: Vec<Probability> = (0..m).map(|_| prob(&mut rng)).collect();
        encode_inputs(&shape, &inputs, &mut gx_bits, &mut x).unwrap();
        mac_signed(&shape, &wwords, &signs, &x, &mut expect).unwrap();
        input_values(&mut gx_count, &rank, &mut q).unwrap();
        layer0_counts(&layer, &q, &inputs, &mut table, &mut got).unwrap();
        assert_eq!(got, expect, "layer 0, {n}x{m}, L = {len}, {ws:?} {xs:?}");
        assert_eq!(gx_bits, gx_count, "the input generator advances L");
        // Spikes: all-ones or all-zeros input streams.
        let z: Vec<u8> = (0..m).map(|_| rng.below(2) as u8).collect();
        let mut zw = vec![0u64; words_for::<u64>(m)];
        pack_rows(
            RowShape {
                rows: 1,
                row_len: m,
            },
            &z,
            &mut zw,
        )
        .unwrap();
        let zs = BitSlice::new(&zw, m).unwrap();
        spikes_to_streams(zs, &shape, &mut x).unwrap();
        mac_signed(&shape, &wwords, &signs, &x, &mut expect).unwrap();
        spike_counts(&layer, zs, &mut got).unwrap();
        assert_eq!(got, expect, "spikes, {n}x{m}, L = {len}");
    }
}

#[test]
fn edge_lengths_both_sources() {
    // Each layer builds a 65537-entry ones table: seconds under Miri.
    let lens: &[usize] = if cfg!(miri) {
        &[65]
    } else {
        &[1, 2, 63, 64, 65, 100, 127, 255, 1000]
    };
    for &len in lens {
        for (k, (ws, xs)) in [
            ((0, 0), (0, 1)),
            ((1, 0xACE1), (1, 0x1D0F)),
            ((0, 3), (1, 7)),
        ]
        .into_iter()
        .enumerate()
        // Under Miri, one pairing per length.
        .take(if cfg!(miri) { 1 } else { 3 })
        {
            check_layer(
                5,
                7,
                len,
                source(ws.0, ws.1),
                source(xs.0, xs.1),
                len as u64 * 3 + k as u64,
            );
        }
    }
}

#[test]
#[cfg_attr(miri, ignore)] // minutes under Miri; the release run with overflow checks covers it
fn longest_streams() {
    // Past the LFSR's period (65535) and at Sobol's (65536).
    check_layer(3, 2, 65536, source(0, 4), source(1, 0xACE1), 1);
    check_layer(2, 3, 65537, source(1, 0xACE1), source(0, 5), 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 1 } else { 64 }))]
    #[test]
    fn random_layers(n in 0usize..9, m in 0usize..9, len in 1usize..300,
                     wk in 0u8..2, wp in any::<u16>(), xk in 0u8..2, xp in any::<u16>(),
                     seed in any::<u64>()) {
        check_layer(n, m, len, source(wk, wp), source(xk, xp), seed);
    }
}

#[test]
fn ones_table_is_the_stream_popcount() {
    let cases: &[(StreamSource, usize)] = if cfg!(miri) {
        &[(source(1, 0xACE1), 77)]
    } else {
        &[
            (source(1, 0xACE1), 77),
            (source(0, 3), 65536),
            (source(1, 9), 70001),
        ]
    };
    for &(ws, len) in cases {
        let mut table = vec![0u32; ONES_TABLE_LEN];
        ones_table(ws, len, &mut table).unwrap();
        for q in [0u32, 1, 255, 256, 30000, 65535, 65536] {
            let mut g = ws.start().unwrap();
            let ones = (0..len)
                .filter(|_| u32::from(sc_kernel::sng::Sng::next_q16(&mut g)) < q)
                .count();
            assert_eq!(table[q as usize] as usize, ones, "{ws:?} L = {len} P = {q}");
        }
    }
    assert!(ones_table(source(0, 0), 4, &mut [0u32; 10]).is_err());
}

#[test]
fn bad_sizes_are_errors() {
    let shape = MacShape::new(2, 2, 4).unwrap();
    let params = LifParamsQ16::from_f64(0.0, 0.0, 1.0, 0.5, 1.0, 0).unwrap();
    // A count above L.
    assert!(matches!(
        CountLayer::new(shape, &[0, 5, 0, 0], Default::default(), params),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    assert!(matches!(
        CountLayer::new(shape, &[0, 1, 0], Default::default(), params),
        Err(Error::LengthMismatch { .. })
    ));
    assert_eq!(
        CountLayer::new(
            MacShape::new(2, 2, 0).unwrap(),
            &[0; 4],
            Default::default(),
            params
        )
        .err(),
        Some(Error::EmptyStream)
    );
    let w = [1, -4, 4, 0];
    let layer = CountLayer::new(shape, &w, Default::default(), params).unwrap();
    let p = [Probability::ONE; 2];
    let mut c = [0i32; 2];
    let q = [0u16; 4];
    assert!(layer0_counts(&layer, &q, &p, &mut [0u32; 4], &mut c).is_err());
    assert!(layer0_counts(&layer, &q[..3], &p, &mut [0u32; 4], &mut c).is_err());
    assert!(layer0_counts(&layer, &q, &p[..1], &mut [0u32; 5], &mut c).is_err());
    layer0_counts(&layer, &q, &p, &mut [0u32; 5], &mut c).unwrap();
    assert_eq!(c, [5, -4]);
    let mut gen = StreamSource::Sobol { dimension: 0 }.start().unwrap();
    assert!(matches!(
        input_values(&mut gen, &[0, 9, 1, 2], &mut [0u16; 4]),
        Err(Error::InvalidParameter { name: "rank", .. })
    ));
    assert!(input_values(&mut gen, &[0, 1], &mut [0u16; 4]).is_err());
    let (mut s, mut o, mut r) = ([0u16; 3], [0u32; 3], [0u32; 2]);
    assert!(weight_ranks(StreamSource::Sobol { dimension: 0 }, &mut s, &mut o, &mut r).is_err());
}

/// Counts checked once build layers without a scan, only for their own
/// stream length and size, with the same look-ups as `CountLayer::new`.
#[test]
fn checked_counts_build_layers() {
    let shape = MacShape::new(2, 2, 4).unwrap();
    let params = LifParamsQ16::from_f64(0.0, 0.0, 1.0, 0.5, 1.0, 0).unwrap();
    assert!(matches!(
        CheckedCounts::<_, i16>::new(vec![0i16, 5, 0, 0], 4),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
    let checked = CheckedCounts::<_, i32>::new(vec![1i32, -4, 4, 0], 4).unwrap();
    assert_eq!(checked.stream_len(), 4);
    assert_eq!(checked.counts().unwrap(), [1, -4, 4, 0]);
    // Checked against L = 4: not a layer of L = 5 (a count of 5 would
    // pass there unchecked), nor of another size.
    for other in [MacShape::new(2, 2, 5), MacShape::new(1, 2, 4)] {
        assert!(matches!(
            CountLayer::from_checked(other.unwrap(), &checked, Default::default(), params),
            Err(Error::LengthMismatch { .. })
        ));
    }
    let layer = CountLayer::from_checked(shape, &checked, Default::default(), params).unwrap();
    let p = [Probability::ONE; 2];
    let (q, mut c) = ([0u16; 4], [0i32; 2]);
    layer0_counts(&layer, &q, &p, &mut [0u32; 5], &mut c).unwrap();
    assert_eq!(c, [5, -4]);
    assert_eq!(checked.into_inner(), vec![1, -4, 4, 0]);
    // Storage that gives another slice than the one checked builds no
    // layer: each call of `as_ref` here flips between two arrays.
    struct Flip {
        calls: std::cell::Cell<u32>,
        good: [i32; 4],
        bad: [i32; 4],
    }
    impl AsRef<[i32]> for Flip {
        fn as_ref(&self) -> &[i32] {
            self.calls.set(self.calls.get() + 1);
            if self.calls.get() == 1 {
                &self.good
            } else {
                &self.bad
            }
        }
    }
    let flip = Flip {
        calls: Default::default(),
        good: [0; 4],
        bad: [i32::MAX; 4],
    };
    let checked = CheckedCounts::<_, i32>::new(&flip, 4).unwrap();
    assert!(matches!(
        CountLayer::from_checked(shape, &checked, Default::default(), params),
        Err(Error::InvalidParameter {
            name: "weights",
            ..
        })
    ));
}
