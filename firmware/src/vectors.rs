//! Running the shared vectors on the target: every record of the export
//! word stream (docs/vectors.md) is recomputed with the kernel (u32 words)
//! and compared word for word with the expectation it carries.

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::pack::{pack, unpack};
use sc_kernel::sng::{encode, Lfsr16, Lfsr32, Lfsr8, Probability, Sng, Sobol};
use sc_kernel::{decode, ops, words_for, BitSlice, BitSliceMut, Error};

use crate::netdesc::{self, NetError, Reader};

/// Magic word of the export ("SCV1").
pub const MAGIC: u32 = u32::from_le_bytes(*b"SCV1");

/// Longest stream (bits) a record may have on this image.
pub const MAX_LEN: usize = 2048;
/// Most neurons of a `mac` or `lif` record.
pub const MAX_NEURONS: usize = 64;

const MAX_WORDS: usize = MAX_LEN / 32;

/// Why a case did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, defmt::Format)]
pub enum Failure {
    /// A recomputed word differs from the record: `field[index]`.
    Mismatch {
        /// Output field.
        field: &'static str,
        /// Word (or step/neuron) index within the field.
        index: usize,
        /// The record's value.
        expected: u32,
        /// The kernel's value.
        got: u32,
    },
    /// The record could not be run.
    Net(NetError),
    /// A record kind this runner does not know.
    UnknownKind(u32),
}

impl From<NetError> for Failure {
    fn from(e: NetError) -> Self {
        Failure::Net(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Net(NetError::Kernel(e))
    }
}

/// Record kind names (index = kind).
pub const KIND_NAMES: [&str; 9] = [
    "?", "pack", "bitwise", "decode", "lfsr", "sobol", "mac", "lif", "network",
];

fn compare(field: &'static str, expected: &[u32], got: &[u32]) -> Result<(), Failure> {
    if expected.len() != got.len() {
        return Err(Failure::Mismatch {
            field,
            index: usize::MAX,
            expected: expected.len() as u32,
            got: got.len() as u32,
        });
    }
    match expected.iter().zip(got).position(|(a, b)| a != b) {
        None => Ok(()),
        Some(index) => Err(Failure::Mismatch {
            field,
            index,
            expected: expected[index],
            got: got[index],
        }),
    }
}

fn compare1(field: &'static str, expected: u32, got: u32) -> Result<(), Failure> {
    compare(field, &[expected], &[got])
}

fn too_large(what: &'static str, needed: usize, capacity: usize) -> Failure {
    Failure::Net(NetError::TooLarge {
        what,
        needed,
        capacity,
    })
}

fn stream_words(len: usize) -> Result<usize, Failure> {
    if len > MAX_LEN {
        return Err(too_large("stream bits", len, MAX_LEN));
    }
    Ok(words_for::<u32>(len))
}

fn pack_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let len = r.usize()?;
    let n = stream_words(len)?;
    let input = r.take(len.div_ceil(4))?;
    let want = r.take(n)?;
    let mut bytes = [0u8; MAX_LEN];
    for (t, b) in bytes[..len].iter_mut().enumerate() {
        *b = (input[t / 4] >> (8 * (t % 4))) as u8;
    }
    let mut got = [0u32; MAX_WORDS];
    pack(&bytes[..len], &mut BitSliceMut::new(&mut got[..n], len)?)?;
    compare("stream", want, &got[..n])?;
    // And back: unpack must give the input bytes.
    let mut back = [0u8; MAX_LEN];
    unpack(BitSlice::new(&got[..n], len)?, &mut back[..len])?;
    match back[..len]
        .iter()
        .zip(&bytes[..len])
        .position(|(a, b)| a != b)
    {
        None => Ok(()),
        Some(t) => Err(Failure::Mismatch {
            field: "unpack",
            index: t,
            expected: bytes[t] as u32,
            got: back[t] as u32,
        }),
    }
}

fn bitwise_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let op = r.u32()?;
    let len = r.usize()?;
    let n = stream_words(len)?;
    let a = BitSlice::new(r.take(n)?, len)?;
    let b = BitSlice::new(r.take(n)?, len)?;
    let sel = BitSlice::new(r.take(n)?, len)?;
    let want = r.take(n)?;
    let ones = r.u32()?;
    let mut got = [0u32; MAX_WORDS];
    let mut out = BitSliceMut::new(&mut got[..n], len)?;
    match op {
        0 => ops::and(a, b, &mut out)?,
        1 => ops::or(a, b, &mut out)?,
        2 => ops::xor(a, b, &mut out)?,
        3 => ops::xnor(a, b, &mut out)?,
        4 => ops::not(a, &mut out)?,
        5 => ops::mux(sel, a, b, &mut out)?,
        _ => return Err(NetError::Malformed { at: r.pos() }.into()),
    }
    let count = out.count_ones() as u32;
    compare("out", want, &got[..n])?;
    compare1("popcount", ones, count)
}

