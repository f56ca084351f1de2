#!/usr/bin/env python3
"""Render scripts/bench-python.sh's rows as the Markdown of
docs/bench/python.md (stdout).

    render_python_bench.py ROWS.json[,ROWS.json...] RUST.json[,RUST.json...] MACHINE VERSIONS

With several rounds (comma-separated files of scripts/bench_python.py
and of the Rust side, in the same order), each time is the median of the
rounds'.

A target line says "met" or "not met" from the figures of this run; it is
a report, never a test.
"""

import json
import statistics
import sys


def ms(r, k):
    return f"{r[k] * 1e3:.3f}" if k in r else "-"


TIMES = ("sc_neuro_s", "numpy_s", "numba_s", "rust_s")


def merge(rounds):
    """One list of rows: each time the median over `rounds` (lists of rows
    in the same order)."""
    rows = []
    for same in zip(*rounds):
        r = dict(same[0])
        for k in TIMES:
            if k in r:
                r[k] = statistics.median(x[k] for x in same)
        rows.append(r)
    return rows


def main():
    rows_paths, rust_paths, machine, versions = sys.argv[1:5]
    rounds = []
    for path in rows_paths.split(","):
        with open(path) as f:
            rounds.append(json.load(f))
    rows = merge(rounds)
    with open(rust_paths.split(",")[0]) as f:
        rust = json.load(f)
    print("## The seed's functions through `sc_neuro`: against numpy, Numba and the Rust API")
    print()
    n = len(rounds)
    print(f"Produced by `scripts/bench-python.sh` on {machine}, {versions}. Each of the seed's "
          "`accel` functions called through the Python package `sc_neuro` (python/, built with maturin "
          "into the benchmark's venv), side by side in the same run with: the seed's numpy version "
          "(python/tests/seed_ref.py, the reference the package's tests check against); the seed's Numba "
          "kernel where the seed has one (its `jit_kernels` has two, `jit_pack_bits` and `jit_vec_mac`, "
          "serial as published; every other function has none: \"-\"); and the same operation at the same "
          "shape through the Rust API the binding calls (`host/examples/bench_python_ops.rs`: "
          f"`sc_host::cpu::CpuBackend` on {rust['threads']} threads, SIMD level {rust['simd']}, writing into "
          "output buffers allocated once, as its signatures let a Rust caller; and `sc_host::snn::seed`: "
          "`jax_lif_step_into` into buffers allocated once, the other functions return new vectors; random "
          "inputs of the same shapes). Milliseconds per call: in each round, the median of 7 calls after one "
          f"untimed call (compilation, warm-up); the table gives the median over {n} round(s), the Rust "
          "side's and the Python side's alternating (this machine's speed drifts within minutes). In "
          "every round each row first checks that "
          f"`sc_neuro` and the numpy version (and Numba's) agree, then waits 0.3 s: that check ran numpy, "
          "whose OpenBLAS worker threads spin for about 0.1 s after a matrix product and would share the "
          "cores with the timed `sc_neuro` calls. `sc_neuro` and the Rust API use every core; the seed's "
          "Numba kernels run on one, and so does numpy except its matrix products (OpenBLAS, every core). "
          "Shapes: the seed's dense layer, 128 neurons "
          "x 784 inputs x 1024-bit streams, and its float network 784-256-10.")
    print()
    print("| function | shape | **sc_neuro** | Rust API | numpy | Numba | sc_neuro vs numpy | "
          "sc_neuro vs Numba | Rust / sc_neuro |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        name, shape = r["function"].split(" (", 1)
        vs_nb = f"{r['numba_s'] / r['sc_neuro_s']:.1f}x" if "numba_s" in r else "-"
        ov = f"{r['rust_s'] / r['sc_neuro_s']:.2f}" if "rust_s" in r else "-"
        print(f"| `{name}` | {shape[:-1]} | **{ms(r, 'sc_neuro_s')}** | {ms(r, 'rust_s')} | {ms(r, 'numpy_s')} "
              f"| {ms(r, 'numba_s')} | {r['numpy_s'] / r['sc_neuro_s']:.1f}x | {vs_nb} | {ov} |")
    print()
    print("`Rust / sc_neuro` is the Rust API's time over the package's: 1.00 is no overhead, below 1 is "
          "the share of the Python call that is the Rust work (the rest: argument checks, dtype and "
          "contiguity handling, allocating the numpy result, converting it). Above 1 (the package faster "
          "than the Rust it calls) is this run's noise or the two processes' heap state (a result vector "
          "on fresh pages pays their page faults), not a gain.")
    print()
    print("Targets (issue 18), from this run:")
    print()
    slow = [r for r in rows if r["numpy_s"] / r["sc_neuro_s"] < 10]
    met = "met" if not slow else "not met"
    detail = "every function" if not slow else "not met by " + ", ".join(
        f"`{r['key']}` ({r['numpy_s'] / r['sc_neuro_s']:.1f}x)" for r in slow)
    print(f"- **At least 10x the numpy versions: {met}** ({len(rows) - len(slow)} of {len(rows)} functions; "
          f"{detail}).")
    big = [r for r in rows if "rust_s" in r and r["sc_neuro_s"] > 1e-3]
    over = [r for r in big if r["sc_neuro_s"] > 1.2 * r["rust_s"]]
    met = "met" if not over else "not met"
    detail = ("every one" if not over else "not met by " + ", ".join(
        f"`{r['key']}` ({r['sc_neuro_s'] / r['rust_s']:.2f}x the Rust time)" for r in over))
    names = ", ".join(f"`{r['key']}`" for r in big) or "none"
    print(f"- **Within 1.2x of the Rust API for calls above 1 ms: {met}** ({len(big) - len(over)} of "
          f"{len(big)} calls above 1 ms: {names}; {detail}).")
    # The element-wise rows move whole arrays and compute almost nothing:
    # their speed is the memory's (`bytes`: what a call reads and writes).
    moved = [r for r in rows if "bytes" in r and r["key"] != "vec_popcount"]
    if moved:
        print()
        print("The element-wise rows read their operands and write their results (the bitwise ones one or "
              "two word operations per word, `jax_lif_step` three arrays in, two out and a few flops per "
              "neuron): memory traffic above all. Bytes moved per call over the time: " + "; ".join(
                  f"`{r['key']}` {r['bytes'] / 1e6:.1f} MB, numpy {r['bytes'] / r['numpy_s'] / 1e9:.0f} GB/s, "
                  f"sc_neuro {r['bytes'] / r['sc_neuro_s'] / 1e9:.0f} GB/s, 10x numpy would be "
                  f"{10 * r['bytes'] / r['numpy_s'] / 1e9:.0f} GB/s"
                  for r in moved) + ".", end="")
        pc = next((r for r in rows if r["key"] == "vec_popcount" and "bytes" in r), None)
        if pc is not None:
            print(f" For scale, `vec_popcount` in this run only reads its {pc['bytes'] / 1e6:.1f} MB, on "
                  f"every core, at {pc['bytes'] / pc['sc_neuro_s'] / 1e9:.0f} GB/s.", end="")
        print()

if __name__ == "__main__":
    main()
