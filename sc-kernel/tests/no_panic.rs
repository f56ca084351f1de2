//! The kernel's promise: no public function overflows, wraps or panics, for
//! any argument. Every public function is driven over full integer ranges
//! (plus the edge values 0, 1, MAX and 2^k +- 1..2) and its result or error
//! is checked against an independent reference (exact `i128`/`u128`
//! arithmetic or a naive bit loop).
//!
//! Runs with overflow checks on (debug, or release with
//! `CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true`) and under Miri, where the
//! case counts shrink.

#![allow(clippy::needless_range_loop)] // references index like the spec

use proptest::prelude::*;
use sc_kernel::decode;
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams, LifPopulation};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::net::{
    argmax, counts_to_current, encode_inputs, encode_weights, spikes_to_streams, Generator,
    StreamSource,
};
use sc_kernel::ops;
use sc_kernel::pack::{self, bytes_for, RowShape};
use sc_kernel::sng::{encode, Lfsr16, Lfsr32, Lfsr8, Probability, Sng, Sobol, SOBOL_DIMENSIONS};
use sc_kernel::{last_word_mask, words_for, BitSlice, BitSliceMut, BitStream, Error, Word};

mod common;

const CASES: u32 = if cfg!(miri) { 4 } else { 256 };

/// Lengths around the word boundaries, where fast paths change.
const EDGE_LENS: [usize; 11] = [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129];

/// `2^k + d` clamped to `[lo, hi]`: the values next to every power of two.
fn near_pow2(lo: i128, hi: i128) -> impl Strategy<Value = i128> {
    (0u32..=64, -2i128..=2, any::<bool>()).prop_map(move |(k, d, neg)| {
        let x = (1i128 << k) + d;
        (if neg { -x } else { x }).clamp(lo, hi)
    })
}

/// Any `usize`, biased toward 0, 1, MAX and 2^k +- 2.
fn edge_usize() -> impl Strategy<Value = usize> {
    prop_oneof![
        any::<usize>(),
        Just(0usize),
        Just(1usize),
        Just(usize::MAX),
        near_pow2(0, usize::MAX as i128).prop_map(|x| x as usize),
    ]
}

/// Any `i32`, biased toward 0, +-1, MIN, MAX and +-2^k +- 2.
fn edge_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        any::<i32>(),
        Just(0i32),
        Just(1i32),
        Just(-1i32),
        Just(i32::MIN),
        Just(i32::MAX),
        near_pow2(i32::MIN as i128, i32::MAX as i128).prop_map(|x| x as i32),
    ]
}

/// Any `u32`, biased toward the edges.
fn edge_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        any::<u32>(),
        Just(0u32),
        Just(u32::MAX),
        near_pow2(0, u32::MAX as i128).prop_map(|x| x as u32),
    ]
}

/// `(ones, len)` with `ones <= len`, `len` anywhere in `usize`.
fn ones_len() -> impl Strategy<Value = (usize, usize)> {
    (edge_usize(), any::<u64>(), 0u8..4).prop_map(|(len, f, how)| {
        let ones = match how {
            0 => 0,
            1 => len,
            2 => len / 2,
            _ => ((len as u128 * f as u128) >> 64) as usize,
        };
        (ones, len)
    })
}

// ---------------------------------------------------------------- decode

/// `n * 2^16 / len` rounded to nearest, ties up, by quotient and remainder.
fn round_q16_ref(n: i128, len: usize) -> i32 {
    let (num, den) = (n * 65536, len as i128);
    let (q, r) = (num.div_euclid(den), num.rem_euclid(den));
    // Round up when the remainder is at least half the divisor.
    (q + i128::from(2 * r >= den)) as i32
}

fn check_decode(ones: usize, len: usize) -> Result<(), TestCaseError> {
    let (u, b) = (
        decode::unipolar_q16(ones, len),
        decode::bipolar_q16(ones, len),
    );
    let (uf, bf) = (
        decode::unipolar_f64(ones, len),
        decode::bipolar_f64(ones, len),
    );
    if len == 0 {
        for e in [u.map(|_| ()), b.map(|_| ()), uf.map(|_| ()), bf.map(|_| ())] {
            prop_assert_eq!(e, Err(Error::EmptyStream));
        }
        return Ok(());
    }
    if ones > len {
        let want = Err(Error::LengthMismatch {
            expected: len,
            found: ones,
        });
        for e in [u.map(|_| ()), b.map(|_| ()), uf.map(|_| ()), bf.map(|_| ())] {
            prop_assert_eq!(e, want);
        }
        return Ok(());
    }
    let ru = round_q16_ref(ones as i128, len);
    let rb = round_q16_ref(2 * ones as i128 - len as i128, len);
    prop_assert!((0..=65536).contains(&ru) && (-65536..=65536).contains(&rb));
    prop_assert_eq!(u.map(I16F16::to_bits), Ok(ru));
    prop_assert_eq!(b.map(I16F16::to_bits), Ok(rb));
    let (uf, bf) = (uf.unwrap(), bf.unwrap());
    prop_assert!((0.0..=1.0).contains(&uf), "unipolar f64 {}", uf);
    prop_assert!((-1.0..=1.0).contains(&bf), "bipolar f64 {}", bf);
    // The Q16.16 value is the f64 one rounded (up to f64 rounding of the operands).
    prop_assert!((uf - ru as f64 / 65536.0).abs() <= 0.5 / 65536.0 + 1e-9);
    prop_assert!((bf - rb as f64 / 65536.0).abs() <= 0.5 / 65536.0 + 1e-9);
    Ok(())
}

#[test]
fn decode_regressions() {
    // 2 * n * 65536 used to overflow i64: panic in debug, -65536 in release.
    let big = 1usize << 46;
    assert_eq!(decode::unipolar_q16(big, big).unwrap().to_bits(), 65536);
    assert_eq!(decode::bipolar_q16(big, big).unwrap().to_bits(), 65536);
    assert_eq!(decode::bipolar_q16(0, big).unwrap().to_bits(), -65536);
    // 2 * len used to wrap to 0: division by zero.
    assert_eq!(decode::unipolar_q16(1, 1 << 63).unwrap().to_bits(), 0);
    assert_eq!(
        decode::bipolar_q16(1 << 61, 1 << 63).unwrap().to_bits(),
        -32768
    );
    // len as i64 used to be -1.
    assert_eq!(decode::unipolar_q16(0, usize::MAX).unwrap().to_bits(), 0);
    assert_eq!(
        decode::bipolar_q16(0, usize::MAX).unwrap().to_bits(),
        -65536
    );
    let m = usize::MAX;
    assert_eq!(decode::unipolar_q16(m, m).unwrap().to_bits(), 65536);
    assert_eq!(decode::bipolar_q16(m, m).unwrap().to_bits(), 65536);
    assert_eq!(decode::bipolar_q16(m / 2 + 1, m).unwrap().to_bits(), 0);
    assert_eq!(decode::unipolar_f64(m, m), Ok(1.0));
    assert_eq!(decode::bipolar_f64(0, m), Ok(-1.0));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn decode_matches_exact_reference((ones, len) in ones_len()) {
        check_decode(ones, len)?;
    }

    #[test]
    fn decode_any_arguments(ones in edge_usize(), len in edge_usize()) {
        check_decode(ones, len)?;
    }

    #[test]
    fn decode_small_lengths(len in 1usize..2000, ones in 0usize..2000) {
        check_decode(ones.min(len), len)?;
    }
}

