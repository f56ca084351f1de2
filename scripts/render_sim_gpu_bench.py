"""Render docs/bench/sim-gpu.md from the JSON lines of scripts/bench-sim-gpu.sh.

Each line is one `sc bench --sim` timing: `path_name` is `counting` (the CPU
engine) or `gpu` (the engine's counting form on the GPU backend, with its
`adapter`, or null on the CPU fallback).
    python3 render_sim_gpu_bench.py LINES.jsonl "MACHINE" STEPS
"""

import json
import sys

lines, machine, steps = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [json.loads(l) for l in open(lines) if l.strip()]
adapters = sorted({r["adapter"] for r in rows if r["path_name"] == "gpu" and r["adapter"]})
adapter = ", ".join(adapters) if adapters else "none (the GPU rows ran on the CPU fallback)"
cpu_like = not adapters or any(k in a for a in adapters for k in ("llvmpipe", "lavapipe"))


def ms(r):
    return r["ms_per_step"]


def giga(x):
    return f"{x / 1e9:.1f} G" if x is not None else "-"


by = {}
for r in rows:
    by[(tuple(r["dims"]), r["len"], r["batch"], r["path_name"])] = r
shapes = sorted({(tuple(r["dims"]), r["len"]) for r in rows}, key=lambda s: (sum(a * b for a, b in zip(s[0], s[0][1:])), s[1]))
print("## Whole-network simulation on a GPU")
print()
print(f"Produced by `scripts/bench-sim-gpu.sh` on {machine}; GPU adapter: **{adapter}**. "
      f"The network of the simulation section (`sc bench --sim`: Q16.16, Sobol sources, saturated activity), "
      f"T = {steps} steps; milliseconds per time step of the whole batch, median of repeated runs after a warm-up, "
      "uploading the inputs and downloading the counts included; preparing the network (weight counts, built once on the "
      "host and uploaded by the warm-up run) is not timed. Both columns come from the same run on the same machine.")
print()
print("- **CPU engine**: `sc_host::engine` (the counting form of spec §7.1) on all of this machine's cores.")
print("- **GPU engine**: `GpuBackend::prepare(..).run_batch` (`GpuNetwork`), the same counting form with every step on the device: "
      "one submission per step (layer 0's prefix tables; then per layer `net_sum`, blocks of 64 neurons x 128 inputs "
      "x 8 samples per weight read, and `net_fire`, the currents and the LIF step; sc.wgsl), the host waiting only "
      "at the end. Bit-identical to the CPU engine (the vectors and the tests check it on every adapter they find).")
if cpu_like:
    print()
    print("This adapter runs shaders on the CPU (or there was none): these figures show that the GPU path runs, "
          "not GPU speed.")
print()
print("| network | L | batch | CPU engine | GPU engine | GPU vs CPU | GPU synaptic events/s | GPU bytes/synapse |")
print("|---|---|---|---|---|---|---|---|")
for dims, length in shapes:
    syn = sum(a * b for a, b in zip(dims, dims[1:]))
    name = " -> ".join(map(str, dims)) + f" ({syn / 1e6:.1f} M synapses)"
    for batch in sorted({r["batch"] for r in rows if tuple(r["dims"]) == dims and r["len"] == length}):
        c = by.get((dims, length, batch, "counting"))
        g = by.get((dims, length, batch, "gpu"))
        cs = f"{ms(c):.3f} ms" if c and c["ms_per_step"] else "-"
        gs = f"**{ms(g):.3f} ms**" if g and g["ms_per_step"] else "-"
        ratio = f"{ms(c) / ms(g):.1f}x" if c and g and c["ms_per_step"] and g["ms_per_step"] else "-"
        ev = giga(g["events_per_s"]) if g else "-"
        bps = f"{g['bytes_per_synapse']:.2f}" if g else "-"
        print(f"| {name} | {length} | {batch} | {cs} | {gs} | {ratio} | {ev} | {bps} |")
print()
print("The GPU engine keeps every weight count as an `i32` (4 bytes per synapse); the CPU engine's narrower "
      "counts are in the simulation section. At batch 1 a step is a handful of small dispatches, so the "
      "figure is mostly launch latency. Per synapse and sample, layer 0 gathers one 8-byte (count, mask) pair "
      "of a prefix table and a layer k >= 1 adds one weight per spike; the CPU engine's figures come from all "
      "of this machine's cores, whose speed varies from run to run on a shared machine.")
