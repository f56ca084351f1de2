# Sourced by the benchmark scripts that run only `sc`: sets SC_BIN to a
# prebuilt `sc` given in SC_BIN (e.g. on a GPU machine without Rust), else
# builds target/release/sc.
if [ -z "${SC_BIN:-}" ]; then
    cargo build -q --release -p sc-host --bin sc
    SC_BIN=./target/release/sc
fi
