"""The engine: models loaded, saved, run and quantised."""

import doctest
import json
import os
import warnings

import numpy as np
import pytest

import sc_neuro
from sc_neuro import engine

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DIGITS = os.path.join(ROOT, "models", "digits.json")
VECTORS = os.path.join(ROOT, "tests", "vectors", "network.json")
RNG = np.random.default_rng(5)


def network_cases():
    with open(VECTORS) as f:
        return [c for c in json.load(f)["cases"] if c["kind"] == "network" and "spikes" in c["expect"]]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("backend", ["cpu", "kernel", "gpu"])
def test_conformance_networks(backend):
    cases = network_cases()
    assert cases
    for c in cases:
        m = sc_neuro.model_from_json(json.dumps(c["network"]))
        x = np.array(c["inputs_q16"], dtype=np.float64) / 65536.0
        counts, pred = sc_neuro.run(m, x[None, :], backend=backend, steps=c["steps"])
        want = np.zeros(len(c["expect"]["spikes"][0][-1]), dtype=np.int64) if c["steps"] else None
        for step in c["expect"]["spikes"]:
            want += np.array([int(b) for b in step[-1]])
        assert counts.dtype == np.uint32
        np.testing.assert_array_equal(counts[0], want, err_msg=c["name"])
        assert pred[0] == int(np.argmax(want))


def test_digits_model_load_run_save(tmp_path):
    m = sc_neuro.load_model(DIGITS)
    assert m.dims[0] == 65 and m.bias_input and m.steps > 0
    x = RNG.uniform(0, 1, size=(6, 64))
    counts, pred = sc_neuro.run(m, x)
    assert counts.shape == (6, m.dims[-1]) and pred.shape == (6,)
    np.testing.assert_array_equal(pred, np.argmax(counts, axis=1))
    # The bias input may be given explicitly; the bitstream path agrees.
    c2, _ = sc_neuro.run(m, np.hstack([x, np.ones((6, 1))]), backend="kernel")
    np.testing.assert_array_equal(c2, counts)
    # On the GPU (every row at once; the CPU engine without an adapter).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        c3, p3 = sc_neuro.run(m, x, backend="gpu")
    np.testing.assert_array_equal(c3, counts)
    np.testing.assert_array_equal(p3, pred)
    p = tmp_path / "m.json"
    sc_neuro.save_model(m, p)
    m2 = sc_neuro.load_model(p)
    assert m2.to_json() == m.to_json()
    np.testing.assert_array_equal(sc_neuro.run(m2, x)[0], counts)


def test_quantise_matches_numpy_reference():
    w0 = RNG.normal(0, 0.5, size=(5, 4 + 1))
    w1 = RNG.normal(0, 0.5, size=(3, 5))
    m = sc_neuro.quantise([w0, w1], alpha=0.25, threshold=1.0, steps=10, length=128)
    net = json.loads(m.to_json())["network"]
    assert net["dims"] == [5, 5, 3] and net["format"] == "q16.16"
    for layer, w in zip(net["layers"], [w0, w1]):
        w32 = w.astype(np.float32).astype(np.float64)
        wmax = np.abs(w32).max()
        np.testing.assert_array_equal(layer["weights_q16"], np.round(np.abs(w32).ravel() / wmax * 65536))
        assert layer["gain"] == round(wmax * 65536)
        assert layer["len"] == 128
        assert layer["params"]["threshold"] == 65536 and layer["params"]["alpha"] == 16384
    counts, pred = sc_neuro.run(m, RNG.uniform(0, 1, size=(4, 4)))
    assert counts.shape == (4, 3) and m.steps == 10


def test_engine_errors(tmp_path):
    m = sc_neuro.load_model(DIGITS)
    with pytest.raises(ValueError, match="columns"):
        sc_neuro.run(m, np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"inputs\[1, 3\] is 1.5"):
        x = np.zeros((2, 64))
        x[1, 3] = 1.5
        sc_neuro.run(m, x)
    with pytest.raises(ValueError, match="backend"):
        sc_neuro.run(m, np.zeros((1, 64)), backend="fpga")
    with pytest.raises(TypeError, match="Model"):
        sc_neuro.run("digits.json", np.zeros((1, 64)))
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "sc-neuro-model"}')
    with pytest.raises(ValueError, match="bad.json"):
        sc_neuro.load_model(bad)
    with pytest.raises(ValueError, match="not JSON"):
        sc_neuro.model_from_json("{")
    with pytest.raises(ValueError, match="columns"):
        sc_neuro.quantise([np.zeros((3, 5)), np.zeros((2, 4))], 0.25, 1.0, 10)
    with pytest.raises(ValueError):
        sc_neuro.quantise([np.ones((3, 5))], alpha=2.0, threshold=1.0, steps=10)


def test_doc_example():
    assert doctest.testmod(engine, raise_on_error=True).attempted > 0


def test_export_model_is_the_firmware_file(tmp_path):
    # firmware/data/digits-model.bin is `sc model export --format bin` of
    # models/digits.json.
    m = sc_neuro.load_model(DIGITS)
    out = tmp_path / "m.bin"
    sc_neuro.export_model(m, out, format="bin")
    with open(os.path.join(ROOT, "firmware", "data", "digits-model.bin"), "rb") as f:
        assert out.read_bytes() == f.read()
    memh = tmp_path / "m.memh"
    sc_neuro.export_model(m, memh)
    lines = memh.read_text().splitlines()
    assert lines[0].startswith("// sc-neuro MODEL")
    words = np.frombuffer(out.read_bytes(), dtype="<u4")
    assert [int(x, 16) for x in lines[1:]] == words.tolist()
    with pytest.raises(ValueError, match="format"):
        sc_neuro.export_model(m, memh, format="vhdl")
