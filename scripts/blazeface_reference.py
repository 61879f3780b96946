#!/usr/bin/python3
"""Reference outputs of MediaPipe BlazeFace (front, 128x128) under ONNX Runtime
on real photos from Debian packages.

    scripts/fetch_blazeface.sh                  # model -> build/models/ (not committed)
    scripts/install-ort.sh                      # onnxruntime-node -> build/npm
    /usr/bin/python3 scripts/blazeface_reference.py [--out-dir build/reference/blazeface] [--bench]

Writes to --out-dir:
  inputs.npy              float32 [N,128,128,3] NHWC in [-1,1] (qnt.photos.blazeface_inputs)
  <output>.npy            each model output, stacked over photos along axis 0
                          (Identity_0.npy [N,512,1], Identity_1_0.npy [N,384,1],
                          Identity_2_0.npy [N,512,16], Identity_3_0.npy [N,384,16])
  manifest.json           photo names, model sha256, output files, decoded detections
and prints, per photo, the detections after sigmoid + threshold + NMS.

Decoding (as MediaPipe's front model / keijiro's Barracuda post-processing):
the 512 rows are a 16x16 grid x 2 anchors, the 384 rows an 8x8 grid x 6
anchors, row = (cell_y * cells + cell_x) * anchors + a, anchor centre =
((cell_x + 0.5) / cells, (cell_y + 0.5) / cells); a box row is
(dx, dy, w, h, 6 x (kx, ky)) in input pixels, relative to the anchor centre.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import numpy as np  # noqa: E402

from qnt import photos  # noqa: E402
from qnt.reference import ort  # noqa: E402
from qnt.reference import blazeface  # noqa: E402
from qnt.reference.blazeface import MODEL_NAME, decode, max_score  # noqa: E402

def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=None,
                   help=f"default: fetch into build/models/{MODEL_NAME}")
    p.add_argument("--out-dir", type=Path, default=REPO / "build" / "reference" / "blazeface")
    p.add_argument("--fit", default="crop", choices=["crop", "letterbox", "stretch"])
    p.add_argument("--threshold", type=float, default=0.5, help="score threshold after sigmoid")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--bench", action="store_true",
                   help="also time one photo (warm-up 20, 200 iterations)")
    args = p.parse_args()

    model = args.model
    if model is None:
        model = blazeface.model_path(fetch=True)
    if not ort.ort_available():
        subprocess.run(["bash", str(REPO / "scripts" / "install-ort.sh")], check=True)

    info = ort.ort_model_info(model)
    shape = info["inputs"][0]["shape"]          # [1, H, W, 3]
    size = int(shape[1])
    x, names = photos.load_photos((size, size), "NHWC", (-1.0, 1.0), args.fit)
    print(f"{len(names)} photos -> {x.shape} float32 NHWC in [-1, 1] (fit={args.fit})")

    t0 = time.time()
    outs = ort.run_onnxruntime_dataset(model, {info["inputs"][0]["name"]: x},
                                       batch=1, threads=args.threads)
    print(f"ORT ran {len(names)} photos in {time.time() - t0:.2f} s (incl. node start-up)")

    args.out_dir.mkdir(parents=True, exist_ok=True)
    np.save(args.out_dir / "inputs.npy", x)
    files = {}
    for name, arr in outs.items():
        f = name.replace(":", "_") + ".npy"
        np.save(args.out_dir / f, arr)
        files[name] = f
    detections = {}
    for i, n in enumerate(names):
        dets = decode(outs, i, size, args.threshold)
        detections[n] = dets
        best = max_score(outs, i)
        desc = ", ".join(f"{d['score']:.2f}@({d['box'][0]:.2f},{d['box'][1]:.2f} "
                         f"{d['box'][2]:.2f}x{d['box'][3]:.2f})" for d in dets[:3])
        print(f"  {n:11s} max score {best:.3f}  faces>{args.threshold}: {len(dets)}  {desc}")

    manifest = {
        "model": str(model),
        "model_sha256": hashlib.sha256(Path(model).read_bytes()).hexdigest(),
        "runtime": f"onnxruntime-node {ort.ORT_VERSION}",
        "threads": args.threads,
        "photos": names,
        "photo_files": [str(photos.photo_path(n)) for n in names],
        "input": {"file": "inputs.npy", "name": info["inputs"][0]["name"],
                  "layout": "NHWC", "range": [-1, 1], "fit": args.fit},
        "outputs": files,
        "threshold": args.threshold,
        "detections": detections,
    }
    if args.bench:
        r = ort.benchmark_onnxruntime(model, {info["inputs"][0]["name"]: x[:1]},
                                      threads=args.threads, warmup=20, iters=200)
        manifest["benchmark"] = r
        print(f"ORT latency, batch 1, {args.threads} thread(s): median {r['median_ms']:.3f} ms "
              f"(min {r['min_ms']:.3f}, p90 {r['p90_ms']:.3f})")
    (args.out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {args.out_dir}")


if __name__ == "__main__":
    main()
