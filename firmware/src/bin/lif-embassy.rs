//! Async demo on embassy: a population of four Q16.16 LIF neurons (the
//! kernel's `LifPopulation`, through `sc_firmware::lif_io::LedPopulation`)
//! stepped by a 5 ms timer tick (`Ticker`), each with its own tonic input;
//! a button task (waiting on pin edges) adds to every neuron's input while
//! the button is held. Each neuron lights its LED from its spike to the end
//! of its refractory period (50 ms). Released: LEDs 2-4 blink at rising
//! rates, LED 1 stays dark; held: all four blink faster.
//!
//! - nRF52840-DK (embassy-nrf): button 1 P0.11, LEDs 1-4 P0.13-P0.16 (all
//!   active low).
//!   `SC_BOARD=nrf52840-dk cargo run --release --features nrf52840-dk,embassy --bin lif-embassy`
//! - Raspberry Pi Pico (embassy-rp): a button from GP15 to GND, the on-board
//!   LED GP25 and LEDs (with resistors) on GP16, GP17, GP18.
//!   `SC_BOARD=rp-pico cargo run --release --target thumbv6m-none-eabi --features rp-pico-embassy,embassy --bin lif-embassy`
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, Ordering};

use embassy_executor::Spawner;
use embassy_time::{Duration, Ticker};
use sc_firmware::lif_io::LedPopulation;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;

#[cfg(not(any(feature = "nrf52840-dk", feature = "rp-pico-embassy")))]
compile_error!("lif-embassy needs a board feature: nrf52840-dk or rp-pico-embassy");

/// The board's button and four LEDs, through its embassy HAL.
mod board {
    #[cfg(feature = "nrf52840-dk")]
    use embassy_nrf::{self as hal, gpio::OutputDrive};
    #[cfg(feature = "rp-pico-embassy")]
    use embassy_rp as hal;
    use hal::gpio::{Input, Level, Output, Pull};

    pub type Button = Input<'static>;
    pub type Led = Output<'static>;

    #[cfg(feature = "nrf52840-dk")]
    pub const LED_ACTIVE_LOW: bool = true;
    #[cfg(feature = "nrf52840-dk")]
    pub const PINS: &str = "button 1 (P0.11), LEDs 1-4 (P0.13-P0.16)";
    #[cfg(feature = "rp-pico-embassy")]
    pub const LED_ACTIVE_LOW: bool = false;
    #[cfg(feature = "rp-pico-embassy")]
    pub const PINS: &str = "button GP15 to GND, LEDs GP25 (on board), GP16, GP17, GP18";

    pub fn init() -> (Button, [Led; 4]) {
        let p = hal::init(Default::default());
        #[cfg(feature = "nrf52840-dk")]
        let (button, leds) = {
            let off = Level::High;
            let leds = [
                Output::new(p.P0_13, off, OutputDrive::Standard),
                Output::new(p.P0_14, off, OutputDrive::Standard),
                Output::new(p.P0_15, off, OutputDrive::Standard),
                Output::new(p.P0_16, off, OutputDrive::Standard),
            ];
            (p.P0_11, leds)
        };
        #[cfg(feature = "rp-pico-embassy")]
        let (button, leds) = {
            let leds = [
                Output::new(p.PIN_25, Level::Low),
                Output::new(p.PIN_16, Level::Low),
                Output::new(p.PIN_17, Level::Low),
                Output::new(p.PIN_18, Level::Low),
            ];
            (p.PIN_15, leds)
        };
        (Input::new(button, Pull::Up), leds)
    }
}

/// Held (the button pulls its pin low); written by the button task.
static PRESSED: AtomicBool = AtomicBool::new(false);

#[embassy_executor::task]
async fn button(mut pin: board::Button) {
    loop {
        PRESSED.store(pin.is_low(), Ordering::Relaxed);
        pin.wait_for_any_edge().await;
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let (pin, mut leds) = board::init();
    let f = I16F16::from_num;
    // Leak 1/8 of the distance to rest per tick, threshold 1, refractory 10
    // ticks: a constant input I fires when I > 0.125.
    let Ok(params) = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.125, 1.0, 10) else {
        sc_firmware::exit(false)
    };
    let Ok(mut population) = LedPopulation::new(
        params,
        [f(0.1), f(0.14), f(0.2), f(0.3)],
        [f(0.15), f(0.15), f(0.15), f(0.15)],
    ) else {
        sc_firmware::exit(false)
    };
    match button(pin) {
        Ok(task) => spawner.spawn(task),
        Err(_) => sc_firmware::exit(false),
    }
    defmt::println!(
        "lif-embassy on {=str}: {=str}; hold the button",
        sc_firmware::BOARD,
        board::PINS
    );
    let mut ticker = Ticker::every(Duration::from_millis(5));
    loop {
        ticker.next().await;
        if population.tick(PRESSED.load(Ordering::Relaxed)).is_err()
            || population.show(&mut leds, board::LED_ACTIVE_LOW).is_err()
        {
            sc_firmware::exit(false)
        }
    }
}
