#!/usr/bin/env bash
# Check the RTL against the shared vectors with Icarus Verilog and Verilator
# (the network records on the network core sc_net), and check that a
# corrupted vector, a LIF one and a network one, makes the testbench fail.
#   hdl-sim/scripts/run-vectors.sh [VECTOR.json ...]   (default: tests/vectors/*.json)
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in iverilog vvp verilator; do
    command -v "$tool" >/dev/null || { echo "error: $tool not installed (apt-get install iverilog verilator)" >&2; exit 1; }
done
BUILD=hdl-sim/build
mkdir -p "$BUILD"
cargo build -q --release -p sc-host --bin sc
SC=target/release/sc
if [ $# -eq 0 ]; then set -- tests/vectors/*.json; fi
$SC vectors export --format memh --out "$BUILD/vectors.memh" "$@"
NWORDS=$(grep -vc '^//' "$BUILD/vectors.memh")
RTL=(hdl-sim/rtl/*.v)

echo "== Icarus Verilog"
iverilog -g2005 -Wall -I hdl-sim/tb -I hdl-sim/rtl -o "$BUILD/tb_vectors.vvp" hdl-sim/tb/tb_vectors.v hdl-sim/tb/sc_lif_steps.v "${RTL[@]}"
vvp -n "$BUILD/tb_vectors.vvp" +VECTORS="$BUILD/vectors.memh" +NWORDS="$NWORDS"

echo "== Verilator"
verilator --binary --timing -j 2 -Ihdl-sim/tb -Ihdl-sim/rtl --Mdir "$BUILD/vl_tb" --top-module tb_vectors \
    hdl-sim/tb/tb_vectors.v hdl-sim/tb/sc_lif_steps.v "${RTL[@]}" >"$BUILD/verilator-build.log" 2>&1 \
    || { cat "$BUILD/verilator-build.log"; exit 1; }
"$BUILD/vl_tb/Vtb_vectors" +VECTORS="$BUILD/vectors.memh" +NWORDS="$NWORDS"

# A corrupted vector must make both simulators fail at the right place.
# `sc vectors export` refuses a case that does not reproduce its `expect`,
# so the corruption is made in the exported words of the first case of a
# vector file: stdin is Python that edits `w`, the list of those words.
#   must_reject TAG FILE.json WHAT 'MESSAGE' 'WHERE' <<'PY' ... PY
must_reject() {
    local tag=$1 src=$2 what=$3 want=$4 where=$5 edit sim
    edit=$(cat)
    python3 - "$src" "$BUILD/$tag-one.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
f["cases"] = f["cases"][:1]
json.dump(f, open(sys.argv[2], "w"))
PY
    $SC vectors export --format memh --out "$BUILD/$tag-one.memh" "$BUILD/$tag-one.json" >/dev/null
    python3 - "$BUILD/$tag-one.memh" "$BUILD/$tag-bad.memh" "$edit" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
idx = [i for i, l in enumerate(lines) if not l.startswith("//")]
w = [int(lines[i], 16) for i in idx]
exec(sys.argv[3])
for i, x in zip(idx, w):
    lines[i] = "%08x" % x
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
    for sim in "vvp -n $BUILD/tb_vectors.vvp" "$BUILD/vl_tb/Vtb_vectors"; do
        if $sim +VECTORS="$BUILD/$tag-bad.memh" >"$BUILD/$tag-bad.log" 2>&1; then
            cat "$BUILD/$tag-bad.log"; echo "error: ${sim%% *} accepted a corrupted $what" >&2; exit 1
        fi
        grep -q "$want" "$BUILD/$tag-bad.log" || { cat "$BUILD/$tag-bad.log"; exit 1; }
        echo "  ${sim%% *}: rejected it at $where, as it should"
    done
}

echo "== a corrupted vector must fail"
# One membrane value (step 4, neuron 2) of lif.json's first case.
must_reject lif tests/vectors/lif.json vector "lif fmt 0 step 4 neuron 2" "step 4, neuron 2" <<'PY'
assert w[2] == 7, "not a lif record"
# MAGIC, N, KIND, NP, format, 5 params, refractory, neurons, steps, inputs, v...
neurons, steps = w[11], w[12]
at = 13 + steps * neurons + 4 * neurons + 2
w[at] = (w[at] + 1) & 0xFFFFFFFF
PY

echo "== a corrupted network vector must fail"
# One spike of the network core's first case (step 3, layer 0, neuron 0).
must_reject net tests/vectors/network.json "network vector" "network step 3 layer 0 neuron 0" \
    "step 3, layer 0, neuron 0" <<'PY'
assert w[2] == 8, "not a network record"
b = 4                                   # MAGIC, N, KIND, NP, then the payload
nl = w[b + 1]
dims = w[b + 2:b + 3 + nl]
at = b + 2 + nl + 1 + 4
for k in range(nl):
    m, n = dims[k], dims[k + 1]
    at += 7 + n * m + n * ((m + 31) // 32) + 1
rows = sum((n + 31) // 32 for n in dims[1:])
spikes = at + dims[0] + 1               # after inputs_q16 and steps
w[spikes + 3 * rows] ^= 1               # step 3, layer 0, neuron 0
PY
