#!/usr/bin/env bash
# Resource and timing figures for the RTL: yosys synth_ice40 LUT/FF counts of
# the bare modules, nextpnr-ice40 Fmax on an iCE40 UP5K (pin-limited
# wrappers), and generic `synth` cell counts. Writes docs/bench/hdl.md.
#   hdl-sim/scripts/synth.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in yosys nextpnr-ice40; do
    command -v "$tool" >/dev/null || { echo "error: $tool not installed (apt-get install yosys nextpnr-ice40 fpga-icestorm)" >&2; exit 1; }
done
B=hdl-sim/build/synth
mkdir -p "$B" docs/bench
RTL="hdl-sim/rtl/*.v"

# name | top | chparams | wrapper top (for Fmax) | wrapper params
DESIGNS=(
  "SC neuron, 64 inputs (sc_neuron N=64, 32-bit acc)|sc_neuron|-set N 64 -set AW 32|wrap_neuron|"
  "LIF neuron Q16.16 (sc_lif W=32 F=16)|sc_lif|-set W 32 -set F 16|wrap_lif|-set W 32 -set F 16"
  "LIF neuron Q8.8 (sc_lif W=16 F=8)|sc_lif|-set W 16 -set F 8|wrap_lif|-set W 16 -set F 8"
  "LFSR-16 (sc_lfsr)|sc_lfsr|-set WIDTH 16|-|"
  "Sobol, 16 dimensions (sc_sobol)|sc_sobol||-|"
  "Layer 8x4, Q16.16, L=64 (sc_layer)|sc_layer|-set N 8 -set M 4 -set W 32 -set F 16 -set LOG2L 6|-|"
)

stat() { # $1 = log, $2 = cell regex -> sum of counts
    awk -v re="$2" '$1 ~ /^SB_|^\$_/ && $1 ~ re { s += $2 } END { print s + 0 }' "$1"
}

