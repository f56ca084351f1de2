//! The operations: each checks its input, then runs on the device or, via
//! `GpuBackend::run_or_fallback`, on the CPU backend.

use std::borrow::Cow;

use super::device::{bytes_of, u32_of, words_u32, words_u64, Failed, B_A, B_ATOM, B_B, B_C, B_OUT};
use super::params::{
    BitwiseParams, LifConsts, LifShaderParams, MacParams, PackParams, PopcountParams, RowsParams,
    ShaderParams,
};
use super::{DeviceRows, GpuBackend, GpuError, LifRun};
use crate::backend::{Bitwise, LifStep, MacInputs};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::MacShape;
use sc_kernel::pack::RowShape;
use sc_kernel::{words_for, BitSliceMut, Error};

/// Rows longer than this many `u64` words are counted word by word (one
/// workgroup per row would leave most of the device idle).
const LONG_ROW: usize = 1024;

/// `LengthMismatch` unless `found == expected`.
fn ensure(expected: usize, found: usize) -> Result<(), Error> {
    if expected == found {
        Ok(())
    } else {
        Err(Error::LengthMismatch { expected, found })
    }
}

/// Operands of an element-wise operation must have the same row layout.
fn same_shape(a: RowShape, b: RowShape) -> Result<(), Error> {
    ensure(a.rows, b.rows)?;
    ensure(a.row_len, b.row_len)
}

/// The element-wise operations, with the kernel's codes (the shader's
/// `OP_*` constants are generated from them, see [`super::device`]).
use sc_kernel::ops::BitOp;

/// The `u32` geometry of a batch for the shaders: (row_len, u32 words per
/// row, u32 words in all), or [`Failed::TooLarge`] when a bit index inside
/// a row or a word index of the batch would not fit in `u32`.
fn geometry(shape: RowShape) -> Result<(u32, u32, u32), Failed> {
    let stride = shape.stride::<u64>();
    // Bit offsets inside a row (word * 32 + k) stay below stride * 64.
    u32_of(stride.checked_mul(64).ok_or(Failed::TooLarge)?)?;
    let words = shape.words::<u64>().map_err(|e| Failed::Input(e.into()))?;
    Ok((
        u32_of(shape.row_len)?,
        u32_of(2 * stride)?,
        u32_of(words.checked_mul(2).ok_or(Failed::TooLarge)?)?,
    ))
}

impl GpuBackend {
    /// `None` without a GPU or when `bytes` exceeds the device's limits.
    pub fn copy_seconds(&self, bytes: u64, reps: usize) -> Option<f64> {
        let g = self.active()?;
        let usage = wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
        let a = g.buffer(bytes, usage).ok()?;
        let b = g.buffer(bytes, usage).ok()?;
        let bytes = bytes.next_multiple_of(4);
        let mut t: Vec<f64> = (0..reps.max(1) + 1)
            .map(|_| {
                let s = std::time::Instant::now();
                let mut enc = g.device.create_command_encoder(&Default::default());
                enc.copy_buffer_to_buffer(&a, 0, &b, 0, bytes);
                g.queue.submit([enc.finish()]);
                let _ = g.device.poll(wgpu::PollType::wait_indefinitely());
                s.elapsed().as_secs_f64()
            })
            .skip(1)
            .collect();
        t.sort_by(f64::total_cmp);
        t.get(t.len() / 2).copied()
    }

    /// Upload `words` laid out as `shape` (validated as the kernel does:
    /// exact length, zero padding). A host copy is kept for the fallback;
    /// data too large for the device stays on the host only, and the
    /// operations on it run on the CPU backend.
    pub fn to_device(&self, shape: RowShape, words: &[u64]) -> Result<DeviceRows, GpuError> {
        ensure(shape.words::<u64>()?, words.len())?;
        shape.validate(words)?;
        let gpu = self.run_or_fallback(
            |g| g.upload(bytemuck::cast_slice(words)).map(Some),
            |_| Ok(None),
        )?;
        Ok(DeviceRows {
            shape,
            words: words.len(),
            gpu,
            host: Some(words.to_vec()),
        })
    }

    /// Download a batch (`rows.words()` words).
    pub fn to_host(&self, rows: &DeviceRows) -> Result<Vec<u64>, GpuError> {
        Ok(self.host_words(rows)?.into_owned())
    }

