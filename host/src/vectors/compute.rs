//! Running a case on an implementation.

use std::marker::PhantomData;

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::pack::{pack, pack_rows, unpack, RowShape};
use sc_kernel::sng::{encode, Lfsr16, Lfsr32, Lfsr8, Probability, Sng, Sobol};
use sc_kernel::{decode, ops, words_for, BitSlice, BitSliceMut, Word};

use super::schema::*;
use crate::cpu::{CpuBackend, SimdLevel};
use crate::hex::{bits_from_str, bits_to_str, hex_to_words, stream_to_hex};
use crate::limits::{check_bytes, try_vec, try_with_capacity, LimitError};
use crate::scnet::{run_network, LifFormat, LifParamsRaw, NetError};

/// Why a case could not be evaluated (bad input in the vector file, or an
/// implementation that refused it).
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// A malformed or out-of-range field; the cause is the error's source
    /// (not repeated in the message).
    #[error("field `{field}`")]
    Field {
        /// Field name, e.g. `expect.stream` or `input[3][1]`.
        field: String,
        /// What was wrong.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A field inconsistent with the rest of the case.
    #[error("field `{field}`: {what}")]
    Bad {
        /// Field name.
        field: String,
        /// What is wrong and what is allowed.
        what: String,
    },
    /// The kernel rejected the inputs.
    #[error(transparent)]
    Kernel(#[from] sc_kernel::Error),
    /// The network could not be built or run.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A size from the case is too large to allocate.
    #[error(transparent)]
    Limit(#[from] LimitError),
    /// A number does not fit the export's 32-bit words.
    #[error("field `{field}`: {value} does not fit in 32 bits; allowed: 0..=4294967295")]
    TooWide {
        /// Field name.
        field: String,
        /// The value.
        value: String,
    },
    /// Inconsistent inputs.
    #[error("{0}")]
    Invalid(String),
    /// This implementation does not support the case kind.
    #[error("not supported by this implementation")]
    Unsupported,
}

/// Attach the field name `name` to an error.
pub fn field<T, E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    name: impl Into<String>,
    r: Result<T, E>,
) -> Result<T, CaseError> {
    r.map_err(|e| CaseError::Field {
        field: name.into(),
        source: e.into(),
    })
}

fn bad(field: impl Into<String>, what: impl Into<String>) -> CaseError {
    CaseError::Bad {
        field: field.into(),
        what: what.into(),
    }
}

/// An error and its causes, joined with `": "` (each cause once).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Something that can run vector cases: each returns the case with its
/// `expect` recomputed.
pub trait Implementation: Sync {
    /// Short name used in reports.
    fn name(&self) -> &str;
    /// Evaluate `case`, returning it with `expect` replaced by this
    /// implementation's outputs.
    fn evaluate(&self, case: &Case) -> Result<Case, CaseError>;
}

/// Result of an [`Ops`] call.
pub type OpResult<T> = Result<T, CaseError>;

/// The word-level operations a case needs, provided by an implementation
/// over words `W`. Parsing and checking of cases is shared; only these
/// calls differ between the kernel and the host backends.
pub trait Ops<W: Word>: Sync {
    /// Short name used in reports.
    fn name(&self) -> &str;
    /// Pack 0/1 bytes (`sc_kernel::pack::pack`).
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, W>) -> OpResult<()>;
    /// A binary op (`And`/`Or`/`Xor`/`Xnor`), `Not` (ignores `b`) or `Mux`
    /// (`sel` selects `a`).
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, W>,
        b: BitSlice<'_, W>,
        sel: BitSlice<'_, W>,
        out: &mut BitSliceMut<'_, W>,
    ) -> OpResult<()>;
    /// Popcount of a stream.
    fn count_ones(&self, a: BitSlice<'_, W>) -> OpResult<usize>;
    /// Unsigned and signed dense MAC.
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[W],
        signs: &[W],
        x: &[W],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> OpResult<()>;
    /// One LIF population step (`LifParams::step_population`).
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, W>,
    ) -> OpResult<usize>;
    /// Whether stream generators and whole networks run here (only the
    /// kernel itself; backends report those kinds as unsupported).
    fn runs_generators_and_networks(&self) -> bool {
        false
    }
}

/// An [`Ops`] provider as an [`Implementation`].
pub struct OpsImpl<W: Word, P: Ops<W>>(pub P, PhantomData<fn() -> W>);

impl<W: Word, P: Ops<W>> OpsImpl<W, P> {
    /// Wrap a provider.
    pub fn new(p: P) -> Self {
        Self(p, PhantomData)
    }
}

impl<W: Word, P: Ops<W>> Implementation for OpsImpl<W, P> {
    fn name(&self) -> &str {
        self.0.name()
    }
    fn evaluate(&self, case: &Case) -> Result<Case, CaseError> {
        evaluate_with::<W, P>(&self.0, case)
    }
}

