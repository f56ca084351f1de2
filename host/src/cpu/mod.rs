//! The fast CPU backend: the kernel's operations on `u64` words with
//! runtime SIMD dispatch ([`SimdLevel`]) and a persistent rayon pool.
//!
//! Results are bit-identical to `sc-kernel` (the conformance vectors and
//! property tests check every SIMD level). The float kernels of the seed's
//! functions (`snn::seed`) have no kernel counterpart: they are the same
//! bits at every level as their portable code. Inputs are validated exactly as
//! the kernel validates them, with the kernel's [`sc_kernel::Error`]s.

mod backend;
mod simd;

use std::any::TypeId;
use std::ops::Range;

use rayon::prelude::*;

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::{LifFixed, LifParams, LifParamsQ16};
use sc_kernel::mac::MacShape;
use sc_kernel::net::Generator;
use sc_kernel::ops::BitOp;
use sc_kernel::pack::RowShape;
use sc_kernel::sng::{Probability, Sng};
use sc_kernel::{words_for, BitSlice, BitSliceMut, Error, Result};

use crate::backend::{Bitwise, LifStep, MacInputs};
pub(crate) use simd::{byte_row, step_code, ByteRow, Kernels, StepRow};
pub use simd::{SimdLevel, WordOp};

/// Below this many words an operation runs on the calling thread.
const PAR_WORDS: usize = 1 << 15;

/// Words per task of the element-wise operations on the pool.
const CHUNK_WORDS: usize = 8192;

/// Why a backend could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CpuError {
    /// The requested SIMD level is not supported by this CPU.
    #[error("SIMD level {0:?} is not supported by this CPU; available: {1:?}")]
    Unsupported(SimdLevel, Vec<SimdLevel>),
    /// The thread pool could not be built.
    #[error("thread pool: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
}

/// How to build a [`CpuBackend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuOptions {
    /// Worker threads; 0 = one per CPU this process may use.
    pub threads: usize,
    /// SIMD level; `None` = the best this CPU has.
    pub level: Option<SimdLevel>,
    /// Pin worker `i` to the `i`-th CPU of the process's affinity mask
    /// (only when there are at least as many CPUs as workers). Without
    /// pinning the OS may start two workers on one CPU and keep them there
    /// for longer than a sub-millisecond operation, halving its speed; turn
    /// it off when several processes share the CPUs without an affinity
    /// mask of their own.
    pub pin: bool,
}

impl Default for CpuOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            level: None,
            pin: true,
        }
    }
}

/// CPU backend with its own thread pool.
pub struct CpuBackend {
    pool: rayon::ThreadPool,
    /// The word kernels of the chosen level, resolved once here.
    kernels: Kernels,
}

