//! # sc-kernel
//!
//! `no_std`, allocation-free stochastic-computing (SC) kernels for
//! microcontrollers, FPGAs' software twins and hosts. This crate is the single
//! source of the project's bit-exact semantics; `docs/spec.md` is their
//! normative text.
//!
//! - [`bits`]: packed bitstreams ([`BitSlice`], [`BitSliceMut`], owned
//!   [`BitStream`]) over `u32` or `u64` words, LSB-first, padding bits zero.
//! - [`pack`]: 0/1 bytes <-> words, canonical bytes, batch (row) forms.
//! - [`ops`]: AND, OR, XOR, XNOR, NOT, MUX, popcounts.
//! - [`decode`]: unipolar / bipolar decoding.
//! - [`sng`]: LFSR (8/16/32-bit) and Sobol generators, encoding.
//! - [`mac`]: dense SC multiply-accumulate, unsigned and sign-magnitude.
//! - [`lif`]: fixed-point LIF neurons in Q16.16 and Q8.8.
//! - [`neuron`]: the [`neuron::Neuron`] model a network layer steps.
//! - [`net`]: a multi-layer SC spiking network stepped in time, generic
//!   over the neuron model.
//! - [`count`]: the network's counting form (spec §7.1): the same counts
//!   at a per-synapse cost independent of the stream length.
//! - [`wire`]: the export word format of vectors and models (parse, emit).
//! - [`rng`]: SplitMix64, the one PRNG for test and vector data (not an
//!   SC stochastic number generator; those are in [`sng`]).
//!
//! No public function panics, overflows or wraps, for any argument, in
//! debug or release builds: bad input gets an [`Error`], and arithmetic is
//! exact or saturates only where `docs/spec.md` says so. ([`rng`] wraps on
//! purpose, its modular arithmetic being the PRNG's definition; it never
//! panics either.)
//!
//! ```
//! use sc_kernel::{BitSliceMut, sng::{encode, Probability, Sobol}, ops};
//! let (mut a, mut b, mut p) = ([0u32; 8], [0u32; 8], [0u32; 8]);
//! let mut sa = BitSliceMut::new(&mut a, 256).unwrap();
//! let mut sb = BitSliceMut::new(&mut b, 256).unwrap();
//! encode(&mut Sobol::new(0, 0).unwrap(), Probability::from_q16(32768).unwrap(), &mut sa);
//! encode(&mut Sobol::new(1, 0).unwrap(), Probability::from_q16(16384).unwrap(), &mut sb);
//! let mut sp = BitSliceMut::new(&mut p, 256).unwrap();
//! ops::and(sa.as_slice(), sb.as_slice(), &mut sp).unwrap();
//! assert_eq!(sp.count_ones(), 32); // 0.5 * 0.25 * 256, exactly
//! ```
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod bits;
pub mod count;
pub mod decode;
mod error;
pub mod lif;
pub mod mac;
pub mod net;
pub mod neuron;
pub mod ops;
pub mod pack;
pub mod rng;
pub mod sng;
pub mod wire;
mod word;

pub use bits::{BitSlice, BitSliceMut, BitStream};
pub use error::{Error, Result, ERROR_CODES};
pub use fixed;
pub use word::{last_word_mask, words_for, Word};
