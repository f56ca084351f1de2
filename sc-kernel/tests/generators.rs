//! Stochastic number generators, encoding and decoding.

use proptest::prelude::*;
use sc_kernel::decode;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::sng::{encode, Lfsr16, Lfsr32, Lfsr8, Probability, Sng, Sobol, SOBOL_DIMENSIONS};
use sc_kernel::{words_for, BitSliceMut, Error};

fn stream_ones<G: Sng>(g: &mut G, p: Probability, len: usize) -> usize {
    let mut w = vec![0u32; words_for::<u32>(len)];
    let mut s = BitSliceMut::new(&mut w, len).unwrap();
    encode(g, p, &mut s);
    s.count_ones()
}

#[test]
fn sobol_exact_for_powers_of_two() {
    // For L = 2^k and p = m / 2^k, every dimension gives exactly m ones.
    // Under Miri (slow), streams up to 16 bits and no full period.
    let max_k = if cfg!(miri) { 4 } else { 10 };
    for d in 0..SOBOL_DIMENSIONS {
        for k in 0..=max_k {
            let l = 1usize << k;
            let step = (l / 64).max(1);
            for m in (0..=l).step_by(step).chain([l - 1, l]) {
                let p = Probability::from_q16((m as u32) << (16 - k)).unwrap();
                let ones = stream_ones(&mut Sobol::new(d, 0).unwrap(), p, l);
                assert_eq!(ones, m, "dim {d} L {l} m {m}");
            }
        }
    }
    // Dimension 0 over the full 16-bit period.
    let ms: &[usize] = if cfg!(miri) {
        &[]
    } else {
        &[0, 1, 12345, 65535, 65536]
    };
    for &m in ms {
        let ones = stream_ones(
            &mut Sobol::new(0, 0).unwrap(),
            Probability::from_q16(m as u32).unwrap(),
            65536,
        );
        assert_eq!(ones, m);
    }
}

#[test]
fn sobol_dim0_is_van_der_corput_and_incremental_matches_direct() {
    for d in 0..SOBOL_DIMENSIONS {
        let mut g = Sobol::new(d, 65530).unwrap();
        for k in 0..100u32 {
            let n = (65530 + k) as u16;
            if d == 0 {
                assert_eq!(Sobol::point(0, n), Ok(n.reverse_bits()));
            }
            assert_eq!(Ok(g.next_q16()), Sobol::point(d, n), "dim {d} n {n}");
        }
    }
    assert_eq!(
        Sobol::new(SOBOL_DIMENSIONS, 0).unwrap_err(),
        Error::SobolDimension {
            dimension: SOBOL_DIMENSIONS,
            available: SOBOL_DIMENSIONS
        }
    );
}

#[test]
fn lfsr8_and_lfsr16_have_maximal_period() {
    let mut g = Lfsr8::new(1).unwrap();
    let mut seen = [false; 256];
    for _ in 0..Lfsr8::PERIOD {
        assert!(!seen[g.state() as usize]);
        seen[g.state() as usize] = true;
        g.step();
    }
    assert_eq!(g.state(), 1);
    assert!(!seen[0]);

    let mut g = Lfsr16::new(0xACE1).unwrap();
    let mut seen = vec![false; 65536];
    for _ in 0..Lfsr16::PERIOD {
        assert!(!seen[g.state() as usize]);
        seen[g.state() as usize] = true;
        g.step();
    }
    assert_eq!(g.state(), 0xACE1);
}

/// 32x32 GF(2) matrices as columns: `m[j]` is the image of basis vector `j`.
type Mat = [u32; 32];

fn apply(m: &Mat, v: u32) -> u32 {
    (0..32)
        .filter(|&j| (v >> j) & 1 == 1)
        .fold(0, |acc, j| acc ^ m[j])
}

fn mul(a: &Mat, b: &Mat) -> Mat {
    let mut c = [0u32; 32];
    for j in 0..32 {
        c[j] = apply(a, b[j]);
    }
    c
}

fn pow(m: &Mat, mut e: u64) -> Mat {
    let mut r: Mat = core::array::from_fn(|j| 1u32 << j);
    let mut b = *m;
    while e > 0 {
        if e & 1 == 1 {
            r = mul(&r, &b);
        }
        b = mul(&b, &b);
        e >>= 1;
    }
    r
}

#[test]
fn lfsr32_has_maximal_period() {
    // The step is linear over GF(2); its order is 2^32 - 1 exactly when
    // A^(2^32-1) = I and A^((2^32-1)/q) != I for each prime q | 2^32-1.
    let a: Mat = core::array::from_fn(|j| {
        let mut g = Lfsr32::new(1u32 << j).unwrap();
        g.step();
        g.state()
    });
    let id: Mat = core::array::from_fn(|j| 1u32 << j);
    let n = Lfsr32::PERIOD;
    assert_eq!(pow(&a, n), id);
    for q in [3u64, 5, 17, 257, 65537] {
        assert_ne!(pow(&a, n / q), id, "order divides (2^32-1)/{q}");
    }
}

#[test]
fn lfsr_seeds_are_validated() {
    assert_eq!(
        Lfsr16::new(0).unwrap_err(),
        Error::InvalidSeed { width: 16, seed: 0 }
    );
    assert_eq!(
        Lfsr8::new(256).unwrap_err(),
        Error::InvalidSeed {
            width: 8,
            seed: 256
        }
    );
    assert!(Lfsr32::new(u32::MAX).is_ok());
    assert!(Lfsr32::new(0).is_err());
}

