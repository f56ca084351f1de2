//! `f32`/`f64` abstraction for the full-precision reference models.

use std::fmt::Debug;
use std::ops::{Add, AddAssign, Div, Mul, MulAssign, Neg, Sub, SubAssign};

/// A floating-point scalar: `f32` (training, speed) or `f64` (reference).
pub trait Real:
    Copy
    + Send
    + Sync
    + Default
    + Debug
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// Nearest value to an `f64`.
    fn of(x: f64) -> Self;
    /// Widened to `f64`.
    fn f64(self) -> f64;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Neither infinite nor NaN.
    fn is_finite(self) -> bool;
}

/// `impl Real` for the float types; the unary `Self -> Self` methods
/// forward to the inherent ones of the same name.
macro_rules! real {
    ($($t:ty),*) => {
        $(real!(@impl $t; abs, exp, ln, sqrt);)*
    };
    (@impl $t:ty; $($unary:ident),*) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline]
            fn of(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn f64(self) -> f64 {
                self as f64
            }
            $(
                #[inline]
                fn $unary(self) -> Self {
                    <$t>::$unary(self)
                }
            )*
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

real!(f32, f64);
