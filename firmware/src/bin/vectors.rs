//! Demo 1: the shared conformance vectors on the target. Every case is
//! recomputed with the kernel and reported over defmt; the exit code (via
//! semihosting) is 0 only if all pass.
#![no_std]
#![no_main]

use sc_firmware::gen::vectors::{CASE_NAMES, NETWORK_COUNTS, NETWORK_MAGNITUDES, VECTORS};
use sc_firmware::vectors::{run, ERROR_FLAG};
use sc_kernel::wire::Kind;

#[sc_firmware::entry]
fn main() -> ! {
    sc_firmware::banner("vectors", CASE_NAMES.len(), "cases");
    let summary = run(
        &VECTORS,
        &NETWORK_MAGNITUDES,
        &NETWORK_COUNTS,
        |case, kind, result| {
            let name = CASE_NAMES.get(case).copied().unwrap_or("?");
            let kind = Kind::from_code(kind & !ERROR_FLAG).map_or("?", Kind::name);
            match result {
                Ok(()) => defmt::println!("PASS {=usize} {=str} {=str}", case, kind, name),
                Err(f) => defmt::println!("FAIL {=usize} {=str} {=str}: {}", case, kind, name, f),
            }
        },
    );
    match summary {
        Ok(s) => {
            defmt::println!(
                "vectors: {=usize} passed, {=usize} failed",
                s.passed,
                s.failed
            );
            sc_firmware::exit(s.failed == 0 && s.passed == CASE_NAMES.len())
        }
        Err(e) => {
            defmt::println!("vectors: malformed stream: {}", e);
            sc_firmware::exit(false)
        }
    }
}
