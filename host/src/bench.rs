//! Timings of the CPU backend on the seed's shapes, and this machine's
//! ceilings, for `sc bench` and `scripts/bench-cpu.sh`.
//!
//! Every figure is the median of `reps` timed runs after one warm-up run.
//! Nothing here is a test: no timing is ever asserted.

use std::time::Instant;

use serde::Serialize;

use crate::cpu::{CpuBackend, CpuError, SimdLevel};
use sc_kernel::mac::MacShape;
use sc_kernel::pack::RowShape;

/// The seed's `jit_vec_mac` shape: neurons.
pub const SEED_NEURONS: usize = 128;
/// The seed's `jit_vec_mac` shape: inputs per neuron.
pub const SEED_INPUTS: usize = 784;
/// The seed's `jit_vec_mac` shape: stream length in bits (16 u64 words).
pub const SEED_LEN: usize = 1024;

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// What was measured (stable key, e.g. `mac_seed`).
    pub name: String,
    /// Worker threads.
    pub threads: usize,
    /// SIMD level.
    pub level: &'static str,
    /// Median wall time of one run, seconds.
    pub median_s: f64,
    /// Bytes read by one run (for bandwidth figures).
    pub bytes: u64,
    /// Stream words (u64) processed by one run.
    pub words: u64,
}

/// All measurements of one `sc bench` run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// CPU model (from /proc/cpuinfo where available).
    pub cpu: String,
    /// SIMD levels this CPU has.
    pub levels: Vec<&'static str>,
    /// Timings.
    pub timings: Vec<Timing>,
}

/// Median seconds of `reps` runs of `f` after one warm-up.
pub fn median_s(reps: usize, mut f: impl FnMut()) -> f64 {
    let Ok(s) = try_median_s::<_, std::convert::Infallible>(reps, || {
        f();
        Ok(())
    });
    s
}

