//! Running the shared vectors on the target: every record of the export
//! word stream (docs/vectors.md; read by [`sc_kernel::wire`], the one
//! reader of the layout) is recomputed with the kernel (u32 words) and
//! compared word for word with the expectation it carries. An error
//! record passes when the kernel rejects its inputs with exactly its
//! error.

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{Format, LifFixed, LifParams};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::pack::{pack, unpack};
use sc_kernel::sng::{encode, Lfsr16, Lfsr32, Lfsr8, Probability, Sng, Sobol};
use sc_kernel::wire::{
    BitwiseRecord, DecodeRecord, GeneratorRecord, Kind, LifRecord, MacRecord, NetworkTail,
    PackRecord, Records, WireError,
};
use sc_kernel::{decode, words_for, BitSlice, BitSliceMut, Error};

use crate::netdesc::{self, CountForm, NetError, Reader, Weights};

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
    /// An error record whose inputs the kernel accepted.
    NoError {
        /// The expected error's code.
        expected: u32,
    },
    /// An error record the kernel rejected with another error.
    WrongError {
        /// The expected error's code.
        expected: u32,
        /// The kernel's error's code.
        got: u32,
    },
}

pub use sc_kernel::wire::ERROR_FLAG;

impl From<WireError> for Failure {
    fn from(e: WireError) -> Self {
        Failure::Net(e.into())
    }
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
    Failure::Net(NetError::too_large(what, needed, capacity))
}

fn stream_words(len: usize) -> Result<usize, Failure> {
    if len > MAX_LEN {
        return Err(too_large("stream bits", len, MAX_LEN));
    }
    Ok(words_for::<u32>(len))
}

fn pack_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let rec = PackRecord::parse(r, expect)?;
    let len = rec.bits as usize;
    let n = stream_words(len)?;
    let mut bytes = [0u8; MAX_LEN];
    for (t, b) in bytes[..len].iter_mut().enumerate() {
        *b = rec.byte(t).unwrap_or(0);
    }
    let mut got = [0u32; MAX_WORDS];
    pack(&bytes[..len], &mut BitSliceMut::new(&mut got[..n], len)?)?;
    if let Some(want) = rec.expect {
        compare("stream", want, &got[..n])?;
    }
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

fn bitwise_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let rec = BitwiseRecord::parse(r, expect)?;
    let len = rec.len as usize;
    let n = stream_words(len)?;
    let (a, b, sel) = (
        BitSlice::new(rec.a, len)?,
        BitSlice::new(rec.b, len)?,
        BitSlice::new(rec.sel, len)?,
    );
    let mut got = [0u32; MAX_WORDS];
    let mut out = BitSliceMut::new(&mut got[..n], len)?;
    rec.op.apply(a, b, sel, &mut out)?;
    let count = out.count_ones() as u32;
    if let Some(e) = rec.expect {
        compare("out", e.out, &got[..n])?;
        compare1("popcount", e.popcount, count)?;
    }
    Ok(())
}

fn decode_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let rec = DecodeRecord::parse(r, expect)?;
    let len = rec.len as usize;
    stream_words(len)?;
    let s = BitSlice::new(rec.stream, len)?;
    let ones = s.count_ones();
    let got = [
        ones as u32,
        decode::unipolar_q16(ones, len)?.to_bits() as u32,
        decode::bipolar_q16(ones, len)?.to_bits() as u32,
    ];
    if let Some(e) = rec.expect {
        let want = [
            e.ones,
            e.unipolar_q16.cast_unsigned(),
            e.bipolar_q16.cast_unsigned(),
        ];
        compare("ones, unipolar_q16, bipolar_q16", &want, &got)?;
    }
    Ok(())
}

fn generator_case<G: Sng>(
    rec: &GeneratorRecord<'_>,
    mut g: G,
    end: impl Fn(&G) -> u32,
) -> Result<(), Failure> {
    let p = Probability::from_q16(rec.p_q16)?;
    let len = rec.len as usize;
    let n = stream_words(len)?;
    let mut got = [0u32; MAX_WORDS];
    let mut s = BitSliceMut::new(&mut got[..n], len)?;
    encode(&mut g, p, &mut s);
    let ones = s.count_ones() as u32;
    if let Some(e) = rec.expect {
        compare("stream", e.stream, &got[..n])?;
        compare("ones, end_state", &[e.ones, e.end_state], &[ones, end(&g)])?;
    }
    Ok(())
}

fn lfsr_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let at = r.pos();
    let rec = GeneratorRecord::parse(r, expect)?;
    let seed = rec.start;
    match rec.config {
        8 => generator_case(&rec, Lfsr8::new(seed)?, |g| g.state() as u32),
        16 => generator_case(&rec, Lfsr16::new(seed)?, |g| g.state() as u32),
        32 => generator_case(&rec, Lfsr32::new(seed)?, |g| g.state()),
        _ => Err(NetError::Malformed { at }.into()),
    }
}