fn decode_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let len = r.usize()?;
    let n = stream_words(len)?;
    let s = BitSlice::new(r.take(n)?, len)?;
    let want = r.take(3)?;
    let ones = s.count_ones();
    let got = [
        ones as u32,
        decode::unipolar_q16(ones, len)?.to_bits() as u32,
        decode::bipolar_q16(ones, len)?.to_bits() as u32,
    ];
    compare("ones, unipolar_q16, bipolar_q16", want, &got)
}

fn generator_case<G: Sng>(
    r: &mut Reader<'_>,
    mut g: G,
    p_q16: u32,
    len: usize,
    end: impl Fn(&G) -> u32,
) -> Result<(), Failure> {
    let n = stream_words(len)?;
    let want = r.take(n)?;
    let tail = r.take(2)?;
    let mut got = [0u32; MAX_WORDS];
    let mut s = BitSliceMut::new(&mut got[..n], len)?;
    encode(&mut g, Probability::from_q16(p_q16)?, &mut s);
    let ones = s.count_ones() as u32;
    compare("stream", want, &got[..n])?;
    compare("ones, end_state", tail, &[ones, end(&g)])
}

fn lfsr_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let h = r.take(4)?;
    let (width, seed, p, len) = (h[0], h[1], h[2], h[3] as usize);
    match width {
        8 => generator_case(r, Lfsr8::new(seed)?, p, len, |g| g.state() as u32),
        16 => generator_case(r, Lfsr16::new(seed)?, p, len, |g| g.state() as u32),
        32 => generator_case(r, Lfsr32::new(seed)?, p, len, |g| g.state()),
        _ => Err(NetError::Malformed { at: r.pos() - 4 }.into()),
    }
}

fn sobol_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let h = r.take(4)?;
    let g = Sobol::new(h[0] as usize, h[1])?;
    generator_case(r, g, h[2], h[3] as usize, |g| g.index() as u32)
}

fn mac_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let h = r.take(3)?;
    let (n, m, len) = (h[0] as usize, h[1] as usize, h[2] as usize);
    if n > MAX_NEURONS {
        return Err(too_large("neurons", n, MAX_NEURONS));
    }
    let shape = MacShape::new(n, m, len)?;
    let s = stream_words(len)?;
    let weights = r.take(n * m * s)?;
    let signs = r.take(n * words_for::<u32>(m))?;
    let x = r.take(m * s)?;
    let want_u = r.take(n)?;
    let want_s = r.take(n)?;
    let mut got_u = [0u32; MAX_NEURONS];
    let mut got_s = [0i32; MAX_NEURONS];
    mac(&shape, weights, x, &mut got_u[..n])?;
    mac_signed(&shape, weights, signs, x, &mut got_s[..n])?;
    compare("unsigned", want_u, &got_u[..n])?;
    let got_s = got_s.map(|c| c as u32);
    compare("signed", want_s, &got_s[..n])
}

fn lif_run<F: LifFixed>(r: &mut Reader<'_>, p: [u32; 6]) -> Result<(), Failure> {
    let f = |x: u32| F::try_from_raw(x as i32);
    let params = LifParams::new(
        f(p[0])?,
        f(p[1])?,
        f(p[2])?,
        f(p[3])?,
        f(p[4])?,
        p[5] as u16,
    )?;
    let neurons = r.usize()?;
    let steps = r.usize()?;
    if neurons > MAX_NEURONS {
        return Err(too_large("neurons", neurons, MAX_NEURONS));
    }
    let total = steps.checked_mul(neurons).ok_or(r.malformed())?;
    let input = r.take(total)?;
    let want_v = r.take(total)?;
    let want_r = r.take(total)?;
    let sw = words_for::<u32>(neurons);
    let want_s = r.take(steps * sw)?;
    let mut v = [params.v_rest(); MAX_NEURONS];
    let mut refr = [0u16; MAX_NEURONS];
    let mut cur = [F::ZERO; MAX_NEURONS];
    let mut spikes = [0u32; MAX_NEURONS.div_ceil(32)];
    for t in 0..steps {
        let row = t * neurons..(t + 1) * neurons;
        for (c, &x) in cur.iter_mut().zip(&input[row.clone()]) {
            *c = f(x)?;
        }
        let mut s = BitSliceMut::new(&mut spikes[..sw], neurons)?;
        params.step_population(
            &mut v[..neurons],
            &mut refr[..neurons],
            &cur[..neurons],
            &mut s,
        )?;
        let mut got_v = [0u32; MAX_NEURONS];
        let mut got_r = [0u32; MAX_NEURONS];
        for j in 0..neurons {
            got_v[j] = v[j].raw() as u32;
            got_r[j] = refr[j] as u32;
        }
        compare("v", &want_v[row.clone()], &got_v[..neurons])?;
        compare("refractory", &want_r[row], &got_r[..neurons])?;
        compare("spikes", &want_s[t * sw..(t + 1) * sw], &spikes[..sw])?;
    }
    Ok(())
}

