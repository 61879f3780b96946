#!/usr/bin/env python3
"""Peak memory of calibration against the number of samples (issue 4:
memory must not grow with the calibration set).

Each run is a fresh process (`python3 -m qnt calibrate`, the bundled model,
batch 64) whose peak resident set size is read from getrusage after it exits.
Prints a markdown table; --write puts it into docs/calibration.md between the
markers.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import resource, sys
from qnt.cli import main
rc = main(sys.argv[1:])
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""


def run(samples):
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        r = subprocess.run(
            [sys.executable, "-c", CHILD, "calibrate", str(REPO / "models" / "fmnist_mobilenet.onnx"),
             "-o", os.path.join(tmp, "s.json"), "--samples", str(samples), "--quiet"],
            capture_output=True, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO / "python")})
        elapsed = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(r.stderr)
    kb = int(re.search(r"maxrss_kb (\d+)", r.stderr).group(1))
    return kb / 1024, elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--samples", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    rows = ["| samples | peak RSS (MiB) | wall time (s) |", "|---:|---:|---:|"]
    for n in args.samples:
        mib, secs = run(n)
        rows.append(f"| {n} | {mib:.0f} | {secs:.1f} |")
    table = "\n".join(rows)
    print(table)
    if args.write:
        doc = REPO / "docs" / "calibration.md"
        text = doc.read_text()
        start, end = "<!-- memory-table -->", "<!-- /memory-table -->"
        text = re.sub(re.escape(start) + ".*?" + re.escape(end),
                      f"{start}\n{table}\n{end}", text, flags=re.S)
        doc.write_text(text)


if __name__ == "__main__":
    main()
