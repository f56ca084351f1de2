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
} > docs/bench/hdl.md
cat docs/bench/hdl.md
