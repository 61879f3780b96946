"""``qnt eval``: compile a model with qnt and measure it on real data.

    PYTHONPATH=python python3 -m qnt eval [MODEL.onnx|.mlir|.so]
        [--batch 64] [--limit N] [--ort] [--scalar] [--json F]

The model defaults to the bundled ``models/fmnist_mobilenet.onnx``.  What is
measured depends on the model's signature:

* **Fashion-MNIST classifier** (one input ``[B,1,28,28]``, one output
  ``[B,10]``): the full 10 000-image t10k test set (``qnt.datasets
  .evaluation_set()``, or its first ``--limit`` images); reports top-1.
* **BlazeFace front** (input ``[1,128,128,3]`` NHWC and the four outputs
  ``Identity*:0``): the real photos of ``qnt.photos`` (``blazeface_inputs``);
  reports the faces found per photo (score > 0.5, NMS as
  ``qnt.reference.blazeface.decode``).

Steps, each timed on its own: import (ONNX only) and compilation with
``compiler.cached_compile`` (libraries are reused from ``$QNT_CACHE_DIR`` when
it is set; otherwise every run compiles afresh), loading, one untimed warm-up
call, then the timed pass over the data.  Throughput is
``images / wall time of that pass`` including the Python batching loop (for
latency without Python see ``bench/fp32.py``); the compiled code is
single-threaded.  ``--ort`` also runs the same ONNX model under onnxruntime
(``qnt.reference.ort``, 1 thread) on the same data and reports the agreement.

The library API is :func:`evaluate`, returning a dict (the ``--json`` file);
:func:`format_report` turns it into the printed report.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Optional

import numpy as np

from .tools import REPO_ROOT

__all__ = ["DEFAULT_MODEL", "EvalError", "evaluate", "format_report",
           "relative_error"]

DEFAULT_MODEL = REPO_ROOT / "models" / "fmnist_mobilenet.onnx"
DEFAULT_BATCH = 64
MIN_TIMED_SECONDS = 1.0     # small data sets are repeated up to this long


class EvalError(RuntimeError):
    """A user error of ``qnt eval`` (bad model, missing data, ...)."""


def relative_error(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per sample: ``max|got - ref| / max|ref|`` over everything but axis 0.

    This is the error measure used by ``--ort``, the tests and the docs:
    for every image the largest absolute difference, relative to the
    largest magnitude of the reference output of that image (0 when both
    are all zero)."""
    got = np.asarray(got, dtype=np.float64).reshape(len(got), -1)
    ref = np.asarray(ref, dtype=np.float64).reshape(len(ref), -1)
    diff = np.abs(got - ref).max(axis=1)
    scale = np.abs(ref).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, diff / np.where(scale > 0, scale, 1),
                       np.where(diff > 0, np.inf, 0.0))
    return rel


# ------------------------------------------------------------ the model
def _task_of(fn) -> str:
    ins, outs = fn.inputs, fn.outputs
    if (len(ins) == 1 and len(outs) == 1 and len(ins[0][1]) == 4 and
            ins[0][1][1:] == (1, 28, 28) and outs[0][1][1:] == (10,)):
        return "fashion-mnist"
    from .reference.blazeface import HEADS, INPUT_SIZE
    names = {n for n, _, _ in outs}
    want = {n for h in HEADS for n in h[:2]}
    if (len(ins) == 1 and ins[0][1][1:] == (INPUT_SIZE, INPUT_SIZE, 3) and
            names == want):
        return "blazeface"
    sig = ", ".join(f"{n}{list(s)}" for n, s, _ in ins)
    osig = ", ".join(f"{n}{list(s)}" for n, s, _ in outs)
    raise EvalError(
        f"do not know how to evaluate a model ({sig}) -> ({osig}): qnt eval "
        f"knows Fashion-MNIST classifiers (input [N,1,28,28], output [N,10]) "
        f"and BlazeFace front (input [1,128,128,3] NHWC, outputs "
        f"Identity:0..Identity_3:0)")


