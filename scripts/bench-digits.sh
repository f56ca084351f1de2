#!/usr/bin/env bash
# Digits accuracy against stream length (the main job's table and plot):
# writes docs/bench/digits.md and docs/digits-accuracy.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p docs/bench
cargo build -q --release -p sc-host --bin sc
out=$(mktemp)
target/release/sc digits --plot docs/digits-accuracy.svg --report "$out" | tee "$out.log"
{
    echo "## Digits: accuracy against stream length"
    echo
    echo "Produced by \`scripts/bench-digits.sh\` (\`sc digits\` on the shipped \`models/digits.json\`): test accuracy on"
    echo "$(grep -o 'test accuracy ([0-9]* images' "$out.log" | grep -o '[0-9]* images') (the fixed test split) of the UCI optical digits, 16 steps per image."
    echo "Plot: [digits-accuracy.svg](../digits-accuracy.svg)."
    echo
    cat "$out"
    echo
    grep -E '^(float SNN|SC \+ fixed-point Q16.16 LIF, Sobol)' "$out.log" | sed 's/^/- /'
} > docs/bench/digits.md
rm -f "$out" "$out.log"
