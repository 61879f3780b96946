"""Float compile driver: TOSA / linalg MLIR -> native shared library.

    qnt-opt --pass-pipeline=<float_pipeline()>   (TOSA -> LLVM dialect)
    mlir-translate --mlir-to-llvmir
    clang -O3 -shared -fPIC -march=native -mno-sse4a  model.ll  wrapper.c  -lm

The generated ``wrapper.c`` gives the library a small C interface (see
docs/runtime.md): ``qnt_forward(void **inputs, void **outputs)``,
``qnt_invoke(index, inputs, outputs)`` and ``qnt_signature()`` (JSON with the
names, shapes and dtypes of every entry point).  Shapes, and therefore the
batch size, are fixed when the library is built.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from .tools import llvm_tool, qnt_tool

__all__ = ["float_pipeline", "compile_mlir", "compile_model",
           "parse_signatures", "CompileError", "cached_compile"]


class CompileError(RuntimeError):
    pass


def _host_flags() -> str:
    """The host CPU's feature flags (/proc/cpuinfo), padded with spaces."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return " " + line.split(":", 1)[1].strip() + " "
    except OSError:
        pass
    return ""


def host_vector_width() -> int:
    """f32 lanes of the host's widest vector registers: 16 with AVX-512F,
    else 8 (AVX2). The libraries are built with ``-march=native``, so the
    tile shapes follow the same machine."""
    return 16 if " avx512f " in _host_flags() else 8


def target_flags(target_cpu: str = None, target_triple: str = None) -> list:
    """clang's code-generation flags: ``-march=native`` (the host) unless a
    CPU (``-march=CPU``, e.g. ``skylake-avx512``, ``x86-64-v3``) or a target
    triple (``--target=TRIPLE``) is given.

    On x86 also ``-mno-sse4a``: with AMD's SSE4A (``-march=native`` on this
    Zen 3 machine, any ``znver*``) LLVM 22 lowers some byte shuffles of the
    AVX2 code to its ``insertq``, a legacy-SSE instruction amid VEX code:
    one in the activation copy of an int8 kernel (BlazeFace's 1x1
    convolution conv2d_14 with a K split) took that layer from 11 to 22 us
    (15 us without SSE4A and the same IR). qnt's code never needs SSE4A."""
    flags = ["-O3"]
    if target_triple:
        flags.append(f"--target={target_triple}")
    if target_cpu:
        flags.append(f"-march={target_cpu}")
    elif not target_triple:
        flags.append("-march=native")
    if re.match(r"(x86_64|amd64|i[3-6]86)",
                target_triple or platform.machine().lower()):
        flags.append("-mno-sse4a")
    return flags


@functools.lru_cache(maxsize=None)
def _target_macros(target_cpu: str = None, target_triple: str = None) -> str:
    """clang's predefined macros for a target (one clang run per target).
    Raises CompileError for a CPU or triple clang does not know."""
    p = subprocess.run([str(llvm_tool("clang")), *target_flags(
        target_cpu, target_triple)[1:], "-E", "-dM", "-x", "c", "-"],
        input="", capture_output=True, text=True)
    if p.returncode != 0:
        err = p.stderr.strip().splitlines()
        raise CompileError(f"unknown target (cpu {target_cpu!r}, triple "
                           f"{target_triple!r}): "
                           f"{err[0] if err else 'clang failed'}")
    return p.stdout


def target_vector_width(target_cpu: str = None,
                        target_triple: str = None) -> int:
    """f32 lanes for the tiles of a target: asks clang which vector
    extensions the target CPU has (16 with AVX-512F, 8 with AVX, else 4); the
    host's when no target is given. Raises CompileError for a CPU or triple
    clang does not know."""
    if not target_cpu and not target_triple:
        return host_vector_width()
    macros = _target_macros(target_cpu, target_triple)
    if "__AVX512F__" in macros:
        return 16
    if "__AVX__" in macros:
        return 8
    return 4


def missing_cpu_features(target_cpu: str = None,
                         target_triple: str = None):
    """Why a library for this target cannot run on this machine: None when
    it can, else a message (another architecture, or the x86 features of
    CPU_FEATURES that the target has and this machine lacks, by clang's
    macros for the target and for -march=native)."""
    if not target_cpu and not target_triple:
        return None
    macros = _target_macros(target_cpu, target_triple)
    if "__x86_64__" not in macros:
        return "the target is not x86-64"
    host = _target_macros(None, None)
    lacks = [name for macro, name in CPU_FEATURES
             if f"#define __{macro}__ " in macros
             and f"#define __{macro}__ " not in host]
    return (f"this machine lacks {' '.join(lacks)}" if lacks else None)


