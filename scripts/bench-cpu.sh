#!/usr/bin/env bash
# CPU backend against the seed's numpy and Numba kernels, side by side in one
# run, plus this machine's ceilings and criterion figures for every op;
# writes docs/bench/cpu.md.
# Creates a Python venv with numpy and numba in target/bench-venv (needs
# python3-venv and network access the first time). About three minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-venv.sh
need_venv "numpy numba" numpy numba
cargo build --release -p sc-host --bin sc
mkdir -p target/bench docs/bench
echo "--- ours (sc bench)"
./target/release/sc bench --threads 1,2 --json target/bench/cpu-ours.json
echo "--- the seed's numpy and Numba kernels"
"$venv/bin/python" scripts/bench_seed.py target/bench/cpu-seed.json 1,2
echo "--- criterion (every op at L2/L3/DRAM sizes)"
rm -rf target/criterion
cargo bench -p sc-host --bench cpu -- --quick
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
python3 scripts/render_cpu_bench.py target/bench/cpu-ours.json target/bench/cpu-seed.json "$machine" target/criterion > docs/bench/cpu.md
echo "wrote docs/bench/cpu.md"