fn sobol_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let rec = GeneratorRecord::parse(r, expect)?;
    let g = Sobol::new(rec.config as usize, rec.start)?;
    generator_case(&rec, g, |g| g.index() as u32)
}

fn mac_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let rec = MacRecord::parse(r, expect)?;
    let (n, m, len) = (rec.neurons as usize, rec.inputs as usize, rec.len as usize);
    if n > MAX_NEURONS {
        return Err(too_large("neurons", n, MAX_NEURONS));
    }
    let shape = MacShape::new(n, m, len)?;
    stream_words(len)?;
    let mut got_u = [0u32; MAX_NEURONS];
    let mut got_s = [0i32; MAX_NEURONS];
    mac(&shape, rec.weights, rec.x, &mut got_u[..n])?;
    mac_signed(&shape, rec.weights, rec.signs, rec.x, &mut got_s[..n])?;
    if let Some(e) = rec.expect {
        compare("unsigned", e.unsigned, &got_u[..n])?;
        let got_s = got_s.map(|c| c as u32);
        compare("signed", e.signed, &got_s[..n])?;
    }
    Ok(())
}

fn lif_run<F: LifFixed>(rec: &LifRecord<'_>) -> Result<(), Failure> {
    let p = rec.params;
    let f = |x: u32| F::try_from_raw(x as i32);
    let params = LifParams::new(
        f(p[0])?,
        f(p[1])?,
        f(p[2])?,
        f(p[3])?,
        f(p[4])?,
        u16::try_from(p[5]).map_err(|_| Error::InvalidParameter {
            name: "refractory",
            allowed: "0..=65535 steps",
        })?,
    )?;
    let (neurons, steps) = (rec.neurons as usize, rec.steps as usize);
    if neurons > MAX_NEURONS {
        return Err(too_large("neurons", neurons, MAX_NEURONS));
    }
    // Every input current must fit the format (checked before any step).
    for &x in rec.input {
        f(x)?;
    }
    let sw = words_for::<u32>(neurons);
    let mut v = [params.v_rest(); MAX_NEURONS];
    let mut refr = [0u16; MAX_NEURONS];
    let mut cur = [F::ZERO; MAX_NEURONS];
    let mut spikes = [0u32; MAX_NEURONS.div_ceil(32)];
    for t in 0..steps {
        let row = t * neurons..(t + 1) * neurons;
        for (c, &x) in cur.iter_mut().zip(&rec.input[row.clone()]) {
            *c = f(x)?;
        }
        let mut s = BitSliceMut::new(&mut spikes[..sw], neurons)?;
        params.step_population(
            &mut v[..neurons],
            &mut refr[..neurons],
            &cur[..neurons],
            &mut s,
        )?;
        if let Some(e) = rec.expect {
            let mut got_v = [0u32; MAX_NEURONS];
            let mut got_r = [0u32; MAX_NEURONS];
            for j in 0..neurons {
                got_v[j] = v[j].raw() as u32;
                got_r[j] = refr[j] as u32;
            }
            compare("v", &e.v[row.clone()], &got_v[..neurons])?;
            compare("refractory", &e.refractory[row], &got_r[..neurons])?;
            compare("spikes", &e.spikes[t * sw..(t + 1) * sw], &spikes[..sw])?;
        }
    }
    Ok(())
}

fn lif_case(r: &mut Reader<'_>, expect: bool) -> Result<(), Failure> {
    let rec = LifRecord::parse(r, expect)?;
    match rec.format {
        Format::Q16_16 => lif_run::<I16F16>(&rec),
        Format::Q8_8 => lif_run::<I8F8>(&rec),
    }
}

