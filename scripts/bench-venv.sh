# Sourced by the benchmark scripts: their Python venv, target/bench-venv
# (or $SC_BENCH_VENV), shared by all of them. `need_venv "numpy numba"
# numpy numba` creates it if missing and installs the packages when any of
# the modules does not import (pip leaves what is there alone; the first
# time needs python3-venv and network access).
venv=${SC_BENCH_VENV:-target/bench-venv}
need_venv() {
    local modules=$1
    shift
    if ! "$venv/bin/python" -c "import ${modules// /, }" 2>/dev/null; then
        [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet "$@"
    fi
}
