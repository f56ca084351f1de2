//! Demo 2: the digits SC network on the target. Every test image is
//! classified and compared with the host's bit-exact prediction; the exit
//! code is 0 only if all agree.
#![no_std]
#![no_main]

use sc_firmware::digits::{run, IMAGES};

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    defmt::println!(
        "sc digits on {=str}: {=usize} test images",
        sc_firmware::BOARD,
        IMAGES
    );
    let summary = run(|r| {
        let tag = if r.predicted == r.expected {
            "ok      "
        } else {
            "MISMATCH"
        };
        defmt::println!(
            "{=str} image {=usize}: predicted {=u8}, host {=u8}, label {=u8}",
            tag,
            r.image,
            r.predicted,
            r.expected,
            r.label
        );
    });
    match summary {
        Ok(s) => {
            defmt::println!(
                "digits: {=usize}/{=usize} equal to the host, accuracy {=usize}/{=usize}",
                s.agree,
                s.images,
                s.correct,
                s.images
            );
            sc_firmware::exit(s.images == IMAGES && s.agree == s.images)
        }
        Err(e) => {
            defmt::println!("digits: {}", e);
            sc_firmware::exit(false)
        }
    }
}