def _prepare(model: Path, batch: Optional[int], vectorize: bool):
    """(CompiledModel, compile info dict) for an .onnx/.mlir/.so path."""
    from . import compiler
    from .runtime import CompiledModel
    if not model.exists():
        hint = ""
        if model.name.startswith("face_detection"):
            hint = " (fetch BlazeFace with scripts/fetch_blazeface.sh)"
        raise EvalError(f"{model}: no such file{hint}")
    if model.is_dir():
        raise EvalError(f"{model}: is a directory, expected a model file")
    info = {"source": str(model), "kind": model.suffix.lstrip(".")}
    if model.suffix == ".so":
        if not vectorize:
            raise EvalError("--scalar needs an .onnx or .mlir model (a .so "
                            "is already compiled)")
        lib = CompiledModel(model)
        bs = lib.forward.batch_size
        if batch is not None and batch != bs:
            raise EvalError(f"{model}: library compiled for batch {bs}, not "
                            f"--batch {batch} (recompile, or drop --batch)")
        info.update(library=str(model), import_s=None, compile_s=None,
                    cached=None)
        return lib, info
    if model.suffix not in (".onnx", ".mlir"):
        raise EvalError(f"{model}: expected a .onnx, .mlir or .so file")
    if model.suffix == ".onnx" and batch is None:
        batch = _default_batch(model)
    t0 = time.perf_counter()
    try:
        text, sigs = compiler.load_source(model, batch=batch)
    except Exception as exc:
        fixed = _fixed_batch(model) if model.suffix == ".onnx" else None
        if batch is None or fixed is None or fixed == batch:
            raise
        raise EvalError(f"{exc}\n(the model was exported with a fixed batch "
                        f"of {fixed} that its graph relies on; run it without "
                        f"--batch)") from None
    t1 = time.perf_counter()
    pipeline = compiler.float_pipeline(vectorize=vectorize)
    cache = compiler._cache_dir()
    before = set(os.listdir(cache))
    so = compiler.cached_compile(text, sigs=sigs, pipeline=pipeline)
    t2 = time.perf_counter()
    # Without $QNT_CACHE_DIR the library lives in a temporary directory
    # removed at exit: do not report its path.
    kept = str(so) if os.environ.get("QNT_CACHE_DIR") else None
    info.update(library=kept, import_s=round(t1 - t0, 3),
                compile_s=round(t2 - t1, 3), cached=so.name in before,
                pipeline=pipeline)
    return CompiledModel(so), info


def _fixed_batch(model: Path) -> Optional[int]:
    """Dimension 0 of the ONNX model's first graph input when it is a fixed
    number, else None (symbolic, or the file cannot be read here)."""
    try:
        import onnx
        m = onnx.load(str(model), load_external_data=False)
    except Exception:       # the importer reports unreadable files
        return None
    inits = {t.name for t in m.graph.initializer}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        dims = inp.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_value") and dims[0].dim_value > 0:
            return int(dims[0].dim_value)
        return None
    return None


def _default_batch(model: Path) -> Optional[int]:
    """DEFAULT_BATCH when the ONNX input's batch dimension is free, else
    None (keep the model's own batch, e.g. BlazeFace's fixed 1)."""
    return None if _fixed_batch(model) is not None else DEFAULT_BATCH


# ------------------------------------------------------------ running
def _timed_pass(fn, data, max_repeats: int = 1000):
    """Run ``fn`` over ``data`` in compiled-batch chunks: (outputs of the
    first pass, seconds per pass, passes, per-call seconds)."""
    bs = fn.batch_size
    n = len(data)
    chunks = []
    for start in range(0, n, bs):
        c = data[start:start + bs]
        if len(c) < bs:
            c = np.concatenate([c, np.zeros((bs - len(c),) + c.shape[1:],
                                            c.dtype)])
        chunks.append((np.ascontiguousarray(c), min(bs, n - start)))
    fn(chunks[0][0])                                   # warm-up, untimed
    results = [[] for _ in fn.outputs]
    calls = []
    passes, t_start = 0, time.perf_counter()
    while True:
        for c, real in chunks:
            t0 = time.perf_counter()
            outs = fn(c)
            calls.append(time.perf_counter() - t0)
            if passes == 0:
                for r, o in zip(results, outs):
                    r.append(o[:real])
        passes += 1
        elapsed = time.perf_counter() - t_start
        if elapsed >= MIN_TIMED_SECONDS or passes >= max_repeats:
            break
    outs = [np.concatenate(r) for r in results]
    return outs, elapsed / passes, passes, calls


