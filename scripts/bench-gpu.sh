#!/usr/bin/env bash
# GPU backend figures, side by side with the CPU backend in one run; writes
# docs/bench/gpu.md. On lavapipe (Mesa's CPU Vulkan driver, the only
# "GPU" of a machine without one) the figures show that the backend runs,
# not GPU speed.
set -euo pipefail
cd "$(dirname "$0")/.."
# SC_BIN=path/to/sc: a prebuilt `sc` (e.g. on a GPU machine without Rust).
. scripts/sc-bin.sh
mkdir -p target/bench docs/bench
"$SC_BIN" bench --gpu --reps 21 --json target/bench/gpu.json 2> >(grep -v XDG_RUNTIME_DIR >&2)
"$SC_BIN" bench --threads "$(nproc)" --reps 21 --json target/bench/gpu-cpu.json >/dev/null
python3 - target/bench/gpu.json target/bench/gpu-cpu.json "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores" >docs/bench/gpu.md <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[2]))
host = sys.argv[3]
t = {x["name"]: x for x in g["timings"]}
ct = {x["name"]: x for x in c["timings"]}
adapter = g["adapter"]
cpu_like = "llvmpipe" in adapter or "lavapipe" in adapter or "fallback" in adapter
print("## GPU backend (wgpu)")
print()
print(f"Produced by `scripts/bench-gpu.sh` (`sc bench --gpu`, then `sc bench` on the CPU in the same run) on {host}; "
      f"adapter: **{adapter}**. Each GPU timing includes uploading the call's inputs and downloading its results; "
      "the weights stay on the device.")
if cpu_like:
    print()
    print("This adapter is Mesa's lavapipe, a Vulkan driver that runs shaders on the CPU: CI uses it to check that the "
          "GPU backend reproduces the vectors and the CPU backend bit for bit. These figures are not GPU performance; "
          "no GPU was available to this run.")
print()
print("| operation | GPU backend | CPU backend (all cores) | GPU memory floor | GPU vs floor |")
print("|---|---|---|---|---|")
bw = None
if "gpu_copy_256mib" in t:
    x = t["gpu_copy_256mib"]
    bw = x["bytes"] / x["median_s"]
rows = [("dense MAC 128 x 784 x 1024", "gpu_mac_seed", "mac_seed"),
        ("batched MAC, 32 samples", "gpu_mac_batch32", "mac_batch32"),
        ("pack 784 x 1024 bits", "gpu_pack_inputs", "pack_inputs"),
        ("LIF Q16.16, 65536 neurons x 100 steps (one dispatch)", "gpu_lif_65536x100_steps", None)]
threads = max(x["threads"] for x in c["timings"])
for label, gk, ck in rows:
    if gk not in t:
        continue
    gt = t[gk]["median_s"]
    cs = f"{ct[ck]['median_s'] * 1e3:.3f} ms" if ck and ck in ct and ct[ck]["threads"] == threads else "-"
    if ck and ck in ct:
        cs = next((f"{x['median_s'] * 1e3:.3f} ms" for x in c["timings"] if x["name"] == ck and x["threads"] == threads), "-")
    floor = t[gk]["bytes"] / bw if bw else None
    fs = f"{floor * 1e3:.3f} ms" if floor else "-"
    frac = f"{100 * floor / gt:.0f}%" if floor else "-"
    print(f"| {label} | {gt * 1e3:.3f} ms | {cs} | {fs} | {frac} |")
if bw:
    print()
    print(f"Device copy bandwidth (256 MiB buffer to buffer, read + write): {bw / 1e9:.1f} GB/s; the floor of an "
          "operation is the bytes it must read divided by it. The copy is timed like the operations, with its "
          "submission and wait, so on a fast device the rate is below the memory's and the floor above it.")
PY
echo "wrote docs/bench/gpu.md"