// ------------------------------------------------------- net: currents

/// `sat_W(floor(c * g / len))` by truncating division and a sign fix-up.
fn current_ref(c: i32, g: i32, len: usize, lo: i32, hi: i32) -> i32 {
    let (p, l) = (c as i128 * g as i128, len as i128);
    let mut q = p / l;
    if p % l != 0 && p < 0 {
        q -= 1;
    }
    q.clamp(lo as i128, hi as i128) as i32
}

#[test]
fn counts_to_current_regressions() {
    // `len as i64` used to be -1 for usize::MAX: floor(1 * 1.0 / -1) = -1.
    let mut cur = [I16F16::ZERO; 2];
    counts_to_current(&[1, -1], usize::MAX, I16F16::ONE, &mut cur).unwrap();
    assert_eq!(cur.map(I16F16::to_bits), [0, -1]);
    counts_to_current(&[i32::MAX, i32::MIN], 1, I16F16::MIN, &mut cur).unwrap();
    assert_eq!(cur.map(I16F16::to_bits), [i32::MIN, i32::MAX]);
    let mut cur8 = [I8F8::ZERO; 2];
    counts_to_current(&[i32::MAX, 3], 1 << 63, I8F8::MAX, &mut cur8).unwrap();
    assert_eq!(cur8.map(I8F8::to_bits), [0, 0]);
    assert_eq!(
        counts_to_current(&[1], 0, I16F16::ONE, &mut cur[..1]),
        Err(Error::EmptyStream)
    );
    assert_eq!(
        counts_to_current(&[1], 1, I16F16::ONE, &mut cur),
        Err(Error::LengthMismatch {
            expected: 1,
            found: 2
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn counts_to_current_matches_i128_reference(
        counts in prop::collection::vec(edge_i32(), 0..8),
        gain in edge_i32(),
        len in edge_usize(),
    ) {
        let mut q16 = vec![I16F16::ZERO; counts.len()];
        let r = counts_to_current(&counts, len, I16F16::from_bits(gain), &mut q16);
        let gain8 = gain as i16;
        let mut q8 = vec![I8F8::ZERO; counts.len()];
        let r8 = counts_to_current(&counts, len, I8F8::from_bits(gain8), &mut q8);
        if len == 0 {
            prop_assert_eq!(r, Err(Error::EmptyStream));
            prop_assert_eq!(r8, Err(Error::EmptyStream));
            return Ok(());
        }
        prop_assert_eq!(r, Ok(()));
        prop_assert_eq!(r8, Ok(()));
        for (k, &c) in counts.iter().enumerate() {
            prop_assert_eq!(q16[k].to_bits(), current_ref(c, gain, len, i32::MIN, i32::MAX));
            let want8 = current_ref(c, gain8 as i32, len, i16::MIN as i32, i16::MAX as i32);
            prop_assert_eq!(q8[k].to_bits() as i32, want8);
        }
    }
}

// ------------------------------------------------------------ Sobol, SNGs

#[test]
fn sobol_point_rejects_dimensions_instead_of_wrapping() {
    // `point(16, n)` used to return `point(0, n)`.
    for d in [SOBOL_DIMENSIONS, SOBOL_DIMENSIONS + 1, 1 << 32, usize::MAX] {
        let want = Err(Error::SobolDimension {
            dimension: d,
            available: SOBOL_DIMENSIONS,
        });
        assert_eq!(Sobol::point(d, 1), want);
        assert_eq!(Sobol::new(d, 0).map(|_| ()), want.map(|_: u16| ()));
    }
    assert_eq!(Sobol::point(0, 1), Ok(0x8000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn sobol_point_and_new_any_arguments(d in edge_usize(), n in any::<u16>(), start in edge_u32()) {
        if d < SOBOL_DIMENSIONS {
            // Direct XOR of the direction numbers.
            let want = (0..16usize)
                .filter(|k| (n >> k) & 1 == 1)
                .fold(0u16, |x, k| x ^ sc_kernel::sng::SOBOL_V[d][k]);
            prop_assert_eq!(Sobol::point(d, n), Ok(want));
            let mut g = Sobol::new(d, start).unwrap();
            prop_assert_eq!(g.index(), start as u16);
            prop_assert_eq!(Ok(g.next_q16()), Sobol::point(d, start as u16));
            prop_assert_eq!(Ok(g.next_q16()), Sobol::point(d, (start as u16).wrapping_add(1)));
        } else {
            let e = Error::SobolDimension { dimension: d, available: SOBOL_DIMENSIONS };
            prop_assert_eq!(Sobol::point(d, n), Err(e));
            prop_assert_eq!(Sobol::new(d, start).err(), Some(e));
        }
    }

    #[test]
    fn lfsr_seeds_any_u32(seed in edge_u32()) {
        let bad = |w: u32| Some(Error::InvalidSeed { width: w, seed });
        prop_assert_eq!(Lfsr8::new(seed).err(), if seed == 0 || seed > 0xFF { bad(8) } else { None });
        prop_assert_eq!(Lfsr16::new(seed).err(), if seed == 0 || seed > 0xFFFF { bad(16) } else { None });
        prop_assert_eq!(Lfsr32::new(seed).err(), if seed == 0 { bad(32) } else { None });
        if let Ok(g) = Lfsr32::new(seed) {
            prop_assert_eq!(g.state(), seed);
            prop_assert_eq!(g.value_q16(), (seed >> 16) as u16);
        }
    }

    #[test]
    fn probability_conversions_any_argument(q in edge_u32(), raw in edge_i32(), f in any::<f64>()) {
        prop_assert_eq!(Probability::from_q16(q).ok().map(Probability::q16), (q <= 65536).then_some(q));
        let u = Probability::from_unipolar(I16F16::from_bits(raw)).ok().map(Probability::q16);
        prop_assert_eq!(u, (0..=65536).contains(&raw).then_some(raw as u32));
        let b = Probability::from_bipolar(I16F16::from_bits(raw)).ok().map(Probability::q16);
        let want = (-65536..=65536)
            .contains(&raw)
            .then(|| (raw as i64 + 65537).div_euclid(2) as u32);
        prop_assert_eq!(b, want);
        for x in [f, f.fract().abs(), 0.0, -0.0, 1.0, f64::NAN, f64::INFINITY, -f64::MIN_POSITIVE] {
            let p = Probability::from_f64(x).ok().map(Probability::q16);
            let want = (x.is_finite() && (0.0..=1.0).contains(&x))
                .then(|| (x * 65536.0 + 0.5).floor() as u32);
            prop_assert_eq!(p, want);
            if let Some(q) = p {
                prop_assert!(q <= 65536);
            }
        }
    }

    #[test]
    fn generator_skip_any_count(seed in 1u32..=65535, dim in 0u8..16, n in edge_usize(), small in 0usize..300) {
        for src in [StreamSource::Lfsr16 { seed: seed as u16 }, StreamSource::Sobol { dimension: dim }] {
            // Small counts: the same as stepping.
            let mut a = src.start().unwrap();
            let mut b = a;
            a.skip(small);
            for _ in 0..small {
                b.next_q16();
            }
            prop_assert_eq!(a, b);
            // Any count: the same as stepping n mod the period (under
            // Miri, which is slow, counts below 4096 only).
            let n = if cfg!(miri) { n % 4096 } else { n };
            let period = match src {
                StreamSource::Lfsr16 { .. } => 65535,
                StreamSource::Sobol { .. } => 65536,
            };
            let mut a = src.start().unwrap();
            let mut b = a;
            a.skip(n);
            for _ in 0..(n as u64 % period) {
                b.next_q16();
            }
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn stream_source_any(dim in any::<u8>(), seed in any::<u16>()) {
        prop_assert_eq!(
            StreamSource::Sobol { dimension: dim }.start().is_ok(),
            (dim as usize) < SOBOL_DIMENSIONS
        );
        prop_assert_eq!(
            StreamSource::Lfsr16 { seed }.start().err(),
            (seed == 0).then_some(Error::InvalidSeed { width: 16, seed: 0 })
        );
    }

    #[test]
    fn encode_edge_lengths(seed in 1u32..=65535, p in prop_oneof![Just(0u32), Just(1u32), Just(65535u32), Just(65536u32), 0u32..=65536]) {
        for len in EDGE_LENS {
            let mut w = vec![u64::MAX; words_for::<u64>(len) + 1];
            let mut s = BitSliceMut::new(&mut w, len).unwrap();
            let mut g = Lfsr16::new(seed).unwrap();
            encode(&mut g, Probability::from_q16(p).unwrap(), &mut s);
            let mut r = Lfsr16::new(seed).unwrap();
            for t in 0..len {
                prop_assert_eq!(s.get(t), Some((r.next_q16() as u32) < p));
            }
            prop_assert_eq!(g, r); // advanced exactly len steps
            prop_assert_eq!(BitSlice::new(s.words(), len).map(|_| ()), Ok(()));
            prop_assert_eq!(*w.last().unwrap(), u64::MAX); // words past the view untouched
        }
    }
}

// ------------------------------------------------------------------ words

fn check_word<W: Word>(i: usize, value: u64, out_len: usize) -> Result<(), TestCaseError> {
    let bit = W::bit(i).to_u64();
    prop_assert_eq!(bit, if i < W::BITS { 1u64 << i } else { 0 });
    let mask = W::low_mask(i).to_u64();
    let ones = W::ONES.to_u64();
    prop_assert_eq!(mask, if i >= W::BITS { ones } else { (1u64 << i) - 1 });
    let lm = last_word_mask::<W>(i).to_u64();
    prop_assert_eq!(
        lm,
        if i.is_multiple_of(W::BITS) {
            ones
        } else {
            (1u64 << (i % W::BITS)) - 1
        }
    );
    let w = W::read_le(&value.to_le_bytes());
    prop_assert_eq!(w.to_u64(), value & ones);
    let mut out = vec![0xAAu8; out_len];
    w.write_le(&mut out);
    let k = out_len.min(W::BYTES);
    prop_assert_eq!(&out[..k], &value.to_le_bytes()[..k]);
    prop_assert!(out[k..].iter().all(|&b| b == 0xAA));
    // read_le takes up to BYTES bytes; missing ones are zero.
    let mut want = [0u8; 8];
    want[..k].copy_from_slice(&value.to_le_bytes()[..k]);
    prop_assert_eq!(
        W::read_le(&out[..k]).to_u64(),
        u64::from_le_bytes(want) & ones
    );
    prop_assert_eq!(
        words_for::<W>(i) as u128,
        (i as u128).div_ceil(W::BITS as u128)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn word_helpers_any_argument(i in edge_usize(), value in any::<u64>(), out_len in 0usize..20) {
        check_word::<u32>(i, value, out_len)?;
        check_word::<u64>(i, value, out_len)?;
        prop_assert_eq!(bytes_for(i) as u128, (i as u128).div_ceil(8));
    }
}

// ------------------------------------------------------------- bitstreams

fn check_views<W: Word>(len: usize, have: usize, t: usize) -> Result<(), TestCaseError> {
    let needed = words_for::<W>(len);
    let mut words = vec![W::ONES; have];
    let too_small = Err(Error::StorageTooSmall {
        needed,
        found: have,
    });
    if have < needed {
        prop_assert_eq!(BitSlice::new(&words, len).map(|_| ()), too_small);
        prop_assert_eq!(BitSliceMut::new(&mut words, len).map(|_| ()), too_small);
        return Ok(());
    }
    let padded = !len.is_multiple_of(W::BITS);
    let r = BitSlice::new(&words, len).map(|_| ());
    prop_assert_eq!(
        r,
        if padded {
            Err(Error::NonZeroPadding { stream: 0 })
        } else {
            Ok(())
        }
    );
    let mut s = BitSliceMut::new(&mut words, len).unwrap();
    prop_assert_eq!(s.count_ones(), len);
    prop_assert_eq!(s.get(t), (t < len).then_some(true));
    let set = s.set(t, false);
    prop_assert_eq!(
        set,
        if t < len {
            Ok(())
        } else {
            Err(Error::LengthMismatch {
                expected: len,
                found: t,
            })
        }
    );
    prop_assert_eq!(s.count_ones(), len - usize::from(t < len));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn views_any_length(len in edge_usize(), have in 0usize..6, t in edge_usize()) {
        check_views::<u32>(len, have, t)?;
        check_views::<u64>(len, have, t)?;
        // Small lengths, so that the views exist.
        let small = len % 200;
        check_views::<u32>(small, words_for::<u32>(small) + have % 2, t % 210)?;
        check_views::<u64>(small, words_for::<u64>(small) + have % 2, t % 210)?;
    }

    #[test]
    fn bitstream_any_length(len in edge_usize()) {
        let z = BitStream::<u32, 3>::zeros(len).map(|s| (s.len(), s.count_ones()));
        let want = if len <= 96 {
            Ok((len, 0))
        } else {
            Err(Error::CapacityExceeded { capacity: 96, requested: len })
        };
        prop_assert_eq!(z, want);
        let mut s = BitStream::<u64, 2>::zeros(len % 129).unwrap();
        s.as_mut().fill_ones();
        prop_assert_eq!(s.count_ones(), len % 129);
        prop_assert_eq!(BitStream::<u64, 2>::from_slice(s.as_slice()), Ok(s.clone()));
        prop_assert_eq!(
            BitStream::<u64, 1>::from_slice(s.as_slice()).err(),
            (len % 129 > 64).then_some(Error::CapacityExceeded { capacity: 64, requested: len % 129 })
        );
    }

    #[test]
    fn ops_match_naive_at_edge_lengths(seed in any::<u64>()) {
        for len in EDGE_LENS {
            let bits = |salt: u64| -> Vec<u8> {
                (0..len)
                    .map(|t| ((seed ^ salt).wrapping_mul(t as u64 * 2 + 1).rotate_left(17) >> 63) as u8)
                    .collect()
            };
            let (a, b, s) = (bits(1), bits(0x9E37_79B9_7F4A_7C15), bits(7));
            check_ops::<u32>(&a, &b, &s)?;
            check_ops::<u64>(&a, &b, &s)?;
        }
    }
}

fn packed<W: Word>(bits: &[u8]) -> Vec<W> {
    let mut w = vec![W::ZERO; words_for::<W>(bits.len())];
    pack::pack(bits, &mut BitSliceMut::new(&mut w, bits.len()).unwrap()).unwrap();
    w
}

fn check_ops<W: Word>(a: &[u8], b: &[u8], s: &[u8]) -> Result<(), TestCaseError> {
    let len = a.len();
    let (pa, pb, ps) = (packed::<W>(a), packed::<W>(b), packed::<W>(s));
    let (va, vb, vs) = (
        BitSlice::new(&pa, len).unwrap(),
        BitSlice::new(&pb, len).unwrap(),
        BitSlice::new(&ps, len).unwrap(),
    );
    let naive_and = (0..len).filter(|&t| a[t] & b[t] == 1).count();
    prop_assert_eq!(ops::and_count(va, vb), Ok(naive_and));
    prop_assert_eq!(va.count_ones(), a.iter().filter(|&&x| x == 1).count());
    let mut out = vec![W::ONES; words_for::<W>(len)];
    let mut o = BitSliceMut::new(&mut out, len).unwrap();
    ops::xnor(va, vb, &mut o).unwrap();
    let naive_xnor = (0..len).filter(|&t| a[t] == b[t]).count();
    prop_assert_eq!(o.count_ones(), naive_xnor);
    ops::not(va, &mut o).unwrap();
    prop_assert_eq!(o.count_ones(), len - va.count_ones());
    ops::mux(vs, va, vb, &mut o).unwrap();
    for t in 0..len {
        prop_assert_eq!(
            o.get(t),
            Some(if s[t] == 1 { a[t] == 1 } else { b[t] == 1 })
        );
    }
    let mut per = vec![0u32; words_for::<W>(len)];
    ops::count_ones_per_word(va, &mut per).unwrap();
    prop_assert_eq!(
        per.iter().map(|&c| c as usize).sum::<usize>(),
        va.count_ones()
    );
    let mut bytes = vec![0u8; bytes_for(len)];
    pack::to_bytes(va, &mut bytes).unwrap();
    let mut back = vec![W::ZERO; words_for::<W>(len)];
    pack::from_bytes(&bytes, &mut BitSliceMut::new(&mut back, len).unwrap()).unwrap();
    prop_assert_eq!(&back, &pa);
    let mut un = vec![9u8; len];
    pack::unpack(va, &mut un).unwrap();
    prop_assert_eq!(&un[..], a);
    Ok(())
}

// ------------------------------------------------------------------- rows

#[test]
fn row_shape_regressions() {
    // r * stride used to overflow: panic in debug, row 0 in release.
    let shape = RowShape {
        rows: 1 << 62,
        row_len: 512,
    };
    let words = [0u64; 16];
    assert_eq!(shape.row(&words, 1 << 61).err(), Some(Error::ShapeOverflow));
    assert_eq!(shape.row(&words, 2).err(), Some(Error::ShapeOverflow));
    assert_eq!(shape.row(&words, 0).map(|r| r.len()), Ok(512));
    let words32 = [0u32; 16];
    assert_eq!(
        shape.row(&words32, (1 << 62) - 1).err(),
        Some(Error::ShapeOverflow)
    );
    let fits = RowShape {
        rows: 1 << 20,
        row_len: 64,
    };
    assert_eq!(
        fits.row(&words, 99).err(),
        Some(Error::StorageTooSmall {
            needed: 1 << 20,
            found: 16
        })
    );
}

/// The row shape's results for any shape and a small word buffer.
fn check_rows<W: Word>(
    rows: usize,
    row_len: usize,
    r: usize,
    have: usize,
) -> Result<(), TestCaseError> {
    let shape = RowShape { rows, row_len };
    let stride = (row_len as u128).div_ceil(W::BITS as u128);
    let total_words = rows as u128 * stride;
    let total_bits = rows as u128 * row_len as u128;
    let max = usize::MAX as u128;
    prop_assert_eq!(shape.stride::<W>() as u128, stride);
    prop_assert_eq!(
        shape.words::<W>().ok().map(|x| x as u128),
        (total_words <= max).then_some(total_words)
    );
    prop_assert_eq!(
        shape.bits().ok().map(|x| x as u128),
        (total_bits <= max).then_some(total_bits)
    );
    let words = vec![W::ZERO; have];
    // row
    let got = shape.row(&words, r).map(|s| (s.len(), s.words().len()));
    let end = (r as u128 + 1) * stride;
    // The storage check every function ends with: an overflow first, then a
    // buffer too short for the whole shape.
    let storage = |overflow: bool, short: bool| {
        if overflow {
            Err(Error::ShapeOverflow)
        } else if short {
            Err(Error::StorageTooSmall {
                needed: total_words as usize,
                found: have,
            })
        } else {
            Ok(())
        }
    };
    let want = if r >= rows {
        Err(Error::LengthMismatch {
            expected: rows,
            found: r,
        })
    } else {
        storage(
            end > max || (end > have as u128 && total_words > max),
            end > have as u128,
        )
        .map(|()| (row_len, stride as usize))
    };
    prop_assert_eq!(got, want);
    // validate
    let fits = storage(total_words > max, total_words > have as u128);
    prop_assert_eq!(shape.validate(&words), fits);
    // pack_rows / unpack_rows with a small byte buffer
    let nbits = have * 3;
    let bits = vec![1u8; nbits];
    let mut out = vec![W::ONES; have];
    let want = if total_bits > max {
        Err(Error::ShapeOverflow)
    } else if total_bits != nbits as u128 {
        Err(Error::LengthMismatch {
            expected: total_bits as usize,
            found: nbits,
        })
    } else {
        fits
    };
    prop_assert_eq!(pack::pack_rows(shape, &bits, &mut out), want);
    if want.is_ok() {
        let mut un = vec![7u8; nbits];
        prop_assert_eq!(pack::unpack_rows(shape, &out, &mut un), Ok(()));
        prop_assert_eq!(un, bits);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn row_shape_any_arguments(rows in edge_usize(), row_len in edge_usize(), r in edge_usize(), have in 0usize..40) {
        check_rows::<u32>(rows, row_len, r, have)?;
        check_rows::<u64>(rows, row_len, r, have)?;
        // Small shapes too, so that some fit the buffer.
        let (rows, row_len) = (rows % 5, row_len % 70);
        check_rows::<u32>(rows, row_len, r % 6, have)?;
        check_rows::<u64>(rows, row_len, r % 6, have)?;
    }

    #[test]
    fn pack_rows_bad_bit_index(rows in 1usize..5, row_len in 1usize..70, at in any::<usize>(), value in 2u8..=255) {
        let n = rows * row_len;
        let mut bits = vec![0u8; n];
        bits[at % n] = value;
        let shape = RowShape { rows, row_len };
        let mut out = vec![0u32; shape.words::<u32>().unwrap()];
        prop_assert_eq!(
            pack::pack_rows(shape, &bits, &mut out),
            Err(Error::InvalidBit { index: at % n, value })
        );
    }
}

// -------------------------------------------------------------------- MAC

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn mac_shape_any_arguments(n in edge_usize(), m in edge_usize(), len in edge_usize()) {
        let span = m as u128 * len as u128;
        let ok = span <= i32::MAX as u128 && n as u128 * m as u128 <= usize::MAX as u128;
        let shape = MacShape::new(n, m, len);
        prop_assert_eq!(shape.is_ok(), ok);
        if !ok {
            prop_assert_eq!(shape, Err(Error::ShapeOverflow));
            return Ok(());
        }
        let shape = shape.unwrap();
        prop_assert_eq!((shape.neurons(), shape.inputs(), shape.len()), (n, m, len));
        prop_assert_eq!(shape.weight_rows().rows, n * m);
        // Empty buffers: an error (or success for an empty shape), never a panic.
        let mut out = vec![0u32; n.min(3)];
        let mut outs = vec![0i32; n.min(3)];
        let r = mac::<u32>(&shape, &[], &[], &mut out);
        let rs = mac_signed::<u64>(&shape, &[], &[], &[], &mut outs);
        if n > 3 {
            prop_assert_eq!(r, Err(Error::LengthMismatch { expected: n, found: 3 }));
            prop_assert_eq!(rs, Err(Error::LengthMismatch { expected: n, found: 3 }));
        }
        let e = encode_weights::<u32>(&shape, StreamSource::Sobol { dimension: 1 }, &[], &mut []);
        if n * m != 0 {
            prop_assert_eq!(e, Err(Error::LengthMismatch { expected: n * m, found: 0 }));
        }
        let mut g = StreamSource::Lfsr16 { seed: 1 }.start().unwrap();
        let before = g;
        let e = encode_inputs::<u64>(&shape, &[], &mut g, &mut []);
        if m != 0 {
            prop_assert_eq!(e, Err(Error::LengthMismatch { expected: m, found: 0 }));
            prop_assert_eq!(g, before);
        }
        let s = spikes_to_streams::<u32>(BitSlice::new(&[], 0).unwrap(), &shape, &mut []);
        if m != 0 {
            prop_assert_eq!(s, Err(Error::LengthMismatch { expected: m, found: 0 }));
        }
    }

    #[test]
    fn mac_edge_lengths(seed in any::<u64>(), n in 0usize..3, m in 0usize..4) {
        for len in EDGE_LENS {
            let shape = MacShape::new(n, m, len).unwrap();
            let bit = |k: usize, salt: u64| ((seed ^ salt).wrapping_mul(2 * k as u64 + 1).rotate_left(29) >> 63) as u8;
            let w: Vec<u8> = (0..n * m * len).map(|k| bit(k, 3)).collect();
            let x: Vec<u8> = (0..m * len).map(|k| bit(k, 5)).collect();
            let sg: Vec<u8> = (0..n * m).map(|k| bit(k, 11)).collect();
            let pw = pack_rows_vec::<u64>(n * m, len, &w);
            let px = pack_rows_vec::<u64>(m, len, &x);
            let ps = pack_rows_vec::<u64>(n, m, &sg);
            let (mut out, mut outs) = (vec![0u32; n], vec![0i32; n]);
            mac(&shape, &pw, &px, &mut out).unwrap();
            mac_signed(&shape, &pw, &ps, &px, &mut outs).unwrap();
            for j in 0..n {
                let (mut u, mut s) = (0i64, 0i64);
                for i in 0..m {
                    let c = (0..len).filter(|&t| w[(j * m + i) * len + t] & x[i * len + t] == 1).count() as i64;
                    u += c;
                    s += if sg[j * m + i] == 1 { -c } else { c };
                }
                prop_assert_eq!(out[j] as i64, u);
                prop_assert_eq!(outs[j] as i64, s);
            }
        }
    }
}

fn pack_rows_vec<W: Word>(rows: usize, row_len: usize, bits: &[u8]) -> Vec<W> {
    let shape = RowShape { rows, row_len };
    let mut w = vec![W::ZERO; shape.words::<W>().unwrap()];
    pack::pack_rows(shape, bits, &mut w).unwrap();
    w
}

// -------------------------------------------------------------------- LIF

/// `sat(floor(a * b / 2^f))` on exact integers.
fn sat_mul_ref(a: i64, b: i64, f: u32, lo: i64, hi: i64) -> i64 {
    ((a * b) >> f).clamp(lo, hi)
}

/// `sat_mul` of both formats against the exact reference and against
/// `fixed`'s `saturating_mul` (the kernel's earlier formulation).
fn check_sat_mul(a: i32, b: i32) -> Result<(), TestCaseError> {
    let (x, y) = (I16F16::from_bits(a), I16F16::from_bits(b));
    let want = sat_mul_ref(a as i64, b as i64, 16, i32::MIN as i64, i32::MAX as i64);
    prop_assert_eq!(x.sat_mul(y).to_bits() as i64, want);
    prop_assert_eq!(x.sat_mul(y), x.saturating_mul(y));
    for (a, b) in [(a as i16, b as i16), ((a >> 16) as i16, (b >> 16) as i16)] {
        let (x, y) = (I8F8::from_bits(a), I8F8::from_bits(b));
        let want = sat_mul_ref(a as i64, b as i64, 8, i16::MIN as i64, i16::MAX as i64);
        prop_assert_eq!(x.sat_mul(y).to_bits() as i64, want);
        prop_assert_eq!(x.sat_mul(y), x.saturating_mul(y));
    }
    Ok(())
}

#[test]
fn sat_mul_q8_every_left_operand() {
    // Every Q8.8 `a` against edge values and a stride over the range of `b`
    // (the whole 2^32 square takes minutes without optimisation).
    let edges = [
        i16::MIN,
        i16::MIN + 1,
        -257,
        -256,
        -255,
        -1,
        0,
        1,
        255,
        256,
        257,
        i16::MAX - 1,
        i16::MAX,
    ];
    let stride = (i16::MIN..=i16::MAX).step_by(if cfg!(miri) { 16381 } else { 251 });
    let bs: Vec<i16> = edges.into_iter().chain(stride).collect();
    let step = if cfg!(miri) { 4099 } else { 1 };
    for a in (i16::MIN..=i16::MAX).step_by(step) {
        for &b in &bs {
            let (x, y) = (I8F8::from_bits(a), I8F8::from_bits(b));
            let want = sat_mul_ref(a as i64, b as i64, 8, i16::MIN as i64, i16::MAX as i64);
            assert_eq!(x.sat_mul(y).to_bits() as i64, want, "{a} * {b}");
            assert_eq!(y.sat_mul(x).to_bits() as i64, want, "{b} * {a}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES * 16))]

    #[test]
    fn sat_mul_matches_exact_reference_and_fixed(a in edge_i32(), b in edge_i32()) {
        check_sat_mul(a, b)?;
    }

    #[test]
    fn sat_mul_any_pair(a in any::<i32>(), b in any::<i32>()) {
        check_sat_mul(a, b)?;
    }
}

/// Spec §6 on raw integers: `p = [v_rest, v_reset, threshold, alpha, R]`.
#[allow(clippy::too_many_arguments)]
fn lif_ref(
    p: [i64; 5],
    refr: u16,
    f: u32,
    lo: i64,
    hi: i64,
    v: &mut i64,
    r: &mut u16,
    i: i64,
) -> bool {
    if *r > 0 {
        *r -= 1;
        *v = p[1];
        return false;
    }
    let leak = sat_mul_ref((p[0] - *v).clamp(lo, hi), p[3], f, lo, hi);
    let drive = sat_mul_ref(i, p[4], f, lo, hi);
    let nv = (*v + (leak + drive).clamp(lo, hi)).clamp(lo, hi);
    if nv >= p[2] {
        *v = p[1];
        *r = refr;
        true
    } else {
        *v = nv;
        false
    }
}

fn check_lif<F: LifFixed>(
    raw: [i32; 5],
    refr: u16,
    v0: i32,
    r0: u16,
    inputs: &[i32],
) -> Result<(), TestCaseError> {
    let (lo, hi, f) = (F::RAW_MIN, F::RAW_MAX, F::FRAC_BITS);
    let conv: Vec<Result<F, Error>> = raw.iter().map(|&x| F::try_from_raw(x)).collect();
    for (k, c) in conv.iter().enumerate() {
        prop_assert_eq!(c.is_ok(), (lo..=hi).contains(&raw[k]));
        if let Ok(c) = c {
            prop_assert_eq!(c.raw(), raw[k]);
        }
    }
    let Ok(p) = conv.into_iter().collect::<Result<Vec<F>, Error>>() else {
        return Ok(());
    };
    let params = LifParams::new(p[0], p[1], p[2], p[3], p[4], refr);
    let one = 1i32 << f;
    let valid = raw[3] > 0 && raw[3] <= one && raw[4] > 0 && raw[2] > raw[1];
    prop_assert_eq!(params.is_ok(), valid);
    let Ok(params) = params else {
        return Ok(());
    };
    let Ok(mut v) = F::try_from_raw(v0.clamp(lo, hi)) else {
        return Err(TestCaseError::fail("clamped raw must convert"));
    };
    let pr = raw.map(|x| x as i64);
    let (mut rv, mut r, mut rr) = (v.raw() as i64, r0, r0);
    for &i in inputs {
        let i = i.clamp(lo, hi);
        let fi = F::try_from_raw(i).unwrap();
        let s = params.step(&mut v, &mut r, fi);
        let rs = lif_ref(
            pr, refr, f, lo as i64, hi as i64, &mut rv, &mut rr, i as i64,
        );
        prop_assert_eq!((s, v.raw() as i64, r), (rs, rv, rr));
    }
    Ok(())
}

/// A population step (the formats' word loops: Q8.8's fast path and its
/// fall-back to `step`) against [`lif_ref`] neuron by neuron, for several
/// steps: membranes, counters, spike bits and the spike count.
fn check_population<F: LifFixed>(
    raw: [i32; 5],
    refr: u16,
    v0: &[i32],
    r0: &[u16],
    inputs: &[i32],
    steps: usize,
) -> Result<(), TestCaseError> {
    let (lo, hi, f) = (F::RAW_MIN, F::RAW_MAX, F::FRAC_BITS);
    let raw = raw.map(|x| x.clamp(lo, hi));
    let p: Vec<F> = raw.iter().map(|&x| F::try_from_raw(x).unwrap()).collect();
    let Ok(params) = LifParams::new(p[0], p[1], p[2], p[3], p[4], refr) else {
        return Ok(());
    };
    let n = v0.len().min(r0.len()).min(inputs.len());
    let mut v: Vec<F> = v0[..n]
        .iter()
        .map(|&x| F::try_from_raw(x.clamp(lo, hi)).unwrap())
        .collect();
    let mut r = r0[..n].to_vec();
    let cur: Vec<F> = inputs[..n]
        .iter()
        .map(|&x| F::try_from_raw(x.clamp(lo, hi)).unwrap())
        .collect();
    let mut rv: Vec<i64> = v.iter().map(|x| x.raw() as i64).collect();
    let mut rr = r.clone();
    let pr = raw.map(|x| x as i64);
    for _ in 0..steps {
        let mut w = vec![u32::MAX; words_for::<u32>(n)];
        let mut spikes = BitSliceMut::new(&mut w, n).unwrap();
        let count = params
            .step_population(&mut v, &mut r, &cur, &mut spikes)
            .unwrap();
        let mut want = 0;
        for k in 0..n {
            let s = lif_ref(
                pr,
                refr,
                f,
                lo as i64,
                hi as i64,
                &mut rv[k],
                &mut rr[k],
                cur[k].raw() as i64,
            );
            want += usize::from(s);
            prop_assert_eq!(spikes.get(k), Some(s), "neuron {}", k);
            prop_assert_eq!((v[k].raw() as i64, r[k]), (rv[k], rr[k]), "neuron {}", k);
        }
        prop_assert_eq!(count, want);
    }
    Ok(())
}

/// Raw Q8.8 values: mostly small (the fast path's range), some anywhere.
fn q8_raw() -> impl Strategy<Value = i32> {
    prop_oneof![
        4 => -300i32..300,
        2 => -8200i32..8200,
        1 => (i16::MIN as i32)..=(i16::MAX as i32),
        1 => prop_oneof![Just(-8193), Just(-8192), Just(8191), Just(8192), Just(i16::MIN as i32), Just(i16::MAX as i32)],
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn lif_population_matches_reference(
        raw in prop::array::uniform5(q8_raw()),
        alpha in prop_oneof![1i32..=256, Just(256), Just(1)],
        refr in prop_oneof![Just(0u16), Just(1), Just(3), Just(u16::MAX)],
        v0 in prop::collection::vec(q8_raw(), 0..70),
        r0 in prop::collection::vec(prop_oneof![4 => Just(0u16), 1 => 1u16..4, 1 => any::<u16>()], 70),
        inputs in prop::collection::vec(q8_raw(), 70),
        steps in 1usize..4,
    ) {
        let mut raw = raw;
        raw[3] = alpha;
        raw[4] = raw[4].unsigned_abs().max(1) as i32; // a valid R mostly
        if raw[2] <= raw[1] {
            raw.swap(1, 2);
        }
        check_population::<I8F8>(raw, refr, &v0, &r0, &inputs, steps)?;
        // Q16.16: the same raw values, and scaled into its range.
        check_population::<I16F16>(raw, refr, &v0, &r0, &inputs, steps)?;
        let mut big = raw.map(|x| x.saturating_mul(256));
        big[3] = alpha * 256;
        let scale = |x: &Vec<i32>| x.iter().map(|&x| x.saturating_mul(256)).collect::<Vec<_>>();
        check_population::<I16F16>(big, refr, &scale(&v0), &r0, &scale(&inputs), steps)?;
    }

    #[test]
    fn lif_any_raw_values(
        raw in prop::array::uniform5(edge_i32()),
        alpha in prop_oneof![edge_i32(), 1i32..=65536],
        refr in prop_oneof![Just(0u16), Just(1), Just(u16::MAX), any::<u16>()],
        v0 in edge_i32(),
        r0 in prop_oneof![Just(0u16), Just(u16::MAX), any::<u16>()],
        inputs in prop::collection::vec(edge_i32(), 1..16),
    ) {
        let mut raw = raw;
        if raw[0] % 2 == 0 {
            raw[3] = alpha; // often a valid alpha
        }
        check_lif::<I16F16>(raw, refr, v0, r0 % 4, &inputs)?;
        check_lif::<I16F16>(raw, refr, v0, r0, &inputs)?;
        let small = raw.map(|x| x >> 16);
        let mut small = small;
        small[3] = alpha.rem_euclid(257);
        check_lif::<I8F8>(small, refr, v0 >> 16, r0 % 4, &inputs.iter().map(|&x| x >> 16).collect::<Vec<_>>())?;
        check_lif::<I8F8>(raw, refr, v0, r0, &inputs)?;
    }

    #[test]
    fn lif_float_conversions(x in any::<f64>(), k in -40i32..40) {
        for x in [x, x.fract() * 2f64.powi(k), f64::NAN, f64::INFINITY, -f64::INFINITY, 32767.99999, -32768.0] {
            check_from_f64::<I16F16>(x)?;
            check_from_f64::<I8F8>(x)?;
        }
    }

    #[test]
    fn lif_population_edge_lengths(cap in 0usize..70, n in edge_usize(), input in edge_i32()) {
        let params = LifParams::<I16F16>::from_f64(0.0, -1.0, 1.0, 0.5, 1.0, 2).unwrap();
        let p = LifPopulation::<I16F16, 66>::new(params, n);
        if n > 66 {
            prop_assert_eq!(p.err(), Some(Error::CapacityExceeded { capacity: 66, requested: n }));
        } else {
            prop_assert_eq!(p.map(|p| p.len()), Ok(n));
        }
        for len in EDGE_LENS.into_iter().chain([cap]) {
            let mut v = vec![I16F16::ZERO; len];
            let mut r: Vec<u16> = (0..len).map(|k| (k % 3) as u16).collect();
            let inp: Vec<I16F16> = (0..len).map(|k| I16F16::from_bits(input.rotate_left(k as u32))).collect();
            let (mut v2, mut r2) = (v.clone(), r.clone());
            let mut w = vec![u32::MAX; words_for::<u32>(len)];
            let mut spikes = BitSliceMut::new(&mut w, len).unwrap();
            let count = params.step_population(&mut v, &mut r, &inp, &mut spikes).unwrap();
            let mut want = 0;
            for k in 0..len {
                let s = params.step(&mut v2[k], &mut r2[k], inp[k]);
                want += usize::from(s);
                prop_assert_eq!(spikes.get(k), Some(s));
            }
            prop_assert_eq!((count, &v, &r), (want, &v2, &r2));
            prop_assert_eq!(
                params.step_population(&mut v[..len.saturating_sub(1)], &mut r, &inp, &mut spikes).err().is_some(),
                len > 0
            );
        }
    }

    #[test]
    fn argmax_matches_reference(counts in prop::collection::vec(prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>(), 0u32..3], 0..20)) {
        let want = counts
            .iter()
            .enumerate()
            .fold(None, |best: Option<(usize, u32)>, (k, &c)| match best {
                Some((_, b)) if b >= c => best,
                _ => Some((k, c)),
            })
            .map(|(k, _)| k);
        prop_assert_eq!(argmax(&counts), want);
    }
}

fn check_from_f64<F: LifFixed>(x: f64) -> Result<(), TestCaseError> {
    let got = F::from_f64(x).map(|v| v.raw());
    let want = if x.is_finite() {
        // Scaling by a power of two is exact (or overflows to infinity,
        // which is out of range anyway).
        let r = (x * (1u64 << F::FRAC_BITS) as f64).round_ties_even();
        (r >= F::RAW_MIN as f64 && r <= F::RAW_MAX as f64).then_some(r as i32)
    } else {
        None
    };
    prop_assert_eq!(got, want, "x = {}", x);
    if let Some(v) = F::from_f64(x) {
        prop_assert_eq!(
            v.to_f64(),
            got.unwrap() as f64 / (1u64 << F::FRAC_BITS) as f64
        );
    }
    Ok(())
}

#[test]
fn generator_skip_huge_is_quick() {
    // Used to loop n times: usize::MAX steps never finished.
    let mut g = StreamSource::Sobol { dimension: 3 }.start().unwrap();
    g.skip(usize::MAX);
    let Generator::Sobol(s) = g else {
        panic!("a Sobol source starts a Sobol generator")
    };
    assert_eq!(s.index(), u16::MAX);
    let mut l = StreamSource::Lfsr16 { seed: 0xACE1 }.start().unwrap();
    let start = l;
    l.skip(usize::MAX); // 2^64 - 1 = 65535 * 281479271743489: a whole number of periods
    assert_eq!(l, start);
}

/// A network of `dims` (`Q8.8`, extreme raw parameters and gains) over
/// storage whose sizes are off by `deltas` (0 = right): construction, steps
/// and hand-overs return results, never panic or overflow.
fn check_network(
    dims: &[usize],
    lens: &[usize],
    raw: &[i32],
    deltas: &[usize],
    outputs: usize,
    steps: usize,
    seed: u64,
) -> Result<(), TestCaseError> {
    use sc_kernel::net::{network_step, Layer, Network};
    use sc_kernel::neuron::Neuron;
    type W = u32;
    let nl = dims.len() - 1;
    let d = |i: usize| deltas.get(i).copied().unwrap_or(0);
    let p8 = |i: usize| I8F8::from_bits(raw[i % raw.len()] as i16);
    let mut shapes = vec![];
    let (mut mags, mut signs, mut params, mut gains) = (vec![], vec![], vec![], vec![]);
    for k in 0..nl {
        let Ok(sh) = MacShape::new(dims[k + 1], dims[k], lens[k]) else {
            return Ok(());
        };
        let mut mw = vec![0 as W; sh.weight_rows().words::<W>().unwrap()];
        let ps =
            vec![Probability::from_q16((seed as u32 >> k) % 65537).unwrap(); dims[k] * dims[k + 1]];
        encode_weights(&sh, StreamSource::Sobol { dimension: 0 }, &ps, &mut mw).unwrap();
        let sw = vec![0x5555_5555 as W; sh.sign_rows().words::<W>().unwrap()];
        let lif =
            LifParams::<I8F8>::new(p8(k), p8(k + 1), I8F8::MAX, I8F8::ONE, I8F8::MAX, u16::MAX)
                .or_else(|_| {
                    LifParams::new(
                        p8(k),
                        I8F8::MIN,
                        p8(k + 2).max(I8F8::from_bits(-32767)),
                        I8F8::from_bits(1),
                        I8F8::from_bits(1),
                        0,
                    )
                });
        let Ok(lif) = lif else { return Ok(()) };
        shapes.push(sh);
        mags.push(mw);
        signs.push(sw);
        params.push(lif);
        gains.push(p8(k + 3));
    }
    let layers: Vec<Layer<'_, LifParams<I8F8>, W>> = (0..nl)
        .map(|k| Layer {
            shape: shapes[k],
            magnitudes: &mags[k],
            signs: &signs[k],
            gain: gains[k],
            params: params[k],
        })
        .collect();
    let width = |k: usize| if k + 1 < nl { dims[k + 1] } else { outputs };
    // Each buffer of layer k is `d(6 * k + field)` words longer than needed.
    let mut st: common::Store<LifParams<I8F8>, W> = common::Store {
        v: (0..nl)
            .map(|k| vec![params[k].rest(); dims[k + 1] + d(6 * k)])
            .collect(),
        r: (0..nl)
            .map(|k| vec![0; dims[k + 1] + d(6 * k + 1)])
            .collect(),
        c: (0..nl)
            .map(|k| vec![0; dims[k + 1] + d(6 * k + 2)])
            .collect(),
        cur: (0..nl)
            .map(|k| vec![I8F8::ZERO; dims[k + 1] + d(6 * k + 3)])
            .collect(),
        sp: (0..nl)
            .map(|k| vec![!0; words_for::<W>(width(k)) + d(6 * k + 4)])
            .collect(),
        x: (0..nl)
            .map(|k| vec![0; shapes[k].input_rows().words::<W>().unwrap() + d(6 * k + 5)])
            .collect(),
    };
    let mut states = st.states();
    let inputs = vec![Probability::from_q16(65536).unwrap(); dims[0] + d(99)];
    let mut g = StreamSource::Lfsr16 { seed: 0xACE1 }.start().unwrap();
    for _ in 0..steps {
        let _ = network_step(&layers, &mut states, &inputs, &mut g);
    }
    let src = StreamSource::Lfsr16 { seed: 0xACE1 };
    if let Ok(mut net) = Network::with_outputs(&layers, &mut states, src, outputs) {
        let mut local = vec![!0 as W; seed as usize % 4];
        let mut rng = sc_kernel::rng::SplitMix64::new(seed);
        for t in 0..steps {
            let r = net.step(&inputs);
            if let Ok(n) = r {
                prop_assert!(n <= outputs);
            }
            let _ = net.step_with(&inputs, &mut local, |_, l, gl| {
                // Any bits, any length: the kernel keeps its invariants.
                let _ = gl.copy_from(l);
                gl.update_words(|w| w.iter_mut().for_each(|w| *w = rng.next_u32()));
                if t % 3 == 2 {
                    Err(Error::EmptyStream)
                } else {
                    Ok(())
                }
            });
            for k in 0..=nl {
                if let Some(s) = net.spikes(k) {
                    prop_assert_eq!(s.len(), width(k));
                }
            }
        }
        net.reset();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn network_any_storage_and_parameters(
        dims in prop::collection::vec(0usize..40, 2..5),
        lens in prop::collection::vec(prop_oneof![Just(0usize), 1usize..70, Just(200usize)], 4),
        raw in prop::collection::vec(prop_oneof![any::<i16>().prop_map(i32::from), Just(i16::MIN as i32), Just(i16::MAX as i32)], 1..6),
        deltas in prop::collection::vec(prop_oneof![8 => Just(0usize), 1 => 1usize..3], 0..25),
        outputs in 0usize..45,
        steps in 0usize..4,
        seed in any::<u64>(),
    ) {
        check_network(&dims, &lens, &raw, &deltas, outputs, steps, seed)?;
    }
}
