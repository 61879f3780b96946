#!/usr/bin/python3
"""Run ONNX's node conformance tests through qnt's importer and compiler.

For every test in /usr/share/libonnx-testdata/data/node whose operators are
all in the importer's supported set: import, compile, run on
test_data_set_*, and compare with the recorded outputs
(rtol 1e-3, atol 1e-7 as ONNX's backend runner; integers and booleans
exactly).  Tests of one operator share one MLIR module (one function per
test) and one shared library; modules compile in parallel.

    PYTHONPATH=python /usr/bin/python3 scripts/onnx_conformance.py \
        [--write-doc docs/onnx-conformance.md] [-j 2] [-k conv]

Inputs of type int64 (shapes, axes, pads, indices, sizes ...) and the
parameter inputs of Resize (roi, scales), Pad (constant_value) and Dropout
(ratio, training_mode) are bound as compile-time constants, as initializers
would be in a deployed model: qnt compiles static shapes, and those inputs
decide them.  All other inputs are runtime arguments of the compiled
function, with the shapes of the test data.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import glob
import os
import re
import sys
import time
from collections import OrderedDict, defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from qnt import compiler  # noqa: E402
from qnt.importer import ImporterError, mlir_text, supported_ops  # noqa: E402
from qnt.importer.graph import import_graph, check_model  # noqa: E402
from qnt.runtime import CompiledModel  # noqa: E402

NODE_DIR = Path(os.environ.get("QNT_ONNX_NODE_TESTS",
                               "/usr/share/libonnx-testdata/data/node"))
RTOL, ATOL = 1e-3, 1e-7

# Tests that the importer rejects on purpose, with the documented reason.
# A listed test must be rejected with an ImporterError to count as excluded;
# an unlisted rejection is a failure.
EXCLUDED = {
    "test_add_uint8": "uint8 tensors: TOSA integers are signless/signed",
    "test_sub_uint8": "uint8 tensors: TOSA integers are signless/signed",
    "test_mul_uint8": "uint8 tensors: TOSA integers are signless/signed",
    "test_div_uint8": "uint8 tensors: TOSA integers are signless/signed",
    "test_maxpool_2d_uint8": "uint8 tensors: TOSA integers are "
                             "signless/signed",
    "test_batchnorm_epsilon_training_mode": "training_mode=1 (inference "
                                            "only)",
    "test_batchnorm_example_training_mode": "training_mode=1 (inference "
                                            "only)",
    "test_maxpool_with_argmax_2d_precomputed_pads": "Indices output of "
                                                    "MaxPool",
    "test_maxpool_with_argmax_2d_precomputed_strides": "Indices output of "
                                                       "MaxPool",
    "test_maxpool_3d_default": "3-D pooling (TOSA pools are 2-D)",
    "test_averagepool_3d_default": "3-D pooling (TOSA pools are 2-D)",
    "test_identity_opt": "optional type input (tensors only)",
    "test_identity_sequence": "sequence type input (tensors only)",
    "test_cast_BFLOAT16_to_FLOAT": "bfloat16 tensors (no numpy/ABI type)",
    "test_cast_FLOAT_to_BFLOAT16": "bfloat16 tensors (no numpy/ABI type)",
    "test_castlike_BFLOAT16_to_FLOAT_expanded": "bfloat16 tensors",
    "test_castlike_FLOAT_to_BFLOAT16_expanded": "bfloat16 tensors",
    "test_cast_DOUBLE_to_FLOAT": "float64 tensors (TOSA has no fp64)",
    "test_cast_DOUBLE_to_FLOAT16": "float64 tensors (TOSA has no fp64)",
    "test_cast_FLOAT16_to_DOUBLE": "float64 tensors (TOSA has no fp64)",
    "test_cast_FLOAT_to_DOUBLE": "float64 tensors (TOSA has no fp64)",
    "test_castlike_DOUBLE_to_FLOAT_expanded": "float64 tensors",
    "test_castlike_DOUBLE_to_FLOAT16_expanded": "float64 tensors",
    "test_castlike_FLOAT16_to_DOUBLE_expanded": "float64 tensors",
    "test_castlike_FLOAT_to_DOUBLE_expanded": "float64 tensors",
    "test_cast_FLOAT_to_STRING": "string tensors",
    "test_castlike_FLOAT_to_STRING": "string tensors",
    "test_castlike_STRING_to_FLOAT": "string tensors",
    "test_castlike_BFLOAT16_to_FLOAT": "bfloat16 tensors",
    "test_castlike_FLOAT_to_BFLOAT16": "bfloat16 tensors",
    "test_castlike_DOUBLE_to_FLOAT": "float64 tensors (TOSA has no fp64)",
    "test_castlike_DOUBLE_to_FLOAT16": "float64 tensors (TOSA has no fp64)",
    "test_castlike_FLOAT16_to_DOUBLE": "float64 tensors (TOSA has no fp64)",
    "test_castlike_FLOAT_to_DOUBLE": "float64 tensors (TOSA has no fp64)",
    "test_max_float64": "float64 tensors (TOSA has no fp64)",
    "test_min_float64": "float64 tensors (TOSA has no fp64)",
    "test_max_uint8": "uint8 tensors: TOSA integers are signless/signed",
    "test_min_uint8": "uint8 tensors: TOSA integers are signless/signed",
    "test_max_uint16": "uint16 tensors: TOSA integers are signless/signed",
    "test_min_uint16": "uint16 tensors: TOSA integers are signless/signed",
    "test_max_uint32": "uint32 tensors: TOSA integers are signless/signed",
    "test_min_uint32": "uint32 tensors: TOSA integers are signless/signed",
    "test_max_uint64": "uint64 tensors: TOSA integers are signless/signed",
    "test_min_uint64": "uint64 tensors: TOSA integers are signless/signed",
    "test_pow_types_float32_uint32": "uint32 tensors",
    "test_pow_types_float32_uint64": "uint64 tensors",
    "test_pow_types_float": "integer Pow (float base only)",
    "test_pow_types_int32_float32": "integer Pow (float base only)",
    "test_pow_types_int32_int32": "integer Pow (float base only)",
    "test_pow_types_int64_float32": "integer Pow (float base only)",
    "test_pow_types_int64_int64": "integer Pow (float base only)",
    "test_dropout_default_mask": "Dropout mask output (inference only)",
    "test_dropout_default_mask_ratio": "Dropout mask output (inference only)",
    "test_training_dropout": "training_mode=true (inference only)",
    "test_training_dropout_default": "training_mode=true (inference only)",
    "test_training_dropout_default_mask": "Dropout mask output (inference "
                                          "only)",
    "test_training_dropout_mask": "Dropout mask output (inference only)",
    "test_training_dropout_zero_ratio": "training_mode=true (inference only)",
    "test_training_dropout_zero_ratio_mask": "Dropout mask output "
                                             "(inference only)",
    "test_cast_STRING_to_FLOAT": "string tensors",
    "test_castlike_FLOAT_to_STRING_expanded": "string tensors",
    "test_castlike_STRING_to_FLOAT_expanded": "string tensors",
}


def _load_tensor(path):
    import onnx
    from onnx import numpy_helper
    t = onnx.TensorProto()
    try:
        t.ParseFromString(Path(path).read_bytes())
        return numpy_helper.to_array(t)
    except Exception:       # sequence/optional protos: not a tensor
        return None


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Case:
    def __init__(self, name, model, ops):
        self.name = name
        self.model = model
        self.ops = ops
        self.label = None
        self.status = None        # pass / fail / excluded
        self.detail = ""
        self.sets = []            # [(inputs dict, [outputs])]
        self.bind = {}
        self.runtime_inputs = []
        self.func = None
        self.shapes = {}


_ALIASES = {"greater_equal": "GreaterOrEqual", "less_equal": "LessOrEqual",
            "mvn": "MeanVarianceNormalization"}


def _label(name, ops):
    """The operator a test exercises: its only node, or for multi-node
    ("expanded") tests the operator named by the test."""
    if len(ops) == 1:
        return ops[0]
    import onnx
    base = name[len("test_"):]
    if base.endswith("_expanded"):
        base = base[:-len("_expanded")]
    for alias, op in _ALIASES.items():
        if base.startswith(alias):
            return f"{op} (expanded)"
    flat = base.replace("_", "")
    best = None
    for schema in onnx.defs.get_all_schemas():
        s = schema.name.lower()
        if flat.startswith(s) and (best is None or len(s) > len(best.lower())):
            best = schema.name
    return f"{best or base} (expanded)"


def collect(filter_re=None):
    import onnx
    supported = set(supported_ops())
    cases = []
    for d in sorted(NODE_DIR.iterdir()):
        if not (d / "model.onnx").exists():
            continue
        if filter_re and not re.search(filter_re, d.name):
            continue
        model = onnx.load(str(d / "model.onnx"))
        ops = [n.op_type for n in model.graph.node]
        if any(n.domain not in ("", "ai.onnx") for n in model.graph.node):
            continue
        if not ops or not set(ops) <= supported:
            continue
        c = Case(d.name, model, sorted(set(ops), key=ops.index))
        c.label = _label(d.name, c.ops)
        init = {i.name for i in model.graph.initializer}
        names = [i.name for i in model.graph.input if i.name not in init]
        for sd in sorted(glob.glob(str(d / "test_data_set_*"))):
            ins = [_load_tensor(p) for p in
                   sorted(glob.glob(sd + "/input_*.pb"),
                          key=lambda p: int(re.findall(r"\d+", p)[-1]))]
            outs = [_load_tensor(p) for p in
                    sorted(glob.glob(sd + "/output_*.pb"),
                           key=lambda p: int(re.findall(r"\d+", p)[-1]))]
            if len(ins) != len(names) or any(
                    x is None for x in ins + outs):
                continue
            c.sets.append((dict(zip(names, ins)), outs))
        cases.append(c)
    return cases


# Inputs that parameterize an operator rather than carry data (besides int64
# inputs): bound as constants like initializers would be in a real model.
PARAM_INPUTS = {"Resize": {1, 2, 3}, "Upsample": {1}, "Pad": {1, 2, 3},
                "Dropout": {1, 2}}


def _bind_policy(case):
    """int64 inputs and operator parameters become compile-time constants;
    the runtime inputs take their shapes from the test data."""
    first = case.sets[0][0] if case.sets else {}
    params = set()
    for node in case.model.graph.node:
        for i in PARAM_INPUTS.get(node.op_type, ()):
            if i < len(node.input) and node.input[i]:
                params.add(node.input[i])
    bind = {k: v for k, v in first.items()
            if isinstance(v, np.ndarray) and (v.dtype == np.int64 or
                                              k in params)}
    # Only data sets with the same bound values can share the library.
    case.sets = [s for s in case.sets
                 if all(np.array_equal(s[0][k], v) for k, v in bind.items())]
    case.bind = bind
    case.runtime_inputs = [k for k in first if k not in bind]
    case.shapes = {k: first[k].shape for k in case.runtime_inputs}


def build_module(cases):
    """Import every case into one module; mark rejected ones."""
    module = mlir_text.ModuleText()
    sigs = []
    for i, c in enumerate(cases):
        _bind_policy(c)
        c.func = f"t{i}_{re.sub(r'[^A-Za-z0-9_]', '_', c.name)}"
        n_funcs = len(module.functions)
        try:
            check_model(c.model, c.name)
            sig = import_graph(c.model, module, func_name=c.func,
                               bind=c.bind, input_shapes=c.shapes)
        except ImporterError as exc:
            del module.functions[n_funcs:]
            msg = str(exc).splitlines()[0]
            if c.name in EXCLUDED:
                c.status, c.detail = "excluded", EXCLUDED[c.name]
                c.error = msg
            else:
                c.status, c.detail = "fail", f"import: {msg}"
            continue
        except Exception as exc:  # importer bug: report, keep going
            c.status, c.detail = "fail", f"import crashed: {exc!r}"
            continue
        sigs.append(sig.to_json())
    return module, sigs


def _compare(got, want):
    if got.shape != want.shape:
        return f"shape {got.shape} != expected {want.shape}"
    if want.dtype.kind in "f":
        if got.dtype != want.dtype:
            return f"dtype {got.dtype} != expected {want.dtype}"
        try:
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)
        except AssertionError as exc:
            lines = [ln for ln in str(exc).splitlines() if ln.strip()]
            return "values differ: " + "; ".join(lines[1:4])
        return None
    if not np.array_equal(got.astype(want.dtype), want):
        return "values differ (exact compare)"
    return None


def compile_group(label, cases, jobs_note=None):
    """Import + compile one operator's cases; returns (label, so, error)."""
    module, sigs = build_module(cases)
    if not sigs:
        return label, None, None
    text = module.render()
    try:
        so = compiler.cached_compile(text, sigs=sigs)
        return label, so, None
    except compiler.CompileError as exc:
        return label, None, str(exc)


