#!/usr/bin/env bash
# Strong and weak scaling of the MPI simulator on this machine (1, 2 and 4
# ranks; more ranks than cores are oversubscribed), written to
# docs/bench/mpi.md. Needs OpenMPI (apt-get install libopenmpi-dev
# openmpi-bin libclang-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
cargo build -q --release -p sc-host --features mpi --bin sc-mpi
bin=target/release/sc-mpi
tmp=$(mktemp)
# One thread per rank; a network whose step takes well over 50 ms on one rank.
export RAYON_NUM_THREADS=1
for np in 1 2 4; do mpirun -np "$np" "$bin" bench --inputs 784 --neurons 16384 --steps 5 >>"$tmp"; done
for np in 1 2 4; do mpirun -np "$np" "$bin" bench --inputs 784 --neurons 11585 --steps 5 --weak >>"$tmp"; done
cores=$(nproc)
mpi=$(mpirun --version | head -1)
python3 - "$tmp" "$cores" "$mpi" >docs/bench/mpi.md <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cores, mpi = sys.argv[2], sys.argv[3]
print("## Distributed simulation over MPI")
print()
print(f"Produced by `scripts/bench-mpi.sh` ({mpi}, {cores} cores; more ranks than cores are oversubscribed). "
      "`sc-mpi bench`: a random Q16.16 network 784 -> hidden -> hidden -> 10 (the vectors' kind: saturated, "
      "about half the hidden neurons fire at every step), L = 256, 5 time steps after one warm-up step, built "
      "once (not timed); each rank steps its slice of every layer on the engine's counting form (spec 7.1, one "
      "thread per rank) and spike words are all-gathered after each layer. Time of the slowest rank.")
for weak in (False, True):
    rs = [r for r in rows if r["weak"] == weak]
    if not rs:
        continue
    base = rs[0]["ms_per_step"]
    print()
    print("### " + ("Weak scaling (hidden = 11585 x sqrt(ranks): constant work per rank)" if weak else "Strong scaling (784 -> 16384 -> 16384 -> 10)"))
    print()
    print("| ranks | hidden | synapses per rank | ms per step | " + ("efficiency |" if weak else "speed-up | efficiency |"))
    print("|---|---|---|---|" + ("---|" if weak else "---|---|"))
    for r in rs:
        t = r["ms_per_step"]
        if weak:
            print(f"| {r['ranks']} | {r['hidden']} | {r['synapses_per_rank']} | {t:.1f} | {100 * base / t:.0f}% |")
        else:
            print(f"| {r['ranks']} | {r['hidden']} | {r['synapses_per_rank']} | {t:.1f} | {base / t:.2f}x | {100 * base / t / r['ranks']:.0f}% |")
print()
print("On a cluster: build with `cargo build --release -p sc-host --features mpi`, put the binary and "
      "`models/`, `tests/` on a shared path, list the machines in a hostfile (one line per node: "
      "`node01 slots=32`), and run `mpirun --hostfile hosts -np 128 --map-by core --bind-to core "
      "target/release/sc-mpi bench --neurons 16384 --steps 100`. One rank per core; results are "
      "bit-identical for any rank count (`sc-mpi check` verifies it).")
PY
echo "wrote docs/bench/mpi.md"