def host_int8_kernels() -> str:
    """The int8 kernel set (qnt-int8-matmul-kernels) for the host:
    avx512vnni with AVX512-VNNI and AVX512BW (vpdpbusd on zmm), else
    avxvnni with AVX-VNNI and AVX2 (vpdpbusd on ymm), else avx2 with AVX2
    (vpmaddwd), else none."""
    flags = _host_flags()
    if " avx512_vnni " in flags and " avx512bw " in flags:
        return "avx512vnni"
    if " avx_vnni " in flags and " avx2 " in flags:
        return "avxvnni"
    return "avx2" if " avx2 " in flags else "none"


def target_int8_kernels(target_cpu: str = None,
                        target_triple: str = None) -> str:
    """The int8 kernel set for a target (clang's ``__AVX512VNNI__`` and
    ``__AVX512BW__``, ``__AVXVNNI__``, ``__AVX2__``), the host's when no
    target is given."""
    if not target_cpu and not target_triple:
        return host_int8_kernels()
    macros = _target_macros(target_cpu, target_triple)
    if "__AVX512VNNI__" in macros and "__AVX512BW__" in macros:
        return "avx512vnni"
    if "__AVXVNNI__" in macros and "__AVX2__" in macros:
        return "avxvnni"
    return "avx2" if "__AVX2__" in macros else "none"


def float_pipeline(vectorize: bool = True, vector_width: int = None,
                   int8_kernels: str = None, parallel: bool = False,
                   parallel_min_work: int = None,
                   debug_lines: bool = False) -> str:
    """The pass pipeline from float TOSA/linalg to the LLVM dialect.

    It is defined once, in C++ (lib/Pipelines/Pipelines.cpp), and registered
    with qnt-opt as ``qnt-float-to-llvm``: TOSA to linalg, elementwise
    fusion, convolution layouts, tiling + vectorization, bufferization with
    results as out-parameters, LLVM. ``vectorize=False`` gives scalar loops
    (a reference for debugging the vectorizer); ``vector_width`` defaults to
    the host's (see host_vector_width), ``int8_kernels`` (the int8 kernels
    of qnt-int8-matmul-kernels / qnt-int8-depthwise-kernels: avx512vnni,
    avxvnni, avx2 or none) too. ``parallel``: the kernels' outer loops
    run on OpenMP threads (compile with ``compile_mlir(parallel=True)``,
    which links libomp); ``parallel_min_work``: loops of fewer estimated
    operations stay sequential (None: the pipeline's default, 20000; 0:
    every kernel loop runs on the threads); ``debug_lines``: the LLVM
    functions get debug-info scopes (``debug-line-tables=true``), so the
    ops' ``file:line`` locations become the library's line table."""
    if parallel_min_work is not None and parallel_min_work < 0:
        raise CompileError(f"parallel_min_work must be >= 0, got "
                           f"{parallel_min_work}")
    debug = " debug-line-tables=true" if debug_lines else ""
    if not vectorize:
        return f"builtin.module(qnt-float-to-llvm{{vectorize=false{debug}}})"
    width = vector_width or host_vector_width()
    kernels = int8_kernels or host_int8_kernels()
    return (f"builtin.module(qnt-float-to-llvm{{vector-width={width} "
            f"int8-kernels={kernels}{debug}"
            f"{' parallel=true' if parallel else ''}"
            f"{f' parallel-min-work={parallel_min_work}' if parallel and parallel_min_work is not None else ''}}})")


# ----------------------------------------------------------- signatures
_ELEM_DTYPE = {"f32": "float32", "f16": "float16", "f64": "float64",
               "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
               "i1": "bool"}


def _split_top(s: str, sep=","):
    """Split on ``sep`` outside (), <>, {}, [] and strings."""
    parts, depth, cur, in_str, i = [], 0, [], False, 0
    while i < len(s):
        ch = s[i]
        if in_str:
            cur.append(ch)
            if ch == "\\":
                cur.append(s[i + 1])
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            cur.append(ch)
        elif ch in "(<{[":
            depth += 1
            cur.append(ch)
        elif ch in ")>}]":
            depth -= 1
            cur.append(ch)
        elif ch == sep and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        parts.append("".join(cur).strip())
    return parts


def _balanced(s: str, start: int) -> int:
    """Index just past the bracket group opening at ``s[start]``."""
    pairs = {"(": ")", "<": ">", "{": "}", "[": "]"}
    stack, i, in_str = [], start, False
    while i < len(s):
        ch = s[i]
        if in_str:
            if ch == "\\":
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i + 1
        i += 1
    raise CompileError("unbalanced brackets in a func.func signature")


