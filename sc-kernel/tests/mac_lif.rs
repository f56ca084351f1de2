//! Dense MAC and fixed-point LIF against simple references.

use proptest::prelude::*;
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams, LifParamsQ16, LifParamsQ8, LifPopulation};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::pack::{pack_rows, RowShape};
use sc_kernel::{BitSlice, BitSliceMut, Error, Word};

fn pack_batch<W: Word>(rows: usize, row_len: usize, bits: &[u8]) -> Vec<W> {
    let shape = RowShape { rows, row_len };
    let mut w = vec![W::ZERO; shape.words::<W>().unwrap()];
    pack_rows(shape, bits, &mut w).unwrap();
    w
}

fn check_mac<W: Word>(n: usize, m: usize, len: usize, w: &[u8], x: &[u8], sg: &[u8]) {
    let shape = MacShape::new(n, m, len).unwrap();
    let pw = pack_batch::<W>(n * m, len, w);
    let px = pack_batch::<W>(m, len, x);
    let ps = pack_batch::<W>(n, m, sg);
    let mut out = vec![0u32; n];
    mac(&shape, &pw, &px, &mut out).unwrap();
    let mut outs = vec![0i32; n];
    mac_signed(&shape, &pw, &ps, &px, &mut outs).unwrap();
    for j in 0..n {
        let mut u = 0i64;
        let mut s = 0i64;
        for i in 0..m {
            let c = (0..len)
                .filter(|&t| w[(j * m + i) * len + t] & x[i * len + t] == 1)
                .count() as i64;
            u += c;
            s += if sg[j * m + i] == 1 { -c } else { c };
        }
        assert_eq!(out[j] as i64, u, "unsigned neuron {j}");
        assert_eq!(outs[j] as i64, s, "signed neuron {j}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 96 }))]
    #[test]
    fn mac_matches_naive(
        (n, m, len, w, x, sg) in (0usize..5, 0usize..6, prop::sample::select(vec![0usize, 1, 31, 32, 33, 63, 64, 65, 200]))
            .prop_flat_map(|(n, m, len)| (
                Just(n), Just(m), Just(len),
                prop::collection::vec(0u8..=1, n * m * len),
                prop::collection::vec(0u8..=1, m * len),
                prop::collection::vec(0u8..=1, n * m),
            ))
    ) {
        check_mac::<u32>(n, m, len, &w, &x, &sg);
        check_mac::<u64>(n, m, len, &w, &x, &sg);
    }
}

#[test]
fn mac_seed_shape_and_errors() {
    // The seed's jit_vec_mac shape: 128 x 784 x 16 u64 words (L = 1024);
    // under Miri (slow) 2 x 8 x 16 words.
    let (n, m) = if cfg!(miri) { (2, 8) } else { (128, 784) };
    let shape = MacShape::new(n, m, 1024).unwrap();
    assert_eq!(shape.stride::<u64>(), 16);
    let w = vec![u64::MAX; n * m * 16];
    let x = vec![0x5555_5555_5555_5555u64; m * 16];
    let mut out = vec![0u32; n];
    mac(&shape, &w, &x, &mut out).unwrap();
    assert!(out.iter().all(|&c| c as usize == m * 512));

    assert_eq!(
        MacShape::new(1, 1 << 20, 1 << 12),
        Err(Error::ShapeOverflow)
    );
    let shape = MacShape::new(2, 3, 40).unwrap();
    let w = vec![0u32; 2 * 3 * 2];
    let x = vec![0u32; 3 * 2];
    let mut out = vec![0u32; 2];
    assert!(mac(&shape, &w[..11], &x, &mut out).is_err());
    assert!(mac(&shape, &w, &x, &mut out[..1]).is_err());
    let mut bad = x.clone();
    bad[3] = 1 << 9; // padding of input stream 1
    assert_eq!(
        mac(&shape, &w, &bad, &mut out),
        Err(Error::NonZeroPadding { stream: 1 })
    );
    let signs = vec![1u32 << 3, 0]; // padding bit of row 0
    let mut outs = vec![0i32; 2];
    assert_eq!(
        mac_signed(&shape, &w, &signs, &x, &mut outs),
        Err(Error::NonZeroPadding { stream: 0 })
    );
}

/// Integer reference of the spec's LIF step for `F` fractional bits and a
/// `bits`-wide signed format.
fn ref_step(
    p: [i64; 5],
    refr: u16,
    bits: u32,
    frac: u32,
    v: &mut i64,
    r: &mut u16,
    i: i64,
) -> bool {
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    let sat = |x: i64| x.clamp(lo, hi);
    let mul = |a: i64, b: i64| sat((a * b) >> frac);
    let [v_rest, v_reset, thr, alpha, res] = p;
    if *r > 0 {
        *r -= 1;
        *v = v_reset;
        return false;
    }
    let leak = mul(sat(v_rest - *v), alpha);
    let drive = mul(i, res);
    let nv = sat(*v + sat(leak + drive));
    if nv >= thr {
        *v = v_reset;
        *r = refr;
        true
    } else {
        *v = nv;
        false
    }
}

/// Checks a trace against `ref_step` for the raw parameters `raw`, with
/// `raw[3]` replaced by `alpha` and `raw[4]` made a positive value of the
/// `bits`-bit format.
fn check_lif_trace<F: LifFixed, R: Copy + Into<i32>>(
    bits: u32,
    raw: [R; 5],
    alpha: i32,
    refr: u16,
    inputs: &[R],
) -> Result<(), TestCaseError> {
    let mut raw: [i32; 5] = raw.map(Into::into);
    let inputs: Vec<i32> = inputs.iter().map(|&x| x.into()).collect();
    let raw_max = ((1i64 << (bits - 1)) - 1) as i32;
    raw[3] = alpha;
    raw[4] = raw[4].checked_abs().unwrap_or(1).clamp(1, raw_max);
    let f = |x: i32| F::try_from_raw(x).unwrap();
    let Ok(params) =
        LifParams::<F>::new(f(raw[0]), f(raw[1]), f(raw[2]), f(raw[3]), f(raw[4]), refr)
    else {
        return Ok(());
    };
    let p = raw.map(|x| x as i64);
    let (mut v, mut r) = (params.v_rest(), 0u16);
    let (mut rv, mut rr) = (p[0], 0u16);
    for &i in &inputs {
        let s = params.step(&mut v, &mut r, f(i));
        let rs = ref_step(p, refr, bits, F::FRAC_BITS, &mut rv, &mut rr, i as i64);
        prop_assert_eq!(s, rs);
        prop_assert_eq!(v.raw() as i64, rv);
        prop_assert_eq!(r, rr);
    }
    Ok(())
}

/// A proptest of `check_lif_trace` for the format `$F` of `$bits` bits: raw
/// values and inputs drawn as `$raw`, `alpha` in `1..=$alpha_max`.
macro_rules! lif_trace_test {
    ($name:ident, $F:ty, $bits:expr, $raw:ty, $alpha_max:expr) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]
            #[test]
            fn $name(
                raw in prop::array::uniform5(any::<$raw>()),
                alpha in 1i32..=$alpha_max,
                refr in 0u16..4,
                inputs in prop::collection::vec(any::<$raw>(), 1..64),
            ) {
                check_lif_trace::<$F, $raw>($bits, raw, alpha, refr, &inputs)?;
            }
        }
    };
}