/// [`median_s`] of a fallible `f` (its values are dropped): the first
/// error, warm-up or timed, ends the timing and is returned.
pub fn try_median_s<T, E>(reps: usize, mut f: impl FnMut() -> Result<T, E>) -> Result<f64, E> {
    f()?;
    let mut t = Vec::with_capacity(reps.max(1));
    for _ in 0..reps.max(1) {
        let s = Instant::now();
        f()?;
        t.push(s.elapsed().as_secs_f64());
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

/// Deterministic pseudo-random words (the kernel's SplitMix64), for
/// benchmark and test inputs.
pub fn random_words(n: usize, seed: u64) -> Vec<u64> {
    let mut rng = sc_kernel::rng::SplitMix64::new(seed);
    (0..n).map(|_| rng.next_u64()).collect()
}

/// Deterministic 0/1 bytes.
pub fn random_bits(n: usize, seed: u64) -> Vec<u8> {
    let w = random_words(n.div_ceil(64), seed);
    (0..n)
        .map(|t| ((w[t / 64] >> (t % 64)) & 1) as u8)
        .collect()
}

fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// Run the CPU measurements at the best SIMD level with each thread count
/// in `threads`, calling `progress` with each finished timing.
///
/// Measured: the seed-shaped MAC (128 x 784 x 16 words), the batched MAC
/// (32 samples), pack of the seed's input batch and of its whole weight
/// tensor, and the ceilings: AND+popcount on L1-resident data, and read
/// bandwidth at the MAC's working-set size and at 1 GiB (past the L3).
pub fn run_cpu(
    threads: &[usize],
    reps: usize,
    mut progress: impl FnMut(&Timing),
) -> Result<BenchReport, CpuError> {
    let level = SimdLevel::detect();
    let shape = MacShape::new(SEED_NEURONS, SEED_INPUTS, SEED_LEN)
        .expect("128 x 784 x 1024: counts fit i32");
    let stride = shape.stride::<u64>();
    let row = SEED_INPUTS * stride;
    let weights = random_words(SEED_NEURONS * row, 1);
    let x = random_words(row, 2);
    const SAMPLES: usize = 32;
    let xs = random_words(SAMPLES * row, 3);
    let in_bits = random_bits(SEED_INPUTS * SEED_LEN, 4);
    let w_bits = random_bits(SEED_NEURONS * SEED_INPUTS * SEED_LEN, 5);
    let l1a = random_words(1024, 6);
    let l1b = random_words(1024, 7);

    let mut timings = Vec::new();
    for &t in threads {
        let be = CpuBackend::with_level(t, level)?;
        let mut push = |name: &str, median: f64, bytes: usize, words: usize| {
            let tm = Timing {
                name: name.into(),
                threads: t,
                level: level.name(),
                median_s: median,
                bytes: bytes as u64,
                words: words as u64,
            };
            progress(&tm);
            timings.push(tm);
        };
        let mut out = vec![0u32; SEED_NEURONS];
        let m = median_s(reps, || {
            be.mac(&shape, &weights, &x, &mut out).expect("valid shape")
        });
        push("mac_seed", m, weights.len() * 8, weights.len());

        let mut outb = vec![0u32; SEED_NEURONS * SAMPLES];
        let m = median_s(reps.div_ceil(4), || {
            be.mac_batch(&shape, &weights, &xs, SAMPLES, &mut outb)
                .expect("valid shape")
        });
        push(
            "mac_batch32",
            m,
            weights.len() * 8 * SAMPLES,
            weights.len() * SAMPLES,
        );

        let in_shape = RowShape {
            rows: SEED_INPUTS,
            row_len: SEED_LEN,
        };
        let mut packed = vec![0u64; row];
        let m = median_s(reps, || {
            be.pack_rows(in_shape, &in_bits, &mut packed)
                .expect("0/1 bytes")
        });
        push("pack_inputs", m, in_bits.len(), row);

        let w_shape = RowShape {
            rows: SEED_NEURONS * SEED_INPUTS,
            row_len: SEED_LEN,
        };
        let mut packed_w = vec![0u64; weights.len()];
        let m = median_s(reps.div_ceil(4), || {
            be.pack_rows(w_shape, &w_bits, &mut packed_w)
                .expect("0/1 bytes")
        });
        push("pack_weights", m, w_bits.len(), weights.len());

        // Compute ceiling: AND+popcount over L1-resident words, one run per thread.
        const ITERS: usize = 4096;
        let m = median_s(reps, || {
            be.install(|| {
                rayon::broadcast(|_| {
                    let mut s = 0u64;
                    for _ in 0..ITERS {
                        s = s.wrapping_add(
                            be.and_popcount_words(std::hint::black_box(&l1a), &l1b)
                                .unwrap_or(0),
                        );
                    }
                    std::hint::black_box(s);
                })
            });
        });
        push("ceiling_and_popcount_l1", m, 0, l1a.len() * ITERS * t);

        let m = median_s(reps, || {
            std::hint::black_box(be.xor_words(std::hint::black_box(&weights)));
        });
        push("ceiling_read_mac_set", m, weights.len() * 8, weights.len());
    }
    // Last, so that faulting in 1 GiB (and the kernel's background work on
    // those pages) cannot disturb the other measurements.
    let big = random_words((1usize << 30) / 8, 8);
    for &t in threads {
        let be = CpuBackend::with_level(t, level)?;
        let m = median_s(reps.div_ceil(4), || {
            std::hint::black_box(be.xor_words(std::hint::black_box(&big)));
        });
        let tm = Timing {
            name: "ceiling_read_1gib".into(),
            threads: t,
            level: level.name(),
            median_s: m,
            bytes: big.len() as u64 * 8,
            words: big.len() as u64,
        };
        progress(&tm);
        timings.push(tm);
    }
    Ok(BenchReport {
        cpu: cpu_name(),
        levels: SimdLevel::available()
            .into_iter()
            .map(SimdLevel::name)
            .collect(),
        timings,
    })
}

/// GPU timings (feature `gpu`): the seed-shaped MAC and the batched MAC with
/// weights resident on the device, a 65536-neuron LIF population over 100
/// steps in one dispatch, pack, and the device-copy bandwidth. Each timing
/// includes the upload of the per-call inputs and the download of results.
#[cfg(feature = "gpu")]
pub fn run_gpu(
    reps: usize,
    mut progress: impl FnMut(&Timing),
) -> Result<(String, Vec<Timing>), crate::gpu::GpuError> {
    use crate::gpu::GpuBackend;
    use sc_kernel::fixed::types::I16F16;
    use sc_kernel::lif::LifParams;
    let g = GpuBackend::new()?;
    let adapter = g.adapter().unwrap_or_else(|| "none (CPU fallback)".into());
    let shape =
        MacShape::new(SEED_NEURONS, SEED_INPUTS, SEED_LEN).map_err(crate::gpu::GpuError::Kernel)?;
    let row = SEED_INPUTS * shape.stride::<u64>();
    let w = g.to_device(shape.weight_rows(), &random_words(SEED_NEURONS * row, 1))?;
    let signs = g.to_device(
        RowShape {
            rows: SEED_NEURONS,
            row_len: SEED_INPUTS,
        },
        &vec![0u64; SEED_NEURONS * SEED_INPUTS.div_ceil(64)],
    )?;
    let x = random_words(row, 2);
    const SAMPLES: usize = 32;
    let xs = g.to_device(
        RowShape {
            rows: SAMPLES * SEED_INPUTS,
            row_len: SEED_LEN,
        },
        &random_words(SAMPLES * row, 3),
    )?;
    let mut out = Vec::new();
    let mut push = |name: &str, m: f64, bytes: usize, words: usize| {
        let t = Timing {
            name: name.into(),
            threads: 0,
            level: "gpu",
            median_s: m,
            bytes: bytes as u64,
            words: words as u64,
        };
        progress(&t);
        out.push(t);
    };
    let mut err = None;
    let m = median_s(reps, || {
        let r = g
            .to_device(shape.input_rows(), &x)
            .and_then(|xd| g.mac_both(&shape, &w, &signs, &xd, 1));
        if let Err(e) = r {
            err = Some(e);
        }
    });
    if let Some(e) = err.take() {
        return Err(e);
    }
    push(
        "gpu_mac_seed",
        m,
        SEED_NEURONS * row * 8,
        SEED_NEURONS * row,
    );
    let m = median_s(reps.div_ceil(4), || {
        if let Err(e) = g.mac_both(&shape, &w, &signs, &xs, SAMPLES) {
            err = Some(e);
        }
    });
    push(
        "gpu_mac_batch32",
        m,
        SEED_NEURONS * row * 8 * SAMPLES,
        SEED_NEURONS * row * SAMPLES,
    );
    let n = 65536;
    let steps = 100;
    let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.25, 1.0, 1)
        .map_err(crate::gpu::GpuError::Kernel)?;
    let input: Vec<I16F16> = random_words(n * steps, 4)
        .iter()
        .map(|&r| I16F16::from_bits((r >> 46) as i32))
        .collect();
    let v0 = vec![I16F16::ZERO; n];
    let r0 = vec![0u16; n];
    let m = median_s(reps.div_ceil(4), || {
        if let Err(e) = g.lif_run(&p, &v0, &r0, &input, steps) {
            err = Some(e);
        }
    });
    push("gpu_lif_65536x100_steps", m, n * steps * 4, n * steps);
    let bits = random_bits(SEED_INPUTS * SEED_LEN, 5);
    let m = median_s(reps, || {
        let shape = RowShape {
            rows: SEED_INPUTS,
            row_len: SEED_LEN,
        };
        if let Err(e) = g.pack(shape, &bits).and_then(|d| g.to_host(&d)) {
            err = Some(e);
        }
    });
    push("gpu_pack_inputs", m, bits.len(), row);
    if let Some(e) = err {
        return Err(e);
    }
    let bytes = 256u64 << 20;
    if let Some(t) = g.copy_seconds(bytes, reps.min(9)) {
        push("gpu_copy_256mib", t, 2 * bytes as usize, 0);
    }
    Ok((adapter, out))
}
