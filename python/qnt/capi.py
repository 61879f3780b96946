"""ctypes binding of qnt's C API (libQntCAPI.so, include/qnt-c/Qnt.h).

Debian's MLIR has no Python bindings, so Python reaches the compiler through
this small string-level API: parse IR, run a textual pass pipeline, get the
printed module and the diagnostics back.
"""

import ctypes
from dataclasses import dataclass
from pathlib import Path

from .tools import build_dir


class QntError(RuntimeError):
    """A pass pipeline failed; ``diagnostics`` holds the compiler's messages."""

    def __init__(self, message: str, diagnostics: str):
        super().__init__(f"{message}\n{diagnostics}".rstrip())
        self.diagnostics = diagnostics


@dataclass
class PipelineResult:
    output: str
    diagnostics: str  # remarks and warnings of a successful run


_lib = None


def library_path() -> Path:
    return build_dir() / "lib" / "libQntCAPI.so"


def _load():
    global _lib
    if _lib is None:
        path = library_path()
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist: build qnt first (scripts/build.sh)")
        lib = ctypes.CDLL(str(path))
        lib.qntRunPipeline.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p)]
        lib.qntRunPipeline.restype = ctypes.c_int
        lib.qntRunPipelineWithFlags.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
            ctypes.c_uint, ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_void_p)]
        lib.qntRunPipelineWithFlags.restype = ctypes.c_int
        lib.qntFreeString.argtypes = [ctypes.c_void_p]
        lib.qntFreeString.restype = None
        lib.qntGetVersion.argtypes = []
        lib.qntGetVersion.restype = ctypes.c_char_p
        _lib = lib
    return _lib


def version() -> str:
    return _load().qntGetVersion().decode()


_STAGES = {1: "parsing failed", 2: "invalid pass pipeline", 3: "pass pipeline failed"}


PRINT_LOCATIONS = 1  # QNT_PRINT_LOCATIONS


def run_pipeline(source: str, pipeline: str = "", name: str = "<input>",
                 locations: bool = False) -> PipelineResult:
    """Parses ``source``, runs ``pipeline`` (e.g. "builtin.module(canonicalize)")
    in-process and returns the printed module (with ``locations``: with its
    ``loc(...)`` information, e.g. ONNX node names). Raises QntError on
    failure."""
    lib = _load()
    data = source.encode()
    out, diag = ctypes.c_void_p(), ctypes.c_void_p()
    status = lib.qntRunPipelineWithFlags(
        data, len(data), name.encode(), pipeline.encode(),
        PRINT_LOCATIONS if locations else 0, ctypes.byref(out),
        ctypes.byref(diag))
    try:
        text = ctypes.string_at(out.value).decode() if out.value else None
        diagnostics = ctypes.string_at(diag.value).decode() if diag.value else ""
    finally:
        lib.qntFreeString(out.value)
        lib.qntFreeString(diag.value)
    if status != 0:
        raise QntError(_STAGES.get(status, f"error {status}"), diagnostics)
    return PipelineResult(text, diagnostics)
