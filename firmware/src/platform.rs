//! Transport, exit, panics and faults: the one place that differs between
//! QEMU and real boards. `build.rs` sets `cfg(sc_transport)` from the board
//! (`SC_TRANSPORT` overrides it); the demos are the same code for both.
//!
//! - `semihosting` (the QEMU boards): `defmt` frames over semihosting stdout
//!   (`defmt-semihosting`, or the logger below on RISC-V), a panic handler
//!   that reports the location only (no `core::fmt`).
//! - `rtt` (real boards, the knurling app-template stack): `defmt-rtt` (the
//!   "defmt" up channel that `probe-rs run` decodes), `panic-probe` with
//!   `print-defmt`, and `flip-link` as the linker (`.cargo/config.toml`).
//!
//! Both: a HardFault handler that reports the faulting PC and exits with 1,
//! and the exit is semihosting `SYS_EXIT`, which QEMU and `probe-rs run`
//! turn into their exit code. Every exit goes through [`sc_exit`] (QEMU's RTT
//! reader, `scripts/qemu-rtt.py`, stops there to drain the last frames).

#[cfg(target_arch = "arm")]
use {cortex_m::asm::wfi, cortex_m_semihosting::debug};
#[cfg(target_arch = "riscv32")]
use {riscv::asm::wfi, riscv_semihosting::debug};

#[cfg(all(target_arch = "arm", sc_transport = "semihosting"))]
use defmt_semihosting as _;
#[cfg(sc_transport = "rtt")]
use {defmt_rtt as _, panic_probe as _};

/// End the program: exit code 0 when `ok`, 1 otherwise (semihosting).
pub fn exit(ok: bool) -> ! {
    sc_exit(u32::from(!ok))
}

/// The single exit point of every image (a fixed symbol for debuggers):
/// semihosting exit with `code` (0 success, else failure).
#[inline(never)]
#[no_mangle]
pub extern "C" fn sc_exit(code: u32) -> ! {
    debug::exit(if code == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    loop {
        wfi();
    }
}

/// Reports where it panicked (not the message: formatting it would pull
/// `core::fmt`, kilobytes of flash, into every image) and exits with 1.
#[cfg(sc_transport = "semihosting")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(l) => defmt::error!("panic at {=str}:{=u32}", l.file(), l.line()),
        None => defmt::error!("panic"),
    }
    exit(false)
}

/// `defmt::panic!` after its message: fault like panic-probe does (the
/// HardFault handler below reports and exits), without printing the message
/// a second time (as the app-template).
#[cfg(sc_transport = "rtt")]
#[defmt::panic_handler]
fn defmt_panic() -> ! {
    cortex_m::asm::udf()
}

/// Reports the fault (panic-probe's `udf` after a panic lands here too) and
/// exits with 1; the default handler would spin until a timeout.
#[cfg(target_arch = "arm")]
#[cortex_m_rt::exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    defmt::error!("HardFault at pc {=u32:#010x}", frame.pc());
    exit(false)
}

#[cfg(target_arch = "riscv32")]
mod logger {
    use core::sync::atomic::{AtomicBool, Ordering};

    /// `defmt` logger writing frames to semihosting stdout.
    #[defmt::global_logger]
    struct Logger;

    static TAKEN: AtomicBool = AtomicBool::new(false);
    static mut CS_RESTORE: critical_section::RestoreState =
        critical_section::RestoreState::invalid();
    static mut ENCODER: defmt::Encoder = defmt::Encoder::new();

    fn write_bytes(bytes: &[u8]) {
        if let Ok(mut out) = riscv_semihosting::hio::hstdout() {
            let _ = out.write_all(bytes);
        }
    }

    unsafe impl defmt::Logger for Logger {
        fn acquire() {
            // SAFETY: paired with `release`; single hart.
            let restore = unsafe { critical_section::acquire() };
            if TAKEN.swap(true, Ordering::Relaxed) {
                panic!("defmt logger taken reentrantly");
            }
            // SAFETY: inside the critical section, exclusive access.
            unsafe {
                CS_RESTORE = restore;
                (*core::ptr::addr_of_mut!(ENCODER)).start_frame(write_bytes);
            }
        }

        unsafe fn flush() {}

        unsafe fn release() {
            // SAFETY: called after `acquire`, inside its critical section.
            unsafe {
                (*core::ptr::addr_of_mut!(ENCODER)).end_frame(write_bytes);
                TAKEN.store(false, Ordering::Relaxed);
                let restore = CS_RESTORE;
                critical_section::release(restore);
            }
        }

        unsafe fn write(bytes: &[u8]) {
            // SAFETY: called between `acquire` and `release`.
            unsafe { (*core::ptr::addr_of_mut!(ENCODER)).write(bytes, write_bytes) }
        }
    }
}