def _tensor_sig(text: str, default_name: str):
    m = re.match(r"\s*tensor<([^>]*)>", text)
    if not m:
        raise CompileError(f"entry-point argument/result '{text[:60]}' is not "
                           f"a ranked tensor")
    parts = m.group(1).split("x")
    elem = parts[-1].strip()
    dims = parts[:-1]
    if any(not d.strip().isdigit() for d in dims):
        raise CompileError(f"dynamic shape in tensor<{m.group(1)}>: qnt "
                           f"compiles static shapes only")
    if elem not in _ELEM_DTYPE:
        raise CompileError(f"unsupported element type {elem}")
    nm = re.search(r'qnt\.name\s*=\s*"((?:[^"\\]|\\.)*)"', text)
    name = default_name
    if nm:
        name = re.sub(r"\\([0-9A-Fa-f]{2})",
                      lambda g: chr(int(g.group(1), 16)), nm.group(1))
        name = name.replace('\\"', '"').replace("\\\\", "\\")
    return {"name": name, "shape": [int(d) for d in dims],
            "dtype": _ELEM_DTYPE[elem]}


def parse_signatures(mlir: str):
    """Public ``func.func`` definitions of a tensor-level module."""
    sigs = []
    for m in re.finditer(r"func\.func\s+(?:(public|private|nested)\s+)?@"
                         r"([\w$.]+|\"[^\"]*\")\s*\(", mlir):
        if m.group(1) in ("private", "nested"):
            continue
        name = m.group(2).strip('"')
        open_at = m.end() - 1
        close = _balanced(mlir, open_at)
        args = _split_top(mlir[open_at + 1:close - 1])
        rest = mlir[close:]
        results = []
        ra = re.match(r"\s*->\s*", rest)
        if ra:
            pos = ra.end()
            if rest[pos] == "(":
                end = _balanced(rest, pos)
                results = _split_top(rest[pos + 1:end - 1])
            else:
                end = _balanced(rest, pos + len("tensor"))
                results = [rest[pos:end]]
        ins = []
        for i, a in enumerate(args):
            _, _, ty = a.partition(":")
            ins.append(_tensor_sig(ty, f"input_{i}"))
        outs = [_tensor_sig(r, f"output_{i}") for i, r in enumerate(results)]
        sigs.append({"name": name, "inputs": ins, "outputs": outs})
    if not sigs:
        raise CompileError("no public func.func in the module")
    return sigs


