//! Word-at-a-time bitstream code against a naive bit-by-bit reference.

use proptest::prelude::*;
use sc_kernel::pack::{self, RowShape};
use sc_kernel::{ops, words_for, BitSlice, BitSliceMut, BitStream, Error, Word};

/// Edge lengths from the spec's test list plus random ones.
fn len_strategy() -> impl Strategy<Value = usize> {
    // Miri is slow: shorter streams there.
    let (long, max) = if cfg!(miri) { (200, 200) } else { (1000, 1500) };
    prop_oneof![
        prop::sample::select(vec![0usize, 1, 31, 32, 33, 63, 64, 65, 127, 128, 129, long]),
        0usize..max,
    ]
}

fn bits(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..=1, len)
}

fn packed<W: Word>(b: &[u8]) -> Vec<W> {
    let mut w = vec![W::ZERO; words_for::<W>(b.len())];
    pack::pack(b, &mut BitSliceMut::new(&mut w, b.len()).unwrap()).unwrap();
    w
}

fn unpacked<W: Word>(w: &[W], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    pack::unpack(BitSlice::new(w, len).unwrap(), &mut out).unwrap();
    out
}

/// Naive canonical bytes: bit t in byte t/8 at bit t%8.
fn naive_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; b.len().div_ceil(8)];
    for (t, &x) in b.iter().enumerate() {
        out[t / 8] |= x << (t % 8);
    }
    out
}

fn check_ops<W: Word>(a: &[u8], b: &[u8], s: &[u8]) {
    let len = a.len();
    let (pa, pb, ps) = (packed::<W>(a), packed::<W>(b), packed::<W>(s));
    let sa = BitSlice::new(&pa, len).unwrap();
    let sb = BitSlice::new(&pb, len).unwrap();
    let ss = BitSlice::new(&ps, len).unwrap();
    let mut out = vec![W::ONES; words_for::<W>(len)];
    type Op<W> =
        fn(BitSlice<'_, W>, BitSlice<'_, W>, &mut BitSliceMut<'_, W>) -> sc_kernel::Result<()>;
    type Naive = fn(u8, u8) -> u8;
    let cases: [(Op<W>, Naive); 4] = [
        (ops::and, |x, y| x & y),
        (ops::or, |x, y| x | y),
        (ops::xor, |x, y| x ^ y),
        (ops::xnor, |x, y| 1 - (x ^ y)),
    ];
    for (op, f) in cases {
        let mut o = BitSliceMut::new(&mut out, len).unwrap();
        op(sa, sb, &mut o).unwrap();
        let expect: Vec<u8> = a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
        // BitSlice::new re-checks the padding invariant.
        let view = BitSlice::new(&out, len).unwrap();
        assert_eq!(
            view.count_ones(),
            expect.iter().map(|&x| x as usize).sum::<usize>()
        );
        assert_eq!(unpacked(&out, len), expect);
    }
    let mut o = BitSliceMut::new(&mut out, len).unwrap();
    ops::not(sa, &mut o).unwrap();
    assert_eq!(
        unpacked(&out, len),
        a.iter().map(|&x| 1 - x).collect::<Vec<_>>()
    );
    let mut o = BitSliceMut::new(&mut out, len).unwrap();
    ops::mux(ss, sa, sb, &mut o).unwrap();
    let expect: Vec<u8> = (0..len)
        .map(|t| if s[t] == 1 { a[t] } else { b[t] })
        .collect();
    assert_eq!(unpacked(&out, len), expect);
    let naive_and = a.iter().zip(b).filter(|(&x, &y)| x & y == 1).count();
    assert_eq!(ops::and_count(sa, sb).unwrap(), naive_and);
    let mut per_word = vec![0u32; words_for::<W>(len)];
    ops::count_ones_per_word(sa, &mut per_word).unwrap();
    for (k, &c) in per_word.iter().enumerate() {
        let naive = a[k * W::BITS..((k + 1) * W::BITS).min(len)]
            .iter()
            .filter(|&&x| x == 1)
            .count();
        assert_eq!(c as usize, naive);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 256 }))]

    #[test]
    fn ops_match_naive((a, b, s) in len_strategy().prop_flat_map(|n| (bits(n), bits(n), bits(n)))) {
        check_ops::<u32>(&a, &b, &s);
        check_ops::<u64>(&a, &b, &s);
    }

    #[test]
    fn pack_roundtrip_and_canonical_bytes(a in len_strategy().prop_flat_map(bits)) {
        let len = a.len();
        let w32 = packed::<u32>(&a);
        let w64 = packed::<u64>(&a);
        prop_assert_eq!(unpacked(&w32, len), a.clone());
        prop_assert_eq!(unpacked(&w64, len), a.clone());
        let mut b32 = vec![0u8; pack::bytes_for(len)];
        let mut b64 = vec![0u8; pack::bytes_for(len)];
        pack::to_bytes(BitSlice::new(&w32, len).unwrap(), &mut b32).unwrap();
        pack::to_bytes(BitSlice::new(&w64, len).unwrap(), &mut b64).unwrap();
        prop_assert_eq!(&b32, &naive_bytes(&a));
        prop_assert_eq!(&b32, &b64);
        let mut back = vec![0u64; words_for::<u64>(len)];
        pack::from_bytes(&b32, &mut BitSliceMut::new(&mut back, len).unwrap()).unwrap();
        prop_assert_eq!(back, w64);
        let ones = a.iter().filter(|&&x| x == 1).count();
        prop_assert_eq!(BitSlice::new(&w32, len).unwrap().count_ones(), ones);
    }

    #[test]
    fn rows_roundtrip(rows in 0usize..6, row_len in len_strategy(), seed in any::<u64>()) {
        let shape = RowShape { rows, row_len };
        let data: Vec<u8> = (0..rows * row_len).map(|i| ((seed >> (i % 61)) as u8 ^ (i as u8 / 3)) & 1).collect();
        let mut w = vec![u32::MAX; shape.words::<u32>().unwrap()];
        pack::pack_rows(shape, &data, &mut w).unwrap();
        shape.validate(&w).unwrap();
        for r in 0..rows {
            let row = shape.row(&w, r).unwrap();
            prop_assert_eq!(unpacked(row.words(), row_len), data[r * row_len..(r + 1) * row_len].to_vec());
        }
        let mut out = vec![9u8; rows * row_len];
        pack::unpack_rows(shape, &w, &mut out).unwrap();
        prop_assert_eq!(out, data);
    }
}

