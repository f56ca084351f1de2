//! Demo 3 on a real board: the user button drives a Q16.16 LIF neuron
//! (`sc_firmware::lif_io::LifButton`, generic over `embedded-hal`); each
//! spike lights an LED for one 1 ms tick. Hold the button: the LED flickers
//! at the neuron's firing rate.
//!
//! - STM32F411RE Nucleo-64 (stm32f4xx-hal): blue button PC13 (active low),
//!   green LED PA5.
//!   `SC_BOARD=nucleo-f411re cargo run --release --features nucleo-f411re --bin lif-button`
//! - nRF52840-DK (embassy-nrf, blocking): button 1 P0.11 (active low),
//!   LED 1 P0.13 (active low).
//!   `SC_BOARD=nrf52840-dk cargo run --release --features nrf52840-dk --bin lif-button`
#![no_std]
#![no_main]

use sc_firmware::lif_io::LifButton;
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;

#[cfg(not(any(feature = "nucleo-f411re", feature = "nrf52840-dk")))]
compile_error!("lif-button needs a board feature: nucleo-f411re or nrf52840-dk");

#[cfg(feature = "nucleo-f411re")]
mod board {
    use stm32f4xx_hal::{pac, prelude::*};

    pub const BUTTON: &str = "the blue button";

    /// Button (active low), LED, delay.
    pub fn pins() -> Option<(impl super::Input, impl super::Output, impl super::Delay)> {
        let (dp, cp) = (pac::Peripherals::take()?, cortex_m::Peripherals::take()?);
        let rcc = dp.RCC.constrain();
        let clocks = rcc.cfgr.sysclk(48.MHz()).freeze();
        let gpioa = dp.GPIOA.split();
        let gpioc = dp.GPIOC.split();
        let led = gpioa.pa5.into_push_pull_output();
        let button = gpioc.pc13.into_input();
        Some((button, led, cp.SYST.delay(&clocks)))
    }
}

#[cfg(feature = "nrf52840-dk")]
mod board {
    use embassy_nrf::gpio::{Input, Level, Output, OutputDrive, Pull};
    use embedded_hal::digital::{ErrorType, OutputPin};

    pub const BUTTON: &str = "button 1";

    /// The DK's LEDs light on a low level: `LifButton` drives "on" as high.
    pub struct ActiveLow(Output<'static>);
    impl ErrorType for ActiveLow {
        type Error = core::convert::Infallible;
    }
    impl OutputPin for ActiveLow {
        fn set_high(&mut self) -> Result<(), Self::Error> {
            self.0.set_low();
            Ok(())
        }
        fn set_low(&mut self) -> Result<(), Self::Error> {
            self.0.set_high();
            Ok(())
        }
    }

    /// Button (active low), LED, delay (embassy-time's, on RTC1).
    pub fn pins() -> Option<(impl super::Input, impl super::Output, impl super::Delay)> {
        let p = embassy_nrf::init(Default::default());
        let button = Input::new(p.P0_11, Pull::Up);
        let led = ActiveLow(Output::new(p.P0_13, Level::High, OutputDrive::Standard));
        Some((button, led, embassy_time::Delay))
    }
}

use embedded_hal::delay::DelayNs as Delay;
use embedded_hal::digital::{InputPin as Input, OutputPin as Output};

#[sc_firmware::entry]
fn main() -> ! {
    let Some((button, led, delay)) = board::pins() else {
        sc_firmware::exit(false)
    };
    // Leak 1/8 of the distance to rest per 1 ms; a held button (I = 0.3)
    // charges it past 1.0 in a few ticks, then reset: a few hundred Hz.
    let Ok(params) = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.125, 1.0, 5) else {
        sc_firmware::exit(false)
    };
    defmt::println!(
        "lif-button on {=str}: hold {=str}",
        sc_firmware::BOARD,
        board::BUTTON
    );
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
