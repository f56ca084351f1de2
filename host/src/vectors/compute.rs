//! Running a case on an implementation.

use std::marker::PhantomData;

use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::LifFixed;
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::pack::{pack, pack_rows, unpack, RowShape};
use sc_kernel::sng::{encode, Lfsr16, Lfsr32, Lfsr8, Probability, Sng, Sobol};
use sc_kernel::{decode, ops, words_for, BitSlice, BitSliceMut, Word};

use super::schema::*;
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

/// The `sc-kernel` reference with storage words `W`.
pub struct Kernel<W: Word>(PhantomData<W>);

impl<W: Word> Default for Kernel<W> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<W: Word> Implementation for Kernel<W> {
    fn name(&self) -> &str {
        if W::BITS == 32 {
            "kernel-u32"
        } else {
            "kernel-u64"
        }
    }

    fn evaluate(&self, case: &Case) -> Result<Case, CaseError> {
        evaluate::<W>(case)
    }
}

/// Every implementation available in this process.
pub fn implementations() -> Vec<Box<dyn Implementation>> {
    vec![
        Box::new(Kernel::<u32>::default()),
        Box::new(Kernel::<u64>::default()),
    ]
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

fn lif_case<F: LifFixed, W: Word>(
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
        p.step_population(&mut v, &mut r, &i, &mut s)?;
        out.v.push(v.iter().map(|x| x.raw()).collect());
        out.refractory.push(r.clone());
        out.spikes
            .push(bits_to_str((0..neurons).map(|j| s.get(j) == Some(true))));
    }
    Ok(out)
}

/// Evaluate `case` on the kernel with words `W`.
pub fn evaluate<W: Word>(case: &Case) -> Result<Case, CaseError> {
    let mut out = case.clone();
    match &mut out {
        Case::Pack { bits, expect, .. } => {
            let b = field("bits", bits_from_str(bits))?;
            let mut words = vec![W::ZERO; words_for::<W>(b.len())];
            let mut s = BitSliceMut::new(&mut words, b.len())?;
            pack(&b, &mut s)?;
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
            let sa = BitSlice::new(&wa, len)?;
            let mut wo = vec![W::ZERO; words_for::<W>(len)];
            let mut so = BitSliceMut::new(&mut wo, len)?;
            match op {
                BitOp::Not => ops::not(sa, &mut so)?,
                BitOp::Mux => {
                    let (wb, ws) = (need(b, "b")?, need(sel, "sel")?);
                    ops::mux(
                        BitSlice::new(&ws, len)?,
                        sa,
                        BitSlice::new(&wb, len)?,
                        &mut so,
                    )?
                }
                _ => {
                    let wb = need(b, "b")?;
                    let sb = BitSlice::new(&wb, len)?;
                    match op {
                        BitOp::And => ops::and(sa, sb, &mut so)?,
                        BitOp::Or => ops::or(sa, sb, &mut so)?,
                        BitOp::Xor => ops::xor(sa, sb, &mut so)?,
                        _ => ops::xnor(sa, sb, &mut so)?,
                    }
                }
            }
            *expect = BitwiseExpect {
                out: stream_to_hex(so.as_slice()),
                popcount: so.count_ones(),
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
            let ones = s.count_ones();
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
            mac(&shape, &ww, &wx, &mut unsigned)?;
            mac_signed(&shape, &ww, &ws, &wx, &mut signed)?;
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
                LifFormat::Q16_16 => lif_case::<I16F16, W>(params, *neurons, input)?,
                LifFormat::Q8_8 => lif_case::<I8F8, W>(params, *neurons, input)?,
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