# The network core (rtl/sc_net.v, default parameters: the digits model's
# sizes, Q16.16) on the UP5K: resources of the bare module, Fmax and
# utilisation of wrap_net after place and route, and the cycles of one
# digits inference (Icarus, tb/tb_net_cycles.v, the shipped model and the
# first test image as exported in firmware/data).
net_core() {
    command -v iverilog >/dev/null || { echo "error: iverilog not installed" >&2; exit 1; }
    yosys -q -p "read_verilog -Ihdl-sim/rtl $RTL; synth_ice40 -dsp -spram -top sc_net; tee -q -o $B/net.ice40.log stat" >/dev/null
    yosys -q -p "read_verilog -Ihdl-sim/rtl $RTL hdl-sim/synth/fmax_wrap.v; synth_ice40 -dsp -spram -top wrap_net -json $B/net.json" >/dev/null
    nextpnr-ice40 --up5k --package sg48 --json "$B/net.json" --freq 12 --seed 1 --timing-allow-fail \
        --log "$B/net.pnr.log" --quiet >/dev/null 2>&1 || { cat "$B/net.pnr.log" >&2; echo "error: nextpnr-ice40 failed on sc_net" >&2; exit 1; }
    local lut ff carry dsp ebr spram fmax lc
    lut=$(stat "$B/net.ice40.log" '^SB_LUT4$'); ff=$(stat "$B/net.ice40.log" '^SB_DFF')
    carry=$(stat "$B/net.ice40.log" '^SB_CARRY$'); dsp=$(stat "$B/net.ice40.log" '^SB_MAC16$')
    ebr=$(stat "$B/net.ice40.log" '^SB_RAM40_4K$'); spram=$(stat "$B/net.ice40.log" '^SB_SPRAM256KA$')
    fmax=$(grep -o "Max frequency for clock[^:]*: [0-9.]* MHz" "$B/net.pnr.log" | tail -1 | grep -o '[0-9.]* MHz' | cut -d' ' -f1)
    lc=$(grep -o "ICESTORM_LC: *[0-9]*/ *[0-9]*" "$B/net.pnr.log" | tail -1 | sed 's/ICESTORM_LC: *//; s/ //g')
    [ -n "$fmax" ] && [ -n "$lc" ] || { echo "error: no Fmax/utilisation in $B/net.pnr.log" >&2; exit 1; }
    python3 - "$B" <<'PY'
import struct, sys
b = sys.argv[1]
def words(p):
    d = open(p, "rb").read()
    return struct.unpack("<%dI" % (len(d) // 4), d)
m = words("firmware/data/digits-model.bin")
s = words("firmware/data/digits-samples.bin")
open(b + "/net-model.memh", "w").write("".join("%08x\n" % x for x in m[2:]))
n = s[2]
open(b + "/net-inputs.memh", "w").write("".join("%08x\n" % x for x in s[5:5 + n]))
open(b + "/net-args", "w").write("+NMODEL=%d +NINPUTS=%d +STEPS=%d" % (len(m) - 2, n, m[-1]))
PY
    iverilog -g2005 -Wall -I hdl-sim/tb -I hdl-sim/rtl -o "$B/net_cycles.vvp" hdl-sim/tb/tb_net_cycles.v $RTL
    local out prep run
    # shellcheck disable=SC2046
    out=$(vvp -n "$B/net_cycles.vvp" +MODEL="$B/net-model.memh" +INPUTS="$B/net-inputs.memh" $(cat "$B/net-args"))
    prep=$(echo "$out" | sed -n 's/^prep \([0-9]*\) run.*/\1/p'); run=$(echo "$out" | sed -n 's/.* run \([0-9]*\) class.*/\1/p')
    [ -n "$run" ] || { echo "$out" >&2; echo "error: no cycle count from tb_net_cycles" >&2; exit 1; }
    local ips
    ips=$(awk -v f="$fmax" -v c="$run" 'BEGIN { printf "%.1f", f * 1e6 / c }')
    echo "### The digits network on an iCE40 UP5K (\`sc_net\`)"
    echo
    echo "The network core (\`hdl-sim/rtl/sc_net.v\`, counting form of spec 7.1, one LIF datapath shared by all"
    echo "neurons) with the digits model's sizes: 65 -> 64 -> 10, Q16.16, L = 256, 16 steps, Sobol. Resources:"
    echo "\`synth_ice40 -dsp -spram\` of the bare module. Fmax and logic cells: nextpnr-ice40 (UP5K, sg48) of"
    echo "\`wrap_net\` (\`hdl-sim/synth/fmax_wrap.v\`). Cycles: \`tb/tb_net_cycles.v\` under Icarus on the shipped model"
    echo "and the first test image (the count does not depend on the data); bit-exactness on all 359 test images is"
    echo "\`hdl-sim/tests/digits.rs\`. The UP5K has 5280 logic cells, 30 EBR, 4 SPRAM and 8 DSP."
    echo
    echo "| design | logic cells (P&R) | LUT4 | FF | carry | EBR (4 kbit) | SPRAM (256 kbit) | SB_MAC16 | Fmax (MHz) | cycles per inference | inferences/s at Fmax | model preparation (cycles, once per load) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| sc_net, digits 65-64-10, Q16.16, L = 256, T = 16 | $lc | $lut | $ff | $carry | $ebr | $spram | $dsp | $fmax | $run | $ips | $prep |"
    echo "| Spiker+ (anchor: an MNIST SNN on an FPGA, published figure) | 7,612 | - | - | - | - | - | - | - | - | - | - |"
    echo
    echo "Spiker+ runs a larger network (MNIST, 784 inputs) on another FPGA family; its row is the anchor of the"
    echo "comparison, not a like-for-like measurement: both figures are logic cells of the whole classifier."
    echo
    if command -v nextpnr-ecp5 >/dev/null; then
        echo "nextpnr-ecp5 is installed but this script does not target ECP5 yet."
    else
        echo "ECP5: not run; Debian 12 ships no nextpnr-ecp5 package (\`apt-cache policy nextpnr-ecp5\`: no candidate)."
    fi
    echo
}

{
echo "## RTL on FPGA (hdl-sim)"
echo
echo "Produced by \`hdl-sim/scripts/synth.sh\` with $(yosys -V | head -1 | cut -d' ' -f1-2) and $(nextpnr-ice40 --version 2>&1 | head -1)."
echo "LUT/FF/DSP: \`synth_ice40 -dsp\` of the bare module. Fmax: nextpnr-ice40 on an iCE40 UP5K (sg48) of a"
echo "pin-limited wrapper (serial shift chain in, XOR-reduced out; \`hdl-sim/synth/fmax_wrap.v\`), so it includes the"
echo "chain's registers. Generic: yosys \`synth\` internal cells (gates + flip-flops)."
echo
echo "| design | iCE40 LUT4 | iCE40 FF | SB_MAC16 | carry | UP5K Fmax (MHz) | generic cells |"
echo "|---|---|---|---|---|---|---|"
for d in "${DESIGNS[@]}"; do
    IFS='|' read -r name top params wtop wparams <<<"$d"
    tag=$(echo "$top $params" | tr -c 'A-Za-z0-9' '_')
    # `tee -o` keeps exactly one stat report per file.
    yosys -q -p "read_verilog -Ihdl-sim/rtl $RTL; chparam $params $top; synth_ice40 -dsp -top $top; tee -q -o $B/$tag.ice40.log stat" >/dev/null
    yosys -q -p "read_verilog -Ihdl-sim/rtl $RTL; chparam $params $top; synth -top $top; tee -q -o $B/$tag.gen.log stat" >/dev/null
    lut=$(stat "$B/$tag.ice40.log" '^SB_LUT4$')
    ff=$(stat "$B/$tag.ice40.log" '^SB_DFF')
    dsp=$(stat "$B/$tag.ice40.log" '^SB_MAC16$')
    carry=$(stat "$B/$tag.ice40.log" '^SB_CARRY$')
    gen=$(awk '/Number of cells:/ { n = $4 } END { print n + 0 }' "$B/$tag.gen.log")
    fmax="-"
    if [ "$wtop" != "-" ]; then
        chp=""; [ -n "$wparams" ] && chp="chparam $wparams $wtop;"
        yosys -q -p "read_verilog -Ihdl-sim/rtl $RTL hdl-sim/synth/fmax_wrap.v; $chp synth_ice40 -dsp -top $wtop -json $B/$tag.json" >/dev/null
        nextpnr-ice40 --up5k --package sg48 --json "$B/$tag.json" --freq 12 --seed 1 \
            --log "$B/$tag.pnr.log" --quiet >/dev/null 2>&1 || true
        fmax=$(grep -o "Max frequency for clock[^:]*: [0-9.]* MHz" "$B/$tag.pnr.log" | tail -1 | grep -o '[0-9.]* MHz' | cut -d' ' -f1)
        [ -n "$fmax" ] || fmax="P&R failed (see $B/$tag.pnr.log)"
    fi
    echo "| $name | $lut | $ff | $dsp | $carry | $fmax | $gen |"
done
echo
net_core
} > docs/bench/hdl.md
cat docs/bench/hdl.md