# ----------------------------------------------------------- C wrapper
_WRAPPER_HEAD = r"""/* Generated by qnt.compiler: C entry points of a compiled model. */
#include <stdint.h>
#include <string.h>

#define QNT_EXPORT __attribute__((visibility("default")))
#define QNT_HIDDEN __attribute__((visibility("hidden")))

/* MLIR's memref lowering calls memrefCopy for strided copies; defined here
   so that the library needs no MLIR runtime. */
typedef struct { int64_t rank; void *descriptor; } qnt_unranked;

/* n rows of `inner` contiguous bytes, `ss` / `ds` bytes apart. Short rows
   (typically a channel slice of NHWC: 24 of 28 channels, or the 4 zero
   channels after them) are copied with overlapping 8- (4-) byte moves, the
   last one ending at the row's end, instead of a memcpy call per row.
   Source and destination are distinct buffers. */
static void qnt_copy_rows(const char *s, char *d, int64_t n, int64_t ss,
                          int64_t ds, size_t inner) {
  if (inner >= 8 && inner <= 64) {
    for (int64_t i = 0; i < n; ++i, s += ss, d += ds) {
      uint64_t w;
      for (size_t k = 0; k + 8 < inner; k += 8) {
        memcpy(&w, s + k, 8);
        memcpy(d + k, &w, 8);
      }
      memcpy(&w, s + inner - 8, 8);
      memcpy(d + inner - 8, &w, 8);
    }
  } else if (inner >= 4 && inner < 8) {
    for (int64_t i = 0; i < n; ++i, s += ss, d += ds) {
      uint32_t a, b;
      memcpy(&a, s, 4);
      memcpy(&b, s + inner - 4, 4);
      memcpy(d, &a, 4);
      memcpy(d + inner - 4, &b, 4);
    }
  } else {
    for (int64_t i = 0; i < n; ++i, s += ss, d += ds)
      memcpy(d, s, inner);
  }
}

/* Dimensions [0, rank) are walked; the innermost `inner` bytes of each
   element of dimension rank - 1 are contiguous in both. */
static void qnt_copy_rec(int64_t esz, int64_t rank, int64_t dim,
                         const int64_t *sizes, const int64_t *ss,
                         const int64_t *ds, char *src, char *dst,
                         size_t inner) {
  if (dim == rank) { memcpy(dst, src, inner); return; }
  if (dim == rank - 1) {
    qnt_copy_rows(src, dst, sizes[dim], ss[dim] * esz, ds[dim] * esz, inner);
    return;
  }
  for (int64_t i = 0; i < sizes[dim]; ++i)
    qnt_copy_rec(esz, rank, dim + 1, sizes, ss, ds,
                 src + i * ss[dim] * esz, dst + i * ds[dim] * esz, inner);
}

QNT_HIDDEN void memrefCopy(int64_t esz, qnt_unranked *src,
                           qnt_unranked *dst) {
  int64_t rank = src->rank;
  char **sd = (char **)src->descriptor, **dd = (char **)dst->descriptor;
  int64_t *sm = (int64_t *)(sd + 2), *dm = (int64_t *)(dd + 2);
  char *s = sd[1] + sm[0] * esz, *d = dd[1] + dm[0] * esz;
  const int64_t *sizes = sm + 1, *ss = sm + 1 + rank, *ds = dm + 1 + rank;
  /* Trailing dimensions that are contiguous (row-major, stride = product of
     the sizes inside) in both source and destination are copied as one
     block: e.g. a channel slice of NHWC copies whole rows of C. */
  int64_t walk = rank, run = 1;
  while (walk > 0 && ss[walk - 1] == run && ds[walk - 1] == run) {
    run *= sizes[walk - 1];
    --walk;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (sizes[i] == 0) return;
  qnt_copy_rec(esz, walk, 0, sizes, ss, ds, s, d, (size_t)(run * esz));
}

/* Buffer allocation. The lowered code allocates its temporaries through
   these hooks (finalize-memref-to-llvm{use-generic-functions}). A model
   allocates the same sizes on every call, and large blocks from malloc are
   mmap'ed and page-faulted afresh each time. Freed blocks are therefore kept
   per thread (at most QNT_CACHE_BLOCKS blocks and QNT_CACHE_BYTES bytes) and
   handed out again for the same size; a thread's cache is freed when the
   thread exits. A 64-byte header keeps the size and malloc's alignment. */
#include <pthread.h>
#include <stdlib.h>
#define QNT_CACHE_BLOCKS 64
#define QNT_CACHE_BYTES ((size_t)1 << 30)
#define QNT_HEADER 64
typedef struct { char *blocks[QNT_CACHE_BLOCKS]; size_t bytes; } qnt_cache_t;
static pthread_key_t qnt_cache_key;
static pthread_once_t qnt_cache_once = PTHREAD_ONCE_INIT;
static int qnt_cache_ok;

static void qnt_cache_release(void *p) {
  qnt_cache_t *c = (qnt_cache_t *)p;
  for (int i = 0; i < QNT_CACHE_BLOCKS; ++i) free(c->blocks[i]);
  free(c);
}
static void qnt_cache_init(void) {
  qnt_cache_ok = pthread_key_create(&qnt_cache_key, qnt_cache_release) == 0;
}
/* On unload no thread-exit destructor may point into this library. */
__attribute__((destructor)) static void qnt_cache_unload(void) {
  if (qnt_cache_ok) pthread_key_delete(qnt_cache_key);
  qnt_cache_ok = 0;
}
static qnt_cache_t *qnt_cache(void) {
  pthread_once(&qnt_cache_once, qnt_cache_init);
  if (!qnt_cache_ok) return 0;
  qnt_cache_t *c = (qnt_cache_t *)pthread_getspecific(qnt_cache_key);
  if (!c && (c = (qnt_cache_t *)calloc(1, sizeof *c)))
    pthread_setspecific(qnt_cache_key, c);
  return c;
}

QNT_HIDDEN void *_mlir_memref_to_llvm_alloc(size_t size) {
  qnt_cache_t *c = qnt_cache();
  if (c)
    for (int i = 0; i < QNT_CACHE_BLOCKS; ++i) {
      char *b = c->blocks[i];
      if (b && *(size_t *)b == size) {
        c->blocks[i] = 0;
        c->bytes -= size;
        return b + QNT_HEADER;
      }
    }
  char *b = (char *)malloc(size + QNT_HEADER);
  if (!b) return 0;
  *(size_t *)b = size;
  return b + QNT_HEADER;
}

QNT_HIDDEN void _mlir_memref_to_llvm_free(void *p) {
  if (!p) return;
  char *b = (char *)p - QNT_HEADER;
  size_t size = *(size_t *)b;
  qnt_cache_t *c = qnt_cache();
  if (c && c->bytes + size <= QNT_CACHE_BYTES)
    for (int i = 0; i < QNT_CACHE_BLOCKS; ++i)
      if (!c->blocks[i]) {
        c->blocks[i] = b;
        c->bytes += size;
        return;
      }
  free(b);
}
"""


