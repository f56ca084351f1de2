//! Helpers shared by the backend tests.

/// Random bit vectors of the asked lengths from
/// [`sc_host::bench::random_bits`], seeded `seed + 1`, `seed + 2`, ... call
/// by call.
pub fn random_bits_after(mut seed: u64) -> impl FnMut(usize) -> Vec<u8> {
    move |k| {
        seed += 1;
        sc_host::bench::random_bits(k, seed)
    }
}
