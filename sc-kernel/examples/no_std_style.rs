//! The kernel as firmware uses it: fixed arrays on the stack, no heap, every
//! call checked. A stochastic multiply, a signed SC MAC of one neuron over
//! four inputs, and that neuron's fixed-point LIF response over ten steps.
//!
//! `cargo run -p sc-kernel --example no_std_style`

use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;
use sc_kernel::mac::{mac_signed, MacShape};
use sc_kernel::net::{counts_to_current, encode_weights, StreamSource};
use sc_kernel::sng::{encode, Probability, Sobol};
use sc_kernel::{decode, ops, BitSliceMut, Error};

/// Stream length in bits, and its words.
const L: usize = 256;
const WORDS: usize = L / 32;

fn main() -> Result<(), Error> {
    // 1. Multiply 0.5 by 0.25: two independent Sobol streams, one AND.
    let (mut a, mut b, mut p) = ([0u32; WORDS], [0u32; WORDS], [0u32; WORDS]);
    let mut sa = BitSliceMut::new(&mut a, L)?;
    let mut sb = BitSliceMut::new(&mut b, L)?;
    encode(
        &mut Sobol::new(0, 0)?,
        Probability::from_q16(32768)?,
        &mut sa,
    );
    encode(
        &mut Sobol::new(1, 0)?,
        Probability::from_q16(16384)?,
        &mut sb,
    );
    let mut sp = BitSliceMut::new(&mut p, L)?;
    ops::and(sa.as_slice(), sb.as_slice(), &mut sp)?;
    let product = decode::unipolar_q16(sp.count_ones(), L)?;
    println!("0.5 x 0.25 = {product} ({} of {L} bits)", sp.count_ones());

    // 2. One neuron, four inputs: weights 0.9, 0.4 (negative), 0.7, 0.1.
    let shape = MacShape::new(1, 4, L)?;
    let mut weights = [0u32; 4 * WORDS];
    let probs = [58982, 26214, 45875, 6554].map(Probability::from_q16);
    let probs = [probs[0]?, probs[1]?, probs[2]?, probs[3]?];
    let weight_source = StreamSource::Sobol { dimension: 0 };
    encode_weights(&shape, weight_source, &probs, &mut weights)?;
    let signs = [0b0010u32]; // input 1's weight is negative
                             // Inputs 1.0, 1.0, 0.5, 0.0 from one input generator (another dimension).
    let mut x = [0u32; 4 * WORDS];
    for (chunk, q) in x.chunks_exact_mut(WORDS).zip([65536, 65536, 32768, 0]) {
        let mut s = BitSliceMut::new(chunk, L)?;
        encode(&mut Sobol::new(1, 0)?, Probability::from_q16(q)?, &mut s);
    }
    let mut counts = [0i32; 1];
    mac_signed(&shape, &weights, &signs, &x, &mut counts)?;
    // 0.9 - 0.4 + 0.35 = 0.85 of a full-scale count.
    println!(
        "signed MAC count: {} of {L} (expected about {:.0})",
        counts[0],
        0.85 * L as f64
    );

    // 3. Its LIF neuron (Q16.16): current = count * gain / L with gain 0.5.
    let params = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.25, 1.0, 1)?;
    let mut current = [I16F16::ZERO; 1];
    counts_to_current(&counts, L, I16F16::from_num(0.5), &mut current)?;
    let (mut v, mut refractory) = (params.v_rest(), 0u16);
    let mut train = [b'.'; 10];
    for t in &mut train {
        if params.step(&mut v, &mut refractory, current[0]) {
            *t = b'|';
        }
    }
    println!(
        "input current {} -> spikes {}",
        current[0],
        core::str::from_utf8(&train).unwrap_or("?")
    );
    Ok(())
}
