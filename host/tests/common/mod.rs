//! Helpers shared by the integration tests.

/// Random bit vectors of the asked lengths from
/// [`sc_host::bench::random_bits`], seeded `seed + 1`, `seed + 2`, ... call
/// by call.
#[allow(dead_code)]
pub fn random_bits_after(mut seed: u64) -> impl FnMut(usize) -> Vec<u8> {
    move |k| {
        seed += 1;
        sc_host::bench::random_bits(k, seed)
    }
}

/// A valid stream source from any kind bit and parameter (the export
/// words): Sobol dimension `param % 16`, or an LFSR seed (never 0).
#[allow(dead_code)] // not every test binary that has `mod common` uses it
pub fn net_source(kind: u8, param: u16) -> sc_host::scnet::Source {
    let param = if kind == 0 { param % 16 } else { param.max(1) };
    sc_host::scnet::Source::from_words(kind.into(), param.into()).expect("a valid source")
}

/// Input probabilities in Q0.16 for `n` inputs: often the edges 0 and 1,
/// else uniform.
#[allow(dead_code)]
pub fn net_inputs(rng: &mut sc_host::vectors::generate::SplitMix64, n: usize) -> Vec<u32> {
    (0..n)
        .map(|_| match rng.below(5) {
            0 => 0,
            1 => 65536,
            _ => rng.below(65537) as u32,
        })
        .collect()
}

/// Random networks of the vectors' kind with their inputs: 1 to
/// `max_layers` layers of widths `width(w)` and stream lengths `len(l)`
/// (from `w < max_width`, `l < max_len`), both formats, two different
/// sources of either kind.
#[allow(dead_code)]
pub fn random_networks(
    max_layers: usize,
    max_width: usize,
    max_len: usize,
    width: fn(usize) -> usize,
    len: fn(usize) -> usize,
) -> impl proptest::strategy::Strategy<Value = (sc_host::scnet::NetworkSpec, Vec<u32>)> {
    use proptest::prelude::*;
    (
        1usize..=max_layers,
        proptest::collection::vec(0usize..max_width, max_layers + 1),
        proptest::collection::vec(1usize..max_len, max_layers),
        any::<bool>(),
        (0u8..2, any::<u16>()),
        (0u8..2, any::<u16>()),
        any::<u64>(),
    )
        .prop_filter_map(
            "two different sources",
            move |(layers, ws, ls, q8, w, x, seed)| {
                let (wsrc, xsrc) = (net_source(w.0, w.1), net_source(x.0, x.1));
                if wsrc == xsrc {
                    return None;
                }
                let mut rng = sc_host::vectors::generate::SplitMix64::new(seed);
                let dims: Vec<usize> = ws[..=layers].iter().map(|&w| width(w)).collect();
                let lens: Vec<usize> = ls[..layers].iter().map(|&l| len(l)).collect();
                let format = if q8 {
                    sc_host::scnet::LifFormat::Q8_8
                } else {
                    sc_host::scnet::LifFormat::Q16_16
                };
                let spec = sc_host::vectors::kinds::network::random_network(
                    &mut rng, format, &dims, &lens, wsrc, xsrc,
                );
                let x = net_inputs(&mut rng, dims[0]);
                Some((spec, x))
            },
        )
}

/// Run `sc` with `args`; (exit code, stdout, stderr).
#[allow(dead_code)]
pub fn sc(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sc"))
        .args(args)
        .output()
        .expect("sc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `dir/name` as a string (an argument of `sc`).
#[allow(dead_code)]
pub fn p(dir: &std::path::Path, name: &str) -> String {
    dir.join(name).display().to_string()
}