lif_trace_test!(lif_q16_matches_integer_reference, I16F16, 32, i32, 65536);
lif_trace_test!(lif_q8_matches_integer_reference, I8F8, 16, i16, 256);

/// Float model of the same equation, parameters taken from the quantised ones.
fn float_trace<F: LifFixed>(params: &LifParams<F>, inputs: &[f64]) -> Vec<f64> {
    let (v_rest, alpha, res) = (
        params.v_rest().to_f64(),
        params.alpha().to_f64(),
        params.resistance().to_f64(),
    );
    let mut v = v_rest;
    inputs
        .iter()
        .map(|&i| {
            v += (v_rest - v) * alpha + i * res;
            v
        })
        .collect()
}

#[test]
fn lif_tracks_float_model_within_bound() {
    // Without spikes or saturation, each step adds at most two floor
    // roundings (< 2 ulp); the leak contracts the error by (1 - alpha), so
    // |v_fixed - v_float| < 2 ulp / alpha at every step.
    fn run<F: LifFixed>(alpha: f64, scale: f64) {
        let params = LifParams::<F>::from_f64(-0.5, -1.0, 100.0, alpha, 0.75, 0).unwrap();
        let inputs: Vec<f64> = (0..500)
            .map(|t| scale * (((t * 37) % 101) as f64 / 101.0 - 0.3))
            .collect();
        let q: Vec<F> = inputs.iter().map(|&x| F::from_f64(x).unwrap()).collect();
        let qf: Vec<f64> = q.iter().map(|x| x.to_f64()).collect();
        let expect = float_trace(&params, &qf);
        let ulp = 1.0 / (1u64 << F::FRAC_BITS) as f64;
        let bound = 2.0 * ulp / params.alpha().to_f64();
        let (mut v, mut r) = (params.v_rest(), 0);
        for (t, (&i, &e)) in q.iter().zip(&expect).enumerate() {
            assert!(!params.step(&mut v, &mut r, i));
            let err = (v.to_f64() - e).abs();
            assert!(
                err <= bound,
                "step {t}: |{} - {e}| = {err} > {bound}",
                v.to_f64()
            );
        }
    }
    run::<I16F16>(0.1, 1.0);
    run::<I16F16>(0.9, 3.0);
    run::<I8F8>(0.25, 1.0);
    run::<I8F8>(1.0, 2.0);
}

