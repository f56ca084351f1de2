//! LIF neurons between `embedded-hal` pins.
//!
//! - [`LifButton`]: an input pin (a button) drives one neuron's input
//!   current, each spike lights an LED for one tick. Generic over the HAL:
//!   anything with `InputPin`, `OutputPin` and `DelayNs` (`src/bin/lif-button.rs`
//!   binds it on the STM32F411RE Nucleo and the nRF52840-DK).
//! - [`LedPopulation`]: a population of neurons fed by a timer tick and a
//!   button, one LED per neuron (`src/bin/lif-embassy.rs`, async on embassy).
//!
//! The on-target tests drive both with fake pins.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{InputPin, OutputPin, PinState};
use sc_kernel::fixed::types::I16F16;
use sc_kernel::lif::{LifParams, LifPopulation};
use sc_kernel::{BitSliceMut, Error};

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

/// A population of up to 32 LIF neurons (the kernel's [`LifPopulation`])
/// for LEDs: at each tick neuron `k` gets its own `tonic[k]` input (the
/// timer's drive) plus `button[k]` while the button is held; an LED is lit
/// from its neuron's spike to the end of its refractory period. The async
/// demo (`src/bin/lif-embassy.rs`) steps it from a timer tick.
pub struct LedPopulation<const N: usize> {
    pop: LifPopulation<I16F16, N>,
    tonic: [I16F16; N],
    button: [I16F16; N],
}

impl<const N: usize> LedPopulation<N> {
    /// `N` neurons at rest. Errors when `N` is above 32 (one spike word).
    pub fn new(
        params: LifParams<I16F16>,
        tonic: [I16F16; N],
        button: [I16F16; N],
    ) -> Result<Self, Error> {
        if N > 32 {
            return Err(Error::CapacityExceeded {
                capacity: 32,
                requested: N,
            });
        }
        Ok(Self {
            pop: LifPopulation::new(params, N)?,
            tonic,
            button,
        })
    }

    /// One tick: steps every neuron; returns the spikes (bit `k`: neuron `k`).
    pub fn tick(&mut self, pressed: bool) -> Result<u32, Error> {
        let mut input = self.tonic;
        if pressed {
            for (i, b) in input.iter_mut().zip(&self.button) {
                *i = i.saturating_add(*b);
            }
        }
        let mut word = [0u32];
        let mut spikes = BitSliceMut::new(&mut word, N)?;
        self.pop.step(&input, &mut spikes)?;
        Ok(word[0])
    }

    /// Which LEDs are lit (bit `k`): neuron `k` spiked or is refractory.
    pub fn lit(&self) -> u32 {
        self.pop
            .refractory()
            .iter()
            .enumerate()
            .fold(0, |m, (k, &r)| m | (u32::from(r > 0) << k))
    }

    /// Drive `leds[k]` from bit `k` of [`lit`](Self::lit) (`active_low`: a
    /// low level lights it, as on the nRF52840-DK).
    pub fn show<O: OutputPin>(&self, leds: &mut [O], active_low: bool) -> Result<(), O::Error> {
        let lit = self.lit();
        for (k, led) in leds.iter_mut().enumerate() {
            let on = k < 32 && (lit >> k) & 1 == 1;
            led.set_state(PinState::from(on != active_low))?;
        }
        Ok(())
    }

    /// The neurons' state (the kernel's population).
    pub fn population(&self) -> &LifPopulation<I16F16, N> {
        &self.pop
    }
}
