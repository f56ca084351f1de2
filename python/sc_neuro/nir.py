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

import json

import numpy as np

import nir

from . import engine

__all__ = ["to_nir", "from_nir"]


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


def _lif_params(name, node, dt):
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
    return dt / tau, r * dt / tau, _uniform("v_threshold", name, node.v_threshold)


def from_nir(graph, dt=None, steps=None, length=None):
    """Quantise a NIR chain ``Input -> (Affine|Linear -> LIF|CubaLIF)+ ->
    Output`` to an SC model. ``dt`` defaults to ``graph.metadata["dt"]``;
    ``steps`` and ``length`` (bits per step) to what ``to_nir`` stored,
    else 16 and 256."""
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(f"graph must be a nir.NIRGraph, got {type(graph).__name__}")
    meta = graph.metadata or {}
    if dt is None:
        if "dt" not in meta:
            raise ValueError("dt is needed: the graph's metadata has no 'dt'")
        dt = meta["dt"]
    dt = float(dt)
    order = _chain(graph)
    weights, bias, alphas, thresholds = [], False, set(), set()
    for i in range(0, len(order), 2):
        fc_name = order[i]
        lif_name = order[i + 1] if i + 1 < len(order) else None
        fc = graph.nodes[fc_name]
        lif = graph.nodes.get(lif_name)
        if not isinstance(fc, (nir.Affine, nir.Linear)):
            raise ValueError(f"node {fc_name!r} is a {type(fc).__name__}; an Affine or Linear is needed here")
        if not isinstance(lif, (nir.LIF, nir.CubaLIF)):
            raise ValueError(f"node {lif_name!r} after {fc_name!r} must be a LIF or CubaLIF")
        alpha, r, th = _lif_params(lif_name, lif, dt)
        alphas.add(alpha)
        thresholds.add(th)
        w = np.asarray(fc.weight, dtype=np.float64) * r
        if isinstance(fc, nir.Affine) and np.any(np.asarray(fc.bias) != 0):
            if i:
                raise ValueError(f"node {fc_name!r}: only the first layer may have a bias")
            bias = True
        if i == 0 and bias:
            w = np.hstack([w, (np.asarray(fc.bias, dtype=np.float64) * r).reshape(-1, 1)])
        weights.append(w)
    if len(alphas) != 1 or len(thresholds) != 1:
        raise ValueError(
            f"every layer needs the same alpha = dt/tau and threshold; got alpha {sorted(alphas)}, "
            f"threshold {sorted(thresholds)}"
        )
    # nir.read returns lists as arrays and may return strings as bytes.
    lens = [int(v) for v in np.ravel(meta.get("sc_neuro_len", []))]
    desc = meta.get("sc_neuro_description", "imported from NIR by sc_neuro.nir.from_nir")
    if isinstance(desc, bytes):
        desc = desc.decode()
    if length is None:
        length = lens[0] if lens and len(set(lens)) == 1 else 256
    if steps is None:
        steps = int(meta.get("sc_neuro_steps", 16))
    return engine.quantise(
        weights, alpha=alphas.pop(), threshold=thresholds.pop(), steps=steps, bias=bias,
        length=length, beta=float(meta.get("sc_neuro_beta", 5.0)),
        kappa=float(meta.get("sc_neuro_kappa", 1.0)),
        description=str(desc),
    )