/// The `sc-kernel` reference with storage words `W`.
pub struct Kernel<W: Word>(PhantomData<fn() -> W>);

impl<W: Word> Default for Kernel<W> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<W: Word> Ops<W> for Kernel<W> {
    fn name(&self) -> &str {
        if W::BITS == 32 {
            "kernel-u32"
        } else {
            "kernel-u64"
        }
    }
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, W>) -> OpResult<()> {
        Ok(pack(bits, out)?)
    }
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, W>,
        b: BitSlice<'_, W>,
        sel: BitSlice<'_, W>,
        out: &mut BitSliceMut<'_, W>,
    ) -> OpResult<()> {
        Ok(match op {
            BitOp::And => ops::and(a, b, out),
            BitOp::Or => ops::or(a, b, out),
            BitOp::Xor => ops::xor(a, b, out),
            BitOp::Xnor => ops::xnor(a, b, out),
            BitOp::Not => ops::not(a, out),
            BitOp::Mux => ops::mux(sel, a, b, out),
        }?)
    }
    fn count_ones(&self, a: BitSlice<'_, W>) -> OpResult<usize> {
        Ok(a.count_ones())
    }
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[W],
        signs: &[W],
        x: &[W],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> OpResult<()> {
        mac(shape, weights, x, unsigned)?;
        Ok(mac_signed(shape, weights, signs, x, signed)?)
    }
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, W>,
    ) -> OpResult<usize> {
        Ok(p.step_population(v, r, i, s)?)
    }
    fn runs_generators_and_networks(&self) -> bool {
        true
    }
}

/// The CPU backend (u64 words) at its SIMD level.
pub struct Cpu {
    backend: CpuBackend,
    name: String,
}

impl Cpu {
    /// Wrap a backend; reported as `cpu-<level>`.
    pub fn new(backend: CpuBackend) -> Self {
        let name = format!("cpu-{}", backend.level().name());
        Self { backend, name }
    }
}

impl Ops<u64> for Cpu {
    fn name(&self) -> &str {
        &self.name
    }
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, u64>) -> OpResult<()> {
        Ok(self.backend.pack(bits, out)?)
    }
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, u64>,
        b: BitSlice<'_, u64>,
        sel: BitSlice<'_, u64>,
        out: &mut BitSliceMut<'_, u64>,
    ) -> OpResult<()> {
        let be = &self.backend;
        Ok(match op {
            BitOp::And => be.and(a, b, out),
            BitOp::Or => be.or(a, b, out),
            BitOp::Xor => be.xor(a, b, out),
            BitOp::Xnor => be.xnor(a, b, out),
            BitOp::Not => be.not(a, out),
            BitOp::Mux => be.mux(sel, a, b, out),
        }?)
    }
    fn count_ones(&self, a: BitSlice<'_, u64>) -> OpResult<usize> {
        Ok(self.backend.count_ones(a))
    }
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[u64],
        signs: &[u64],
        x: &[u64],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> OpResult<()> {
        self.backend.mac(shape, weights, x, unsigned)?;
        Ok(self.backend.mac_signed(shape, weights, signs, x, signed)?)
    }
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, u64>,
    ) -> OpResult<usize> {
        Ok(self.backend.lif_step(p, v, r, i, s)?)
    }
}

/// The GPU backend (u64 words): `gpu-<adapter>`, or `gpu-fallback` when it
/// runs on the CPU backend.
#[cfg(feature = "gpu")]
pub struct Gpu {
    backend: crate::gpu::GpuBackend,
    name: String,
}

#[cfg(feature = "gpu")]
impl Gpu {
    /// Wrap a backend.
    pub fn new(backend: crate::gpu::GpuBackend) -> Self {
        let name = match backend.adapter() {
            Some(a) => format!("gpu-{}", a.split_whitespace().next().unwrap_or("?")),
            None => "gpu-fallback".to_string(),
        };
        Self { backend, name }
    }

    fn one(&self, s: BitSlice<'_, u64>) -> OpResult<crate::gpu::DeviceRows> {
        let shape = sc_kernel::pack::RowShape {
            rows: 1,
            row_len: s.len(),
        };
        Ok(self.backend.to_device(shape, s.words())?)
    }

    fn store(out: &mut BitSliceMut<'_, u64>, words: &[u64]) -> OpResult<()> {
        ensure_words(out.words().len(), words.len())?;
        out.update_words(|w| w.copy_from_slice(words));
        Ok(())
    }
}

#[cfg(feature = "gpu")]
fn ensure_words(expected: usize, found: usize) -> OpResult<()> {
    if expected == found {
        Ok(())
    } else {
        Err(sc_kernel::Error::LengthMismatch { expected, found }.into())
    }
}

