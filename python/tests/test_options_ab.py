"""bench/options_ab.py: variant specifications and their errors (the timed
comparison itself is a benchmark, run by hand: docs/tools.md)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import options_ab  # noqa: E402


def test_variant_specs():
    assert options_ab.parse_variant("default=") == ("default", {})
    assert options_ab.parse_variant(
        "x=residual_add:tflite,share_input_grid:true,rounding:single_round") \
        == ("x", {"residual_add": "tflite", "share_input_grid": True,
                  "rounding": "single_round"})
    for bad, msg in [("noname", "expected NAME="), ("=a:b", "expected NAME="),
                     ("v=colour:red", "is not KEY:VALUE"),
                     ("v=residual_add", "is not KEY:VALUE"),
                     ("v=share_input_grid:yes", "takes true or false")]:
        with pytest.raises(ValueError, match=msg):
            options_ab.parse_variant(bad)


def test_bad_variant_is_a_usage_error():
    p = subprocess.run([sys.executable, str(REPO / "bench" / "options_ab.py"),
                        "--variant", "v=colour:red"],
                       capture_output=True, text=True)
    assert p.returncode == 2
    assert "'colour:red' is not KEY:VALUE" in p.stderr
    p = subprocess.run([sys.executable, str(REPO / "bench" / "options_ab.py"),
                        "--variant", "a=", "--variant", "a=rounding:tflite"],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "variant names must differ" in p.stderr
