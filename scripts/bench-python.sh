#!/usr/bin/env bash
# The seed's functions through sc_neuro, side by side in one run with the
# seed's numpy versions, the seed's Numba kernels (jit_pack_bits,
# jit_vec_mac) and the Rust API the binding calls
# (host/examples/bench_python_ops.rs), at the seed's shapes; writes
# docs/bench/python.md (JSON in target/bench/python-*.json; SC_BENCH_ROUNDS
# alternating rounds, 3 by default). Builds the
# package into target/bench-venv (numpy, numba, maturin; the venv of
# scripts/bench-sim.sh, not CI's target/py-venv; network access the first
# time). A few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
# The gpu_* rows are the seed's CPU fallback (the package's GPU path on a
# software adapter such as lavapipe would time the emulator):
# SC_NEURO_GPU=1 scripts/bench-python.sh measures the adapter instead.
export SC_NEURO_GPU=${SC_NEURO_GPU:-0}
. scripts/bench-venv.sh
need_venv "numpy numba maturin" numpy numba "maturin>=1.5,<2"
PATH="$PWD/$venv/bin:$PATH" "$venv/bin/pip" install --quiet --no-build-isolation ./python
# The Rust side, built as the package builds sc-host: without the GPU feature.
cargo build -q --release -p sc-host --no-default-features --example bench_python_ops
mkdir -p target/bench docs/bench
load=$(cut -d' ' -f1 /proc/loadavg)
# Rounds of the Rust side and the Python side alternate, and each time is
# the median over the rounds: this machine's speed drifts within minutes.
rounds=${SC_BENCH_ROUNDS:-3}
rows="" rust=""
for r in $(seq "$rounds"); do
    echo "round $r of $rounds" >&2
    ./target/release/examples/bench_python_ops 7 >"target/bench/python-rust-$r.json"
    "$venv/bin/python" scripts/bench_python.py "target/bench/python-$r.json" "target/bench/python-rust-$r.json"
    rows="$rows${rows:+,}target/bench/python-$r.json" rust="$rust${rust:+,}target/bench/python-rust-$r.json"
done
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores (1-minute load average $load at the start)"
versions=$("$venv/bin/python" -c 'import sys, numpy, numba; print(f"Python {sys.version.split()[0]}, numpy {numpy.__version__}, Numba {numba.__version__}")')
"$venv/bin/python" scripts/render_python_bench.py "$rows" "$rust" \
    "$machine" "$versions, $(rustc --version | cut -d' ' -f1-2)" >docs/bench/python.md
echo "wrote docs/bench/python.md"
