#!/usr/bin/python3
"""Could AVX2's saturating vpmaddubsw be exact for qnt's int8 layers?

    /usr/bin/python3 bench/maddubs_pairs.py [--models fmnist,blazeface]

``vpmaddubsw`` multiplies u8 activations (qnt's i8 codes + 128) by s8
weights and sums adjacent pairs into a saturating i16. For a pair of
weight rows (k1, k2) of a convolution or matmul [K, N] the sum cannot
saturate for any activations iff, in every output column n, the positive
parts of w[k1, n] and w[k2, n] sum to at most 128 and the negative parts to
at least -128 (255 x 128 = 32640 <= 32767; 255 x -128 = -32640 >=
-32768).  A kernel could reorder K so that only safe rows are paired (and
pack the activations in the same order) if enough pairs are safe.

For each model's W8A8 program (bench/e2e.py's recipe; BlazeFace needs
scripts/fetch_blazeface.sh) this prints, per convolution and matmul (not
the depthwise ones, which do not pair K), the fraction of its weights with
|w| > 64, the fraction of K-adjacent pairs that are safe as packed today,
the fraction of all pairs of rows that are safe in every column at once
(the edges a reordering could choose from), and whether qnt's AVX2 kernel
takes the u8 x s8 quads for it (qnt-int8-matmul-kernels{saturation-free-
quads}; the kernel's searches done again here): "K order" when every
K-adjacent pair is safe; for a convolution larger than 1x1 (its im2col
runs are read per filter row; dilation 1, as in both models) "rows
reordered" when its filter rows' codes, padded to even with a zero weight,
pair up safely with each code staying in its group of 16; for a 1x1
convolution or a matmul "K reordered" with the slots per code (the
kernel's order: a maximum matching of the rows, each row left over beside
a zero slot, padded to quads) when that is at most 9/8 of K (rounded up
to even) and K <= 256; else "no". Then the totals quoted in
docs/performance.md. Needs python3-networkx
(scripts/install-bench-deps.sh).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

from layers import ProfileError, located_program, model_config  # noqa: E402
from qnt import compiler, layer_report  # noqa: E402


def rows_of(layer) -> np.ndarray:
    """The layer's weights as [K, N] (rows: the reduction)."""
    w = layer.weights.astype(np.int64)
    if layer.op == "conv2d":            # [F, KH, KW, C]
        return w.reshape(w.shape[0], -1).T
    return w[0]                         # matmul [1, K, N]


def safe_pairs(w: np.ndarray) -> np.ndarray:
    """[K, K] bool: rows k1, k2 may share a vpmaddubsw pair."""
    pos, neg = np.maximum(w, 0), np.minimum(w, 0)
    return (((pos[:, None, :] + pos[None, :, :]) <= 128).all(-1)
            & ((neg[:, None, :] + neg[None, :, :]) >= -128).all(-1))


def rows_reorder(layer) -> bool:
    """Whether every filter row of a convolution (KW C codes, padded to
    even with a zero weight) pairs up safely within its groups of 16."""
    w = layer.weights.astype(np.int64)          # [F, KH, KW, C]
    f, kh = w.shape[0], w.shape[1]
    run = w.shape[2] * w.shape[3]
    stride = run + run % 2
    for r in range(kh):
        codes = np.zeros((stride, f), np.int64)
        codes[:run] = w[:, r].reshape(f, run).T
        for g0 in range(0, stride, 16):
            group = codes[g0:g0 + 16]
            if 2 * matching_size(safe_pairs(group)) != len(group):
                return False
    return True


def matching_size(ok: np.ndarray) -> int:
    """The pairs of a maximum matching of the graph `ok` ([n, n] bool)."""
    n = len(ok)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from((a, b) for a in range(n) for b in range(a + 1, n)
                     if ok[a, b])
    return len(nx.max_weight_matching(g, maxcardinality=True))


def k_order_slots(ok: np.ndarray) -> int:
    """The slots of qnt's K order for a matmul with safe-pair graph `ok`:
    two per matched pair and per row left over, padded to a multiple of
    4 (the size of a maximum matching decides it)."""
    k = len(ok)
    pairs = matching_size(ok)
    slots = 2 * pairs + 2 * (k - 2 * pairs)
    return (slots + 3) // 4 * 4


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="fmnist,blazeface")
    args = ap.parse_args()
    fractions, big, weights, reordered = [], 0, 0, 0
    print("| model | layer | K x N | abs(w) > 64 | adjacent pairs safe | "
          "pairs of rows safe | quads in qnt's kernel |")
    print("|---|---|---|---:|---:|---:|---|")
    for model in args.models.split(","):
        try:
            label, path, b, calib, _ = model_config(model, None)
        except ProfileError as exc:
            sys.exit(f"maddubs_pairs.py: {exc}")
        text, _ = compiler.load_source(path,
                                       batch=b if model == "fmnist" else None)
        prog = located_program(text, "int8", calib, b, label)
        mbig = mweights = 0
        for layer in layer_report.layer_weights(prog):
            if layer.op == "depthwise_conv2d":
                continue
            w = rows_of(layer)
            k = w.shape[0]
            ok = safe_pairs(w)
            adjacent = np.mean([ok[i, i + 1] for i in range(0, k - 1, 2)]) \
                if k > 1 else 1.0
            one_by_one = layer.op != "conv2d" or \
                np.prod(layer.weights.shape[1:3]) == 1
            slots = k_order_slots(ok) if one_by_one and k <= 256 else None
            if adjacent == 1.0:
                quads = "K order"
            elif not one_by_one and rows_reorder(layer):
                quads = "rows reordered"
            elif slots is not None and 8 * slots <= 9 * (k + k % 2):
                quads = f"K reordered ({slots / k:.2f} slots per row)"
            else:
                quads = "no"
            reordered += "reordered" in quads
            frac = ok[np.triu_indices(k, 1)].mean() if k > 1 else 1.0
            fractions.append(frac)
            mbig += int((np.abs(w) > 64).sum())
            mweights += w.size
            print(f"| {label} | {layer.name} | {k} x {w.shape[1]} | "
                  f"{100 * np.mean(np.abs(w) > 64):.0f}% | "
                  f"{100 * adjacent:.0f}% | {100 * frac:.0f}% | {quads} |")
        print(f"| {label} | all | | {100 * mbig / mweights:.0f}% | | | |")
        big += mbig
        weights += mweights
    print(f"\n{len(fractions)} layers: pairs of rows safe in every column: "
          f"median {100 * np.median(fractions):.0f}%, "
          f"min {100 * min(fractions):.0f}%, max {100 * max(fractions):.0f}%; "
          f"weights with |w| > 64: {100 * big / weights:.0f}%; "
          f"layers reordered into safe pairs: {reordered}")


if __name__ == "__main__":
    main()
