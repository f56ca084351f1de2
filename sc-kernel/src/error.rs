//! The kernel's one error type.

use core::fmt;

/// Everything that can go wrong in the kernel. Every fallible function
/// returns `Result<_, Error>`; nothing in the kernel panics on user data.
///
/// The `Display` text says what was wrong and what is allowed. It is not
/// used on any hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// Two operands (or an operand and the output) have different lengths.
    /// Lengths are in bits for bitstreams, in elements for other slices.
    LengthMismatch {
        /// The length the operation required.
        expected: usize,
        /// The length it was given.
        found: usize,
    },
    /// A word buffer is too short for the requested length.
    StorageTooSmall {
        /// Words needed.
        needed: usize,
        /// Words provided.
        found: usize,
    },
    /// A fixed-capacity container cannot hold the requested length.
    CapacityExceeded {
        /// Capacity in bits (or elements).
        capacity: usize,
        /// Requested length in bits (or elements).
        requested: usize,
    },
    /// Bits past the stream length (padding) are set. The spec requires
    /// padding bits to be zero. `stream` is the index of the offending
    /// stream within a batch (0 for a single stream).
    NonZeroPadding {
        /// Index of the offending stream within its batch.
        stream: usize,
    },
    /// A byte given to `pack` is neither 0 nor 1.
    InvalidBit {
        /// Position of the byte.
        index: usize,
        /// Its value.
        value: u8,
    },
    /// An LFSR seed is zero (the all-zero state is a fixed point) or wider
    /// than the register.
    InvalidSeed {
        /// Register width in bits.
        width: u32,
        /// The rejected seed.
        seed: u32,
    },
    /// A probability is outside [0, 1] (Q0.16: 0..=65536), or a bipolar value
    /// outside [-1, 1], or a float is not finite.
    ProbabilityOutOfRange,
    /// A Sobol dimension past the shipped direction numbers.
    SobolDimension {
        /// The requested dimension.
        dimension: usize,
        /// Number of dimensions available (valid: `0..available`).
        available: usize,
    },
    /// Decoding a stream of length 0.
    EmptyStream,
    /// A shape whose element count or accumulator range does not fit.
    ShapeOverflow,
    /// A neuron parameter is out of its allowed range.
    InvalidParameter {
        /// Parameter name, as in the spec.
        name: &'static str,
        /// What is allowed.
        allowed: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::LengthMismatch { expected, found } => {
                write!(f, "length mismatch: expected {expected}, found {found}")
            }
            Error::StorageTooSmall { needed, found } => write!(
                f,
                "word buffer too small: {needed} words needed, {found} provided"
            ),
            Error::CapacityExceeded {
                capacity,
                requested,
            } => write!(
                f,
                "capacity exceeded: requested {requested}, capacity is {capacity}"
            ),
            Error::NonZeroPadding { stream } => write!(
                f,
                "stream {stream} has padding bits set past its length; padding bits must be zero"
            ),
            Error::InvalidBit { index, value } => write!(
                f,
                "byte {index} is {value}; unpacked bits must be 0 or 1"
            ),
            Error::InvalidSeed { width, seed } => write!(
                f,
                "invalid {width}-bit LFSR seed {seed:#x}; allowed: 1..=2^{width}-1"
            ),
            Error::ProbabilityOutOfRange => write!(
                f,
                "probability out of range; allowed: [0, 1] (Q0.16 0..=65536), bipolar [-1, 1], finite"
            ),
            Error::SobolDimension {
                dimension,
                available,
            } => write!(
                f,
                "Sobol dimension {dimension} not available; allowed: 0..{available}"
            ),
            Error::EmptyStream => write!(f, "cannot decode a stream of length 0"),
            Error::ShapeOverflow => write!(
                f,
                "shape too large: element count or accumulator range exceeds the integer width"
            ),
            Error::InvalidParameter { name, allowed } => {
                write!(f, "invalid parameter `{name}`; allowed: {allowed}")
            }
        }
    }
}

impl core::error::Error for Error {}

/// Kernel result type.
pub type Result<T> = core::result::Result<T, Error>;