def _c_string(s: str) -> str:
    out = []
    for ch in s.encode("utf-8"):
        c = chr(ch)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append(f"\\{ch:03o}")
    return '"' + "".join(out) + '"'


def _strides(shape):
    st, acc = [], 1
    for d in reversed(shape):
        st.append(acc)
        acc *= max(int(d), 1)
    return list(reversed(st))


# Threads: a library compiled with parallel=True (-fopenmp) runs its
# kernels' outer loops on OpenMP threads; the count is the OpenMP default
# (OMP_NUM_THREADS, else one per core) until qnt_set_num_threads.
_WRAPPER_THREADS = r"""
#ifdef _OPENMP
#include <omp.h>
QNT_EXPORT int qnt_max_threads(void) { return omp_get_max_threads(); }
QNT_EXPORT int qnt_set_num_threads(int n) {
  if (n < 1) return -1;
  omp_set_num_threads(n);
  return 0;
}
#else
QNT_EXPORT int qnt_max_threads(void) { return 1; }
QNT_EXPORT int qnt_set_num_threads(int n) { return n == 1 ? 0 : -1; }
#endif
"""


# (clang's macro for a target feature, its __builtin_cpu_supports name): the
# x86 features a library's code may use when its -march has them.
CPU_FEATURES = [
    ("SSE3", "sse3"), ("SSSE3", "ssse3"), ("SSE4_1", "sse4.1"),
    ("SSE4_2", "sse4.2"), ("POPCNT", "popcnt"), ("AVX", "avx"),
    ("AVX2", "avx2"), ("FMA", "fma"), ("F16C", "f16c"), ("BMI", "bmi"),
    ("BMI2", "bmi2"), ("LZCNT", "lzcnt"), ("MOVBE", "movbe"),
    ("AVXVNNI", "avxvnni"), ("AVX512F", "avx512f"), ("AVX512BW", "avx512bw"),
    ("AVX512VL", "avx512vl"), ("AVX512DQ", "avx512dq"),
    ("AVX512CD", "avx512cd"), ("AVX512VNNI", "avx512vnni"),
    ("AVX512BF16", "avx512bf16"), ("AVX512FP16", "avx512fp16"),
    ("AVX512VBMI", "avx512vbmi"), ("AVX512VBMI2", "avx512vbmi2"),
    ("AVX512IFMA", "avx512ifma"), ("AVX512BITALG", "avx512bitalg"),
    ("AVX512VPOPCNTDQ", "avx512vpopcntdq"), ("GFNI", "gfni"),
    ("VAES", "vaes"), ("VPCLMULQDQ", "vpclmulqdq")]

# The library checks at load time that this machine has the CPU features its
# code was compiled for (the target's -march: --target-cpu may name another
# CPU); without them a call would die of SIGILL. The check is compiled for
# the baseline x86-64, so that it runs anywhere; its result is read-only
# after load.
_WRAPPER_CPU_CHECK = (
    "/* The CPU features of the library's target that this machine lacks,\n"
    "   space-separated (\"\" when it can run here). */\n"
    "static char qnt_missing[512];\n"
    "#if defined(__x86_64__)\n"
    "__attribute__((constructor, target(\"arch=x86-64\")))\n"
    "static void qnt_check_cpu(void) {\n"
    "  __builtin_cpu_init();\n"
    + "".join(f"#ifdef __{m}__\n"
              f"  if (!__builtin_cpu_supports(\"{n}\")) "
              f"strcat(qnt_missing, \" {n}\");\n#endif\n"
              for m, n in CPU_FEATURES)
    + "}\n#endif\n"
    "QNT_EXPORT const char *qnt_missing_cpu_features(void) {\n"
    "  return qnt_missing[0] ? qnt_missing + 1 : qnt_missing;\n}\n")


