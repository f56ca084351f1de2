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

/// `(spec §8 variant name, export code)` of every [`Error`] variant: the
/// single definition of the codes that error records of the vector export
/// carry (docs/vectors.md mirrors it).
pub const ERROR_CODES: [(&str, u32); 11] = [
    ("LengthMismatch", 1),
    ("StorageTooSmall", 2),
    ("CapacityExceeded", 3),
    ("NonZeroPadding", 4),
    ("InvalidBit", 5),
    ("InvalidSeed", 6),
    ("ProbabilityOutOfRange", 7),
    ("SobolDimension", 8),
    ("EmptyStream", 9),
    ("ShapeOverflow", 10),
    ("InvalidParameter", 11),
];

impl Error {
    /// The variant's name as spec §8 lists it (e.g. `"NonZeroPadding"`).
    pub fn name(&self) -> &'static str {
        ERROR_CODES.get(self.index()).map_or("", |e| e.0)
    }

    /// The variant's export code (1..=11, see [`ERROR_CODES`]).
    pub fn code(&self) -> u32 {
        ERROR_CODES.get(self.index()).map_or(0, |e| e.1)
    }

    /// The export code of a variant name, `None` if it names no variant.
    pub fn code_of(name: &str) -> Option<u32> {
        ERROR_CODES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, c)| c)
    }

    /// The variant name of an export code, `None` if no variant has it.
    pub fn name_of(code: u32) -> Option<&'static str> {
        ERROR_CODES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|&(n, _)| n)
    }

    // Position in ERROR_CODES (one entry per variant; a test checks the
    // table's order against this match).
    fn index(&self) -> usize {
        match self {
            Error::LengthMismatch { .. } => 0,
            Error::StorageTooSmall { .. } => 1,
            Error::CapacityExceeded { .. } => 2,
            Error::NonZeroPadding { .. } => 3,
            Error::InvalidBit { .. } => 4,
            Error::InvalidSeed { .. } => 5,
            Error::ProbabilityOutOfRange => 6,
            Error::SobolDimension { .. } => 7,
            Error::EmptyStream => 8,
            Error::ShapeOverflow => 9,
            Error::InvalidParameter { .. } => 10,
        }
    }
}

/// Kernel result type.
pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    // The table's order matches `Error::index`, and names and codes map
    // both ways.
    #[test]
    fn error_codes_are_one_table() {
        let all = [
            Error::LengthMismatch {
                expected: 0,
                found: 0,
            },
            Error::StorageTooSmall {
                needed: 0,
                found: 0,
            },
            Error::CapacityExceeded {
                capacity: 0,
                requested: 0,
            },
            Error::NonZeroPadding { stream: 0 },
            Error::InvalidBit { index: 0, value: 2 },
            Error::InvalidSeed { width: 8, seed: 0 },
            Error::ProbabilityOutOfRange,
            Error::SobolDimension {
                dimension: 16,
                available: 16,
            },
            Error::EmptyStream,
            Error::ShapeOverflow,
            Error::InvalidParameter {
                name: "alpha",
                allowed: "",
            },
        ];
        assert_eq!(all.len(), ERROR_CODES.len());
        for (e, &(name, code)) in all.iter().zip(&ERROR_CODES) {
            assert_eq!((e.name(), e.code()), (name, code));
            assert_eq!(Error::code_of(name), Some(code));
            assert_eq!(Error::name_of(code), Some(name));
        }
        assert_eq!(Error::code_of("Bogus"), None);
        assert_eq!(Error::name_of(0), None);
    }
}
