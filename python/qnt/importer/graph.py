"""ONNX graph -> one ``func.func`` of TOSA ops."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field

import numpy as np

from . import mlir_text as mt
from .emitter import Emitter, Value
from .errors import DynamicShapeError, ImporterError, UnsupportedError
from .ops import CONVERTERS, Node, supported_ops


@dataclass
class TensorSig:
    name: str
    shape: tuple
    dtype: np.dtype

    def to_json(self):
        return {"name": self.name, "shape": list(self.shape),
                "dtype": np.dtype(self.dtype).name}


@dataclass
class FuncSig:
    name: str
    inputs: list = field(default_factory=list)
    outputs: list = field(default_factory=list)

    def to_json(self):
        return {"name": self.name,
                "inputs": [t.to_json() for t in self.inputs],
                "outputs": [t.to_json() for t in self.outputs]}


def load_model(path):
    """Load and validate an ONNX file; ImporterError on any problem."""
    import onnx
    from google.protobuf.message import DecodeError

    path = os.fspath(path)
    if not os.path.exists(path):
        raise ImporterError(f"{path}: no such file")
    try:
        model = onnx.load(path)
    except (DecodeError, RuntimeError, ValueError, OSError) as exc:
        raise ImporterError(f"{path}: not a valid ONNX file (truncated or "
                            f"corrupt?): {exc}") from None
    except Exception as exc:  # protobuf raises assorted types
        raise ImporterError(f"{path}: cannot parse ONNX protobuf (truncated "
                            f"or corrupt?): {type(exc).__name__}: {exc}"
                            ) from None
    check_model(model, path)
    return model


def check_model(model, what="model"):
    """Structural checks (onnx.checker is stricter than the spec about
    optional fields, e.g. output shapes, so it is not used)."""
    if not model.HasField("graph") or not model.graph.output or \
            not model.graph.node and not model.graph.initializer and \
            not model.graph.input:
        raise ImporterError(f"{what}: not a valid ONNX model (no graph or no "
                            f"outputs; truncated or corrupt?)")
    for n in model.graph.node:
        if not n.op_type:
            raise ImporterError(f"{what}: node '{n.name}' has no op_type "
                                f"(corrupt model?)")


def _attr_value(attr):
    from onnx import helper, numpy_helper
    v = helper.get_attribute_value(attr)
    if hasattr(v, "dims") and hasattr(v, "data_type"):
        return numpy_helper.to_array(v)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list) and v and isinstance(v[0], bytes):
        return [s.decode("utf-8", "replace") for s in v]
    return v


def _np_dtype(elem_type, what):
    from onnx import mapping, TensorProto
    dt = mapping.TENSOR_TYPE_TO_NP_TYPE.get(elem_type)
    name = TensorProto.DataType.Name(elem_type) if elem_type else "undefined"
    if elem_type == TensorProto.BFLOAT16:
        dt = None      # onnx maps it to float16 storage: not the same type
    if dt is None or not mt.supported_dtype(dt) or np.dtype(dt) == np.float64:
        raise ImporterError(
            f"{what}: element type {name} is not supported (float32, float16, "
            f"int8, int16, int32, int64, bool; TOSA integers are signless and "
            f"treated as signed, so unsigned types are rejected)")
    return np.dtype(dt)


def _parse_shape_override(text):
    return tuple(int(d) for d in str(text).lower().split("x"))


def _input_shape(vi, overrides, batch):
    name = vi.name
    if not vi.type.HasField("tensor_type"):
        kind = vi.type.WhichOneof("value")
        raise ImporterError(f"graph input '{name}' is a {kind}, not a tensor "
                            f"(sequence/optional/map types are not "
                            f"supported)")
    tt = vi.type.tensor_type
    if name in overrides:
        shape = tuple(overrides[name])
        if tt.HasField("shape") and len(tt.shape.dim) != len(shape):
            raise ImporterError(f"--input-shape {name}: rank {len(shape)} "
                                f"but the model says {len(tt.shape.dim)}")
        return shape
    if not tt.HasField("shape"):
        raise DynamicShapeError(f"graph input '{name}' has no shape: give "
                                f"one with --input-shape {name}=AxBx...")
    dims = []
    for i, d in enumerate(tt.shape.dim):
        if i == 0 and batch is not None:
            dims.append(int(batch))
        elif d.HasField("dim_value") and d.dim_value > 0:
            dims.append(int(d.dim_value))
        else:
            sym = d.dim_param or "?"
            raise DynamicShapeError(
                f"graph input '{name}': dimension {i} ('{sym}') is dynamic; "
                f"all shapes must be static: pass --batch N (dimension 0) or "
                f"--input-shape {name}=" +
                "x".join(str(x.dim_value) if x.dim_value > 0 else "N"
                         for x in tt.shape.dim))
    return tuple(dims)


def _inferred_shapes(model, arg_shapes, bind):
    """ONNX shape inference on a copy with the resolved input shapes."""
    import onnx
    from onnx import numpy_helper
    m = copy.deepcopy(model)
    g = m.graph
    for vi in g.input:
        if vi.name in arg_shapes and vi.type.HasField("tensor_type"):
            shp = vi.type.tensor_type.shape
            del shp.dim[:]
            for d in arg_shapes[vi.name]:
                shp.dim.add().dim_value = int(d)
    for name, arr in bind.items():
        g.initializer.append(numpy_helper.from_array(np.asarray(arr), name))
    try:
        m = onnx.shape_inference.infer_shapes(m)
    except Exception:
        return {}
    shapes = {}
    for vi in list(m.graph.value_info) + list(m.graph.output):
        if not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in tt.shape.dim]
        if all(d is not None for d in dims):
            shapes[vi.name] = tuple(dims)
    return shapes


def import_graph(model, module: mt.ModuleText, *, func_name="forward",
                 input_shapes=None, batch=None, bind=None, bn_priors=None):
    """Translate ``model`` into a function of ``module``; returns FuncSig.

    ``bn_priors``: {conv output name: (beta, gamma)} of BatchNorms folded
    before import; the convolution gets a ``qnt.batchnorm`` attribute."""
    from onnx import numpy_helper

    graph = model.graph
    overrides = {k: (_parse_shape_override(v) if isinstance(v, str) else
                     tuple(v)) for k, v in (input_shapes or {}).items()}
    bind = dict(bind or {})
    opset = 1
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            opset = imp.version
    graph_inputs = {vi.name for vi in graph.input}
    for k in list(overrides) + list(bind):
        if k not in graph_inputs:
            raise ImporterError(f"'{k}' is not an input of the graph "
                                f"(inputs: {', '.join(sorted(graph_inputs))})")

    env: dict[str, Value] = {}
    for init in graph.initializer:
        try:
            env[init.name] = Value.constant(numpy_helper.to_array(init))
        except Exception as exc:
            raise ImporterError(f"initializer '{init.name}': {exc}") from None
    for name, arr in bind.items():
        env[name] = Value.constant(np.asarray(arr))

    e = Emitter(module)
    e.bn_priors = dict(bn_priors or {})
    sig = FuncSig(func_name)
    args = []
    arg_shapes = {}
    for vi in graph.input:
        if vi.name in env:
            continue
        shape = _input_shape(vi, overrides, batch)
        dtype = _np_dtype(vi.type.tensor_type.elem_type,
                          f"graph input '{vi.name}'")
        ssa = f"%arg{len(args)}"
        e.types[ssa] = mt.tensor_type(shape, dtype)
        env[vi.name] = Value(shape, dtype, ssa=ssa)
        arg_shapes[vi.name] = shape
        args.append(f"{ssa}: {e.types[ssa]} {{qnt.name = "
                    f"{mt.mlir_string(vi.name)}}}")
        sig.inputs.append(TensorSig(vi.name, shape, dtype))

    inferred = _inferred_shapes(model, arg_shapes, bind)

    for node in graph.node:
        name = node.name or (node.output[0] if node.output else node.op_type)
        if node.domain not in ("", "ai.onnx"):
            raise UnsupportedError(f"{node.domain}:{node.op_type}", name,
                                   f"operator domain '{node.domain}'",
                                   supported_ops())
        if node.op_type not in CONVERTERS:
            raise UnsupportedError(node.op_type, name,
                                   "operator not supported", supported_ops())
        fn, allowed = CONVERTERS[node.op_type]
        attrs = {a.name: _attr_value(a) for a in node.attribute}
        unknown = sorted(set(attrs) - allowed)
        if unknown:
            raise UnsupportedError(
                node.op_type, name,
                f"attribute(s) {', '.join(unknown)} not supported "
                f"(supported attributes: {', '.join(sorted(allowed)) or 'none'})")
        inputs = []
        for i in node.input:
            if i == "":
                inputs.append(None)
            elif i not in env:
                raise ImporterError(f"node '{name}' ({node.op_type}) uses "
                                    f"undefined tensor '{i}' (corrupt model?)")
            else:
                inputs.append(env[i])
        e.loc = name
        e.hint = name
        try:
            outs = fn(Node(e, node, inputs, attrs, opset))
        except ImporterError:
            raise
        except ValueError as exc:
            raise UnsupportedError(node.op_type, name, str(exc)) from None
        if len(outs) != len(node.output):
            raise ImporterError(f"node '{name}' ({node.op_type}): produced "
                                f"{len(outs)} outputs, model expects "
                                f"{len(node.output)}")
        for out_name, v in zip(node.output, outs):
            if not out_name:
                continue
            want = inferred.get(out_name)
            if want is not None and tuple(want) != v.shape:
                raise ImporterError(
                    f"node '{name}' ({node.op_type}): output '{out_name}' has "
                    f"shape {v.shape} but ONNX shape inference says "
                    f"{tuple(want)} (importer bug)")
            env[out_name] = v
    e.loc = None

    rets, rtypes, rdecl = [], [], []
    for vo in graph.output:
        if vo.name not in env:
            raise ImporterError(f"graph output '{vo.name}' is never computed")
        v = env[vo.name]
        e.hint = vo.name
        try:
            ssa = e.phys(v)
            ttype = mt.tensor_type(v.shape, v.dtype)
        except ValueError as exc:
            raise ImporterError(f"graph output '{vo.name}': {exc}") from None
        if v.dtype == np.float64:
            raise ImporterError(f"graph output '{vo.name}': float64 is not "
                                f"supported")
        rets.append(ssa)
        rtypes.append(ttype)
        rdecl.append(f"{ttype} {{qnt.name = {mt.mlir_string(vo.name)}}}")
        sig.outputs.append(TensorSig(vo.name, v.shape, v.dtype))

    header = (f"  func.func @{func_name}({', '.join(args)}) -> "
              f"({', '.join(rdecl)}) {{")
    body = e.lines + [f"    return {', '.join(rets)} : {', '.join(rtypes)}",
                      "  }"]
    module.functions.append("\n".join([header] + body))
    return sig
