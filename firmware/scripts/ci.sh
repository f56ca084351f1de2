#!/usr/bin/env bash
# Firmware checks (called by scripts/test.sh; runnable on its own):
#  - fmt and clippy (-D warnings) for a Cortex-M target;
#  - in QEMU on Cortex-M0 (microbit), Cortex-M4F (mps2-an386) and Cortex-M33
#    (mps2-an505): the defmt-test kernel tests, the `vectors` demo and the
#    `digits` demo, decoded with defmt-print; any failure fails the script;
#  - a deliberately corrupted vector must make the `vectors` demo fail;
#  - RISC-V (riscv32imac): both demos build, and run in QEMU `virt` when
#    qemu-system-riscv32 is installed;
#  - the real-board images build: Nucleo-F411RE (with the `lif-button`
#    demo), nRF52840-DK, Raspberry Pi Pico.
# Needs: qemu-system-arm, defmt-print (cargo install defmt-print --locked).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEFMT_LOG=info
for t in thumbv6m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf; do
    rustup target add "$t" >/dev/null 2>&1 || true
done
step() { echo; echo "==> firmware: $*"; }

step "fmt, clippy"
cargo fmt --check
cargo clippy --release --all-targets -- -D warnings
SC_BOARD=nucleo-f411re cargo clippy --release --features nucleo-f411re --bins -- -D warnings

log=$(mktemp -d)
run() { # target bin-or-test name ...
    local target=$1 kind=$2 name=$3 out="$log/$1-$3.log"
    if [ "$kind" = test ]; then
        cargo test --release --target "$target" --test "$name" >"$out" 2>&1 || { cat "$out"; echo "FAILED: $name on $target"; exit 1; }
    else
        cargo run --release --target "$target" --bin "$name" >"$out" 2>&1 || { tail -40 "$out"; echo "FAILED: $name on $target"; exit 1; }
    fi
    grep -E "all tests passed|vectors: |digits: " "$out" | tail -1 | sed "s|^|  $target $name: |"
}
for target in thumbv6m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf; do
    step "QEMU $target"
    run "$target" test kernel
    run "$target" bin vectors
    run "$target" bin digits
done

step "a corrupted vector must fail"
# Case 325 is mac case #1 (files in name order: bitwise 84, decode 48,
# errors 42, lfsr 144, lif 6 cases before mac); case 132 is the first
# error record (its last word, the error code, is flipped).
for k in 325 132; do
    if SC_CORRUPT_CASE=$k cargo run --release --bin vectors >"$log/corrupt.log" 2>&1; then
        cat "$log/corrupt.log"; echo "FAILED: the corrupted vector $k was not detected"; exit 1
    fi
    grep -m1 "^FAIL" "$log/corrupt.log" | sed 's/^/  detected: /'
done
cargo build --release --bin vectors >/dev/null 2>&1 # back to the true vectors

step "RISC-V riscv32imac"
cargo build --release --target riscv32imac-unknown-none-elf --bins
if command -v qemu-system-riscv32 >/dev/null; then
    run riscv32imac-unknown-none-elf bin vectors
    run riscv32imac-unknown-none-elf bin digits
else
    echo "  qemu-system-riscv32 not installed: built only"
fi

step "real-board images"
SC_BOARD=nucleo-f411re cargo build --release --features nucleo-f411re --bins
SC_BOARD=nrf52840-dk cargo build --release --bins
SC_BOARD=rp-pico cargo build --release --target thumbv6m-none-eabi --features rp-pico --bins
echo "  built for nucleo-f411re (incl. lif-button), nrf52840-dk, rp-pico"
echo
echo "firmware: all checks passed"
