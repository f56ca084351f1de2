//! x86-64 word kernels, one module per feature level. Each level has a
//! capability token whose existence proves the CPU has its features.

mod avx2;
mod avx512;
mod popcnt;

pub use avx2::Avx2Token;
pub use avx512::Avx512Token;
pub use popcnt::PopcntToken;
