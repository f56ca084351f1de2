#!/usr/bin/env bash
# Regenerate firmware/data/ (the words the firmware embeds) from the shared
# vectors and the shipped model:
#   vectors.bin         `sc vectors export` of tests/vectors/*.json (sorted)
#   digits-model.bin    `sc model export` of models/digits.json
#   digits-samples.bin  the digits test images with the host's predictions
# Run it after changing tests/vectors/ or models/digits.json; the host test
# `firmware_data_is_current` fails until you do.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sc() { cargo run -q --release --manifest-path "$root/Cargo.toml" -p sc-host --bin sc -- "$@"; }
mkdir -p "$root/firmware/data"
mapfile -t files < <(LC_ALL=C ls "$root"/tests/vectors/*.json)
sc vectors export --format bin --out "$root/firmware/data/vectors.bin" "${files[@]}"
sc model export --format bin --out "$root/firmware/data/digits-model.bin" \
    --samples "$root/firmware/data/digits-samples.bin"
