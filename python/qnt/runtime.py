"""Run a library built by qnt.compiler on numpy arrays (ctypes).

    m = CompiledModel("model.so")
    (probs,) = m(images)                  # one batch, shapes fixed at compile
    probs = m.run_dataset(all_images)     # any number of samples, batched

The C interface is described in docs/runtime.md.
"""

from __future__ import annotations

import ctypes
import json
import os
from pathlib import Path

import numpy as np

__all__ = ["CompiledModel", "Function", "RuntimeError_"]


class RuntimeError_(RuntimeError):
    pass


class Function:
    """One entry point of a compiled library."""

    def __init__(self, model, index, sig):
        self._model = model
        self.index = index
        self.name = sig["name"]
        self.inputs = [(t["name"], tuple(t["shape"]), np.dtype(t["dtype"]))
                       for t in sig["inputs"]]
        self.outputs = [(t["name"], tuple(t["shape"]), np.dtype(t["dtype"]))
                        for t in sig["outputs"]]

    def _prepare(self, args, kwargs):
        if kwargs:
            names = [n for n, _, _ in self.inputs]
            unknown = set(kwargs) - set(names)
            if unknown:
                raise RuntimeError_(f"@{self.name}: unknown inputs "
                                    f"{sorted(unknown)} (expects {names})")
            args = list(args) + [kwargs[n] for n in names[len(args):]]
        if len(args) != len(self.inputs):
            raise RuntimeError_(f"@{self.name}: expects {len(self.inputs)} "
                                f"inputs, got {len(args)}")
        arrays = []
        for a, (name, shape, dtype) in zip(args, self.inputs):
            a = np.asarray(a)
            if a.shape != shape:
                raise RuntimeError_(
                    f"@{self.name}: input '{name}' must have shape {shape} "
                    f"(fixed at compile time), got {a.shape}")
            if a.dtype != dtype:
                if not np.can_cast(a.dtype, dtype, "same_kind"):
                    raise RuntimeError_(f"@{self.name}: input '{name}' must "
                                        f"be {dtype}, got {a.dtype}")
                a = a.astype(dtype)
            arrays.append(np.ascontiguousarray(a))
        return arrays

    def __call__(self, *args, **kwargs):
        """Run on C-contiguous arrays; returns a list of output arrays."""
        if self._model.missing_cpu_features:
            raise RuntimeError_(
                f"{self._model.path}: compiled for CPU features this machine "
                f"lacks ({self._model.missing_cpu_features}); compile it "
                f"without --target-cpu to run it here")
        arrays = self._prepare(args, kwargs)
        outs = [np.empty(shape, dtype) for _, shape, dtype in self.outputs]
        ins_c = (ctypes.c_void_p * max(len(arrays), 1))(
            *[a.ctypes.data for a in arrays])
        outs_c = (ctypes.c_void_p * max(len(outs), 1))(
            *[o.ctypes.data for o in outs])
        rc = self._model._lib.qnt_invoke(self.index, ins_c, outs_c)
        if rc != 0:
            raise RuntimeError_(f"@{self.name}: qnt_invoke returned {rc}")
        return outs

    @property
    def batch_size(self):
        return self.inputs[0][1][0] if self.inputs and self.inputs[0][1] \
            else None

    def run_dataset(self, *data, batch_size=None):
        """Run over arrays whose first axis is the sample axis.

        The samples are cut into batches of the compiled batch size (the
        last batch is zero-padded and the padding dropped from the
        results); returns the concatenated outputs."""
        bs = self.batch_size
        if bs is None:
            raise RuntimeError_("run_dataset needs inputs with a batch axis")
        if batch_size is not None and batch_size != bs:
            raise RuntimeError_(f"library compiled for batch {bs}, not "
                                f"{batch_size}")
        data = [np.asarray(d) for d in data]
        n = len(data[0])
        if any(len(d) != n for d in data):
            raise RuntimeError_("inputs have different sample counts")
        results = [[] for _ in self.outputs]
        for start in range(0, n, bs):
            chunk = [d[start:start + bs] for d in data]
            real = len(chunk[0])
            if real < bs:
                chunk = [np.concatenate(
                    [c, np.zeros((bs - real,) + c.shape[1:], c.dtype)])
                    for c in chunk]
            outs = self(*chunk)
            for r, o in zip(results, outs):
                r.append(o[:real])
        return [np.concatenate(r) if r else np.empty((0,)) for r in results]


