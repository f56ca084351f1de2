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
#    demo), nRF52840-DK (`lif-button`, the embassy demo `lif-embassy`),
#    Raspberry Pi Pico (`lif-embassy`).
#  - the real boards' transport (defmt-rtt, panic-probe) in QEMU: the RTT
#    "defmt" channel read through QEMU's gdbstub (scripts/qemu-rtt.py);
#  - every Cortex-M image is linked by flip-link (stack below .data/.bss).
# Needs: qemu-system-arm, python3, defmt-print and flip-link
# (cargo install defmt-print flip-link --locked).
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
SC_BOARD=nrf52840-dk cargo clippy --release --features nrf52840-dk,embassy --bins -- -D warnings
SC_BOARD=rp-pico cargo clippy --release --target thumbv6m-none-eabi --features rp-pico-embassy,embassy --bins -- -D warnings

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

step "the board stack's RTT path in QEMU (defmt-rtt, panic-probe, flip-link on mps2-an386)"
# SC_TRANSPORT=rtt builds the real boards' transport; run.sh sees the RTT
# control block and runs scripts/qemu-rtt.py, which reads the "defmt" up
# channel through QEMU's gdbstub (as probe-rs does over SWD) for defmt-print.
rtt_run() { # log-file [env...]
    local out=$1; shift
    env SC_TRANSPORT=rtt "$@" cargo run --release --bin vectors >"$out" 2>&1
}
t_rtt=$SECONDS
rtt_run "$log/rtt.log" || { tail -40 "$log/rtt.log"; echo "FAILED: vectors over RTT"; exit 1; }
n=$(sed -n 's/^sc vectors on mps2-an386: \([0-9]*\) cases$/\1/p' "$log/rtt.log")
pass=$(grep -c '^PASS ' "$log/rtt.log" || true)
if [ -z "$n" ] || [ "$pass" != "$n" ] || ! grep -qx "vectors: $n passed, 0 failed" "$log/rtt.log" \
    || ! grep -q '^qemu-rtt: sc_exit(0)' "$log/rtt.log"; then
    tail -40 "$log/rtt.log"; echo "FAILED: RTT output: banner ${n:-missing}, $pass PASS lines"; exit 1
fi
echo "  $pass PASS lines and the summary decoded from RTT ($(grep -o 'after [0-9]* RTT bytes' "$log/rtt.log"))"
if rtt_run "$log/rtt-corrupt.log" SC_CORRUPT_CASE=325; then
    cat "$log/rtt-corrupt.log"; echo "FAILED: a corrupted vector passed over RTT"; exit 1
fi
grep -q '^qemu-rtt: sc_exit(1)' "$log/rtt-corrupt.log" || { cat "$log/rtt-corrupt.log"; echo "FAILED: no failing exit over RTT"; exit 1; }
grep -m1 "^FAIL" "$log/rtt-corrupt.log" | sed 's/^/  detected over RTT: /'
echo "  RTT checks took $((SECONDS - t_rtt)) s"

step "RISC-V riscv32imac"
cargo build --release --target riscv32imac-unknown-none-elf --bins
if command -v qemu-system-riscv32 >/dev/null; then
    run riscv32imac-unknown-none-elf bin vectors
    run riscv32imac-unknown-none-elf bin digits
else
    echo "  qemu-system-riscv32 not installed: built only"
fi

step "real-board images (RTT transport, flip-link)"
# Each board with its HAL feature, so every demo builds: vectors, digits,
# bench, lif-button (Nucleo, nRF52840-DK), lif-embassy (nRF52840-DK, Pico).
flip_linked() { # ELF...: flip-link puts the stack below .data (cortex-m-rt alone: at the end of RAM)
    local e s d
    for e; do
        s=$(nm "$e" | awk '$3=="_stack_start"{print $1}')
        d=$(nm "$e" | awk '$3=="__sdata"{print $1}')
        if [ -z "$s" ] || [ -z "$d" ] || [ $((16#$s)) -gt $((16#$d)) ]; then
            echo "FAILED: $e is not linked by flip-link (_stack_start ${s:-?}, __sdata ${d:-?})"; exit 1
        fi
        grep -q _SEGGER_RTT "$e" || { echo "FAILED: $e has no RTT control block"; exit 1; }
    done
}
t_boards=$SECONDS
SC_BOARD=nucleo-f411re cargo build --release --features nucleo-f411re --bins
flip_linked target/thumbv7em-none-eabihf/release/{vectors,digits,lif-button}
SC_BOARD=nrf52840-dk cargo build --release --features nrf52840-dk,embassy --bins
flip_linked target/thumbv7em-none-eabihf/release/{vectors,digits,lif-button,lif-embassy}
SC_BOARD=rp-pico cargo build --release --target thumbv6m-none-eabi --features rp-pico-embassy,embassy --bins
flip_linked target/thumbv6m-none-eabi/release/{vectors,digits,lif-embassy}
echo "  built for nucleo-f411re (incl. lif-button), nrf52840-dk (incl. lif-button, lif-embassy),"
echo "  rp-pico (incl. lif-embassy); all with defmt-rtt, linked by flip-link ($((SECONDS - t_boards)) s)"
echo
echo "firmware: all checks passed"
