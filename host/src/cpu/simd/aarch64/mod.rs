//! aarch64 word kernels. Each level has a capability token whose existence
//! proves the CPU has its features.

mod neon;

pub use neon::NeonToken;
