"""ONNX Runtime as qnt's reference runtime and speed peer.

ONNX Runtime is not packaged in Debian; npm's ``onnxruntime-node@1.30.0``
ships a Linux x64 ``libonnxruntime.so`` (with VNNI int8 kernels).
``scripts/install-ort.sh`` installs it into ``$QNT_ORT_DIR``, else
``$QNT_CACHE/npm``, else ``<repo>/build/npm``.  This module drives
``scripts/ort/run.js`` with node in a subprocess, exchanging tensors as
``.npy`` files in a temporary directory.

Supported tensor element types: float32, float64, int8, uint8, int32, int64,
bool.

Sessions use ``intraOpNumThreads=threads`` (default 1), ``interOpNumThreads=1``,
sequential execution, the CPU execution provider and graph optimization level
``all`` unless ``opt_level`` says otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Mapping, Optional, Union

import numpy as np

from ..tools import REPO_ROOT

PathLike = Union[str, os.PathLike]

ORT_VERSION = "1.30.0"
RUN_JS = REPO_ROOT / "scripts" / "ort" / "run.js"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-ort.sh"

_SUPPORTED = {np.dtype(t) for t in ("float32", "float64", "int8", "uint8",
                                    "int32", "int64", "bool")}
_OPT_LEVELS = ("disabled", "basic", "extended", "all")


class OrtNotAvailable(RuntimeError):
    """node or onnxruntime-node is missing (run scripts/install-ort.sh)."""


class OrtError(RuntimeError):
    """run.js failed (bad model, bad inputs, runtime error)."""


def ort_dir() -> Path:
    """Where onnxruntime-node is installed (same rule as install-ort.sh)."""
    if os.environ.get("QNT_ORT_DIR"):
        return Path(os.environ["QNT_ORT_DIR"])
    if os.environ.get("QNT_CACHE"):
        return Path(os.environ["QNT_CACHE"]) / "npm"
    return REPO_ROOT / "build" / "npm"


def _node() -> Optional[str]:
    return os.environ.get("QNT_NODE") or shutil.which("node")


def ort_available() -> bool:
    """True when node and onnxruntime-node are installed (does not load it)."""
    return (_node() is not None and
            (ort_dir() / "node_modules" / "onnxruntime-node" / "package.json").exists())


def install_ort() -> None:
    """Run scripts/install-ort.sh (idempotent; needs npm's registry)."""
    subprocess.run(["bash", str(INSTALL_SCRIPT)], check=True)


def _require() -> str:
    node = _node()
    if node is None:
        raise OrtNotAvailable("node not found: apt-get install nodejs npm")
    if not ort_available():
        raise OrtNotAvailable(
            f"onnxruntime-node is not installed in {ort_dir()}: "
            f"run scripts/install-ort.sh")
    return node


def _call(args, timeout: Optional[float]) -> dict:
    node = _require()
    cmd = [node, str(RUN_JS)] + [str(a) for a in args] + ["--ort-dir", str(ort_dir())]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise OrtError(f"onnxruntime failed (exit {proc.returncode}): "
                       f"{proc.stderr.strip() or proc.stdout.strip()}")
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    if not lines:
        raise OrtError(f"run.js printed nothing; stderr: {proc.stderr.strip()}")
    return json.loads(lines[-1])


def _write_inputs(tmp: Path, inputs: Mapping[str, np.ndarray]):
    if not inputs:
        raise ValueError("no inputs given")
    args = []
    for i, (name, value) in enumerate(inputs.items()):
        arr = np.asarray(value)
        if arr.dtype.newbyteorder("=") not in _SUPPORTED:
            raise ValueError(f"input {name!r}: dtype {arr.dtype} not supported "
                             f"(use one of {sorted(str(d) for d in _SUPPORTED)})")
        arr = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<"))  # run.js: LE, C order
        path = tmp / f"in{i}.npy"
        np.save(path, arr, allow_pickle=False)
        args += ["--input", f"{name}={path}"]
    return args


def _read_outputs(result: dict) -> Dict[str, np.ndarray]:
    return {name: np.load(path, allow_pickle=False)
            for name, path in result["outputs"].items()}


def _common(threads: int, opt_level: str):
    if threads < 0:
        raise ValueError(f"threads must be >= 0 (0 = ORT's default), got {threads}")
    if opt_level not in _OPT_LEVELS:
        raise ValueError(f"opt_level must be one of {_OPT_LEVELS}, got {opt_level!r}")
    return ["--threads", threads, "--opt-level", opt_level]


def run_onnxruntime(model_path: PathLike, inputs: Mapping[str, np.ndarray],
                    threads: int = 1, opt_level: str = "all",
                    timeout: Optional[float] = 600) -> Dict[str, np.ndarray]:
    """Run ``model_path`` once on ``inputs`` ({input name: array}).

    Returns {output name: array} in the model's output order.
    """
    with tempfile.TemporaryDirectory(prefix="qnt-ort-") as t:
        tmp = Path(t)
        args = ["run", "--model", Path(model_path)] + _write_inputs(tmp, inputs)
        args += ["--out-dir", tmp / "out"] + _common(threads, opt_level)
        return _read_outputs(_call(args, timeout))


def run_onnxruntime_dataset(model_path: PathLike,
                            inputs: Union[np.ndarray, Mapping[str, np.ndarray]],
                            batch: Optional[int] = None, threads: int = 1,
                            opt_level: str = "all", input_name: str = None,
                            timeout: Optional[float] = 3600) -> Dict[str, np.ndarray]:
    """Run a whole dataset, sliced along axis 0 into batches of ``batch``.

    ``inputs`` is {name: array} or a single array (then ``input_name``, by
    default the model's first input).  ``batch`` defaults to the model's fixed
    batch size if it has one, else 256.  Outputs are concatenated along axis 0.
    """
    if not isinstance(inputs, Mapping):
        if input_name is None:
            input_name = ort_model_info(model_path)["inputs"][0]["name"]
        inputs = {input_name: inputs}
    with tempfile.TemporaryDirectory(prefix="qnt-ort-") as t:
        tmp = Path(t)
        args = ["dataset", "--model", Path(model_path)] + _write_inputs(tmp, inputs)
        args += ["--out-dir", tmp / "out"] + _common(threads, opt_level)
        if batch is not None:
            if batch < 1:
                raise ValueError(f"batch must be >= 1, got {batch}")
            args += ["--batch", batch]
        return _read_outputs(_call(args, timeout))


def benchmark_onnxruntime(model_path: PathLike, inputs: Mapping[str, np.ndarray],
                          threads: int = 1, warmup: int = 10, iters: int = 100,
                          opt_level: str = "all",
                          timeout: Optional[float] = 3600) -> dict:
    """Time ``session.run`` on ``inputs``: ``warmup`` untimed runs, then ``iters``
    timed ones.  Returns {"median_ms", "min_ms", "p90_ms", "mean_ms", "warmup",
    "iters", "threads", "model"}.  Times include node's call overhead into
    ORT (tens of microseconds) but no process start-up or model loading.
    """
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    with tempfile.TemporaryDirectory(prefix="qnt-ort-") as t:
        tmp = Path(t)
        args = ["bench", "--model", Path(model_path)] + _write_inputs(tmp, inputs)
        args += ["--warmup", warmup, "--iters", iters] + _common(threads, opt_level)
        return _call(args, timeout)


def ort_model_info(model_path: PathLike, timeout: Optional[float] = 120) -> dict:
    """{"inputs": [{"name", "type", "shape"}], "outputs": [...]} as ORT sees them
    (symbolic dimensions are strings)."""
    return _call(["info", "--model", Path(model_path)], timeout)


def save_optimized_model(model_path: PathLike, out_path: PathLike,
                         opt_level: str = "all",
                         timeout: Optional[float] = 120) -> Path:
    """Write the graph onnxruntime runs after its optimizer (which ops it
    fused, e.g. QLinearConv for a QDQ model) to ``out_path``."""
    _call(["info", "--model", Path(model_path), "--optimized-model",
           Path(out_path)] + _common(1, opt_level), timeout)
    return Path(out_path)