def generate_wrapper(sigs, default="forward") -> str:
    lines = [_WRAPPER_HEAD]
    for fi, sig in enumerate(sigs):
        params, args = [], []
        for kind, tensors in (("in", sig["inputs"]), ("out", sig["outputs"])):
            for ti, t in enumerate(tensors):
                r = len(t["shape"])
                params += ["void *", "void *", "int64_t"] + ["int64_t"] * (2 * r)
                p = f"{kind}[{ti}]"
                args += [p, p, "0"] + [str(d) for d in t["shape"]] + \
                    [str(s) for s in _strides(t["shape"])]
        # The model's function under a C name of our own, bound to its
        # symbol by an asm label: MLIR symbols need not be C identifiers
        # (`main`, a C keyword, `a.b`).
        lines.append(f"extern void qnt_model_fn_{fi}"
                     f"({', '.join(params) or 'void'}) "
                     f"__asm__({_c_string(sig['name'])});")
        lines.append(f"static int qnt_fn_{fi}(void **in, void **out) {{")
        lines.append("  (void)in; (void)out;")
        lines.append(f"  qnt_model_fn_{fi}({', '.join(args)});")
        lines.append("  return 0;")
        lines.append("}")
    lines.append("static int (*const qnt_table[])(void **, void **) = {")
    lines.append("  " + ", ".join(f"qnt_fn_{i}" for i in range(len(sigs))))
    lines.append("};")
    names = [s["name"] for s in sigs]
    fwd = names.index(default) if default in names else 0
    meta = json.dumps({"version": 1, "functions": sigs}, separators=(",", ":"))
    lines.append(_WRAPPER_CPU_CHECK)
    lines.append(f"""
QNT_EXPORT const char *qnt_signature(void) {{ return {_c_string(meta)}; }}
QNT_EXPORT int qnt_num_functions(void) {{ return {len(sigs)}; }}
QNT_EXPORT int qnt_invoke(int index, void **inputs, void **outputs) {{
  if (index < 0 || index >= {len(sigs)}) return -1;
  if (qnt_missing[0]) return -2;
  return qnt_table[index](inputs, outputs);
}}
QNT_EXPORT int qnt_forward(void **inputs, void **outputs) {{
  if (qnt_missing[0]) return -2;
  return qnt_fn_{fwd}(inputs, outputs);
}}
""")
    lines.append(_WRAPPER_THREADS)
    return "\n".join(lines)


# ---------------------------------------------------- weight extraction
_GLOBAL_RE = re.compile(
    r"^(\s*)llvm\.mlir\.global\s+(?:private|internal)\s+constant\s+"
    r"@([\w$.]+)\(dense_resource<([\w$.-]+)>\s*:\s*[^)]*\)\s*"
    r"(\{[^}]*\})?\s*:\s*(.*)$", re.M)
_RESOURCE_RE = re.compile(r'^\s*([\w$.-]+):\s*"0x([0-9A-Fa-f]*)",?\s*$',
                          re.M)
EXTERNAL_MIN_BYTES = 4096


def externalize_weights(llvm_mlir: str, workdir: Path):
    """Move large ``dense_resource`` globals out of the LLVM dialect module.

    mlir-translate prints every weight as a decimal LLVM IR constant and
    clang parses it back (about 10 s for 10 MB of weights).  Instead each
    large global becomes an external declaration and its bytes go into an
    assembly file that ``.incbin``s them.  Returns (new text, .s path or
    None)."""
    start = llvm_mlir.find("{-#")
    if start < 0:
        return llvm_mlir, None
    blobs = {m.group(1): m.group(2) for m in
             _RESOURCE_RE.finditer(llvm_mlir, start)}
    asm = []
    moved = set()

    def repl(m):
        indent, sym, res, attrs, ty = m.groups()
        hexdata = blobs.get(res)
        if hexdata is None or len(hexdata) // 2 - 4 < EXTERNAL_MIN_BYTES:
            return m.group(0)
        data = bytes.fromhex(hexdata)[4:]
        align = 16
        am = re.search(r"alignment\s*=\s*(\d+)", attrs or "")
        if am:
            align = max(align, int(am.group(1)))
        binp = workdir / f"{sym}.bin"
        binp.write_bytes(data)
        asm.extend([
            f'  .section .rodata.qnt.{sym},"a",@progbits',
            f"  .globl {sym}", f"  .hidden {sym}",
            f"  .type {sym},@object", f"  .p2align {align.bit_length() - 1}",
            f"{sym}:", f'  .incbin "{binp}"', f"  .size {sym}, {len(data)}",
        ])
        moved.add(res)
        return (f"{indent}llvm.mlir.global external constant @{sym}() "
                f"{attrs or ''} : {ty}")

    head = _GLOBAL_RE.sub(repl, llvm_mlir[:start])
    if not moved:
        return llvm_mlir, None
    rest = _RESOURCE_RE.sub(
        lambda m: "" if m.group(1) in moved else m.group(0),
        llvm_mlir[start:])
    if not _RESOURCE_RE.search(rest):
        rest = ""
    else:
        # Keep the section well-formed: entries are comma separated.
        rest = re.sub(r'("0x[0-9A-Fa-f]*")\s*(?=\n\s*[\w$.-]+:)', r"\1,",
                      re.sub(r'"0x([0-9A-Fa-f]*)",(\s*\n\s*\})',
                             r'"0x\1"\2', rest))
    s_path = workdir / "weights.s"
    s_path.write_text("\n".join(asm) + "\n")
    return head + rest, s_path


