#!/usr/bin/python3
"""ONNX Runtime top-1 of an ONNX Fashion-MNIST classifier on the full 10k test set.

    scripts/install-ort.sh
    /usr/bin/python3 scripts/fmnist_reference.py [--model models/fmnist_mobilenet.onnx]
        [--save-logits build/reference/fmnist_ort_logits.npy]
        [--compare OTHER_LOGITS.npy] [--bench] [--threads 1] [--batch 256]

Inputs are qnt.datasets.evaluation_set() (t10k, x/255, float32 [N,1,28,28]).
--compare prints the max |difference| and top-1 agreement against logits saved
earlier (e.g. by train_fmnist.py --save-logits or by qnt's own runtime).
--bench times batch-1 inference (warm-up 50, 1000 iterations, median).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import numpy as np  # noqa: E402

from qnt import datasets  # noqa: E402
from qnt.reference import ort  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=REPO / "models" / "fmnist_mobilenet.onnx")
    p.add_argument("--save-logits", type=Path, default=None)
    p.add_argument("--compare", type=Path, default=None)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--limit", type=int, default=None, help="only the first N test images")
    p.add_argument("--bench", action="store_true")
    p.add_argument("--json", action="store_true", help="print one JSON summary line at the end")
    args = p.parse_args()

    if not ort.ort_available():
        subprocess.run(["bash", str(REPO / "scripts" / "install-ort.sh")], check=True)

    x, y = datasets.evaluation_set()
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    name = ort.ort_model_info(args.model)["inputs"][0]["name"]
    t0 = time.time()
    outs = ort.run_onnxruntime_dataset(args.model, {name: x}, batch=args.batch,
                                       threads=args.threads)
    secs = time.time() - t0
    logits = next(iter(outs.values())).astype(np.float32)
    acc = datasets.top1(logits, y)
    summary = {"model": str(args.model), "images": int(x.shape[0]), "ort_top1": acc,
               "seconds": round(secs, 2), "threads": args.threads, "batch": args.batch}
    print(f"ORT top-1 on {x.shape[0]} t10k images: {acc:.4f} "
          f"({secs:.2f} s incl. node start-up, batch {args.batch}, {args.threads} thread(s))")
    if args.save_logits:
        args.save_logits.parent.mkdir(parents=True, exist_ok=True)
        np.save(args.save_logits, logits)
        print(f"saved logits {logits.shape} to {args.save_logits}")
    if args.compare:
        other = np.load(args.compare)[: x.shape[0]]
        diff = float(np.abs(other - logits).max())
        agree = float(np.mean(other.argmax(1) == logits.argmax(1)))
        summary.update(compare=str(args.compare), max_abs_diff=diff, top1_agreement=agree,
                       other_top1=datasets.top1(other, y))
        print(f"vs {args.compare}: max |diff| {diff:.3g}, argmax agreement {agree:.4f}, "
              f"its top-1 {summary['other_top1']:.4f}")
    if args.bench:
        r = ort.benchmark_onnxruntime(args.model, {name: x[:1]}, threads=args.threads,
                                      warmup=50, iters=1000)
        summary["bench_batch1"] = r
        print(f"ORT latency, batch 1, {args.threads} thread(s): median {r['median_ms']:.4f} ms "
              f"(min {r['min_ms']:.4f}, p90 {r['p90_ms']:.4f})")
    if args.json:
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
