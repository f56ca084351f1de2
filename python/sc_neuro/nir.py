"""NIR (the Neuromorphic Intermediate Representation, PyPI ``nir``) export
and import of SC models.

``to_nir(model, dt=1.0)`` writes the network that the model's SC network
computes: ``Input -> Affine/Linear -> LIF -> Linear -> LIF ... -> Output``
(an ``Affine`` for layer 0 when the model has a bias input, whose weight
column becomes the bias). ``from_nir(graph, dt=None)`` reads such a chain
back and quantises it to an SC model (:func:`sc_neuro.quantise`); save
and load graphs with ``nir.write`` / ``nir.read``.

Parameter mapping to spec §6 (one step of length ``dt``, Euler):

====================  ============================================
NIR LIF               spec §6 (per layer, one value per neuron)
====================  ============================================
``tau``               ``alpha = dt / tau`` (the leak, in (0, 1])
``r``                 ``R = r * dt / tau`` (the drive's factor)
``v_leak``            ``v_rest``
``v_threshold``       ``threshold`` (spike where ``v' >= threshold``)
``v_reset``           ``v_reset`` (``None``/absent: 0)
``dt``                the step; ``to_nir`` stores it as ``metadata["dt"]``
``Affine`` ``weight``  the signed weights ``sign * P / 65536 * G / 2^F``
``Affine`` ``bias``    layer 0's bias-input column (input probability 1)
====================  ============================================

NIR's ``tau dv/dt = (v_leak - v) + r I`` over one step ``dt`` is ``v +=
(dt/tau) (v_leak - v) + (dt r / tau) I``: spec §6's ``v += (v_rest - v)
alpha + I R``. The SC layer's input current is ``I = c G / L``, whose mean
is the float ``W x`` above. Refractory periods (not in NIR's LIF) must be
0. ``from_nir`` folds ``R`` into the weights (the SC model has ``R = 1``)
and needs what the quantiser expresses: ``v_leak = v_reset = 0``, one
``alpha`` and one ``threshold`` for every neuron of every layer, a bias
only in the first affine layer, and a simple chain; anything else is a
``ValueError`` that names the node and parameter. ``CubaLIF`` reduces to a
LIF when its synapse passes the current through in one step (``tau_syn ==
dt`` with ``w_in == 1``); other synaptic time constants are refused.

``drive``: producers disagree on ``r``. ``"nir"`` (the default) reads it
as NIR's equation says, ``R = r * dt / tau``. ``"unit"`` takes ``R = 1``
whatever ``r`` holds: the discrete step ``v = beta v + I`` (``beta = 1 -
dt/tau``) of spyx and snnTorch. spyx 1.0's ``spyx.nir.to_nir`` writes ``r
= beta`` (and its ``from_nir`` ignores ``r``), so its graphs read with
``"nir"`` scale every current by ``beta (1 - beta)`` and the network stays
silent; import them with ``drive="unit"``. The neuron models still differ
(see python/tests/test_nir_thirdparty.py): spyx's LIF spikes on the
membrane of the step before (one step later than spec §6, which spikes on
``v'``), on ``v > threshold`` (§6: ``>=``), and resets by subtracting the
threshold (§6: to ``v_reset``).

Command line (``sc model import-nir`` / ``export-nir`` run these)::

    python -m sc_neuro.nir import FILE.nir --out MODEL.json [--dt DT] [--steps N] [--length L] [--drive nir|unit]
    python -m sc_neuro.nir export MODEL.json --out FILE.nir [--dt DT]

Example::

    >>> import numpy as np, sc_neuro
    >>> from sc_neuro.nir import to_nir, from_nir
    >>> m = sc_neuro.quantise([np.array([[1.0, -0.5, 0.25]])], alpha=0.5, threshold=1.0, steps=4)
    >>> g = to_nir(m)
    >>> sorted(g.nodes), g.nodes["lif0"].tau.tolist()
    (['fc0', 'input', 'lif0', 'output'], [2.0])
    >>> import json
    >>> json.loads(from_nir(g).to_json())["network"] == json.loads(m.to_json())["network"]
    True
"""

import argparse
import json
import os
import sys

import numpy as np

import nir

