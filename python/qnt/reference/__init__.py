"""Reference runtimes qnt compares its outputs and speed against.

Currently ONNX Runtime (npm ``onnxruntime-node``, driven through node):
see :mod:`qnt.reference.ort`.
"""

from .ort import (
    OrtError,
    OrtNotAvailable,
    benchmark_onnxruntime,
    ort_available,
    ort_dir,
    ort_model_info,
    run_onnxruntime,
    run_onnxruntime_dataset,
)

__all__ = [
    "OrtError", "OrtNotAvailable", "benchmark_onnxruntime", "ort_available",
    "ort_dir", "ort_model_info", "run_onnxruntime", "run_onnxruntime_dataset",
]