fn lif_case(r: &mut Reader<'_>) -> Result<(), Failure> {
    let format = r.u32()?;
    let p = r.take(6)?;
    let p = [p[0], p[1], p[2], p[3], p[4], p[5]];
    match format {
        0 => lif_run::<I16F16>(r, p),
        1 => lif_run::<I8F8>(r, p),
        _ => Err(NetError::Malformed { at: r.pos() - 7 }.into()),
    }
}

fn network_case(r: &mut Reader<'_>, magnitudes: &[&[u32]]) -> Result<(), Failure> {
    use crate::gen::vectors::{NET_MAX_LAYERS, NET_MAX_NEURONS, NET_MAX_X_WORDS};
    let net = netdesc::parse(r)?;
    net.verify_magnitudes(magnitudes)?;
    let n0 = net.dims[0];
    let q = r.take(n0)?;
    let steps = r.usize()?;
    let mut inputs: heapless::Vec<Probability, 64> = heapless::Vec::new();
    for &p in q {
        inputs
            .push(Probability::from_q16(p)?)
            .map_err(|_| too_large("inputs", n0, 64))?;
    }
    let nl = net.layers.len();
    let spike_words: usize = net.dims[1..].iter().map(|&n| words_for::<u32>(n)).sum();
    let want_spikes = r.take(steps * spike_words)?;
    let last = net.dims[nl];
    let want_counts = r.take(last)?;
    let mut counts = [0u32; NET_MAX_NEURONS];
    let mut pos = 0;
    let mut mismatch = None;
    net.run::<NET_MAX_NEURONS, NET_MAX_X_WORDS, NET_MAX_LAYERS>(
        magnitudes,
        &inputs,
        steps,
        &mut counts[..last],
        |_, _, spikes| {
            let want = &want_spikes[pos..pos + spikes.len()];
            if let Some(i) = want.iter().zip(spikes).position(|(a, b)| a != b) {
                mismatch = Some(Failure::Mismatch {
                    field: "spikes",
                    index: pos + i,
                    expected: want[i],
                    got: spikes[i],
                });
                return false;
            }
            pos += spikes.len();
            true
        },
    )?;
    if let Some(f) = mismatch {
        return Err(f);
    }
    compare("counts", want_counts, &counts[..last])
}

/// Outcome of a whole run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, defmt::Format)]
pub struct Summary {
    /// Cases that reproduced bit for bit.
    pub passed: usize,
    /// Cases that did not.
    pub failed: usize,
}

/// Run every record of `words` (a whole export stream). `network_magnitudes`
/// holds the encoded weights of the `network` records, in order.
/// `report(case, kind, result)` is called per case.
pub fn run(
    words: &[u32],
    network_magnitudes: &[&[&[u32]]],
    mut report: impl FnMut(usize, u32, Result<(), Failure>),
) -> Result<Summary, NetError> {
    let mut r = Reader::new(words);
    if r.u32()? != MAGIC {
        return Err(NetError::Malformed { at: 0 });
    }
    let cases = r.usize()?;
    let mut sum = Summary::default();
    let mut nets = network_magnitudes.iter();
    for case in 0..cases {
        let kind = r.u32()?;
        let n = r.usize()?;
        let payload = r.take(n)?;
        let mut pr = Reader::new(payload);
        let result = match kind {
            1 => pack_case(&mut pr),
            2 => bitwise_case(&mut pr),
            3 => decode_case(&mut pr),
            4 => lfsr_case(&mut pr),
            5 => sobol_case(&mut pr),
            6 => mac_case(&mut pr),
            7 => lif_case(&mut pr),
            8 => match nets.next() {
                Some(m) => network_case(&mut pr, m),
                None => Err(too_large(
                    "embedded network weights",
                    case,
                    network_magnitudes.len(),
                )),
            },
            k => Err(Failure::UnknownKind(k)),
        };
        // The whole payload must have been consumed.
        let result = result.and_then(|()| {
            if pr.pos() == payload.len() {
                Ok(())
            } else {
                Err(Failure::Net(NetError::Malformed { at: pr.pos() }))
            }
        });
        match result {
            Ok(()) => sum.passed += 1,
            Err(_) => sum.failed += 1,
        }
        report(case, kind, result);
    }
    Ok(sum)
}