def _compile_single(case):
    """Fallback: compile one case alone to attribute a compile error."""
    module = mlir_text.ModuleText()
    sig = import_graph(case.model, module, func_name=case.func,
                       bind=case.bind, input_shapes=case.shapes)
    return compiler.cached_compile(module.render(), sigs=[sig.to_json()])


def run_group(cases, so):
    lib = CompiledModel(so)
    for c in cases:
        if c.status:
            continue
        fn = lib[c.func]
        errors = []
        for inputs, want in c.sets:
            try:
                got = fn(*[inputs[k] for k in c.runtime_inputs])
            except Exception as exc:
                errors.append(f"run: {exc}")
                continue
            if len(got) != len(want):
                errors.append(f"{len(got)} outputs, expected {len(want)}")
                continue
            for j, (g, w) in enumerate(zip(got, want)):
                err = _compare(g, w)
                if err:
                    errors.append(f"output {j}: {err}")
        if not c.sets:
            errors.append("no usable test data set")
        c.status = "fail" if errors else "pass"
        c.detail = "; ".join(errors[:2])


def run(filter_re=None, jobs=2, verbose=False):
    t0 = time.time()
    cases = collect(filter_re)
    groups = OrderedDict()
    for c in cases:
        groups.setdefault(c.label, []).append(c)
    results = {}
    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [ex.submit(compile_group, label, cs)
                for label, cs in groups.items()]
        for f in cf.as_completed(futs):
            label, so, err = f.result()
            results[label] = (so, err)
    for label, cs in groups.items():
        so, err = results[label]
        if err:
            # Isolate the failing tests.
            for c in cs:
                if c.status:
                    continue
                try:
                    run_group([c], _compile_single(c))
                except compiler.CompileError as exc:
                    c.status = "fail"
                    c.detail = "compile: " + str(exc).splitlines()[1][:300] \
                        if len(str(exc).splitlines()) > 1 else str(exc)
        elif so is not None:
            run_group(cs, so)
        if verbose:
            for c in cs:
                print(f"  {c.status:8s} {c.name} {c.detail}", flush=True)
    return cases, time.time() - t0


