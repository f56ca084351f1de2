#!/usr/bin/env bash
# Checks the real boards against probe-rs's chip database:
#  - installs probe-rs-tools at a pinned version (into target/probe-rs/, not
#    on the PATH; the build directory is deleted afterwards), unless that
#    version is there already;
#  - for each board: the chip name that scripts/run.sh passes to
#    `probe-rs run --chip` is known to `probe-rs chip info`, its core is the
#    architecture of the board's Rust target, and every region of
#    memory/<board>.x lies inside a chip region of the same kind (FLASH and
#    BOOT2 in NVM, RAM in RAM), equal to it where the board uses all of it.
# Not in CI: building probe-rs-tools took 76 minutes on the project's
# 2-core machine shared with other builds (the time is printed); the check
# itself takes a second.
#   scripts/probe-rs-check.sh            # PROBE_RS=/path/to/probe-rs to use an installed one
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.32.0
# board, chip, core (probe-rs's core type), whole: the board uses the
# chip's whole flash and RAM region (else: inside it; the Pico's 2 MiB
# flash sits in the RP2040's 16 MiB XIP window, its RAM in SRAM0-5).
BOARDS="nucleo-f411re:STM32F411RETx:Armv7em:whole nrf52840-dk:nRF52840_xxAA:Armv7em:whole rp-pico:RP2040:Armv6m:inside"

probe=${PROBE_RS:-}
if [ -z "$probe" ]; then
    root=$PWD/target/probe-rs
    probe=$root/bin/probe-rs
    if ! { [ -x "$probe" ] && "$probe" --version | grep -q " $VERSION"; }; then
        tc=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' ../rust-toolchain.toml)
        t0=$SECONDS
        # From outside firmware/: its .cargo/config.toml builds for the MCU.
        (cd / && cargo +"$tc" install probe-rs-tools --locked --version "$VERSION" \
            --root "$root" --target-dir "$root/build")
        rm -rf "$root/build"
        echo "built probe-rs-tools $VERSION in $((SECONDS - t0)) s"
    fi
fi
"$probe" --version

fail=0
for spec in $BOARDS; do
    IFS=: read -r board chip core whole <<<"$spec"
    echo
    echo "== $board: $chip"
    if ! grep -q "^    $board) probe $chip ;;" scripts/run.sh; then
        echo "FAIL: scripts/run.sh does not run $board with --chip $chip"; fail=1
    fi
    if ! info=$("$probe" chip info "$chip" 2>&1); then
        echo "$info"; echo "FAIL: probe-rs does not know $chip"; fail=1; continue
    fi
    echo "$info" | sed 's/^/  | /'
    python3 - "$board" "$core" "$whole" "memory/$board.x" "$info" <<'PY' || fail=1
import re, sys
board, core, whole, path, info = sys.argv[1:6]
ok = True
cores = re.findall(r"^\s+- \S+ \((\w+)\)$", info, re.M)
if cores != [core] * len(cores) or not cores:
    print(f"FAIL: cores {cores}, the board's target needs {core}")
    ok = False
chip = [(k, int(a, 16), int(b, 16)) for k, a, b in
        re.findall(r"^(RAM|NVM|Generic): (0x[0-9a-f]+)\.\.(0x[0-9a-f]+)", info, re.M)]

def value(expr):
    expr = re.sub(r"(\d+)\s*K\b", r"(\1*1024)", expr)
    expr = re.sub(r"(\d+)\s*M\b", r"(\1*1024*1024)", expr)
    if not re.fullmatch(r"[0-9a-fA-Fx()*+\- ]+", expr):
        raise SystemExit(f"FAIL: {path}: cannot read {expr!r}")
    return eval(expr)

text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
mem = re.search(r"MEMORY\s*\{(.*?)\}", text, re.S)
regions = re.findall(r"(\w+)\s*:\s*ORIGIN\s*=\s*([^,]+),\s*LENGTH\s*=\s*([^\n]+)", mem.group(1))
if not regions:
    print(f"FAIL: {path}: no MEMORY regions")
    ok = False
for name, o, l in regions:
    start, length = value(o), value(l)
    end = start + length
    kind = "RAM" if name == "RAM" else "NVM"
    inside = [(a, b) for k, a, b in chip if k == kind and a <= start and end <= b]
    size = f"{length // 1024} KiB" if length % 1024 == 0 else f"{length} B"
    where = f"{path} {name} {start:#010x}..{end:#010x} ({size})"
    if not inside:
        print(f"FAIL: {where} is in no {kind} region of the chip")
        ok = False
    elif whole == "whole" and (start, end) not in inside:
        a, b = inside[0]
        print(f"FAIL: {where} is not the whole {kind} region {a:#010x}..{b:#010x}")
        ok = False
    else:
        a, b = inside[0]
        how = "equals" if (start, end) == (a, b) else "lies in"
        print(f"ok: {where} {how} {kind} {a:#010x}..{b:#010x}")
sys.exit(0 if ok else 1)
PY
done
echo
if [ "$fail" -ne 0 ]; then
    echo "probe-rs check: FAILED"
    exit 1
fi
echo "probe-rs check: every board's chip name, core and memory map agree with probe-rs $VERSION"
