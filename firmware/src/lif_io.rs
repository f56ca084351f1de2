//! A LIF neuron between `embedded-hal` pins: an input pin (a button) drives
//! the neuron's input current, each spike lights an LED for one tick.
//! Generic over the HAL: anything with `InputPin`, `OutputPin` and `DelayNs`
//! (see `src/bin/lif-button.rs` for the STM32F411RE Nucleo binding; the
//! on-target tests drive it with fake pins).

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin};
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::LifParams;

/// An I/O error of either pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoError<EI, EO> {
    /// Reading the input pin failed.
    Input(EI),
    /// Driving the LED failed.
    Output(EO),
}

/// The neuron and its pins.
pub struct LifButton<I, O, D> {
    input: I,
    led: O,
    delay: D,
    params: LifParams<I16F16>,
    v: I16F16,
    refractory: u16,
    drive: I16F16,
    active_low: bool,
    tick_us: u32,
}

impl<I: InputPin, O: OutputPin, D: DelayNs> LifButton<I, O, D> {
    /// `drive` is the input current while the input is active (pressed);
    /// `active_low` when a low level means pressed (most buttons);
    /// `tick_us` is the time step in microseconds.
    pub fn new(
        input: I,
        led: O,
        delay: D,
        params: LifParams<I16F16>,
        drive: I16F16,
        active_low: bool,
        tick_us: u32,
    ) -> Self {
        Self {
            input,
            led,
            delay,
            v: params.v_rest(),
            params,
            refractory: 0,
            drive,
            active_low,
            tick_us,
        }
    }

    /// Membrane potential.
    pub fn v(&self) -> I16F16 {
        self.v
    }

    /// One time step: read the input, step the neuron, LED on for this tick
    /// if it spiked (off otherwise), then wait one tick. Returns whether it
    /// spiked.
    pub fn tick(&mut self) -> Result<bool, IoError<I::Error, O::Error>> {
        let high = self.input.is_high().map_err(IoError::Input)?;
        let current = if high != self.active_low {
            self.drive
        } else {
            I16F16::ZERO
        };
        let spiked = self.params.step(&mut self.v, &mut self.refractory, current);
        if spiked {
            self.led.set_high().map_err(IoError::Output)?;
        } else {
            self.led.set_low().map_err(IoError::Output)?;
        }
        self.delay.delay_us(self.tick_us);
        Ok(spiked)
    }

    /// Run `ticks` steps (forever when `None`); returns the spike count.
    pub fn run(&mut self, ticks: Option<u32>) -> Result<u32, IoError<I::Error, O::Error>> {
        let mut spikes = 0;
        let mut t = 0;
        while ticks.is_none_or(|n| t < n) {
            spikes += self.tick()? as u32;
            t += 1;
        }
        Ok(spikes)
    }

    /// Give the pins and the delay back.
    pub fn release(self) -> (I, O, D) {
        (self.input, self.led, self.delay)
    }
}