    /// The words of `rows` on the host: its host copy, else downloaded.
    fn host_words<'a>(&self, rows: &'a DeviceRows) -> Result<Cow<'a, [u64]>, GpuError> {
        if let Some(h) = &rows.host {
            return Ok(Cow::Borrowed(h));
        }
        let Some(buf) = &rows.gpu else {
            return Err(GpuError::Lost);
        };
        self.run_or_fallback(
            |g| {
                Ok(Cow::Owned(words_u64(
                    &g.read(buf, bytes_of(rows.words, 8)?)?,
                )))
            },
            |_| Err(GpuError::Lost),
        )
    }

    /// A result held only on the device: `words` u64 words in `buf`.
    fn on_device(shape: RowShape, words: usize, buf: wgpu::Buffer) -> DeviceRows {
        DeviceRows {
            shape,
            words,
            gpu: Some(buf),
            host: None,
        }
    }

    /// A result held on the host only (computed by the CPU backend).
    fn on_host(&self, shape: RowShape, words: Vec<u64>) -> DeviceRows {
        DeviceRows {
            shape,
            words: words.len(),
            gpu: None,
            host: Some(words),
        }
    }

    /// Pack a batch of 0/1 bytes (`shape.rows` rows of `shape.row_len`
    /// bytes, row after row; `bits.len() == rows * row_len`) into rows of
    /// `ceil(row_len / 64)` words each (`sc_kernel::pack::pack_rows`).
    /// Errors as the CPU backend does: `LengthMismatch`, or `InvalidBit`
    /// naming the first byte (flat index) other than 0 or 1.
    pub fn pack(&self, shape: RowShape, bits: &[u8]) -> Result<DeviceRows, GpuError> {
        ensure(shape.bits()?, bits.len())?;
        let nw = shape.words::<u64>()?;
        self.run_or_fallback(
            |g| {
                let (row_len, stride, words) = geometry(shape)?;
                u32_of(bits.len())?; // byte indices
                let ((gx, gy), xt) = g.grid(words as usize)?;
                g.fits(&[bytes_of(bits.len(), 1)?, bytes_of(nw, 8)?])?;
                let input = g.upload(bits)?;
                let out = g.zeroed(bytes_of(nw, 8)?)?;
                let bad = g.upload(bytemuck::bytes_of(&u32::MAX))?;
                let p = g.params(&PackParams {
                    row_len,
                    stride: stride.max(1),
                    words,
                    xt,
                })?;
                g.run(
                    &g.pack,
                    &[
                        (PackParams::BINDING, &p),
                        (B_A, &input),
                        (B_OUT, &out),
                        (B_ATOM, &bad),
                    ],
                    (gx, gy),
                )?;
                let first = words_u32(&g.read(&bad, 4)?)
                    .first()
                    .copied()
                    .unwrap_or(u32::MAX);
                if first != u32::MAX {
                    let index = first as usize;
                    let value = bits.get(index).copied().unwrap_or(u8::MAX);
                    return Err(Failed::Input(Error::InvalidBit { index, value }.into()));
                }
                Ok(Self::on_device(shape, nw, out))
            },
            |cpu| {
                let mut w = vec![0u64; nw];
                cpu.pack_rows(shape, bits, &mut w)?;
                Ok(self.on_host(shape, w))
            },
        )
    }

    /// `op` on batches of the same shape (else `LengthMismatch`), row by
    /// row; operands the op does not use (`b` for NOT, `sel` for all but
    /// MUX) are ignored. Every op of [`BitOp`] runs here: the shader
    /// switches on the kernel's op code.
    pub fn bitwise(
        &self,
        op: BitOp,
        a: &DeviceRows,
        b: &DeviceRows,
        sel: &DeviceRows,
    ) -> Result<DeviceRows, GpuError> {
        same_shape(a.shape, b.shape)?;
        same_shape(a.shape, sel.shape)?;
        let shape = a.shape;
        let nw = a.words;
        self.run_or_fallback(
            |g| {
                let (row_len, stride, words) = geometry(shape)?;
                let ((gx, gy), xt) = g.grid(words as usize)?;
                g.fits(&[bytes_of(nw, 8)?])?;
                let (ga, gb, gs) = (g.operand(a)?, g.operand(b)?, g.operand(sel)?);
                let out = g.zeroed(bytes_of(nw, 8)?)?;
                let p = g.params(&BitwiseParams {
                    op: op.code(),
                    row_len,
                    stride: stride.max(1),
                    words,
                    xt,
                    pad: [0; 3],
                })?;
                g.run(
                    &g.bitwise,
                    &[
                        (BitwiseParams::BINDING, &p),
                        (B_A, &ga),
                        (B_B, &gb),
                        (B_C, &gs),
                        (B_OUT, &out),
                    ],
                    (gx, gy),
                )?;
                Ok(Self::on_device(shape, nw, out))
            },
            |cpu| {
                let (ha, hb, hs) = (
                    self.host_words(a)?,
                    self.host_words(b)?,
                    self.host_words(sel)?,
                );
                let mut w = vec![0u64; nw];
                let stride = shape.stride::<u64>();
                if stride == 0 {
                    return Ok(self.on_host(shape, w));
                }
                for (r, o) in w.chunks_mut(stride).enumerate() {
                    let (sa, sb, ss) = (shape.row(&ha, r)?, shape.row(&hb, r)?, shape.row(&hs, r)?);
                    let mut o = BitSliceMut::new(o, shape.row_len)?;
                    let op = Bitwise {
                        op,
                        a: sa,
                        b: sb,
                        sel: ss,
                    };
                    cpu.bitwise(op, &mut o)?;
                }
                Ok(self.on_host(shape, w))
            },
        )
    }

    /// `a AND b` (unipolar multiply), row by row; same shapes.
    pub fn and(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::And, a, b, a)
    }
    /// `a OR b`, row by row; same shapes.
    pub fn or(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Or, a, b, a)
    }
    /// `a XOR b`, row by row; same shapes.
    pub fn xor(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Xor, a, b, a)
    }
    /// `NOT (a XOR b)` (bipolar multiply), row by row; every row's padding
    /// stays zero.
    pub fn xnor(&self, a: &DeviceRows, b: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Xnor, a, b, a)
    }
    /// `NOT a`, row by row; every row's padding stays zero.
    pub fn not(&self, a: &DeviceRows) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Not, a, a, a)
    }
    /// `(sel AND a) OR (NOT sel AND b)` (scaled add), row by row; same
    /// shapes.
    pub fn mux(
        &self,
        sel: &DeviceRows,
        a: &DeviceRows,
        b: &DeviceRows,
    ) -> Result<DeviceRows, GpuError> {
        self.bitwise(BitOp::Mux, a, b, sel)
    }

    /// Popcount of every `u64` word of a batch (`rows.words()` counts, each
    /// 0..=64; padding is zero, so it never counts).
    pub fn count_ones_per_word(&self, a: &DeviceRows) -> Result<Vec<u32>, GpuError> {
        let nw = a.words;
        self.run_or_fallback(
            |g| {
                let words = u32_of(nw)?;
                u32_of(nw.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                let ((gx, gy), xt) = g.grid(nw)?;
                g.fits(&[bytes_of(nw, 8)?])?;
                let ga = g.operand(a)?;
                let out = g.zeroed(bytes_of(nw, 4)?)?;
                let p = g.params(&PopcountParams {
                    words,
                    xt,
                    pad: [0; 2],
                })?;
                g.run(
                    &g.popcount,
                    &[(PopcountParams::BINDING, &p), (B_A, &ga), (B_OUT, &out)],
                    (gx, gy),
                )?;
                Ok(words_u32(&g.read(&out, bytes_of(nw, 4)?)?))
            },
            |cpu| {
                let h = self.host_words(a)?;
                let mut out = vec![0u32; nw];
                let s = a.shape.stride::<u64>();
                if s == 0 {
                    return Ok(out);
                }
                for (r, o) in out.chunks_mut(s).enumerate() {
                    cpu.count_ones_per_word(a.shape.row(&h, r)?, o)?;
                }
                Ok(out)
            },
        )
    }

    /// Popcount of every row of a batch (`rows.shape().rows` counts, each
    /// 0..=`row_len`).
    pub fn count_ones_rows(&self, a: &DeviceRows) -> Result<Vec<usize>, GpuError> {
        let shape = a.shape;
        let s = shape.stride::<u64>();
        if s > LONG_ROW {
            // Few long rows: count words in parallel, add up on the host.
            let per = self.count_ones_per_word(a)?;
            return Ok(per
                .chunks(s)
                .map(|c| c.iter().map(|&x| x as usize).sum())
                .collect());
        }
        self.run_or_fallback(
            |g| {
                let (_, stride, _) = geometry(shape)?;
                let rows = u32_of(shape.rows)?;
                let (gx, gy) = g.groups(shape.rows)?;
                g.fits(&[bytes_of(a.words, 8)?, bytes_of(shape.rows, 4)?])?;
                let ga = g.operand(a)?;
                let out = g.zeroed(bytes_of(shape.rows, 4)?)?;
                let p = g.params(&RowsParams {
                    rows,
                    stride,
                    gx,
                    pad: 0,
                })?;
                g.run(
                    &g.popcount_rows,
                    &[(RowsParams::BINDING, &p), (B_A, &ga), (B_OUT, &out)],
                    (gx, gy),
                )?;
                let counts = words_u32(&g.read(&out, bytes_of(shape.rows, 4)?)?);
                Ok(counts.into_iter().map(|c| c as usize).collect())
            },
            |cpu| {
                let h = self.host_words(a)?;
                (0..shape.rows)
                    .map(|r| Ok(cpu.count_ones(shape.row(&h, r)?)))
                    .collect()
            },
        )
    }

    /// Popcount of a whole batch (all rows; padding never counts).
    pub fn count_ones(&self, a: &DeviceRows) -> Result<usize, GpuError> {
        Ok(self.count_ones_rows(a)?.iter().sum())
    }

    /// Unsigned and signed dense MAC of `samples` input sets (`xs`: rows
    /// `samples * inputs`): `(unsigned, signed)`, each `samples * neurons`
    /// counts, `[s * neurons + j]`.
    pub fn mac_both(
        &self,
        shape: &MacShape,
        weights: &DeviceRows,
        signs: &DeviceRows,
        xs: &DeviceRows,
        samples: usize,
    ) -> Result<(Vec<u32>, Vec<i32>), GpuError> {
        let (n, m, len) = (shape.neurons(), shape.inputs(), shape.len());
        let want = |rows: usize, row_len: usize| RowShape { rows, row_len };
        let check = |got: RowShape, w: RowShape| {
            if got == w {
                Ok(())
            } else {
                Err(Error::LengthMismatch {
                    expected: w.rows * w.row_len,
                    found: got.rows * got.row_len,
                })
            }
        };
        check(weights.shape, want(n * m, len))?;
        check(signs.shape, want(n, m))?;
        check(
            xs.shape,
            want(samples.checked_mul(m).ok_or(Error::ShapeOverflow)?, len),
        )?;
        let stride = shape.stride::<u64>();
        if n == 0 || samples == 0 {
            return Ok((vec![], vec![]));
        }
        let results = n.checked_mul(samples).ok_or(Error::ShapeOverflow)?;
        self.run_or_fallback(
            |g| {
                // Indices: weights (n * row), inputs (samples * row) and
                // results (2 * n * samples) in u32 words.
                let row = m.checked_mul(2 * stride).ok_or(Failed::TooLarge)?;
                u32_of(n.checked_mul(row).ok_or(Failed::TooLarge)?)?;
                u32_of(samples.checked_mul(row).ok_or(Failed::TooLarge)?)?;
                u32_of(results.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                let max = g.limits.max_compute_workgroups_per_dimension;
                let (gn, gs) = (u32_of(n)?, u32_of(samples)?);
                if gn > max || gs > max {
                    return Err(Failed::TooLarge);
                }
                g.fits(&[
                    bytes_of(weights.words, 8)?,
                    bytes_of(signs.words, 8)?,
                    bytes_of(xs.words, 8)?,
                    bytes_of(results, 8)?,
                ])?;
                let p = g.params(&MacParams {
                    row: u32_of(row)?,
                    stream: u32_of((2 * stride).max(1))?,
                    sign_row: u32_of(2 * words_for::<u64>(m))?,
                    neurons: gn,
                })?;
                let (gw, gsg, gx) = (g.operand(weights)?, g.operand(signs)?, g.operand(xs)?);
                let out = g.zeroed(bytes_of(results, 8)?)?;
                g.run(
                    &g.mac,
                    &[
                        (MacParams::BINDING, &p),
                        (B_A, &gw),
                        (B_B, &gx),
                        (B_C, &gsg),
                        (B_OUT, &out),
                    ],
                    (gn, gs),
                )?;
                let w = words_u32(&g.read(&out, bytes_of(results, 8)?)?);
                let u = w.iter().step_by(2).copied().collect();
                let s = w.iter().skip(1).step_by(2).map(|&x| x as i32).collect();
                Ok((u, s))
            },
            |cpu| {
                let (hw, hs, hx) = (
                    self.host_words(weights)?,
                    self.host_words(signs)?,
                    self.host_words(xs)?,
                );
                let xw = m * stride;
                let mut u = vec![0u32; results];
                let mut s = vec![0i32; results];
                cpu.mac_batch(shape, &hw, &hx, samples, &mut u)?;
                for k in 0..samples {
                    let m = MacInputs {
                        shape,
                        weights: &hw,
                        signs: &hs,
                        x: &hx[k * xw..(k + 1) * xw],
                    };
                    cpu.mac_signed(m, &mut s[k * n..(k + 1) * n])?;
                }
                Ok((u, s))
            },
        )
    }

    /// Run a LIF population for `steps` steps on the device, starting from
    /// membranes `v` and refractory counters `refractory`, with input
    /// currents `input` (`steps` rows of `n`): one dispatch, no host round
    /// trip between steps.
    pub fn lif_run<F: LifFixed>(
        &self,
        params: &LifParams<F>,
        v: &[F],
        refractory: &[u16],
        input: &[F],
        steps: usize,
    ) -> Result<LifRun<F>, GpuError> {
        let n = v.len();
        ensure(n, refractory.len())?;
        let inputs = steps.checked_mul(n).ok_or(Error::ShapeOverflow)?;
        ensure(inputs, input.len())?;
        let sw = words_for::<u64>(n);
        let spike_words = steps.checked_mul(sw).ok_or(Error::ShapeOverflow)?;
        self.run_or_fallback(
            |g| {
                // Indices: inputs (steps * n), state (2 * n) and spike rows
                // (steps * 2 * sw) in u32 words.
                u32_of(inputs)?;
                u32_of(n.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                u32_of(spike_words.checked_mul(2).ok_or(Failed::TooLarge)?)?;
                let ((gx, gy), xt) = g.grid(n)?;
                let state_bytes = bytes_of(n, 8)?;
                let input_bytes = bytes_of(inputs, 4)?;
                let spike_bytes = bytes_of(spike_words, 8)?;
                g.fits(&[state_bytes, input_bytes, spike_bytes])?;
                let p = g.params(&LifShaderParams {
                    n: u32_of(n)?,
                    steps: u32_of(steps)?,
                    spike_row: u32_of(2 * sw)?,
                    xt,
                })?;
                let consts = g.params(&LifConsts::of(params))?;
                let state: Vec<u32> = v
                    .iter()
                    .zip(refractory)
                    .flat_map(|(x, &r)| [x.raw() as u32, u32::from(r)])
                    .collect();
                let inp: Vec<u32> = input.iter().map(|x| x.raw() as u32).collect();
                let st = g.upload(bytemuck::cast_slice(&state))?;
                let ib = g.upload(bytemuck::cast_slice(&inp))?;
                let spikes = g.zeroed(spike_bytes)?;
                g.run(
                    &g.lif,
                    &[
                        (LifShaderParams::BINDING, &p),
                        (LifConsts::BINDING, &consts),
                        (B_A, &ib),
                        (B_OUT, &st),
                        (B_ATOM, &spikes),
                    ],
                    (gx, gy),
                )?;
                let s = words_u32(&g.read(&st, state_bytes)?);
                let sp = words_u64(&g.read(&spikes, spike_bytes)?);
                let mut vv = Vec::with_capacity(n);
                let mut rr = Vec::with_capacity(n);
                for k in s.chunks_exact(2) {
                    vv.push(F::try_from_raw(k[0] as i32).map_err(|e| Failed::Input(e.into()))?);
                    rr.push(u16::try_from(k[1]).unwrap_or(u16::MAX));
                }
                Ok(LifRun {
                    spikes: sp,
                    v: vv,
                    refractory: rr,
                })
            },
            |cpu| {
                let mut vv = v.to_vec();
                let mut rr = refractory.to_vec();
                let mut spikes = vec![0u64; spike_words];
                for (t, row) in spikes.chunks_mut(sw.max(1)).take(steps).enumerate() {
                    cpu.lif_step(LifStep {
                        params,
                        v: &mut vv,
                        refractory: &mut rr,
                        input: &input[t * n..(t + 1) * n],
                        spikes: BitSliceMut::new(row, n)?,
                    })?;
                }
                Ok(LifRun {
                    spikes,
                    v: vv,
                    refractory: rr,
                })
            },
        )
    }
}
