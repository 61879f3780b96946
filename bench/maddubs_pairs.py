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
convolution or a matmul (K <= 256) "K reordered" with the slots per row
when the kernel takes the quads for all its rows (a maximum matching's
pairs adjacent, each row left over beside a zero slot), "K split" with
the quad and pair slots when the rows left over take a tail of i16 pairs
(k_split: the kernel's cost estimate); else "no". Then the totals quoted
in docs/performance.md. Needs python3-networkx
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


def k_split(ok: np.ndarray):
    """(quad slots, pair slots) of qnt's K order for a matmul with
    safe-pair graph `ok`, or None when its kernel keeps the i16 pairs: the
    matched rows as quads, the rows left over either each beside a zero
    slot in the quads (padded to whole quads) or in a tail of i16 pairs
    (padded to even; an odd count of matched pairs made a whole quad by a
    row left over beside a zero slot, else a zero pair); the cheaper of the
    two at 0.85 per quad slot, 1 per tail slot and 2.5 per tail, when below
    K rounded up to even (the size of a maximum matching decides it)."""
    k = len(ok)
    pairs = matching_size(ok)
    if pairs == 0:
        return None
    matched, left = 2 * pairs, k - 2 * pairs
    whole = ((matched + 2 * left + 3) // 4 * 4, 0)
    quads, tail = matched, left
    if quads % 4:
        quads += 2
        tail = max(0, tail - 1)
    tail += tail % 2

    def cost(x):
        return 0.85 * x[0] + x[1] + (2.5 if x[1] else 0.0)
    best = (quads, tail) if cost((quads, tail)) < cost(whole) else whole
    return best if cost(best) < k + k % 2 else None


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
            split = k_split(ok) if one_by_one and k <= 256 else None
            if adjacent == 1.0:
                quads = "K order"
            elif not one_by_one and rows_reorder(layer):
                quads = "rows reordered"
            elif split is not None and split[1] == 0:
                quads = f"K reordered ({split[0] / k:.2f} slots per row)"
            elif split is not None:
                quads = (f"K split ({split[0]} quad slots, "
                         f"{split[1]} pair slots)")
            else:
                quads = "no"
            reordered += "reordered" in quads or "split" in quads
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
