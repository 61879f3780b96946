"""ONNX -> TOSA (MLIR 22) importer.

    from qnt.importer import import_onnx
    result = import_onnx("model.onnx", batch=8)
    open("model.mlir", "w").write(result.text)

See docs/importer.md for the supported operators and the layout strategy.
"""

from __future__ import annotations

import os

from . import mlir_text
from ..fileutil import write_atomically  # noqa: F401 (re-exported)
from .errors import DynamicShapeError, ImporterError, UnsupportedError
from .graph import FuncSig, TensorSig, check_model, import_graph, load_model
from .ops import supported_ops
from .simplify import fold_batchnorm

__all__ = ["import_onnx", "import_to_file", "ImportResult", "ImporterError",
           "UnsupportedError", "DynamicShapeError", "supported_ops",
           "FuncSig", "TensorSig", "load_model"]


class ImportResult:
    def __init__(self, module: mlir_text.ModuleText, signatures):
        self.module = module
        self.signatures = signatures   # list[FuncSig]
        self._text = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.module.render()
        return self._text

    @property
    def signature(self) -> FuncSig:
        return self.signatures[0]


def import_onnx(model, *, input_shapes=None, batch=None, bind=None,
                func_name="forward", fold_bn=True) -> ImportResult:
    """Import an ONNX model (path or ModelProto) as a TOSA module.

    input_shapes: {input name: shape tuple or "1x3x224x224"} overrides.
    batch: fixes dimension 0 of every graph input.
    bind: {input name: numpy array} turns graph inputs into constants.
    fold_bn: fold Conv+BatchNormalization pairs into the convolution.
    """
    if isinstance(model, (str, os.PathLike)):
        model = load_model(model)
    else:
        check_model(model)
    priors = {}
    if fold_bn:
        model, _ = fold_batchnorm(model, priors)
    module = mlir_text.ModuleText()
    sig = import_graph(model, module, func_name=func_name,
                       input_shapes=input_shapes, batch=batch, bind=bind,
                       bn_priors=priors)
    return ImportResult(module, [sig])


def import_to_file(model_path, out_path, **kw) -> ImportResult:
    res = import_onnx(model_path, **kw)
    write_atomically(out_path, res.text)
    return res
