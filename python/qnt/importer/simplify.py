"""ONNX graph rewrites applied before conversion.

fold_batchnorm: ``Conv -> BatchNormalization`` (inference, constant
parameters, the convolution's only consumer) becomes one ``Conv`` with scaled
weights and a new bias, as every quantization flow does before calibrating:

    W' = W * s[:, None, None, None],  b' = (b - mean) * s + beta,
    s  = gamma / sqrt(var + eps)      (computed in float64)
"""

from __future__ import annotations

import copy

import numpy as np


def _constants(graph):
    from onnx import numpy_helper
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant" and len(n.attribute) == 1 and \
                n.attribute[0].name == "value":
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    return consts


def fold_batchnorm(model, priors=None):
    """Return a copy of ``model`` with Conv+BatchNormalization folded, and
    the number of folds. With a dict ``priors``, record each folded Conv's
    BatchNorm output parameters there, keyed by the Conv's (new) output
    name: ``(beta, gamma)`` float32 arrays (the output is N(beta, gamma^2)
    per channel; high-bias absorption and bias correction use this)."""
    from onnx import helper, numpy_helper

    graph = model.graph
    consts = _constants(graph)
    uses = {}
    for n in graph.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    outputs = {o.name for o in graph.output}
    producer = {o: n for n in graph.node for o in n.output}
    plan = []
    for bn in graph.node:
        if bn.op_type != "BatchNormalization" or len(bn.output) != 1:
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in bn.attribute}
        if attrs.get("training_mode", 0) or attrs.get("spatial", 1) != 1:
            continue
        if not all(p in consts for p in bn.input[1:5]):
            continue
        conv = producer.get(bn.input[0])
        if conv is None or conv.op_type != "Conv" or \
                uses.get(bn.input[0], 0) != 1 or bn.input[0] in outputs:
            continue
        if len(conv.input) < 2 or conv.input[1] not in consts:
            continue
        if len(conv.input) > 2 and conv.input[2] and \
                conv.input[2] not in consts:
            continue
        w = consts[conv.input[1]]
        if w.dtype != np.float32:
            continue
        plan.append((conv, bn, float(attrs.get("epsilon", 1e-5))))
    if not plan:
        return model, 0

    model = copy.deepcopy(model)
    graph = model.graph
    nodes = list(graph.node)
    index = {(n.op_type, tuple(n.output)): i for i, n in enumerate(nodes)}
    drop = set()
    for k, (conv, bn, eps) in enumerate(plan):
        ci = index[(conv.op_type, tuple(conv.output))]
        bi = index[(bn.op_type, tuple(bn.output))]
        w = consts[conv.input[1]].astype(np.float64)
        out_ch = w.shape[0]
        b = (consts[conv.input[2]].astype(np.float64)
             if len(conv.input) > 2 and conv.input[2] else np.zeros(out_ch))
        gamma, beta, mean, var = (consts[p].astype(np.float64)
                                  for p in bn.input[1:5])
        s = gamma / np.sqrt(var + eps)
        w2 = (w * s.reshape((-1,) + (1,) * (w.ndim - 1))).astype(np.float32)
        b2 = ((b - mean) * s + beta).astype(np.float32)
        base = (conv.name or conv.output[0]) + "_bnfold"
        wn, bn_name = f"{base}_w{k}", f"{base}_b{k}"
        graph.initializer.extend([numpy_helper.from_array(w2, wn),
                                  numpy_helper.from_array(b2, bn_name)])
        node = nodes[ci]
        new_inputs = [node.input[0], wn, bn_name]
        del node.input[:]
        node.input.extend(new_inputs)
        node.output[0] = bn.output[0]
        if priors is not None:
            priors[bn.output[0]] = (beta.astype(np.float32),
                                    gamma.astype(np.float32))
        drop.add(bi)
    keep = [n for i, n in enumerate(nodes) if i not in drop]
    del graph.node[:]
    graph.node.extend(keep)
    return model, len(plan)
