#!/usr/bin/env python3
"""Render target/bench/sim.jsonl (from scripts/bench-sim.sh) as Markdown.

Usage: render_sim_bench.py SIM.jsonl MACHINE VERSIONS STEPS
Lines from `sc bench --sim` have `path_name` (counting | bitstream); lines
from bench_sim_seed.py have `impl` (seed_numba | jax_forward_pass).
"""

import json
import sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
machine, versions, steps = sys.argv[2], sys.argv[3], sys.argv[4]


def impl(r):
    return r.get("path_name") or r["impl"]


def find(name, dims, length, batch, threads):
    for r in rows:
        if impl(r) == name and r["dims"] == dims and r["len"] == length and r["batch"] == batch and r["threads"] == threads:
            return r
    return None


def ms(r):
    if r is None:
        return None
    return r.get("ms_per_step")


def cell(r):
    if r is None:
        return "not run"
    if r.get("skipped"):
        return "skipped: " + r["skipped"]
    return f"{r['ms_per_step']:.3f}"


def ratio(a, b):
    if a is None or b is None:
        return "-"
    return f"{b / a:.1f}x"


print("## Whole-network simulation: the engine against the bitstream path, the seed-style simulation and JAX")
print()
print(f"Produced by `scripts/bench-sim.sh` on {machine}, one run, {versions}. "
      f"A random network of the vectors' kind (`sc bench --sim`: Q16.16, uniform weight magnitudes, "
      f"39% negative, gain 3, Sobol sources), uniform random input probabilities, T = {steps} steps; "
      "milliseconds per time step of the whole batch, median of repeated runs after a warm-up "
      "(the slow paths: one timed run). Building the network (weight streams, weight counts) is not timed. "
      "This network is saturated: nearly every hidden neuron fires at every step, which is the worst case "
      "for the engine's event-driven layers (sparser activity costs it less; the other implementations cost "
      "the same at any activity).")
print()
print("- **engine**: `sc_host::engine`, the counting form of spec §7.1 (bit-identical to the bitstream path; "
      "tested on every vector and proptest), rayon over samples and over blocks of neurons.")
print("- **kernel bitstream**: the kernel's spec §7 as written (encode, AND + popcount MAC, LIF), "
      "`ScNetwork`, batch 1 (a batch costs that many samples).")
print("- **seed-style**: what a seed user writes today: numpy Bernoulli encoding of the inputs, the seed's "
      "Numba `jit_vec_mac` per layer, the numpy LIF step (serial; batch 1).")
print("- **JAX**: the seed's float `jax_forward_pass` under `jax.jit` on JAX's CPU backend (float rates, "
      "not SC: a reference point for speed only).")
print()
print("The engine on a GPU, beside the CPU engine on the same machine, is the section \"Whole-network "
      "simulation on a GPU\" (`scripts/bench-sim-gpu.sh`; this machine has no GPU).")
print()
shapes = []
for r in rows:
    if r["dims"] not in shapes:
        shapes.append(r["dims"])
for dims in shapes:
    syn = next(r["synapses"] for r in rows if r["dims"] == dims)
    print(f"### {' -> '.join(map(str, dims))} ({syn / 1e6:.1f} M synapses)")
    print()
    print("| L | batch | cores | kernel bitstream | seed-style | JAX jit | **engine** | engine vs kernel | vs seed-style | vs JAX | engine synaptic events/s | engine bytes/synapse |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    lens = sorted({r["len"] for r in rows if r["dims"] == dims})
    for length in lens:
        for batch in (1, 64):
            for threads in (1, 2):
                e = find("counting", dims, length, batch, threads)
                if e is None:
                    continue
                k = find("bitstream", dims, length, 1, threads) if batch == 1 else None
                sd = find("seed_numba", dims, length, 1, 1) if batch == 1 and threads == 1 else None
                j = find("jax_forward_pass", dims, length, batch, threads)
                ev = e.get("events_per_s")
                print(f"| {length} | {batch} | {threads} | {cell(k) if batch == 1 else '-'} | "
                      f"{cell(sd) if batch == 1 and threads == 1 else '-'} | {cell(j)} | **{cell(e)}** | "
                      f"{ratio(ms(e), ms(k))} | {ratio(ms(e), ms(sd))} | {ratio(ms(e), ms(j))} | "
                      f"{ev / 1e9:.2f} G | {e['bytes_per_synapse']:.2f} |")
    act = next((r for r in rows if r["dims"] == dims and r.get("spikes_per_step")), None)
    if act:
        print()
        print("Spikes per step of each layer (sample 0): " + ", ".join(f"{s:.1f}" for s in act["spikes_per_step"]) +
              f". Bitstream weight streams: {next(r['bytes_per_synapse'] for r in rows if r['dims'] == dims and impl(r) == 'bitstream'):.0f} bytes/synapse at the largest L shown.")
    print()

# Targets of the simulation-engine issue.
print("### Against the targets")
print()
for dims in shapes:
    for length, want in ((256, 300), (1024, 1000)):
        e, k = find("counting", dims, length, 1, 1), find("bitstream", dims, length, 1, 1)
        if e and k and ms(k):
            print(f"- {dims}, L = {length}, 1 core: engine {ms(k) / ms(e):.0f}x the kernel bitstream path (target {want}x).")
        e, sd = find("counting", dims, length, 1, 1), find("seed_numba", dims, length, 1, 1)
        if e and sd and ms(sd):
            print(f"- {dims}, L = {length}, 1 core: engine {ms(sd) / ms(e):.0f}x the seed-style simulation (target 10x).")
        j = find("jax_forward_pass", dims, length, 1, 1)
        if e and j:
            print(f"- {dims}, L = {length}, batch 1, 1 core: engine {ms(e):.3f} ms per step, JAX jit {ms(j):.3f} ms "
                  f"(target: no slower; {'met' if ms(e) <= ms(j) else 'not met'}).")
        e2 = find("counting", dims, length, 64, 2)
        e1 = find("counting", dims, length, 64, 1)
        if e1 and e2:
            print(f"- {dims}, L = {length}, batch 64: 2 cores {ms(e1) / ms(e2):.2f}x one core (target 1.8x).")
    e = find("counting", dims, 256, 1, 1)
    if e:
        print(f"- {dims}: {e['bytes_per_synapse']:.2f} bytes per synapse (target at most 4).")