def table(cases, seconds=None):
    rows = defaultdict(lambda: {"pass": 0, "fail": 0, "excluded": 0,
                                "reasons": [], "failed": []})
    for c in cases:
        r = rows[c.label]
        r[c.status] += 1
        if c.status == "excluded":
            r["reasons"].append(f"{c.name}: {c.detail}")
        elif c.status == "fail":
            r["failed"].append(f"{c.name}: {c.detail}")
    lines = ["| op | passed | failed | excluded | exclusion reasons |",
             "|---|---:|---:|---:|---|"]
    for label in sorted(rows, key=lambda s: (s.endswith("(expanded)"), s)):
        r = rows[label]
        reasons = "<br>".join(r["reasons"])
        lines.append(f"| {label} | {r['pass']} | {r['fail']} | "
                     f"{r['excluded']} | {reasons} |")
    tot = {k: sum(r[k] for r in rows.values())
           for k in ("pass", "fail", "excluded")}
    lines.append(f"| **total** | **{tot['pass']}** | **{tot['fail']}** | "
                 f"**{tot['excluded']}** | |")
    failures = [f for r in rows.values() for f in r["failed"]]
    return "\n".join(lines), tot, failures


DOC_HEAD = """# ONNX node conformance

Generated by `scripts/onnx_conformance.py` (do not edit by hand).

Every test of ONNX's node test suite (Debian `libonnx-testdata`,
`/usr/share/libonnx-testdata/data/node`) whose operators are all in the
importer's supported set is imported, compiled with the float pipeline
(`qnt.compiler.float_pipeline()`), run, and compared with the recorded outputs
(floats: `rtol={rtol}`, `atol={atol}`, as ONNX's backend runner; integers and
booleans exactly).  Multi-node "expanded" tests appear when all their
operators are supported.

Inputs of type int64 (shapes, axes, pads, indices, sizes, ...) and the
parameter inputs of Resize (roi, scales), Pad (constant_value) and Dropout
(ratio, training_mode) are bound as compile-time constants, as initializers
would be in a deployed model, because qnt compiles static shapes; all other
inputs are runtime arguments with the shapes of the test data.  An excluded
test is one the importer rejects with an
error on purpose; the reason is listed.  Any other rejection counts as a
failure.
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", dest="filter", help="regex on test names")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--write-doc", metavar="PATH",
                    help="write the table as markdown (docs/onnx-"
                         "conformance.md)")
    args = ap.parse_args(argv)
    cases, secs = run(args.filter, args.jobs, args.verbose)
    text, tot, failures = table(cases)
    print(text)
    print(f"\n{tot['pass']} passed, {tot['fail']} failed, {tot['excluded']} "
          f"excluded in {secs:.1f} s ({args.jobs} jobs)")
    for f in failures:
        print("FAIL", f)
    if args.write_doc:
        doc = DOC_HEAD.format(rtol=RTOL, atol=ATOL) + "\n" + text + "\n"
        doc += (f"\n{tot['pass']} passed, {tot['fail']} failed, "
                f"{tot['excluded']} excluded; the run took {secs:.0f} s on "
                f"{args.jobs} jobs.\n")
        if failures:
            doc += "\n## Failures\n\n" + "\n".join(f"- {f}" for f in
                                                   failures) + "\n"
        Path(args.write_doc).write_text(doc)
    return 1 if tot["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
