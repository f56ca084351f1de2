"""`sc model import-nir` / `export-nir` (the Rust CLI, which runs
`python -m sc_neuro.nir` with $SC_PYTHON) and `python -m sc_neuro.nir`
itself: round trips and the errors, each naming the file (and node).

The `sc` binary: $SC_BIN, else the newer of target/release/sc and
target/debug/sc (scripts/test.sh builds target/release/sc before pytest).
host/tests/nir_cli.rs checks the errors that need no package (no file, no
interpreter, an interpreter without sc_neuro)."""

import json
import os
import subprocess
import sys

import nir
import numpy as np
import pytest

import sc_neuro
from sc_neuro import nir as scnir

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DIGITS = os.path.join(ROOT, "models", "digits.json")


def sc_binary(root=ROOT):
    if os.environ.get("SC_BIN"):
        return os.environ["SC_BIN"]
    found = [p for p in (os.path.join(root, "target", d, "sc") for d in ("release", "debug"))
             if os.path.isfile(p)]
    if not found:
        pytest.fail("no sc binary: cargo build --release -p sc-host --bin sc (or set SC_BIN)")
    return max(found, key=os.path.getmtime)


def sc(*args):
    env = dict(os.environ, SC_PYTHON=sys.executable)
    return subprocess.run([sc_binary(), "model", *map(str, args)], capture_output=True, text=True,
                          env=env)


def network(model):
    return json.loads(model.to_json())["network"]


def test_export_then_import_round_trip(tmp_path):
    g = tmp_path / "digits.nir"
    r = sc("export-nir", DIGITS, "--out", g, "--dt", "0.5")
    assert r.returncode == 0, r.stderr
    assert f"wrote {g} (6 nodes) from {DIGITS}" in r.stdout
    graph = nir.read(g)
    assert float(graph.metadata["dt"]) == 0.5 and sorted(graph.nodes) == [
        "fc0", "fc1", "input", "lif0", "lif1", "output"]
    out = tmp_path / "back.json"
    r = sc("import-nir", g, "--out", out)
    assert r.returncode == 0, r.stderr
    m, back = sc_neuro.load_model(DIGITS), sc_neuro.load_model(out)
    assert network(back) == network(m) and back.steps == m.steps
    x = np.random.default_rng(5).uniform(0, 1, size=(6, 64))
    np.testing.assert_array_equal(sc_neuro.run(back, x)[0], sc_neuro.run(m, x)[0])
    # --steps and --length override what the graph stored.
    r = sc("import-nir", g, "--out", out, "--steps", "7", "--length", "64")
    assert r.returncode == 0, r.stderr
    back = sc_neuro.load_model(out)
    assert back.steps == 7 and {la["len"] for la in network(back)["layers"]} == {64}


def graph_with(node):
    return nir.NIRGraph(
        nodes={"input": nir.Input(input_type={"input": np.array([3])}),
               "fc": nir.Linear(weight=np.ones((2, 3))), "odd": node,
               "output": nir.Output(output_type={"output": np.array([2])})},
        edges=[("input", "fc"), ("fc", "odd"), ("odd", "output")], metadata={"dt": 1.0})


def test_errors_name_the_file_and_node(tmp_path):
    missing = tmp_path / "none.nir"
    r = sc("import-nir", missing, "--out", tmp_path / "m.json")
    assert r.returncode == 2 and f"error: {missing}: no such file" in r.stderr
    r = sc("export-nir", missing, "--out", tmp_path / "m.nir")
    assert r.returncode == 2 and f"error: {missing}: no such file" in r.stderr
    # A model file given as the NIR file: not HDF5.
    r = sc("import-nir", DIGITS, "--out", tmp_path / "m.json")
    assert r.returncode == 2 and f"error: {DIGITS}: not a NIR graph" in r.stderr
    # An HDF5 file that is no NIR graph.
    import h5py
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["x"] = np.arange(3)
    r = sc("import-nir", tmp_path / "plain.h5", "--out", tmp_path / "m.json")
    assert r.returncode == 2 and f"{tmp_path / 'plain.h5'}: not a NIR graph" in r.stderr
    # Unsupported node types, named.
    k = lambda v: np.full(2, v)  # noqa: E731
    for node, says in [
        (nir.IF(r=k(1.0), v_threshold=k(1.0)), "node 'odd': a LIF or CubaLIF must follow 'fc', got a node of type IF"),
        (nir.CubaLIF(tau_syn=k(4.0), tau_mem=k(2.0), r=k(1.0), v_leak=k(0.0), v_threshold=k(1.0)),
         "node 'odd': a CubaLIF reduces to a LIF only with tau_syn == dt"),
        (nir.LIF(tau=k(2.0), r=k(1.0), v_leak=k(0.5), v_threshold=k(1.0)), "node 'odd': v_leak must be 0"),
        (nir.LIF(tau=k(0.5), r=k(1.0), v_leak=k(0.0), v_threshold=k(1.0)), "node 'odd': tau 0.5 must be >= dt"),
    ]:
        path = tmp_path / "odd.nir"
        nir.write(path, graph_with(node))
        r = sc("import-nir", path, "--out", tmp_path / "m.json")
        assert r.returncode == 2 and f"error: {path}: {says}" in r.stderr, r.stderr
        assert not (tmp_path / "m.json").exists()
    # A bad model for export-nir names the model file.
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = sc("export-nir", bad, "--out", tmp_path / "m.nir")
    assert r.returncode == 2 and f"error: {bad}:" in r.stderr and not (tmp_path / "m.nir").exists()


def test_python_module_entry(tmp_path):
    g = tmp_path / "d.nir"
    assert scnir.main(["export", DIGITS, "--out", str(g)]) == 0
    assert scnir.main(["import", str(g), "--out", str(tmp_path / "d.json"), "--drive", "unit"]) == 0
    # drive "unit" keeps the weights (R = 1): to_nir wrote r = tau/dt, so
    # NIR's reading (R = r dt/tau) is 1 too and the network is the same.
    assert network(sc_neuro.load_model(tmp_path / "d.json")) == network(sc_neuro.load_model(DIGITS))
    r = subprocess.run([sys.executable, "-m", "sc_neuro.nir", "import", str(tmp_path / "no.nir"),
                        "--out", str(tmp_path / "x.json")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip() == f"error: {tmp_path / 'no.nir'}: no such file"
    with pytest.raises(ValueError, match="drive 'ode'"):
        scnir.from_nir(nir.read(g), drive="ode")
    graph = nir.read(g)
    graph.edges.append(("output", "ghost"))
    with pytest.raises(ValueError, match="edge \\('output', 'ghost'\\): no node 'ghost'"):
        scnir.from_nir(graph)
