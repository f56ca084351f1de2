//! # sc-host
//!
//! Host-side tooling for `sc-kernel`: the shared conformance vectors
//! ([`vectors`]), the one backend interface the kernel reference, the CPU
//! and the GPU backends implement ([`backend`]), owned SC networks
//! ([`scnet`]) and the text forms of streams ([`hex`]). The `sc` binary is the command-line front end.
#![deny(missing_docs)]

pub mod backend;
pub mod bench;
pub mod bench_sim;
pub mod cpu;
pub mod digits;
pub mod dist;
pub mod engine;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod hex;
pub mod job;
pub mod lif_float;
pub mod limits;
pub mod plot;
pub mod real;
pub mod scnet;
pub mod snn;
pub mod train;
pub mod vectors;

/// The README's Rust snippets, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
