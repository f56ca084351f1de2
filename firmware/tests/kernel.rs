//! On-target unit tests of the kernel (defmt-test), run in QEMU for each
//! Cortex-M core: `cargo test --target <t>` (the runner is QEMU).
#![no_std]
#![no_main]

use sc_firmware as _; // logger, panic handler

use core::convert::Infallible;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, InputPin, OutputPin};

fn naive_and_count(a: &[u32], b: &[u32]) -> u32 {
    let mut n = 0;
    for (x, y) in a.iter().zip(b) {
        for t in 0..32 {
            n += ((x & y) >> t) & 1;
        }
    }
    n
}

struct Pattern(u32, u32);
impl ErrorType for Pattern {
    type Error = Infallible;
}
impl InputPin for Pattern {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        self.1 += 1;
        Ok((self.0 >> (self.1 - 1)) & 1 == 1)
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        self.is_high().map(|h| !h)
    }
}
struct Led(u32, u32);
impl ErrorType for Led {
    type Error = Infallible;
}
impl OutputPin for Led {
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.0 |= 1 << self.1;
        self.1 += 1;
        Ok(())
    }
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.1 += 1;
        Ok(())
    }
}
/// An output pin that remembers its level.
struct Level(bool);
impl ErrorType for Level {
    type Error = Infallible;
}
impl OutputPin for Level {
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.0 = true;
        Ok(())
    }
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.0 = false;
        Ok(())
    }
}
struct NoDelay(u32);
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, ns: u32) {
        self.0 += ns / 1000;
    }
}

#[defmt_test::tests]
mod tests {
    use super::{naive_and_count, Led, Level, NoDelay, Pattern};
    use defmt::assert_eq;
    use sc_firmware::lif_io::{LedPopulation, LifButton};
    use sc_kernel::fixed::types::{I16F16, I8F8};
    use sc_kernel::lif::LifParams;
    use sc_kernel::mac::{mac, mac_signed, MacShape};
    use sc_kernel::pack::{pack, unpack};
    use sc_kernel::rng::SplitMix64;
    use sc_kernel::sng::{encode, Lfsr16, Probability, Sng, Sobol};
    use sc_kernel::{ops, words_for, BitSlice, BitSliceMut, BitStream, Error};

    #[test]
    fn and_count_matches_bit_loop_at_edge_lengths() {
        let mut rng = SplitMix64::new(7);
        let mut a = [0u32; 70];
        let mut b = [0u32; 70];
        for k in 0..70 {
            a[k] = rng.next_u32();
            b[k] = rng.next_u32();
        }
        for len in [0usize, 1, 31, 32, 33, 63, 64, 65, 992, 993, 2240] {
            let n = words_for::<u32>(len);
            let mut x = a;
            let mut y = b;
            // Zero the padding so the views are valid.
            let mut sx = BitSliceMut::new(&mut x[..n], len).unwrap();
            let mut sy = BitSliceMut::new(&mut y[..n], len).unwrap();
            let want = naive_and_count(sx.words(), sy.words());
            let got = ops::and_count(sx.as_slice(), sy.as_slice()).unwrap();
            assert_eq!(got as u32, want);
            sx.fill_ones();
            sy.fill_ones();
            assert_eq!(ops::and_count(sx.as_slice(), sy.as_slice()).unwrap(), len);
        }
    }

    #[test]
    fn not_and_xnor_keep_padding_zero() {
        let a = BitStream::<u32, 2>::zeros(33).unwrap();
        let mut out = [0u32; 2];
        let mut o = BitSliceMut::new(&mut out, 33).unwrap();
        ops::not(a.as_slice(), &mut o).unwrap();
        assert_eq!(o.count_ones(), 33);
        ops::xnor(a.as_slice(), a.as_slice(), &mut o).unwrap();
        assert_eq!(o.count_ones(), 33);
        assert_eq!(out[1], 1);
    }

    #[test]
    fn pack_round_trip_and_bad_byte() {
        let mut bits = [0u8; 65];
        for (t, b) in bits.iter_mut().enumerate() {
            *b = (t % 3 == 0) as u8;
        }
        let mut w = [0u32; 3];
        pack(&bits, &mut BitSliceMut::new(&mut w, 65).unwrap()).unwrap();
        let mut back = [9u8; 65];
        unpack(BitSlice::new(&w, 65).unwrap(), &mut back).unwrap();
        assert!(back == bits);
        bits[40] = 2;
        assert_eq!(
            pack(&bits, &mut BitSliceMut::new(&mut w, 65).unwrap()),
            Err(Error::InvalidBit {
                index: 40,
                value: 2
            })
        );
    }

    #[test]
    fn sobol_dimension_0_is_exact() {
        let mut w = [0u32; 8];
        for m in [0u32, 1, 77, 128, 255, 256] {
            let mut s = BitSliceMut::new(&mut w, 256).unwrap();
            let mut g = Sobol::new(0, 0).unwrap();
            encode(&mut g, Probability::from_q16(m * 256).unwrap(), &mut s);
            assert_eq!(s.count_ones(), m as usize);
        }
    }

    #[test]
    fn lfsr16_is_maximal_length() {
        let mut g = Lfsr16::new(1).unwrap();
        let start = g.state();
        let mut period = 0u32;
        loop {
            g.next_q16();
            period += 1;
            if g.state() == start || period > 70_000 {
                break;
            }
        }
        assert_eq!(period, 65_535);
    }

