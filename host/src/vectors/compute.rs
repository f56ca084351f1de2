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
use crate::hex::{bits_from_str, bits_to_str, hex_to_words, stream_to_hex, TextError};
use crate::scnet::{run_network, LifFormat, LifParamsRaw, NetError};

/// Why a case could not be evaluated (bad input in the vector file, or an
/// implementation that refused it).
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// A malformed input field.
    #[error("field `{field}`: {source}")]
    Field {
        /// Field name.
        field: &'static str,
        /// What was wrong.
        source: TextError,
    },
    /// The kernel rejected the inputs.
    #[error("{0}")]
    Kernel(#[from] sc_kernel::Error),
    /// The network could not be built or run.
    #[error("{0}")]
    Net(#[from] NetError),
    /// Inconsistent inputs.
    #[error("{0}")]
    Invalid(String),
    /// This implementation does not support the case kind.
    #[error("not supported by this implementation")]
    Unsupported,
}

fn field<T>(name: &'static str, r: Result<T, TextError>) -> Result<T, CaseError> {
    r.map_err(|source| CaseError::Field {
        field: name,
        source,
    })
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

/// Every implementation available in this process: the kernel with u32
/// and u64 words, the CPU backend at every SIMD level this CPU has, and the
/// GPU backend (on its CPU fallback when there is no adapter).
pub fn implementations() -> Vec<Box<dyn Implementation>> {
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
    if let Ok(g) = crate::gpu::GpuBackend::new() {
        v.push(Box::new(OpsImpl::new(Gpu::new(g))));
    }
    v
}

fn stream<W: Word>(name: &'static str, hex: &str, len: usize) -> Result<Vec<W>, CaseError> {
    field(name, hex_to_words::<W>(hex, len))
}

fn gen_case<W: Word, G: Sng + Copy>(
    mut g: G,
    p_q16: u32,
    len: usize,
    end: impl Fn(&G) -> u32,
) -> Result<GenExpect, CaseError> {
    let p = Probability::from_q16(p_q16)?;
    let values: Vec<u16> = {
        let mut h = g;
        (0..len.min(16)).map(|_| h.next_q16()).collect()
    };
    let mut words = vec![W::ZERO; words_for::<W>(len)];
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
    let p = params.to_params::<F>()?;
    let mut v = vec![p.v_rest(); neurons];
    let mut r = vec![0u16; neurons];
    let mut spikes = vec![W::ZERO; words_for::<W>(neurons)];
    let mut out = LifExpect {
        v: vec![],
        refractory: vec![],
        spikes: vec![],
    };
    for (t, step) in input.iter().enumerate() {
        if step.len() != neurons {
            return Err(CaseError::Invalid(format!(
                "input step {t} has {} values, {neurons} neurons",
                step.len()
            )));
        }
        let i = step
            .iter()
            .map(|&x| F::try_from_raw(x))
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

/// Evaluate `case` with the operations of `p`.
pub fn evaluate_with<W: Word, P: Ops<W>>(p: &P, case: &Case) -> Result<Case, CaseError> {
    let mut out = case.clone();
    let generic = matches!(
        case,
        Case::Lfsr { .. } | Case::Sobol { .. } | Case::Network { .. }
    );
    if generic && !p.runs_generators_and_networks() {
        return Err(CaseError::Unsupported);
    }
    match &mut out {
        Case::Pack { bits, expect, .. } => {
            let b = field("bits", bits_from_str(bits))?;
            let mut words = vec![W::ZERO; words_for::<W>(b.len())];
            let mut s = BitSliceMut::new(&mut words, b.len())?;
            p.pack(&b, &mut s)?;
            let mut back = vec![0u8; b.len()];
            unpack(s.as_slice(), &mut back)?;
            if back != b {
                return Err(CaseError::Invalid("unpack(pack(bits)) != bits".into()));
            }
            expect.stream = stream_to_hex(s.as_slice());
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
            let need = |o: &Option<String>, n: &'static str| -> Result<Vec<W>, CaseError> {
                match o {
                    Some(h) => stream::<W>(n, h, len),
                    None => Err(CaseError::Invalid(format!("op {op:?} needs field `{n}`"))),
                }
            };
            let (wb, ws) = match op {
                BitOp::Not => (wa.clone(), wa.clone()),
                BitOp::Mux => (need(b, "b")?, need(sel, "sel")?),
                _ => (need(b, "b")?, wa.clone()),
            };
            let mut wo = vec![W::ZERO; words_for::<W>(len)];
            let mut so = BitSliceMut::new(&mut wo, len)?;
            p.bitwise(
                *op,
                BitSlice::new(&wa, len)?,
                BitSlice::new(&wb, len)?,
                BitSlice::new(&ws, len)?,
                &mut so,
            )?;
            *expect = BitwiseExpect {
                out: stream_to_hex(so.as_slice()),
                popcount: p.count_ones(so.as_slice())?,
            };
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
            *expect = DecodeExpect {
                ones,
                unipolar_q16: decode::unipolar_q16(ones, *len)?.to_bits(),
                bipolar_q16: decode::bipolar_q16(ones, *len)?.to_bits(),
            };
        }
        Case::Lfsr {
            width,
            seed,
            p_q16,
            len,
            expect,
            ..
        } => {
            *expect = match width {
                8 => gen_case::<W, _>(Lfsr8::new(*seed)?, *p_q16, *len, |g| g.state() as u32)?,
                16 => gen_case::<W, _>(Lfsr16::new(*seed)?, *p_q16, *len, |g| g.state() as u32)?,
                32 => gen_case::<W, _>(Lfsr32::new(*seed)?, *p_q16, *len, |g| g.state())?,
                w => {
                    return Err(CaseError::Invalid(format!(
                        "LFSR width {w}; allowed: 8, 16, 32"
                    )))
                }
            };
        }
        Case::Sobol {
            dimension,
            start,
            p_q16,
            len,
            expect,
            ..
        } => {
            *expect = gen_case::<W, _>(Sobol::new(*dimension, *start)?, *p_q16, *len, |g| {
                g.index() as u32
            })?;
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
            let batch =
                |hexes: &[String], rows: usize, n: &'static str| -> Result<Vec<W>, CaseError> {
                    if hexes.len() != rows {
                        return Err(CaseError::Invalid(format!(
                            "`{n}` has {} streams, {rows} needed",
                            hexes.len()
                        )));
                    }
                    let mut out = Vec::with_capacity(rows * shape.stride::<W>());
                    for h in hexes {
                        out.extend(stream::<W>(n, h, len)?);
                    }
                    Ok(out)
                };
            let ww = batch(weights, neurons * inputs, "weights")?;
            let wx = batch(x, inputs, "x")?;
            if signs.len() != neurons {
                return Err(CaseError::Invalid(format!(
                    "`signs` has {} rows, {neurons} needed",
                    signs.len()
                )));
            }
            let mut sbits = Vec::with_capacity(neurons * inputs);
            for s in signs.iter() {
                let b = field("signs", bits_from_str(s))?;
                if b.len() != inputs {
                    return Err(CaseError::Invalid(format!(
                        "a `signs` row has {} bits, {inputs} needed",
                        b.len()
                    )));
                }
                sbits.extend(b);
            }
            let rs = RowShape {
                rows: neurons,
                row_len: inputs,
            };
            let mut ws = vec![W::ZERO; rs.words::<W>()?];
            pack_rows(rs, &sbits, &mut ws)?;
            let mut unsigned = vec![0u32; neurons];
            let mut signed = vec![0i32; neurons];
            p.mac(&shape, &ww, &ws, &wx, &mut unsigned, &mut signed)?;
            *expect = MacExpect { unsigned, signed };
        }
        Case::Lif {
            format,
            params,
            neurons,
            input,
            expect,
            ..
        } => {
            *expect = match format {
                LifFormat::Q16_16 => lif_case::<I16F16, W, P>(p, params, *neurons, input)?,
                LifFormat::Q8_8 => lif_case::<I8F8, W, P>(p, params, *neurons, input)?,
            };
        }
        Case::Network {
            network,
            inputs_q16,
            steps,
            expect,
            ..
        } => {
            let run = run_network::<W>(network, inputs_q16, *steps)?;
            *expect = NetworkExpect {
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
            };
        }
    }
    Ok(out)
}
