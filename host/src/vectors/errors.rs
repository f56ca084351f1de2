//! Error expectations of vector cases: the names of the kernel's `Error`
//! variants (spec §8) and their export codes. This table is the single
//! definition of the codes (`docs/vectors.md` mirrors it; the firmware's
//! build script generates its copy from it).

use crate::hex::TextError;
use crate::scnet::NetError;

use super::compute::CaseError;

/// `(name, export code)` of every kernel error variant (spec §8).
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

/// Flag or-ed into a record's KIND in the export when the record expects
/// an error (its payload is the inputs followed by the error code).
pub const ERROR_FLAG: u32 = 0x8000_0000;

/// The variant name of a kernel error (`"Unknown"` for a variant added to
/// the kernel after this table).
pub fn name(e: &sc_kernel::Error) -> &'static str {
    use sc_kernel::Error as E;
    match e {
        E::LengthMismatch { .. } => "LengthMismatch",
        E::StorageTooSmall { .. } => "StorageTooSmall",
        E::CapacityExceeded { .. } => "CapacityExceeded",
        E::NonZeroPadding { .. } => "NonZeroPadding",
        E::InvalidBit { .. } => "InvalidBit",
        E::InvalidSeed { .. } => "InvalidSeed",
        E::ProbabilityOutOfRange => "ProbabilityOutOfRange",
        E::SobolDimension { .. } => "SobolDimension",
        E::EmptyStream => "EmptyStream",
        E::ShapeOverflow => "ShapeOverflow",
        E::InvalidParameter { .. } => "InvalidParameter",
        _ => "Unknown",
    }
}

/// The export code of a variant name, if it is one.
pub fn code(name: &str) -> Option<u32> {
    ERROR_CODES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, c)| c)
}

/// Every variant name, comma-separated (for messages).
pub fn allowed() -> String {
    ERROR_CODES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

fn net_kernel(n: &NetError) -> Option<&sc_kernel::Error> {
    match n {
        NetError::Kernel(k) | NetError::Text(TextError::Kernel(k)) => Some(k),
        _ => None,
    }
}

/// The kernel error at the root of `e`, if the cause of `e` is one
/// (looking through the host's wrappers and field annotations).
pub fn kernel_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a sc_kernel::Error> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(k) = x.downcast_ref::<sc_kernel::Error>() {
            return Some(k);
        }
        if let Some(TextError::Kernel(k)) = x.downcast_ref::<TextError>() {
            return Some(k);
        }
        if let Some(k) = x.downcast_ref::<NetError>().and_then(net_kernel) {
            return Some(k);
        }
        match x.downcast_ref::<CaseError>() {
            Some(CaseError::Kernel(k)) => return Some(k),
            Some(CaseError::Net(n)) => {
                if let Some(k) = net_kernel(n) {
                    return Some(k);
                }
            }
            _ => {}
        }
        cur = x.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes_agree() {
        use sc_kernel::Error as E;
        let all = [
            E::LengthMismatch {
                expected: 0,
                found: 1,
            },
            E::StorageTooSmall {
                needed: 1,
                found: 0,
            },
            E::CapacityExceeded {
                capacity: 0,
                requested: 1,
            },
            E::NonZeroPadding { stream: 0 },
            E::InvalidBit { index: 0, value: 2 },
            E::InvalidSeed { width: 8, seed: 0 },
            E::ProbabilityOutOfRange,
            E::SobolDimension {
                dimension: 16,
                available: 16,
            },
            E::EmptyStream,
            E::ShapeOverflow,
            E::InvalidParameter {
                name: "alpha",
                allowed: "",
            },
        ];
        for (e, (n, c)) in all.iter().zip(ERROR_CODES) {
            assert_eq!(name(e), n);
            assert_eq!(code(n), Some(c));
        }
        let wrapped = CaseError::Field {
            field: "a".into(),
            source: Box::new(TextError::Kernel(E::NonZeroPadding { stream: 0 })),
        };
        assert_eq!(kernel_error(&wrapped).map(name), Some("NonZeroPadding"));
    }
}
