//! Error expectations of vector cases: the names of the kernel's `Error`
//! variants (spec §8) and their export codes, from the kernel's one table
//! ([`sc_kernel::ERROR_CODES`]), and the kernel error at the root of a
//! host error.

use crate::hex::TextError;
use crate::scnet::NetError;

use super::compute::CaseError;

pub use sc_kernel::wire::ERROR_FLAG;
pub use sc_kernel::ERROR_CODES;

/// The spec §8 variant name of a kernel error.
pub fn name(e: &sc_kernel::Error) -> &'static str {
    e.name()
}

/// The export code of a variant name, if it is one.
pub fn code(name: &str) -> Option<u32> {
    sc_kernel::Error::code_of(name)
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
    fn kernel_errors_are_found_through_wrappers() {
        use sc_kernel::Error as E;
        let wrapped = CaseError::Field {
            field: "a".into(),
            source: Box::new(TextError::Kernel(E::NonZeroPadding { stream: 0 })),
        };
        assert_eq!(kernel_error(&wrapped).map(name), Some("NonZeroPadding"));
        assert_eq!(code("NonZeroPadding"), Some(4));
        assert!(allowed().starts_with("LengthMismatch, StorageTooSmall"));
    }
}
