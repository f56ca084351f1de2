//! Shared by the test files that drive a Verilator model.

use sc_hdl_sim::HwError;

/// The model that `new` made, or `None` with a message when Verilator was
/// not installed at build time; with `SC_REQUIRE_VERILATOR` set (CI, which
/// installs it) that is a failure instead, so there the tests always run.
pub fn model_or_skip<T>(new: Result<T, HwError>) -> Option<T> {
    match new {
        Ok(m) => Some(m),
        Err(HwError::NoVerilator) => {
            eprintln!("SKIPPED: {}", HwError::NoVerilator);
            assert!(
                std::env::var_os("SC_REQUIRE_VERILATOR").is_none(),
                "SC_REQUIRE_VERILATOR is set but {}",
                HwError::NoVerilator
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}
