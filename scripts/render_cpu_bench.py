#!/usr/bin/env python3
"""Render docs/bench/cpu.md from `sc bench --json` (ours) and
scripts/bench_seed.py (the seed's numpy/Numba kernels), both measured in
the same run of scripts/bench-cpu.sh. Standard library only."""

import json
import sys


def main():
    ours_path, seed_path, machine = sys.argv[1], sys.argv[2], sys.argv[3]
    ours = json.load(open(ours_path))
    seed = json.load(open(seed_path))

    def o(name, threads):
        for t in ours["timings"]:
            if t["name"] == name and t["threads"] == threads:
                return t
        raise KeyError(f"{name} at {threads} threads missing from {ours_path}")

    def s(name, threads=1):
        for t in seed["timings"]:
            if t["name"] == name and t["threads"] == threads:
                return t["median_s"]
        raise KeyError(f"{name} at {threads} threads missing from {seed_path}")

    def ms(x):
        return f"{x * 1e3:.3f} ms"

    def speedup_table(title, intro, median, rows, label, ours1, ours2):
        """A section: the rows (name, cores, seconds) against ours on the
        same number of cores, then ours on 1 and 2 cores."""
        w(f"### {title}")
        w("")
        if intro:
            w(intro)
            w("")
        w(f"| implementation | cores | {median} | ours is faster by |")
        w("|---|---|---|---|")
        for name, cores, t in rows:
            w(f"| {name} | {cores} | {ms(t)} | {t / (ours1 if cores == 1 else ours2):.1f}x |")
        w(f"| {label} | 1 | {ms(ours1)} | |")
        w(f"| {label} | 2 | {ms(ours2)} | {ours1 / ours2:.2f}x over 1 core |")
        w("")

    level = ours["timings"][0]["level"]
    mac1, mac2 = o("mac_seed", 1)["median_s"], o("mac_seed", 2)["median_s"]
    b1, b2 = o("mac_batch32", 1)["median_s"], o("mac_batch32", 2)["median_s"]
    out = []
    w = out.append
    w("## CPU backend against the seed's numpy and Numba kernels")
    w("")
    w("Produced by `scripts/bench-cpu.sh`: `sc bench` (ours, SIMD level "
      f"`{level}`; levels here: {', '.join(ours['levels'])}) and `scripts/bench_seed.py` (the seed's "
      "kernels re-implemented from their published descriptions, numpy "
      f"{seed['numpy']}, Numba {seed['numba']}), one after the other in the same run on {machine}. "
      "Medians of repeated runs after a warm-up; inputs are random words. "
      "Criterion benchmarks of every op at L2/L3/DRAM sizes: `cargo bench -p sc-host --bench cpu`.")
    w("")
    speedup_table("Dense MAC, 128 neurons x 784 inputs x L = 1024 (16 u64 words), one sample",
                  None, "median", [
        ("numpy, seed (per-neuron AND + SWAR popcount + sum)", 1, s("numpy_seed_mac")),
        ("Numba `jit_vec_mac`, seed (integer counter)", 1, s("numba_seed_jit_vec_mac")),
        ("Numba, uint64 counter (vectorised by LLVM)", 1, s("numba_u64_vec_mac")),
        ("Numba `parallel=True`, `prange` over neurons", 2, s("numba_u64_vec_mac_parallel", 2)),
    ], "**ours** (`CpuBackend::mac`)", mac1, mac2)
    speedup_table("Batched MAC: the same weights, 32 input samples",
                  "The seed has no batched MAC: it calls its MAC once per sample. Ours "
                  "(`CpuBackend::mac_batch`) tiles the inputs so each weight word is loaded once per 8 samples.",
                  "median (32 samples)", [
        ("numpy, seed, per sample", 1, s("numpy_seed_mac_batch32")),
        ("Numba `jit_vec_mac`, seed, per sample", 1, s("numba_seed_jit_vec_mac_batch32")),
        ("Numba `parallel=True`, per sample", 2, s("numba_u64_vec_mac_parallel_batch32", 2)),
    ], "**ours**", b1, b2)
    w("### Pack (0/1 bytes to LSB-first u64 words)")
    w("")
    w("| input | numpy, seed (powers-of-two sum) | `np.packbits` | ours, 1 core | ours, 2 cores | vs seed (1 core) | vs packbits (1 core) |")
    w("|---|---|---|---|---|---|---|")
    for label, key in [("784 x 1024 bits (the inputs)", "inputs"), ("128 x 784 x 1024 bits (the weights)", "weights")]:
        p1 = o(f"pack_{key}", 1)["median_s"]
        p2 = o(f"pack_{key}", 2)["median_s"]
        sp, pb = s(f"numpy_seed_pack_{key}"), s(f"numpy_packbits_{key}")
        w(f"| {label} | {ms(sp)} | {ms(pb)} | {ms(p1)} | {ms(p2)} | {sp / p1:.0f}x | {pb / p1:.1f}x |")
    w("")
    w("### This machine's ceilings (measured by the same run)")
    w("")
    w("| ceiling | 1 core | 2 cores |")
    w("|---|---|---|")
    for name, label in [
        ("ceiling_and_popcount_l1", "AND + popcount on L1-resident words"),
    ]:
        r = [o(name, t)["words"] / o(name, t)["median_s"] / 1e9 for t in (1, 2)]
        w(f"| {label} | {r[0]:.2f} Gword/s | {r[1]:.2f} Gword/s |")
    for name, label in [
        ("ceiling_read_mac_set", "read bandwidth, 12.8 MB (the MAC's weights)"),
        ("ceiling_read_1gib", "read bandwidth, 1 GiB (past the L3)"),
    ]:
        r = [o(name, t)["bytes"] / o(name, t)["median_s"] / 1e9 for t in (1, 2)]
        w(f"| {label} | {r[0]:.1f} GB/s | {r[1]:.1f} GB/s |")
    w("")
    words = o("mac_seed", 1)["words"]
    nbytes = o("mac_seed", 1)["bytes"]
    fr = []
    for t, mt in [(1, mac1), (2, mac2)]:
        rate = o("ceiling_and_popcount_l1", t)["words"] / o("ceiling_and_popcount_l1", t)["median_s"]
        bw = o("ceiling_read_mac_set", t)["bytes"] / o("ceiling_read_mac_set", t)["median_s"]
        compute, memory = words / rate, nbytes / bw
        ceil = max(compute, memory)
        fr.append((t, compute, memory, ceil, ceil / mt))
    w("Lower bound for one seed-shaped MAC = max(words / AND+popcount rate, bytes / read bandwidth):")
    w("")
    w("| cores | compute bound | memory bound | ours | fraction of the ceiling |")
    w("|---|---|---|---|---|")
    for t, c, m, ceil, f in fr:
        w(f"| {t} | {ms(c)} | {ms(m)} | {ms(mac1 if t == 1 else mac2)} | {100 * f:.0f}% |")
    bt = []
    for t, bmt in [(1, b1), (2, b2)]:
        rate = o("ceiling_and_popcount_l1", t)["words"] / o("ceiling_and_popcount_l1", t)["median_s"]
        bt.append((t, o("mac_batch32", t)["words"] / bmt / 1e9, rate / 1e9))
    w("")
    w("Batched MAC throughput: " + "; ".join(
        f"{t} core{'s' if t > 1 else ''}: {r:.2f} Gword/s ({100 * r / c:.0f}% of the two-load L1 rate)"
        for t, r, c in bt) + ".")
    w("")
    w("### Against the issue's targets")
    w("")
    np_r = s("numpy_seed_mac") / mac1
    nb_r = s("numba_seed_jit_vec_mac") / mac1
    w(f"- One sample, one core: {np_r:.1f}x the seed's numpy (target 60x), {nb_r:.2f}x its Numba (target 2.5x): "
      "**not met on this machine**. The targets assume numpy ~20 ms, Numba ~0.7 ms and a 0.25 ms ceiling; here "
      f"numpy takes {ms(s('numpy_seed_mac'))} and Numba {ms(s('numba_seed_jit_vec_mac'))}, and one MAC reads "
      f"12.8 MB of weights that are used once, so every implementation is bound by the read bandwidth: "
      f"ours runs at {100 * fr[0][4]:.0f}% of the measured single-core ceiling, and Numba at "
      f"{100 * fr[0][3] / s('numba_seed_jit_vec_mac'):.0f}%. No kernel can be 2.5x faster than a kernel "
      "that already reads at the memory's speed.")
    w(f"- Two cores: {mac1 / mac2:.2f}x over one core (target 1.7x); the read ceiling itself scales "
      f"{(o('ceiling_read_mac_set', 1)['median_s'] / o('ceiling_read_mac_set', 2)['median_s']):.2f}x here.")
    w(f"- Where the weights are reused (batched MAC, the case a simulation of many samples or time steps has): "
      f"{s('numpy_seed_mac_batch32') / b1:.0f}x numpy and {s('numba_seed_jit_vec_mac_batch32') / b1:.1f}x Numba on one core, "
      f"{b1 / b2:.2f}x more on two cores.")
    p1 = o("pack_weights", 1)["median_s"]
    w(f"- Pack: {s('numpy_seed_pack_inputs') / o('pack_inputs', 1)['median_s']:.0f}x (inputs) and "
      f"{s('numpy_seed_pack_weights') / p1:.0f}x (weights) the seed's numpy pack on one core (target 20x); "
      f"`np.packbits` (C, SIMD) is within {s('numpy_packbits_weights') / p1:.1f}x of ours.")
    if len(sys.argv) > 4:
        w("")
        w("### Every op at L2, L3 and DRAM working-set sizes (criterion, all cores)")
        w("")
        w("From `cargo bench -p sc-host --bench cpu -- --quick` in the same run. Sizes come from this "
          "machine's caches: L2 = half the L2, L3 = a quarter of the L3, DRAM = twice the L3; "
          "throughput counts every byte read and written.")
        w("")
        w(criterion_table(sys.argv[4]))
    print("\n".join(out))



def criterion_table(root):
    """Markdown table of every criterion benchmark under `root` (median
    time and throughput), grouped in the order they ran."""
    import glob
    import os

    rows = []
    for path in sorted(glob.glob(os.path.join(root, "**", "new", "benchmark.json"), recursive=True)):
        b = json.load(open(path))
        est = json.load(open(os.path.join(os.path.dirname(path), "estimates.json")))
        med = est["median"]["point_estimate"] * 1e-9
        tp = b.get("throughput") or {}
        nbytes = tp.get("Bytes")
        rate = f"{nbytes / med / 1e9:.1f} GB/s" if nbytes else ""
        rows.append((b["group_id"], b["function_id"] or "", b["value_str"] or "", med, rate))
    rank = {"L2": 0, "L3": 1, "DRAM": 2}
    rows.sort(key=lambda r: (r[0], r[1], rank.get(r[2], 3), r[2]))
    out = ["| group | benchmark | size / threads | median | throughput |", "|---|---|---|---|---|"]
    for g, f, v, med, rate in rows:
        t = f"{med * 1e3:.3f} ms" if med >= 1e-4 else f"{med * 1e6:.1f} us"
        out.append(f"| {g} | {f} | {v} | {t} | {rate} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