#[test]
fn lif_spikes_resets_and_refractory() {
    let p = LifParamsQ16::from_f64(0.0, -0.25, 1.0, 0.5, 1.0, 2).unwrap();
    let (mut v, mut r) = (p.v_rest(), 0);
    let one = I16F16::ONE;
    assert!(p.step(&mut v, &mut r, one)); // v = 0 + 0 + 1 >= 1
    assert_eq!((v, r), (p.v_reset(), 2));
    assert!(!p.step(&mut v, &mut r, one * 5)); // refractory: input ignored
    assert!(!p.step(&mut v, &mut r, one * 5));
    assert_eq!((v, r), (p.v_reset(), 0));
    assert!(p.step(&mut v, &mut r, one * 5));
    // Saturation instead of wrap-around.
    let p = LifParamsQ8::from_f64(0.0, -1.0, 127.0, 1.0, 100.0, 0).unwrap();
    let (mut v, mut r) = (I8F8::from_num(-100), 0);
    assert!(!p.step(&mut v, &mut r, I8F8::from_num(-100)));
    assert_eq!(v, I8F8::MIN);
}

#[test]
fn lif_population_and_errors() {
    let p = LifParamsQ16::from_f64(0.0, 0.0, 1.0, 0.5, 1.0, 0).unwrap();
    let mut pop = LifPopulation::<I16F16, 70>::new(p, 65).unwrap();
    let input: Vec<I16F16> = (0..65)
        .map(|k| I16F16::from_num(if k % 3 == 0 { 2 } else { 0 }))
        .collect();
    let mut w = [u32::MAX; 3];
    let mut spikes = BitSliceMut::new(&mut w, 65).unwrap();
    assert_eq!(pop.step(&input, &mut spikes).unwrap(), 22);
    let view = BitSlice::new(&w, 65).unwrap();
    for k in 0..65 {
        assert_eq!(view.get(k), Some(k % 3 == 0));
    }
    let mut spikes = BitSliceMut::new(&mut w, 64).unwrap();
    assert!(pop.step(&input, &mut spikes).is_err());
    assert_eq!(
        LifPopulation::<I16F16, 4>::new(p, 5).unwrap_err(),
        Error::CapacityExceeded {
            capacity: 4,
            requested: 5
        }
    );

    let e = LifParamsQ16::from_f64(0.0, 0.0, 1.0, 0.0, 1.0, 0).unwrap_err();
    assert_eq!(
        e,
        Error::InvalidParameter {
            name: "alpha",
            allowed: "0 < alpha <= 1"
        }
    );
    assert!(LifParamsQ16::from_f64(0.0, 0.0, 1.0, 1.5, 1.0, 0).is_err());
    assert!(LifParamsQ16::from_f64(0.0, 0.0, 1.0, 0.5, -1.0, 0).is_err());
    assert!(LifParamsQ16::from_f64(0.0, 1.0, 1.0, 0.5, 1.0, 0).is_err());
    assert!(LifParamsQ16::from_f64(f64::NAN, 0.0, 1.0, 0.5, 1.0, 0).is_err());
    assert!(LifParamsQ8::from_f64(0.0, 0.0, 200.0, 0.5, 1.0, 0).is_err());
    let msg = e.to_string();
    assert!(
        msg.contains("alpha") && msg.contains("0 < alpha <= 1"),
        "{msg}"
    );
}