# ------------------------------------------------------------- driver
def _run(cmd, what):
    timeout = float(os.environ.get("QNT_COMPILE_TIMEOUT", "3600"))
    try:
        p = subprocess.run([str(c) for c in cmd], capture_output=True,
                           text=True, timeout=timeout)
    except OSError as exc:
        raise CompileError(f"{what}: cannot run {cmd[0]}: {exc}") from None
    except subprocess.TimeoutExpired:
        raise CompileError(f"{what}: timed out after {timeout:.0f} s "
                           f"(QNT_COMPILE_TIMEOUT)") from None
    if p.returncode != 0:
        err = (p.stderr or p.stdout).strip()
        if len(err) > 4000:
            err = err[:4000] + "\n... (truncated)"
        raise CompileError(f"{what} failed (exit {p.returncode}):\n{err}")
    return p


def target_pipeline(target_cpu: str = None, target_triple: str = None,
                    **kw) -> str:
    """float_pipeline for a target CPU or triple: its vector width
    (target_vector_width) and int8 kernel set (target_int8_kernels); ``kw``
    goes to float_pipeline."""
    return float_pipeline(
        vector_width=target_vector_width(target_cpu, target_triple),
        int8_kernels=target_int8_kernels(target_cpu, target_triple), **kw)


def lower_to_llvm_dialect(src: Path, out: Path, pipeline: str, *,
                          opt_tool=None, debug_lines: bool = False):
    """qnt-opt (or ``opt_tool``) runs ``pipeline`` on the MLIR file `src`,
    writing the LLVM-dialect module to `out`."""
    opt = opt_tool or qnt_tool("qnt-opt")
    # Single-threaded: one model is one function, and a crash inside a
    # multi-threaded mlir-opt can deadlock instead of exiting.
    _run([opt, src, "--mlir-disable-threading", f"--pass-pipeline={pipeline}",
          *(["--mlir-print-debuginfo"] if debug_lines else []), "-o", out],
         f"{Path(opt).name} (lowering)")


def translate_to_llvm_ir(llvm_mlir: Path, ll: Path):
    """mlir-translate: the LLVM-dialect module `llvm_mlir` as LLVM IR."""
    _run([llvm_tool("mlir-translate"), "--mlir-to-llvmir", llvm_mlir, "-o",
          ll], "mlir-translate")