#[cfg(feature = "gpu")]
impl From<crate::gpu::GpuError> for CaseError {
    fn from(e: crate::gpu::GpuError) -> Self {
        match e {
            crate::gpu::GpuError::Kernel(k) => CaseError::Kernel(k),
            e => CaseError::Invalid(e.to_string()),
        }
    }
}

#[cfg(feature = "gpu")]
impl Ops<u64> for Gpu {
    fn name(&self) -> &str {
        &self.name
    }
    fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, u64>) -> OpResult<()> {
        ensure_words(out.len(), bits.len())?;
        let d = self.backend.pack(
            sc_kernel::pack::RowShape {
                rows: 1,
                row_len: bits.len(),
            },
            bits,
        )?;
        Self::store(out, &self.backend.to_host(&d)?)
    }
    fn bitwise(
        &self,
        op: BitOp,
        a: BitSlice<'_, u64>,
        b: BitSlice<'_, u64>,
        sel: BitSlice<'_, u64>,
        out: &mut BitSliceMut<'_, u64>,
    ) -> OpResult<()> {
        let (da, db, ds) = (self.one(a)?, self.one(b)?, self.one(sel)?);
        let be = &self.backend;
        let r = match op {
            BitOp::And => be.and(&da, &db),
            BitOp::Or => be.or(&da, &db),
            BitOp::Xor => be.xor(&da, &db),
            BitOp::Xnor => be.xnor(&da, &db),
            BitOp::Not => be.not(&da),
            BitOp::Mux => be.mux(&ds, &da, &db),
        }?;
        ensure_words(out.len(), a.len())?;
        Self::store(out, &be.to_host(&r)?)
    }
    fn count_ones(&self, a: BitSlice<'_, u64>) -> OpResult<usize> {
        Ok(self.backend.count_ones(&self.one(a)?)?)
    }
    fn mac(
        &self,
        shape: &MacShape,
        weights: &[u64],
        signs: &[u64],
        x: &[u64],
        unsigned: &mut [u32],
        signed: &mut [i32],
    ) -> OpResult<()> {
        use sc_kernel::pack::RowShape;
        let be = &self.backend;
        let w = be.to_device(shape.weight_rows(), weights)?;
        let s = be.to_device(
            RowShape {
                rows: shape.neurons(),
                row_len: shape.inputs(),
            },
            signs,
        )?;
        let xd = be.to_device(shape.input_rows(), x)?;
        let (u, sg) = be.mac_both(shape, &w, &s, &xd, 1)?;
        ensure_words(unsigned.len(), shape.neurons())?;
        ensure_words(signed.len(), shape.neurons())?;
        if shape.neurons() > 0 {
            unsigned.copy_from_slice(&u);
            signed.copy_from_slice(&sg);
        }
        Ok(())
    }
    fn lif<F: LifFixed>(
        &self,
        p: &LifParams<F>,
        v: &mut [F],
        r: &mut [u16],
        i: &[F],
        s: &mut BitSliceMut<'_, u64>,
    ) -> OpResult<usize> {
        ensure_words(v.len(), s.len())?;
        let run = self.backend.lif_run(p, v, r, i, 1)?;
        v.copy_from_slice(&run.v);
        r.copy_from_slice(&run.refractory);
        Self::store(s, &run.spikes)?;
        Ok(s.count_ones())
    }
}

/// Which optional implementations [`implementations`] includes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Which {
    /// Also the GPU backend. Only then is a GPU adapter probed (probing
    /// loads the system's graphics drivers, which may print warnings).
    pub gpu: bool,
}

impl Which {
    /// Every implementation, the GPU backend included.
    pub fn all() -> Self {
        Self { gpu: true }
    }
}

/// The implementations available in this process: the kernel with u32
/// and u64 words, the CPU backend at every SIMD level this CPU has, and,
/// if `which.gpu`, the GPU backend (on its CPU fallback when there is no
/// adapter; absent when built without the `gpu` feature).
pub fn implementations(which: Which) -> Vec<Box<dyn Implementation>> {
    let mut v: Vec<Box<dyn Implementation>> = vec![
        Box::new(OpsImpl::new(Kernel::<u32>::default())),
        Box::new(OpsImpl::new(Kernel::<u64>::default())),
    ];
    for level in SimdLevel::available() {
        if let Ok(be) = CpuBackend::with_level(0, level) {
            v.push(Box::new(OpsImpl::new(Cpu::new(be))));
        }
    }
    #[cfg(feature = "gpu")]
    if which.gpu {
        if let Ok(g) = crate::gpu::GpuBackend::new() {
            v.push(Box::new(OpsImpl::new(Gpu::new(g))));
        }
    }
    #[cfg(not(feature = "gpu"))]
    let _ = which;
    v
}

