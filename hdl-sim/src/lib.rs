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

#[cfg(sc_verilator)]
extern "C" {
    fn sc_net_new() -> *mut c_void;
    fn sc_net_free(h: *mut c_void);
    fn sc_net_load(h: *mut c_void, words: *const u32, n: u32);
    fn sc_net_prep(h: *mut c_void, max_cycles: i64) -> i64;
    fn sc_net_status(h: *mut c_void) -> u32;
    fn sc_net_run(
        h: *mut c_void,
        inputs: *const u32,
        n_inputs: u32,
        steps: u32,
        max_cycles: i64,
        counts: *mut u32,
        n_counts: u32,
        pred: *mut u32,
        events: *mut u64,
    ) -> i64;
}

/// The Verilator model of the network core `rtl/sc_net.v` with its default
/// parameters (Q16.16; 8192 model words, `L <= 256`, 128 layer-0 inputs, 64
/// neurons per layer, 128 neurons in all).
pub struct Net {
    #[allow(dead_code)]
    handle: *mut c_void,
}

/// What a run of [`Net::run`] gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetRun {
    /// Clock cycles from `start` to idle.
    pub cycles: u64,
    /// The last layer's spike counts.
    pub counts: Vec<u32>,
    /// The predicted class (the core's argmax).
    pub predicted: usize,
    /// LIF steps the core reported (`ev_valid` pulses).
    pub events: u64,
}

/// Words the core's model RAM holds.
pub const NET_MODEL_WORDS: usize = 1 << 13;

impl Net {
    /// A fresh core, after reset.
    pub fn new() -> Result<Self, HwError> {
        #[cfg(sc_verilator)]
        {
            // SAFETY: plain constructor of the shim; freed in Drop.
            Ok(Self {
                handle: unsafe { sc_net_new() },
            })
        }
        #[cfg(not(sc_verilator))]
        Err(HwError::NoVerilator)
    }

    /// Load the model words (from `format` on: a model export without its
    /// first two words) and prepare them (the core's `prep`). Returns the
    /// cycles the preparation took, or the core's error code.
    pub fn load(&mut self, words: &[u32]) -> Result<u64, String> {
        if words.len() > NET_MODEL_WORDS {
            return Err(format!(
                "model of {} words; the core holds {NET_MODEL_WORDS}",
                words.len()
            ));
        }
        #[cfg(sc_verilator)]
        {
            // SAFETY: valid handle; `words` is valid for its length.
            let (cycles, status) = unsafe {
                sc_net_load(self.handle, words.as_ptr(), words.len() as u32);
                let c = sc_net_prep(self.handle, 1 << 32);
                (c, sc_net_status(self.handle))
            };
            if cycles < 0 || status & 1 == 0 {
                return Err(format!(
                    "the core did not prepare the model (err {}, cycles {cycles})",
                    status >> 2
                ));
            }
            Ok(cycles as u64)
        }
        #[cfg(not(sc_verilator))]
        Err(HwError::NoVerilator.to_string())
    }

    /// Run `steps` steps on `inputs` (Q0.16) and read `outputs` counts.
    pub fn run(&mut self, inputs: &[u32], steps: u32, outputs: usize) -> Result<NetRun, String> {
        let mut counts = vec![0u32; outputs];
        #[cfg(sc_verilator)]
        {
            let (mut pred, mut events) = (0u32, 0u64);
            // SAFETY: valid handle; every pointer is valid for the length given.
            let (cycles, status) = unsafe {
                let c = sc_net_run(
                    self.handle,
                    inputs.as_ptr(),
                    inputs.len() as u32,
                    steps,
                    1 << 40,
                    counts.as_mut_ptr(),
                    outputs as u32,
                    &mut pred,
                    &mut events,
                );
                (c, sc_net_status(self.handle))
            };
            if cycles < 0 || status & 2 == 0 || status >> 2 != 0 {
                return Err(format!(
                    "the run failed (err {}, cycles {cycles})",
                    status >> 2
                ));
            }
            Ok(NetRun {
                cycles: cycles as u64,
                counts,
                predicted: pred as usize,
                events,
            })
        }
        #[cfg(not(sc_verilator))]
        {
            let _ = (inputs, steps, &mut counts);
            Err(HwError::NoVerilator.to_string())
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        #[cfg(sc_verilator)]
        // SAFETY: the handle came from sc_net_new and is freed once.
        unsafe {
            sc_net_free(self.handle)
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
