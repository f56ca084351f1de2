//! Exit, logging and panics per architecture.
//!
//! Cortex-M: `defmt` frames over semihosting (`defmt-semihosting`), exit
//! through semihosting (QEMU returns the code; `probe-rs run` too).
//! RISC-V: the same over RISC-V semihosting.

#[cfg(target_arch = "arm")]
use {cortex_m::asm::wfi, cortex_m_semihosting::debug, defmt_semihosting as _};
#[cfg(target_arch = "riscv32")]
use {riscv::asm::wfi, riscv_semihosting::debug};

/// End the program: exit code 0 when `ok`, 1 otherwise (semihosting).
pub fn exit(ok: bool) -> ! {
    debug::exit(if ok {
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
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    match info.location() {
        Some(l) => defmt::error!("panic at {=str}:{=u32}", l.file(), l.line()),
        None => defmt::error!("panic"),
    }
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