#[test]
fn length_mismatch_is_an_error() {
    let (a, b) = ([0u32; 2], [0u32; 2]);
    let sa = BitSlice::new(&a, 40).unwrap();
    let sb = BitSlice::new(&b, 39).unwrap();
    let mut o = [0u32; 2];
    let mut so = BitSliceMut::new(&mut o, 40).unwrap();
    assert_eq!(
        ops::and(sa, sb, &mut so),
        Err(Error::LengthMismatch {
            expected: 40,
            found: 39
        })
    );
    assert!(ops::mux(sa, sa, sb, &mut so).is_err());
    let mut short = BitSliceMut::new(&mut o, 33).unwrap();
    assert!(ops::not(sa, &mut short).is_err());
}

#[test]
fn storage_and_padding_errors() {
    let w = [0u32; 1];
    assert_eq!(
        BitSlice::new(&w, 33).unwrap_err(),
        Error::StorageTooSmall {
            needed: 2,
            found: 1
        }
    );
    let w = [1u32 << 5];
    assert_eq!(
        BitSlice::new(&w, 5).unwrap_err(),
        Error::NonZeroPadding { stream: 0 }
    );
    // A mutable view establishes the invariant instead.
    let mut w = [u32::MAX];
    let s = BitSliceMut::new(&mut w, 5).unwrap();
    assert_eq!(s.count_ones(), 5);
    assert_eq!(w[0], 0b11111);
    // Canonical bytes with padding set are rejected.
    let mut out = [0u64; 1];
    let mut s = BitSliceMut::new(&mut out, 3).unwrap();
    assert_eq!(
        pack::from_bytes(&[0b1000], &mut s),
        Err(Error::NonZeroPadding { stream: 0 })
    );
    assert!(pack::from_bytes(&[0b111, 0], &mut s).is_err());
    // Batches name the offending row.
    let shape = RowShape {
        rows: 3,
        row_len: 10,
    };
    assert_eq!(
        shape.validate(&[0u32, 0, 1 << 12]),
        Err(Error::NonZeroPadding { stream: 2 })
    );
}

#[test]
fn pack_rejects_non_binary_bytes() {
    let mut w = [0u32; 3];
    let mut bits = [0u8; 70];
    bits[66] = 2;
    let mut s = BitSliceMut::new(&mut w, 70).unwrap();
    assert_eq!(
        pack::pack(&bits, &mut s),
        Err(Error::InvalidBit {
            index: 66,
            value: 2
        })
    );
    let shape = RowShape {
        rows: 2,
        row_len: 35,
    };
    let mut w = [0u32; 4];
    assert_eq!(
        pack::pack_rows(shape, &bits, &mut w),
        Err(Error::InvalidBit {
            index: 66,
            value: 2
        })
    );
    assert!(pack::pack_rows(shape, &bits[..69], &mut w).is_err());
}

#[test]
fn owned_stream_capacity() {
    assert!(BitStream::<u32, 2>::zeros(64).is_ok());
    assert_eq!(
        BitStream::<u32, 2>::zeros(65).unwrap_err(),
        Error::CapacityExceeded {
            capacity: 64,
            requested: 65
        }
    );
    let mut s = BitStream::<u64, 2>::zeros(100).unwrap();
    s.as_mut().fill_ones();
    assert_eq!(s.count_ones(), 100);
    s.as_mut().set(99, false).unwrap();
    assert_eq!(s.as_slice().get(99), Some(false));
    assert_eq!(s.as_slice().get(100), None);
    assert!(s.as_mut().set(100, true).is_err());
}

#[test]
fn error_messages_say_what_is_allowed() {
    let msg = Error::InvalidBit { index: 3, value: 7 }.to_string();
    assert!(msg.contains("0 or 1"), "{msg}");
    let msg = Error::NonZeroPadding { stream: 4 }.to_string();
    assert!(
        msg.contains("stream 4") && msg.contains("must be zero"),
        "{msg}"
    );
}