/// A plain network record's embedded weights: the encoded weight streams
/// of each layer, and the counting form.
type NetWeights<'a> = (&'a [&'a [u32]], &'a CountForm<'a>);

fn network_case(
    r: &mut Reader<'_>,
    expect: bool,
    weights: Option<NetWeights<'_>>,
) -> Result<(), Failure> {
    use crate::gen::vectors::{NET_MAX_LAYERS, NET_MAX_NEURONS, NET_MAX_TABLE, NET_MAX_X_WORDS};
    // The description, read once and validated by the kernel (as on the
    // host), then the rest of the record.
    let net = netdesc::parse(r)?;
    let tail = NetworkTail::parse(r, &net.net.head, expect)?;
    let n0 = net.dims[0];
    let mut inputs: heapless::Vec<Probability, 64> = heapless::Vec::new();
    for &p in tail.inputs_q16 {
        inputs
            .push(Probability::from_q16(p)?)
            .map_err(|_| too_large("inputs", n0, 64))?;
    }
    let (Some(e), Some((magnitudes, form))) = (tail.expect, weights) else {
        // An error record: the kernel accepted the description and inputs.
        return Ok(());
    };
    net.verify_magnitudes(magnitudes)?;
    net.verify_counts::<NET_MAX_TABLE>(form)?;
    let nl = net.layers.len();
    let last = net.dims[nl];
    // Both forms of spec §7 must give the record's spikes and counts: the
    // bitstream form, then the counting form of §7.1 (the digits demo's).
    for (weights, spikes_field, counts_field) in [
        (Weights::Streams(magnitudes), "spikes", "counts"),
        (
            Weights::Counts(form),
            "spikes (counting form)",
            "counts (counting form)",
        ),
    ] {
        let mut counts = [0u32; NET_MAX_NEURONS];
        let mut pos = 0;
        let mut mismatch = None;
        let check = |_, _, spikes: &[u32]| {
            let want = e.spikes.get(pos..pos + spikes.len()).unwrap_or(&[]);
            if let Some(i) = (0..spikes.len()).find(|&i| want.get(i) != Some(&spikes[i])) {
                mismatch = Some(Failure::Mismatch {
                    field: spikes_field,
                    index: pos + i,
                    expected: want.get(i).copied().unwrap_or(0),
                    got: spikes[i],
                });
                return false;
            }
            pos += spikes.len();
            true
        };
        let steps = tail.steps as usize;
        net.run::<NET_MAX_NEURONS, NET_MAX_X_WORDS, NET_MAX_TABLE, NET_MAX_LAYERS>(
            weights,
            &inputs,
            steps,
            &mut counts[..last],
            check,
        )?;
        if let Some(f) = mismatch {
            return Err(f);
        }
        compare(counts_field, e.counts, &counts[..last])?;
    }
    Ok(())
}

/// The spec §8 variant name of a kernel error.
pub fn error_name(e: &Error) -> &'static str {
    e.name()
}

/// The export code of a kernel error (the kernel's one table).
pub fn error_code(e: &Error) -> u32 {
    e.code()
}

/// Run one record's payload: `expect` for a plain record (compare the
/// outputs), not for an error record's inputs; `weights` are a plain
/// network record's embedded weights. The whole payload must be read.
fn run_kind(
    kind: Kind,
    payload: &[u32],
    expect: bool,
    weights: Option<NetWeights<'_>>,
) -> Result<(), Failure> {
    let mut r = Reader::new(payload);
    match kind {
        Kind::Pack => pack_case(&mut r, expect),
        Kind::Bitwise => bitwise_case(&mut r, expect),
        Kind::Decode => decode_case(&mut r, expect),
        Kind::Lfsr => lfsr_case(&mut r, expect),
        Kind::Sobol => sobol_case(&mut r, expect),
        Kind::Mac => mac_case(&mut r, expect),
        Kind::Lif => lif_case(&mut r, expect),
        Kind::Network => network_case(&mut r, expect, weights),
    }?;
    r.finish()?;
    Ok(())
}

/// Run an error record: `inputs` are its payload without the last word,
/// `code` that word. Passes only when the kernel rejects the inputs with
/// exactly that error.
fn error_case(kind: Kind, inputs: &[u32], code: u32) -> Result<(), Failure> {
    match run_kind(kind, inputs, false, None) {
        Ok(()) => Err(Failure::NoError { expected: code }),
        Err(Failure::Net(NetError::Kernel(e))) if e.code() == code => Ok(()),
        Err(Failure::Net(NetError::Kernel(e))) => Err(Failure::WrongError {
            expected: code,
            got: e.code(),
        }),
        Err(f) => Err(f),
    }
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
/// holds the encoded weights of the plain `network` records, in order, and
/// `network_counts` their counting forms (each network runs in both).
/// `report(case, kind, result)` is called per case.
pub fn run(
    words: &[u32],
    network_magnitudes: &[&[&[u32]]],
    network_counts: &[CountForm<'_>],
    mut report: impl FnMut(usize, u32, Result<(), Failure>),
) -> Result<Summary, NetError> {
    let records = Records::new(words)?;
    let mut sum = Summary::default();
    let mut nets = network_magnitudes.iter().zip(network_counts);
    for (case, rec) in records.enumerate() {
        let rec = rec?;
        let result = match (rec.kind(), rec.error()) {
            (None, _) => Err(Failure::UnknownKind(rec.kind_word)),
            (Some(kind), Some((inputs, code))) => error_case(kind, inputs, code),
            (Some(_), None) if rec.kind_word & ERROR_FLAG != 0 => {
                Err(Failure::Net(NetError::Malformed { at: case }))
            }
            (Some(Kind::Network), None) => match nets.next() {
                Some((m, c)) => run_kind(Kind::Network, rec.payload, true, Some((m, c))),
                None => Err(too_large(
                    "embedded network weights",
                    case,
                    network_magnitudes.len().min(network_counts.len()),
                )),
            },
            (Some(kind), None) => run_kind(kind, rec.payload, true, None),
        };
        match result {
            Ok(()) => sum.passed += 1,
            Err(_) => sum.failed += 1,
        }
        report(case, rec.kind_word, result);
    }
    Ok(sum)
}
