//! The RTL testbench's codes come from the kernel: `tb/sc_codes.vh` must
//! be what [`sc_hdl_sim::codes_vh`] generates.

use std::path::PathBuf;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tb/sc_codes.vh")
}

#[test]
fn codes_header_is_current() {
    let committed = std::fs::read_to_string(path()).unwrap_or_default();
    assert_eq!(
        committed,
        sc_hdl_sim::codes_vh(),
        "hdl-sim/tb/sc_codes.vh is stale: run `cargo test -p sc-hdl-sim --test codes -- --ignored` and commit it"
    );
}

/// Writes `tb/sc_codes.vh` (run with `--ignored`).
#[test]
#[ignore]
fn write_codes_header() {
    std::fs::write(path(), sc_hdl_sim::codes_vh()).unwrap();
}