#[test]
fn lfsr_comparator_values() {
    let mut g = Lfsr8::new(0x81).unwrap();
    assert_eq!(g.next_q16(), 0x8100);
    assert_eq!(g.state(), 0x40 ^ 0xB8);
    let mut g = Lfsr32::new(0x1234_5678).unwrap();
    assert_eq!(g.next_q16(), 0x1234);
    // Probability 0 and 1 are exact for every generator.
    for len in [1usize, 63, 1000] {
        assert_eq!(
            stream_ones(&mut Lfsr16::new(7).unwrap(), Probability::ZERO, len),
            0
        );
        assert_eq!(
            stream_ones(&mut Lfsr16::new(7).unwrap(), Probability::ONE, len),
            len
        );
    }
}

#[test]
fn lfsr16_full_period_count_is_exact() {
    // Over one period the state visits 1..=65535 once, so r < p holds for
    // exactly p - 1 states (p >= 1).
    let ps: &[u32] = if cfg!(miri) {
        &[1000]
    } else {
        &[1, 2, 1000, 32768, 65535, 65536]
    };
    for &p in ps {
        let ones = stream_ones(
            &mut Lfsr16::new(1).unwrap(),
            Probability::from_q16(p).unwrap(),
            65535,
        );
        assert_eq!(ones, p as usize - 1);
    }
}

#[test]
fn probability_conversions() {
    assert_eq!(
        Probability::from_q16(65537),
        Err(Error::ProbabilityOutOfRange)
    );
    assert_eq!(Probability::from_f64(0.5).unwrap().q16(), 32768);
    assert_eq!(Probability::from_f64(1.0).unwrap(), Probability::ONE);
    assert!(Probability::from_f64(f64::NAN).is_err());
    assert!(Probability::from_f64(1.0000001).is_err());
    assert!(Probability::from_f64(-0.0).is_ok());
    assert_eq!(
        Probability::from_bipolar(I16F16::from_num(-1)).unwrap(),
        Probability::ZERO
    );
    assert_eq!(
        Probability::from_bipolar(I16F16::from_num(1)).unwrap(),
        Probability::ONE
    );
    assert_eq!(
        Probability::from_bipolar(I16F16::ZERO).unwrap().q16(),
        32768
    );
    // Odd sum rounds half up.
    assert_eq!(
        Probability::from_bipolar(I16F16::from_bits(1))
            .unwrap()
            .q16(),
        32769
    );
    assert!(Probability::from_bipolar(I16F16::from_bits(65537)).is_err());
    assert!(Probability::from_unipolar(I16F16::from_bits(-1)).is_err());
    assert_eq!(
        Probability::from_unipolar(I16F16::from_bits(123))
            .unwrap()
            .q16(),
        123
    );
}

#[test]
fn decode_errors() {
    assert_eq!(decode::unipolar_q16(0, 0), Err(Error::EmptyStream));
    assert!(decode::bipolar_q16(5, 4).is_err());
    assert_eq!(decode::bipolar_q16(0, 4).unwrap(), I16F16::from_num(-1));
    assert_eq!(decode::bipolar_q16(4, 4).unwrap(), I16F16::ONE);
    assert_eq!(decode::unipolar_q16(1, 3).unwrap().to_bits(), 21845);
    assert_eq!(decode::unipolar_q16(2, 3).unwrap().to_bits(), 43691);
    assert_eq!(decode::bipolar_q16(1, 3).unwrap().to_bits(), -21845);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]
    #[test]
    fn decode_matches_exact_rounding(len in 1usize..100_000, frac in 0.0f64..=1.0) {
        let ones = ((len as f64) * frac) as usize;
        let u = decode::unipolar_q16(ones, len).unwrap().to_bits() as i64;
        let b = decode::bipolar_q16(ones, len).unwrap().to_bits() as i64;
        // q = round-half-up(n * 65536 / len) <=> |q - exact| <= 1/2, ties up.
        let (n_u, n_b) = (ones as i64 * 65536, (2 * ones as i64 - len as i64) * 65536);
        let l = len as i64;
        prop_assert!(2 * n_u - l <= 2 * u * l && 2 * u * l < 2 * n_u + l);
        prop_assert!(2 * n_b - l <= 2 * b * l && 2 * b * l < 2 * n_b + l);
        let f = decode::unipolar_f64(ones, len).unwrap();
        prop_assert!((f - u as f64 / 65536.0).abs() <= 0.5 / 65536.0 + 1e-12);
        let fb = decode::bipolar_f64(ones, len).unwrap();
        prop_assert!((fb - b as f64 / 65536.0).abs() <= 0.5 / 65536.0 + 1e-12);
    }

    #[test]
    fn encode_matches_naive_compare(seed in 1u32..=65535, p in 0u32..=65536, len in 0usize..700) {
        let mut w = vec![0u64; words_for::<u64>(len)];
        let mut s = BitSliceMut::new(&mut w, len).unwrap();
        encode(&mut Lfsr16::new(seed).unwrap(), Probability::from_q16(p).unwrap(), &mut s);
        let mut g = Lfsr16::new(seed).unwrap();
        for t in 0..len {
            let r = g.state() as u32;
            g.step();
            prop_assert_eq!(s.get(t), Some(r < p));
        }
    }

    #[test]
    fn lfsr_mean_is_close(seed in 1u32..=65535, p in 0u32..=65536) {
        // 4096-bit LFSR16 streams stay within 5 sigma of p (a loose sanity bound).
        let len = 4096usize;
        let ones = stream_ones(&mut Lfsr16::new(seed).unwrap(), Probability::from_q16(p).unwrap(), len);
        let pf = p as f64 / 65536.0;
        let sigma = (len as f64 * pf * (1.0 - pf)).sqrt().max(1.0);
        prop_assert!(((ones as f64) - pf * len as f64).abs() <= 5.0 * sigma + 2.0);
    }
}
