#!/usr/bin/env bash
# Whole-network simulation on a GPU: the engine's counting form on the GPU
# backend (`sc bench --sim --path gpu`: every step of a batch on the
# device) beside the CPU engine on all of the machine's cores, in one run;
# writes docs/bench/sim-gpu.md. Needs a GPU adapter (on lavapipe, Mesa's
# CPU Vulkan driver, the page says the figures are not GPU speed). Needs
# python3 (standard library only). About 2 minutes on a GPU.
#   scripts/bench-sim-gpu.sh            (builds target/release/sc)
#   SC_BIN=path/to/sc scripts/bench-sim-gpu.sh   (a prebuilt `sc`, e.g. on a
#                                        GPU machine without Rust)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/sc-bin.sh
mkdir -p target/bench docs/bench
out=target/bench/sim-gpu.jsonl
: >"$out"
cores=$(nproc)
steps=16
for dims in 784,2048,2048,10 784,8192,8192,10; do
    for len in 256 1024; do
        for batch in 1 64 1024; do
            reps=7; [ "$batch" = 1024 ] && reps=3
            echo "--- $dims, L = $len, batch $batch" >&2
            for path in counting gpu; do
                "$SC_BIN" bench --sim --dims "$dims" --len "$len" --steps $steps --batch $batch \
                    --threads "$cores" --reps $reps --path $path >>"$out" \
                    2> >(grep -v XDG_RUNTIME_DIR >&2)
            done
        done
    done
done
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $cores cores"
python3 scripts/render_sim_gpu_bench.py "$out" "$machine" $steps >docs/bench/sim-gpu.md
echo "wrote docs/bench/sim-gpu.md" >&2