from . import engine

__all__ = ["to_nir", "from_nir", "float_network", "main"]


def _network(model):
    j = json.loads(model.to_json())
    return (j["network"], j) if j.get("format") == "sc-neuro-model" else (j, None)


def to_nir(model, dt=1.0):
    """The NIR graph of ``model``'s SC network (see the module's table)."""
    if not isinstance(model, engine.Model):
        raise TypeError(f"model must be a sc_neuro.Model, got {type(model).__name__}")
    dt = float(dt)
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt}")
    net, full = _network(model)
    one = 2.0 ** (16 if net["format"] == "q16.16" else 8)
    dims = net["dims"]
    nodes = {"input": nir.Input(input_type={"input": np.array([dims[0] - int(model.bias_input)])})}
    edges, prev = [], "input"
    for k, layer in enumerate(net["layers"]):
        n_in, n_out = dims[k], dims[k + 1]
        p = layer["params"]
        if p["refractory"]:
            raise ValueError(f"layer {k}: refractory {p['refractory']}: NIR's LIF has none (0 needed)")
        sign = np.where(np.array([c == "1" for c in layer["negative"]]), -1.0, 1.0)
        w = (sign * np.array(layer["weights_q16"], dtype=np.float64) / 65536.0 * layer["gain"] / one)
        w = w.reshape(n_out, n_in)
        if k == 0 and model.bias_input:
            fc = nir.Affine(weight=w[:, :-1], bias=w[:, -1].copy())
        else:
            fc = nir.Linear(weight=w)
        alpha = p["alpha"] / one
        tau = dt / alpha
        full_n = lambda v: np.full(n_out, float(v))  # noqa: E731
        lif = nir.LIF(
            tau=full_n(tau),
            r=full_n(p["resistance"] / one * tau / dt),
            v_leak=full_n(p["v_rest"] / one),
            v_threshold=full_n(p["threshold"] / one),
            v_reset=full_n(p["v_reset"] / one),
        )
        nodes[f"fc{k}"], nodes[f"lif{k}"] = fc, lif
        edges += [(prev, f"fc{k}"), (f"fc{k}", f"lif{k}")]
        prev = f"lif{k}"
    nodes["output"] = nir.Output(output_type={"output": np.array([dims[-1]])})
    edges.append((prev, "output"))
    meta = {"dt": dt, "sc_neuro_len": [layer["len"] for layer in net["layers"]]}
    if model.steps is not None:
        meta["sc_neuro_steps"] = model.steps
    if full is not None:
        meta["sc_neuro_description"] = full["description"]
        meta["sc_neuro_beta"] = full["snn"]["config"]["beta"]
        meta["sc_neuro_kappa"] = full["snn"]["config"]["kappa"]
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata=meta)


def _uniform(name, node, values):
    a = np.asarray(values, dtype=np.float64).ravel()
    if a.size == 0 or not np.all(a == a[0]):
        raise ValueError(f"node {node!r}: {name} must be one value for every neuron, got {a.tolist()[:8]}")
    return float(a[0])


def _chain(graph):
    nxt = {}
    for a, b in graph.edges:
        for k in (a, b):
            if k not in graph.nodes:
                raise ValueError(f"edge ({a!r}, {b!r}): no node {k!r} in the graph")
        if a in nxt:
            raise ValueError(f"node {a!r} has several successors: only a chain of layers is supported")
        nxt[a] = b
    starts = [k for k, n in graph.nodes.items() if isinstance(n, nir.Input)]
    if len(starts) != 1:
        raise ValueError(f"the graph needs exactly one Input node, has {len(starts)}")
    order, k = [], starts[0]
    while k in nxt:
        k = nxt[k]
        if k in order:
            raise ValueError(f"node {k!r} is on a cycle: recurrent graphs are not supported")
        order.append(k)
    if not order or not isinstance(graph.nodes[order[-1]], nir.Output):
        raise ValueError("the chain from the Input node does not end in an Output node")
    return order[:-1]


