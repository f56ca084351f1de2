//! `sc run --vectors`: run the `network` cases of vector files and print rasters.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use sc_host::hex::bits_to_str;
use sc_host::scnet::{check_record, run_network};
use sc_host::vectors;
use sc_host::vectors::kinds::network::runs;

/// Run `sc run --vectors` (also `sc simulate`).
pub fn run(files: &[PathBuf], steps: Option<usize>) -> Result<bool> {
    let default = [PathBuf::from("tests/vectors/network.json")];
    let files = if files.is_empty() {
        &default[..]
    } else {
        files
    };
    let mut all_ok = true;
    let mut ran = 0;
    for path in files {
        let file = vectors::load(path)?;
        for c in runs(&file.cases) {
            let (name, network, inputs_q16, n, expect) =
                (c.name, c.network, c.inputs_q16, c.steps, c.expect);
            let t = steps.unwrap_or(n);
            let what = format!("{}: case `{name}`", path.display());
            network
                .validate()
                .with_context(|| format!("{what}: field `network`"))?;
            // The spike record of `t` steps must fit before anything runs.
            let flag = if steps.is_some() { "--steps" } else { "steps" };
            check_record(flag, &network.dims[1..], t).with_context(|| what.clone())?;
            let run = run_network::<u64>(network, inputs_q16, t).with_context(|| what.clone())?;
            ran += 1;
            println!(
                "== {name}: dims {:?}, L = {:?}, {:?} LIF, {t} steps",
                network.dims,
                network.layers.iter().map(|l| l.len).collect::<Vec<_>>(),
                network.format
            );
            for (k, _) in network.layers.iter().enumerate() {
                println!("  layer {k} raster (rows = neurons, columns = steps):");
                for j in 0..network.dims[k + 1] {
                    let row = bits_to_str(run.spikes.iter().map(|s| s[k][j]))
                        .replace('0', ".")
                        .replace('1', "|");
                    println!("    {j:>3} {row}");
                }
            }
            let class = run
                .predicted()
                .map_or_else(|| "none (no output neurons)".to_string(), |c| c.to_string());
            println!(
                "  output spike counts: {:?}, predicted class: {class}",
                run.counts
            );
            if t == n {
                let same = run.counts == expect.counts
                    && run.spikes.iter().zip(&expect.spikes).all(|(s, e)| {
                        s.iter()
                            .zip(e)
                            .all(|(l, es)| bits_to_str(l.iter().copied()) == *es)
                    });
                println!(
                    "  matches the shared vectors: {}",
                    if same { "yes" } else { "NO" }
                );
                all_ok &= same;
            }
        }
    }
    if ran == 0 {
        bail!("no `network` cases in {:?}", files);
    }
    Ok(all_ok)
}