def _ort_outputs(model: Path, feeds: dict, batch: int):
    from .reference import ort
    try:
        return ort.run_onnxruntime_dataset(model, feeds, batch=batch,
                                           threads=1)
    except ort.OrtNotAvailable as exc:
        raise EvalError(f"--ort: {exc}") from None
    except ort.OrtError as exc:
        raise EvalError(f"--ort: {exc}") from None


def evaluate(model=None, batch: Optional[int] = None,
             limit: Optional[int] = None, ort: bool = False,
             vectorize: bool = True) -> dict:
    """Compile ``model`` (default: the bundled model) and evaluate it; see
    the module documentation.  Returns a JSON-serializable dict."""
    model = Path(model) if model is not None else DEFAULT_MODEL
    if batch is not None and batch < 1:
        raise EvalError(f"--batch must be >= 1, got {batch}")
    if limit is not None and limit < 1:
        raise EvalError(f"--limit must be >= 1, got {limit}")
    if ort and model.suffix != ".onnx":
        raise EvalError(f"--ort needs the .onnx model (onnxruntime cannot "
                        f"run {model.suffix or 'this file'})")
    if ort:
        from .reference import ort as ort_mod
        if not ort_mod.ort_available():
            raise EvalError(f"--ort: onnxruntime-node is not installed in "
                            f"{ort_mod.ort_dir()}: run scripts/install-ort.sh")
    lib, info = _prepare(model, batch, vectorize)
    fn = lib.forward
    task = _task_of(fn)
    res = {"model": str(model), "task": task, "batch": fn.batch_size,
           "compile": info, "threads": 1, "machine": platform.machine(),
           "date": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    if task == "fashion-mnist":
        _eval_fmnist(res, fn, model, limit, ort)
    else:
        _eval_blazeface(res, fn, model, limit, ort)
    return res


def _eval_fmnist(res, fn, model, limit, ort):
    from . import datasets
    try:
        x, y = datasets.evaluation_set()
    except (datasets.DatasetNotFound, ValueError) as exc:
        raise EvalError(str(exc)) from None
    if limit is not None:
        x, y = x[:limit], y[:limit]
    (logits,), per_pass, passes, calls = _timed_pass(fn, x)
    correct = int((logits.argmax(axis=1) == y).sum())
    res.update(data="Fashion-MNIST t10k (qnt.datasets.evaluation_set)",
               images=len(x), top1=correct / len(x), correct=correct,
               seconds=round(per_pass, 4), passes=passes,
               images_per_s=len(x) / per_pass,
               batch_median_ms=float(np.median(calls)) * 1e3)
    if ort:
        ref = _ort_outputs(model, {fn.inputs[0][0]: x}, fn.batch_size)
        o = ref[fn.outputs[0][0]]
        rel = relative_error(logits, o)
        res["ort"] = {
            "runtime": "onnxruntime-node 1.30 (1 thread)",
            "top1": float((o.argmax(axis=1) == y).mean()),
            "argmax_differs": int((o.argmax(axis=1) !=
                                   logits.argmax(axis=1)).sum()),
            "max_rel_logit_diff": float(rel.max()),
            "max_abs_logit_diff": float(np.abs(logits - o).max()),
        }


def _eval_blazeface(res, fn, model, limit, ort):
    from . import photos
    from .reference.blazeface import decode
    try:
        x, names = photos.blazeface_inputs(size=fn.inputs[0][1][1])
    except (photos.PhotosNotAvailable, OSError) as exc:
        raise EvalError(str(exc)) from None
    if limit is not None:
        x, names = x[:limit], names[:limit]
    outs, per_pass, passes, calls = _timed_pass(fn, x)
    onames = [n for n, _, _ in fn.outputs]
    od = dict(zip(onames, outs))
    per_photo = []
    for i, n in enumerate(names):
        dets = decode(od, i, x.shape[1], 0.5)
        best = max(float(1 / (1 + np.exp(-np.clip(od[s][i].max(), -80, 80))))
                   for s in ("Identity:0", "Identity_1:0"))
        per_photo.append({"photo": n, "faces": len(dets),
                          "best_score": round(best, 4),
                          "boxes": [[round(v, 4) for v in d["box"]]
                                    for d in dets]})
    res.update(data="photos from Debian packages (qnt.photos, "
                    "blazeface_inputs: crop, 128x128, [-1,1])",
               images=len(x), seconds=round(per_pass, 4), passes=passes,
               images_per_s=len(x) / per_pass,
               batch_median_ms=float(np.median(calls)) * 1e3,
               photos=per_photo,
               faces=sum(p["faces"] for p in per_photo))
    if ort:
        ref = _ort_outputs(model, {fn.inputs[0][0]: x}, fn.batch_size)
        rel = {n: float(relative_error(o, ref[n]).max())
               for n, o in od.items()}
        same = sum(len(decode(ref, i, x.shape[1], 0.5)) == p["faces"]
                   for i, p in enumerate(per_photo))
        res["ort"] = {"runtime": "onnxruntime-node 1.30 (1 thread)",
                      "max_rel_diff": rel,
                      "same_face_count": same,
                      "faces": sum(len(decode(ref, i, x.shape[1], 0.5))
                                   for i in range(len(x)))}


# ------------------------------------------------------------ report
def _short(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def format_report(r: dict) -> str:
    c = r["compile"]
    lines = [f"qnt eval  {_short(r['model'])}"]
    if c["compile_s"] is None:
        comp = "none (precompiled library)"
    elif c["cached"]:
        comp = (f"cached library ({c['compile_s']:.2f} s; import "
                f"{c['import_s']:.2f} s)")
    else:
        comp = (f"{c['import_s'] + c['compile_s']:.1f} s (import "
                f"{c['import_s']:.2f} s, qnt-opt + clang "
                f"{c['compile_s']:.1f} s)")
        if "vectorize=false" in c.get("pipeline", ""):
            comp += ", scalar loops"
    lines.append(f"  compile     {comp}")
    lines.append(f"  data        {r['images']} images, {r['data']}")
    if r["task"] == "fashion-mnist":
        lines.append(f"  top-1       {r['top1']:.4f} ({r['correct']}/"
                     f"{r['images']})")
    else:
        found = [f"{p['photo']} {p['best_score']:.2f}"
                 for p in r["photos"] if p["faces"]]
        lines.append(f"  faces       {r['faces']} (score > 0.5) in "
                     f"{len(found)}/{r['images']} photos: "
                     f"{', '.join(found) or '-'}")
    rep = f", {r['passes']} passes" if r["passes"] > 1 else ""
    lines.append(f"  throughput  {r['images_per_s']:.0f} images/s "
                 f"(batch {r['batch']}, 1 thread, median "
                 f"{r['batch_median_ms']:.2f} ms per batch{rep}; after a "
                 f"warm-up)")
    o = r.get("ort")
    if o and r["task"] == "fashion-mnist":
        lines.append(f"  onnxruntime top-1 {o['top1']:.4f}; argmax differs "
                     f"on {o['argmax_differs']} images; max relative logit "
                     f"difference {o['max_rel_logit_diff']:.1e}")
    elif o:
        worst = max(o["max_rel_diff"].values())
        lines.append(f"  onnxruntime {o['faces']} faces; same face count on "
                     f"{o['same_face_count']}/{r['images']} photos; max "
                     f"relative difference {worst:.1e} (over 4 outputs)")
    return "\n".join(lines)


def write_json(path, result: dict):
    from .importer import write_atomically
    write_atomically(str(path), json.dumps(result, indent=1) + "\n")