# dlopen() returns the already loaded library for a path it has seen, even
# when the file was replaced since: a rebuilt library is loaded from a
# private copy instead.
_LOADED = {}        # resolved path -> (st_ino, st_mtime_ns)
_COPIES = None


def _load_path(path: Path) -> str:
    global _COPIES
    real = os.fspath(path.resolve())
    st = os.stat(real)
    key = (st.st_ino, st.st_mtime_ns)
    seen = _LOADED.get(real)
    if seen is None:
        _LOADED[real] = key
        return real
    if seen == key:
        return real
    if _COPIES is None:
        import atexit
        import shutil
        import tempfile
        _COPIES = tempfile.mkdtemp(prefix="qnt-lib-")
        atexit.register(shutil.rmtree, _COPIES, True)
    import shutil
    copy = os.path.join(_COPIES, f"{st.st_ino}-{st.st_mtime_ns}-"
                                 f"{path.name}")
    if not os.path.exists(copy):
        shutil.copyfile(real, copy)
    return copy


class CompiledModel:
    """A shared library built by :func:`qnt.compiler.compile_mlir`."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise RuntimeError_(f"{self.path}: no such file")
        try:
            self._lib = ctypes.CDLL(_load_path(self.path))
        except OSError as exc:
            raise RuntimeError_(f"{self.path}: cannot load: {exc}") from None
        try:
            self._lib.qnt_signature.restype = ctypes.c_char_p
        except AttributeError:
            raise RuntimeError_(f"{self.path}: not a qnt library (no "
                                f"qnt_signature)") from None
        # The target's CPU features this machine lacks ("" when it can run
        # here; libraries from before the check have no such function).
        missing = getattr(self._lib, "qnt_missing_cpu_features", None)
        self.missing_cpu_features = ""
        if missing is not None:
            missing.restype = ctypes.c_char_p
            self.missing_cpu_features = missing().decode("utf-8")
        self._lib.qnt_invoke.restype = ctypes.c_int
        self._lib.qnt_invoke.argtypes = [ctypes.c_int, ctypes.c_void_p,
                                         ctypes.c_void_p]
        meta = json.loads(self._lib.qnt_signature().decode("utf-8"))
        self.functions = [Function(self, i, s)
                          for i, s in enumerate(meta["functions"])]
        self._by_name = {f.name: f for f in self.functions}

    def __getitem__(self, name) -> Function:
        return self._by_name[name]

    @property
    def max_threads(self) -> int:
        """Threads the next call may use (1 for a sequential library)."""
        f = getattr(self._lib, "qnt_max_threads", None)
        return int(f()) if f is not None else 1

    def set_num_threads(self, n: int) -> None:
        """Threads for the kernels of a library compiled with
        ``parallel=True`` (OpenMP); a sequential library accepts only 1."""
        f = getattr(self._lib, "qnt_set_num_threads", None)
        if f is None or f(int(n)) != 0:
            raise RuntimeError_(
                f"{self.path}: cannot use {n} threads (the library was "
                f"compiled without parallel=True, or n < 1)")

    @property
    def forward(self) -> Function:
        return self._by_name.get("forward", self.functions[0])

    @property
    def inputs(self):
        return self.forward.inputs

    @property
    def outputs(self):
        return self.forward.outputs

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def run_dataset(self, *data, batch_size=None):
        return self.forward.run_dataset(*data, batch_size=batch_size)
