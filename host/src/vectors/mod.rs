//! The shared conformance vectors: schema, generation from the kernel,
//! checking against every implementation, and export for RTL/firmware.
//! The file format is documented in `docs/vectors.md`.
//!
//! # Layout
//!
//! - `kinds/<kind>.rs`: everything about one case kind: its expectation
//!   struct, the fields the loader probes (`fields`), input and
//!   expectation checks (`validate_inputs`, `validate_expect`), evaluation
//!   on a [`crate::backend::Backend`] (`evaluate`), generation (`GROUP`,
//!   `cases`) and export (`payload`, through `sc_kernel::wire`). A kind
//!   takes its variant apart in one place (`case_view!`, `kinds/mod.rs`)
//!   and lists its fields with `probes!`. `kinds/generator.rs` is the one
//!   implementation of the checks, evaluation and export of `lfsr` and
//!   `sobol` over a `generator::Config`; `lfsr.rs` and `sobol.rs` hold
//!   what is particular to each generator and their generated cases.
//! - `schema.rs`: the file and the [`Case`] enum (each kind's inputs, one
//!   variant per kind; serde, `#[serde(tag = "kind")]`).
//! - `compute.rs`: case errors, [`Implementation`] (a boxed backend) and the
//!   dispatch of evaluation and validation to the kinds.
//! - `check.rs`: loading files and checking them on [`implementations`];
//!   `generate.rs`: every file; `export.rs`: the word stream's framing and
//!   renderings; `errors.rs`: the error names and codes (spec §8).
//!
//! # Adding a case kind
//!
//! 1. `kinds/<kind>.rs` with the functions above (copy a small kind, e.g.
//!    `decode.rs`), and `pub mod <kind>;` in `kinds/mod.rs`.
//! 2. A variant in [`Case`] (`schema.rs`), and its arm in each dispatch:
//!    `Case::name`/`kind`/`expect_json`/`expected_error` (`schema.rs`),
//!    `evaluate_with`/`validate_inputs`/`validate_expect` (`compute.rs`),
//!    `payload` (`export.rs`), `probe::case` (`check.rs`) and the list in
//!    `generate_all` (`generate.rs`). The compiler finds every `match`.
//! 3. A record in `sc_kernel::wire` for its export; then regenerate the
//!    vectors and document the kind in `docs/vectors.md`.
//!
//! # Adding an op
//!
//! One method on [`crate::backend::Backend`] (`backend.rs`), implemented
//! by `KernelBackend` (`backend.rs`), the CPU backend (`cpu/backend.rs`)
//! and the GPU backend (`gpu/backend.rs`); then the kind that exercises
//! it calls it from its `evaluate` (a new kind: see above).

pub mod check;
pub mod compute;
pub mod errors;
pub mod export;
pub mod generate;
pub mod kinds;
pub mod schema;

pub use check::{check_file, check_loaded, load, load_cases, LoadError, LoadedFile, Report};
pub use compute::{implementations, BackendImpl, Implementation, Which};
pub use schema::{Case, VectorFile};

/// Serialise a vector file the way `sc vectors generate` writes it
/// (pretty JSON, trailing newline), so regenerated files diff cleanly.
pub fn to_text(file: &VectorFile) -> String {
    let mut s = serde_json::to_string_pretty(file).unwrap_or_default();
    s.push('\n');
    s
}
