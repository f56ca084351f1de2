#!/usr/bin/env bash
# The float SNN against the seed's JAX functions on the CPU: forward time
# (one batch) and epoch time (samples / batch gradient steps) of the
# seed's jax_forward_pass and jax_surrogate_gradient_step, in Rust
# (sc_host::snn::seed, `sc bench --snn`) and in JAX under jax.jit
# (scripts/bench_snn_seed.py, written from ../shared/seed/), at the same
# widths, steps, batch sizes and thread counts; the project's own batched
# network (snn::batch, Adam) beside them. Writes docs/bench/snn.md. Uses
# the venv of bench-sim.sh (target/bench-venv: numpy, jax[cpu]; created
# with network access the first time), or $SC_BENCH_VENV. A few minutes.
#   scripts/bench-snn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-venv.sh
need_venv "numpy jax" numpy "jax[cpu]"
cargo build -q --release -p sc-host --bin sc
mkdir -p target/bench docs/bench
out=target/bench/snn.jsonl
: >"$out"
dims=784,256,10
steps=25
samples=1024
for batch in 64 256; do
    echo "--- $dims, $steps steps, batch $batch"
    ./target/release/sc bench --snn --dims $dims --steps $steps --batch $batch --samples $samples \
        --threads 1,2 --reps 5 >>"$out"
    for threads in 1 2; do
        XLA_FLAGS="--xla_force_host_platform_device_count=1 --xla_cpu_multi_thread_eigen=$([ "$threads" = 1 ] && echo false || echo true) intra_op_parallelism_threads=$threads" \
            "$venv/bin/python" scripts/bench_snn_seed.py "$out" $dims $steps $batch $samples $threads 5
    done
done
machine="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
versions=$("$venv/bin/python" -c 'import numpy, jax; print(f"numpy {numpy.__version__}, JAX {jax.__version__}")')
load=$(cut -d' ' -f1 /proc/loadavg)
python3 - "$out" "$machine" "$versions" "$load" >docs/bench/snn.md <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
machine, versions, load = sys.argv[2], sys.argv[3], sys.argv[4]
r0 = rows[0]
print("## Float SNN: the seed's JAX functions against Rust (CPU)")
print()
print(f"`scripts/bench-snn.sh` on {machine}; {versions}. Widths {r0['dims']}, "
      f"{r0['steps']} steps, an epoch = {r0['samples']} samples. Forward: one "
      "batch through `jax_forward_pass` (seed semantics: mean rates between layers). "
      "Epoch: `samples / batch` calls of `jax_surrogate_gradient_step` (custom_vjp, SGD). "
      "Rust: `sc_host::snn::seed` (f32, rayon) via `sc bench --snn`; JAX: "
      "`scripts/bench_snn_seed.py` under `jax.jit`, compile time excluded. The project's "
      "own network (`snn::batch`: spikes between layers step by step, a bias input, "
      "Adam) is timed beside them. Medians; nothing here is a test.")
print()
print("| figure | batch | threads | JAX | Rust | JAX / Rust |")
print("|---|---:|---:|---:|---:|---:|")
def ms(s): return f"{s * 1e3:.2f} ms" if s < 1 else f"{s:.2f} s"
key = lambda r: (r["what"], r["batch"], r["threads"])
jax = {key(r): r["median_s"] for r in rows if r["impl"] == "jax"}
for r in rows:
    if r["impl"] != "rust":
        continue
    j = jax.get(key(r))
    ratio = f"{j / r['median_s']:.1f}x" if j else "-"
    print(f"| {r['what']} | {r['batch']} | {r['threads']} | {ms(j) if j else '-'} | "
          f"{ms(r['median_s'])} | {ratio} |")
print()
print(f"Load average at the end of the run: {load} (other jobs share the cores, so the "
      "2-thread figures are noisy). The Rust matrix products (`gemm_nt`: `dot` with 8 partial "
      "sums, 4 samples per weight row; `outer_acc` for the weight gradients) run at the CPU's "
      "widest SIMD level (AVX-512 F or AVX2: the portable code's sums, no fused multiply-add, "
      "the same bits at every level); the neuron steps between them are compiled for the "
      "baseline target. XLA's CPU code fuses the steps and uses fused multiply-adds and "
      "tuned GEMM tiling, which is most of the remaining gap.")
PY
echo "wrote docs/bench/snn.md"
