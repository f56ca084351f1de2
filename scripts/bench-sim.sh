#!/usr/bin/env bash
# Whole-network simulation, side by side in one run: the engine's counting
# form (sc bench --sim), the kernel's bitstream path, the seed-style
# simulation (numpy encoding + the seed's Numba jit_vec_mac + numpy LIF)
# and the seed's float jax_forward_pass under jax.jit (the engine on a GPU:
# scripts/bench-sim-gpu.sh); writes
# docs/bench/sim.md. Creates a venv with numpy, numba and jax[cpu] in
# target/bench-venv (network access the first time). About 15 minutes.
#   scripts/bench-sim.sh [--quick]   (--quick: the 784-2048-2048-10 shape only)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-venv.sh
need_venv "numpy numba jax" numpy numba "jax[cpu]"
cargo build -q --release -p sc-host --bin sc
mkdir -p target/bench docs/bench
out=target/bench/sim.jsonl
: >"$out"
shapes="784,2048,2048,10 784,8192,8192,10"
if [ "${1:-}" = --quick ]; then shapes="784,2048,2048,10"; fi
steps=16
for dims in $shapes; do
    for len in 256 1024; do
        echo "--- $dims, L = $len"
        for batch in 1 64; do
            reps=5; [ "$batch" = 64 ] && reps=3
            ./target/release/sc bench --sim --dims "$dims" --len "$len" --steps $steps --batch $batch \
                --threads 1,2 --reps $reps --path counting >>"$out"
        done
        # The slow paths at batch 1 (a batch is that many independent samples).
        ./target/release/sc bench --sim --dims "$dims" --len "$len" --steps $steps --batch 1 \
            --threads 1,2 --reps 1 --path bitstream >>"$out"
        for threads in 1 2; do
            for batch in 1 64; do
                # The seed's jit_vec_mac is serial and has no batch: once.
                if [ "$batch" = 1 ] && [ "$threads" = 1 ]; then seed=all; else seed=jax-only; fi
                NUMBA_NUM_THREADS=$threads \
                XLA_FLAGS="--xla_force_host_platform_device_count=1 --xla_cpu_multi_thread_eigen=$([ "$threads" = 1 ] && echo false || echo true) intra_op_parallelism_threads=$threads" \
                    "$venv/bin/python" scripts/bench_sim_seed.py "$out" "$dims" "$len" $steps $batch $threads $seed >/dev/null
            done
        done
    done
done
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
versions=$("$venv/bin/python" -c 'import numpy, numba, jax; print(f"numpy {numpy.__version__}, Numba {numba.__version__}, JAX {jax.__version__}")')
python3 scripts/render_sim_bench.py "$out" "$machine" "$versions" $steps >docs/bench/sim.md
echo "wrote docs/bench/sim.md"
