"""NIR export and import: round trips, graphs made by the nir package,
the float semantics of NIR's LIF against the SC engine, errors."""

import doctest
import json
import os

import nir
import numpy as np
import pytest

import sc_neuro
from sc_neuro import nir as scnir

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DIGITS = os.path.join(ROOT, "models", "digits.json")
RNG = np.random.default_rng(13)


def network(model):
    return json.loads(model.to_json())["network"]


def test_digits_round_trip_through_a_file(tmp_path):
    m = sc_neuro.load_model(DIGITS)
    g = scnir.to_nir(m)
    assert [type(g.nodes[k]).__name__ for k in ("input", "fc0", "lif0", "fc1", "lif1", "output")] == [
        "Input", "Affine", "LIF", "Linear", "LIF", "Output"]
    path = tmp_path / "digits.nir"
    nir.write(path, g)
    back = scnir.from_nir(nir.read(path))
    assert network(back) == network(m) and back.steps == m.steps
    x = RNG.uniform(0, 1, size=(8, 64))
    np.testing.assert_array_equal(sc_neuro.run(back, x)[0], sc_neuro.run(m, x)[0])


def nir_lif_counts(ws, bias, tau, r, th, dt, x, steps):
    """NIR's LIF (Euler, one step dt), spikes passed step by step, the
    inputs as constant currents (the SC inputs' mean)."""
    v = [np.zeros((x.shape[0], w.shape[0])) for w in ws]
    counts = np.zeros((x.shape[0], ws[-1].shape[0]))
    for _ in range(steps):
        a = x
        for k, w in enumerate(ws):
            i = a @ w.T + (bias if k == 0 else 0.0)
            v[k] = v[k] + dt / tau * ((0.0 - v[k]) + r * i)
            s = (v[k] >= th).astype(np.float64)
            v[k] = np.where(s > 0, 0.0, v[k])
            a = s
        counts += a
    return counts


def test_graph_made_by_nir_runs_like_nir_lif():
    rng = np.random.default_rng(13)
    dt, tau, r, th, steps = 1e-3, 4e-3, 2.0, 1.0, 32
    w0, b0 = rng.normal(0.3, 0.6, size=(12, 6)), rng.normal(0.1, 0.2, size=12)
    w1 = rng.normal(0.2, 0.5, size=(4, 12))
    n = lambda k, v: np.full(k, v)  # noqa: E731
    g = nir.NIRGraph(
        nodes={
            "in": nir.Input(input_type={"input": np.array([6])}),
            "a": nir.Affine(weight=w0, bias=b0),
            "l0": nir.LIF(tau=n(12, tau), r=n(12, r), v_leak=n(12, 0.0), v_threshold=n(12, th)),
            "b": nir.Linear(weight=w1),
            "l1": nir.LIF(tau=n(4, tau), r=n(4, r), v_leak=n(4, 0.0), v_threshold=n(4, th)),
            "out": nir.Output(output_type={"output": np.array([4])}),
        },
        edges=[("in", "a"), ("a", "l0"), ("l0", "b"), ("b", "l1"), ("l1", "out")],
    )
    m = scnir.from_nir(g, dt=dt, steps=steps, length=1024)
    assert m.dims == [7, 12, 4] and m.steps == steps
    net = network(m)
    assert net["layers"][0]["params"]["alpha"] == round(dt / tau * 65536)
    x = rng.uniform(0, 1, size=(60, 6))
    counts, pred = sc_neuro.run(m, x)
    want = nir_lif_counts([w0, w1], b0, tau, r, th, dt, x, steps)
    assert want.sum(axis=1).min() > 0 and want.std() > 1
    # SC streams of 1024 bits approximate the float currents closely.
    assert np.abs(counts - want).mean() < 0.25
    assert np.mean(pred == np.argmax(want, axis=1)) >= 0.95


def test_cubalif_reduces_only_with_pass_through_synapse():
    dt = 1.0
    k = lambda v: np.full(2, v)  # noqa: E731
    def graph(tau_syn):
        return nir.NIRGraph(
            nodes={
                "in": nir.Input(input_type={"input": np.array([3])}),
                "fc": nir.Linear(weight=RNG.normal(size=(2, 3))),
                "c": nir.CubaLIF(tau_syn=k(tau_syn), tau_mem=k(2.0), r=k(2.0), v_leak=k(0.0),
                                 v_threshold=k(1.0)),
                "out": nir.Output(output_type={"output": np.array([2])}),
            },
            edges=[("in", "fc"), ("fc", "c"), ("c", "out")], metadata={"dt": dt})
    m = scnir.from_nir(graph(dt))
    assert network(m)["layers"][0]["params"]["alpha"] == 32768
    with pytest.raises(ValueError, match="tau_syn"):
        scnir.from_nir(graph(5.0))


def test_errors():
    m = sc_neuro.quantise([np.array([[1.0, -0.5, 0.25]])], alpha=0.5, threshold=1.0, steps=4)
    g = scnir.to_nir(m)
    g.nodes["lif0"].v_leak = np.array([0.5])
    with pytest.raises(ValueError, match="v_leak"):
        scnir.from_nir(g)
    g = scnir.to_nir(m)
    with pytest.raises(ValueError, match="dt is needed"):
        scnir.from_nir(nir.NIRGraph(nodes=g.nodes, edges=g.edges))
    g2 = scnir.to_nir(sc_neuro.quantise([np.ones((2, 3)), np.ones((2, 2))], 0.5, 1.0, 4))
    g2.nodes["lif1"].tau = np.array([4.0, 4.0])
    with pytest.raises(ValueError, match="same alpha"):
        scnir.from_nir(g2)
    g2 = scnir.to_nir(sc_neuro.quantise([np.ones((2, 3))], 0.5, 1.0, 4))
    g2.nodes["lif0"].tau = np.array([2.0, 3.0])
    with pytest.raises(ValueError, match="one value for every neuron"):
        scnir.from_nir(g2)
    with pytest.raises(TypeError, match="NIRGraph"):
        scnir.from_nir({"nodes": {}})
    with pytest.raises(TypeError, match="Model"):
        scnir.to_nir("model.json")


def test_doc_example():
    assert doctest.testmod(scnir, raise_on_error=True).attempted > 0


def test_nir_graph_goes_on_to_the_firmware_and_rtl_export(tmp_path):
    # The digits network through NIR and back exports the same words as
    # the firmware's committed model file.
    back = scnir.from_nir(scnir.to_nir(sc_neuro.load_model(DIGITS)))
    out = tmp_path / "m.bin"
    sc_neuro.export_model(back, out, format="bin")
    with open(os.path.join(ROOT, "firmware", "data", "digits-model.bin"), "rb") as f:
        assert out.read_bytes() == f.read()
    sc_neuro.export_model(back, tmp_path / "m.memh", format="memh")
    assert (tmp_path / "m.memh").read_text().count("\n") == 1 + out.stat().st_size // 4
