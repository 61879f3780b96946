#!/usr/bin/python3
"""Train qnt's MobileNet-style Fashion-MNIST classifier and export it to ONNX.

Needs python3-torch (scripts/install-train-deps.sh); nothing else in qnt does.

    /usr/bin/python3 scripts/train_fmnist.py              # -> models/fmnist_mobilenet.onnx

The run is seeded and uses deterministic algorithms, so the same machine,
torch version and thread count reproduce the same weights.  The data pipeline
is qnt.datasets (the same normalization qnt uses for calibration/evaluation:
x / 255, float32 NCHW).

Export: ONNX opset 13, model in eval mode, exported with
training=TrainingMode.PRESERVE and do_constant_folding=False so that torch does
NOT fold BatchNorm into the convolutions (its eval peephole pass would):
the model keeps its BatchNormalization nodes for qnt's own BN-folding pass.
ReLU6 becomes Clip(0, 6).  Input "input" [batch,1,28,28], output "logits"
[batch,10].
"""

import argparse
import collections
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import numpy as np  # noqa: E402

from qnt import datasets  # noqa: E402

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    sys.exit("train_fmnist.py needs python3-torch: run scripts/install-train-deps.sh")


# ---------------------------------------------------------------- model

def conv_bn_relu6(cin, cout, kernel, stride, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU6(inplace=True),
    )


class DepthwiseSeparable(nn.Sequential):
    """3x3 depthwise conv + BN + ReLU6, then 1x1 pointwise conv + BN + ReLU6."""

    def __init__(self, cin, cout, stride):
        super().__init__(
            conv_bn_relu6(cin, cin, 3, stride, groups=cin),
            conv_bn_relu6(cin, cout, 1, 1),
        )


# (out_channels, stride) of each depthwise-separable block after the stem.
BLOCKS = [(32, 1), (64, 2), (64, 1), (128, 2), (128, 1)]
STEM_CHANNELS = 16


class FmnistMobileNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        layers = [conv_bn_relu6(1, STEM_CHANNELS, 3, 1)]
        cin = STEM_CHANNELS
        for cout, stride in BLOCKS:
            layers.append(DepthwiseSeparable(cin, cout, stride))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(cin, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = self.pool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


# ---------------------------------------------------------------- training

def evaluate(model, images, labels, batch=1000):
    model.eval()
    logits = []
    with torch.no_grad():
        for i in range(0, images.shape[0], batch):
            logits.append(model(images[i:i + batch]))
    logits = torch.cat(logits)
    acc = (logits.argmax(1) == labels).float().mean().item()
    return acc, logits.numpy()


def train(args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(args.threads)

    xtr, ytr = datasets.load_fashion_mnist("train")
    xte, yte = datasets.evaluation_set()
    xtr, ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte), torch.from_numpy(yte)
    n = xtr.shape[0]

    model = FmnistMobileNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr,
                            weight_decay=args.weight_decay)
    steps_per_epoch = (n + args.batch_size - 1) // args.batch_size
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, epochs=args.epochs,
        steps_per_epoch=steps_per_epoch, pct_start=0.2)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total_loss, correct = 0.0, 0
        for s in range(steps_per_epoch):
            idx = perm[s * args.batch_size:(s + 1) * args.batch_size]
            x, y = xtr[idx], ytr[idx]
            if args.hflip:
                flip = torch.rand(x.shape[0], generator=gen) < 0.5
                x = torch.where(flip[:, None, None, None], x.flip(3), x)
            out = model(x)
            loss = F.cross_entropy(out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * x.shape[0]
            correct += (out.argmax(1) == y).sum().item()
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total_loss / n:.4f} "
              f"train-acc {correct / n:.4f} ({time.time() - t0:.0f} s)",
              flush=True)
    train_seconds = time.time() - t0

    acc, logits = evaluate(model, xte, yte)
    print(f"torch test top-1 on {xte.shape[0]} t10k images: {acc:.4f}")
    return model, acc, logits, train_seconds


# ---------------------------------------------------------------- export

def export(model, path):
    import onnx
    from torch.onnx import TrainingMode

    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model, dummy, str(path),
        opset_version=13,
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        training=TrainingMode.PRESERVE,   # model is in eval mode: inference
        do_constant_folding=False,        # keep BatchNormalization nodes
    )
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    ops = collections.Counter(node.op_type for node in m.graph.node)
    for required in ("BatchNormalization", "Clip", "Conv", "Gemm",
                     "GlobalAveragePool"):
        if ops[required] == 0:
            raise SystemExit(f"exported model lacks {required} nodes: {dict(ops)}")
    for node in m.graph.node:
        if node.op_type == "BatchNormalization":
            for a in node.attribute:
                if a.name == "training_mode" and a.i != 0:
                    raise SystemExit("BatchNormalization exported in training mode")
    return dict(ops), [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")][0]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=4e-3)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--hflip", action=argparse.BooleanOptionalAction, default=True,
                   help="random horizontal flips (seeded)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--out", type=Path, default=REPO / "models" / "fmnist_mobilenet.onnx")
    p.add_argument("--record", type=Path, default=None,
                   help="JSON file for the run's record (default: OUT with .json)")
    p.add_argument("--save-logits", type=Path, default=None,
                   help="save torch test-set logits [10000,10] float32 .npy")
    args = p.parse_args()

    model, acc, logits, secs = train(args)
    ops, opset = export(model, args.out)
    data = args.out.read_bytes()
    params = sum(t.numel() for t in model.parameters())
    record = {
        "model": args.out.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "parameters": params,
        "opset": opset,
        "ops": ops,
        "torch_test_top1": round(acc, 4),
        "test_images": 10000,
        "normalization": "x / 255 (float32, [0,1]), NCHW [N,1,28,28]",
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "hflip": args.hflip,
        "threads": args.threads,
        "train_seconds": round(secs, 1),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    rec_path = args.record or args.out.with_suffix(".json")
    rec_path.write_text(json.dumps(record, indent=2) + "\n")
    if args.save_logits:
        np.save(args.save_logits, logits.astype(np.float32))
    print(f"wrote {args.out} ({len(data)} bytes, {params} parameters, opset {opset})")
    print(f"ops: {ops}")
    print(f"record: {rec_path}")


if __name__ == "__main__":
    main()
