//! The Rust side of `scripts/bench-python.sh`: each seed function that
//! `sc_neuro` wraps, called through the Rust API it calls
//! (python/src/lib.rs: the process's `CpuBackend` on every core, and
//! `sc_host::snn::seed`), at the shapes of `scripts/bench_python.py`.
//! Median of the same number of timed calls after one untimed call. The
//! backend's calls write into buffers the caller owns (their signature):
//! allocated once, outside the timed calls, so this is the Rust work alone
//! (the binding allocates its numpy result on every call); so does
//! `jax_lif_step_into`; the other seed functions return new vectors,
//! allocated inside. Prints one JSON array, keyed by the Python
//! function's name, on stdout. Timing only: nothing here asserts a time.
//!
//! `cargo run --release -p sc-host --no-default-features --example bench_python_ops [reps]`

use std::time::Instant;

use sc_host::backend::Bitwise;
use sc_host::cpu::CpuBackend;
use sc_host::snn::seed::{self, ForwardParams, LifStepParams, LossParams, Matrix};
use sc_kernel::mac::MacShape;
use sc_kernel::ops::BitOp;
use sc_kernel::pack::RowShape;
use sc_kernel::rng::SplitMix64;
use sc_kernel::{BitSlice, BitSliceMut};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// Median wall time in seconds of `reps` calls of `f` after one untimed
/// call (as scripts/bench_timing.py's `median_time`).
fn median_time(reps: usize, mut f: impl FnMut() -> Res<()>) -> Res<f64> {
    f()?;
    let mut ts = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        f()?;
        ts.push(t.elapsed().as_secs_f64());
    }
    ts.sort_by(f64::total_cmp);
    let n = ts.len();
    Ok(if n % 2 == 1 {
        ts[n / 2]
    } else {
        (ts[n / 2 - 1] + ts[n / 2]) / 2.0
    })
}

fn words(rng: &mut SplitMix64, n: usize) -> Vec<u64> {
    (0..n).map(|_| rng.next_u64()).collect()
}

fn normal(rng: &mut SplitMix64, n: usize, sigma: f64) -> Vec<f64> {
    // Box-Muller; the values only have to be of the right scale.
    (0..n)
        .map(|_| {
            let u1 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 + 1e-300;
            let u2 = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        })
        .collect()
}