    #[test]
    fn signed_mac_small() {
        // 2 neurons x 3 inputs x 32 bits.
        let shape = MacShape::new(2, 3, 32).unwrap();
        let w = [0xffff_ffffu32, 0x0000_ffff, 0x0f0f_0f0f, 0x1, 0x3, 0x7];
        let x = [0xffff_0000u32, 0xffff_ffff, 0x0000_00ff];
        let signs = [0b010u32, 0b101];
        let mut u = [0u32; 2];
        let mut s = [0i32; 2];
        mac(&shape, &w, &x, &mut u).unwrap();
        mac_signed(&shape, &w, &signs, &x, &mut s).unwrap();
        // Per input: popcount(w & x) = 16, 16, 4 and 0, 2, 3.
        assert_eq!(u, [36, 5]);
        assert_eq!(s, [4, -1]);
    }

    #[test]
    fn lif_q16_and_q8_fire_and_reset() {
        let p = LifParams::<I16F16>::from_f64(0.0, -0.5, 1.0, 0.5, 1.0, 2).unwrap();
        let (mut v, mut r) = (I16F16::ZERO, 0u16);
        // v: 0 -> 0.6 -> 0.9 -> 1.05 (spike, reset -0.5, 2 refractory steps).
        assert!(!p.step(&mut v, &mut r, I16F16::from_num(0.6)));
        assert!(!p.step(&mut v, &mut r, I16F16::from_num(0.6)));
        assert!(p.step(&mut v, &mut r, I16F16::from_num(0.6)));
        assert_eq!(v.to_bits(), I16F16::from_num(-0.5).to_bits());
        assert_eq!(r, 2);
        assert!(!p.step(&mut v, &mut r, I16F16::from_num(5)));
        assert!(!p.step(&mut v, &mut r, I16F16::from_num(5)));
        assert!(p.step(&mut v, &mut r, I16F16::from_num(5)));
        let q = LifParams::<I8F8>::from_f64(0.0, 0.0, 1.0, 1.0, 1.0, 0).unwrap();
        let (mut v8, mut r8) = (I8F8::ZERO, 0u16);
        assert!(q.step(&mut v8, &mut r8, I8F8::ONE));
        assert!(LifParams::<I8F8>::from_f64(0.0, 0.0, 1.0, 0.0, 1.0, 0).is_err());
    }

    #[test]
    fn lif_button_drives_led_like_the_kernel() {
        let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.25, 1.0, 1).unwrap();
        let drive = I16F16::from_num(0.4);
        // Input active (high, active_low = false) on ticks 0..12, then idle.
        let mut n = LifButton::new(
            Pattern(0x0fff, 0),
            Led(0, 0),
            NoDelay(0),
            p,
            drive,
            false,
            1000,
        );
        let spikes = n.run(Some(20)).unwrap();
        let (_, led, delay) = n.release();
        // The same neuron stepped directly.
        let (mut v, mut r, mut want) = (I16F16::ZERO, 0u16, 0u32);
        for t in 0..20 {
            let i = if t < 12 { drive } else { I16F16::ZERO };
            if p.step(&mut v, &mut r, i) {
                want |= 1 << t;
            }
        }
        assert_eq!(led.0, want);
        assert_eq!(spikes, want.count_ones());
        assert!(spikes > 0);
        assert_eq!(delay.0, 20 * 1000);
    }

    #[test]
    fn led_population_steps_like_the_kernel_and_lights_leds() {
        let p = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.125, 1.0, 3).unwrap();
        let f = I16F16::from_num;
        let tonic = [f(0.1), f(0.14), f(0.2), f(0.3)];
        let button = [f(0.15); 4];
        let mut pop = LedPopulation::new(p, tonic, button).unwrap();
        let mut leds = [Level(true), Level(true), Level(true), Level(true)];
        let (mut v, mut r) = ([I16F16::ZERO; 4], [0u16; 4]);
        let (mut released, mut held) = ([0u32; 4], [0u32; 4]);
        // Released for 40 ticks, held for 40, released again for 40.
        for t in 0..120 {
            let pressed = (40..80).contains(&t);
            let got = pop.tick(pressed).unwrap();
            let mut want = 0;
            for k in 0..4 {
                let i = if pressed {
                    tonic[k] + button[k]
                } else {
                    tonic[k]
                };
                if p.step(&mut v[k], &mut r[k], i) {
                    want |= 1 << k;
                    if pressed {
                        held[k] += 1
                    } else {
                        released[k] += 1
                    }
                }
            }
            assert_eq!(got, want);
            assert!(pop.population().v() == &v[..]);
            pop.show(&mut leds, true).unwrap();
            for k in 0..4 {
                // Active low: lit (low) from the spike to the end of the refractory period.
                assert_eq!(leds[k].0, r[k] == 0);
            }
        }
        // Neuron 0's tonic input is below its threshold current (0.125):
        // it fires only while the button is held; the others fire at rates
        // rising with their input, faster when held.
        assert_eq!(released[0], 0);
        assert!(held[0] > 0);
        assert!(released[1] < released[2] && released[2] < released[3]);
        for k in 1..4 {
            assert!(held[k] * 2 > released[k]);
        }
        assert!(LedPopulation::<33>::new(p, [f(0.0); 33], [f(0.0); 33]).is_err());
    }
}
