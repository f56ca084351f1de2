//! Demo 2: the digits SC network on the target. Every test image is
//! classified and compared with the host's bit-exact prediction; the exit
//! code is 0 only if all agree.
#![no_std]
#![no_main]

use sc_firmware::digits::{run, IMAGES};

#[sc_firmware::entry]
fn main() -> ! {
    sc_firmware::banner("digits", IMAGES, "test images");
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
