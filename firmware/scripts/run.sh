#!/usr/bin/env bash
# Cargo runner for the firmware: QEMU for the emulated boards, probe-rs for
# real ones. The board comes from SC_BOARD (as in build.rs), else from the
# target of the ELF's path (thumbv6m -> microbit, thumbv7em -> mps2-an386,
# thumbv8m.main -> mps2-an505, riscv32 -> qemu-riscv-virt).
#   scripts/run.sh ELF
# defmt output is decoded with defmt-print (`cargo install defmt-print --locked`).
# The exit status is the program's (semihosting exit).
# In QEMU, an image with the RTT transport (a board image, or one built with
# SC_TRANSPORT=rtt) is run by scripts/qemu-rtt.py, which reads its RTT
# "defmt" channel through QEMU's gdbstub, as probe-rs does over SWD.
# Extra QEMU arguments (e.g. a TCG plugin) can be given in SC_QEMU_ARGS.
set -uo pipefail
elf="$1"
shift
board="${SC_BOARD:-}"
if [ -z "$board" ]; then
    case "$elf" in
        */thumbv6m-none-eabi/*) board=microbit ;;
        */thumbv7em-none-eabihf/*) board=mps2-an386 ;;
        */thumbv8m.main-none-eabihf/*) board=mps2-an505 ;;
        */riscv32imac-unknown-none-elf/*) board=qemu-riscv-virt ;;
        *) echo "run.sh: cannot tell the board of $elf; set SC_BOARD" >&2; exit 2 ;;
    esac
fi
qemu() {
    local sys="$1"; shift
    command -v "$sys" >/dev/null || { echo "run.sh: $sys not found (apt install qemu-system-arm / qemu-system-misc)" >&2; exit 2; }
    command -v defmt-print >/dev/null || { echo "run.sh: defmt-print not found (cargo install defmt-print --locked)" >&2; exit 2; }
    local rtt=()
    if grep -q _SEGGER_RTT "$elf"; then
        command -v python3 >/dev/null || { echo "run.sh: python3 not found (needed to read RTT in QEMU)" >&2; exit 2; }
        rtt=(python3 "$(dirname "$0")/qemu-rtt.py" "$elf")
    fi
    # shellcheck disable=SC2086
    timeout "${SC_QEMU_TIMEOUT:-600}" "${rtt[@]}" "$sys" "$@" -nographic -monitor none -serial none \
        -semihosting-config enable=on,target=native ${SC_QEMU_ARGS:-} -kernel "$elf" \
        | defmt-print -e "$elf"
    local st=("${PIPESTATUS[@]}")
    [ "${st[0]}" -eq 124 ] && echo "run.sh: QEMU timed out" >&2
    [ "${st[0]}" -ne 0 ] && exit "${st[0]}"
    exit "${st[1]}"
}
probe() {
    command -v probe-rs >/dev/null || {
        echo "run.sh: probe-rs not found; install it (about 9 minutes to build):" >&2
        echo "    cargo install probe-rs-tools --locked --version 0.32.0" >&2
        echo "  (or see firmware/scripts/probe-rs-check.sh, which also checks the boards' chips)" >&2
        exit 2
    }
    exec probe-rs run --chip "$1" "$elf"
}
case "$board" in
    microbit) qemu qemu-system-arm -machine microbit -cpu cortex-m0 ;;
    mps2-an386) qemu qemu-system-arm -machine mps2-an386 -cpu cortex-m4 ;;
    mps2-an505) qemu qemu-system-arm -machine mps2-an505 -cpu cortex-m33 ;;
    qemu-riscv-virt) qemu qemu-system-riscv32 -machine virt -bios none ;;
    nucleo-f411re) probe STM32F411RETx ;;
    nrf52840-dk) probe nRF52840_xxAA ;;
    rp-pico) probe RP2040 ;;
    *) echo "run.sh: unknown board $board" >&2; exit 2 ;;
esac
