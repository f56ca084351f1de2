//! The shared conformance vectors: schema, generation from the kernel,
//! checking against every implementation, and export for RTL/firmware.
//! The file format is documented in `docs/vectors.md`.

pub mod check;
pub mod compute;
pub mod errors;
pub mod export;
pub mod generate;
pub mod schema;

pub use check::{check_file, check_loaded, load, load_cases, LoadError, LoadedFile, Report};
pub use compute::{implementations, Implementation, Which};
pub use schema::{Case, VectorFile};

/// Serialise a vector file the way `sc vectors generate` writes it
/// (pretty JSON, trailing newline), so regenerated files diff cleanly.
pub fn to_text(file: &VectorFile) -> String {
    let mut s = serde_json::to_string_pretty(file).unwrap_or_default();
    s.push('\n');
    s
}
