"""An int8 ONNX Runtime peer: the QDQ form of a float ONNX model.

ONNX Runtime runs int8 models given in the QDQ form (QuantizeLinear ->
DequantizeLinear pairs around float ops, which its graph optimizer fuses
into QLinearConv, QGemm, ... with its own int8 kernels). qnt's benchmarks
(bench/e2e.py) compare qnt's integer libraries with onnxruntime running
such a model of the same float network. This module writes it, the way
onnxruntime's static quantization tool does (that tool is on PyPI, not in
Debian), from the model and calibration data alone:

* BatchNormalization after a Conv is folded into the Conv (onnxruntime
  would fold it too, but not across the Q/DQ pairs);
* activation ranges: min/max of every float tensor over the calibration
  inputs, from onnxruntime running the float model with every tensor
  exposed as an output;
* activations: uint8, asymmetric per tensor (range widened to include 0);
  weights of Conv: int8 symmetric per output channel; of Gemm/MatMul:
  int8 symmetric per tensor; Conv/Gemm biases: int32 with scale
  s_input * s_weight, zero point 0;
* a Q/DQ pair on every float activation a node reads, except a tensor read
  only by Relu/Clip (the activation belongs to its producer, so
  onnxruntime fuses Conv + Relu + Q); graph outputs stay float.

Opset 12 models are moved to opset 13 (per-axis DequantizeLinear).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, Mapping, Tuple, Union

import numpy as np

PathLike = Union[str, os.PathLike]

_ACTIVATIONS = {"Relu", "Clip"}


def _onnx():
    import onnx  # Debian python3-onnx
    from onnx import numpy_helper
    return onnx, numpy_helper


def fold_batchnorm(model):
    """Conv -> BatchNormalization (the Conv's only consumer) -> one Conv."""
    onnx, nh = _onnx()
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    consumers: Dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    drop = []
    for conv in list(g.node):
        if conv.op_type != "Conv" or len(consumers.get(conv.output[0], [])) != 1:
            continue
        bn = consumers[conv.output[0]][0]
        if bn.op_type != "BatchNormalization" or conv.input[1] not in inits:
            continue
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        scale, beta, mean, var = (nh.to_array(inits[t]).astype(np.float64)
                                  for t in bn.input[1:5])
        w = nh.to_array(inits[conv.input[1]]).astype(np.float64)
        b = (nh.to_array(inits[conv.input[2]]).astype(np.float64)
             if len(conv.input) > 2 and conv.input[2] else np.zeros(w.shape[0]))
        k = scale / np.sqrt(var + eps)
        w = w * k.reshape(-1, *([1] * (w.ndim - 1)))
        b = (b - mean) * k + beta
        wname, bname = conv.output[0] + "_w_folded", conv.output[0] + "_b_folded"
        g.initializer.append(nh.from_array(w.astype(np.float32), wname))
        g.initializer.append(nh.from_array(b.astype(np.float32), bname))
        del conv.input[1:]
        conv.input.extend([wname, bname])
        conv.output[0] = bn.output[0]
        drop.append(bn)
    for n in drop:
        g.node.remove(n)
    return model


def _float_tensors(model):
    """Names of the float tensors nodes compute from the graph inputs (shape
    inference for the types; constants and shape computations excluded)."""
    onnx, _ = _onnx()
    inferred = onnx.shape_inference.infer_shapes(model)
    floats = set()
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        if vi.type.tensor_type.elem_type == onnx.TensorProto.FLOAT:
            floats.add(vi.name)
    inits = {i.name for i in model.graph.initializer}
    dynamic = {i.name for i in model.graph.input} - inits
    for n in model.graph.node:  # topologically sorted (ONNX rule)
        if any(i in dynamic for i in n.input):
            dynamic.update(n.output)
    return floats & dynamic


def activation_ranges(model, inputs: Mapping[str, np.ndarray],
                      batch: int = None) -> Dict[str, Tuple[float, float]]:
    """min/max of every float tensor (and float input) over ``inputs``, from
    onnxruntime running ``model`` with every tensor exposed as an output."""
    import tempfile
    onnx, _ = _onnx()
    from .ort import run_onnxruntime_dataset
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = sorted(_float_tensors(model) - {o.name for o in probe.graph.output})
    for name in names:
        probe.graph.output.append(onnx.helper.make_tensor_value_info(
            name, onnx.TensorProto.FLOAT, None))
    with tempfile.TemporaryDirectory(prefix="qnt-qdq-") as tmp:
        path = Path(tmp) / "probe.onnx"
        onnx.save(probe, str(path))
        outs = run_onnxruntime_dataset(path, inputs, batch=batch)
    ranges = {k: (float(np.min(v)), float(np.max(v))) for k, v in outs.items()}
    for k, v in inputs.items():
        ranges[k] = (float(np.min(v)), float(np.max(v)))
    return ranges


def _uint8_params(lo: float, hi: float) -> Tuple[float, int]:
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    return scale, int(np.clip(round(-lo / scale), 0, 255))


def export_qdq(model_path: PathLike, calib: Mapping[str, np.ndarray],
               out_path: PathLike, batch: int = None) -> Path:
    """Writes the QDQ int8 form of ``model_path`` to ``out_path`` (see the
    module docstring); ``calib``: input name -> calibration array."""
    onnx, nh = _onnx()
    model = onnx.load(str(model_path))
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx") and op.version < 13:
            op.version = 13
    fold_batchnorm(model)
    ranges = activation_ranges(model, calib, batch)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    graph_outputs = {o.name for o in g.output}
    consumers: Dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    new_inits, qdq_nodes = [], []
    act_params: Dict[str, Tuple[float, int]] = {}
    renamed: Dict[str, str] = {}

    def const(name, array):
        new_inits.append(nh.from_array(array, name))
        return name

    # Activations: a Q/DQ pair after each float tensor that some node reads.
    for name, (lo, hi) in ranges.items():
        users = consumers.get(name, [])
        if not users or name in inits or name in graph_outputs:
            continue
        if all(u.op_type in _ACTIVATIONS for u in users):
            continue
        scale, zp = _uint8_params(lo, hi)
        act_params[name] = (scale, zp)
        s = const(f"{name}_qdq_scale", np.array(scale, np.float32))
        z = const(f"{name}_qdq_zp", np.array(zp, np.uint8))
        q, dq = f"{name}_q", f"{name}_dq"
        qdq_nodes.append(onnx.helper.make_node(
            "QuantizeLinear", [name, s, z], [q], name=f"{name}_QuantizeLinear"))
        qdq_nodes.append(onnx.helper.make_node(
            "DequantizeLinear", [q, s, z], [dq],
            name=f"{name}_DequantizeLinear"))
        renamed[name] = dq

    # Weights and biases of Conv / Gemm / MatMul.
    for n in g.node:
        if n.op_type not in ("Conv", "Gemm", "MatMul") or len(n.input) < 2:
            continue
        if n.input[1] not in inits or n.input[0] not in act_params:
            continue
        w = nh.to_array(inits[n.input[1]]).astype(np.float64)
        per_channel = n.op_type == "Conv"
        if per_channel:
            amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1)
        else:
            amax = np.array(np.abs(w).max())
        sw = np.where(amax > 0, amax / 127.0, 1.0)
        shape = (-1,) + (1,) * (w.ndim - 1) if per_channel else ()
        codes = np.clip(np.round(w / sw.reshape(shape)), -127, 127).astype(np.int8)
        wn = n.input[1]
        qn = const(f"{wn}_int8", codes)
        sn = const(f"{wn}_scale", sw.astype(np.float32))
        zn = const(f"{wn}_zp", np.zeros(sw.shape, np.int8))
        attrs = {"axis": 0} if per_channel else {}
        qdq_nodes.append(onnx.helper.make_node(
            "DequantizeLinear", [qn, sn, zn], [f"{wn}_dq"],
            name=f"{wn}_DequantizeLinear", **attrs))
        n.input[1] = f"{wn}_dq"
        if len(n.input) > 2 and n.input[2] in inits:
            b = nh.to_array(inits[n.input[2]]).astype(np.float64)
            sb = act_params[n.input[0]][0] * sw
            sb = np.broadcast_to(sb, b.shape) if per_channel else sb
            bq = np.clip(np.round(b / sb), -2**31, 2**31 - 1).astype(np.int32)
            bn = n.input[2]
            qn = const(f"{bn}_int32", bq)
            sn = const(f"{bn}_scale", np.asarray(sb, np.float32))
            zn = const(f"{bn}_zp", np.zeros(np.shape(sb), np.int32))
            qdq_nodes.append(onnx.helper.make_node(
                "DequantizeLinear", [qn, sn, zn], [f"{bn}_dq"],
                name=f"{bn}_DequantizeLinear", **attrs))
            n.input[2] = f"{bn}_dq"

    # Readers of a quantized tensor read its DQ output.
    for n in g.node:
        for i, name in enumerate(n.input):
            if name in renamed:
                n.input[i] = renamed[name]
    g.initializer.extend(new_inits)
    # Q/DQ nodes go first; sort topologically afterwards.
    nodes = qdq_nodes + list(g.node)
    del g.node[:]
    g.node.extend(_topological(nodes, {i.name for i in g.input} |
                               {i.name for i in g.initializer}))
    onnx.checker.check_model(model)
    out_path = Path(out_path)
    onnx.save(model, str(out_path))
    return out_path


def _topological(nodes, available):
    """Nodes ordered so that every input is produced before it is read."""
    ready = set(available) | {""}
    pending, ordered = list(nodes), []
    while pending:
        rest = []
        for n in pending:
            if all(i in ready for i in n.input):
                ordered.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise ValueError("export_qdq: the graph has a cycle or an "
                             f"unknown input (node {rest[0].name})")
        pending = rest
    return ordered
