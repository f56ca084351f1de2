//! An SC spiking network built in code and run bit-exactly (spec §7): 16
//! inputs -> 12 neurons -> 3 outputs, each layer with its own stream length
//! and LIF parameters, Q16.16, Sobol weight streams and LFSR input streams.
//! Prints each layer's spike raster and the predicted class; the same
//! network as JSON is what `sc run --model` and the vector files take.
//!
//! `cargo run --release -p sc-host --example network`

use sc_host::hex::bits_to_str;
use sc_host::scnet::{run_network, LayerSpec, LifFormat, LifParamsRaw, NetworkSpec, Source};
use sc_kernel::rng::SplitMix64;

/// One in Q16.16.
const ONE: i32 = 65536;

/// A layer of random weights; `threshold` and `gain` raw Q16.16.
fn layer(
    rng: &mut SplitMix64,
    (inputs, neurons): (usize, usize),
    len: usize,
    threshold: i32,
    gain: i32,
) -> LayerSpec {
    let n = inputs * neurons;
    LayerSpec {
        len,
        params: LifParamsRaw {
            v_rest: 0,
            v_reset: 0,
            threshold,
            alpha: ONE / 4,
            resistance: ONE,
            refractory: 1,
        },
        weights_q16: (0..n).map(|_| rng.below(65537) as u32).collect(),
        // About a quarter of the weights are negative.
        negative: bits_to_str((0..n).map(|_| rng.below(4) == 0)),
        gain,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rng = SplitMix64::new(2026);
    let spec = NetworkSpec {
        format: LifFormat::Q16_16,
        dims: vec![16, 12, 3],
        weight_source: Source::Sobol { dimension: 0 },
        input_source: Source::Lfsr16 { seed: 0xACE1 },
        layers: vec![
            layer(&mut rng, (16, 12), 128, 2 * ONE, ONE / 3),
            layer(&mut rng, (12, 3), 64, ONE, ONE),
        ],
    };
    spec.validate()?;
    let inputs: Vec<u32> = (0..16).map(|i| (i * 4096) as u32).collect();
    let steps = 24;
    let run = run_network::<u64>(&spec, &inputs, steps)?;
    for (k, l) in spec.layers.iter().enumerate() {
        println!(
            "layer {k} (L = {}), rows = neurons, columns = steps:",
            l.len
        );
        for j in 0..spec.dims[k + 1] {
            let row = bits_to_str(run.spikes.iter().map(|s| s[k][j]))
                .replace('0', ".")
                .replace('1', "|");
            println!("  {j:2} {row}");
        }
    }
    println!(
        "output spike counts {:?}, predicted class {:?}",
        run.counts,
        run.predicted()
    );
    // The same description, as the JSON `network` object of docs/vectors.md.
    let json = serde_json::to_string(&spec)?;
    println!(
        "as JSON: {} bytes, starting {}...",
        json.len(),
        &json[..80.min(json.len())]
    );
    Ok(())
}
