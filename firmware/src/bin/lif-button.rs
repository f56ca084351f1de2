//! Demo 3 on a real board: the user button of an STM32F411RE Nucleo-64
//! (PC13, active low) drives a Q16.16 LIF neuron; each spike lights the
//! green LED (PA5) for one 1 ms tick. Hold the button: the LED flickers at
//! the neuron's firing rate.
//!
//! `SC_BOARD=nucleo-f411re cargo run --release --features nucleo-f411re --bin lif-button`
#![no_std]
#![no_main]

use sc_firmware::lif_io::LifButton;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;
use stm32f4xx_hal::{pac, prelude::*};

#[sc_firmware::entry]
fn main() -> ! {
    let (Some(dp), Some(cp)) = (pac::Peripherals::take(), cortex_m::Peripherals::take()) else {
        sc_firmware::exit(false)
    };
    let rcc = dp.RCC.constrain();
    let clocks = rcc.cfgr.sysclk(48.MHz()).freeze();
    let gpioa = dp.GPIOA.split();
    let gpioc = dp.GPIOC.split();
    let led = gpioa.pa5.into_push_pull_output();
    let button = gpioc.pc13.into_input();
    let delay = cp.SYST.delay(&clocks);
    // Leak 1/8 of the distance to rest per 1 ms; a held button (I = 0.3)
    // charges it past 1.0 in a few ticks, then reset: a few hundred Hz.
    let Ok(params) = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.125, 1.0, 5) else {
        sc_firmware::exit(false)
    };
    defmt::println!("lif-button: hold the blue button");
    let mut neuron = LifButton::new(
        button,
        led,
        delay,
        params,
        I16F16::from_num(0.3),
        true,
        1000,
    );
    match neuron.run(None) {
        Ok(_) => sc_firmware::exit(true),
        Err(_) => sc_firmware::exit(false),
    }
}