def compile_mlir(mlir_text: str, out_path, *, sigs=None, keep_temps=None,
                 pipeline=None, opt_tool=None, cflags=None, target_cpu=None,
                 target_triple=None, parallel: bool = False,
                 parallel_min_work: int = None,
                 debug_lines: bool = False) -> Path:
    """Compile a tensor-level MLIR module to a shared library at out_path.

    ``target_cpu`` / ``target_triple``: generate code for that CPU (clang's
    ``-march``) or triple instead of the host; the tile width follows the
    target's vector registers (``target_vector_width``). ``parallel``: the
    int8 kernels' outer loops run on OpenMP threads (the library links
    LLVM's libomp; the thread count is set at run time, see
    runtime.CompiledModel.set_num_threads); ``parallel_min_work``: see
    float_pipeline. ``debug_lines``: the library gets a line table (clang
    ``-g``, ``debug-line-tables=true``) mapping its code to the lines of
    ``mlir_text`` as ``model.mlir``; ops that carry ``loc(...)`` of their
    own keep those instead (bench/layers.py strips them). The library is
    written atomically (temp file + rename)."""
    if parallel_min_work is not None and not parallel:
        raise CompileError("parallel_min_work needs parallel=True")
    if (target_cpu or target_triple) and cflags is None:
        cflags = target_flags(target_cpu, target_triple)
        if pipeline is None:
            pipeline = target_pipeline(
                target_cpu, target_triple, parallel=parallel,
                parallel_min_work=parallel_min_work, debug_lines=debug_lines)
    if pipeline is None:
        pipeline = float_pipeline(parallel=parallel,
                                  parallel_min_work=parallel_min_work,
                                  debug_lines=debug_lines)
    elif debug_lines and "debug-line-tables=true" not in pipeline:
        raise CompileError("compile_mlir(debug_lines=True) needs a pipeline "
                           "with qnt-float-to-llvm{debug-line-tables=true}")
    elif parallel_min_work is not None:
        raise CompileError("parallel_min_work with an explicit pipeline: set "
                           "qnt-float-to-llvm{parallel-min-work=N} in it")
    elif parallel and "parallel=true" not in pipeline:
        raise CompileError("compile_mlir(parallel=True) needs a pipeline with "
                           "qnt-float-to-llvm{parallel=true}")
    out_path = Path(out_path)
    sigs = sigs if sigs is not None else parse_signatures(mlir_text)
    keep = keep_temps if keep_temps is not None else bool(
        os.environ.get("QNT_KEEP_TEMPS"))
    tmp = Path(tempfile.mkdtemp(prefix="qnt-compile-"))
    try:
        src = tmp / "model.mlir"
        src.write_text(mlir_text)
        llvm_mlir = tmp / "model.llvm.mlir"
        lower_to_llvm_dialect(src, llvm_mlir, pipeline, opt_tool=opt_tool,
                              debug_lines=debug_lines)
        text, weights_s = externalize_weights(llvm_mlir.read_text(), tmp)
        if weights_s is not None:
            llvm_mlir.write_text(text)
        ll = tmp / "model.ll"
        translate_to_llvm_ir(llvm_mlir, ll)
        wrapper = tmp / "wrapper.c"
        wrapper.write_text(generate_wrapper(sigs))
        so_tmp = tmp / "model.so"
        flags = list(cflags or target_flags())
        if debug_lines:
            flags.append("-g")
        if parallel or "parallel=true" in pipeline:
            # LLVM 22's libomp (libomp-22-dev), found at run time by rpath.
            flags += ["-fopenmp",
                      f"-Wl,-rpath,{llvm_tool('clang').resolve().parent.parent / 'lib'}"]
        _run([llvm_tool("clang"), *flags, "-shared", "-fPIC",
              "-Wno-override-module", ll, wrapper,
              *([weights_s] if weights_s else []), "-o", so_tmp, "-lm"],
             "clang")
        out_path.parent.mkdir(parents=True, exist_ok=True)
        staged = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
        shutil.copyfile(so_tmp, staged)
        os.replace(staged, out_path)
        return out_path
    finally:
        if keep:
            print(f"qnt: intermediate files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _check_batch(sigs, batch):
    if batch is None:
        return
    for s in sigs:
        for t in s["inputs"]:
            if not t["shape"] or t["shape"][0] != batch:
                raise CompileError(
                    f"--batch {batch}: input '{t['name']}' of @{s['name']} "
                    f"has shape {t['shape']}; an MLIR input's batch is fixed "
                    f"in the file")


def load_source(path, *, batch=None, input_shapes=None):
    """(mlir text, signatures) of an .onnx or .mlir file."""
    path = Path(path)
    if path.suffix == ".onnx":
        from .importer import import_onnx
        res = import_onnx(path, batch=batch, input_shapes=input_shapes)
        sigs = [s.to_json() for s in res.signatures]
        return res.text, sigs
    if path.suffix == ".mlir":
        try:
            text = path.read_text()
        except OSError as exc:
            raise CompileError(f"{path}: {exc}") from None
        sigs = parse_signatures(text)
        _check_batch(sigs, batch)
        return text, sigs
    raise CompileError(f"{path}: expected a .onnx or .mlir file")


def compile_model(path, out_path, *, batch=None, input_shapes=None,
                  **kw) -> Path:
    """Compile an .onnx or .mlir model to a shared library."""
    text, sigs = load_source(path, batch=batch, input_shapes=input_shapes)
    return compile_mlir(text, out_path, sigs=sigs, **kw)


# ------------------------------------------------------------- caching
_PROCESS_CACHE = None


def _cache_dir() -> Path:
    global _PROCESS_CACHE
    env = os.environ.get("QNT_CACHE_DIR")
    if env:
        p = Path(env)
        p.mkdir(parents=True, exist_ok=True)
        return p
    if _PROCESS_CACHE is None:
        import atexit
        _PROCESS_CACHE = Path(tempfile.mkdtemp(prefix="qnt-cache-"))
        atexit.register(shutil.rmtree, _PROCESS_CACHE, True)
    return _PROCESS_CACHE


def cached_compile(mlir_text: str, sigs=None, **kw) -> Path:
    """Compile (or reuse) a library for ``mlir_text``.

    Libraries are keyed by a hash of the module, the pipeline and the tool
    paths, in $QNT_CACHE_DIR if set, else in a per-process temporary
    directory removed at exit."""
    h = hashlib.sha256()
    h.update(mlir_text.encode())
    h.update((kw.get("pipeline") or float_pipeline()).encode())
    h.update(str(kw.get("cflags")).encode())
    h.update(str(kw.get("parallel")).encode())
    h.update(str(kw.get("parallel_min_work")).encode())
    h.update(str(llvm_tool("clang")).encode())
    path = _cache_dir() / f"{h.hexdigest()[:24]}.so"
    if not path.exists():
        compile_mlir(mlir_text, path, sigs=sigs, **kw)
    return path
