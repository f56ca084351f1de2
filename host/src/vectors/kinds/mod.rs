//! One module per case kind: its expectation, the fields the loader
//! probes, input and expectation checks, evaluation on a
//! [`crate::backend::Backend`], generation and export. The `Case` enum
//! ([`super::schema::Case`]) holds the inputs and dispatches here.

use sc_kernel::sng::Probability;
use sc_kernel::Word;

use super::compute::{bad, field, CaseError};
use crate::hex::hex_to_words;

/// The `(field, probe)` array of a case kind's fields, in order (for
/// `MALFORMED`, [`crate::vectors::check::probe`]): `name: Type` probes a
/// value of that type (`leaf::<Type>`), `name = probe` uses `probe`.
macro_rules! probes {
    ($($field:ident $(: $ty:ty)? $(= $probe:expr)?),* $(,)?) => {
        [$((stringify!($field), probes!(@probe $(: $ty)? $(= $probe)?))),*]
    };
    (@probe : $ty:ty) => {
        $crate::vectors::check::probe::leaf::<$ty> as $crate::vectors::check::probe::Probe
    };
    (@probe = $probe:expr) => {
        $probe as $crate::vectors::check::probe::Probe
    };
}

/// A kind's view of its [`Case`](super::schema::Case) variant: a struct
/// `$view` of the variant's fields (the `copy` ones by value, the `ref`
/// ones borrowed) and `$view::of`, the one place the variant is taken
/// apart (another kind is an [`other_kind`] error).
macro_rules! case_view {
    (
        $(#[$meta:meta])*
        $view:ident = $variant:ident($kind:literal) {
            copy: $($copy:ident: $copy_ty:ty),*;
            ref: $($borrow:ident: $borrow_ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        struct $view<'a> {
            $($copy: $copy_ty,)*
            $($borrow: &'a $borrow_ty,)*
        }

        impl<'a> $view<'a> {
            /// The fields of `case`, or an error for another kind.
            fn of(
                case: &'a $crate::vectors::schema::Case,
            ) -> Result<Self, $crate::vectors::compute::CaseError> {
                use $crate::vectors::schema::Case;
                let Case::$variant { $($copy,)* $($borrow,)* .. } = case else {
                    return Err($crate::vectors::kinds::other_kind($kind));
                };
                Ok(Self { $($copy: *$copy,)* $($borrow,)* })
            }
        }
    };
}

pub mod bitwise;
pub mod decode;
pub mod generator;
pub mod lfsr;
pub mod lif;
pub mod mac;
pub mod network;
pub mod pack;
pub mod sobol;

/// The error for a case handed to another kind's function (the
/// dispatchers in `compute`/`export` never do).
pub(crate) fn other_kind(kind: &str) -> CaseError {
    CaseError::Invalid(format!("not a `{kind}` case"))
}

/// Stream `name` (hex) of `len` bits as words.
pub(crate) fn stream<W: Word>(name: &str, hex: &str, len: usize) -> Result<Vec<W>, CaseError> {
    field(name, hex_to_words::<W>(hex, len))
}

/// A `len`-bit hex stream must have exactly `2 * ceil(len / 8)` digits
/// (checked before anything of size `len` is allocated).
pub(crate) fn hex_len(name: &str, hex: &str, len: usize) -> Result<(), CaseError> {
    let expected = 2 * sc_kernel::pack::bytes_for(len);
    if hex.len() != expected {
        return field(
            name,
            Err(crate::hex::TextError::HexLength {
                len,
                expected,
                found: hex.len(),
            }),
        );
    }
    Ok(())
}

/// `found` items of `what` where `needed` are needed is an error naming `name`.
pub(crate) fn count(name: &str, found: usize, needed: usize, what: &str) -> Result<(), CaseError> {
    if found != needed {
        return Err(bad(name, format!("{found} {what} given, {needed} needed")));
    }
    Ok(())
}

/// A probability in Q0.16 (`0..=65536`).
pub(crate) fn p_q16_ok(name: &str, p: u32) -> Result<(), CaseError> {
    field(name, Probability::from_q16(p)).map(|_| ())
}
