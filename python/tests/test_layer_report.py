"""qnt.layer_report: per-layer weight ranges read from hand-written modules
(expected ranges computed by hand), WESS's effect on them (after = before *
2^-shift exactly), the report's formats and the plot; then the bundled
MobileNet."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from qnt import capi, layer_report as lr
from qnt.intref import IntrefError

REPO = Path(__file__).resolve().parents[2]
FMNIST = REPO / "models" / "fmnist_mobilenet.onnx"

ZP = ('%zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : '
      '() -> tensor<1xf32>')


def wess(text):
    return capi.run_pipeline(text, "builtin.module(func.func(qnt-wess))"
                             ).output


def resource_hex(arr):
    """A dense_resource blob: 4-byte alignment header, little-endian f32."""
    return "0x04000000" + np.asarray(arr, "<f4").tobytes().hex().upper()


# ------------------------------------------------------------ the module
# conv2d OHWI 3x1x1x2: channel ranges by hand 2, 0.5, 4.
CONV_W = [[[[1.0, -2.0]]], [[[0.5, 0.25]]], [[[-4.0, 3.0]]]]
CONV_R = [2.0, 0.5, 4.0]

# depthwise HWCM 2x1x2x3: output channel c*3+m; ranges by hand below.
DW_R = [1.0, 3.0, 0.75, 6.0, 0.125, 2.5]
DW_W = np.zeros((2, 1, 2, 3), np.float32)
for _c in range(2):
    for _m in range(3):
        _r = DW_R[_c * 3 + _m]
        DW_W[0, 0, _c, _m] = _r            # the max at h = 0 ...
        DW_W[1, 0, _c, _m] = -_r / 2
DW_W[0, 0, 0, 1], DW_W[1, 0, 0, 1] = 1.5, -3.0   # ... or negative at h = 1

# matmul weights 6x4 (a dense_resource blob, reshaped to 1x6x4): column
# ranges 0.5, 1, 2, 4.
MM_R = [0.5, 1.0, 2.0, 4.0]
MM_W = (np.linspace(-0.9, 0.9, 24).reshape(6, 4) * MM_R).astype(np.float32)
MM_W[2] = -np.array(MM_R, np.float32)


def module(scale_conv="", with_matmul=True):
    """conv2d (loc "conv_a"), depthwise_conv2d (loc "dw"), matmul through a
    reshape of a resource blob (no loc), and a matmul of two arguments (not
    a layer).  ``scale_conv``: a qnt.pow2_scale after the conv."""
    conv_out = "%c"
    if scale_conv:
        conv_out = "%cs"
        scale_conv = (f"%cs = qnt.pow2_scale %c axis 3 shifts {scale_conv} "
                      f": tensor<1x4x4x3xf32>")
    mm = rets = rtypes = ""
    if with_matmul:
        mm = """
    %wm = "tosa.const"() <{values = dense_resource<mm_weights> : tensor<6x4xf32>}> : () -> tensor<6x4xf32>
    %sh = "tosa.const_shape"() <{values = dense<[1, 6, 4]> : tensor<3xindex>}> : () -> !tosa.shape<3>
    %wr = "tosa.reshape"(%wm, %sh) : (tensor<6x4xf32>, !tosa.shape<3>) -> tensor<1x6x4xf32>
    %mm = "tosa.matmul"(%m, %wr, %zp, %zp) : (tensor<1x2x6xf32>, tensor<1x6x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x4xf32>
    %mm2 = "tosa.matmul"(%m, %n, %zp, %zp) : (tensor<1x2x6xf32>, tensor<1x6x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x4xf32>"""
        rets = ", %mm, %mm2"
        rtypes = ", tensor<1x2x4xf32>, tensor<1x2x4xf32>"
    return f"""module {{
  func.func @forward(%x: tensor<1x4x4x2xf32>, %m: tensor<1x2x6xf32>, %n: tensor<1x6x4xf32>) -> (tensor<1x4x4x3xf32>, tensor<1x3x4x6xf32>{rtypes}) {{
    {ZP}
    %w = "tosa.const"() <{{values = dense<{json.dumps(CONV_W)}> : tensor<3x1x1x2xf32>}}> : () -> tensor<3x1x1x2xf32>
    %b = "tosa.const"() <{{values = dense<0.0> : tensor<3xf32>}}> : () -> tensor<3xf32>
    %c = "tosa.conv2d"(%x, %w, %b, %zp, %zp) <{{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}}> : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32> loc("conv_a")
    {scale_conv}
    %wd = "tosa.const"() <{{values = dense<{json.dumps(DW_W.tolist())}> : tensor<2x1x2x3xf32>}}> : () -> tensor<2x1x2x3xf32>
    %bd = "tosa.const"() <{{values = dense<0.0> : tensor<6xf32>}}> : () -> tensor<6xf32>
    %d = "tosa.depthwise_conv2d"(%x, %wd, %bd, %zp, %zp) <{{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}}> : (tensor<1x4x4x2xf32>, tensor<2x1x2x3xf32>, tensor<6xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x4x6xf32> loc("dw")
    {mm}
    return {conv_out}, %d{rets} : tensor<1x4x4x3xf32>, tensor<1x3x4x6xf32>{rtypes}
  }}
}}

{{-#
  dialect_resources: {{
    builtin: {{
      mm_weights: "{resource_hex(MM_W)}"
    }}
  }}
#-}}
"""


# ------------------------------------------------------------ layer_weights
def test_layers_weights_names_and_ranges():
    layers = lr.layer_weights(module())
    assert [(x.name, x.op) for x in layers] == [
        ("conv_a", "conv2d"), ("dw", "depthwise_conv2d"), ("op#2", "matmul")]
    conv, dw, mm = layers
    np.testing.assert_array_equal(conv.weights,
                                  np.array(CONV_W, np.float32))
    np.testing.assert_array_equal(dw.weights, DW_W)
    np.testing.assert_array_equal(mm.weights, MM_W.reshape(1, 6, 4))
    assert all(x.weights.dtype == np.float32 for x in layers)
    assert [x.channels for x in layers] == [3, 6, 4]
    assert all(x.shifts is None for x in layers)
    assert lr.channel_ranges(conv).tolist() == CONV_R
    assert lr.channel_ranges(dw).tolist() == DW_R
    assert lr.channel_ranges(mm).tolist() == MM_R


def test_pow2_scale_gives_the_layer_shifts():
    conv, dw, mm = lr.layer_weights(module(scale_conv="[0, -1, -3]"))
    assert conv.shifts == [0, -1, -3]
    assert dw.shifts is None and mm.shifts is None


def test_other_function_and_missing_function():
    text = module(with_matmul=False).replace("@forward", "@other")
    assert [x.name for x in lr.layer_weights(text, func="other")] == [
        "conv_a", "dw"]
    with pytest.raises(ValueError, match="no function @forward"):
        lr.layer_weights(text)


def test_unparseable_module_is_an_error():
    with pytest.raises(IntrefError, match="could not parse"):
        lr.layer_weights("func.func @forward( {")


# ------------------------------------------------------------- range_report
def test_wess_report_exact():
    before = module()
    after = wess(before)
    report = lr.range_report(before, after)
    assert [e["name"] for e in report] == ["conv_a", "dw", "op#2"]
    conv, dw, mm = report
    # conv: R = 4; k = 1, 3, 0.
    assert conv["op"] == "conv2d" and conv["channels"] == 3
    assert conv["before"] == {"min": 0.5, "median": 2.0, "max": 4.0,
                              "max_over_min": 8.0}
    assert conv["after"] == {"min": 4.0, "median": 4.0, "max": 4.0,
                             "max_over_min": 1.0}
    assert conv["shifts"] == [-1, -3, 0]
    assert conv["scales"] == [2.0, 8.0, 1.0]
    # depthwise: R = 6; 1 -> 4, 3 -> 6, 0.75 -> 6, 6, 0.125 -> 4, 2.5 -> 5.
    assert dw["shifts"] == [-2, -1, -3, 0, -5, -1]
    assert dw["scales"] == [4.0, 2.0, 8.0, 1.0, 32.0, 2.0]
    assert dw["before"] == {"min": 0.125, "median": 1.75, "max": 6.0,
                            "max_over_min": 48.0}
    assert dw["after"] == {"min": 4.0, "median": 5.5, "max": 6.0,
                           "max_over_min": 1.5}
    # matmul: R = 4; k = 3, 2, 1, 0.
    assert mm["shifts"] == [-3, -2, -1, 0]
    assert mm["scales"] == [8.0, 4.0, 2.0, 1.0]
    assert mm["after"]["max_over_min"] == 1.0
    # The layers read from ``after`` carry WESS's shifts, scales = 2^-shift.
    for e in report:
        assert e["scales"] == [2.0 ** -s for s in e["shifts"]]


def test_identical_modules_scale_one():
    text = module()
    for e in lr.range_report(text, text):
        assert e["before"] == e["after"]
        assert e["scales"] == [1.0] * e["channels"] and e["shifts"] is None


def test_layer_count_mismatch():
    with pytest.raises(ValueError, match="layer counts differ: 3 layers "
                                         "before, 2 after"):
        lr.range_report(module(), module(with_matmul=False))


def test_zero_channel_inf_and_json():
    text = module(with_matmul=False).replace(
        "[[[[1.0, -2.0]]], [[[0.5, 0.25]]]", "[[[[1.0, -2.0]]], [[[0.0, 0.0]]]")
    conv = lr.range_report(text, text)[0]
    assert lr.channel_ranges(lr.layer_weights(text)[0]).tolist() == [
        2.0, 0.0, 4.0]
    assert conv["before"]["max_over_min"] == math.inf
    assert math.isnan(conv["scales"][1])
    back = json.loads(lr.report_to_json([conv]))
    assert back[0]["before"]["max_over_min"] is None        # inf -> null
    assert back[0]["scales"] == [1.0, None, 1.0]            # nan -> null
    assert back[0]["before"]["min"] == 0.0


def test_markdown():
    md = lr.format_markdown(lr.range_report(module(), wess(module())))
    lines = md.splitlines()
    assert lines[0] == ("| layer | op | channels | max/min range | "
                        "median range |")
    assert lines[2] == "| conv_a | conv2d | 3 | 8 -> 1 | 2 -> 4 |"
    assert lines[3] == "| dw | depthwise_conv2d | 6 | 48 -> 1.5 | 1.75 -> 5.5 |"
    assert lines[4].startswith("| op#2 | matmul | 4 | 8 -> 1 |")
    assert len(lines) == 5


# ---------------------------------------------------------------------- plot
def test_plot_writes_png(tmp_path):
    before = lr.layer_weights(module())
    after = lr.layer_weights(wess(module()))
    path = tmp_path / "dw.png"
    assert lr.plot_ranges(before[1], after[1], path) == path
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dw.png"]
    # One layer alone, with a zero channel (left out of the log axis).
    text = module(with_matmul=False).replace("[[[0.5, 0.25]]]",
                                             "[[[0.0, 0.0]]]")
    one = tmp_path / "one.png"
    lr.plot_ranges(lr.layer_weights(text)[0], None, one, title="conv")
    assert one.read_bytes().startswith(b"\x89PNG")


def test_plot_missing_directory(tmp_path):
    layer = lr.layer_weights(module(with_matmul=False))[0]
    with pytest.raises(FileNotFoundError):
        lr.plot_ranges(layer, layer, tmp_path / "no" / "x.png")


# --------------------------------------------------------- the bundled model
def test_fmnist_mobilenet_wess():
    from qnt.importer import import_onnx
    before = import_onnx(str(FMNIST), batch=1).text
    layers = lr.layer_weights(before)
    assert len(layers) == 12
    assert [x.op for x in layers].count("matmul") == 1
    assert layers[-1].op == "matmul"
    assert sum(x.op in ("conv2d", "depthwise_conv2d") for x in layers) == 11
    assert all(not x.name.startswith("op#") for x in layers)
    for x in layers:
        r = lr.channel_ranges(x)
        assert np.all(np.isfinite(r)) and np.all(r > 0), x.name

    after_text = wess(before)
    after = lr.layer_weights(after_text)
    assert len(after) == 12
    for b, a in zip(layers, after):
        shifts = np.array(a.shifts if a.shifts is not None
                          else [0] * a.channels)
        assert np.all(shifts <= 0), b.name
        np.testing.assert_array_equal(
            lr.channel_ranges(a),
            lr.channel_ranges(b) * np.exp2(-shifts).astype(np.float32))
    report = lr.range_report(before, after_text)
    assert [e["name"] for e in report] == [x.name for x in layers]
    for e in report:
        assert e["after"]["max_over_min"] <= e["before"]["max_over_min"]
        assert e["after"]["max_over_min"] <= 2.0 or e["shifts"] is None
    json.loads(lr.report_to_json(report))
