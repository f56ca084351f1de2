//! # sc-hdl-sim
//!
//! The Verilog RTL of the SC primitives lives in `rtl/` (one module per
//! primitive, see `README.md`). This crate drives its Verilator model
//! (`tb/sc_hw_top.v`, built by `build.rs`) from Rust so tests can compare it
//! cycle by cycle with `sc-kernel` over random inputs.
//!
//! When `verilator` is not installed the crate builds without the model;
//! [`Hw::new`] then returns [`HwError::NoVerilator`].

use std::collections::HashMap;
use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

/// Why the hardware model is unavailable or a port name is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HwError {
    /// The crate was built without Verilator.
    NoVerilator,
    /// No port of that name.
    UnknownPort(String),
}

impl std::fmt::Display for HwError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HwError::NoVerilator => write!(
                f,
                "sc-hdl-sim was built without Verilator (install it: apt-get install verilator, then rebuild)"
            ),
            HwError::UnknownPort(p) => write!(f, "no port named {p:?} on sc_hw_top"),
        }
    }
}

impl std::error::Error for HwError {}

#[cfg(sc_verilator)]
extern "C" {
    fn sc_hw_inputs() -> c_int;
    fn sc_hw_outputs() -> c_int;
    fn sc_hw_input_name(i: c_int) -> *const c_char;
    fn sc_hw_output_name(i: c_int) -> *const c_char;
    fn sc_hw_new() -> *mut c_void;
    fn sc_hw_free(h: *mut c_void);
    fn sc_hw_set(h: *mut c_void, i: c_int, v: u64);
    fn sc_hw_get(h: *mut c_void, i: c_int) -> u64;
    fn sc_hw_eval(h: *mut c_void);
    fn sc_hw_tick(h: *mut c_void);
}

/// An instance of the `sc_hw_top` Verilator model.
pub struct Hw {
    #[allow(dead_code)]
    handle: *mut c_void,
    inputs: HashMap<String, c_int>,
    outputs: HashMap<String, c_int>,
}

#[allow(dead_code)]
fn names(n: c_int, f: unsafe extern "C" fn(c_int) -> *const c_char) -> HashMap<String, c_int> {
    (0..n)
        .map(|i| {
            // SAFETY: the shim returns pointers to static NUL-terminated strings for 0 <= i < n.
            let s = unsafe { CStr::from_ptr(f(i)) };
            (s.to_string_lossy().into_owned(), i)
        })
        .collect()
}

impl Hw {
    /// True when the crate was built with the Verilator model.
    pub const AVAILABLE: bool = cfg!(sc_verilator);

    /// A fresh model with every input zero.
    pub fn new() -> Result<Self, HwError> {
        #[cfg(sc_verilator)]
        {
            // SAFETY: plain constructors of the shim; the handle is freed in Drop.
            unsafe {
                Ok(Self {
                    handle: sc_hw_new(),
                    inputs: names(sc_hw_inputs(), sc_hw_input_name),
                    outputs: names(sc_hw_outputs(), sc_hw_output_name),
                })
            }
        }
        #[cfg(not(sc_verilator))]
        {
            let _ = (
                HashMap::<String, c_int>::new(),
                std::ptr::null_mut::<c_void>(),
            );
            Err(HwError::NoVerilator)
        }
    }

    fn port(map: &HashMap<String, c_int>, name: &str) -> Result<c_int, HwError> {
        map.get(name)
            .copied()
            .ok_or_else(|| HwError::UnknownPort(name.into()))
    }

    /// Drive input `name` (takes effect at the next [`Hw::eval`]/[`Hw::tick`]).
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), HwError> {
        let _i = Self::port(&self.inputs, name)?;
        #[cfg(sc_verilator)]
        // SAFETY: valid handle and port index from the shim's own list.
        unsafe {
            sc_hw_set(self.handle, _i, value)
        };
        let _ = value;
        Ok(())
    }

    /// Read output `name` (after [`Hw::eval`] or [`Hw::tick`]).
    pub fn get(&self, name: &str) -> Result<u64, HwError> {
        let _i = Self::port(&self.outputs, name)?;
        #[cfg(sc_verilator)]
        // SAFETY: valid handle and port index.
        return Ok(unsafe { sc_hw_get(self.handle, _i) });
        #[cfg(not(sc_verilator))]
        Ok(0)
    }

    /// Settle combinational logic.
    pub fn eval(&mut self) {
        #[cfg(sc_verilator)]
        // SAFETY: valid handle.
        unsafe {
            sc_hw_eval(self.handle)
        }
    }

    /// One clock cycle (rising then falling edge).
    pub fn tick(&mut self) {
        #[cfg(sc_verilator)]
        // SAFETY: valid handle.
        unsafe {
            sc_hw_tick(self.handle)
        }
    }
}

impl Drop for Hw {
    fn drop(&mut self) {
        #[cfg(sc_verilator)]
        // SAFETY: the handle came from sc_hw_new and is freed once.
        unsafe {
            sc_hw_free(self.handle)
        }
    }
}

/// The text of `tb/sc_codes.vh`: the export format's codes (magic word,
/// record kinds, bitwise op codes, the error flag's bit) as Verilog
/// `localparam`s, generated from the kernel's one definition
/// ([`sc_kernel::wire`], [`sc_kernel::ops::BitOp`]). The test
/// `codes_header_is_current` checks the committed file against it; write
/// it anew with `cargo test -p sc-hdl-sim --test codes -- --ignored`.
pub fn codes_vh() -> String {
    use sc_kernel::ops::BitOp;
    use sc_kernel::wire::{Kind, ERROR_FLAG, MAGIC};
    use std::fmt::Write as _;
    let mut s = String::from(
        "// Generated from sc-kernel (sc_hdl_sim::codes_vh) -- do not edit.\n\
         // The export word format's codes (docs/vectors.md).\n",
    );
    writeln!(s, "localparam [31:0] SC_MAGIC = 32'h{MAGIC:08x};").ok();
    writeln!(
        s,
        "localparam integer SC_ERROR_FLAG_BIT = {};",
        ERROR_FLAG.trailing_zeros()
    )
    .ok();
    let kinds = Kind::ALL.map(|k| ("KIND", k.name(), k.code()));
    let ops = BitOp::ALL.map(|op| ("OP", op.name(), op.code()));
    for (group, name, code) in kinds.into_iter().chain(ops) {
        let name = name.to_uppercase();
        writeln!(s, "localparam integer SC_{group}_{name} = {code};").ok();
    }
    s
}