def _lif_params(name, node, dt, drive):
    if isinstance(node, nir.CubaLIF):
        if not (np.all(np.asarray(node.tau_syn) == dt) and np.all(np.asarray(node.w_in) == 1)):
            raise ValueError(
                f"node {name!r}: a CubaLIF reduces to a LIF only with tau_syn == dt ({dt}) and w_in == 1"
            )
        tau = node.tau_mem
    else:
        tau = node.tau
    tau = _uniform("tau", name, tau)
    r = _uniform("r", name, node.r)
    if _uniform("v_leak", name, node.v_leak) != 0:
        raise ValueError(f"node {name!r}: v_leak must be 0 (the quantised SC model has v_rest = 0)")
    if node.v_reset is not None and _uniform("v_reset", name, node.v_reset) != 0:
        raise ValueError(f"node {name!r}: v_reset must be 0 (the quantised SC model resets to 0)")
    if not tau >= dt:
        raise ValueError(f"node {name!r}: tau {tau} must be >= dt {dt} (the leak dt/tau must be in (0, 1])")
    return dt / tau, (r * dt / tau if drive == "nir" else 1.0), _uniform("v_threshold", name, node.v_threshold)


def _read(graph, dt, drive):
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph must be a nir.NIRGraph, got {type(graph).__name__}")
    if drive not in ("nir", "unit"):
        raise ValueError(f"drive {drive!r}: 'nir' (R = r dt / tau) or 'unit' (R = 1) are allowed")
    meta = graph.metadata or {}
    if dt is None:
        if "dt" not in meta:
            raise ValueError("dt is needed: the graph's metadata has no 'dt'")
        dt = meta["dt"]
    dt = float(np.ravel(dt)[0]) if np.ndim(dt) else float(dt)
    if not dt > 0:
        raise ValueError(f"dt must be > 0, got {dt}")
    order = _chain(graph)
    weights, bias, alphas, thresholds = [], None, set(), set()
    for i in range(0, len(order), 2):
        fc_name = order[i]
        lif_name = order[i + 1] if i + 1 < len(order) else None
        fc = graph.nodes[fc_name]
        lif = graph.nodes.get(lif_name)
        if not isinstance(fc, (nir.Affine, nir.Linear)):
            raise ValueError(f"node {fc_name!r} is a {type(fc).__name__}; an Affine or Linear is needed here")
        if not isinstance(lif, (nir.LIF, nir.CubaLIF)):
            got = "nothing" if lif is None else f"a node of type {type(lif).__name__}"
            raise ValueError(f"node {lif_name or fc_name!r}: a LIF or CubaLIF must follow {fc_name!r}, got {got}")
        alpha, r, th = _lif_params(lif_name, lif, dt, drive)
        alphas.add(alpha)
        thresholds.add(th)
        w = np.asarray(fc.weight, dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(f"node {fc_name!r}: weight must be 2-D, got shape {w.shape}")
        w = w * r
        if isinstance(fc, nir.Affine) and np.any(np.asarray(fc.bias) != 0):
            if i:
                raise ValueError(f"node {fc_name!r}: only the first layer may have a bias")
            bias = np.asarray(fc.bias, dtype=np.float64).reshape(-1) * r
        weights.append(w)
    if len(alphas) != 1 or len(thresholds) != 1:
        raise ValueError(
            f"every layer needs the same alpha = dt/tau and threshold; got alpha {sorted(alphas)}, "
            f"threshold {sorted(thresholds)}"
        )
    return {"weights": weights, "bias": bias, "alpha": alphas.pop(), "threshold": thresholds.pop(),
            "dt": dt}, meta


def float_network(graph, dt=None, drive="nir"):
    """The float network that :func:`from_nir` quantises (spec §6's LIF,
    ``v_rest = v_reset = 0``, ``R = 1``): a dict with ``weights`` (one
    ``(n_out, n_in)`` array per layer, ``R`` folded in, no bias column),
    ``bias`` (layer 0's, or ``None``), ``alpha``, ``threshold`` and
    ``dt``."""
    return _read(graph, dt, drive)[0]


def from_nir(graph, dt=None, steps=None, length=None, drive="nir"):
    """Quantise a NIR chain ``Input -> (Affine|Linear -> LIF|CubaLIF)+ ->
    Output`` to an SC model. ``dt`` defaults to ``graph.metadata["dt"]``;
    ``steps`` and ``length`` (bits per step) to what ``to_nir`` stored,
    else 16 and 256; ``drive``: how ``r`` is read (see the module's
    docstring)."""
    net, meta = _read(graph, dt, drive)
    weights = list(net["weights"])
    bias = net["bias"] is not None
    if bias:
        weights[0] = np.hstack([weights[0], net["bias"].reshape(-1, 1)])
    # nir.read returns lists as arrays and may return strings as bytes.
    lens = [int(v) for v in np.ravel(meta.get("sc_neuro_len", []))]
    desc = meta.get("sc_neuro_description", "imported from NIR by sc_neuro.nir.from_nir")
    if isinstance(desc, bytes):
        desc = desc.decode()
    if length is None:
        length = lens[0] if lens and len(set(lens)) == 1 else 256
    if steps is None:
        steps = int(np.ravel(meta.get("sc_neuro_steps", 16))[0])
    return engine.quantise(
        weights, alpha=net["alpha"], threshold=net["threshold"], steps=steps, bias=bias,
        length=length, beta=float(np.ravel(meta.get("sc_neuro_beta", 5.0))[0]),
        kappa=float(np.ravel(meta.get("sc_neuro_kappa", 1.0))[0]),
        description=str(desc),
    )


class _CliError(Exception):
    pass


def _read_file(path):
    if not os.path.isfile(path):
        raise _CliError(f"{path}: no such file")
    try:
        return nir.read(path)
    except Exception as e:  # h5py's OSError, or a KeyError for an HDF5 file that is no NIR graph
        raise _CliError(f"{path}: not a NIR graph ({type(e).__name__}: {e})") from None


def main(argv=None):
    """``python -m sc_neuro.nir import|export ...`` (the work of ``sc model
    import-nir`` / ``export-nir``). Returns the exit code: 0, or 2 with one
    ``error: ...`` line on stderr that names the file (and node)."""
    p = argparse.ArgumentParser(prog="python -m sc_neuro.nir",
                                description="NIR files (HDF5, PyPI nir) to and from SC model files")
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("import", help="a NIR graph to an SC model file (quantised)")
    i.add_argument("file", help="NIR file (nir.write's HDF5)")
    i.add_argument("--out", required=True, help="model file to write (JSON, docs/model.md)")
    i.add_argument("--dt", type=float, help="the step (default: the graph's metadata 'dt')")
    i.add_argument("--steps", type=int, help="time steps the model runs (default: the graph's, else 16)")
    i.add_argument("--length", type=int, help="stream bits per step (default: the graph's, else 256)")
    i.add_argument("--drive", choices=("nir", "unit"), default="nir",
                   help="'nir': R = r dt/tau (default); 'unit': R = 1 (spyx, snnTorch)")
    e = sub.add_parser("export", help="an SC model file to a NIR graph")
    e.add_argument("model", help="model file (docs/model.md)")
    e.add_argument("--out", required=True, help="NIR file to write")
    e.add_argument("--dt", type=float, default=1.0, help="the step stored in the graph (default 1)")
    a = p.parse_args(argv)
    try:
        if a.cmd == "import":
            g = _read_file(a.file)
            try:
                m = from_nir(g, dt=a.dt, steps=a.steps, length=a.length, drive=a.drive)
            except (ValueError, TypeError) as err:
                raise _CliError(f"{a.file}: {err}") from None
            try:
                engine.save_model(m, a.out)
            except OSError as err:
                raise _CliError(f"cannot write {a.out}: {err.strerror or err}") from None
            print(f"wrote {a.out} (dims {m.dims}, {m.steps} steps) from {a.file}")
        else:
            if not os.path.isfile(a.model):
                raise _CliError(f"{a.model}: no such file")
            try:
                m = engine.load_model(a.model)
                g = to_nir(m, dt=a.dt)
            except (ValueError, TypeError) as err:
                raise _CliError(f"{a.model}: {err}") from None
            try:
                nir.write(a.out, g)
            except OSError as err:
                raise _CliError(f"cannot write {a.out}: {err}") from None
            print(f"wrote {a.out} ({len(g.nodes)} nodes) from {a.model}")
    except _CliError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
