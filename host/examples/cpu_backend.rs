//! The CPU backend: a dense SC layer (128 neurons over 784 inputs, 1024-bit
//! streams) on every core with the best SIMD level this CPU has, checked
//! against the kernel's reference MAC, then a batch of 32 input sets.
//!
//! `cargo run --release -p sc-host --example cpu_backend`

use std::time::Instant;

use sc_host::cpu::CpuBackend;
use sc_kernel::mac::{mac, MacShape};
use sc_kernel::net::{encode_weights, StreamSource};
use sc_kernel::rng::SplitMix64;
use sc_kernel::sng::{encode, Probability, Sobol};
use sc_kernel::BitSliceMut;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cpu = CpuBackend::new(0)?; // 0: one worker per CPU
    println!(
        "CPU backend: {} threads, SIMD level {}",
        cpu.threads(),
        cpu.level().name()
    );
    let (neurons, inputs, len) = (128, 784, 1024);
    let shape = MacShape::new(neurons, inputs, len)?;

    // Weight streams (Sobol dimension 0) and input streams (dimension 1).
    let mut rng = SplitMix64::new(7);
    let probs = (0..neurons * inputs)
        .map(|_| Probability::from_q16(rng.below(65537) as u32))
        .collect::<Result<Vec<_>, _>>()?;
    let mut weights = vec![0u64; shape.weight_rows().words::<u64>()?];
    let weight_source = StreamSource::Sobol { dimension: 0 };
    encode_weights(&shape, weight_source, &probs, &mut weights)?;
    let stride = shape.stride::<u64>();
    let mut x = vec![0u64; shape.input_rows().words::<u64>()?];
    for chunk in x.chunks_exact_mut(stride) {
        let p = Probability::from_q16(rng.below(65537) as u32)?;
        encode(
            &mut Sobol::new(1, 0)?,
            p,
            &mut BitSliceMut::new(chunk, len)?,
        );
    }

    let t = Instant::now();
    let mut counts = vec![0u32; neurons];
    cpu.mac(&shape, &weights, &x, &mut counts)?;
    let fast = t.elapsed();
    let mut reference = vec![0u32; neurons];
    mac(&shape, &weights, &x, &mut reference)?;
    assert_eq!(
        counts, reference,
        "the backend is bit-exact with the kernel"
    );
    println!(
        "mac {neurons}x{inputs}x{len}: {:?} (counts[0..4] = {:?}, equal to the kernel's)",
        fast,
        &counts[..4]
    );

    // 32 input sets; each block of weight rows is reused across all of them.
    let samples = 32;
    let xs = x.repeat(samples);
    let mut out = vec![0u32; samples * neurons];
    let t = Instant::now();
    cpu.mac_batch(&shape, &weights, &xs, samples, &mut out)?;
    println!("mac_batch of {samples}: {:?}", t.elapsed());
    assert!(out.chunks(neurons).all(|c| c == counts.as_slice()));
    Ok(())
}
