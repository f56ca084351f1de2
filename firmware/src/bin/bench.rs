//! Instruction-count regions for `scripts/bench.sh`: each region is run
//! between two `sc_mark` calls, whose executed-instruction counts the QEMU
//! plugin (`plugin/icount.c`) records. Regions come in pairs of sizes so the
//! script can difference away the fixed overheads. Prints one `REGION` line
//! per region, in order.
#![no_std]
#![no_main]

use core::hint::black_box;

use sc_firmware::sc_mark;
use sc_kernel::fixed::types::{I16F16, I8F8};
use sc_kernel::lif::{LifFixed, LifParams};
use sc_kernel::mac::{mac, mac_signed, MacShape};
use sc_kernel::{ops, BitSlice, BitSliceMut};

static mut MARK: u32 = 0;

/// Run `f` between two marks and announce the region.
fn region(name: &str, units: usize, f: impl FnOnce()) {
    // SAFETY: single-threaded, no interrupts use MARK.
    let id = unsafe {
        MARK += 1;
        MARK
    };
    sc_mark(2 * id);
    f();
    sc_mark(2 * id + 1);
    defmt::println!("REGION {=str} {=usize}", name, units);
}

/// A region running `f` on the first `n` of two output values, kept alive.
fn region_out<T: Copy + Default, E>(
    name: &str,
    units: usize,
    n: usize,
    f: impl FnOnce(&mut [T]) -> Result<(), E>,
) {
    let mut out = [T::default(); 2];
    region(name, units, || {
        black_box(f(&mut out[..n]).ok());
        black_box(&mut out);
    });
}

fn fill(words: &mut [u32], mut seed: u32) {
    for w in words {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        *w = seed;
    }
}

fn lif<F: LifFixed>(name: &str, n: usize, params: LifParams<F>, input: F) {
    // Opaque parameters: no multiply by a known alpha or R folds away.
    let params = black_box(params);
    let mut v = [params.v_rest(); 128];
    let mut r = [0u16; 128];
    let cur = [input; 128];
    let mut s = [0u32; 4];
    region(name, n, || {
        let mut spikes = BitSliceMut::new(&mut s, n).unwrap_or_else(|_| sc_firmware::exit(false));
        black_box(
            params
                .step_population(&mut v[..n], &mut r[..n], black_box(&cur[..n]), &mut spikes)
                .ok(),
        );
        black_box(&mut v);
        black_box(&mut r);
    });
}

#[sc_firmware::entry]
fn main() -> ! {
    defmt::println!("sc bench on {=str}", sc_firmware::BOARD);
    let mut a = [0u32; 256];
    let mut b = [0u32; 128];
    fill(&mut a, 0x1234_5678);
    fill(&mut b, 0x9abc_def1);

    // AND + popcount over a stream of n words.
    for n in [64usize, 128] {
        let sa = BitSlice::new(&a[..n], 32 * n).unwrap_or_else(|_| sc_firmware::exit(false));
        let sb = BitSlice::new(&b[..n], 32 * n).unwrap_or_else(|_| sc_firmware::exit(false));
        region("and_count_words", n, || {
            black_box(ops::and_count(black_box(sa), black_box(sb)).ok());
        });
    }
    // Dense MAC, 64 inputs x L = 32 (one word per stream), 1 and 2 neurons.
    let signs = [0x5555_5555u32, 0x3333_3333, 0x0f0f_0f0f, 0x00ff_00ff];
    for n in [1usize, 2] {
        let shape = MacShape::new(n, 64, 32).unwrap_or_else(|_| sc_firmware::exit(false));
        region_out("mac_64_inputs_words", 64 * n, n, |out: &mut [u32]| {
            mac(&shape, black_box(&a[..64 * n]), black_box(&b[..64]), out)
        });
        region_out(
            "mac_signed_64_inputs_words",
            64 * n,
            n,
            |out: &mut [i32]| {
                mac_signed(
                    &shape,
                    black_box(&a[..64 * n]),
                    black_box(&signs[..2 * n]),
                    black_box(&b[..64]),
                    out,
                )
            },
        );
    }
    // LIF population steps.
    let q16 = LifParams::<I16F16>::from_f64(0.0, 0.0, 1.0, 0.25, 1.0, 0)
        .unwrap_or_else(|_| sc_firmware::exit(false));
    let q8 = LifParams::<I8F8>::from_f64(0.0, 0.0, 1.0, 0.25, 1.0, 0)
        .unwrap_or_else(|_| sc_firmware::exit(false));
    for n in [64usize, 128] {
        lif("lif_q16_neuron_steps", n, q16, I16F16::from_bits(20_000));
        lif("lif_q8_neuron_steps", n, q8, I8F8::from_bits(80));
    }
    // One digit inference (all time steps of one test image), twice.
    match sc_firmware::digits::model() {
        Ok((net, steps)) => {
            for k in 0..2 {
                region("digit_inference", 1, || {
                    black_box(sc_firmware::digits::classify(&net, steps, k).ok());
                });
            }
        }
        Err(e) => {
            defmt::println!("model: {}", e);
            sc_firmware::exit(false)
        }
    }
    sc_firmware::exit(true)
}
