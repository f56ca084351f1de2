#!/usr/bin/env bash
# The seed's functions through sc_neuro against the seed's numpy versions
# (and Numba's, if installed in the venv) at the seed's shapes: builds the
# package into target/py-venv (as scripts/test.sh does) and prints a
# table; JSON to target/bench/python.json. About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
PYV=target/py-venv
if ! "$PYV/bin/python" -c 'import maturin, numpy' 2>/dev/null; then
    python3 -m venv "$PYV"
    "$PYV/bin/pip" install -q "maturin>=1.5,<2" numpy pytest "nir>=1.0"
fi
PATH="$PWD/$PYV/bin:$PATH" "$PYV/bin/pip" install -q --no-build-isolation ./python
mkdir -p target/bench
"$PYV/bin/python" scripts/bench_python.py target/bench/python.json
