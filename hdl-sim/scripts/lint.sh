#!/usr/bin/env bash
# verilator --lint-only -Wall on every RTL module (each as the top) and on the
# Rust-driven wrapper. Fails on any warning.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v verilator >/dev/null || { echo "error: verilator not installed (apt-get install verilator)" >&2; exit 1; }
status=0
for f in rtl/*.v; do
    top=$(basename "$f" .v)
    if ! out=$(verilator --lint-only -Wall -Irtl --top-module "$top" rtl/*.v 2>&1) || [ -n "$out" ]; then
        echo "$out"; status=1
    fi
done
# The wrapper leaves some layer outputs unread by design (read through selects).
verilator --lint-only -Wall -Wno-UNUSEDSIGNAL -Irtl --top-module sc_hw_top tb/sc_hw_top.v tb/sc_lif_steps.v rtl/*.v || status=1
[ $status -eq 0 ] && echo "verilator --lint-only -Wall: clean ($(ls rtl/*.v | wc -l) modules)"
exit $status