fn uniform(rng: &mut SplitMix64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|_| (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
        .collect()
}

fn main() -> Res<()> {
    let reps: usize = std::env::args().nth(1).map_or(Ok(7), |s| s.parse())?;
    let cpu = CpuBackend::new(0)?;
    let mut rng = SplitMix64::new(0);
    let (neurons, inputs, len) = (128, 784, 1024);
    let stride = len / 64;
    let mut rows: Vec<(&str, f64)> = vec![];

    // pack_bitstream (784 x 1024) and jit_pack_bits (784 * 1024 bits, 1-D).
    let bits: Vec<u8> = (0..inputs * len).map(|_| rng.below(2) as u8).collect();
    for (key, shape) in [
        (
            "pack_bitstream",
            RowShape {
                rows: inputs,
                row_len: len,
            },
        ),
        (
            "jit_pack_bits",
            RowShape {
                rows: 1,
                row_len: inputs * len,
            },
        ),
    ] {
        let mut out = vec![0u64; shape.words::<u64>()?];
        let t = median_time(reps, || {
            cpu.pack_rows(shape, &bits, &mut out)?;
            Ok(())
        })?;
        rows.push((key, t));
    }

    // unpack_bitstream: 784 rows of 16 words into 784 x 1024 bytes.
    let packed = words(&mut rng, inputs * stride);
    let mut unpacked = vec![0u8; inputs * len];
    let t = median_time(reps, || {
        cpu.unpack_rows(&packed, stride, &mut unpacked, len)?;
        Ok(())
    })?;
    rows.push(("unpack_bitstream", t));

    // vec_and / vec_xnor / vec_not / vec_mux: 25088 rows of 16 words.
    let n = inputs * 32 * stride;
    let (a, b, s) = (words(&mut rng, n), words(&mut rng, n), words(&mut rng, n));
    for (key, op) in [
        ("vec_and", BitOp::And),
        ("vec_xnor", BitOp::Xnor),
        ("vec_not", BitOp::Not),
        ("vec_mux", BitOp::Mux),
    ] {
        let mut out = vec![0u64; n];
        let t = median_time(reps, || {
            let bits = n * 64;
            cpu.bitwise(
                Bitwise {
                    op,
                    a: BitSlice::new(&a, bits)?,
                    b: BitSlice::new(&b, bits)?,
                    sel: BitSlice::new(&s, bits)?,
                },
                &mut BitSliceMut::new(&mut out, bits)?,
            )?;
            Ok(())
        })?;
        rows.push((key, t));
    }

    // vec_popcount / gpu_popcount: 128 x 784 x 16 words; the MACs.
    let shape = MacShape::new(neurons, inputs, len)?;
    let w = words(&mut rng, neurons * inputs * stride);
    let x = words(&mut rng, inputs * stride);
    let t = median_time(reps, || {
        std::hint::black_box(cpu.count_ones(BitSlice::new(&w, w.len() * 64)?));
        Ok(())
    })?;
    rows.push(("vec_popcount", t));
    let mut per_word = vec![0u64; w.len()];
    let t = median_time(reps, || {
        cpu.count_ones_per_word_u64(BitSlice::new(&w, w.len() * 64)?, &mut per_word)?;
        Ok(())
    })?;
    rows.push(("gpu_popcount", t));
    let mut out = vec![0u32; neurons];
    let t = median_time(reps, || {
        cpu.mac(&shape, &w, &x, &mut out)?;
        Ok(())
    })?;
    rows.push(("jit_vec_mac", t));
    rows.push(("gpu_vec_mac", t));

    // jax_lif_step on 2^20 neurons.
    let pop = 1 << 20;
    let (v, i_t, noise) = (
        uniform(&mut rng, pop),
        uniform(&mut rng, pop),
        normal(&mut rng, pop, 0.01),
    );
    let lif = LifStepParams {
        v_rest: 0.0,
        v_reset: 0.0,
        v_threshold: 1.0,
        alpha: 0.1,
        resistance: 1.0,
    };
    let (mut v_new, mut spikes) = (vec![0.0; pop], vec![0.0; pop]);
    // The seed functions run on the backend's pool, as the binding runs them.
    let on_pool = |f: &mut (dyn FnMut() -> Res<()> + Send)| {
        cpu.install(|| median_time(reps, f).map_err(|e| e.to_string()))
    };
    let t = on_pool(&mut || {
        seed::jax_lif_step_into(&v, &i_t, &noise, &lif, &mut v_new, &mut spikes)?;
        Ok(())
    })?;
    rows.push(("jax_lif_step", t));

    // The float network: 32 x [784, 256, 10], 25 steps.
    let batch = 32;
    let ws = vec![
        Matrix::new("w0", 256, inputs, normal(&mut rng, 256 * inputs, 0.05))?,
        Matrix::new("w1", 10, 256, normal(&mut rng, 10 * 256, 0.1))?,
    ];
    let xs = Matrix::new("x", batch, inputs, uniform(&mut rng, batch * inputs))?;
    let labels: Vec<usize> = (0..batch).map(|k| k % 10).collect();
    let targets = seed::one_hot::<f64>(&labels, 10)?;
    let fp = ForwardParams::default();
    let lp = LossParams::default();
    let t = on_pool(&mut || {
        std::hint::black_box(seed::jax_forward_pass(&ws, &xs, 25, &fp)?);
        Ok(())
    })?;
    rows.push(("jax_forward_pass", t));
    let t = on_pool(&mut || {
        std::hint::black_box(seed::jax_surrogate_loss(&ws, &xs, &targets, &lp)?);
        Ok(())
    })?;
    rows.push(("jax_surrogate_loss", t));
    let t = on_pool(&mut || {
        std::hint::black_box(seed::jax_surrogate_gradient_step(
            &ws, &xs, &targets, 1e-3, &lp,
        )?);
        Ok(())
    })?;
    rows.push(("jax_surrogate_gradient_step", t));

    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(k, t)| serde_json::json!({ "key": k, "rust_s": t }))
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "threads": cpu.threads(),
            "simd": cpu.level().name(),
            "rows": json,
        })
    );
    Ok(())
}