fn ensure(expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

impl CpuBackend {
    /// Backend with `threads` worker threads (0 = one per core) at the best
    /// SIMD level of this CPU, workers pinned (see [`CpuOptions::pin`]).
    pub fn new(threads: usize) -> std::result::Result<Self, CpuError> {
        Self::with_options(CpuOptions {
            threads,
            ..CpuOptions::default()
        })
    }

    /// Backend at a given SIMD level (for tests and benchmarks); errors if
    /// the CPU lacks it.
    pub fn with_level(threads: usize, level: SimdLevel) -> std::result::Result<Self, CpuError> {
        Self::with_options(CpuOptions {
            threads,
            level: Some(level),
            ..CpuOptions::default()
        })
    }

    /// Backend with explicit options.
    pub fn with_options(opts: CpuOptions) -> std::result::Result<Self, CpuError> {
        let level = opts.level.unwrap_or_else(SimdLevel::detect);
        let kernels = Kernels::new(level)
            .ok_or_else(|| CpuError::Unsupported(level, SimdLevel::available()))?;
        // The CPUs this process may run on (its affinity mask, which MPI
        // launchers and `taskset` set).
        let cores = if opts.pin {
            core_affinity::get_core_ids().unwrap_or_default()
        } else {
            Vec::new()
        };
        let threads = if opts.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            opts.threads
        };
        let pin = opts.pin && threads > 1 && threads <= cores.len();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("sc-cpu-{i}"))
            .start_handler(move |i| {
                if pin {
                    // Best effort: an unpinned worker is only slower.
                    let _ = core_affinity::set_for_current(cores[i]);
                }
            })
            .build()?;
        Ok(Self { pool, kernels })
    }

    /// SIMD level in use.
    pub fn level(&self) -> SimdLevel {
        self.kernels.level()
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Whether work of `words` words is split across the pool: only with
    /// more than one thread and enough work to pay for waking the workers
    /// (tens of microseconds on a virtual machine).
    fn parallel(&self, words: usize) -> bool {
        self.threads() > 1 && words >= PAR_WORDS
    }

    /// `f(chunk, range)` over `out` in chunks of [`CHUNK_WORDS`], where
    /// `range` is the chunk's position in `out` (to slice the inputs alike):
    /// on the pool when [`Self::parallel`] says so, else in one call.
    fn for_chunks<T: Send>(&self, out: &mut [T], f: impl Fn(&mut [T], Range<usize>) + Sync) {
        if self.parallel(out.len()) {
            self.pool.install(|| {
                out.par_chunks_mut(CHUNK_WORDS)
                    .enumerate()
                    .for_each(|(k, o)| {
                        let start = k * CHUNK_WORDS;
                        let end = start + o.len();
                        f(o, start..end)
                    })
            });
        } else {
            let n = out.len();
            f(out, 0..n);
        }
    }

    /// Run `f` on this backend's pool.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Pack 0/1 bytes into `out` (`bits.len() == out.len()`); errors as
    /// `sc_kernel::pack::pack` does.
    pub fn pack(&self, bits: &[u8], out: &mut BitSliceMut<'_, u64>) -> Result<()> {
        ensure(out.len(), bits.len())?;
        let kern = self.kernels;
        out.update_words(|words| {
            let r = if self.parallel(words.len()) {
                self.pool.install(|| {
                    words
                        .par_chunks_mut(4096)
                        .zip(bits.par_chunks(4096 * 64))
                        .enumerate()
                        .try_for_each(|(c, (w, b))| kern.pack(b, w).map_err(|i| c * 4096 * 64 + i))
                })
            } else {
                kern.pack(bits, words)
            };
            // Parallel chunks may report any bad byte: report the first.
            r.map_err(|_| {
                let index = bits.iter().position(|&b| b > 1).unwrap_or(0);
                Error::InvalidBit {
                    index,
                    value: bits[index],
                }
            })
        })
    }

    /// Pack a batch of rows (see `sc_kernel::pack::pack_rows`).
    pub fn pack_rows(&self, shape: RowShape, bits: &[u8], out: &mut [u64]) -> Result<()> {
        ensure(shape.bits()?, bits.len())?;
        let needed = shape.words::<u64>()?;
        if out.len() < needed {
            return Err(Error::StorageTooSmall {
                needed,
                found: out.len(),
            });
        }
        let s = shape.stride::<u64>();
        if s == 0 || shape.row_len == 0 {
            out[..needed].iter_mut().for_each(|w| *w = 0);
            return Ok(());
        }
        let kern = self.kernels;
        let r = if self.parallel(needed) {
            self.pool.install(|| {
                out[..needed]
                    .par_chunks_mut(s)
                    .zip(bits.par_chunks(shape.row_len))
                    .try_for_each(|(w, b)| kern.pack(b, w))
            })
        } else {
            out[..needed]
                .chunks_mut(s)
                .zip(bits.chunks(shape.row_len))
                .try_for_each(|(w, b)| kern.pack(b, w))
        };
        r.map_err(|_| {
            let index = bits.iter().position(|&b| b > 1).unwrap_or(0);
            Error::InvalidBit {
                index,
                value: bits[index],
            }
        })
    }

    /// Unpack rows of packed words into 0/1 bytes: row `r` of `out` (`out.len()
    /// / row_len` rows of `row_len` bytes) gets the first `row_len` bits of
    /// `words[r * stride ..][..stride]` (LSB first), rows in parallel on
    /// large batches. Nothing is written when `row_len` is 0.
    ///
    /// Errors: [`Error::LengthMismatch`] if `out` is not whole rows or
    /// `words` has not `stride` words for each; [`Error::StorageTooSmall`]
    /// if `row_len > 64 * stride`.
    pub fn unpack_rows(
        &self,
        words: &[u64],
        stride: usize,
        out: &mut [u8],
        row_len: usize,
    ) -> Result<()> {
        if row_len == 0 {
            return Ok(());
        }
        if row_len.div_ceil(64) > stride {
            return Err(Error::StorageTooSmall {
                needed: row_len.div_ceil(64),
                found: stride,
            });
        }
        let rows = out.len() / row_len;
        ensure(rows * row_len, out.len())?;
        ensure(rows * stride, words.len())?;
        let kern = self.kernels;
        if self.parallel(words.len()) {
            self.pool.install(|| {
                out.par_chunks_mut(row_len)
                    .zip(words.par_chunks(stride))
                    .for_each(|(o, w)| kern.unpack(w, o))
            });
        } else {
            out.chunks_mut(row_len)
                .zip(words.chunks(stride))
                .for_each(|(o, w)| kern.unpack(w, o));
        }
        Ok(())
    }

    /// `out = op(a, b, sel)` for any [`BitOp`] (see [`Bitwise`]): AND/OR/
    /// XOR/XNOR, NOT (padding stays zero) and MUX on their SIMD kernels. A
    /// new op gets its line here.
    pub fn bitwise(&self, op: Bitwise<'_, u64>, out: &mut BitSliceMut<'_, u64>) -> Result<()> {
        let word_op = match op.op {
            BitOp::And => WordOp::And,
            BitOp::Or => WordOp::Or,
            BitOp::Xor => WordOp::Xor,
            BitOp::Xnor => WordOp::Xnor,
            BitOp::Not => return self.not(op.a, out),
            BitOp::Mux => return self.mux(op, out),
        };
        let Bitwise { a, b, .. } = op;
        ensure(a.len(), b.len())?;
        ensure(a.len(), out.len())?;
        let kern = self.kernels;
        let (a, b) = (a.words(), b.words());
        out.update_words(|o| {
            self.for_chunks(o, |o, r| kern.binary(word_op, &a[r.clone()], &b[r], o))
        });
        Ok(())
    }

    /// `out = NOT a`; padding stays zero.
    fn not(&self, a: BitSlice<'_, u64>, out: &mut BitSliceMut<'_, u64>) -> Result<()> {
        ensure(a.len(), out.len())?;
        let kern = self.kernels;
        let a = a.words();
        out.update_words(|o| self.for_chunks(o, |o, r| kern.not(&a[r], o)));
        Ok(())
    }

    /// `out = (sel AND a) OR (NOT sel AND b)`.
    fn mux(&self, op: Bitwise<'_, u64>, out: &mut BitSliceMut<'_, u64>) -> Result<()> {
        let Bitwise { a, b, sel, .. } = op;
        ensure(sel.len(), a.len())?;
        ensure(sel.len(), b.len())?;
        ensure(sel.len(), out.len())?;
        let kern = self.kernels;
        let (s, a, b) = (sel.words(), a.words(), b.words());
        out.update_words(|o| {
            self.for_chunks(o, |o, r| kern.mux(&s[r.clone()], &a[r.clone()], &b[r], o))
        });
        Ok(())
    }

    /// Popcount of a stream (padding is zero, so it never counts).
    pub fn count_ones(&self, a: BitSlice<'_, u64>) -> usize {
        let w = a.words();
        let kern = self.kernels;
        if self.parallel(w.len()) {
            self.pool
                .install(|| w.par_chunks(8192).map(|c| kern.popcount(c)).sum::<u64>() as usize)
        } else {
            kern.popcount(w) as usize
        }
    }

    /// XOR of all words, split across the pool: a pure streaming read, used
    /// to measure the machine's read bandwidth (see `sc bench`).
    pub fn xor_words(&self, a: &[u64]) -> u64 {
        let kern = self.kernels;
        if !self.parallel(a.len()) {
            return kern.xor_reduce(a);
        }
        let chunk = a.len().div_ceil(self.threads());
        self.pool.install(|| {
            a.par_chunks(chunk)
                .map(|c| kern.xor_reduce(c))
                .reduce(|| 0, |x, y| x ^ y)
        })
    }

    /// `sum_k popcount(a[k] AND b[k])` over equal-length word slices, on the
    /// calling thread (the MAC's inner loop; used for the compute ceiling).
    pub fn and_popcount_words(&self, a: &[u64], b: &[u64]) -> Result<u64> {
        ensure(a.len(), b.len())?;
        Ok(self.kernels.and_popcount(a, b))
    }

    /// Popcount of every word (`out.len() == words_for(a.len())`).
    pub fn count_ones_per_word(&self, a: BitSlice<'_, u64>, out: &mut [u32]) -> Result<()> {
        ensure(a.words().len(), out.len())?;
        let (kern, a) = (self.kernels, a.words());
        self.for_chunks(out, |o, r| kern.popcount_per_word(&a[r], o));
        Ok(())
    }

    /// [`Self::count_ones_per_word`] as 64-bit counts (numpy's `uint64`:
    /// the seed's `gpu_popcount`), written straight into `out` (each block
    /// through a small 32-bit buffer on the stack).
    pub fn count_ones_per_word_u64(&self, a: BitSlice<'_, u64>, out: &mut [u64]) -> Result<()> {
        ensure(a.words().len(), out.len())?;
        let (kern, a) = (self.kernels, a.words());
        self.for_chunks(out, |o, r| {
            let mut buf = [0u32; 512];
            for (o, a) in o.chunks_mut(buf.len()).zip(a[r].chunks(buf.len())) {
                let b = &mut buf[..o.len()];
                kern.popcount_per_word(a, b);
                for (o, &c) in o.iter_mut().zip(b.iter()) {
                    *o = u64::from(c);
                }
            }
        });
        Ok(())
    }

    /// Layer 0's input streams of one step, as `sc_kernel::net::encode_inputs`
    /// (same arguments, errors, output words and generator state after):
    /// stream `i` of `x` is `inputs[i]` encoded from a copy of `x_gen`, and
    /// `x_gen` then advances `shape.len()` steps. As the comparator values
    /// do not depend on the input, they are generated once and every row
    /// is encoded from them by the `encode_rows` word kernel,
    /// rows in parallel when the work is large enough.
    pub fn encode_inputs(
        &self,
        shape: &MacShape,
        inputs: &[Probability],
        x_gen: &mut Generator,
        x: &mut [u64],
    ) -> Result<()> {
        let s = sc_kernel::net::input_stride::<u64>(shape, inputs.len(), x.len())?;
        if s == 0 || inputs.is_empty() {
            x_gen.skip(shape.len());
            return Ok(());
        }
        // Generating the values leaves the copy exactly where `skip` would.
        let mut g = *x_gen;
        let r: Vec<u16> = (0..shape.len()).map(|_| g.next_q16()).collect();
        *x_gen = g;
        let ps: Vec<u32> = inputs.iter().map(|p| p.q16()).collect();
        let kern = self.kernels;
        if self.parallel(x.len()) {
            // Whole rows per task, about CHUNK_WORDS words each.
            let rows = (CHUNK_WORDS / s).max(1);
            self.pool.install(|| {
                x.par_chunks_mut(rows * s)
                    .zip(ps.par_chunks(rows))
                    .for_each(|(o, p)| kern.encode_rows(&r, p, s, o))
            });
        } else {
            kern.encode_rows(&r, &ps, s, x);
        }
        Ok(())
    }

    /// Unsigned dense MAC (`sc_kernel::mac::mac`), parallel over neurons.
    pub fn mac(&self, shape: &MacShape, weights: &[u64], x: &[u64], out: &mut [u32]) -> Result<()> {
        shape.check(weights, x, out.len())?;
        let row = shape.inputs() * shape.stride::<u64>();
        if row == 0 {
            out.iter_mut().for_each(|o| *o = 0);
            return Ok(());
        }
        let kern = self.kernels;
        if self.parallel(weights.len()) {
            // One contiguous block of neurons per thread: the MAC is
            // bandwidth-bound, so fewer, larger tasks cost least.
            let per = shape.neurons().div_ceil(self.threads());
            self.pool.install(|| {
                out.par_chunks_mut(per)
                    .zip(weights.par_chunks(per * row))
                    .for_each(|(o, w)| {
                        for (o, w) in o.iter_mut().zip(w.chunks(row)) {
                            *o = kern.and_popcount(w, x) as u32;
                        }
                    })
            });
        } else {
            for (o, w) in out.iter_mut().zip(weights.chunks(row)) {
                *o = kern.and_popcount(w, x) as u32;
            }
        }
        Ok(())
    }

    /// Batched unsigned MAC: `samples` input sets stored one after another
    /// (`xs.len() == samples * inputs * stride`); `out[s * neurons + j]`.
    /// Rows of weights are taken in cache-sized blocks and reused across
    /// all samples.
    pub fn mac_batch(
        &self,
        shape: &MacShape,
        weights: &[u64],
        xs: &[u64],
        samples: usize,
        out: &mut [u32],
    ) -> Result<()> {
        let xw = shape.input_rows().words::<u64>()?;
        ensure(
            samples.checked_mul(xw).ok_or(Error::ShapeOverflow)?,
            xs.len(),
        )?;
        ensure(
            samples
                .checked_mul(shape.neurons())
                .ok_or(Error::ShapeOverflow)?,
            out.len(),
        )?;
        let n = shape.neurons();
        if samples == 0 {
            // Still validate the weights, as the kernel would.
            return shape.check(weights, &vec![0u64; xw], n);
        }
        // Validate as the kernel would: the weights once, every sample's inputs.
        for s in 0..samples {
            let x = &xs[s * xw..(s + 1) * xw];
            if s == 0 {
                shape.check(weights, x, n)?;
            } else {
                shape.input_rows().validate(x)?;
            }
        }
        if xw == 0 || n == 0 {
            out.iter_mut().for_each(|o| *o = 0);
            return Ok(());
        }
        let kern = self.kernels;
        let stride = shape.stride::<u64>();
        // Tiles of inputs small enough that one tile of BLOCK_SAMPLES samples'
        // inputs stays in L1 (4 KiB per sample) while the weights' tile for
        // a block of neurons stays in L2; each weight word is loaded once
        // per BLOCK_SAMPLES samples.
        let tile = ((4 * 1024 / 8) / stride.max(1)).max(1);
        let run_block = |(j0, j1): (usize, usize)| {
            let mut part = vec![0u32; (j1 - j0) * samples];
            for i0 in (0..shape.inputs()).step_by(tile) {
                let (a, b) = (i0 * stride, (i0 + tile).min(shape.inputs()) * stride);
                let xt = |s: usize| &xs[s * xw + a..s * xw + b];
                let mut s0 = 0;
                while s0 + simd::BLOCK_SAMPLES <= samples {
                    let xs4: [&[u64]; simd::BLOCK_SAMPLES] = std::array::from_fn(|d| xt(s0 + d));
                    for j in j0..j1 {
                        let c = kern.and_popcount_xb(&weights[j * xw + a..j * xw + b], xs4);
                        for (d, c) in c.iter().enumerate() {
                            part[(j - j0) * samples + s0 + d] += *c as u32;
                        }
                    }
                    s0 += simd::BLOCK_SAMPLES;
                }
                for s in s0..samples {
                    for j in j0..j1 {
                        part[(j - j0) * samples + s] +=
                            kern.and_popcount(&weights[j * xw + a..j * xw + b], xt(s)) as u32;
                    }
                }
            }
            (j0, part)
        };
        let threads = if self.parallel(weights.len() * samples) {
            self.threads()
        } else {
            1
        };
        let per = n.div_ceil(threads);
        let ranges: Vec<(usize, usize)> = (0..n)
            .step_by(per)
            .map(|j0| (j0, (j0 + per).min(n)))
            .collect();
        let blocks: Vec<(usize, Vec<u32>)> = if threads > 1 {
            self.pool
                .install(|| ranges.into_par_iter().map(run_block).collect())
        } else {
            ranges.into_iter().map(run_block).collect()
        };
        for (j0, part) in blocks {
            let w = part.len() / samples;
            for jj in 0..w {
                for s in 0..samples {
                    out[s * n + j0 + jj] = part[jj * samples + s];
                }
            }
        }
        Ok(())
    }

    /// Signed (sign-magnitude) MAC (`sc_kernel::mac::mac_signed`).
    pub fn mac_signed(&self, m: MacInputs<'_, u64>, out: &mut [i32]) -> Result<()> {
        let MacInputs {
            shape,
            weights: magnitudes,
            signs,
            x,
        } = m;
        shape.check(magnitudes, x, out.len())?;
        shape.check_signs(signs)?;
        let s = shape.stride::<u64>();
        let m = shape.inputs();
        if s == 0 || m == 0 {
            out.iter_mut().for_each(|o| *o = 0);
            return Ok(());
        }
        let ss = words_for::<u64>(m);
        let kern = self.kernels;
        let neuron = |(o, (w, sg)): (&mut i32, (&[u64], &[u64]))| {
            let (mut pos, mut neg) = (0u64, 0u64);
            for (i, (wi, xi)) in w.chunks_exact(s).zip(x.chunks_exact(s)).enumerate() {
                let c = kern.and_popcount(wi, xi);
                if (sg[i / 64] >> (i % 64)) & 1 == 1 {
                    neg += c;
                } else {
                    pos += c;
                }
            }
            // pos, neg <= inputs * len <= i32::MAX (checked by MacShape).
            *o = pos as i32 - neg as i32;
        };
        if self.parallel(magnitudes.len()) {
            self.pool.install(|| {
                out.par_iter_mut()
                    .zip(magnitudes.par_chunks(s * m).zip(signs.par_chunks(ss)))
                    .for_each(neuron)
            });
        } else {
            out.iter_mut()
                .zip(magnitudes.chunks(s * m).zip(signs.chunks(ss)))
                .for_each(neuron);
        }
        Ok(())
    }

    /// LIF population step (Q16.16 on the level's branchless
    /// `Kernels::lif_q16`, Q8.8 on the kernel's step; in parallel chunks of
    /// 64 neurons x k, so each chunk owns whole spike words). Returns the
    /// spike count.
    pub fn lif_step<F: LifFixed>(&self, step: LifStep<'_, F, u64>) -> Result<usize> {
        let n = step.v.len();
        ensure(n, step.refractory.len())?;
        ensure(n, step.input.len())?;
        ensure(n, step.spikes.len())?;
        const CHUNK: usize = 64 * 64;
        let kern = self.kernels;
        let LifStep {
            params,
            v,
            refractory,
            input,
            mut spikes,
        } = step;
        if !self.parallel(n / 4) {
            return lif_chunk(kern, params, v, refractory, input, &mut spikes);
        }
        spikes.update_words(|words| {
            self.pool.install(|| {
                words
                    .par_chunks_mut(CHUNK / 64)
                    .zip(v.par_chunks_mut(CHUNK))
                    .zip(
                        refractory
                            .par_chunks_mut(CHUNK)
                            .zip(input.par_chunks(CHUNK)),
                    )
                    .map(|((w, v), (r, i))| {
                        let mut s = BitSliceMut::new(w, v.len())?;
                        lif_chunk(kern, params, v, r, i, &mut s)
                    })
                    .sum::<Result<usize>>()
            })
        })
    }
}

/// One LIF step of a chunk: Q16.16 on the level's [`Kernels::lif_q16`],
/// every other format on the kernel's step.
fn lif_chunk<F: LifFixed>(
    kern: Kernels,
    params: &LifParams<F>,
    v: &mut [F],
    refractory: &mut [u16],
    input: &[F],
    spikes: &mut BitSliceMut<'_, u64>,
) -> Result<usize> {
    if TypeId::of::<F>() != TypeId::of::<I16F16>() {
        return params.step_population(v, refractory, input, spikes);
    }
    // SAFETY: `F` is `I16F16` (the same `TypeId`), so each cast is to the
    // very same type, with the same lengths and lifetimes.
    let (params, v, input) = unsafe {
        (
            &*(params as *const LifParams<F>).cast::<LifParamsQ16>(),
            std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<I16F16>(), v.len()),
            std::slice::from_raw_parts(input.as_ptr().cast::<I16F16>(), input.len()),
        )
    };
    kern.lif_q16(params, v, refractory, input, spikes)
}
