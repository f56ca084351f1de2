#!/usr/bin/env bash
# Run every check of the project: formatting, lints, the kernel's builds for
# the four embedded targets, vector regeneration (must match the committed
# files) and checking, the RTL against the vectors, the firmware in QEMU,
# and the whole test suite.
#
# Needs rustup (toolchain and targets are added here, since
# RUSTUP_AUTO_INSTALL may be off) and git (for the vector diff).
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLCHAIN=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
TARGETS=(thumbv6m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf)

# Mesa (lavapipe, the GPU tests' device) wants a private runtime directory.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/sc-xdg-$(id -u)"
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
fi

# Each step's header carries the seconds since the start, so a slow run
# shows where its time went.
T0=$SECONDS
step() { printf '\n==> [%ds] %s\n' "$((SECONDS - T0))" "$*"; }

step "toolchain $TOOLCHAIN and targets"
if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
    rustup toolchain install "$TOOLCHAIN" --profile minimal --component rustfmt,clippy
fi
rustup component add --toolchain "$TOOLCHAIN" rustfmt clippy
rustup target add --toolchain "$TOOLCHAIN" "${TARGETS[@]}"

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy -p sc-host --no-default-features --all-targets -- -D warnings
cargo clippy -p sc-kernel --features defmt --target thumbv7em-none-eabihf -- -D warnings

step "sc-kernel builds for embedded targets"
for t in "${TARGETS[@]}"; do
    cargo build -q -p sc-kernel --release --target "$t"
    cargo build -q -p sc-kernel --release --target "$t" --features defmt
    echo "  ok: $t (with and without defmt)"
done

step "sc-kernel: no overflow for any argument (release with overflow checks; Miri)"
# The debug run of `cargo test` below has overflow checks on; this one
# proves the same in an optimised build, where a wrap would be silent.
CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS=true cargo test -q --release -p sc-kernel
if rustup run nightly cargo miri --version >/dev/null 2>&1; then
    MIRIFLAGS=-Zmiri-disable-isolation cargo +nightly miri test -q -p sc-kernel
elif [ -n "${CI:-}" ]; then
    echo "error: nightly with miri missing in CI (.ci/run installs it)" >&2
    exit 1
else
    echo "SKIPPED: Miri (rustup toolchain install nightly --component miri,rust-src)"
fi

step "sc-host type-checks for aarch64 (the NEON path of the CPU backend)"
# No C cross compiler is needed: Cargo.lock holds pest at 2.7 (npyz's
# header parser), since pest 2.8+ pulls in psm, whose build script compiles
# assembly with aarch64-linux-gnu-gcc.
rustup target add --toolchain "$TOOLCHAIN" aarch64-unknown-linux-gnu
cargo clippy -q -p sc-host --no-default-features --target aarch64-unknown-linux-gnu -- -D warnings
echo "  ok"

step "vectors: regenerate and compare with the committed files"
cargo build -q --release -p sc-host --bin sc
SC=target/release/sc
$SC vectors generate --out tests/vectors
if git rev-parse --git-dir >/dev/null 2>&1; then
    if [ -n "$(git status --porcelain -- tests/vectors)" ]; then
        echo "error: regenerated vectors differ from the committed ones:" >&2
        git status --short -- tests/vectors >&2
        git diff --stat -- tests/vectors >&2
        echo "If docs/spec.md changed on purpose, commit the regenerated tests/vectors." >&2
        exit 1
    fi
    echo "  regenerated vectors are identical to the committed ones"
else
    echo "  not a git checkout: no diff (the conformance test still compares)"
fi

step "vectors: check on every implementation"
$SC vectors check --gpu tests/vectors/*.json

step "hdl-sim: RTL lint and vectors (Icarus Verilog, Verilator)"
if command -v iverilog >/dev/null && command -v verilator >/dev/null; then
    hdl-sim/scripts/lint.sh
    hdl-sim/scripts/run-vectors.sh
    export SC_REQUIRE_VERILATOR=1
elif [ -n "${CI:-}" ]; then
    echo "error: iverilog/verilator missing in CI (.ci/run installs them)" >&2
    exit 1
else
    echo "SKIPPED: iverilog and verilator are not installed (apt-get install iverilog verilator);"
    echo "         the RTL is not checked in this run."
fi

step "firmware: QEMU (Cortex-M0/M4F/M33, RISC-V) and board builds"
if command -v qemu-system-arm >/dev/null && command -v defmt-print >/dev/null \
    && command -v flip-link >/dev/null && command -v python3 >/dev/null; then
    firmware/scripts/ci.sh
elif [ -n "${CI:-}" ]; then
    echo "error: qemu-system-arm/defmt-print/flip-link/python3 missing in CI (.ci/run installs them)" >&2
    exit 1
else
    echo "SKIPPED: qemu-system-arm, python3, defmt-print or flip-link is not installed (apt-get install"
    echo "         qemu-system-arm python3; cargo install defmt-print flip-link --locked); the firmware is not run."
fi

step "MPI: the distributed simulator under mpirun -np 1, 2, 4"
if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    cargo clippy -p sc-host --features mpi --all-targets -- -D warnings
    cargo test --release -p sc-host --features mpi --test mpi
elif [ -n "${CI:-}" ]; then
    echo "error: OpenMPI missing in CI (.ci/run installs libopenmpi-dev openmpi-bin libclang-dev)" >&2
    exit 1
else
    echo "SKIPPED: OpenMPI is not installed (apt-get install libopenmpi-dev openmpi-bin libclang-dev);"
    echo "         the MPI backend is not built in this run."
fi

step "cargo test"
# The GPU tests run on whatever adapter wgpu finds (lavapipe in CI, where a
# missing adapter is an error rather than a fallback).
if [ -n "${CI:-}" ]; then export SC_REQUIRE_GPU=1; fi
cargo test --workspace

step "Python package (python/): build into target/py-venv, pytest"
PYV=target/py-venv
if [ -x "$PYV/bin/pytest" ] && [ -x "$PYV/bin/maturin" ]; then
    # Built in place (no build isolation: the venv's maturin), into the
    # workspace's target/ like every other crate.
    PATH="$PWD/$PYV/bin:$PATH" "$PYV/bin/pip" install -q --no-build-isolation ./python
    (cd python/tests && "../../$PYV/bin/python" -m pytest -q -p no:cacheprovider)
elif [ -n "${CI:-}" ]; then
    echo "error: $PYV with maturin and pytest missing in CI (.ci/run creates it)" >&2
    exit 1
else
    echo "SKIPPED: no $PYV (see .ci/run for the venv: maturin, numpy, pytest, nir, spyx);"
    echo "         the Python package is not tested in this run."
fi

step "examples"
cargo run -q -p sc-kernel --example no_std_style
cargo run -q --release -p sc-host --example cpu_backend
cargo run -q --release -p sc-host --example network >/dev/null && echo "network example: ok"

step "README's main command from another directory (firmware/, with its embedded-target cargo config)"
(cd firmware && ../scripts/sc --version)

step "done"