fn stream<W: Word>(name: &str, hex: &str, len: usize) -> Result<Vec<W>, CaseError> {
    field(name, hex_to_words::<W>(hex, len))
}

fn gen_case<W: Word, G: Sng + Copy>(
    mut g: G,
    p_q16: u32,
    len: usize,
    end: impl Fn(&G) -> u32,
) -> Result<GenExpect, CaseError> {
    let p = field("p_q16", Probability::from_q16(p_q16))?;
    let values: Vec<u16> = {
        let mut h = g;
        (0..len.min(16)).map(|_| h.next_q16()).collect()
    };
    let mut words = try_vec("len", words_for::<W>(len), W::ZERO)?;
    let mut s = BitSliceMut::new(&mut words, len)?;
    encode(&mut g, p, &mut s);
    Ok(GenExpect {
        stream: stream_to_hex(s.as_slice()),
        ones: s.count_ones(),
        values,
        end_state: end(&g),
    })
}

fn lif_case<F: LifFixed, W: Word, P: Ops<W>>(
    imp: &P,
    params: &LifParamsRaw,
    neurons: usize,
    input: &[Vec<i32>],
) -> Result<LifExpect, CaseError> {
    let p = field("params", params.to_params::<F>())?;
    check_lif_input(neurons, input)?;
    let mut v = try_vec("neurons", neurons, p.v_rest())?;
    let mut r = try_vec("neurons", neurons, 0u16)?;
    let mut spikes = try_vec("neurons", words_for::<W>(neurons), W::ZERO)?;
    let mut out = LifExpect {
        v: try_with_capacity("input", input.len())?,
        refractory: try_with_capacity("input", input.len())?,
        spikes: try_with_capacity("input", input.len())?,
    };
    for (t, step) in input.iter().enumerate() {
        let i = step
            .iter()
            .enumerate()
            .map(|(j, &x)| field(format!("input[{t}][{j}]"), F::try_from_raw(x)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut s = BitSliceMut::new(&mut spikes, neurons)?;
        imp.lif(&p, &mut v, &mut r, &i, &mut s)?;
        out.v.push(v.iter().map(|x| x.raw()).collect());
        out.refractory.push(r.clone());
        out.spikes
            .push(bits_to_str((0..neurons).map(|j| s.get(j) == Some(true))));
    }
    Ok(out)
}

/// Evaluate `case` on the kernel with words `W`.
pub fn evaluate<W: Word>(case: &Case) -> Result<Case, CaseError> {
    evaluate_with::<W, _>(&Kernel::<W>::default(), case)
}

/// Evaluate `case` with the operations of `p`. The inputs are checked
/// first ([`validate_inputs`]); buffers sized by the case are allocated
/// through [`crate::limits`].
pub fn evaluate_with<W: Word, P: Ops<W>>(p: &P, case: &Case) -> Result<Case, CaseError> {
    let generic = matches!(
        case,
        Case::Lfsr { .. } | Case::Sobol { .. } | Case::Network { .. }
    );
    if generic && !p.runs_generators_and_networks() {
        return Err(CaseError::Unsupported);
    }
    validate_inputs(case)?;
    let mut out = case.clone();
    match &mut out {
        Case::Pack { bits, expect, .. } => {
            let b = field("bits", bits_from_str(bits))?;
            let mut words = try_vec("bits", words_for::<W>(b.len()), W::ZERO)?;
            let mut s = BitSliceMut::new(&mut words, b.len())?;
            p.pack(&b, &mut s)?;
            let mut back = try_vec("bits", b.len(), 0u8)?;
            unpack(s.as_slice(), &mut back)?;
            if back != b {
                return Err(CaseError::Invalid("unpack(pack(bits)) != bits".into()));
            }
            *expect = Expect::Value(StreamExpect {
                stream: stream_to_hex(s.as_slice()),
            });
        }
        Case::Bitwise {
            op,
            len,
            a,
            b,
            sel,
            expect,
            ..
        } => {
            let len = *len;
            let wa = stream::<W>("a", a, len)?;
            let operand = |o: &Option<String>, n: &str| -> Result<Vec<W>, CaseError> {
                match o {
                    Some(h) => stream::<W>(n, h, len),
                    None => Ok(wa.clone()),
                }
            };
            // validate_inputs made sure exactly the operands `op` uses are given.
            let wb = operand(b, "b")?;
            let ws = operand(sel, "sel")?;
            let mut wo = try_vec("len", words_for::<W>(len), W::ZERO)?;
            let mut so = BitSliceMut::new(&mut wo, len)?;
            p.bitwise(
                *op,
                BitSlice::new(&wa, len)?,
                BitSlice::new(&wb, len)?,
                BitSlice::new(&ws, len)?,
                &mut so,
            )?;
            *expect = Expect::Value(BitwiseExpect {
                out: stream_to_hex(so.as_slice()),
                popcount: p.count_ones(so.as_slice())?,
            });
        }
        Case::Decode {
            len,
            stream: h,
            expect,
            ..
        } => {
            let w = stream::<W>("stream", h, *len)?;
            let s = BitSlice::new(&w, *len)?;
            let ones = p.count_ones(s)?;
            *expect = Expect::Value(DecodeExpect {
                ones,
                unipolar_q16: field("len", decode::unipolar_q16(ones, *len))?.to_bits(),
                bipolar_q16: field("len", decode::bipolar_q16(ones, *len))?.to_bits(),
            });
        }
        Case::Lfsr {
            width,
            seed,
            p_q16,
            len,
            expect,
            ..
        } => {
            *expect = Expect::Value(match width {
                8 => gen_case::<W, _>(field("seed", Lfsr8::new(*seed))?, *p_q16, *len, |g| {
                    u32::from(g.state())
                })?,
                16 => gen_case::<W, _>(field("seed", Lfsr16::new(*seed))?, *p_q16, *len, |g| {
                    u32::from(g.state())
                })?,
                32 => gen_case::<W, _>(field("seed", Lfsr32::new(*seed))?, *p_q16, *len, |g| {
                    g.state()
                })?,
                w => return Err(bad("width", format!("{w}; allowed: 8, 16, 32"))),
            });
        }
        Case::Sobol {
            dimension,
            start,
            p_q16,
            len,
            expect,
            ..
        } => {
            let g = field("dimension", Sobol::new(*dimension, *start))?;
            *expect = Expect::Value(gen_case::<W, _>(g, *p_q16, *len, |g| u32::from(g.index()))?);
        }
        Case::Mac {
            neurons,
            inputs,
            len,
            weights,
            signs,
            x,
            expect,
            ..
        } => {
            let (neurons, inputs, len) = (*neurons, *inputs, *len);
            let shape = MacShape::new(neurons, inputs, len)?;
            let batch = |hexes: &[String], n: &str| -> Result<Vec<W>, CaseError> {
                let total = hexes.len().saturating_mul(shape.stride::<W>());
                let mut out = try_with_capacity(n, total)?;
                for (k, h) in hexes.iter().enumerate() {
                    out.extend(stream::<W>(&format!("{n}[{k}]"), h, len)?);
                }
                Ok(out)
            };
            let ww = batch(weights, "weights")?;
            let wx = batch(x, "x")?;
            let mut sbits = try_with_capacity("signs", neurons.saturating_mul(inputs))?;
            for (j, s) in signs.iter().enumerate() {
                sbits.extend(field(format!("signs[{j}]"), bits_from_str(s))?);
            }
            let rs = RowShape {
                rows: neurons,
                row_len: inputs,
            };
            let mut ws = try_vec("signs", rs.words::<W>()?, W::ZERO)?;
            pack_rows(rs, &sbits, &mut ws)?;
            let mut unsigned = try_vec("neurons", neurons, 0u32)?;
            let mut signed = try_vec("neurons", neurons, 0i32)?;
            p.mac(&shape, &ww, &ws, &wx, &mut unsigned, &mut signed)?;
            *expect = Expect::Value(MacExpect { unsigned, signed });
        }
        Case::Lif {
            format,
            params,
            neurons,
            input,
            expect,
            ..
        } => {
            *expect = Expect::Value(match format {
                LifFormat::Q16_16 => lif_case::<I16F16, W, P>(p, params, *neurons, input)?,
                LifFormat::Q8_8 => lif_case::<I8F8, W, P>(p, params, *neurons, input)?,
            });
        }
        Case::Network {
            network,
            inputs_q16,
            steps,
            expect,
            ..
        } => {
            let run = run_network::<W>(network, inputs_q16, *steps)?;
            *expect = Expect::Value(NetworkExpect {
                spikes: run
                    .spikes
                    .iter()
                    .map(|step| {
                        step.iter()
                            .map(|l| bits_to_str(l.iter().copied()))
                            .collect()
                    })
                    .collect(),
                counts: run.counts,
            });
        }
    }
    Ok(out)
}

/// A `len`-bit hex stream must have exactly `2 * ceil(len / 8)` digits
/// (checked before anything of size `len` is allocated).
fn hex_len(name: &str, hex: &str, len: usize) -> Result<(), CaseError> {
    let expected = 2 * sc_kernel::pack::bytes_for(len);
    if hex.len() != expected {
        return field(
            name,
            Err(crate::hex::TextError::HexLength {
                len,
                expected,
                found: hex.len(),
            }),
        );
    }
    Ok(())
}

fn count(name: &str, found: usize, needed: usize, what: &str) -> Result<(), CaseError> {
    if found != needed {
        return Err(bad(name, format!("{found} {what} given, {needed} needed")));
    }
    Ok(())
}

fn p_q16_ok(name: &str, p: u32) -> Result<(), CaseError> {
    field(name, Probability::from_q16(p)).map(|_| ())
}

fn check_lif_input(neurons: usize, input: &[Vec<i32>]) -> Result<(), CaseError> {
    for (t, row) in input.iter().enumerate() {
        count(
            &format!("input[{t}]"),
            row.len(),
            neurons,
            "values (neurons)",
        )?;
    }
    check_bytes::<i32>("input", input.len().saturating_mul(neurons))?;
    Ok(())
}

/// Check a case's inputs against each other before anything is allocated:
/// stream lengths against `len`, stream and row counts against the
/// shapes, operands against the op, value ranges. Sizes no data backs are
/// capped when allocated ([`crate::limits`]).
pub fn validate_inputs(case: &Case) -> Result<(), CaseError> {
    match case {
        Case::Pack { bits, .. } => {
            field("bits", bits_from_str(bits))?;
        }
        Case::Bitwise {
            op, len, a, b, sel, ..
        } => {
            let name = op.name();
            hex_len("a", a, *len)?;
            let uses_b = *op != BitOp::Not;
            let uses_sel = *op == BitOp::Mux;
            for (n, v, used) in [("b", b, uses_b), ("sel", sel, uses_sel)] {
                match (v, used) {
                    (Some(h), true) => hex_len(n, h, *len)?,
                    (None, true) => return Err(bad(n, format!("missing; op `{name}` needs it"))),
                    (Some(_), false) => {
                        return Err(bad(
                            n,
                            format!("op `{name}` does not use it; remove the field"),
                        ))
                    }
                    (None, false) => {}
                }
            }
        }
        Case::Decode { len, stream, .. } => {
            if *len == 0 {
                // The kernel's own check (EmptyStream), so error cases see it.
                field("len", decode::unipolar_q16(0, 0))?;
            }
            hex_len("stream", stream, *len)?;
        }
        Case::Lfsr {
            width, seed, p_q16, ..
        } => {
            match width {
                8 => field("seed", Lfsr8::new(*seed)).map(|_| ())?,
                16 => field("seed", Lfsr16::new(*seed)).map(|_| ())?,
                32 => field("seed", Lfsr32::new(*seed)).map(|_| ())?,
                w => return Err(bad("width", format!("{w}; allowed: 8, 16, 32"))),
            }
            p_q16_ok("p_q16", *p_q16)?;
        }
        Case::Sobol {
            dimension,
            start,
            p_q16,
            ..
        } => {
            field("dimension", Sobol::new(*dimension, 0))?;
            if *start > u32::from(u16::MAX) {
                return Err(bad("start", format!("{start}; allowed: 0..=65535")));
            }
            p_q16_ok("p_q16", *p_q16)?;
        }
        Case::Mac {
            neurons,
            inputs,
            len,
            weights,
            signs,
            x,
            ..
        } => {
            let nw = neurons
                .checked_mul(*inputs)
                .ok_or_else(|| bad("neurons", "neurons x inputs overflows"))?;
            count("weights", weights.len(), nw, "streams (neurons x inputs)")?;
            count("x", x.len(), *inputs, "streams (inputs)")?;
            count("signs", signs.len(), *neurons, "rows (neurons)")?;
            field("len", MacShape::new(*neurons, *inputs, *len))?;
            for (k, h) in weights.iter().enumerate() {
                hex_len(&format!("weights[{k}]"), h, *len)?;
            }
            for (k, h) in x.iter().enumerate() {
                hex_len(&format!("x[{k}]"), h, *len)?;
            }
            for (j, row) in signs.iter().enumerate() {
                let n = format!("signs[{j}]");
                let b = field(n.as_str(), bits_from_str(row))?;
                count(&n, b.len(), *inputs, "bits (inputs)")?;
            }
        }
        Case::Lif {
            format,
            params,
            neurons,
            input,
            ..
        } => {
            match format {
                LifFormat::Q16_16 => field("params", params.to_params::<I16F16>()).map(|_| ())?,
                LifFormat::Q8_8 => field("params", params.to_params::<I8F8>()).map(|_| ())?,
            }
            check_lif_input(*neurons, input)?;
        }
        Case::Network {
            network,
            inputs_q16,
            ..
        } => {
            field("network", network.validate())?;
            count(
                "inputs_q16",
                inputs_q16.len(),
                network.dims[0],
                "probabilities (dims[0])",
            )?;
            for (i, &q) in inputs_q16.iter().enumerate() {
                p_q16_ok(&format!("inputs_q16[{i}]"), q)?;
            }
        }
    }
    Ok(())
}

/// Check a case's stored `expect` has the shape its inputs imply (stream
/// lengths, counts per neuron and step), so sizes the outputs would take
/// are backed by data in the file before a case runs.
pub fn validate_expect(case: &Case) -> Result<(), CaseError> {
    if case.expected_error().is_some() {
        return Ok(());
    }
    match case {
        Case::Pack {
            bits,
            expect: Expect::Value(expect),
            ..
        } => hex_len("expect.stream", &expect.stream, bits.len())?,
        Case::Bitwise {
            len,
            expect: Expect::Value(expect),
            ..
        } => hex_len("expect.out", &expect.out, *len)?,
        Case::Lfsr {
            len,
            expect: Expect::Value(expect),
            width,
            ..
        } => {
            gen_expect(*len, expect)?;
            if *width < 32 && expect.end_state >= 1 << width {
                return Err(bad(
                    "expect.end_state",
                    format!("{} does not fit {width} bits", expect.end_state),
                ));
            }
        }
        Case::Sobol {
            len,
            expect: Expect::Value(expect),
            ..
        } => {
            gen_expect(*len, expect)?;
            if expect.end_state > u32::from(u16::MAX) {
                return Err(bad(
                    "expect.end_state",
                    format!("{}; allowed: 0..=65535", expect.end_state),
                ));
            }
        }
        Case::Mac {
            neurons,
            expect: Expect::Value(expect),
            ..
        } => {
            count(
                "expect.unsigned",
                expect.unsigned.len(),
                *neurons,
                "counts (neurons)",
            )?;
            count(
                "expect.signed",
                expect.signed.len(),
                *neurons,
                "counts (neurons)",
            )?;
        }
        Case::Lif {
            neurons,
            input,
            expect: Expect::Value(expect),
            ..
        } => {
            let steps = input.len();
            count("expect.v", expect.v.len(), steps, "rows (input steps)")?;
            count(
                "expect.refractory",
                expect.refractory.len(),
                steps,
                "rows (input steps)",
            )?;
            count(
                "expect.spikes",
                expect.spikes.len(),
                steps,
                "rows (input steps)",
            )?;
            for t in 0..steps {
                count(
                    &format!("expect.v[{t}]"),
                    expect.v[t].len(),
                    *neurons,
                    "values (neurons)",
                )?;
                count(
                    &format!("expect.refractory[{t}]"),
                    expect.refractory[t].len(),
                    *neurons,
                    "values (neurons)",
                )?;
                count(
                    &format!("expect.spikes[{t}]"),
                    expect.spikes[t].len(),
                    *neurons,
                    "bits (neurons)",
                )?;
            }
        }
        Case::Network {
            network,
            steps,
            expect: Expect::Value(expect),
            ..
        } => {
            count("expect.spikes", expect.spikes.len(), *steps, "rows (steps)")?;
            let layers = &network.dims[1..];
            for (t, row) in expect.spikes.iter().enumerate() {
                count(
                    &format!("expect.spikes[{t}]"),
                    row.len(),
                    layers.len(),
                    "layers",
                )?;
                for (k, (s, &n)) in row.iter().zip(layers).enumerate() {
                    count(
                        &format!("expect.spikes[{t}][{k}]"),
                        s.len(),
                        n,
                        "bits (neurons)",
                    )?;
                }
            }
            count(
                "expect.counts",
                expect.counts.len(),
                network.outputs(),
                "counts (output neurons)",
            )?;
        }
        // Decode (no stream in `expect`); error expectations returned above.
        _ => {}
    }
    Ok(())
}

fn gen_expect(len: usize, expect: &GenExpect) -> Result<(), CaseError> {
    hex_len("expect.stream", &expect.stream, len)?;
    count(
        "expect.values",
        expect.values.len(),
        len.min(16),
        "values (min(len, 16))",
    )
}

/// [`validate_inputs`] and [`validate_expect`].
pub fn validate(case: &Case) -> Result<(), CaseError> {
    validate_inputs(case)?;
    validate_expect(case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::check::{check_case, Outcome};
    use serde_json::json;

    fn case(v: serde_json::Value) -> Case {
        serde_json::from_value(v).expect("parses")
    }

    fn kernel() -> OpsImpl<u32, Kernel<u32>> {
        OpsImpl::new(Kernel::<u32>::default())
    }

    fn error(c: &Case) -> String {
        match check_case(&kernel(), c) {
            Outcome::Error(e) => e,
            o => panic!("expected an error, got {o:?}"),
        }
    }

    // Class 1: sizes from input are checked against the data (or capped)
    // before anything is allocated.
    #[test]
    fn unbacked_sizes_are_errors_not_aborts() {
        let lif = case(json!({"kind": "lif", "name": "huge", "format": "q16.16",
            "params": {"v_rest": 0, "v_reset": 0, "threshold": 65536, "alpha": 16384,
                       "resistance": 65536, "refractory": 0},
            "neurons": 1u64 << 62, "input": [],
            "expect": {"v": [], "refractory": [], "spikes": []}}));
        let e = error(&lif);
        assert!(e.starts_with("neurons: ") && e.contains("too large"), "{e}");
        // A row that does not have `neurons` values.
        let mut short = lif.clone();
        if let Case::Lif { neurons, input, .. } = &mut short {
            *neurons = 3;
            input.push(vec![1, 2]);
        }
        let e = error(&short);
        assert!(e.contains("field `input[0]`: 2 values"), "{e}");
        let lfsr = case(json!({"kind": "lfsr", "name": "l", "width": 16, "seed": 1,
            "p_q16": 100, "len": 1u64 << 40,
            "expect": {"stream": "", "ones": 0, "values": [], "end_state": 1}}));
        let e = error(&lfsr);
        assert!(
            e.starts_with("field `expect.stream`: hex has 0 digits"),
            "{e}"
        );
        // The generator path (no expectation check) is capped too.
        let e = evaluate::<u32>(&lfsr).unwrap_err();
        assert!(
            matches!(e, CaseError::Limit(ref l) if l.what == "len"),
            "{e}"
        );
        let mac = case(json!({"kind": "mac", "name": "m", "neurons": 1u64 << 40,
            "inputs": 4, "len": 8, "weights": [], "signs": [], "x": [],
            "expect": {"unsigned": [], "signed": []}}));
        let e = error(&mac);
        assert!(e.starts_with("field `weights`: 0 streams"), "{e}");
    }

    // Class 3: operands an op does not use are errors; used ones are parsed.
    #[test]
    fn unused_operands_are_errors() {
        let and = |extra: serde_json::Value| {
            let mut v = json!({"kind": "bitwise", "name": "b", "op": "and", "len": 8,
                "a": "ff", "b": "0f", "expect": {"out": "0f", "popcount": 4}});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            case(v)
        };
        assert_eq!(check_case(&kernel(), &and(json!({}))), Outcome::Pass);
        let e = error(&and(json!({"sel": "zz"})));
        assert_eq!(e, "field `sel`: op `and` does not use it; remove the field");
        let e = error(&and(json!({"op": "not"})));
        assert_eq!(e, "field `b`: op `not` does not use it; remove the field");
        let e = error(&and(json!({"op": "mux"})));
        assert_eq!(e, "field `sel`: missing; op `mux` needs it");
        let e = error(&and(json!({"op": "mux", "sel": "zz"})));
        assert!(e.starts_with("field `sel`: invalid hex digit 'z'"), "{e}");
    }

    // Class 10: value ranges of generator cases.
    #[test]
    fn generator_fields_are_range_checked() {
        let lfsr = |w: u32, p: u32, end: u32| {
            case(
                json!({"kind": "lfsr", "name": "l", "width": w, "seed": 1, "p_q16": p,
                "len": 1, "expect": {"stream": "00", "ones": 0, "values": [0], "end_state": end}}),
            )
        };
        assert!(error(&lfsr(7, 0, 1)).starts_with("field `width`: 7; allowed: 8, 16, 32"));
        assert!(error(&lfsr(8, 65537, 1)).starts_with("field `p_q16`: "));
        assert!(error(&lfsr(8, 0, 256)).starts_with("field `expect.end_state`: 256"));
        let sobol = |d: u64, start: u32| {
            case(
                json!({"kind": "sobol", "name": "s", "dimension": d, "start": start,
                "p_q16": 0, "len": 1,
                "expect": {"stream": "00", "ones": 0, "values": [0], "end_state": 1}}),
            )
        };
        assert!(error(&sobol((1 << 32) + 1, 0)).starts_with("field `dimension`: "));
        assert!(error(&sobol(0, 65536)).starts_with("field `start`: 65536; allowed"));
    }

    // Class 8: a field error names the field once and its cause once.
    #[test]
    fn error_chains_do_not_repeat() {
        let e =
            field::<(), _>("a", Err(crate::hex::TextError::Bit { ch: 'x', pos: 0 })).unwrap_err();
        assert_eq!(e.to_string(), "field `a`");
        assert_eq!(
            chain(&e),
            "field `a`: invalid bit 'x' at position 0; allowed: '0' or '1'"
        );
        let k = CaseError::Kernel(sc_kernel::Error::ShapeOverflow);
        assert_eq!(chain(&k), k.to_string());
    }
}
